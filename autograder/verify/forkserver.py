"""A fork server for the trusted test runner: start-up costs paid once per grading worker.

Run as ``python -m autograder.verify.forkserver FD_IN FD_OUT`` by :mod:`autograder.verify.launch`, which owns
the other ends of the two pipes. The server imports NumPy and :mod:`autograder.verify.trusted`
once (with every BLAS library held to one thread, so no thread exists when it forks), then
serves one job at a time:

* it reads one request line, JSON ``{"job", "results", "log", "memory", "env"}``: paths chosen by
  the trusted grader, never code. It runs no student code itself, and parses no student data;
* it forks a child that does what ``python -m autograder.verify.trusted JOB RESULTS`` does in a
  fresh process: a new session (so the grader can kill its whole process group), an
  ``RLIMIT_AS`` cap, stdin and stdout on ``/dev/null``, stderr into the log, the grader's
  environment, a fresh NumPy random seed, and an exit status;
* it answers ``{"pid": PID}`` at once, then ``{"status": CODE}`` (a return code as
  :mod:`subprocess` reports it: negative for a signal) once the child has ended, after it has
  sent SIGKILL to the child's process group (leftovers are killed while the child's PID cannot
  yet be reused).

The server exits when its request pipe reaches end-of-file, that is when the grading process
that started it dies or closes it; a running child is killed first. Children get SIGKILL when the
server dies (``PR_SET_PDEATHSIG``).
"""

from __future__ import annotations

import os

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"  # before NumPy is imported: no BLAS threads at fork time

import ctypes  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import select  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import traceback  # noqa: E402

import numpy  # noqa: E402, F401  (pre-imported for the children)

from autograder import sandbox  # noqa: E402
from autograder.verify import trusted  # noqa: E402

MAX_REQUEST = 1024 * 1024
PR_SET_PDEATHSIG = 1


class _Lines:
    """Newline-delimited JSON on a raw file descriptor (no buffering hides data from select)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.buffer = b""

    def read(self) -> dict | None:
        """The next request, or None at end-of-file."""
        while b"\n" not in self.buffer:
            chunk = os.read(self.fd, 65536)
            if not chunk:
                return None
            self.buffer += chunk
            if len(self.buffer) > MAX_REQUEST:
                raise ValueError("request too long")
        line, _, self.buffer = self.buffer.partition(b"\n")
        request = json.loads(line)
        if not isinstance(request, dict):
            raise ValueError("a request must be a JSON object")
        return request


def _write(fd: int, message: dict) -> None:
    data = (json.dumps(message) + "\n").encode()
    while data:
        data = data[os.write(fd, data) :]


def _child(request: dict, fds: tuple[int, ...]) -> int:
    """In the forked child: become ``python -m autograder.verify.trusted JOB RESULTS``."""
    os.setsid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except Exception:
        pass
    for fd in fds:
        os.close(fd)
    job, results = str(request["job"]), str(request["results"])
    memory = int(request["memory"])
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard == resource.RLIM_INFINITY or memory < hard:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    devnull = os.open(os.devnull, os.O_RDWR)
    log = os.open(str(request["log"]), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(devnull, 0)
    os.dup2(devnull, 1)
    os.dup2(log, 2)
    os.close(devnull)
    os.close(log)
    os.environ.clear()
    os.environ.update(request["env"])
    for signum in (signal.SIGTERM, signal.SIGCHLD):
        signal.signal(signum, signal.SIG_DFL)
    numpy.random.seed()  # `random` reseeds itself after a fork; NumPy's global state does not
    # As with `python -m`: argv names the module, sys.path[0] is the working directory.
    sys.argv = [trusted.__file__, job, results]
    here = os.path.dirname(os.path.abspath(job))
    if sys.flags.safe_path:  # the server runs with -P: no working directory on the path yet
        sys.path.insert(0, here)
    else:
        sys.path[0] = here
    return trusted.main([job, results])


def _check(request: dict) -> None:
    for key in ("job", "results", "log"):
        if not isinstance(request.get(key), str) or not os.path.isabs(request[key]):
            raise ValueError(f"{key!r} must be an absolute path")
    if type(request.get("memory")) is not int or request["memory"] <= 0:
        raise ValueError("'memory' must be a positive integer")
    env = request.get("env")
    if not isinstance(env, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in env.items()
    ):
        raise ValueError("'env' must map strings to strings")


def _run(request: dict, lines: _Lines, fd_out: int) -> bool:
    """Fork one job, report its PID and its end; False when the grader went away."""
    _check(request)
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            code = _child(request, (lines.fd, fd_out))
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
            if not isinstance(stop.code, int) and stop.code is not None:
                sys.stderr.write(f"{stop.code}\n")
        except BaseException:
            traceback.print_exc()
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code)
    _write(fd_out, {"pid": pid})
    pidfd = os.pidfd_open(pid)
    alive = True
    try:
        while True:
            ready, _, _ = select.select([pidfd, lines.fd], [], [])
            if pidfd in ready:
                break
            # The grader speaks only after our answer: any data, or end-of-file, means it is gone.
            alive = False
            break
    finally:
        os.close(pidfd)
        # The child is dead or dying but not reaped: its PID (= its group) cannot be reused yet.
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        _pid, wait_status = os.waitpid(pid, 0)
    if alive:
        _write(fd_out, {"status": os.waitstatus_to_exitcode(wait_status)})
    return alive


def serve(fd_in: int, fd_out: int) -> int:
    lines = _Lines(fd_in)
    _write(fd_out, {"ready": os.getpid()})
    while True:
        try:
            request = lines.read()
        except (ValueError, OSError) as error:
            sys.stderr.write(f"autograder.verify.forkserver: bad request: {error}\n")
            return 2
        if request is None:
            return 0
        try:
            if not _run(request, lines, fd_out):
                return 0
        except (KeyError, TypeError, ValueError) as error:
            sys.stderr.write(f"autograder.verify.forkserver: bad request: {error}\n")
            return 2
        except BrokenPipeError:
            return 0


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: python -m autograder.verify.forkserver FD_IN FD_OUT\n")
        return 2
    fd_in, fd_out = int(argv[0]), int(argv[1])
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    try:
        os.close(os.pidfd_open(os.getpid()))
    except (AttributeError, OSError) as error:
        sys.stderr.write(f"autograder.verify.forkserver: no pidfd support: {error}\n")
        return 3
    if not os.environ.get(sandbox.ENV_FORCE):
        sandbox.isolation_method()  # probe bubblewrap once; every child inherits the answer
    return serve(fd_in, fd_out)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
