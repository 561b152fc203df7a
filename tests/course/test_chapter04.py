"""Chapter 4 (gradients): its key claims, checked through the package functions the notebook uses."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import sympy as sp
from matplotlib.figure import Figure

from calcml.plots import gradients as plots
from calcml.widgets.descent2d import PRESETS, run_descent

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
    "directional": lambda: plots.directional_derivative_figure([3.0, 4.0]),
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
        np.arange(5.0), np.arange(5.0) * 2, (0.0, 2.0), np.array([4.0, 1.0, 0.1])
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
