"""team_views.LastBuilt keeps each key's last value while its fingerprint holds; digest tells content apart."""
from __future__ import annotations

import pytest

from projections.metrics.team_views import LastBuilt, digest

pytestmark = pytest.mark.unit


def test_a_value_is_built_again_only_when_its_fingerprint_changes():
    kept, calls = LastBuilt(size=8), []

    def build(name):
        def make():
            calls.append(name)
            return {"built": name, "n": len(calls)}
        return make

    first = kept.get("a", b"1", build("a1"))
    assert kept.get("a", b"1", build("a1 again")) is first, "same fingerprint: the same object"
    second = kept.get("a", b"2", build("a2"))
    assert second is not first and second["built"] == "a2"
    assert kept.get("b", b"1", build("b1"))["built"] == "b1", "keys do not share values"
    assert kept.get("a", b"1", build("a1 back"))["built"] == "a1 back", "only the last fingerprint is kept"
    assert calls == ["a1", "a2", "b1", "a1 back"] and kept.builds == 4


def test_the_least_recently_used_keys_go_first_when_full():
    kept = LastBuilt(size=2)
    kept.get("a", b"x", lambda: "A")
    kept.get("b", b"x", lambda: "B")
    assert kept.get("a", b"x", lambda: "A2") == "A"  # a is now the most recently used
    kept.get("c", b"x", lambda: "C")  # b goes
    assert kept.get("a", b"x", lambda: "A3") == "A"
    assert kept.get("b", b"x", lambda: "B2") == "B2"


def test_digest_tells_parts_apart():
    assert digest(b"ab", b"c") != digest(b"a", b"bc"), "parts are separated"
    assert digest([("p", 1)], None) == digest([("p", 1)], None)
    assert digest([("p", 1)]) != digest([("p", 2)])
    assert digest(b"x") != digest("x"), "bytes are taken as they are, other values by their repr"
    assert len(digest()) == 16


def test_asking_whether_a_team_is_in_a_snapshot_builds_nobody_s_page():
    from projections.metrics.team_views import Lazy, patch

    built = []
    lazy = Lazy(["a", "b"], lambda k: built.append(k) or k.upper())
    patched = patch(lazy, Lazy(["b"], lambda k: built.append("fresh " + k) or k), ["b"])
    assert "a" in lazy and "z" not in lazy and "a" in patched and "z" not in patched
    assert built == [], "the news poll asks this of every snapshot: it must not build pages"
    assert patched["b"] == "b" and lazy["a"] == "A" and built == ["fresh b", "a"]
