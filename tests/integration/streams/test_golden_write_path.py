"""Every stored table and every figure the metric modules compute stays what it was.

One fixed simulated history (with duplicates, late events and invalid events) goes through a real
broker and a real worker process into chDB; the digest of all rows of every table and of every
figure must equal the one recorded in tests/fixtures/golden_write_path.json before the write path
was redesigned (issue 13). A digest that differs names the table or figure.
"""
from __future__ import annotations

import json

import pytest

from support import golden

pytestmark = pytest.mark.integration


def test_the_golden_history_stores_and_computes_what_it_did(kafka, tmp_path):
    want = json.loads(golden.FIXTURE.read_text())
    got = golden.digest(golden.fold_history(kafka.bootstrap_servers, tmp_path))
    assert golden.differences(got, want) == []
