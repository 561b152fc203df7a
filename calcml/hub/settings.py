"""Where things live on a class server, shared by the launcher and ``deploy/jupyterhub_config.py``."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_EXCHANGE = "/srv/nbgrader/exchange"
DEFAULT_STATE = "/srv/calcml-hub"
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def course_id_of(repo: Path) -> str:
    """``CourseDirectory.course_id`` of the checkout's ``nbgrader_config.py``."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(repo)).load_config()
    course = config.CourseDirectory.get("course_id")
    if not course:
        raise ValueError(f"{repo / 'nbgrader_config.py'}: CourseDirectory.course_id is not set")
    return str(course)


def course_root_of(home: Path, course: str) -> Path:
    """The instructor's copy of the course: a folder named after the course in their home."""
    return Path(home) / course


def spawn_environment(repo: Path, role: str, course: str, exchange: str | None) -> dict[str, str]:
    """Environment of a single-user server: the course's venv first on PATH (terminals too), the
    role's configuration folder (``deploy/instructor`` or ``deploy/student``), the exchange."""
    venv_bin = Path(repo) / ".venv" / "bin"
    return {
        "PATH": f"{venv_bin}:{SYSTEM_PATH}",
        "JUPYTER_CONFIG_PATH": str(Path(repo) / "deploy" / role),
        "CALCML_COURSE_ID": course,
        "HUB_EXCHANGE": exchange or DEFAULT_EXCHANGE,
        "CALCML_HUB_LOCAL_ACCOUNTS": os.environ.get("CALCML_HUB_LOCAL_ACCOUNTS", "1"),
        "PYTHONWARNINGS": "ignore::DeprecationWarning",
    }
