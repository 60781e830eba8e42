"""`next` after sign-in: only a same-site path is followed (pure function)."""
from __future__ import annotations

import pytest

from dashboards.auth import safe_next

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("path", ["/team", "/me?person=p-1", "/deals?team=north&x=%2F", "/executive#top",
                                  "/team/é"])
def test_same_site_paths_are_kept(path):
    assert safe_next(path) == path


@pytest.mark.parametrize("path", [
    None, "", "team", "https://evil.example/", "//evil.example", "///evil.example", "/\t/evil.example/phish",
    "/%09/evil.example/phish", "/\n/evil.example", "/%0d%0aSet-Cookie:x=1", "/\\evil.example", "/%5C%5Cevil.example",
    "\\\\evil.example", "/%2F/evil.example", "/ /evil.example", "/\u3000/evil.example", "/\u200b/evil",
    "/\x00", "/a\u2028b", "/login", "/login?next=/team", "/logout", "/" + "a" * 3000, "javascript:alert(1)",
    "/team\r\n",
])
def test_everything_else_goes_home(path):
    assert safe_next(path) == "/"
