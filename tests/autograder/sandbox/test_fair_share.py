"""Fair share: every sandbox gets a CPU cgroup of its own where the grader runs as root.

The limits are read back from the cgroup files of real sandboxes (a plain command and a grading
kernel): every process of the sandbox is in its CPU group, with the quota and weight asked for.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder import sandbox
from autograder.grading.kernel import SandboxedKernel
from autograder.sandbox import Limits, cgroups, sandbox_command

needs_cpu_groups = pytest.mark.skipif(
    sandbox.cpu_root() is None, reason="no writable CPU cgroup here (the grader is not root)"
)

FORKER = """\
import os
import sys
import time

for _ in range(3):
    if os.fork() == 0:
        break
open(f"ready-{os.getpid()}", "w").close()
time.sleep(30)
"""


def _cpu_group(command: list[str]) -> Path:
    return Path(command[command.index("--cpu-cgroup") + 1])


def _procs(group: Path) -> set[int]:
    return {int(line) for line in (group / "cgroup.procs").read_text().split()}


def _expect_limits(group: Path, cores: float, weight: int = 100) -> None:
    quota = int(cores * sandbox.CPU_PERIOD_US)
    if (group / "cpu.max").exists():  # cgroup v2
        assert (group / "cpu.max").read_text().split() == [str(quota), str(sandbox.CPU_PERIOD_US)]
        assert (group / "cpu.weight").read_text().strip() == str(weight)
    else:  # cgroup v1
        assert int((group / "cpu.cfs_quota_us").read_text()) == quota
        assert int((group / "cpu.cfs_period_us").read_text()) == sandbox.CPU_PERIOD_US
        assert int((group / "cpu.shares").read_text()) == weight * 1024 // 100


def _wait_for(predicate, seconds: float = 30.0):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


@needs_cpu_groups
@pytest.mark.parametrize("cores", [1.0, 0.5])
def test_every_process_of_a_sandbox_is_in_its_cpu_group(tmp_path, cores):
    command = sandbox_command(
        [sys.executable, "-c", FORKER], workdir=tmp_path, limits=Limits(cpu_cores=cores)
    )
    group = _cpu_group(command)
    process = subprocess.Popen(command, start_new_session=True)
    try:
        _wait_for(lambda: len(list(tmp_path.glob("ready-*"))) == 4)
        _expect_limits(group, cores)
        pids = set(sandbox.sandbox_processes(command, process.pid))
        assert len(pids) >= 5  # the launcher, bwrap, the command and its forked children
        assert pids <= _procs(group)
    finally:
        process.kill()
        process.wait()
        sandbox.kill_sandbox(command)
    assert not group.exists()  # removed with the sandbox


@needs_cpu_groups
def test_a_grading_kernel_runs_in_its_cpu_group(tmp_path):
    kernel = SandboxedKernel(tmp_path)
    try:
        group = _cpu_group(kernel.km.sandbox_cmd)
        _wait_for(lambda: len(kernel.processes()) >= 3)
        _expect_limits(group, 1.0)
        assert set(kernel.processes()) <= _procs(group)
    finally:
        kernel.shutdown()
    assert not group.exists()


def test_the_cpu_share_is_configured_by_environment(monkeypatch):
    monkeypatch.setenv(sandbox.ENV_CPU, "2")
    assert Limits().cpu_cores == 2.0
    monkeypatch.setenv(sandbox.ENV_CPU, "off")
    assert Limits().cpu_cores is None
    monkeypatch.setenv(sandbox.ENV_CPU, "lots")
    with pytest.raises(ValueError, match=sandbox.ENV_CPU):
        Limits()
    v1 = sandbox.cpu_settings(Limits(cpu_cores=1.5), str(cgroups._CPU_V1_ROOT / "g"))
    assert v1 == {"cpu.shares": "1024", "cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "150000"}
    v2 = sandbox.cpu_settings(Limits(cpu_cores=1.5, cpu_weight=50), "/sys/fs/cgroup/g")
    assert v2 == {"cpu.weight": "50", "cpu.max": "150000 100000"}


@needs_cpu_groups
def test_switched_off_there_is_no_cpu_group(tmp_path):
    command = sandbox_command(["true"], workdir=tmp_path, limits=Limits(cpu_cores=None))
    assert "--cpu-cgroup" not in command


@needs_cpu_groups
@pytest.mark.nbgrader
def test_a_busy_neighbour_does_not_push_honest_students_past_their_time_limits(
    tmp_path, jupyter_env
):
    """A neighbour forking busy loops (each in a session of its own) holds one worker until its
    notebook time limit; the honest students graded meanwhile still get full marks."""
    import calcml_grade_cohort as cohort  # loaded by conftest.py

    course = cohort.make_course(tmp_path, "mini_derivatives", jupyter_env)
    builder = cohort.Builder(course, "mini_derivatives")
    busy = builder.insert_before_tests(builder.notebook("honest"), cohort.BUSY_NEIGHBOUR)
    builder.submit("a-neighbour", busy)
    honest = [f"honest-{index}" for index in range(3)]
    for student in honest:
        builder.submit(student, builder.notebook("honest"))
    command = cohort.grade_command(
        course,
        "mini_derivatives",
        "--workers",
        "2",
        "--cell-timeout",
        "10",
        "--notebook-timeout",
        "30",
    )
    done = cohort.run(command, course, jupyter_env)
    results = course / "reports" / "mini_derivatives" / "results"
    for student in honest:
        result = json.loads((results / f"{student}.json").read_text())
        assert result["status"] == "graded", (student, result["error"], done.stderr[-2000:])
        assert all(c["kernel_passed"] and c["verified_passed"] for c in result["cells"]), result
