"""projections/ stays pure: no Kafka, Faust, ClickHouse client, chDB or Dash outside the store."""
import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3] / "projections"
FORBIDDEN = {"faust", "kafka", "aiokafka", "clickhouse_connect", "chdb", "dash"}


def _imports(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_no_forbidden_imports_outside_store():
    files = [p for p in ROOT.rglob("*.py") if "store" not in p.relative_to(ROOT).parts]
    assert len(files) > 10
    bad = [
        f"{p.relative_to(ROOT)}: {name}"
        for p in files
        for name in _imports(p)
        if name.split(".")[0] in FORBIDDEN
    ]
    assert bad == []
