"""``make hub``: prepare the class (accounts, course copies, exchange) and run JupyterHub.

As root every roster member becomes a real local account (created when missing, home 0700); the
instructor gets a copy of this repository's course layout in ``~/<course id>`` and the exchange
gets nbgrader's permissions. Without root all servers run as the calling account: the whole flow
works, the isolation between students does not (it is printed). JupyterHub then runs in the
foreground; Ctrl-C stops it, its proxy and every single-user server.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import pwd
import secrets
import socket
import subprocess
import sys
from pathlib import Path

from . import accounts
from .roster import Member, RosterError, load_roster
from .settings import (
    DEFAULT_EXCHANGE,
    DEFAULT_STATE,
    SYSTEM_PATH,
    course_id_of,
    course_root_of,
)

REPO = Path(__file__).resolve().parents[2]
COURSE_LAYOUT = ("course", "source", "release")
# Appended to the instructor's copy of nbgrader_config.py: what the class server adds to the course.
HUB_COURSE_SETTINGS = """
# --- added by `make hub` for the class server ---
# A submission after the assignment's due date scores zero (nbgrader's late penalty plugin).
c.LateSubmissionPlugin.penalty_method = "zero"
"""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    root = os.geteuid() == 0
    env = os.environ
    p = argparse.ArgumentParser(prog="python -m calcml.hub", description=__doc__.split("\n")[0])
    p.add_argument("--port", type=int, default=int(env.get("HUB_PORT") or 8000))
    p.add_argument(
        "--roster", type=Path, default=Path(env["HUB_USERS"]) if env.get("HUB_USERS") else None
    )
    p.add_argument("--password", default=env.get("HUB_PASSWORD") or "")
    default_state = DEFAULT_STATE if root else str(REPO / ".hub-state")
    p.add_argument("--state-dir", type=Path, default=Path(env.get("HUB_STATE") or default_state))
    p.add_argument("--exchange", type=Path, default=None, help=f"[{DEFAULT_EXCHANGE}]")
    p.add_argument(
        "--api-port",
        type=int,
        default=int(env.get("HUB_API_PORT") or 0),
        help="the hub's internal API port [0: a free one, so two hubs never collide]",
    )
    p.add_argument(
        "--proxy-api-port",
        type=int,
        default=int(env.get("HUB_PROXY_API_PORT") or 0),
        help="the proxy's API port [0: a free one]",
    )
    p.add_argument(
        "--graders-group", default=None, help="local group of the instructors [formgrade-<course>]"
    )
    p.add_argument(
        "--prepare-only", action="store_true", help="set the class up, do not start the hub"
    )
    args = p.parse_args(argv)
    args.api_port = args.api_port or free_port()
    args.proxy_api_port = args.proxy_api_port or free_port()
    if args.exchange is None:
        ex = env.get("HUB_EXCHANGE")
        args.exchange = (
            Path(ex) if ex else (Path(DEFAULT_EXCHANGE) if root else args.state_dir / "exchange")
        )
    return args


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def home_of(member: Member, args: argparse.Namespace, local_accounts: bool) -> Path:
    if local_accounts:
        return Path(pwd.getpwnam(member.username).pw_dir)
    return args.state_dir / "homes" / member.username


def prepare_course_copy(
    instructor: str, home: Path, course: str, roster: list[Member], local: bool
) -> Path:
    """The instructor's course folder: a copy of the repository's layout, registered in a fresh
    gradebook (assignments generated, roster students imported); left alone when it exists."""
    root = course_root_of(home, course)
    marker = root / ".hub-prepared"
    if marker.exists():
        return root
    root.mkdir(parents=True, exist_ok=True)
    for folder in COURSE_LAYOUT:
        accounts.copy_owned(REPO / folder, root / folder, instructor if local else None)
    config = (REPO / "nbgrader_config.py").read_text() + HUB_COURSE_SETTINGS
    (root / "nbgrader_config.py").write_text(config)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "first_name", "last_name", "email"])
    for m in roster:
        if not m.is_instructor:
            writer.writerow([m.username, "", "", ""])
    (root / "students.csv").write_text(buffer.getvalue())
    if local:
        accounts.chown_tree(root, instructor)
    nbgrader = str(REPO / ".venv" / "bin" / "nbgrader")
    # nbgrader runs helpers (alembic) from PATH: the venv's, never one only root can execute.
    env = {**os.environ, "PYTHONWARNINGS": "ignore::DeprecationWarning"}
    env["PATH"] = f"{REPO / '.venv' / 'bin'}:{SYSTEM_PATH}"
    env.pop("JUPYTER_CONFIG_PATH", None)
    # one process for every assignment (nbgrader expands the wildcard): each start costs seconds
    steps = [[nbgrader, "generate_assignment", "ps*", "--force", "--log-level=ERROR"]]
    steps.append([nbgrader, "db", "student", "import", "students.csv", "--log-level=ERROR"])
    for step in steps:
        if local:
            done = accounts.run_as(instructor, step, cwd=root, env=env)
        else:
            done = subprocess.run(step, cwd=root, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(step[1:3])} failed in {root}:\n{done.stdout}{done.stderr}")
    marker.write_text("assignments generated and roster imported by make hub\n")
    if local:
        accounts.chown_tree(marker, instructor)
    return root


def check_runnable(user: str) -> None:
    """The account must be able to run the course's venv (a venv under /root would not be)."""
    probe = [str(REPO / ".venv" / "bin" / "python"), "-c", "import jupyterhub, nbgrader, calcml"]
    done = accounts.run_as(user, probe, cwd="/")
    if done.returncode != 0:
        raise SystemExit(
            f"account {user} cannot run {REPO / '.venv'} ({done.stderr.strip().splitlines()[-1:]}):"
            " the repository and its .venv must be readable by every account (make install builds"
            " the venv from /usr/bin/python3; check the folders' permissions above the checkout)"
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        roster = load_roster(args.roster)
    except RosterError as exc:
        print(f"make hub: {exc}", file=sys.stderr)
        return 2
    course = course_id_of(REPO)
    local = os.geteuid() == 0
    graders = args.graders_group or f"formgrade-{course}"
    instructors = accounts.instructors(roster)
    password = args.password or secrets.token_urlsafe(9)

    args.state_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(args.state_dir, 0o700)
    print(f"Course {course!r} from {REPO / 'nbgrader_config.py'}")
    if local:
        for m in roster:
            created = accounts.ensure_account(m.username)
            print(f"  account {m.username:<20} {m.role:<10} {'created' if created else 'exists'}")
        accounts.ensure_group(graders, instructors)
        for user in {instructors[0], *accounts.students(roster)[:1]}:
            check_runnable(user)
    else:
        print(
            "Not root: every user's server runs as this account, in its own folder under "
            f"{args.state_dir / 'homes'}.\n  Possible: the whole loop (release, fetch, submit, "
            "collect, grade, feedback).\n  Not possible: real accounts, so students are not "
            "isolated from each other and the owner check on collect is off. Run as root for that."
        )
        graders = None
    for m in roster:
        home = home_of(m, args, local)
        home.mkdir(parents=True, exist_ok=True)
        accounts.copy_owned(REPO / "course", home / "course", m.username if local else None)
    first = instructors[0]
    root = prepare_course_copy(
        first, home_of(Member(first, "instructor"), args, local), course, roster, local
    )
    print(f"  instructor course folder: {root}")
    if local:
        accounts.prepare_exchange(args.exchange, course, first, graders)
    else:
        (args.exchange / course).mkdir(parents=True, exist_ok=True)
        os.chmod(args.exchange, 0o777)
    print(f"  nbgrader exchange: {args.exchange}")

    env = dict(os.environ)
    env.update(
        CALCML_REPO=str(REPO),
        CALCML_COURSE_ID=course,
        HUB_PORT=str(args.port),
        HUB_API_PORT=str(args.api_port),
        HUB_PROXY_API_PORT=str(args.proxy_api_port),
        HUB_PASSWORD=password,
        HUB_EXCHANGE=str(args.exchange),
        HUB_STATE=str(args.state_dir),
        CALCML_HUB_LOCAL_ACCOUNTS="1" if local else "0",
        PATH=f"{REPO / 'deploy' / 'node_modules' / '.bin'}:{REPO / '.venv' / 'bin'}:{env.get('PATH', '')}",
    )
    if args.roster:
        env["HUB_USERS"] = str(args.roster.resolve())
    else:
        env.pop("HUB_USERS", None)
    print(
        f"\nOpen http://127.0.0.1:{args.port}/ and log in as {', '.join(m.username for m in roster)}"
    )
    print(
        f"Password (every user): {password}{'' if args.password else '   (generated; set HUB_PASSWORD to choose)'}"
    )
    print("Ctrl-C stops the hub and every server.\n", flush=True)
    if args.prepare_only:
        return 0
    python = str(REPO / ".venv" / "bin" / "python")
    os.chdir(args.state_dir)
    config = str(REPO / "deploy" / "jupyterhub_config.py")
    os.execve(python, [python, "-m", "calcml.serverapp", "hub", "-f", config], env)
    return 0  # not reached
