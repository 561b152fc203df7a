"""Chapter 6's two widgets, swept over their whole ranges: every verdict checked independently.

The graph stepper: hypothesis picks a preset graph and a step; the value or adjoint the readout
states is compared with the formula written out here (values) and with central differences of
that formula (adjoints), and the number of paths it names with the graph's shape as drawn.

The tiny-network trainer: hypothesis picks hidden units, a learning rate on the slider's grid and
a step count. Over the window the verdict looks at, every stored state is checked to be one true
gradient-descent step from the one before (a hand-derived gradient, one step at a time, so the
check does not depend on rounding being reproduced over thousands of steps, which chaotic
learning rates would amplify), every stored loss is recomputed, and the verdict words (blew up,
rose, still falling, levelled off, went up) are decided again from those recomputed losses.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from calcml.widgets.graph_stepper import graph_stepper
from calcml.widgets.tiny_trainer import (
    describe_losses,
    tiny_dataset,
    tiny_network_trainer,
    train_tiny_network,
)

# -- the graph stepper ------------------------------------------------------------------------

NEURON_INPUTS = {"x": 1.5, "w": 0.8, "b": -0.5, "y": 0.2}
TWO_PATHS_INPUTS = {"x": 0.5, "y": 2.0}


def neuron_values(x, w, b, y):
    u = w * x
    z = u + b
    a = math.tanh(z)
    r = a - y
    return {"x": x, "w": w, "b": b, "y": y, "u": u, "z": z, "a": a, "r": r, "L": r * r}


def two_paths_values(x, y):
    p, s = x * y, math.sin(x)
    return {"x": x, "y": y, "p": p, "s": s, "f": p + s}


PRESETS = {
    "one neuron": (
        neuron_values,
        NEURON_INPUTS,
        "L",
        ["x", "w", "b", "y", "u", "z", "a", "r", "L"],
    ),
    "two paths": (two_paths_values, TWO_PATHS_INPUTS, "f", ["x", "y", "p", "s", "f"]),
}
# how many nodes use each node, read off the formulas: the number of paths into its adjoint
USERS = {
    "one neuron": {"x": 1, "w": 1, "b": 1, "y": 1, "u": 1, "z": 1, "a": 1, "r": 1, "L": 0},
    "two paths": {"x": 2, "y": 1, "p": 1, "s": 1, "f": 0},
}


def adjoint(graph: str, node: str, h: float = 1e-6) -> float:
    """∂output/∂node by central differences, nudging the node and recomputing what follows."""
    values_of, inputs, out, order = PRESETS[graph]
    if node == out:
        return 1.0

    def output_with(delta):
        if node in inputs:
            moved = dict(inputs, **{node: inputs[node] + delta})
            return values_of(**moved)[out]
        # an inner node: recompute the formula with that node's value shifted
        base = values_of(**inputs)
        shifted = dict(base, **{node: base[node] + delta})
        if graph == "one neuron":
            after = order[order.index(node) + 1 :]
            v = shifted
            for name in after:
                v[name] = {
                    "z": lambda: v["u"] + v["b"],
                    "a": lambda: math.tanh(v["z"]),
                    "r": lambda: v["a"] - v["y"],
                    "L": lambda: v["r"] ** 2,
                }[name]()
            return v["L"]
        return shifted["p"] + shifted["s"]

    return (output_with(h) - output_with(-h)) / (2 * h)


def _last_number(text: str) -> float:
    return float(re.findall(r"[−-]?\d+(?:\.\d+)?(?:e[−-]?\d+)?", text)[-1].replace("−", "-"))


@pytest.fixture(scope="module")
def stepper():
    return graph_stepper("one neuron")


STATES = [(g, k) for g, (_, _, _, order) in PRESETS.items() for k in range(2 * len(order) + 1)]


@pytest.mark.parametrize(("graph", "step"), STATES)
def test_every_stepper_readout_is_true(stepper, graph, step):
    """All 30 states of the two presets (a space this small is swept whole, not sampled)."""
    values_of, inputs, out, order = PRESETS[graph]
    total = 2 * len(order)
    app = stepper
    if app.graph_choice.value != graph:
        app.graph_choice.value = graph
    app.step_slider.value = step
    text = app.last_readout
    assert "hit an error" not in text
    assert text.startswith(f"Step {step} of {total}")
    values = values_of(**inputs)
    shown_values, shown_adjoints = app.state()
    assert shown_values == set(order[: min(step, len(order))])
    assert shown_adjoints == set(list(reversed(order))[: max(0, step - len(order))])
    if step == 0:
        assert "nothing computed yet" in text and f"({len(order)} steps)" in text
        return
    if step <= len(order):  # forward: the node's value
        name = order[step - 1]
        assert "(forward)" in text
        if name in inputs:
            assert f"input {name} = " in text and "given" in text
            number = _last_number(text.replace(", given.", ""))
        else:
            number = _last_number(text.rstrip("."))
        assert number == _approx(values[name]), (text, values[name])
        return
    name = list(reversed(order))[step - len(order) - 1]  # backward: the node's adjoint
    assert "(backward)" in text and f"∂{out}/∂{name}" in text
    assert _last_number(text.rstrip(".")) == _approx(adjoint(graph, name)), text
    paths = USERS[graph][name]
    assert (f"({paths} paths, their contributions add up)" in text) == (paths > 1), text


def _approx(value: float):
    return pytest.approx(value, rel=2e-3, abs=2e-4)  # the readout prints 4 significant digits


# -- the tiny-network trainer -----------------------------------------------------------------

X_DATA, Y_DATA = tiny_dataset()
LEARNING_RATES = [10.0 ** (-3 + 0.25 * j) for j in range(15)]  # the log slider's grid


def loss_of(layers) -> float:
    (W1, b1), (W2, b2) = layers
    H = np.tanh(X_DATA[:, None] * W1[0] + b1)
    r = H @ W2[:, 0] + b2[0] - Y_DATA
    return float(np.mean(r**2))


def step_of(layers, lr: float):
    """One gradient-descent step with the gradient derived by hand for 1 → h → 1 tanh."""
    (W1, b1), (W2, b2) = layers
    H = np.tanh(X_DATA[:, None] * W1[0] + b1)
    r = H @ W2[:, 0] + b2[0] - Y_DATA
    g = 2 * r / len(r)
    dH = np.outer(g, W2[:, 0]) * (1 - H**2)
    return [
        (W1 - lr * (X_DATA @ dH)[None, :], b1 - lr * dH.sum(axis=0)),
        (W2 - lr * (H.T @ g)[:, None], b2 - lr * g.sum()),
    ]


def _close_layers(a, b) -> bool:
    return all(
        np.allclose(p, q, rtol=1e-9, atol=1e-12)
        for (Wa, ba), (Wb, bb) in zip(a, b, strict=True)
        for p, q in ((Wa, Wb), (ba, bb))
    )


@settings(max_examples=60, deadline=None)
@given(
    hidden=st.integers(1, 16),
    lr=st.sampled_from(LEARNING_RATES),
    steps=st.sampled_from(range(0, 2001, 25)),
)
# each verdict at least once: rising (overshoot), levelled off, blown up, still falling, no step
@example(hidden=6, lr=LEARNING_RATES[10], steps=1000)
@example(hidden=1, lr=LEARNING_RATES[8], steps=2000)
@example(hidden=6, lr=LEARNING_RATES[14], steps=500)
@example(hidden=6, lr=LEARNING_RATES[8], steps=300)
@example(hidden=3, lr=LEARNING_RATES[0], steps=0)
def test_every_trainer_readout_is_true(hidden, lr, steps):
    states, losses = train_tiny_network(hidden, lr)
    text = describe_losses(losses, steps)
    k = steps
    with np.errstate(all="ignore"):
        loss_now = loss_of(states[k])
    if not math.isfinite(loss_now) or loss_now > 1e6:
        assert "blew up" in text, text
        return
    assume(loss_now < 1e5)  # far from the blow-up threshold
    assert "blew up" not in text
    shown = float(re.search(r"training loss (\S+) ", text).group(1))
    assert shown == _approx_rel(loss_now, 1e-3)
    start = max(0, k - 50)
    with np.errstate(all="ignore"):
        for j in range(start, k):  # every stored step in the window is a true descent step
            assert _close_layers(step_of(states[j], lr), states[j + 1]), (hidden, lr, j)
        window = np.array([loss_of(states[j]) for j in range(start, k + 1)])
    assert np.allclose(window, losses[start : k + 1], rtol=1e-9)
    if k == 0:
        assert "No step taken yet" in text
        return
    changes = np.diff(window) / window[:-1]
    assume(not np.any((changes > 0.3e-9) & (changes < 3e-9)))  # no rise on the noise threshold
    rises = int(np.sum(changes > 1e-9))
    fall = (window[0] - window[-1]) / window[0]
    if rises:
        assert f"It rose at {rises} of the last {k - start} steps" in text, text
    else:
        assume(abs(fall - 1e-3) > 1e-5)  # not on the levelled-off threshold
        if fall < 1e-3:
            assert "levelled off" in text, text
        else:
            assert "Still falling" in text and f"down {100 * fall:.3g} %" in text, text
    assert ("The loss went up" in text) == (loss_now > loss_of(states[0])), text


@settings(max_examples=8, deadline=None)
@given(
    hidden=st.integers(1, 16),
    lr=st.sampled_from(LEARNING_RATES),
    steps=st.sampled_from(range(0, 2001, 25)),
)
def test_the_trainer_widget_reads_out_what_describe_losses_says(hidden, lr, steps):
    app = tiny_network_trainer(hidden, lr, steps)
    _, losses = train_tiny_network(hidden, float(app.lr_slider.value))
    assert app.last_readout.endswith(describe_losses(losses, steps))
    assert f"{3 * hidden + 1} weights" in app.last_readout and f"{steps} steps" in app.last_readout


def _approx_rel(value, rel):
    return pytest.approx(value, rel=rel)
