"""Local accounts, homes and the exchange of a class server (run as root).

Every member of the roster is a real account so that file permissions mean something: homes are
0700 (Debian's ``useradd -m`` makes them 0755, readable by every other student), and the
instructors share a group that owns ``inbound/`` in the exchange.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import subprocess
from pathlib import Path

from .roster import Member
from .settings import SYSTEM_PATH

RUNUSER = shutil.which("runuser", path=SYSTEM_PATH) or "runuser"


def run_as(user: str, args: list[str], **kwargs) -> subprocess.CompletedProcess:
    """Run ``args`` as ``user`` (root only), with that user's HOME, capturing the output."""
    home = pwd.getpwnam(user).pw_dir
    env = dict(kwargs.pop("env", None) or os.environ)
    env.update(HOME=home, USER=user, LOGNAME=user)
    return subprocess.run(
        [RUNUSER, "-u", user, "--", *args],
        env=env,
        capture_output=True,
        text=True,
        **kwargs,
    )


def account_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def ensure_account(name: str) -> bool:
    """Create the account (home 0700, bash) unless it exists; True when it was created."""
    created = False
    if not account_exists(name):
        subprocess.run(["useradd", "-m", "-U", "-s", "/bin/bash", name], check=True)
        created = True
    home = Path(pwd.getpwnam(name).pw_dir)
    home.mkdir(parents=True, exist_ok=True)
    info = pwd.getpwnam(name)
    os.chown(home, info.pw_uid, info.pw_gid)
    os.chmod(home, 0o700)
    return created


def ensure_group(group: str, members: list[str]) -> None:
    """A local group holding exactly ``members`` (the instructors)."""
    try:
        grp.getgrnam(group)
    except KeyError:
        subprocess.run(["groupadd", group], check=True)
    subprocess.run(["gpasswd", "-M", ",".join(members), group], check=True, capture_output=True)


def remove_account(name: str) -> None:
    """Delete the account, its home and its processes (tests clean up with this)."""
    if account_exists(name):
        subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
        subprocess.run(["userdel", "-r", "-f", name], capture_output=True)
    try:
        grp.getgrnam(name)
        subprocess.run(["groupdel", name], capture_output=True)
    except KeyError:
        pass


def remove_group(group: str) -> None:
    try:
        grp.getgrnam(group)
    except KeyError:
        return
    subprocess.run(["groupdel", group], capture_output=True)


def copy_owned(src: Path, dest: Path, owner: str | None) -> bool:
    """Copy ``src`` to ``dest`` (owned by ``owner`` unless None) unless ``dest`` exists: a
    student's or instructor's work is never overwritten."""
    if dest.exists():
        return False
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    if owner is not None:
        chown_tree(dest, owner)
    return True


def chown_tree(path: Path, owner: str) -> None:
    info = pwd.getpwnam(owner)
    for folder, dirs, files in os.walk(path):
        for name in [folder, *(os.path.join(folder, d) for d in dirs)] + [
            os.path.join(folder, f) for f in files
        ]:
            os.lchown(name, info.pw_uid, info.pw_gid)


def prepare_exchange(exchange: Path, course: str, owner: str, graders_group: str) -> None:
    """nbgrader's documented exchange: the root 0777 (every student writes to it), the course
    folder and ``outbound/`` 0755 owned by the instructor, ``inbound/`` 0733 plus set-gid to the
    instructors' group (submissions inherit it) and sticky (nobody renames or deletes another's
    folder), ``feedback/`` 0711 (readable only by exact, secret name)."""
    exchange.mkdir(parents=True, exist_ok=True)
    os.chmod(exchange, 0o777)
    info = pwd.getpwnam(owner)
    gid = grp.getgrnam(graders_group).gr_gid
    modes = {"": 0o755, "outbound": 0o755, "inbound": 0o3733, "feedback": 0o711}
    for sub, mode in modes.items():
        path = exchange / course / sub if sub else exchange / course
        path.mkdir(exist_ok=True)
        os.chown(path, info.pw_uid, gid)
        os.chmod(path, mode)


def students(roster: list[Member]) -> list[str]:
    return [m.username for m in roster if not m.is_instructor]


def instructors(roster: list[Member]) -> list[str]:
    return [m.username for m in roster if m.is_instructor]
