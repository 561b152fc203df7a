"""The graph stepper's readout and picture follow the forward values and backward adjoints step by step.

The expected numbers are computed here from the formulas of the neuron, not taken from the graph.
"""

from __future__ import annotations

import math
import re

import pytest

from calcml.autodiff import GRAPHS
from calcml.widgets.graph_stepper import describe_step, graph_stepper

X, W, B, Y = 1.5, 0.8, -0.5, 0.2
A = math.tanh(W * X + B)
DZ = 2 * (A - Y) * (1 - A * A)
EXPECTED_VALUES = {
    "x": X, "w": W, "b": B, "y": Y, "u": W * X, "z": W * X + B, "a": A, "r": A - Y,
    "L": (A - Y) ** 2,
}  # fmt: skip
EXPECTED_ADJOINTS = {
    "L": 1.0, "r": 2 * (A - Y), "a": 2 * (A - Y), "z": DZ, "u": DZ, "b": DZ, "y": -2 * (A - Y),
    "w": DZ * X, "x": DZ * W,
}  # fmt: skip


def _last_number(text: str) -> float:
    return float(re.findall(r"[−-]?\d+(?:\.\d+)?(?:e[−-]?\d+)?", text)[-1].replace("−", "-"))


@pytest.fixture()
def app():
    return graph_stepper("one neuron")


def test_each_forward_step_reads_out_the_node_value(app):
    for step in range(1, 10):
        app.step_slider.value = step
        phase, name = app.current
        assert phase == "forward"
        assert "(forward)" in app.last_readout and f"{name} = " in app.last_readout
        assert _last_number(app.last_readout.rstrip(".").replace(", given", "")) == pytest.approx(
            EXPECTED_VALUES[name], rel=1e-3
        )


def test_each_backward_step_reads_out_the_adjoint_and_local_derivatives(app):
    for step in range(10, 19):
        app.step_slider.value = step
        phase, name = app.current
        assert phase == "backward"
        assert f"∂L/∂{name}" in app.last_readout
        assert _last_number(app.last_readout.rstrip(".")) == pytest.approx(
            EXPECTED_ADJOINTS[name], rel=1e-3
        )
    app.step_slider.value = 13  # node z: the local derivative 1 - tanh^2 z is shown with its value
    assert "1 − tanh²z" in app.last_readout
    assert f"{1 - A * A:.4g}" in app.last_readout


def test_state_grows_one_node_per_step(app):
    for step in range(0, 19):
        app.step_slider.value = step
        values, adjoints = app.state()
        assert len(values) == min(step, 9)
        assert len(adjoints) == max(0, step - 9)


def test_buttons_move_one_step_and_stop_at_the_ends(app):
    app.previous_button.click()
    assert app.step_slider.value == 0
    app.next_button.click()
    app.next_button.click()
    assert app.step_slider.value == 2
    app.step_slider.value = app.step_slider.max
    app.next_button.click()
    assert app.step_slider.value == app.step_slider.max


def test_picture_changes_with_every_step(app):
    seen = set()
    for step in range(0, 19):
        app.step_slider.value = step
        assert "hit an error" not in app.last_readout
        seen.add(app.last_png)
    assert len(seen) == 19


def test_two_paths_graph_adds_both_contributions():
    app = graph_stepper("two paths")
    app.step_slider.value = app.step_slider.max
    text = app.last_readout
    assert "2 paths" in text
    assert _last_number(text.rstrip(".")) == pytest.approx(2.0 + math.cos(0.5), rel=1e-3)


def test_switching_graph_resets_the_steps(app):
    app.step_slider.value = 7
    app.graph_choice.value = "two paths"
    assert app.step_slider.value == 0 and app.step_slider.max == 2 * len(
        GRAPHS["two paths"]().nodes
    )
    assert "Step 0 of 10" in app.last_readout


def test_static_output_has_picture_and_readout():
    bundle = graph_stepper("one neuron", step=5)._repr_mimebundle_()
    assert bundle["image/png"]
    assert "Step 5 of 18" in bundle["text/plain"] and "alt=" in bundle["text/html"]


def test_bad_input_is_reported():
    with pytest.raises(ValueError, match="unknown graph"):
        graph_stepper("no such graph")
    with pytest.raises(ValueError, match="step must be between"):
        describe_step(GRAPHS["one neuron"](), 99)
