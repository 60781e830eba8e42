import json
import os

import pytest

from streams.ingest.tokens import TokenError, TokenStore, hash_token, source_allowed

pytestmark = pytest.mark.unit


def test_tokens_are_stored_hashed_and_verified(tmp_path):
    store = TokenStore.load(tmp_path / "tokens.json")
    token = store.create("sf", ["//crm/salesforce"])
    assert token.startswith("tf_") and len(token) > 40
    text = (tmp_path / "tokens.json").read_text()
    assert token not in text and hash_token(token) in text
    assert oct(os.stat(tmp_path / "tokens.json").st_mode & 0o777) == "0o600"
    fresh = TokenStore.load(tmp_path / "tokens.json")
    assert fresh.verify(token).name == "sf"
    assert fresh.verify(token + "x") is None and fresh.verify(None) is None and fresh.verify("") is None


def test_revoke_and_names(tmp_path):
    store = TokenStore.load(tmp_path / "tokens.json")
    token = store.create("sf", ["//crm/salesforce"])
    with pytest.raises(TokenError):
        store.create("sf", ["//x"])
    store.revoke("sf")
    assert store.verify(token) is None
    with pytest.raises(TokenError):
        store.revoke("sf")
    assert store.create("sf", ["//crm/salesforce"])  # the name is free again
    with pytest.raises(TokenError):
        store.create("bad", ["//a*b"])
    with pytest.raises(TokenError):
        store.create("bad", ["*"])


def test_a_running_store_sees_new_and_revoked_tokens(tmp_path):
    path = tmp_path / "tokens.json"
    running = TokenStore.load(path)
    cli = TokenStore.load(path)
    token = cli.create("hr", ["//hr"])
    running._checked = 0.0  # pretend a second went by
    assert running.verify(token) is not None
    cli.revoke("hr")
    running._checked = 0.0
    assert running.verify(token) is None
    assert json.loads(path.read_text())["tokens"][0]["revoked_at"]


@pytest.mark.parametrize("patterns,source,ok", [
    (["//crm/salesforce"], "//crm/salesforce", True),
    (["//crm/salesforce"], "//crm/salesforce/eu", False),
    (["//crm/salesforce/*"], "//crm/salesforce/eu", True),
    (["//crm/salesforce/*"], "//crm/salesforce", False),
    (["//crm/salesforce/*"], "//crm/salesforce-eu", False),
    (["//crm/salesforce*"], "//crm/salesforce-eu", True),
    (["//crm/salesforce*"], "//crm/salesforce", True),
    (["//a", "//b/*"], "//b/x", True),
    (["//a"], "//A", False),
])
def test_source_rule(patterns, source, ok):
    assert source_allowed(patterns, source) is ok


def test_scoping_on_the_record(tmp_path):
    store = TokenStore.load(tmp_path / "t.json")
    rec = store.verify(store.create("crm", ["//crm/*"]))
    assert rec.may_write("//crm/hubspot") and not rec.may_write("//hr")
