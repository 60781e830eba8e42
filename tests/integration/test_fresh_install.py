"""The package installed WITHOUT extras in a fresh virtual environment: every `teamflow ... --help` works.

This proves the runtime dependencies in pyproject.toml are complete (a module imported by the CLI
but only present in the test extra, as PyYAML once was, fails here). pip may use its cache, so the
install takes about half a minute once the wheels are cached (docs/ops-guide.md, figures).
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.services import REPO

pytestmark = pytest.mark.integration


def _base_python() -> str:
    """A Python outside any virtual environment (the test may itself run inside one)."""
    return getattr(sys, "_base_executable", None) or sys.executable


def subcommand_paths(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path of the parser: (), ("up",), ("tokens",), ("tokens", "create"), ..."""
    paths = [prefix]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                paths += subcommand_paths(sub, prefix + (name,))
    return paths


def test_subcommand_paths_cover_nested_commands():
    from teamflow.cli import build_parser

    paths = subcommand_paths(build_parser())
    assert ("metrics",) in paths and ("tokens", "create") in paths and ("dead-letters", "resubmit") in paths
    assert ("users", "add") in paths and () in paths


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory):
    root = tmp_path_factory.mktemp("fresh-venv")
    venv = root / "venv"
    subprocess.run([_base_python(), "-m", "venv", str(venv)], check=True, capture_output=True, timeout=120)
    # A copy of the checkout without build leftovers, so the install sees what a clone holds.
    src = root / "src"
    shutil.copytree(REPO, src, ignore=shutil.ignore_patterns(".git", ".venv", "var", "build", "*.egg-info",
                                                              "__pycache__", ".pytest_cache", "infra", "docs"))
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    r = subprocess.run([str(venv / "bin" / "pip"), "install", "--disable-pip-version-check", "-q", str(src)],
                       capture_output=True, text=True, env=env, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    return venv, env


def test_every_help_works_in_a_fresh_install_without_extras(fresh_venv, tmp_path):
    from teamflow.cli import build_parser

    venv, env = fresh_venv
    teamflow = venv / "bin" / "teamflow"
    pip_list = subprocess.run([str(venv / "bin" / "pip"), "list", "--format=freeze"], capture_output=True,
                              text=True, env=env, check=True).stdout.lower()
    assert "pytest" not in pip_list, "the fresh venv must hold the runtime dependencies only"
    failures = []
    paths = subcommand_paths(build_parser())
    assert len(paths) > 15
    for path in paths:
        # Run from an empty directory: nothing in the checkout may be imported by accident.
        r = subprocess.run([str(teamflow), *path, "--help"], capture_output=True, text=True, env=env,
                           cwd=tmp_path, timeout=120)
        if r.returncode != 0 or "usage: teamflow" not in r.stdout:
            failures.append(f"teamflow {' '.join(path)} --help -> {r.returncode}: {r.stderr.strip()[-400:]}")
    assert not failures, "\n".join(failures)
    assert not Path(tmp_path, "var").exists(), "--help must not create state"
