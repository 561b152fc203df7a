"""Run the course's commands as a newcomer does: a shell where nothing is activated.

Loaded once by ``tests/conftest.py`` as the module ``calcml_plain_shell`` (a plain file, not a
package, like the other shared test helpers). Used by the README test and the Lab terminal test.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

#: The system's PATH alone: no venv, no pyenv shims, no ~/.local/bin.
PLAIN_PATH = "/usr/bin:/bin"
TOKEN = "calcml-plain-shell-test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def plain_environment(scratch: Path) -> dict[str, str]:
    """A minimal environment: system PATH, a scratch HOME and Jupyter folders, a free PORT.

    ``PORT`` is what ``make lab`` reads; ``JUPYTER_TOKEN`` is the token any Lab started with it
    expects, so a test can talk to the server.
    """
    home = scratch / "home"
    home.mkdir(parents=True, exist_ok=True)
    return {
        "HOME": str(home),
        "PATH": PLAIN_PATH,
        "LANG": "C.UTF-8",
        "PORT": str(free_port()),
        "JUPYTER_TOKEN": TOKEN,
        "JUPYTER_CONFIG_DIR": str(scratch / "jupyter-config"),
        "JUPYTER_DATA_DIR": str(scratch / "jupyter-data"),
        "JUPYTER_RUNTIME_DIR": str(scratch / "jupyter-runtime"),
        "IPYTHONDIR": str(scratch / "ipython"),
        "MPLCONFIGDIR": str(scratch / "matplotlib"),
    }


def server_api(port: int, path: str, method: str = "GET") -> dict:
    """One authenticated call to the Jupyter server's REST API."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", method=method, headers={"Authorization": f"token {TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}")


@contextmanager
def jupyter_server(
    command: Sequence[str], cwd: Path, env: dict[str, str], log: Path, timeout: float = 180
) -> Iterator[int]:
    """Start ``command`` (e.g. ``make lab``), yield its port once the server answers, then stop it.

    The command runs in its own session so that stopping it stops everything it started (make,
    the server, its kernels and terminals).
    """
    port = int(env["PORT"])
    with log.open("wb") as sink:
        server = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    if server_api(port, "/api/status").get("started"):
                        break
                except OSError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(
                        f"{' '.join(command)}: no Jupyter server on port {port}:\n"
                        f"{log.read_text(errors='replace')[-3000:]}"
                    )
                time.sleep(0.3)
            yield port
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
