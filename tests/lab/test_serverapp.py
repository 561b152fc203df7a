"""The servers start through calcml.serverapp (make lab, the class hub and its single-user
servers) without building jsonschema's RFC 3987 grammar, and otherwise as Jupyter's own commands."""

from __future__ import annotations

import subprocess
import sys

import pytest

from calcml.lab import lab_command


def imported_modules(args: list[str]) -> tuple[subprocess.CompletedProcess, set[str]]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "calcml.serverapp", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    names = {
        line.rsplit("|", 1)[1].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }
    return done, names


@pytest.mark.parametrize(
    ("app", "version_of"),
    [("lab", "jupyterlab"), ("singleuser", "jupyterhub"), ("hub", "jupyterhub")],
)
def test_each_app_starts_as_its_own_command_without_the_iri_grammar(app, version_of):
    import importlib.metadata

    done, names = imported_modules([app, "--version"])
    assert done.returncode == 0, done.stderr[-2000:]
    assert importlib.metadata.version(version_of) in done.stdout
    assert "jsonschema" in names  # the server's event schemas are still validated
    assert "lark" not in names  # the parser generator rfc3987_syntax builds its grammar with


def test_an_unknown_app_is_refused_with_the_usage():
    done = subprocess.run(
        [sys.executable, "-m", "calcml.serverapp", "notebook"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "lab|singleuser|hub" in done.stderr


def test_make_lab_starts_lab_through_it():
    assert lab_command()[1:4] == ["-m", "calcml.serverapp", "lab"]
