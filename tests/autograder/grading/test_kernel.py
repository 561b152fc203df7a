"""The sandboxed grading kernel (autograder.grading.kernel), driven over its own ZeroMQ connection."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from autograder.grading.kernel import SandboxedKernel


@pytest.fixture
def kernel(tmp_path: Path):
    started = SandboxedKernel(tmp_path)
    yield started
    started.shutdown()


def test_kernel_runs_in_its_workdir_like_a_notebook_kernel(in_kernel, kernel):
    (kernel.workdir / "helper_module.py").write_text("VALUE = 41 + 1\n")
    seen = in_kernel(
        kernel,
        "import json, os, sys\n"
        "import helper_module\n"
        "print(json.dumps({'cwd': os.getcwd(), 'path0': sys.path.index(''),"
        " 'value': helper_module.VALUE, 'name': __name__}))",
    )
    assert os.path.realpath(seen["cwd"]) == os.path.realpath(kernel.workdir)
    assert seen["value"] == 42
    assert seen["name"] == "__main__"


def test_kernel_starts_without_the_debugger_but_debugpy_still_imports(in_kernel, kernel):
    seen = in_kernel(
        kernel,
        "import json, sys\n"
        "before = sorted(m for m in sys.modules if m.split('.')[0] in ('debugpy', '_pydevd_bundle'))\n"
        "import debugpy\n"
        "print(json.dumps({'before': before, 'after': hasattr(debugpy, '__version__')}))",
    )
    assert seen == {"before": [], "after": True}


def test_shutdown_stops_the_kernel_and_removes_its_scratch(in_kernel, tmp_path):
    kernel = SandboxedKernel(tmp_path)
    in_kernel(kernel, "print('{}')")
    pid = kernel.pid
    assert pid is not None
    kernel.shutdown()
    assert not kernel.scratch.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_ipython_syntax_still_works_in_the_grading_kernel(in_kernel, kernel):
    # The kernel skips IPython's token transforms for plain Python (kernel_launcher.py); a cell
    # with IPython's own syntax still gets them.
    seen = in_kernel(
        kernel,
        "import json\n"
        "marker_value = 7\n"
        "names = %who_ls\n"
        "escaped = %time 6 * 7\n"
        "print(json.dumps({'who': 'marker_value' in names, 'time': escaped,"
        " 'plain': f'{marker_value!r}' != '8'}))",
    )
    assert seen == {"who": True, "time": 42, "plain": True}
