"""The course's environment for the programs our commands start.

The venv need never be activated: ``.venv/bin/python -m autograder ...`` works from a plain shell
because the folder of the running interpreter goes first on ``PATH`` before anything else starts.
nbgrader runs ``alembic`` by name when it creates a gradebook, and a student's terminal or a kernel
must find the course's ``python``, ``jupyter`` and ``nbgrader`` rather than the machine's.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping
from pathlib import Path

from traitlets.config import Config


def skip_iri_grammar() -> None:
    """Make jsonschema's optional import of ``rfc3987_syntax`` fail, as if it were not installed.

    jsonschema imports it (jupyter-events pulls it in) only to offer the ``iri`` string formats,
    and it builds an Earley grammar for RFC 3987 on import: 2.3 of the 4.1 CPU-s of a Lab start
    on 2 cores, about 0.75 s of every grader command's. No schema of nbformat, nbgrader, Jupyter
    Server, jupyter_events or JupyterLab uses those formats. Call before jsonschema is imported.
    """
    sys.modules.setdefault("rfc3987_syntax", None)


def skip_unused_format_checkers() -> None:
    """Make jsonschema's optional imports for the ``duration`` and ``uri`` formats fail too.

    For the grader's commands only (not for Lab: jupyter_events checks formats). Formats are
    checked only when a validator is given a format checker, and neither nbformat nor nbgrader
    gives one; isoduration (with arrow) and rfc3986_validator cost about 65 ms of each start-up.
    Call before jsonschema is imported.
    """
    for name in ("isoduration", "rfc3986_validator"):
        sys.modules.setdefault(name, None)


def interpreter_bin() -> Path:
    """The folder of the running interpreter as it was started (a venv's ``bin``, not resolved)."""
    return Path(sys.executable).parent


def put_interpreter_on_path(environ: MutableMapping[str, str] | None = None) -> None:
    """Put :func:`interpreter_bin` first on ``PATH`` in ``environ`` (default: ``os.environ``).

    Inside a venv, ``VIRTUAL_ENV`` is set too, as ``activate`` would, so that tools which look at it
    (pip, Lab's terminals, prompts) see the course's environment.
    """
    environ = os.environ if environ is None else environ
    bin_dir = str(interpreter_bin())
    parts = [p for p in environ.get("PATH", "").split(os.pathsep) if p and p != bin_dir]
    environ["PATH"] = os.pathsep.join([bin_dir, *parts])
    if sys.prefix != sys.base_prefix:
        environ["VIRTUAL_ENV"] = sys.prefix


def ipc_kernel_config(folder: Path) -> Config:
    """Configuration for a kernel of our own tools that talks over ``ipc`` sockets in ``folder``.

    ipykernel warns on every start of a kernel over TCP without CurveZMQ keys that its traffic
    could be read by others on the machine. A kernel that our tools start and stop themselves
    (``validate``, ``make book``) needs no TCP at all: Unix sockets in a private folder (mode 0700
    from :func:`tempfile.mkdtemp`) are reachable only by their owner, and the warning does not apply.
    """
    config = Config()
    config.KernelManager.transport = "ipc"
    config.KernelManager.ip = str(Path(folder) / "kernel")
    return config
