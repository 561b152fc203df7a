"""Fixtures shared by the whole suite."""

from __future__ import annotations

import importlib.util
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


# With pytest-xdist (`make test` runs two workers) each test module stays on one worker, so its
# module fixtures (a graded cohort, a scratch course) are built once; the folders whose tests
# share one expensive session fixture (a JupyterLab server, a JupyterHub with its accounts) stay
# together on one worker too.
SHARED_SESSION_FOLDERS = {"browser": "lab-and-browser", "lab": "lab-and-browser", "hub": "hub"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("xdist_group"):
            continue
        parts = Path(item.path).relative_to(REPO / "tests").parts
        group = SHARED_SESSION_FOLDERS.get(parts[0]) if len(parts) > 1 else None
        item.add_marker(pytest.mark.xdist_group(group or "/".join(parts)))
