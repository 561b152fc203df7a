"""What the grading tests share: running code in a sandboxed kernel over its own connection."""

from __future__ import annotations

import json

import pytest
from jupyter_client.blocking import BlockingKernelClient


def run_json(kernel, code: str) -> dict:
    """Run ``code`` in ``kernel`` (a SandboxedKernel); returns the JSON object it printed last."""
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
def in_kernel():
    """``in_kernel(kernel, code)``: the JSON object the code printed last."""
    return run_json
