"""Chapter 4 (gradients): its key claims, checked through the package functions the notebook uses."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from matplotlib.figure import Figure

from calcml.exercises import exercises_of
from calcml.plots import gradients as plots
from calcml.regression import AREA, RENT, design_matrix
from calcml.widgets.descent2d import PRESETS, STEP_CAP, run_descent

NOTEBOOK = Path(__file__).resolve().parents[2] / "course" / "04-gradients.ipynb"


def _cells(kind):
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == kind]


def test_partials_of_the_worked_example():
    x, y = sp.symbols("x y")
    f = x**2 * y + 3 * x * y**2
    assert sp.simplify(sp.diff(f, x) - (2 * x * y + 3 * y**2)) == 0
    assert sp.simplify(sp.diff(f, y) - (x**2 + 6 * x * y)) == 0


@pytest.mark.parametrize("preset", ["round bowl", "long valley"])
def test_each_step_multiplies_the_error_by_one_minus_eta_times_curvature(preset):
    p = PRESETS[preset]
    curvatures = np.diag(np.array(p.hessian_at_min))
    lr = 0.03
    path = run_descent(p, lr, (-2.0, 1.0), 12).path
    ratios = path[1:] / path[:-1]
    assert ratios == pytest.approx(np.tile(1 - lr * curvatures, (12, 1)))


def test_long_valley_is_still_far_when_the_bowl_has_converged():
    lr = 0.09
    bowl = run_descent("round bowl", lr, (-2.8, 1.0), 30)
    valley = run_descent("long valley", lr, (-2.8, 1.0), 30)
    assert valley.loss > 100 * bowl.loss
    assert np.all(np.sign(valley.path[1:8, 1]) != np.sign(valley.path[:7, 1]))  # zig-zag


def test_mse_gradient_matches_differences_and_descent_reaches_least_squares():
    rng = np.random.default_rng(1)
    n = 40
    X = np.column_stack([np.ones(n), rng.uniform(0, 3, n)])
    y = X @ np.array([1.5, 0.8]) + rng.normal(scale=0.4, size=n)

    def loss(w):
        return np.mean((y - X @ w) ** 2)

    def grad(w):
        return -2 / n * X.T @ (y - X @ w)

    w = rng.normal(size=2)
    h = 1e-5
    numeric = np.array([(loss(w + h * e) - loss(w - h * e)) / (2 * h) for e in np.eye(2)])
    assert np.linalg.norm(numeric - grad(w)) / np.linalg.norm(numeric + grad(w)) < 1e-7
    lr = 1 / np.linalg.eigvalsh(2 / n * X.T @ X).max()
    w = np.zeros(2)
    for _ in range(400):
        w = w - lr * grad(w)
    assert w == pytest.approx(np.linalg.lstsq(X, y, rcond=None)[0], abs=1e-5)


def test_gradient_descent_leaves_the_saddle():
    run = run_descent("saddle", 0.1, (-2.8, 0.05), 25)
    assert abs(run.path[-1, 0]) < 0.05 and abs(run.path[-1, 1]) > 2


FIGURES = {
    "partial_slices": lambda: plots.partial_slices_figure(
        lambda x, y: x**2 * y + 3 * x * y**2, (1, 2), 16, 13
    ),
    "gradient_field": lambda: plots.gradient_field_figure(
        lambda x, y: x**2 + 2 * y**2, lambda x, y: (2 * x, 4 * y), (-2, 2), (-2, 2), "field"
    ),
    "directional": lambda: plots.directional_derivative_figure([3.0, 4.0], example=53.13),
    "paths": lambda: plots.descent_paths_figure(
        lambda x, y: x**2 + y**2,
        {"a": np.array([[1.0, 1.0], [0.5, 0.5]])},
        (-2, 2),
        (-2, 2),
        "paths",
        minimum=(0, 0),
        number_points=2,
    ),
    "zigzag": lambda: plots.zigzag_figure(
        [(lambda x, y: x**2 + y**2, np.array([[1.0, 1.0], [0.0, 0.0]]), "t")], (-2, 2), (-2, 2)
    ),
    "fog": lambda: plots.walker_in_fog_figure(
        lambda x, y: x**2 + y**2, lambda x, y: (2 * x, 2 * y), (1.0, 0.5), (-2, 2), (-2, 2)
    ),
    "regression": lambda: plots.regression_figure(
        np.arange(5.0), np.arange(5.0) * 2, (0.0, 2.0), np.array([4.0, 1.0, 0.1]), 0.05
    ),
    "tangent_plane": lambda: plots.tangent_plane_figure(
        lambda x, y: x**2 * y + 3 * x * y**2, (1, 2), 16, 13
    ),
    "directional_slice": lambda: plots.directional_slice_figure(
        lambda x, y: x**2 * y + 3 * x * y**2, (1, 2), (16, 13), (3, 4)
    ),
    "gradient_check": lambda: plots.gradient_check_figure(
        np.logspace(-8, 0, 5), {"ok": np.logspace(-6, -10, 5)}
    ),
    "saddle": plots.saddle_surface_figure,
}


@pytest.mark.parametrize("name", list(FIGURES))
def test_every_figure_has_a_title_and_labelled_axes(name):
    fig = FIGURES[name]()
    assert isinstance(fig, Figure)
    main_axes = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    for ax in main_axes:
        assert ax.get_title(), f"{name}: an axes has no title"
        assert ax.get_xlabel() and ax.get_ylabel(), f"{name}: unlabelled axis"


def test_notebook_uses_its_widgets():
    code = _cells("code")
    assert any("descent_playground_2d(" in c for c in code)


def test_the_tangent_plane_error_shrinks_faster_than_the_step():
    f = lambda x, y: x**2 * y + 3 * x * y**2  # noqa: E731
    p, g = np.array([1.0, 2.0]), np.array([16.0, 13.0])
    ratios = []
    for size in (0.1, 0.01, 0.001):
        delta = size * np.array([0.6, -0.8])
        ratios.append(abs(f(*(p + delta)) - (f(*p) + g @ delta)) / size)
    assert ratios[0] > 9 * ratios[1] > 81 * ratios[2]  # error / ‖Δ‖ falls like ‖Δ‖


def test_the_level_set_directions_quoted_in_the_prose():
    g = np.array([16.0, 13.0])
    best = np.degrees(np.arctan2(g[1], g[0]))
    zeros = sorted([(best + 90) % 360, (best + 270) % 360])
    assert [round(z, 1) for z in zeros] == [129.1, 309.1]
    markdown = "\n".join(_cells("markdown"))
    assert "129.1°" in markdown and "309.1°" in markdown
    for angle in zeros:
        u = np.array([np.cos(np.radians(angle)), np.sin(np.radians(angle))])
        assert abs(g @ u) < 1e-12


def test_the_rent_loss_gradient_curvatures_and_descent():
    X, n = design_matrix(AREA), len(RENT)
    lam_min, lam_max = np.linalg.eigvalsh(2 / n * X.T @ X)
    assert (round(lam_min, 3), round(lam_max, 3)) == (0.188, 5.005)
    assert 26 < lam_max / lam_min < 27  # "condition number about 27"
    w = np.zeros(2)
    for _ in range(400):
        w = w - (1 / lam_max) * 2 / n * X.T @ (X @ w - RENT)
    assert w == pytest.approx(np.linalg.lstsq(X, RENT, rcond=None)[0], abs=1e-6)


def test_the_momentum_step_counts_the_quiz_quotes():
    valley = PRESETS["long valley"]

    def steps(beta):
        w, v = np.array([-2.8, 1.0]), np.zeros(2)
        for k in range(5000):
            if valley.loss(*w) < 1e-6:
                return k
            v = beta * v + np.array(valley.grad(*w))
            w = w - 0.09 * v
        return None

    assert (steps(0.0), steps(0.5), steps(0.9)) == (81, 26, 139)
    quiz = "".join(c for c in _cells("code") if c.lstrip().startswith("Quiz("))
    assert "26 steps against 81" in quiz and "139 steps" in quiz


def test_the_exercises_predictions_are_what_the_playground_does():
    found = exercises_of("ch04")
    regimes = found["ch04.valley-regimes"].items
    expected = {
        "slides in without overshooting": ("converged", False),
        "overshoots but converges": ("converged", True),
        "bounces forever": ("oscillating", True),
        "diverges": ("diverged", True),
    }
    for item, label in regimes.items():
        lr = float(item.split("=")[1])
        run = run_descent("long valley", lr, (-2.8, 1.0), STEP_CAP)
        status, flips = expected[label]
        assert run.status == status, (item, run.status)
        w2 = run.path[:10, 1]
        assert bool(np.any(np.sign(w2[1:]) != np.sign(w2[:-1]))) == flips, item
    predict = found["ch04.predict-playground"]
    assert "fly off" in predict.options[predict.answer]
    run = run_descent("chapter example", 0.6, (0.0, 0.0), STEP_CAP)
    assert run.status == "diverged"
    swings = np.abs(run.path[1:10, 1] - 1)
    assert np.all(swings[1:] > swings[:-1])  # ever wider along w₂
