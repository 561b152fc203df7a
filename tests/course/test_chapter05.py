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


def test_notebook_uses_the_newton_stepper_and_the_new_figures():
    code = "\n".join(_cells("code"))
    for name in (
        "newton_vs_descent_stepper(",
        "curvature_along_figure(",
        "newton_overshoot_figure(",
    ):
        assert name in code, name


def test_figures_added_for_the_primer_and_the_overshoot_have_titles_and_labels():
    for fig in (
        plots.curvature_along_figure(np.array([[3.0, 1.0], [1.0, 3.0]])),
        plots.newton_overshoot_figure({"a": [3.0, 1.0, 2.0], "b": [3.0, 2.0, 1.0]}, [("a", 2)]),
    ):
        for ax in fig.axes:
            assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel()


def test_primer_numbers_curvature_between_the_eigenvalues():
    H = np.array([[3.0, 1.0], [1.0, 3.0]])
    assert np.linalg.eigvalsh(H) == pytest.approx([2.0, 4.0])
    d = np.array([1.0, 1.0]) / np.sqrt(2)
    assert d @ H @ d == pytest.approx(4.0)
    for phi in np.linspace(0, np.pi, 37):
        u = np.array([np.cos(phi), np.sin(phi)])
        assert 2.0 - 1e-12 <= u @ H @ u <= 4.0 + 1e-12


def test_rosenbrock_newton_overshoots_with_a_positive_definite_hessian_as_the_text_says():
    from calcml.widgets.newton2d import SURFACES, descent_run, newton_run

    s = SURFACES["Rosenbrock"]
    full = newton_run(s, (-1.2, 1.0), 30, "full step")
    values = [float(s.f(*v)) for v in full.points]
    assert values[1] == pytest.approx(4.73, abs=0.01) and values[2] == pytest.approx(1412, abs=1)
    assert values[3] == pytest.approx(0.056, abs=1e-3) and values[4] == pytest.approx(
        0.313, abs=1e-3
    )
    for v in full.points[:-1]:  # positive definite at every iterate
        assert np.all(np.linalg.eigvalsh(s.hess(v)) > 0)
    assert full.stop == "critical" and len(full.points) - 1 == 6
    damped = [float(s.f(*v)) for v in newton_run(s, (-1.2, 1.0), 30, "damped (α)", 0.5).points]
    assert np.all(np.diff(damped) <= 0)  # "never rises"
    search = newton_run(s, (-1.2, 1.0), 30, "backtracking line search")
    assert np.all(np.diff([float(s.f(*v)) for v in search.points]) <= 0)
    assert search.stop == "critical" and 18 <= len(search.points) - 1 <= 22
    gd = descent_run(s, (-1.2, 1.0), 30, 1e-3)
    assert float(s.f(*gd.last)) == pytest.approx(4.0, abs=0.1)  # "stalls near f = 4"


def test_double_well_full_newton_walks_to_the_saddle_and_gd_to_a_minimum():
    from calcml.widgets.newton2d import SURFACES, descent_run, newton_run

    s = SURFACES["double well"]
    newton = newton_run(s, (0.3, 1.0), 20, "full step")
    assert newton.stop == "critical" and np.allclose(newton.last, 0, atol=1e-6)
    gd = descent_run(s, (0.3, 1.0), 400, 0.05)
    assert np.allclose(gd.last, (1.0, 0.0), atol=1e-4)


def test_rent_line_hessian_numbers():
    from calcml.regression import RENT, design_matrix

    X = design_matrix()
    H = 2 / len(RENT) * X.T @ X
    lam = np.linalg.eigvalsh(H)
    assert lam == pytest.approx([0.188, 5.005], abs=1e-3)
    assert lam[1] / lam[0] == pytest.approx(26.6, abs=0.05)
    w = -np.linalg.solve(H, 2 / len(RENT) * X.T @ (X @ np.zeros(2) - RENT))
    assert w == pytest.approx(np.linalg.lstsq(X, RENT, rcond=None)[0])
