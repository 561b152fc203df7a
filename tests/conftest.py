"""Fixtures shared by the whole suite."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

from calcml.jupyter_env import isolated_jupyter_env

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

__all__ = ["isolated_jupyter_env", "REPO", "BIN"]

# The plain-shell helpers (tests/plain_shell.py), loaded once as a plain module.
PLAIN_SHELL_MODULE = "calcml_plain_shell"
if PLAIN_SHELL_MODULE not in sys.modules:
    _spec = importlib.util.spec_from_file_location(
        PLAIN_SHELL_MODULE, Path(__file__).parent / "plain_shell.py"
    )
    _module = importlib.util.module_from_spec(_spec)
    sys.modules[PLAIN_SHELL_MODULE] = _module
    _spec.loader.exec_module(_module)


@pytest.fixture
def venv_on_path(monkeypatch) -> None:
    """The environment's commands first on PATH: nbgrader runs ``alembic`` by name for a new gradebook."""
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def jupyter_env(tmp_path_factory) -> dict[str, str]:
    return isolated_jupyter_env(tmp_path_factory.mktemp("jupyter-home"))


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session. Playwright's sync API keeps an event loop
    running in the main thread while it is open, so a second one (or ``asyncio.run``) cannot
    start beside it: every browser test shares this one."""
    if str(REPO) not in sys.path:  # tests/ is a namespace package under the repository root
        sys.path.insert(0, str(REPO))
    from tests.browser.lab import chromium_browser

    with chromium_browser() as chromium:
        yield chromium
