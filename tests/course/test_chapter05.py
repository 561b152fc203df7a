"""Chapter 5 (Jacobians and Hessians): its key claims, checked through the package functions it uses."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from matplotlib.figure import Figure

from calcml.plots import jacobians as plots
from calcml.widgets.jacobian_grid import MAPS
from calcml.widgets.quadform import classify_eigenvalues, hessian_from_eigen

NOTEBOOK = Path(__file__).resolve().parents[2] / "course" / "05-jacobians-hessians.ipynb"
x, y = sp.symbols("x y")


def _cells(kind):
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == kind]


def fd_jacobian(G, p, h=1e-6):
    p = np.asarray(p, dtype=float)
    return np.column_stack([(G(p + h * e) - G(p - h * e)) / (2 * h) for e in np.eye(len(p))])


def test_jacobian_of_a_linear_layer_is_its_weight_matrix():
    W = sp.Matrix(3, 4, lambda i, j: sp.Symbol(f"W{i}{j}"))
    b = sp.Matrix(3, 1, lambda i, j: sp.Symbol(f"b{i}"))
    v = sp.Matrix(sp.symbols("v0:4"))
    assert (W * v + b).jacobian(v) == W


def test_chain_rule_is_a_product_of_jacobians():
    rng = np.random.default_rng(2)
    W1, b1, W2 = rng.normal(size=(5, 3)), rng.normal(size=5), rng.normal(size=(2, 5))
    x0 = rng.normal(size=3)
    hidden = np.tanh(W1 @ x0 + b1)
    product = W2 @ np.diag(1 - hidden**2) @ W1
    assert product == pytest.approx(fd_jacobian(lambda v: W2 @ np.tanh(W1 @ v + b1), x0), abs=1e-7)


def test_polar_map_scales_area_by_r():
    r, t = sp.symbols("r t", positive=True)
    polar = sp.Matrix([r * sp.cos(t), r * sp.sin(t)])
    assert sp.simplify(polar.jacobian([r, t]).det() - r) == 0
    assert MAPS["polar-like"].J(1.7, 0.4) == pytest.approx(
        fd_jacobian(lambda q: np.array(MAPS["polar-like"].F(*q)), (1.7, 0.4))
    )


@pytest.mark.parametrize(
    ("expr", "verdict"),
    [
        (x**2 + y**2, "minimum"),
        (-(x**2) - y**2, "maximum"),
        (x**2 - y**2, "saddle"),
        (x**3 - 3 * x * y**2, "inconclusive"),
    ],
)
def test_example_hessians_are_classified_by_their_eigenvalues(expr, verdict):
    origin = {x: 0, y: 0}
    assert all(expr.diff(v).subs(origin) == 0 for v in (x, y))
    H = sp.hessian(expr, (x, y)).subs(origin)
    assert H == H.T
    assert classify_eigenvalues(np.linalg.eigvalsh(np.array(H, dtype=float))) == verdict


def test_monkey_saddle_takes_both_signs_next_to_the_origin():
    f = sp.lambdify((x, y), x**3 - 3 * x * y**2)
    assert f(-0.1, 0.0) < 0 < f(0.1, 0.0)


@pytest.mark.parametrize("angle", [0, 30, 75])
def test_one_newton_step_minimises_a_quadratic(angle):
    A = hessian_from_eigen(10.0, 1.0, angle)
    b = np.array([1.0, 2.0])
    start = np.array([-3.0, 2.5])
    step = start - np.linalg.solve(A, A @ start - b)
    assert np.linalg.norm(A @ step - b) < 1e-12


def test_mse_hessian_is_two_over_n_xtx_and_positive_semidefinite():
    rng = np.random.default_rng(3)
    n = 30
    X = np.column_stack([np.ones(n), rng.normal(size=(n, 2))])
    y_data = rng.normal(size=n)

    def grad(w):
        return -2 / n * X.T @ (y_data - X @ w)

    H = 2 / n * X.T @ X
    assert fd_jacobian(grad, rng.normal(size=3)) == pytest.approx(H, abs=1e-6)
    assert np.all(np.linalg.eigvalsh(H) >= -1e-12)
    assert classify_eigenvalues(np.linalg.eigvalsh(H)) == "minimum"


FIGURES = {
    "grid": lambda: plots.deformed_grid_figure(
        lambda a, b: (a * np.cos(b), a * np.sin(b)), (0.5, 2), (0, 1.5), "polar"
    ),
    "gallery": lambda: plots.critical_point_gallery(
        [("bowl", lambda a, b: a**2 + b**2), ("saddle", lambda a, b: a**2 - b**2)]
    ),
    "taylor": lambda: plots.taylor_models_figure(
        np.linspace(-1, 1, 5), np.ones(5), np.ones(5), np.ones(5), "taylor"
    ),
    "newton": lambda: plots.newton_vs_descent_figure(
        lambda a, b: a**2 + b**2,
        {"gd": np.array([[1.0, 1.0], [0.0, 0.0]])},
        (-2, 2),
        (-2, 2),
        "newton",
    ),
    "cost": lambda: plots.hessian_cost_figure(np.logspace(0, 6, 10), {"model": 1e4}),
}


@pytest.mark.parametrize("name", list(FIGURES))
def test_every_figure_has_a_title_and_labelled_axes(name):
    fig = FIGURES[name]()
    assert isinstance(fig, Figure)
    for ax in fig.axes:
        assert ax.get_title(), f"{name}: an axes has no title"
        assert ax.get_xlabel() and ax.get_ylabel(), f"{name}: unlabelled axis"


def test_notebook_uses_its_widgets():
    code = _cells("code")
    assert any("quadratic_form_explorer(" in c for c in code)
    assert any("jacobian_grid_view(" in c for c in code)


def test_a_zero_eigenvalue_does_not_hide_a_saddle():
    # the summary: both signs → saddle even if some eigenvalues are 0; zeros alone → inconclusive
    assert classify_eigenvalues([2.0, 0.0, -1.0]) == "saddle"
    assert classify_eigenvalues([2.0, 0.0]) == "inconclusive"
    assert classify_eigenvalues([0.0, -3.0]) == "inconclusive"
