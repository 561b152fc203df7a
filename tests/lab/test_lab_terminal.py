"""A terminal that `make lab` opens runs the course's python, whatever the user's shell set-up.

The test starts Lab exactly as a self-learner does, `make lab`, from a plain shell (the venv is not
on PATH, nothing activated) and with a home folder whose `.bashrc` puts the system's python first
(as `pyenv init` or conda's hook would). It opens a terminal through the server's REST API, types
into it over the terminal websocket and reads what comes back, as Lab's Terminal tab does, and it
runs there the self-check command the welcome notebook gives.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from calcml_plain_shell import TOKEN, jupyter_server, plain_environment, server_api

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    scratch = tmp_path_factory.mktemp("lab-terminal")
    env = plain_environment(scratch)
    env["VENV"] = sys.prefix  # `make lab` of the venv these tests run in (the default: .venv)
    # What pyenv's or conda's start-up lines amount to: another python in front of everything.
    (Path(env["HOME"]) / ".bashrc").write_text('export PATH="/usr/bin:$PATH"\n')
    command = ["make", "--no-print-directory", "lab"]
    with jupyter_server(command, REPO, env, scratch / "lab.log", timeout=120) as port:
        yield port


async def _type_into_terminal(port: int, name: str, commands: str, timeout: float) -> str:
    from tornado.websocket import websocket_connect

    socket_url = f"ws://127.0.0.1:{port}/terminals/websocket/{name}?token={TOKEN}"
    connection = await websocket_connect(socket_url)
    # The marker is printed by the shell (an arithmetic expansion), so its echo does not count.
    await connection.write_message(json.dumps(["stdin", f"{commands}; echo END-OF-$((6*7))\r"]))
    output = ""
    deadline = time.monotonic() + timeout
    while "END-OF-42" not in output:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"the terminal did not finish in {timeout} s:\n{output}")
        message = await asyncio.wait_for(connection.read_message(), left)
        if message is None:
            raise AssertionError(f"the terminal closed:\n{output}")
        kind, *payload = json.loads(message)
        if kind == "stdout":
            output += payload[0]
    connection.close()
    return output


def in_terminal(port: int, commands: str, timeout: float = 120) -> str:
    name = server_api(port, "/api/terminals", method="POST")["name"]
    try:
        # In a thread of its own: a session-wide Playwright keeps a loop running in this one.
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(
                asyncio.run, _type_into_terminal(port, name, commands, timeout)
            ).result()
    finally:
        server_api(port, f"/api/terminals/{name}", method="DELETE")


def notebook_commands() -> set[str]:
    """The ``python -m autograder COMMAND`` subcommands the course's notebooks tell students to run."""
    found = set()
    for notebook in [*REPO.glob("course/*.ipynb"), *REPO.glob("source/*/*.ipynb")]:
        for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
            found.update(re.findall(r"python -m autograder (\w+)", "".join(cell["source"])))
    return found


def test_a_lab_terminal_runs_the_course_interpreter(lab):
    commands = notebook_commands()
    assert {"selfcheck", "validate"} <= commands
    checks = "; ".join(
        f"python -m autograder {name} --help >/dev/null && echo works:{name}"
        for name in sorted(commands)
    )
    output = in_terminal(
        lab,
        f"python -c 'import sys; print(\"prefix=\" + sys.prefix)'; {checks}; pwd; which nbgrader",
    )
    assert f"prefix={sys.prefix}\r" in output  # the venv the tests run in: the course's
    for name in commands:
        assert f"\nworks:{name}\r" in output, f"python -m autograder {name}:\n{output}"
    assert f"\n{REPO}\r" in output  # the terminal opens in the course folder
    assert f"\n{Path(sys.prefix) / 'bin' / 'nbgrader'}\r" in output


def test_the_welcome_notebooks_selfcheck_command_works_in_a_lab_terminal(lab):
    welcome = json.loads((REPO / "course" / "00-welcome.ipynb").read_text(encoding="utf-8"))
    text = "".join("".join(cell["source"]) for cell in welcome["cells"])
    command = "python -m autograder selfcheck ps1_derivatives"
    assert f"```bash\n{command}\n```" in text  # the command exactly as the notebook gives it

    output = in_terminal(lab, f"{command}; echo exit=$?", timeout=240)

    assert "Score: " in output and "/ 15" in output
    assert "exit=0" in output or "exit=1" in output
    assert "Traceback" not in output and "ModuleNotFoundError" not in output
