"""What `make` would run (``make -n``, nothing executed): a student's set-up stays lean.

`make lab` and `make install` install the course and what it needs to run; only the targets for
developers (`make test`, `lint`, `book`, ...) add the test, lint, book and cluster extras. pyproject.toml's
licence is the SPDX string setuptools >= 77 wants, so installing prints no deprecation box.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

REPO = Path(__file__).resolve().parent.parent


def dry_run(target: str, venv: Path) -> str:
    done = subprocess.run(
        ["make", "-n", "--no-print-directory", target, f"VENV={venv}"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("target", ["lab", "install", "release", "validate"])
def test_student_targets_install_no_test_or_book_extras(target, tmp_path):
    commands = dry_run(target, tmp_path / "fresh-venv")
    assert "pip install --quiet -e ." in commands
    assert "[test" not in commands and "book]" not in commands


@pytest.mark.parametrize("target", ["test", "test-fast", "lint", "book"])
def test_developer_targets_add_the_extras(target, tmp_path):
    assert "-e '.[test,book,cluster]'" in dry_run(target, tmp_path / "fresh-venv")


def test_licence_is_an_spdx_expression_for_modern_setuptools():
    with (REPO / "pyproject.toml").open("rb") as fh:
        pyproject = tomllib.load(fh)
    assert isinstance(pyproject["project"]["license"], str)  # a table is deprecated
    assert "setuptools>=77" in pyproject["build-system"]["requires"]
