"""Fixtures shared by the whole suite."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from calcml.jupyter_env import isolated_jupyter_env

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

__all__ = ["isolated_jupyter_env", "REPO", "BIN"]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def jupyter_env(tmp_path_factory) -> dict[str, str]:
    return isolated_jupyter_env(tmp_path_factory.mktemp("jupyter-home"))
