"""Private Jupyter, IPython and matplotlib folders for tools that start kernels or servers.

Test runs, the book build and the graders start kernels; pointing every configuration folder into
a scratch directory keeps them from reading or changing the user's own settings.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

_FOLDERS = (
    ("JUPYTER_CONFIG_DIR", "jupyter-config"),
    ("JUPYTER_RUNTIME_DIR", "jupyter-runtime"),
    ("IPYTHONDIR", "ipython"),
    ("MPLCONFIGDIR", "mpl"),
)


def isolated_jupyter_env(scratch: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """A copy of ``base`` (default: ``os.environ``) with Jupyter's folders inside ``scratch``.

    The interpreter's ``bin`` folder goes first on ``PATH`` so ``jupyter``/``nbgrader`` resolve to
    this environment's, and DeprecationWarnings are silenced so they never reach a cell's stderr.
    """
    env = dict(os.environ if base is None else base)
    for name, sub in _FOLDERS:
        path = Path(scratch) / sub
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONWARNINGS"] = "ignore::DeprecationWarning"
    return env
