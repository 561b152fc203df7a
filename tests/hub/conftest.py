"""One class hub (real accounts, exchange, ports) for every test of tests/hub/, removed after."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# tests/ is no package: make `tests.browser` (the Lab test helpers) importable, as benchmarks/ do
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


from .classhub import ClassHub  # noqa: E402

LOAD_STUDENTS = int(os.environ.get("CALCML_HUB_LOAD_STUDENTS", "30"))


@pytest.fixture(scope="session")
def hub():
    if os.geteuid() != 0:
        pytest.skip("the class hub needs root: it creates real accounts (run make test as root)")
    with ClassHub(load_students=LOAD_STUDENTS) as class_hub:
        yield class_hub


@pytest.fixture(scope="session")
def hub_browser(browser):
    return browser  # the session's one Chromium (tests/conftest.py)
