"""Chapter 3 (critical points and curvature): its key claims, checked through the functions it uses."""

from __future__ import annotations

import inspect
import json
import math
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import calcml.plots.critical as plots
from calcml.widgets.critical import X, analyse_polynomial
from calcml.widgets.descent1d import (
    classify_run,
    double_well_loss,
    gradient_descent_1d,
    quadratic_loss,
)

NOTEBOOK = Path(__file__).resolve().parents[2] / "course" / "03-critical-points.ipynb"
FIGURES = [
    f
    for name, f in inspect.getmembers(plots, inspect.isfunction)
    if f.__module__ == plots.__name__ and name.endswith("_figure")
]
WORKED = X**3 - 3 * X**2 - 9 * X + 5


def code_of_notebook() -> str:
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")


def test_notebook_uses_both_widgets_every_figure_and_a_quiz():
    code = code_of_notebook()
    assert "critical_point_explorer(" in code and "descent_stepper_1d(" in code
    for func in FIGURES:
        assert f"{func.__name__}(" in code, f"chapter 3 never shows {func.__name__}"
    assert "Quiz(" in code
    assert 4 <= code.count("multiple_choice(") + code.count("true_false(") <= 8


@pytest.mark.parametrize("func", FIGURES, ids=lambda f: f.__name__)
def test_every_figure_has_titles_and_labelled_axes(func):
    takes_expr = func in (plots.worked_polynomial_figure, plots.sign_chart_figure)
    fig = func(WORKED, (-3, 5)) if takes_expr else func()
    for ax in fig.axes:
        assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel(), func.__name__


def test_worked_cubic():
    analysis = analyse_polynomial(WORKED)
    assert [(p.x, p.value, p.nature) for p in analysis.critical_points] == [
        (-1.0, 10.0, "local maximum"),
        (3.0, -22.0, "local minimum"),
    ]
    assert analysis.inflection_points == (1.0,)
    assert WORKED.subs(X, 1) == -6
    f1 = sp.lambdify(X, sp.diff(WORKED, X))
    f2 = sp.lambdify(X, sp.diff(WORKED, X, 2))
    assert f1(-2) > 0 and f1(1) < 0 and f1(4) > 0  # increasing, decreasing, increasing
    assert f2(0) < 0 < f2(2)  # concave down, then up


def test_second_derivative_test_is_inconclusive_for_the_flat_cases():
    natures = {}
    for expr in [X**3, X**4, -(X**4)]:
        (p,) = analyse_polynomial(expr).critical_points
        assert p.second_test == "inconclusive"
        natures[str(expr)] = p.nature
    assert natures == {"x**3": "not an extremum", "x**4": "local minimum", "-x**4": "local maximum"}


def test_double_well_minima_as_the_chapter_states():
    well = double_well_loss()
    glob, local = sorted(well.minima, key=well.loss)
    assert glob == pytest.approx(-1.30, abs=0.01) and local == pytest.approx(1.13, abs=0.01)
    assert well.loss(glob) < well.loss(local)
    # the local_minimum_figure's three starts end where its caption says
    ends = [gradient_descent_1d(well.grad, s, 0.02, 60)[-1] for s in (-1.9, 0.3, 1.9)]
    assert ends == pytest.approx([glob, local, local], abs=1e-2)


def test_learning_rate_figure_shows_converge_oscillate_diverge():
    loss = quadratic_loss(2.0)
    statuses = [
        classify_run(gradient_descent_1d(loss.grad, -1.0, lr, 12), loss, lr)
        for lr in (0.1, 0.5, 0.9, 1.0, 1.1)
    ]
    assert statuses == [
        "converging",
        "converged",
        "oscillating, converging",
        "bouncing",
        "swings growing",
    ]


def test_quiz_claim_learning_rate_limit_for_curvature_ten():
    loss = quadratic_loss(curvature=10.0, center=1.0)
    below, above = (gradient_descent_1d(loss.grad, 0.0, lr, 40) for lr in (0.19, 0.21))
    assert classify_run(below, loss, 0.19) == "oscillating, converging"
    assert classify_run(above, loss, 0.21) == "swings growing"
    assert abs(below[-1] - 1) < abs(below[0] - 1) < abs(above[-1] - 1)


def test_convex_losses_have_nonnegative_second_derivative():
    w, z = sp.symbols("w z", real=True)
    xs = sp.symbols("x1:4", real=True)
    ys = sp.symbols("y1:4", real=True)
    mse = sum((b - w * a) ** 2 for a, b in zip(xs, ys, strict=True)) / 3
    assert sp.simplify(sp.diff(mse, w, 2) - sum(2 * a**2 for a in xs) / 3) == 0
    logistic = sp.log(1 + sp.exp(-z))
    second = sp.lambdify(z, sp.diff(logistic, z, 2))
    assert all(second(v) > 0 for v in np.linspace(-20, 20, 81))
    # the double well is not convex: its curve rises above the chord drawn in the chapter
    well = double_well_loss()
    a, b = -1.3, 1.1
    t = np.linspace(0, 1, 101)
    chord = (1 - t) * well.loss(a) + t * well.loss(b)
    assert np.any(well.loss((1 - t) * a + t * b) > chord)


def test_newton_one_step_on_a_quadratic_and_fast_convergence_on_exp():
    loss = quadratic_loss(curvature=2.0)
    for start in (-1.0, 10.0, 2.5):
        assert start - loss.grad(start) / loss.curvature(start) == pytest.approx(3.0)
    w = 2.0
    first = w - (math.exp(w) - 2) / math.exp(w)
    assert first == pytest.approx(1.27, abs=0.005)  # the figure's caption
    for _ in range(5):
        w = w - (math.exp(w) - 2) / math.exp(w)
    assert abs(w - math.log(2)) < 1e-8


def test_learning_rate_one_over_curvature_lands_in_one_step():
    for c in (0.5, 2.0, 10.0):
        loss = quadratic_loss(curvature=c)
        assert gradient_descent_1d(loss.grad, -1.0, 1 / c, 1)[-1] == pytest.approx(3.0)


def test_step_below_two_over_max_curvature_never_raises_the_double_well_loss():
    # the chapter: if L'' <= c everywhere (here on the region the run visits), 0 < η < 2/c lowers the loss
    well = double_well_loss()
    ws = np.linspace(-2.0, 2.0, 401)
    c = max(well.curvature(w) for w in ws)
    run = gradient_descent_1d(well.grad, 1.9, 1.9 / c, 50)
    assert np.all(np.abs(run) <= 2.0)
    assert np.all(np.diff(well.loss(run)) <= 1e-12)


def test_logistic_loss_on_separable_data_has_no_minimum():
    # convex, yet no minimiser: with every margin positive the loss keeps falling as w grows
    xs, ys = np.array([-2.0, -1.0, 1.0, 3.0]), np.array([-1.0, -1.0, 1.0, 1.0])

    def loss(w):
        return np.mean(np.logaddexp(0, -ys * w * xs))

    values = [loss(w) for w in (1.0, 2.0, 4.0, 8.0, 16.0)]
    assert np.all(np.diff(values) < 0) and values[-1] > 0


def test_worked_cubic_hand_steps_as_the_chapter_states():
    # the sign table's test points and the values at the critical points
    f1 = sp.diff(WORKED, X)
    assert sp.expand(f1 - 3 * (X - 3) * (X + 1)) == 0
    assert [f1.subs(X, t) for t in (-2, 0, 4)] == [15, -9, 15]
    assert [WORKED.subs(X, c) for c in (-1, 3, 1)] == [10, -22, -6]
    assert [sp.diff(WORKED, X, 2).subs(X, c) for c in (-1, 3)] == [-12, 12]


def test_slow_descent_on_w4_numbers_in_the_text():
    ws = gradient_descent_1d(lambda v: 4 * v**3, 1.0, 0.1, 1000)
    assert round(ws[100], 3) == 0.109 and round(ws[1000], 3) == 0.035
    bowl = gradient_descent_1d(lambda v: 2 * v, 1.0, 0.1, 100)
    assert bowl[100] ** 2 < 1e-16


def test_plateau_runs_as_the_text_describes():
    from calcml.widgets.descent1d import plateau_loss

    loss = plateau_loss()
    assert classify_run(gradient_descent_1d(loss.grad, -1.0, 0.1, 5), loss, 0.1) == "stuck"
    assert gradient_descent_1d(loss.grad, -1.0, 0.25, 1)[-1] == 1.5
    creep = gradient_descent_1d(loss.grad, -1.0, 0.05, 50)
    assert np.all(np.diff(creep) > 0) and -0.1 < creep[-1] < 0


def test_basins_split_at_the_hilltop_for_small_steps_and_bounds_in_the_text():
    well = double_well_loss()
    left, top, right = (c.w for c in well.critical)
    assert top == pytest.approx(0.170, abs=5e-4)
    for start in np.linspace(-2.2, 2.2, 45):
        end = gradient_descent_1d(well.grad, start, 0.05, 1500)[-1]
        assert end == pytest.approx(left if start < top else right, abs=1e-6)
    assert 2 / well.curvature(left) == pytest.approx(0.140, abs=5e-4)
    assert 2 / well.curvature(right) == pytest.approx(0.214, abs=5e-4)
    end = gradient_descent_1d(well.grad, 0.15, 0.02, 2000)[-1]  # the basin exercise
    assert end == pytest.approx(left, abs=1e-6)


def test_rent_slope_numbers():
    from calcml.regression import AREA, RENT, slope_loss

    best = (AREA * RENT).sum() / (AREA**2).sum()
    assert best == pytest.approx(1.7474, abs=1e-4)
    assert 1 / np.mean(AREA**2) == pytest.approx(0.6263, abs=1e-4)
    grid = np.linspace(0, 3, 30_001)
    assert grid[np.argmin(slope_loss(grid))] == pytest.approx(best, abs=1e-4)
