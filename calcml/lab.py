"""``python -m calcml.lab [JUPYTER LAB OPTIONS]``: the course in JupyterLab (what ``make lab`` runs).

Lab is served from the current folder (the course root), opens on the welcome notebook, and runs in
the course's environment without anyone activating it: the interpreter's folder goes first on
``PATH`` (kernels, and the programs they start, see the course's ``python``), and every terminal
Lab opens is a bash that reads the user's usual start-up files and then puts the course's
environment first again (``lab_terminal.bashrc``), so ``python -m autograder selfcheck ...``, as
the welcome notebook says, works in a Lab terminal. Tests start Lab through :func:`lab_command` so
they check the very command ``make lab`` runs.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path

from autograder.environment import interpreter_bin, put_interpreter_on_path

TERMINAL_RC = Path(__file__).with_name("lab_terminal.bashrc")
WELCOME = "/lab/tree/course/00-welcome.ipynb"


def terminal_shell() -> list[str]:
    """The command of a Lab terminal: an interactive bash that ends with the course first on PATH."""
    bash = shutil.which("bash") or "/bin/bash"
    return [bash, "--rcfile", str(TERMINAL_RC), "-i"]


def lab_command(options: Sequence[str] = (), root: Path | None = None) -> list[str]:
    """The ``jupyter lab`` command line for the course in ``root`` (default: the current folder)."""
    root = Path(root or os.getcwd()).resolve()
    settings = json.dumps(terminal_shell())
    return [
        sys.executable,
        "-m",
        "calcml.serverapp",
        "lab",
        f"--ServerApp.root_dir={root}",
        f"--LabApp.default_url={WELCOME}",
        f"--ServerApp.terminado_settings=shell_command={settings}",
        *options,
    ]


def lab_environment(environ: dict[str, str] | None = None) -> dict[str, str]:
    """``environ`` (default: this process's) with the course's environment first on PATH."""
    env = dict(os.environ if environ is None else environ)
    put_interpreter_on_path(env)
    env["CALCML_ENV_BIN"] = str(interpreter_bin())
    return env


def main(argv: Sequence[str] | None = None) -> None:
    options = list(sys.argv[1:] if argv is None else argv)
    command = lab_command(options)
    os.execve(command[0], command, lab_environment())


if __name__ == "__main__":
    main()
