"""A real JupyterLab server and a real headless Chromium, for tests and benchmarks.

The server runs on 127.0.0.1 with token auth in a scratch copy of the course, with every Jupyter,
IPython and matplotlib folder pointed into that scratch folder, so nothing touches the user's own
settings or the repository's notebooks. Chromium is Debian's (/usr/bin/chromium) driven by Python
playwright; no browser is ever downloaded.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from calcml.jupyter_env import isolated_jupyter_env

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]

# User settings for the test Lab: no news prompt, and every cell kept in the DOM so selectors see
# the whole notebook (Lab's windowing detaches cells that are scrolled out of view).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def scratch_environment(scratch: Path) -> dict[str, str]:
    env = isolated_jupyter_env(scratch)
    env["HOME"] = str(scratch / "home")
    (scratch / "home").mkdir(parents=True, exist_ok=True)
    settings = scratch / "jupyter-config" / "lab" / "user-settings"
    env["JUPYTERLAB_SETTINGS_DIR"] = str(settings)
    for rel, value in LAB_SETTINGS.items():
        target = settings / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(value))
    return env


class LabServer:
    """``jupyter lab`` in its own process group, serving ``root``."""

    def __init__(self, root: Path, scratch: Path):
        self.root = root
        self.scratch = scratch
        self.port = free_port()
        self.token = secrets.token_hex(16)
        self.env = scratch_environment(scratch)
        self.log_path = scratch / "lab.log"
        self.proc: subprocess.Popen | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return f"{self.base_url}/lab/tree/{path}?reset&token={self.token}"

    def start(self, timeout: float = 60.0) -> None:
        cmd = [
            sys.executable,  # as make lab starts it (calcml.lab)
            "-m",
            "calcml.serverapp",
            "lab",
            "--no-browser",
            "--allow-root",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            f"--IdentityProvider.token={self.token}",
            "--LabApp.expose_app_in_browser=True",
            f"--ServerApp.root_dir={self.root}",
            "--ServerApp.open_browser=False",
        ]
        log = open(self.log_path, "wb")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            cmd,
            cwd=self.root,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        status = f"{self.base_url}/api/status?token={self.token}"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"JupyterLab exited early; see {self.log_path}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(status, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"JupyterLab did not answer within {timeout} s; see {self.log_path}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        """Shut the server and every kernel it started down, whatever state they are in."""
        if self.proc is None:
            return
        try:
            request = urllib.request.Request(
                f"{self.base_url}/api/shutdown?token={self.token}", method="POST"
            )
            urllib.request.urlopen(request, timeout=5).close()
            self.proc.wait(timeout=15)
        except Exception:
            pass
        for sig in (signal.SIGTERM, signal.SIGKILL):
            if self.proc.poll() is None:
                try:
                    os.killpg(self.proc.pid, sig)
                    self.proc.wait(timeout=10)
                except (ProcessLookupError, subprocess.TimeoutExpired):
                    pass
        # kernels are started in the server's process group, but make sure none survived
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def make_scratch_course(scratch: Path, folders=("course", "release")) -> Path:
    """Copy what the browser sees into a scratch root, leaving the repository untouched."""
    root = scratch / "root"
    root.mkdir(parents=True, exist_ok=True)
    for folder in folders:
        src = REPO / folder
        if src.exists():
            shutil.copytree(src, root / folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    for name in ("nbgrader_config.py",):
        if (REPO / name).exists():
            shutil.copy2(REPO / name, root / name)
    return root


@contextmanager
def chromium_browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


# --- JavaScript run in the page ------------------------------------------------------------------

# State of the notebook that is visible now: kernel status and how many cells are still queued.
JS_NOTEBOOK_STATE = """() => {
  const app = window.jupyterapp;
  if (!app) return {ready: false, why: 'no app'};
  const panel = app.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext) return {ready: false, why: 'no notebook'};
  const session = panel.sessionContext.session;
  const kernel = session && session.kernel;
  const cells = panel.content.widgets;
  let pending = 0, unexecuted = 0;
  for (const cell of cells) {
    if (cell.model.type !== 'code') continue;
    const count = cell.model.executionCount;
    if (cell.promptNode && cell.promptNode.textContent.includes('*')) pending += 1;
    if (count === null && cell.model.sharedModel.getSource().trim()) unexecuted += 1;
  }
  return {
    ready: panel.context.isReady && !!kernel,
    status: kernel ? kernel.status : 'none',
    busy: panel.sessionContext.kernelDisplayStatus,
    pending, unexecuted, cells: cells.length,
  };
}"""
