"""The kernel zygote: one warm process per grading worker that forks each submission's kernel.

Standard library only; ``kernel_launcher.py --calcml-zygote FD`` loads this file by path after the
imports a kernel needs (ipykernel, IPython, NumPy), outside any sandbox and before any student
code exists. A kernel start then costs a fork instead of a Python start-up and those imports
(about 0.4 CPU-s per submission on this course's machine).

The zygote never runs student code and never reads student data: the grader (the worker) sends it
requests on a Unix socket, JSON with paths and the kernel's argv, and four pipes. For each request
it forks a *joiner*, which (see :mod:`autograder.sandbox.join`) reads the holder of a sandbox that
the worker has just started the usual way, takes its user, cgroups and namespaces, and forks the
kernel process inside them. That process drops every capability, takes the holder's limits and
environment, checks that its identity and rights are the holder's, closes every other descriptor
and returns to ``kernel_launcher.py``, which goes on exactly as under bubblewrap. The joiner stays
outside the sandbox's PID namespace (invisible from inside) holding the holder's stdin, and exits
when the kernel process does; the holder then exits, and bubblewrap with it, so the grader's view
of the kernel's life (the sandbox's launcher) is the same as before.

Request: ``{"holder": HOST_PID, "argv": [...], "cwd": DIR}`` with the descriptors
``[holder stdin, holder stdout, gate, ack]``; ``GATE`` and ``ACK`` in the argv are replaced by the
kernel's numbers for the last two. Reply: ``{"pid": HOST_PID}`` of the kernel process, or
``{"error": TEXT}``.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import sys

PR_SET_PDEATHSIG = 1
PR_SET_NAME = 15  # the names show in ps and in benchmarks/cpu_breakdown.py's trace
WAIT_SECONDS = 10.0
MAX_REQUEST = 1 << 20


def serve(fd: int, join, prctl) -> tuple[list[str], int]:
    """Answer requests until the worker closes the socket (then exit).

    Returns only in a kernel process, joined into its sandbox: (its argv, the holder's PID there).
    """
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # the zygote dies with its worker
    kernel_name = os.path.basename(sys.executable)[:15].encode()  # what a kernel is called
    prctl(PR_SET_NAME, b"calcml-zygote", 0, 0, 0)
    channel = socket.socket(fileno=fd)
    while True:
        try:
            while os.waitpid(-1, os.WNOHANG)[0] > 0:  # joiners whose kernel has ended
                pass
        except ChildProcessError:
            pass
        message, fds, _flags, _address = socket.recv_fds(channel, MAX_REQUEST, 4)
        if not message:
            os._exit(0)
        report_r, report_w = os.pipe()
        joiner = os.fork()
        if joiner == 0:
            channel.close()
            os.close(report_r)
            try:
                prctl(PR_SET_NAME, b"calcml-joiner", 0, 0, 0)
                argv, holder = _join(json.loads(message), fds, report_w, join, prctl)
                prctl(PR_SET_NAME, kernel_name, 0, 0, 0)  # as if started as its own Python
                return argv, holder
            except BaseException as error:  # noqa: BLE001 - said to the worker, then gone
                _write(report_w, {"error": f"{type(error).__name__}: {error}"})
                os._exit(1)
        for descriptor in fds:
            os.close(descriptor)
        os.close(report_w)
        reply = b""
        while chunk := os.read(report_r, 65536):
            reply += chunk
        os.close(report_r)
        channel.sendall(reply or json.dumps({"error": "the joining process died"}).encode())


def _write(fd: int, value: dict) -> None:
    os.write(fd, json.dumps(value).encode())
    os.close(fd)


def _join(request: dict, fds: list[int], report: int, join, prctl) -> tuple[list[str], int]:
    """In the joiner: enter the sandbox and fork the kernel process; returns only in that one."""
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # the sandbox ends with the zygote
    hold, ready, gate, ack = fds
    holder = join.Holder(int(request["holder"]))
    os.write(hold, b"g")  # read: the holder may now become non-dumpable
    answer, _, _ = select.select([ready], [], [], WAIT_SECONDS)
    if not answer or os.read(ready, 1) != b"n":
        raise join.JoinError(1, "the sandbox's holder did not answer")
    os.close(ready)
    join.become_holder_user(holder)
    cgroups = [os.open(path, os.O_WRONLY) for path in holder.cgroup_files()]
    join.enter_namespaces(holder)
    go_r, go_w = os.pipe()
    kernel = os.fork()
    if kernel == 0:
        os.close(go_w)
        os.close(report)
        for descriptor in cgroups:
            os.close(descriptor)
        if os.read(go_r, 1) != b"g":  # in its cgroups before anything else runs
            os._exit(1)
        os.close(go_r)
        return _become_kernel(request, holder, hold, gate, ack, join)
    os.close(go_r)
    for descriptor in cgroups:
        os.write(descriptor, str(kernel).encode())
        os.close(descriptor)
    _write(report, {"pid": kernel})
    os.write(go_w, b"g")
    os.close(go_w)
    os.close(gate)
    os.close(ack)
    try:
        os.waitpid(kernel, 0)
    finally:
        os._exit(0)  # closes the holder's stdin: the sandbox ends


def _become_kernel(request, holder, hold: int, gate: int, ack: int, join):
    """In the kernel process, inside the sandbox: the holder's rights, limits, environment."""
    try:
        os.close(hold)
        join.drop_privileges()
        join.apply_limits(holder)
        join.check_same(holder)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.environ.clear()
        os.environ.update(holder.env)
        os.chdir(request["cwd"])
        null = os.open("/dev/null", os.O_RDWR)
        for target in (0, 1, 2):
            os.dup2(null, target)
        keep = {0, 1, 2, gate, ack}
        for entry in os.listdir("/proc/self/fd"):
            if int(entry) not in keep:
                try:
                    os.close(int(entry))
                except OSError:
                    pass
        argv = [
            str(gate) if a == "GATE" else str(ack) if a == "ACK" else a for a in request["argv"]
        ]
        if "numpy.random" in sys.modules:  # a fresh seed, as a new process would have
            sys.modules["numpy.random"].seed()
        return argv, holder.ns_pid
    except BaseException as error:  # noqa: BLE001 - nothing of the submission has run yet
        sys.stderr.write(f"kernel zygote: {type(error).__name__}: {error}\n")
        os._exit(126)
