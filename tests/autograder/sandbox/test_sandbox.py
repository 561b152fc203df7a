"""The grading sandbox, tested with real processes (no mocks).

A fake course tree is laid out in a temporary folder (source/, gradebook.db, nbgrader_config.py,
another student's submission); the sandboxed code runs in one student's folder and tries to escape.
"""

from __future__ import annotations

import os
import pwd
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import uuid
from pathlib import Path

import pytest

from autograder import sandbox
from autograder.sandbox import (
    BUBBLEWRAP,
    RLIMITS,
    Limits,
    cgroups,
    isolation_method,
    kill_sandbox,
    policy,
    run_sandboxed,
    sandbox_command,
    submission_env,
)

REPO = Path(__file__).resolve().parents[3]


def needs_bwrap(test):
    """Marks a test that exercises bubblewrap. `make test` installs it, so such tests never skip:
    a machine where bubblewrap does not work fails ``test_bubblewrap_works_here`` and them."""
    return test


def test_bubblewrap_works_here():
    assert isolation_method() == BUBBLEWRAP, (
        "bubblewrap is missing or cannot create namespaces here; `make system-deps` installs it"
    )


@pytest.fixture
def course(tmp_path: Path) -> dict[str, Path]:
    root = tmp_path / "course"
    (root / "source" / "ps1").mkdir(parents=True)
    (root / "source" / "ps1" / "ps1.ipynb").write_text('{"secret": "expected = 42"}')
    (root / "gradebook.db").write_bytes(b"SQLite format 3\x00")
    (root / "nbgrader_config.py").write_text("c = get_config()\n")
    (root / "submitted" / "s02" / "ps1").mkdir(parents=True)
    (root / "submitted" / "s02" / "ps1" / "ps1.ipynb").write_text("{}")
    workdir = root / "autograded" / "s01" / "ps1"
    workdir.mkdir(parents=True)
    return {"root": root, "workdir": workdir}


def run_python(code: str, workdir: Path, *args: str, timeout: float = 30, **kw):
    return run_sandboxed(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        workdir=workdir,
        timeout=timeout,
        **kw,
    )


def marked_processes(marker: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if marker.encode() in cmdline:
                found.append(int(entry))
    return found


def wait_until_gone(marker: str, seconds: float = 5.0) -> list[int]:
    deadline = time.monotonic() + seconds
    while True:
        left = marked_processes(marker)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.02)


@pytest.fixture
def tcp_server():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


CONNECT = """
    import socket, sys
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=3).close()
        print("connected")
    except OSError as error:
        print("refused", type(error).__name__)
    try:
        socket.getaddrinfo("pypi.org", 443)
        print("resolved")
    except OSError as error:
        print("dns-failed", type(error).__name__)
"""


@needs_bwrap
def test_network_is_unreachable(course, tcp_server):
    result = run_python(CONNECT, course["workdir"], str(tcp_server))
    assert result.isolation == BUBBLEWRAP
    assert result.returncode == 0, result.stderr
    assert b"refused" in result.stdout and b"connected" not in result.stdout
    assert b"dns-failed" in result.stdout and b"resolved" not in result.stdout


@needs_bwrap
def test_network_can_be_granted(course, tcp_server):
    result = run_python(CONNECT, course["workdir"], str(tcp_server), network=True)
    assert b"connected" in result.stdout, result.stderr


ESCAPE = """
    import json, os, sys
    root, other = sys.argv[1], sys.argv[2]
    targets = {
        "source": os.path.join(root, "source", "ps1", "ps1.ipynb"),
        "source-relative": "../../../source/ps1/ps1.ipynb",
        "gradebook": os.path.join(root, "gradebook.db"),
        "config": os.path.join(root, "nbgrader_config.py"),
        "sibling": os.path.join(root, "submitted", "s02", "ps1", "ps1.ipynb"),
        "repo-config": os.path.join(other, "nbgrader_config.py"),
        "repo-autograder": os.path.join(other, "autograder", "sandbox", "command.py"),
        "home": os.path.expanduser("~root/.bashrc"),
    }
    report = {}
    for name in ("source", "submitted/s02", ""):
        try:
            report["list:" + name] = sorted(os.listdir(os.path.join(root, name)))
        except OSError as error:
            report["list:" + name] = type(error).__name__
    for name, path in targets.items():
        try:
            with open(path, "rb") as handle:
                handle.read()
            report[name + ":read"] = "ok"
        except OSError as error:
            report[name + ":read"] = type(error).__name__
        try:
            with open(path, "ab") as handle:
                handle.write(b"pwned")
            report[name + ":write"] = "ok"
        except OSError as error:
            report[name + ":write"] = type(error).__name__
    with open("answer.txt", "w") as handle:
        handle.write("written inside")
    try:
        import autograder.sandbox  # noqa: F401
        report["import-autograder"] = "ok"
    except ImportError:
        report["import-autograder"] = "ImportError"
    try:
        from calcml.plots import derivatives  # noqa: F401
        report["import-calcml"] = "ok"
    except ImportError:
        report["import-calcml"] = "ImportError"
    print(json.dumps(report))
"""


@needs_bwrap
def test_course_tree_is_invisible_and_workdir_is_writable(course):
    root = course["root"]
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    result = run_python(ESCAPE, course["workdir"], str(root), str(REPO))
    assert result.returncode == 0, result.stderr
    import json

    report = json.loads(result.stdout)
    for key, value in report.items():
        if key.endswith(":read"):
            assert value != "ok", f"sandboxed code could {key}"
    # A write may only land in the sandbox's private, throw-away /tmp: the real files are untouched
    # and no new file appears in the course tree (checked below).
    assert report["list:source"] == "FileNotFoundError"
    assert report["list:submitted/s02"] == "FileNotFoundError"
    assert report["list:"] == ["autograded"]
    assert report["import-autograder"] == "ImportError"
    # The teaching package's chapter helpers would hand a submission ready-made answers.
    assert report["import-calcml"] == "ImportError"
    assert (course["workdir"] / "answer.txt").read_text() == "written inside"
    after = {p: p.read_bytes() for p in root.rglob("*") if p.is_file() and p.name != "answer.txt"}
    assert after == before


@needs_bwrap
def test_fork_bomb_is_stopped_by_the_process_limit(course):
    marker = f"forkbomb-{uuid.uuid4().hex}"
    code = """
        import os, sys, time
        children = 0
        try:
            for _ in range(1000):
                pid = os.fork()
                if pid == 0:
                    os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(60)", sys.argv[1]])
                children += 1
            print("unbounded", children)
        except OSError as error:
            print("stopped", children, type(error).__name__)
    """
    result = run_python(
        code, course["workdir"], marker, timeout=60, limits=Limits(max_processes=20)
    )
    words = result.stdout.split()
    assert words[0] == b"stopped", (result.stdout, result.stderr)
    assert int(words[1]) < 20
    assert wait_until_gone(marker) == []


@pytest.mark.parametrize("isolation", [BUBBLEWRAP, RLIMITS])
def test_memory_limit_raises_memory_error(course, isolation, monkeypatch):
    # The fallback may have to run this Python as root here (see the tests of the fallback user).
    monkeypatch.setenv("CALCML_SANDBOX_ALLOW_ROOT", "1")
    code = """
        small = bytearray(64 * 1024**2)
        print("small-ok", len(small))
        try:
            big = bytearray(3 * 1024**3)
            print("allocated", len(big))
        except MemoryError:
            print("MemoryError")
    """
    result = run_python(code, course["workdir"], isolation=isolation)
    assert result.isolation == isolation
    assert b"small-ok" in result.stdout, result.stderr
    assert b"MemoryError" in result.stdout


@needs_bwrap
def test_daemonised_process_is_gone_after_the_run(course):
    marker = f"daemon-{uuid.uuid4().hex}"
    code = """
        import os, sys, time
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                os.execv(sys.executable, [sys.executable, "-c",
                    "import pathlib, time; pathlib.Path('daemon-started').write_text('yes'); time.sleep(120)",
                    sys.argv[1]])
            os._exit(0)
        deadline = time.monotonic() + 20
        while not os.path.exists("daemon-started") and time.monotonic() < deadline:
            time.sleep(0.01)
        print("started" if os.path.exists("daemon-started") else "not-started")
    """
    result = run_python(code, course["workdir"], marker)
    assert result.stdout.strip() == b"started", result.stderr
    assert not result.timed_out
    assert wait_until_gone(marker) == []


def test_timeout_kills_the_tree(course):
    marker = f"sleeper-{uuid.uuid4().hex}"
    code = """
        import subprocess, sys, time
        subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)", sys.argv[1]])
        print("spawned", flush=True)
        time.sleep(120)
    """
    started = time.monotonic()
    result = run_python(code, course["workdir"], marker, timeout=2)
    elapsed = time.monotonic() - started
    assert result.timed_out
    assert result.returncode != 0
    assert b"spawned" in result.stdout
    assert elapsed < 15
    assert wait_until_gone(marker) == []


def test_output_is_capped(course):
    code = """
        import sys
        chunk = b"x" * (1024 * 1024)
        for _ in range(40):
            sys.stdout.buffer.write(chunk)
        sys.stderr.write("done\\n")
    """
    result = run_python(code, course["workdir"], max_output=1_048_576)
    assert result.truncated
    assert len(result.stdout) == 1_048_576
    assert result.stderr == b"done\n"
    assert result.returncode == 0


def test_short_output_is_not_truncated(course):
    result = run_python("print('hello')", course["workdir"], input=None)
    assert result.stdout == b"hello\n"
    assert not result.truncated and not result.timed_out


def test_input_reaches_the_process(course):
    result = run_python(
        "import sys; print(sys.stdin.read().upper())", course["workdir"], input=b"abc"
    )
    assert result.stdout.strip() == b"ABC"


def test_fallback_applies_rlimits_and_says_so(course, monkeypatch, capfd):
    monkeypatch.setenv("CALCML_SANDBOX", "rlimits")
    monkeypatch.setenv("CALCML_SANDBOX_ALLOW_ROOT", "1")
    monkeypatch.setattr(policy, "_warned", set())  # the note is printed once per process
    assert isolation_method() == RLIMITS
    code = """
        import os, resource
        print(resource.getrlimit(resource.RLIMIT_AS)[0])
        print(resource.getrlimit(resource.RLIMIT_NOFILE)[0])
        print(resource.getrlimit(resource.RLIMIT_FSIZE)[0])
        print(os.getcwd())
        print(os.environ["HOME"])
    """
    limits = Limits(memory_bytes=1024**3, open_files=100, file_size_bytes=10**6)
    result = run_python(code, course["workdir"], limits=limits)
    assert result.isolation == RLIMITS
    lines = result.stdout.decode().split()
    assert lines[:3] == [str(1024**3), "100", str(10**6)]
    assert lines[3] == lines[4] == str(course["workdir"])
    assert "resource limits only" in capfd.readouterr().err


def _sh(script: str, workdir: Path, **kw):
    return run_sandboxed(["/bin/sh", "-c", script], workdir=workdir, timeout=30, **kw)


def test_fallback_runs_submissions_as_an_unprivileged_user(course, monkeypatch, capfd):
    monkeypatch.setenv("CALCML_SANDBOX", "rlimits")
    monkeypatch.delenv("CALCML_SANDBOX_USER", raising=False)
    monkeypatch.setattr(policy, "_warned", set())
    root = course["root"]
    (root / "source" / "ps1" / "ps1.ipynb").chmod(0o600)
    gradebook = root / "gradebook.db"
    before = gradebook.read_bytes()
    script = f"""
        id -u; id -g
        cat {root}/source/ps1/ps1.ipynb 2>/dev/null || echo cannot-read-source
        (echo x >> {gradebook}) 2>/dev/null || echo cannot-write-gradebook
        (echo y > {root}/nbgrader_config.py) 2>/dev/null || echo cannot-write-config
        echo mine > own.txt && echo can-write-workdir
    """
    result = _sh(textwrap.dedent(script), course["workdir"])
    lines = result.stdout.decode().split()
    err = capfd.readouterr().err
    if os.geteuid() != 0:
        # Only root can switch users: the fallback runs as the grader's user and says nothing.
        assert lines[0] == str(os.geteuid())
        assert "unprivileged user" not in err
        return
    nobody = pwd.getpwnam("nobody")
    assert lines[:2] == [str(nobody.pw_uid), str(nobody.pw_gid)]
    assert lines[2:] == [
        "cannot-read-source",
        "cannot-write-gradebook",
        "cannot-write-config",
        "can-write-workdir",
    ]
    assert gradebook.read_bytes() == before
    assert (course["workdir"] / "own.txt").stat().st_uid == nobody.pw_uid
    assert "runs submissions as the unprivileged user 'nobody'" in err


def test_fallback_user_can_be_chosen_and_must_exist(course, monkeypatch, capfd):
    monkeypatch.setenv("CALCML_SANDBOX", "rlimits")
    monkeypatch.setattr(policy, "_warned", set())
    monkeypatch.setenv("CALCML_SANDBOX_USER", "no-such-user-calcml")
    monkeypatch.setenv("CALCML_SANDBOX_ALLOW_ROOT", "1")
    result = _sh("id -u", course["workdir"])
    assert result.stdout.decode().split() == [str(os.geteuid())]
    if os.geteuid() == 0:
        err = capfd.readouterr().err
        assert "there is no user 'no-such-user-calcml'" in err
        assert "submissions run as root (CALCML_SANDBOX_ALLOW_ROOT=1)" in err


def _private_command(tmp_path: Path) -> Path:
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    command = private / "whoami.sh"
    command.write_text("#!/bin/sh\nid -u\n")
    command.chmod(0o700)
    return command


def test_fallback_refuses_to_run_submissions_as_root(course, tmp_path, monkeypatch):
    monkeypatch.setenv("CALCML_SANDBOX", "rlimits")
    monkeypatch.delenv("CALCML_SANDBOX_USER", raising=False)
    monkeypatch.delenv("CALCML_SANDBOX_ALLOW_ROOT", raising=False)
    monkeypatch.setattr(policy, "_warned", set())
    command = _private_command(tmp_path)  # nobody cannot reach it
    if os.geteuid() != 0:
        # Not root: the command runs as the grader's own user, nothing to refuse.
        assert run_sandboxed([str(command)], workdir=course["workdir"], timeout=30).returncode == 0
        return
    with pytest.raises(sandbox.SandboxRefused, match="would run submissions as root") as refused:
        run_sandboxed([str(command)], workdir=course["workdir"], timeout=30)
    assert "CALCML_SANDBOX_ALLOW_ROOT=1" in str(refused.value)
    with pytest.raises(sandbox.SandboxRefused):
        sandbox.announce_fallback([str(command)])


def test_fallback_runs_as_root_only_when_allowed_and_says_why(course, tmp_path, monkeypatch, capfd):
    monkeypatch.setenv("CALCML_SANDBOX", "rlimits")
    monkeypatch.delenv("CALCML_SANDBOX_USER", raising=False)
    monkeypatch.setenv("CALCML_SANDBOX_ALLOW_ROOT", "1")
    monkeypatch.setattr(policy, "_warned", set())
    command = _private_command(tmp_path)
    result = run_sandboxed([str(command)], workdir=course["workdir"], timeout=30)
    assert result.returncode == 0
    assert result.stdout.decode().split() == [str(os.geteuid())]
    if os.geteuid() == 0:
        err = capfd.readouterr().err
        assert "submissions run as root" in err
        blocked = err.split("cannot reach ")[1].split(" ")[0]
        assert str(command).startswith(blocked)


def test_unreachable_for_follows_the_mode_bits():
    user = sandbox.SandboxUser("someone", uid=54321, gid=54321)
    base = Path(tempfile.mkdtemp())  # directly in /tmp: nothing above it is closed
    try:
        base.chmod(0o755)
        closed = base / "closed"
        closed.mkdir()
        inner = closed / "data.txt"
        inner.write_text("x")
        inner.chmod(0o644)
        assert sandbox.unreachable_for(user, inner) is None
        closed.chmod(0o700)
        assert sandbox.unreachable_for(user, inner) == str(closed)
        closed.chmod(0o711)  # passable, not listable
        assert sandbox.unreachable_for(user, inner) is None
        assert sandbox.unreachable_for(user, closed, 4) == str(closed)
        inner.chmod(0o600)
        assert sandbox.unreachable_for(user, inner) == str(inner)
        assert sandbox.unreachable_for(user, base / "missing") == str(base / "missing")
        inner.chmod(0o640)  # the group may read, others may not
        assert sandbox.unreachable_for(user, inner) == str(inner)
        if os.geteuid() == 0:
            os.chown(inner, 0, user.gid)
            assert sandbox.unreachable_for(user, inner) is None
    finally:
        shutil.rmtree(base)


def test_file_size_limit(course):
    code = """
        try:
            with open("big.bin", "wb") as handle:
                handle.write(b"x" * 2_000_000)
            print("wrote")
        except OSError as error:
            print("refused", type(error).__name__)
    """
    result = run_python(code, course["workdir"], limits=Limits(file_size_bytes=1_000_000))
    assert b"refused" in result.stdout, (result.stdout, result.stderr)


@needs_bwrap
def test_sandbox_command_runs_standalone(course):
    """The command line works without run_sandboxed (the grader launches kernels with it)."""
    shared = course["root"] / "shared"
    shared.mkdir()
    (shared / "data.txt").write_text("visible")
    command = sandbox_command(
        [
            sys.executable,
            "-c",
            "print(open(__import__('sys').argv[1]).read())",
            str(shared / "data.txt"),
        ],
        workdir=course["workdir"],
        readonly=[shared],
    )
    result = subprocess.run(command, capture_output=True, timeout=30)
    kill_sandbox(command)
    assert result.stdout.strip() == b"visible", result.stderr
    command = sandbox_command(
        [sys.executable, "-c", f"open({str(shared / 'data.txt')!r}, 'w')"],
        workdir=course["workdir"],
        readonly=[shared],
    )
    write = subprocess.run(command, capture_output=True, timeout=30)
    kill_sandbox(command)
    assert write.returncode != 0 and b"Read-only file system" in write.stderr


def test_bad_workdir_is_a_clear_error(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(ValueError, match="nowhere"):
        sandbox_command(["true"], workdir=missing)


def test_limits_defaults():
    limits = Limits()
    assert limits.memory_bytes == 2 * 1024**3
    assert limits.max_processes == 64
    assert limits.cpu_seconds is None
    assert limits.file_size_bytes == 64 * 1024**2
    assert limits.open_files == 256
    assert resource.RLIM_INFINITY != limits.memory_bytes


@needs_bwrap
def test_private_tmp_is_capped_and_the_root_is_read_only(course):
    code = """
        import errno
        for path in ("/planted", "/dev/planted"):
            try:
                open(path, "w").close()
                print(path, "written")
            except OSError:
                print(path, "refused")
        chunk = b"x" * (16 * 1024**2)
        try:
            with open("/tmp/filler", "wb") as handle:
                for _ in range(64):  # 1 GiB, more than the private /tmp holds
                    handle.write(chunk)
            print("tmp unbounded")
        except OSError as error:
            print("tmp full" if error.errno == errno.ENOSPC else error)
    """
    limits = Limits(file_size_bytes=2 * 1024**3)
    result = run_python(code, course["workdir"], limits=limits)
    assert result.stdout.decode().split("\n")[:3] == [
        "/planted refused",
        "/dev/planted refused",
        "tmp full",
    ], result.stderr


def test_disk_watch_counts_real_bytes_and_files(tmp_path):
    fired = threading.Event()
    with sandbox.DiskWatch(tmp_path, fired.set, max_bytes=4 * 1024**2, interval=0.02) as watch:
        with (tmp_path / "sparse.bin").open("wb") as handle:
            handle.truncate(10 * 1024**3)  # 10 GiB of holes: no disk used
        (tmp_path / "sub").mkdir()
        (tmp_path / "sub" / "small.bin").write_bytes(b"x" * 1024**2)
        assert not fired.wait(0.3)
        (tmp_path / "sub" / "big.bin").write_bytes(os.urandom(5 * 1024**2))
        assert fired.wait(5)
    assert watch.exceeded == "more than 4 MiB"
    used, entries = sandbox.tree_usage(tmp_path)
    assert entries == 4 and 6 * 1024**2 <= used < 8 * 1024**2

    many = tmp_path / "many"
    many.mkdir()
    fired.clear()
    with sandbox.DiskWatch(many, fired.set, max_files=50, interval=0.02) as watch:
        for index in range(60):
            (many / f"f{index}").touch()
        assert fired.wait(5)
    assert watch.exceeded == "more than 50 files"


def test_disk_watch_counts_what_was_there_before_its_baseline(tmp_path):
    """The grader measures the baseline before it copies files in: the copies count too."""
    (tmp_path / "copied.bin").write_bytes(os.urandom(3 * 1024**2))
    fired = threading.Event()
    with sandbox.DiskWatch(tmp_path, fired.set, max_bytes=4 * 1024**2, interval=0.02):
        (tmp_path / "written.bin").write_bytes(os.urandom(2 * 1024**2))
        assert not fired.wait(0.3)  # 2 MiB of growth: under 4 MiB
    fired.clear()
    with sandbox.DiskWatch(
        tmp_path, fired.set, max_bytes=4 * 1024**2, interval=0.02, baseline=(0, 0)
    ) as watch:
        assert fired.wait(5)  # 5 MiB since the (empty) baseline
    assert watch.exceeded == "more than 4 MiB"


def test_disk_quota_setting_is_checked(monkeypatch):
    monkeypatch.setenv("CALCML_WORKDIR_QUOTA_MB", "100")
    assert sandbox.workdir_quota_bytes() == 100 * 1024**2
    for bad in ("lots", "0", "-5"):
        monkeypatch.setenv("CALCML_WORKDIR_QUOTA_MB", bad)
        with pytest.raises(ValueError, match="CALCML_WORKDIR_QUOTA_MB"):
            sandbox.workdir_quota_bytes()
    monkeypatch.delenv("CALCML_WORKDIR_QUOTA_MB")
    assert sandbox.workdir_quota_bytes() == 512 * 1024**2


def _hold_a_deleted_file(folder: Path) -> subprocess.Popen:
    """A process that writes 3 MiB into a file it has deleted, and keeps it open."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import os, time\n"
            "f = open('held.bin', 'wb'); os.unlink('held.bin')\n"
            "f.write(os.urandom(3 * 1024**2)); f.flush()\n"
            "print('held', flush=True); time.sleep(60)\n",
        ],
        cwd=folder,
        stdout=subprocess.PIPE,
    )
    assert holder.stdout.readline() == b"held\n"
    return holder


def test_disk_watch_ignores_what_was_there_and_sees_deleted_open_files(tmp_path):
    (tmp_path / "copied-in.bin").write_bytes(os.urandom(3 * 1024**2))  # before the watch
    fired = threading.Event()
    holders: list[subprocess.Popen] = []
    try:
        # Without the processes, neither the copied-in file nor a held deleted one counts.
        with sandbox.DiskWatch(tmp_path, fired.set, max_bytes=2 * 1024**2, interval=0.02):
            holders.append(_hold_a_deleted_file(tmp_path))
            assert not fired.wait(0.3)
        assert sandbox.open_deleted_bytes([holders[0].pid]) >= 3 * 1024**2
        assert holders[0].pid in sandbox.sandbox_processes(None, os.getpid())
        # With them, a file deleted but kept open after the watch started counts.
        started: list[int] = []
        watch = sandbox.DiskWatch(
            tmp_path,
            fired.set,
            max_bytes=2 * 1024**2,
            interval=0.02,
            processes=lambda: sandbox.sandbox_processes(None, started[0]) if started else [],
        )
        with watch:
            holders.append(_hold_a_deleted_file(tmp_path))
            started.append(holders[-1].pid)
            assert fired.wait(5)
        assert watch.exceeded == "more than 2 MiB"
    finally:
        for holder in holders:
            holder.kill()
            holder.wait()


SYSV_SHM_HOG = """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
libc.shmat.restype = ctypes.c_void_p
libc.shmat.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_int]
libc.shmdt.argtypes = [ctypes.c_void_p]
for held in range(1, 5):
    segment = libc.shmget(0, 1024**3, 0o1000 | 0o600)  # IPC_CREAT
    if segment < 0:
        print("shmget failed"); break
    address = libc.shmat(segment, None, 0)
    ctypes.memset(address, 1, 1024**3)
    libc.shmdt(ctypes.c_void_p(address))  # detached: no longer in the address space
    print("held GiB:", held, flush=True)
"""


def test_detached_shared_memory_counts_against_the_memory_limit(course):
    """RLIMIT_AS does not see System V segments a process detached; the memory cgroup does."""
    groups = cgroups._MEMORY_ROOT.glob(cgroups._CGROUP_PREFIX + "*")
    before = set(groups) if cgroups._MEMORY_ROOT.is_dir() else set()
    result = run_python(SYSV_SHM_HOG, course["workdir"], limits=Limits(memory_bytes=1024**3))
    held = result.stdout.decode().split()
    if not cgroups._cgroup_available():
        return  # no cgroups for this user: nothing caps it (documented)
    # 1 GiB limit + 512 MiB margin: the second GiB is never completed.
    assert "held GiB: 2" not in result.stdout.decode(), held
    assert result.returncode != 0
    # Its memory group is gone with it (older ones may be swept meanwhile: never new ones).
    assert set(cgroups._MEMORY_ROOT.glob(cgroups._CGROUP_PREFIX + "*")) <= before


def test_disk_watch_counts_files_deeper_than_a_path_can_name(tmp_path):
    """Folders nested past PATH_MAX (4096 bytes) cannot hide what they hold from the quota."""
    fd = os.open(tmp_path, os.O_RDONLY | os.O_DIRECTORY)
    for _ in range(24):  # 24 x 201 bytes of path
        os.mkdir(b"n" * 200, dir_fd=fd)
        inner = os.open(b"n" * 200, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = inner
    with open(os.open("hidden.bin", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd), "wb") as handle:
        handle.write(os.urandom(5 * 1024**2))
    os.close(fd)
    used, entries = sandbox.tree_usage(tmp_path)
    assert used >= 5 * 1024**2 and entries == 25


def test_a_venv_reached_through_a_symbolic_link_works_in_the_sandbox(tmp_path):
    """A course whose ``.venv`` is a link (a shared environment, a clone that reuses one): the
    sandbox binds the link's target, and the name the interpreter was started by exists too."""
    linked = tmp_path / "clone" / ".venv"
    linked.parent.mkdir()
    linked.symlink_to(Path(sys.prefix).resolve(), target_is_directory=True)
    workdir = tmp_path / "work"
    workdir.mkdir()
    grader = f"""
import sys
from autograder.sandbox import isolation_method, run_sandboxed
assert isolation_method() == "bubblewrap", isolation_method()
result = run_sandboxed(
    [sys.executable, "-c", "import sys, numpy; print(sys.prefix)"], workdir={str(workdir)!r},
    timeout=60,
)
print(result.returncode, result.stdout.decode().strip(), result.stderr.decode()[-500:])
"""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [str(linked / "bin" / "python"), "-c", grader],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    code, prefix, *_ = done.stdout.split(maxsplit=2) + ["", ""]
    assert code == "0", done.stdout
    assert prefix == str(linked), done.stdout


@pytest.mark.parametrize("cores, threads", [("", 1), ("2", 2), ("1.5", 2), ("off", 1)])
def test_numpy_in_a_sandbox_starts_threads_for_its_cores_only(course, monkeypatch, cores, threads):
    # OpenBLAS otherwise starts one thread per core of the machine as numpy is imported: CPU
    # spent in every kernel and verification process, and more processes against the limit.
    monkeypatch.setenv("CALCML_SANDBOX_CPU", cores)
    assert policy.numeric_threads() == threads
    code = """
        import os
        import numpy
        print(os.environ["OPENBLAS_NUM_THREADS"], os.environ["OMP_NUM_THREADS"])
        print(len(os.listdir("/proc/self/task")))
    """
    result = run_python(code, course["workdir"], env=submission_env(course["workdir"]))
    assert result.returncode == 0, result.stderr
    setting, running = result.stdout.decode().splitlines()
    assert setting == f"{threads} {threads}"
    # The main thread and at most `threads` - 1 BLAS helpers (OpenBLAS counts the caller).
    assert 1 <= int(running) <= threads


@needs_bwrap
def test_no_import_hook_of_an_editable_install_runs_in_the_sandbox(course):
    # `make lab` installs the course editable: its start-up hook maps calcml to the repository.
    # Inside the sandbox that tree is not there, so the hook only costs time and names the path.
    code = """
        import json, sys
        hooks = [getattr(f, "__module__", None) or type(f).__module__ for f in sys.meta_path]
        # What the finders' modules know (an editable finder keeps its package -> path map there).
        known = [vars(sys.modules[name]) for name in hooks if name in sys.modules]
        text = repr(sys.meta_path) + repr(known) + repr(sys.path_hooks) + repr(sys.path)
        print(json.dumps({"hooks": hooks, "mentions_repo": sys.argv[1] in text}))
    """
    result = run_python(code, course["workdir"], str(REPO / "calcml"))
    assert result.returncode == 0, result.stderr
    import json

    report = json.loads(result.stdout)
    assert not any("editable" in hook for hook in report["hooks"]), report["hooks"]
    assert report["mentions_repo"] is False
