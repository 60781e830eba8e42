"""Composition stays at the top: `teamflow` assembles the packages, which do not reach for each other.

`streams` (the ways into Kafka and the fold out of it) and `dashboards` (pages over the store) never
import one another, nor `teamflow`; what the dashboards show beyond the store is handed to them
(`dashboards.ops_data.OpsSources`, `worker_status`). Imports under `if TYPE_CHECKING:` only name
types and are not counted."""
import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[3]
NEVER = {"streams": {"dashboards", "teamflow"}, "dashboards": {"streams", "teamflow"}}


def _runtime_imports(path: Path):
    def walk(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                yield from (n for c in child.orelse for n in walk_one(c))
                continue
            yield from walk_one(child)

    def walk_one(node):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
        yield from walk(node)

    yield from walk(ast.parse(path.read_text(), filename=str(path)))


@pytest.mark.parametrize("package", sorted(NEVER))
def test_the_middle_packages_do_not_reach_for_each_other(package):
    files = sorted((REPO / package).rglob("*.py"))
    assert len(files) > 10
    bad = [f"{p.relative_to(REPO)}: {name}" for p in files for name in _runtime_imports(p)
           if name.split(".")[0] in NEVER[package]]
    assert bad == []
