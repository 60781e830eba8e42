"""The package's public surface and its independence from the rest of the project."""

import subprocess
import sys
from pathlib import Path

import pytest

import schemas

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]


def test_public_api_names():
    for name in ["decode", "Event", "Rejection", "EVENT_TYPES", "CURRENT_VERSIONS", "dataschema_uri", "encode_event"]:
        assert hasattr(schemas, name), name


def test_catalog_has_all_22_types():
    assert len(schemas.EVENT_TYPES) == 22
    assert all(name.startswith("teamflow.") and name.count(".") == 2 for name in schemas.EVENT_TYPES)


def test_event_and_data_fields():
    assert schemas.Event.__struct_fields__ == (
        "id", "source", "type", "time", "subject", "dataschema", "version", "data", "extensions",
    )
    assert schemas.Rejection.__struct_fields__ == ("code", "reason", "source", "id", "type", "raw")
    for versions in schemas.EVENT_TYPES.values():
        for cls in versions.values():
            assert cls.__struct_config__.frozen and cls.__struct_config__.forbid_unknown_fields


def test_imports_nothing_else_of_the_project():
    code = (
        "import sys, schemas, schemas.generate, schemas.jsonschema_export;"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'teamflow', 'streams', 'projections', 'dashboards'});"
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_no_project_imports_in_source():
    for path in (ROOT / "schemas").rglob("*.py"):
        text = path.read_text("utf-8")
        for other in ("teamflow", "streams", "projections", "dashboards"):
            assert f"import {other}" not in text and f"from {other}" not in text, path
