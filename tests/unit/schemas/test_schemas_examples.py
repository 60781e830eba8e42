"""Every catalog type has examples; decode and the committed JSON Schemas agree with them."""

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from schemas import CURRENT_VERSIONS, EVENT_TYPES, Event, Rejection, decode, version_from_dataschema

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3] / "schemas"
EXAMPLES = ROOT / "examples"
JSON_DIR = ROOT / "json"


def _valid_files():
    return sorted(EXAMPLES.glob("*/valid*.json"))


def _invalid_cases():
    for expected_file in sorted(EXAMPLES.glob("*/expected.json")):
        for name, expected in json.loads(expected_file.read_text("utf-8")).items():
            yield pytest.param(expected_file.parent / name, expected, id=f"{expected_file.parent.name}/{name}")


def _schema_for(type_name: str, event: dict) -> Draft202012Validator:
    """The committed schema file for the example folder's type and the event's version (current if unknown)."""
    version = version_from_dataschema(event.get("dataschema"))
    if version not in EVENT_TYPES[type_name]:
        version = CURRENT_VERSIONS[type_name]
    schema = json.loads((JSON_DIR / f"{type_name}.v{version}.json").read_text("utf-8"))
    return Draft202012Validator(schema, format_checker=FormatChecker())


@pytest.mark.parametrize("type_name", sorted(EVENT_TYPES))
def test_every_type_has_one_valid_and_several_invalid_examples(type_name):
    folder = EXAMPLES / type_name
    assert (folder / "valid.json").is_file()
    expected = json.loads((folder / "expected.json").read_text("utf-8"))
    invalid = sorted(p.name for p in folder.glob("invalid_*.json"))
    assert len(invalid) >= 3
    assert invalid == sorted(expected), "every invalid example states its expected error, and only those"


def test_no_example_folder_for_unknown_types():
    assert {p.name for p in EXAMPLES.iterdir() if p.is_dir()} == set(EVENT_TYPES)


@pytest.mark.parametrize("path", _valid_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_valid_example_decodes_to_current_model(path):
    raw = path.read_bytes()
    event = decode(raw)
    assert isinstance(event, Event), event
    doc = json.loads(raw)
    assert event.type == path.parent.name == doc["type"]
    assert (event.source, event.id) == (doc["source"], doc["id"])
    assert event.time.utcoffset().total_seconds() == 0
    current = EVENT_TYPES[event.type][CURRENT_VERSIONS[event.type]]
    assert type(event.data) is current
    assert event.version == version_from_dataschema(doc.get("dataschema"))


@pytest.mark.parametrize("path", _valid_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_valid_example_matches_committed_json_schema(path):
    doc = json.loads(path.read_bytes())
    errors = [e.message for e in _schema_for(path.parent.name, doc).iter_errors(doc)]
    assert errors == []
    envelope = json.loads((JSON_DIR / "envelope.json").read_text("utf-8"))
    assert list(Draft202012Validator(envelope, format_checker=FormatChecker()).iter_errors(doc)) == []


@pytest.mark.parametrize(("path", "expected"), list(_invalid_cases()))
def test_invalid_example_is_rejected_with_expected_error(path, expected):
    raw = path.read_bytes()
    result = decode(raw)
    assert isinstance(result, Rejection)
    assert (result.code, result.reason) == (expected["code"], expected["reason"])
    assert result.raw == raw
    assert "Traceback" not in result.reason


@pytest.mark.parametrize(("path", "expected"), list(_invalid_cases()))
def test_invalid_example_is_rejected_by_committed_json_schema(path, expected):
    doc = json.loads(path.read_bytes())
    assert not _schema_for(path.parent.name, doc).is_valid(doc), expected["why"]
