"""A real class hub for tests and benchmarks: ``python -m calcml.hub`` with throw-away accounts.

Every run gets its own account prefix, its own exchange and state folder (a temporary folder
every account can traverse) and its own free ports, so it never meets ``make hub`` or another
test run on the same machine; :meth:`ClassHub.stop` stops the hub and every server, and removes
the accounts, their homes and the instructors' group.
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from calcml.hub import accounts
from calcml.hub.settings import spawn_environment
from tests.browser.lab import LAB_SETTINGS, free_port

REPO = Path(__file__).resolve().parents[2]
COURSE = "calculus-for-ml"


class ClassHub:
    """The hub of one test run; ``students`` extra accounts named ``<prefix>load<NN>``."""

    def __init__(self, load_students: int = 0):
        self.prefix = "ch" + secrets.token_hex(2)
        self.instructor = f"{self.prefix}instructor"
        self.students = [f"{self.prefix}student{i}" for i in (1, 2, 3)]
        self.load_students = [f"{self.prefix}load{i:02d}" for i in range(1, load_students + 1)]
        self.graders_group = f"{self.prefix}graders"
        self.password = secrets.token_urlsafe(12)
        self.scratch = Path(tempfile.mkdtemp(prefix=f"calcml-hub-{self.prefix}-"))
        os.chmod(self.scratch, 0o755)
        self.exchange = self.scratch / "exchange"
        self.state = self.scratch / "state"
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = self.scratch / "hub.log"
        self.proc: subprocess.Popen | None = None

    @property
    def everyone(self) -> list[str]:
        return [self.instructor, *self.students, *self.load_students]

    @property
    def course_root(self) -> Path:
        return Path(pwd.getpwnam(self.instructor).pw_dir) / COURSE

    def home(self, user: str) -> Path:
        return Path(pwd.getpwnam(user).pw_dir)

    def __enter__(self) -> ClassHub:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self, timeout: float = 240.0) -> None:
        roster = self.scratch / "roster.csv"
        rows = [f"{self.instructor},instructor"] + [f"{s},student" for s in self.everyone[1:]]
        roster.write_text("username,role\n" + "\n".join(rows) + "\n")
        cmd = [
            sys.executable,
            "-m",
            "calcml.hub",
            f"--port={self.port}",
            f"--roster={roster}",
            f"--password={self.password}",
            f"--state-dir={self.state}",
            f"--exchange={self.exchange}",
            f"--graders-group={self.graders_group}",
        ]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "HUB_"))}
        log = open(self.log_path, "wb")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(
            cmd, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the hub exited early:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.base}/hub/api", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                pass
            time.sleep(0.5)
        else:
            raise TimeoutError(f"the hub did not answer within {timeout} s:\n{self.log_tail()}")
        for user in self.everyone:
            self._quiet_lab(user)

    def _quiet_lab(self, user: str) -> None:
        """The browser tests' Lab preferences (no news prompt, every cell in the DOM), written
        as the user's own settings, as a person would set them once."""
        settings = self.home(user) / ".jupyter" / "lab" / "user-settings"
        for rel, value in LAB_SETTINGS.items():
            target = settings / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(value))
        accounts.chown_tree(self.home(user) / ".jupyter", user)

    def log_tail(self, lines: int = 60) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def env_for(self, user: str, role: str) -> dict[str, str]:
        """The environment the user's server (and its terminals) has."""
        env = spawn_environment(REPO, role, COURSE, str(self.exchange))
        env.update(HOME=str(self.home(user)), USER=user, LOGNAME=user, LANG="C.UTF-8")
        if role == "instructor":
            env["CALCML_COURSE_ROOT"] = str(self.course_root)
        return env

    def run_as(self, user: str, args: list[str], role: str = "student", cwd=None, timeout=600):
        """A shell command as ``user``, with that user's server environment (never root's)."""
        return subprocess.run(
            [
                accounts.RUNUSER,
                "-u",
                user,
                "--",
                "env",
                "-i",
                *_pairs(self.env_for(user, role)),
                *args,
            ],
            cwd=cwd or self.home(user),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def instructor_run(self, args: list[str], timeout=600) -> subprocess.CompletedProcess:
        return self.run_as(
            self.instructor, args, role="instructor", cwd=self.course_root, timeout=timeout
        )

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # what Ctrl-C does: the hub stops every server
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        for user in self.everyone:
            accounts.remove_account(user)
        accounts.remove_group(self.graders_group)
        shutil.rmtree(self.scratch, ignore_errors=True)


def _pairs(env: dict[str, str]) -> list[str]:
    return [f"{k}={v}" for k, v in env.items()]


def server_pids(user: str) -> list[int]:
    """Process ids of ``user``'s single-user server (the benchmark measures their memory)."""
    found = subprocess.run(
        ["pgrep", "-u", user, "-f", "calcml.serverapp singleuser"], capture_output=True, text=True
    )
    return [int(p) for p in found.stdout.split()]
