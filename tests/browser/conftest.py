"""One JupyterLab server and one Chromium for the whole browser suite, always stopped at the end."""

from __future__ import annotations

import re
import time

import pytest

from .lab import ARTIFACTS, JS_NOTEBOOK_STATE, LabServer, make_scratch_course


@pytest.fixture(scope="session")
def lab(tmp_path_factory):
    scratch = tmp_path_factory.mktemp("lab")
    root = make_scratch_course(scratch)
    server = LabServer(root, scratch)
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def page(browser, lab, request):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    page = context.new_page()
    console_errors: list[str] = []
    page.on("pageerror", lambda exc: console_errors.append(str(exc)))
    page.console_errors = console_errors
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    try:
        page.screenshot(path=str(ARTIFACTS / f"{name}-final.png"))
        # shut the notebook's kernel down so kernels never pile up across tests
        page.evaluate(
            "() => { const p = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
            " return p && p.sessionContext ? p.sessionContext.shutdown() : null; }"
        )
    except Exception:
        pass
    context.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def open_notebook(page, lab: LabServer, path: str, timeout: float = 90.0) -> None:
    """Open ``path`` in Lab and wait until its kernel is ready and idle."""
    page.goto(lab.url(path))
    page.wait_for_function(
        "() => { const p = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
        " return !!(p && p.sessionContext && p.content); }",
        timeout=timeout * 1000,
    )
    wait_for_state(
        page, lambda s: s.get("ready") and s.get("status") == "idle", timeout, "kernel idle"
    )


def wait_for_state(page, predicate, timeout: float, what: str) -> dict:
    deadline = time.monotonic() + timeout
    state: dict = {}
    while time.monotonic() < deadline:
        state = page.evaluate(JS_NOTEBOOK_STATE)
        if predicate(state):
            return state
        page.wait_for_timeout(200)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}; last state {state}")


def run_all_and_wait(page, timeout: float = 120.0) -> dict:
    """Run All Cells from the Run menu, as a student would, and wait for the kernel to finish."""
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()
    return wait_for_state(
        page,
        lambda s: s.get("status") == "idle" and s["pending"] == 0 and s["unexecuted"] == 0,
        timeout,
        "every cell to run",
    )
