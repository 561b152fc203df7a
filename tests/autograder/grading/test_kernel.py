"""The sandboxed grading kernel (autograder.grading.kernel), driven over its own ZeroMQ connection."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from jupyter_client.blocking import BlockingKernelClient

from autograder.grading.kernel import SandboxedKernel


def _execute(kernel: SandboxedKernel, code: str) -> dict:
    """Run ``code`` in the kernel; returns the JSON object it printed last."""
    client = BlockingKernelClient()
    client.load_connection_file(kernel.km.connection_file)
    client.start_channels()
    printed: list[str] = []
    try:
        client.wait_for_ready(timeout=60)

        def collect(message: dict) -> None:
            if message["msg_type"] == "stream":
                printed.append(message["content"]["text"])

        reply = client.execute_interactive(code, timeout=60, output_hook=collect)
    finally:
        client.stop_channels()
    assert reply["content"]["status"] == "ok", reply["content"]
    return json.loads("".join(printed).strip().splitlines()[-1])


@pytest.fixture
def kernel(tmp_path: Path):
    started = SandboxedKernel(tmp_path)
    yield started
    started.shutdown()


def test_kernel_runs_in_its_workdir_like_a_notebook_kernel(kernel):
    (kernel.workdir / "helper_module.py").write_text("VALUE = 41 + 1\n")
    seen = _execute(
        kernel,
        "import json, os, sys\n"
        "import helper_module\n"
        "print(json.dumps({'cwd': os.getcwd(), 'path0': sys.path.index(''),"
        " 'value': helper_module.VALUE, 'name': __name__}))",
    )
    assert os.path.realpath(seen["cwd"]) == os.path.realpath(kernel.workdir)
    assert seen["value"] == 42
    assert seen["name"] == "__main__"


def test_kernel_starts_without_the_debugger_but_debugpy_still_imports(kernel):
    seen = _execute(
        kernel,
        "import json, sys\n"
        "before = sorted(m for m in sys.modules if m.split('.')[0] in ('debugpy', '_pydevd_bundle'))\n"
        "import debugpy\n"
        "print(json.dumps({'before': before, 'after': hasattr(debugpy, '__version__')}))",
    )
    assert seen == {"before": [], "after": True}


def test_shutdown_stops_the_kernel_and_removes_its_scratch(tmp_path):
    kernel = SandboxedKernel(tmp_path)
    _execute(kernel, "print('{}')")
    pid = kernel.pid
    assert pid is not None
    kernel.shutdown()
    assert not kernel.scratch.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_ipython_syntax_still_works_in_the_grading_kernel(kernel):
    # The kernel skips IPython's token transforms for plain Python (kernel_launcher.py); a cell
    # with IPython's own syntax still gets them.
    seen = _execute(
        kernel,
        "import json\n"
        "marker_value = 7\n"
        "names = %who_ls\n"
        "escaped = %time 6 * 7\n"
        "print(json.dumps({'who': 'marker_value' in names, 'time': escaped,"
        " 'plain': f'{marker_value!r}' != '8'}))",
    )
    assert seen == {"who": True, "time": 42, "plain": True}
