"""The committed JSON Schema files are exactly what the models generate, and are valid 2020-12 schemas."""

import json

import pytest
from jsonschema import Draft202012Validator

from schemas import CURRENT_VERSIONS, EVENT_TYPES, dataschema_uri
from schemas.generate import JSON_DIR, drift, main, write
from schemas.jsonschema_export import all_schemas, dumps

pytestmark = pytest.mark.unit


def test_committed_schema_files_match_models():
    stale = drift()
    assert stale == [], f"schema files out of date: {stale}; run `python -m schemas.generate`"


def test_one_file_per_type_and_version_plus_envelope():
    expected = {"envelope.json"} | {f"{t}.v{v}.json" for t, vs in EVENT_TYPES.items() for v in vs}
    assert {p.name for p in JSON_DIR.glob("*.json")} == expected


@pytest.mark.parametrize("name", sorted(all_schemas()))
def test_committed_files_are_valid_draft_2020_12(name):
    schema = json.loads((JSON_DIR / name).read_text("utf-8"))
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_data_schema_id_is_the_dataschema_uri():
    for type_name, version in CURRENT_VERSIONS.items():
        schema = all_schemas()[f"{type_name}.v{version}.json"]
        assert schema["$defs"]["data"]["$id"] == dataschema_uri(type_name, version)


def test_generator_detects_and_repairs_drift(tmp_path):
    assert main(["--check", "--dir", str(tmp_path)]) == 1
    write(tmp_path)
    assert drift(tmp_path) == []
    (tmp_path / "teamflow.help.given.v1.json").write_text("{}\n")
    (tmp_path / "teamflow.obsolete.v1.json").write_text("{}\n")
    assert drift(tmp_path) == ["teamflow.help.given.v1.json", "teamflow.obsolete.v1.json"]
    assert main(["--dir", str(tmp_path)]) == 0
    assert drift(tmp_path) == []
    assert (tmp_path / "envelope.json").read_text("utf-8") == dumps(all_schemas()["envelope.json"])
