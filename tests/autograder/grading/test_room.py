"""A kernel's sandbox that first serves the verification's student side (its "room").

The student's code of the verification runs in the kernel's sandbox before the kernel does
(autograder/grading/kernel_launcher.py). These tests attack that sharing from the student's side:
what the verification's student code leaves running or written must be gone before the kernel
runs a cell, and a student side that kills or stops the kernel's process must not cost the
submission its kernel run.
"""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest

from autograder.grading import worker
from autograder.grading.kernel import SandboxedKernel, Zygote
from autograder.verify.job import verify_submission

SOURCE = Path(__file__).parents[1] / "fixtures" / "verify" / "source.ipynb"
CORRECT = Path(__file__).parents[1] / "fixtures" / "verify" / "correct.ipynb"

# Run by the verification's student side only (its parent is the kernel's launcher; the kernel's
# own parent is bubblewrap's init): leaves a daemon writing everywhere it can, and files.
PLANT = """
import os, subprocess, sys
_parent = open(f"/proc/{os.getppid()}/cmdline", "rb").read()
if b"kernel_launcher" in _parent:
    for _place in ("/tmp/planted", "/dev/shm/planted", "planted"):
        open(_place, "w").write("from the verification's student side")
    subprocess.Popen(
        [sys.executable, "-c",
         "import os, time\\n"
         "while True:\\n"
         "    for place in ('alive', '/tmp/alive'):\\n"
         "        try:\\n"
         "            open(place, 'w').write(str(time.time()))\\n"
         "        except OSError:\\n"
         "            pass\\n"
         "    time.sleep(0.01)\\n"],
        start_new_session=True,
    )
    time.sleep(0.2)
"""

LOOK = """
import json, os
me = os.getpid()
others, holders = [], 0
for entry in os.listdir("/proc"):
    if entry.isdigit() and int(entry) not in (1, me):
        state = open(f"/proc/{entry}/stat").read().rpartition(")")[2].split()[0]
        if state != "Z":
            line = open(f"/proc/{entry}/cmdline", "rb").read().decode(errors="replace")
            if "prctl(4, 0, 0, 0, 0)" in line:  # the holder of a sandbox the kernel joined
                holders += 1
            else:
                others.append(line)
print(json.dumps({
    "others": others,
    "holders": holders,
    "tmp": sorted(n for n in os.listdir("/tmp") if n in ("planted", "alive")),
    "shm": sorted(os.listdir("/dev/shm")),
}))
"""


@pytest.fixture(params=["own start", "zygote"])
def room_kernel(request, tmp_path):
    """``room_kernel()``: a kernel sandbox serving the verification first, started by the
    sandbox's own Python or joined from a worker's zygote (autograder/grading/zygote.py)."""
    zygote = Zygote(tmp_path) if request.param == "zygote" else None
    yield lambda: SandboxedKernel(tmp_path, serve_verification=True, zygote=zygote)
    if zygote is not None:
        zygote.close()


def _notebooks(tmp_path: Path, extra: str) -> tuple[Path, Path]:
    student = nbformat.read(CORRECT, as_version=4)
    student.cells[2:2] = [nbformat.v4.new_code_cell(extra)]
    student_path = tmp_path / "submitted" / "ps.ipynb"
    student_path.parent.mkdir(parents=True)
    nbformat.write(student, student_path)
    return student_path, SOURCE


def test_what_the_verification_left_is_gone_before_the_kernel_runs(
    in_kernel, tmp_path, room_kernel
):
    student, source = _notebooks(tmp_path, PLANT + "import time\ntime.sleep(0)")
    kernel = room_kernel()
    try:
        room = kernel.verification_room()
        checks = verify_submission(student, source, room=room)
        assert checks["test_secant_slope"].passed, checks  # the room's student side answered
        work = Path(room["workdir"])
        # The student side did run there, and its daemon is still writing while we look.
        assert (work / "planted").read_text() == "from the verification's student side"
        first = (work / "alive").read_text()
        deadline = time.monotonic() + 10
        while (work / "alive").read_text() == first and time.monotonic() < deadline:
            time.sleep(0.02)
        assert (work / "alive").read_text() != first, "the planted daemon should be running"

        assert kernel.open_gate()
        seen = in_kernel(kernel, LOOK)
        holders = 0 if kernel.joined is None else 1
        assert seen == {"others": [], "holders": holders, "tmp": [], "shm": []}
        assert not any(Path(room["workdir"]).parent.iterdir())  # the room is empty
    finally:
        kernel.shutdown()


def test_a_student_side_that_stops_the_kernel_process_does_not_stop_the_kernel(
    in_kernel, tmp_path, room_kernel
):
    stop = (
        "import os, signal\n"
        "if b'kernel_launcher' in open(f'/proc/{os.getppid()}/cmdline', 'rb').read():\n"
        "    os.kill(os.getppid(), signal.SIGSTOP)\n"
    )
    student, source = _notebooks(tmp_path, stop)
    kernel = room_kernel()
    try:
        checks = verify_submission(student, source, room=kernel.verification_room())
        assert checks["test_secant_slope"].passed
        assert kernel.open_gate()
        assert in_kernel(kernel, "print('{\"ran\": 1}')") == {"ran": 1}
    finally:
        kernel.shutdown()


def test_a_student_side_that_kills_the_kernel_process_gets_the_submission_a_fresh_kernel(
    in_kernel, tmp_path, monkeypatch, room_kernel
):
    # The student side dies with the kernel's process; pause() makes that happen in this cell
    # every time (and not, on a slow machine, during the test that follows it).
    kill = (
        "import os, signal\n"
        "if b'kernel_launcher' in open(f'/proc/{os.getppid()}/cmdline', 'rb').read():\n"
        "    os.kill(os.getppid(), signal.SIGKILL)\n"
        "    signal.pause()\n"
    )
    student, source = _notebooks(tmp_path, kill)
    monkeypatch.setitem(worker._worker, "scratch", tmp_path)
    kernel = room_kernel()
    fresh = None
    try:
        pool = worker.ThreadPoolExecutor(max_workers=1)
        verification = pool.submit(
            verify_submission, student, source, room=kernel.verification_room()
        )
        fresh = worker._through_the_gate(kernel, verification)
        pool.shutdown()
        assert verification.result()["test_secant_slope"].passed
        assert fresh is not kernel and fresh.room is None
        assert in_kernel(fresh, "print('{\"ran\": 2}')") == {"ran": 2}
    finally:
        kernel.shutdown()
        if fresh is not None:
            fresh.shutdown()
