"""Chapter 6 (the chain rule and backpropagation): its key claims, checked independently.

The gradients computed by ``calcml.autodiff`` (forward mode, reverse mode, the graph's adjoints)
are compared with central differences written here, and the cost claim is checked on the
multiply-adds the code counts, not on wall time.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from matplotlib.figure import Figure

from calcml import autodiff
from calcml.plots import backprop as plots

NOTEBOOK = Path(__file__).resolve().parents[2] / "course" / "06-chain-rule-backprop.ipynb"


def _cells(kind):
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == kind]


def _central(f, w, h=1e-6):
    w = np.asarray(w, dtype=float)
    return np.array([(f(w + h * e) - f(w - h * e)) / (2 * h) for e in np.eye(w.size)])


def _loss_of_flat(layers, X, y):
    shapes = [(W.shape, b.shape) for W, b in layers]

    def loss(flat):
        rebuilt, i = [], 0
        for ws, bs in shapes:
            W = flat[i : i + math.prod(ws)].reshape(ws)
            i += math.prod(ws)
            b = flat[i : i + math.prod(bs)].reshape(bs)
            i += math.prod(bs)
            rebuilt.append((W, b))
        A = X
        for k, (W, b) in enumerate(rebuilt):
            A = A @ W + b
            if k < len(rebuilt) - 1:
                A = np.tanh(A)
        return float(np.mean((A[:, 0] - y) ** 2))

    return loss


def test_chain_rule_product_of_quotients_converges_like_h():
    x0, exact = 1.2, math.cos(1.44) * 2.4
    errors = []
    for h in (1e-2, 5e-3, 2.5e-3):
        du = (x0 + h) ** 2 - x0**2
        dy = math.sin((x0 + h) ** 2) - math.sin(x0**2)
        errors.append(abs(dy / du * du / h - exact))
    assert errors[0] / errors[1] == pytest.approx(2.0, rel=0.05)
    assert errors[1] / errors[2] == pytest.approx(2.0, rel=0.05)


def test_sum_over_paths_is_the_derivative():
    x = sp.symbols("x")
    u, v = x**2, sp.sin(x)
    assert sp.simplify(v * sp.diff(u, x) + u * sp.diff(v, x) - sp.diff(u * v, x)) == 0


@pytest.mark.parametrize("make", list(autodiff.GRAPHS.values()), ids=list(autodiff.GRAPHS))
def test_graph_adjoints_equal_central_differences(make):
    graph = make()
    inputs = [n.name for n in graph.nodes if n.is_input]
    base = np.array([graph.inputs[k] for k in inputs])

    def output(point):
        moved = make()
        moved.inputs = dict(zip(inputs, point, strict=True))
        return moved.forward()[moved.output]

    adjoints = graph.backward(graph.forward())
    numeric = _central(output, base)
    assert [adjoints[k] for k in inputs] == pytest.approx(numeric, abs=1e-8)


def test_neuron_values_and_adjoints_by_hand():
    g = autodiff.neuron_graph(x=1.5, w=0.8, b=-0.5, y=0.2)
    v = g.forward()
    a = math.tanh(0.8 * 1.5 - 0.5)
    assert v["L"] == pytest.approx((a - 0.2) ** 2)
    dz = 2 * (a - 0.2) * (1 - a * a)
    adj = g.backward(v)
    assert adj["w"] == pytest.approx(dz * 1.5)
    assert adj["b"] == pytest.approx(dz)
    assert adj["y"] == pytest.approx(-2 * (a - 0.2))


def test_two_paths_adjoint_adds_both_paths():
    g = autodiff.two_paths_graph(x=0.5, y=2.0)
    adj = g.backward(g.forward())
    assert adj["x"] == pytest.approx(2.0 + math.cos(0.5))
    assert adj["y"] == pytest.approx(0.5)


def test_dual_numbers_give_the_same_derivatives_as_the_backward_pass():
    D = autodiff.Dual
    g = autodiff.neuron_graph()
    adj = g.backward(g.forward())
    by_w = ((D(0.8, 1.0) * D(1.5) + D(-0.5)).tanh() - D(0.2)) ** 2
    by_x = ((D(0.8) * D(1.5, 1.0) + D(-0.5)).tanh() - D(0.2)) ** 2
    assert by_w.tangent == pytest.approx(adj["w"], rel=1e-12)
    assert by_x.tangent == pytest.approx(adj["x"], rel=1e-12)


def test_graph_rejects_a_node_used_before_it_is_defined():
    with pytest.raises(ValueError, match="before they are defined"):
        autodiff.Graph([autodiff.Node("z", "z", ("q",), lambda q: q, (lambda q: 1.0,))], {})


@pytest.mark.parametrize("sizes", [[3, 4, 1], [4, 16, 16, 1], [2, 32, 8, 1]])
def test_forward_and_reverse_mode_agree_with_central_differences(sizes):
    rng = np.random.default_rng(len(sizes))
    X, y = rng.normal(size=(12, sizes[0])), rng.normal(size=12)
    layers = autodiff.random_network(sizes, seed=3)
    g_fwd, _ = autodiff.forward_mode_gradient(layers, X, y)
    g_rev, _ = autodiff.reverse_mode_gradient(layers, X, y)
    numeric = _central(_loss_of_flat(layers, X, y), autodiff.flatten(layers))
    assert autodiff.relative_error(g_rev, numeric) < 1e-7
    assert autodiff.relative_error(g_fwd, g_rev) < 1e-12


@pytest.mark.parametrize("width", [2, 4, 8, 16, 32, 64])  # the chapter's sweep
def test_reverse_mode_costs_a_small_multiple_of_a_forward_pass(width):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(32, 4)), rng.normal(size=32)
    layers = autodiff.random_network([4, width, width, 1], seed=1)
    p = autodiff.count_weights(layers)
    one_pass = autodiff.forward_pass_cost(layers, X, y)
    _, reverse = autodiff.reverse_mode_gradient(layers, X, y)
    _, forward = autodiff.forward_mode_gradient(layers, X, y)
    assert 2.0 < reverse / one_pass < 3.0  # the chapter: between 2 and 3 passes, whatever the width
    assert forward >= p * one_pass  # one pass (at least) per weight
    assert forward / reverse > p / 4


def test_op_counter_counts_matrix_products():
    c = autodiff.OpCounter()
    c.matmul(np.ones((5, 3)), np.ones((3, 2)))
    c.matmul(np.ones((5, 3)), np.ones(3))
    assert c.madds == 5 * 3 * 2 + 5 * 3


def test_linear_layer_weight_gradient_is_x_transpose_delta():
    rng = np.random.default_rng(3)
    X, W, b, G = (rng.normal(size=s) for s in ((5, 3), (3, 2), (2,), (5, 2)))
    numeric = _central(lambda w: float(np.sum(G * (X @ w.reshape(3, 2) + b))), W.ravel())
    assert X.T @ G == pytest.approx(numeric.reshape(3, 2), abs=1e-7)
    db = _central(lambda v: float(np.sum(G * (X @ W + v))), b)
    assert G.sum(axis=0) == pytest.approx(db, abs=1e-7)


def test_gradient_check_tells_a_bug_from_a_correct_gradient():
    rng = np.random.default_rng(4)
    X, y = rng.normal(size=(10, 3)), rng.normal(size=10)
    layers = autodiff.random_network([3, 5, 1], seed=4)
    numeric = autodiff.central_difference_gradient(layers, X, y)
    _, good = autodiff.network_vjp(layers, X, y)
    assert autodiff.relative_error(autodiff.flatten(good), numeric) < 1e-8
    (Wa, ba), (Wb, bb) = layers
    H = np.tanh(X @ Wa + ba)
    d_out = (2 / 10) * ((H @ Wb + bb)[:, 0] - y)[:, None]
    d_hidden = d_out @ Wb.T  # missing (1 - H**2)
    bad = [(X.T @ d_hidden, d_hidden.sum(axis=0)), (H.T @ d_out, d_out.sum(axis=0))]
    assert autodiff.relative_error(autodiff.flatten(bad), numeric) > 1e-2


def test_small_weights_vanish_and_large_weights_explode():
    small = autodiff.input_gradient_norms(40, 64, 0.5, seed=2)
    large = autodiff.input_gradient_norms(40, 64, 2.0, seed=2)
    assert small[-1] < 1e-8 * small[0]
    assert large[-1] > 100 * large[0]
    # geometric: the per-layer factor is about the same in the first and second half
    first, second = (small[19] / small[0]) ** (1 / 19), (small[39] / small[20]) ** (1 / 19)
    assert first == pytest.approx(second, rel=0.25)


FIGURES = {
    "graph": lambda: plots.graph_figure(autodiff.neuron_graph()),
    "chain": lambda: plots.chain_rule_convergence_figure([0.1, 0.05], [0.3, 0.15], "chain"),
    "cost": lambda: plots.cost_figure([10, 100], {"a": [1, 10], "b": [2, 200]}, "cost"),
    "fit": lambda: plots.fit_figure(
        np.linspace(-1, 1, 5), np.zeros(5), np.linspace(-1, 1, 9), np.zeros(9), [1.0, 0.5], 1
    ),
    "norms": lambda: plots.gradient_norms_figure({"s": [1.0, 0.5, 0.25]}, "norms"),
}


@pytest.mark.parametrize("name", list(FIGURES))
def test_every_figure_has_a_title(name):
    fig = FIGURES[name]()
    assert isinstance(fig, Figure)
    assert any(ax.get_title() for ax in fig.axes), f"{name}: no title"
    for ax in fig.axes:
        if ax.axison:
            assert ax.get_xlabel() and ax.get_ylabel(), f"{name}: unlabelled axis"


def test_notebook_uses_its_widgets_and_names_no_graded_function():
    code = "\n".join(_cells("code"))
    assert "graph_stepper(" in code and "tiny_network_trainer(" in code
    for graded in ("def linear_forward", "def linear_backward", "def tanh_backward",
                   "def mlp_loss_and_grads", "def gradient_check", "def train_mlp"):  # fmt: skip
        assert graded not in code


def test_the_running_example_as_one_neuron_has_chapter_4s_gradient():
    """Backprop through ŷ = b + w·x equals (2/n)Xᵀ(Xw − y), and central differences, at any (b, w)."""
    from calcml.regression import AREA, RENT, design_matrix, line_loss

    X = design_matrix(AREA)
    for b, w in [(0.0, 1.0), (0.3, 1.5), (-1.0, 2.5)]:
        _, ((dW, db),) = autodiff.network_vjp(
            [(np.array([[w]]), np.array([b]))], AREA[:, None], RENT
        )
        formula = (2 / len(RENT)) * X.T @ (X @ np.array([b, w]) - RENT)
        numeric = _central(lambda p: line_loss(p), [b, w])
        assert np.allclose([db[0], dW[0, 0]], formula, rtol=1e-12)
        assert np.allclose(formula, numeric, atol=1e-8)
    code = "\n".join(_cells("code"))
    assert "autodiff.network_vjp(one_neuron, AREA[:, None], RENT)" in code
