"""Write (or check) the committed JSON Schema files: ``python -m schemas.generate [--check]``."""

import argparse
import sys
from pathlib import Path

from .jsonschema_export import all_schemas, dumps

JSON_DIR = Path(__file__).resolve().parent / "json"


def drift(directory: Path = JSON_DIR) -> list[str]:
    """File names whose committed content differs from the models (missing, changed or stale)."""
    wanted = {name: dumps(schema) for name, schema in all_schemas().items()}
    present = {p.name for p in directory.glob("*.json")} if directory.is_dir() else set()
    out = [n for n, text in wanted.items() if n not in present or (directory / n).read_text("utf-8") != text]
    out += sorted(present - set(wanted))
    return sorted(out)


def write(directory: Path = JSON_DIR) -> list[str]:
    """Regenerate every file; remove stale ones. Returns the names written or removed."""
    changed = drift(directory)
    directory.mkdir(parents=True, exist_ok=True)
    wanted = all_schemas()
    for name in changed:
        path = directory / name
        if name in wanted:
            path.write_text(dumps(wanted[name]), "utf-8")
        else:
            path.unlink()
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m schemas.generate", description=__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 if the files differ from the models")
    parser.add_argument("--dir", type=Path, default=JSON_DIR, help=f"output directory (default {JSON_DIR})")
    args = parser.parse_args(argv)
    if args.check:
        stale = drift(args.dir)
        for name in stale:
            print(f"out of date: {args.dir / name}", file=sys.stderr)
        if stale:
            print("run: python -m schemas.generate", file=sys.stderr)
        return 1 if stale else 0
    for name in write(args.dir):
        print(f"wrote {args.dir / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
