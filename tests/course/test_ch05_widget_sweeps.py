"""Chapter 5's three widgets never state something false, over the whole range of their controls.

Each sweep drives a widget's state and readout and checks every claim against a computation made
here: eigenvalues of a matrix built here, areas measured here, and Newton / gradient-descent runs checked step by step against gradients and Hessians
that sympy derives from each function's formula; areas are ∫|det J| with J from finite
differences of the map itself.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from calcml.widgets.jacobian_grid import MAPS, jacobian_grid_view
from calcml.widgets.newton2d import RULES, SURFACES, newton_vs_descent_stepper
from calcml.widgets.quadform import quadratic_form_explorer

SWEEP = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
NEGATIVE_ZERO = re.compile(r"(?<![\w.])-0(?:\.0+)?(?![\d.e])")


# -- quadratic-form explorer -------------------------------------------------------------------
QF = {}


def quadform():
    if "app" not in QF:
        QF["app"] = quadratic_form_explorer()
    return QF["app"]


grid_or_any = st.one_of(st.integers(-30, 30).map(lambda k: k / 10), st.floats(-3, 3))


@settings(SWEEP, max_examples=120)
@given(grid_or_any, grid_or_any, st.integers(0, 36), st.integers(0, 36))
@example(0.0, 0.0, 0, 0)
@example(0.0, 2.0, 7, 5)
@example(3.0, -3.0, 9, 0)
def test_quadratic_form_readout_is_true(l1, l2, angle_step, direction_step):
    app = quadform()
    angle, phi = 5 * angle_step, 5 * direction_step
    app._suspended = True
    try:
        for slider, value in (
            (app.l1_slider, l1),
            (app.l2_slider, l2),
            (app.angle_slider, angle),
            (app.direction_slider, phi),
        ):
            slider.value = value
    finally:
        app._suspended = False
    app.update_figure()
    text = app.readout()  # three significant digits: compared within half a unit of the last
    # the matrix, built here from its eigen-decomposition
    t = math.radians(angle)
    v1, v2 = np.array([math.cos(t), math.sin(t)]), np.array([-math.sin(t), math.cos(t)])
    H = l1 * np.outer(v1, v1) + l2 * np.outer(v2, v2)
    lam = np.linalg.eigvalsh(H)
    shown = [
        float(v) for v in re.search(r"H = \[\[(\S+), (\S+)\], \[(\S+), (\S+)\]\]", text).groups()
    ]
    assert np.allclose(shown, H.ravel(), rtol=5e-3, atol=5e-3)
    if lam.min() > 1e-9:
        truth = "minimum"
    elif lam.max() < -1e-9:
        truth = "maximum"
    elif lam.min() < -1e-9 < 1e-9 < lam.max():
        truth = "saddle"
    else:
        truth = "inconclusive"
    label = app.verdict_text.get_text()
    if truth == "inconclusive":
        assert "Test inconclusive" in text and label == "origin: test inconclusive"
    else:
        assert f"The origin is a {truth}" in text and label == f"origin: {truth}"
    det = float(re.search(r"det H = λ₁λ₂ = (\S+),", text).group(1))
    trace = float(re.search(r"trace H = λ₁ \+ λ₂ = (\S+),", text).group(1))
    assert det == pytest.approx(np.linalg.det(H), rel=5e-3, abs=5e-3)
    assert trace == pytest.approx(np.trace(H), rel=5e-3, abs=5e-3)
    condition = re.search(r"\|λ\|min = (.+)$", text.splitlines()[2]).group(1)
    small, big = sorted(np.abs(lam))
    if small > 1e-9:
        assert float(condition) == pytest.approx(big / small, rel=5e-3)
    else:
        assert condition.startswith("infinite")
    p = math.radians(phi)
    d = np.array([math.cos(p), math.sin(p)])
    curvature = float(re.search(r"dᵀHd = .* = (\S+), between", text).group(1))
    assert curvature == pytest.approx(d @ H @ d, rel=5e-3, abs=5e-3)
    assert lam.min() - 1e-9 <= d @ H @ d <= lam.max() + 1e-9  # the claim "between"
    assert NEGATIVE_ZERO.search(text) is None, text


# -- Jacobian grid view ------------------------------------------------------------------------
JG = {}


def grid_view(name):
    if name not in JG:
        JG[name] = jacobian_grid_view(name)
    return JG[name]


def mean_abs_det(F, p, s, n=200, h=1e-6):
    """∫|det J| over the square ÷ its area, by the midpoint rule, with J from central
    differences of F itself. Where F is one-to-one this is the area of the image ÷ the square's."""
    u = -s + (np.arange(n) + 0.5) * (2 * s / n)
    gx, gy = np.meshgrid(p[0] + u, p[1] + u)
    fx1, fy1 = F(gx + h, gy)
    fx0, fy0 = F(gx - h, gy)
    gx1, gy1 = F(gx, gy + h)
    gx0, gy0 = F(gx, gy - h)
    a, c = (fx1 - fx0) / (2 * h), (fy1 - fy0) / (2 * h)
    b, d = (gx1 - gx0) / (2 * h), (gy1 - gy0) / (2 * h)
    return float(np.mean(np.abs(a * d - b * c)))


def det_on_square_vanishes(name, p, s, n=401):
    """Does det J take the value 0 (or both signs) on the closed square? Checked on a grid that
    holds the square's edges, plus the exact zero set of the presets' determinants."""
    m = MAPS[name]
    u = np.linspace(-s, s, n)
    dets = np.array([np.linalg.det(m.J(p[0] + a, p[1] + b)) for a in u[::40] for b in u[::40]])
    crosses = dets.min() <= 0 <= dets.max()
    if name == "squaring":  # det = 4(x² + y²): zero only at the origin
        return crosses or (abs(p[0]) <= s and abs(p[1]) <= s)
    if name == "polar-like":  # det = r: zero on the line r = 0
        return crosses or abs(p[0]) <= s
    return crosses


@settings(SWEEP, max_examples=80)
@given(
    st.sampled_from(list(MAPS)),
    st.integers(-40, 40),
    st.integers(-40, 40),
    st.integers(0, 15),
)
@example("squaring", 0, 0, 5)  # the spot the chapter's prompt sends students to
@example("squaring", 6, 6, 5)  # a corner of the square at the origin
@example("polar-like", -10, 12, 5)  # r < 0: orientation flipped, not a negative area
@example("polar-like", 0, 12, 0)  # r = 0: singular
def test_jacobian_grid_readout_is_true(name, i, j, k):
    app = grid_view(name)
    p = (0.05 * i, 0.05 * j)
    s = 10 ** (-1.5 + 0.1 * k)
    app._suspended = True
    try:
        app.x_slider.value, app.y_slider.value, app.r_slider.value = p[0], p[1], s
    finally:
        app._suspended = False
    app.update_figure()
    text = app.readout()
    m = MAPS[name]
    J = m.J(*p)
    det = float(np.linalg.det(J))
    said = float(re.search(r"det J = (\S+)\.\n", text).group(1))
    assert said == pytest.approx(det, abs=1e-4)
    assert ("flips orientation" in text) == (det < -1e-12)
    assert ("not locally invertible" in text) == (abs(det) < 1e-12)
    folds = det_on_square_vanishes(name, p, s)
    if folds:
        assert "not one-to-one" in text and "area of its image ÷" not in text
    else:
        ratio = float(
            re.search(r"area of its image ÷ area of the square = (\d+\.\d+)", text).group(1)
        )
        assert ratio >= 0
        assert ratio == pytest.approx(mean_abs_det(m.F, p, s), rel=1e-3, abs=1e-4)
    assert NEGATIVE_ZERO.search(text) is None, text


# -- Newton vs gradient descent ------------------------------------------------------------------
XS, YS = sp.symbols("x y", real=True)
FORMULAS = {
    "Rosenbrock": (1 - XS) ** 2 + 100 * (YS - XS**2) ** 2,
    "saddle": XS**2 - YS**2,
    "double well": (XS**2 - 1) ** 2 + YS**2,
}
A = sp.Matrix(np.round(SURFACES["tilted bowl"].hess(np.zeros(2)), 15))
FORMULAS["tilted bowl"] = (
    sp.Rational(1, 2) * (sp.Matrix([XS, YS]).T * A * sp.Matrix([XS, YS]))[0] - XS - 2 * YS
)
TRUTH = {
    name: (
        sp.lambdify((XS, YS), f),
        sp.lambdify((XS, YS), [f.diff(XS), f.diff(YS)]),
        sp.lambdify((XS, YS), sp.hessian(f, (XS, YS))),
    )
    for name, f in FORMULAS.items()
}
NW = {}


def stepper(name):
    if name not in NW:
        NW[name] = newton_vs_descent_stepper(name)
    return NW[name]


def check_run(name, points, readout_line, detail_line, newton, rule, alpha, lr):
    f, grad, hess = TRUTH[name]
    pts = [np.asarray(v, dtype=float) for v in points]
    values = [f(*v) for v in pts]
    for k in range(1, len(pts)):  # every step is the method's step, checked here
        a, b = pts[k - 1], pts[k]
        g, h = np.array(grad(*a), dtype=float), np.array(hess(*a), dtype=float)
        if newton:
            delta = np.linalg.solve(h, g)
            t = 1.0 if rule == "full step" else alpha if rule.startswith("damped") else None
            if t is None:  # backtracking: the step is t·Δ for some t in {1, 1/2, 1/4, ...}
                fits = [
                    2.0**-j
                    for j in range(31)
                    if np.linalg.norm(b - (a - 2.0**-j * delta)) <= 1e-9 * (1 + np.linalg.norm(a))
                ]
                assert fits, (a, b, delta)
                t = fits[0]
                if g @ delta > 1e-12 and t < 1:  # it shortened the step: the longer one failed
                    longer = a - 2 * t * delta
                    assert f(*longer) > values[k - 1] - 1e-4 * 2 * t * (g @ delta) - 1e-12
                if g @ delta > 1e-12:  # a descent direction: the accepted step lowers f enough
                    assert values[k] <= values[k - 1] - 1e-4 * t * (g @ delta) + 1e-9
            assert np.linalg.norm(b - (a - t * delta)) <= 1e-9 * (1 + np.linalg.norm(a))
        else:
            assert b == pytest.approx(a - lr * g, rel=1e-9, abs=1e-12)
    last = pts[-1]
    # a rise is one beyond rounding, 1e-10 relative: the widget's stated definition
    up = [
        k
        for k in range(1, len(values))
        if values[k] > values[k - 1] + 1e-10 * (1 + abs(values[k - 1]))
    ]
    if not up:
        assert detail_line.strip() == "f fell (or stayed) at every step (up to rounding)."
    else:
        k = up[0]
        assert detail_line.strip().startswith(f"f rose at step {k},")
        if len(up) > 1:
            assert f"steps {', '.join(map(str, up))} in all" in detail_line
        if newton:
            pd = bool(np.all(np.linalg.eigvalsh(np.array(hess(*pts[k - 1]), dtype=float)) > 0))
            assert ("H was positive definite" in detail_line) == pd
    blown = not np.all(np.isfinite(last)) or np.max(np.abs(last)) > 1e6
    assert readout_line.startswith("blows up") == blown
    if blown:
        return
    critical = np.linalg.norm(np.array(grad(*last), dtype=float)) < 1e-8
    if critical:
        lam = np.linalg.eigvalsh(np.array(hess(*last), dtype=float))
        kind = (
            "a minimum"
            if lam.min() > 1e-9
            else "a maximum"
            if lam.max() < -1e-9
            else "a saddle point"
            if lam.min() < -1e-9 < 1e-9 < lam.max()
            else "a critical point"
        )
        assert readout_line.startswith("reached") and f"): {kind}" in readout_line
    elif "singular" in readout_line:
        h = np.array(hess(*last), dtype=float)
        assert newton and abs(np.linalg.det(h)) < 1e-9 * max(1, np.abs(h).max() ** 2)
    else:
        assert readout_line.startswith("still moving")


@settings(SWEEP, max_examples=100)
@given(
    st.sampled_from(list(SURFACES)),
    st.sampled_from(RULES),
    st.integers(0, 40),
    st.integers(1, 20),
    st.integers(-40, 0),
    st.floats(0, 1),
    st.floats(0, 1),
)
@example("Rosenbrock", "full step", 8, 10, -30, 0.2, 0.5)  # the overshoot from (−1.2, 1)
@example("double well", "full step", 5, 10, -13, 0.575, 0.833)  # heads for the saddle
@example("saddle", "backtracking line search", 3, 10, -10, 0.875, 0.625)
@example("tilted bowl", "damped (α)", 10, 4, 0, 0.5, 0.5)  # GD with η = 1 blows up
def test_newton_and_descent_readout_is_true(name, rule, steps, alpha_step, lr_step, fx, fy):
    app = stepper(name)
    s = SURFACES[name]
    start = (
        round(s.xlim[0] + 0.05 * round(fx * (s.xlim[1] - s.xlim[0]) / 0.05), 10),
        round(s.ylim[0] + 0.05 * round(fy * (s.ylim[1] - s.ylim[0]) / 0.05), 10),
    )
    alpha, lr = 0.05 * alpha_step, 10 ** (0.1 * lr_step)
    app._suspended = True
    try:
        app.rule_picker.value = rule
        app.steps_slider.value, app.alpha_slider.value, app.lr_slider.value = steps, alpha, lr
        app.x_slider.value, app.y_slider.value = start
    finally:
        app._suspended = False
    app.update_figure()
    text = app.readout()
    lines = text.splitlines()
    newton_line = lines[1].split(": ", 1)[1]
    gd_line = lines[3].split(": ", 1)[1]
    alpha, lr = app.alpha_slider.value, app.lr_slider.value
    assert len(app.newton.points) - 1 <= steps and len(app.gd.points) - 1 <= steps
    check_run(name, app.newton.points, newton_line, lines[2], True, rule, alpha, lr)
    check_run(name, app.gd.points, gd_line, lines[4], False, rule, alpha, lr)
    if rule == "backtracking line search":  # f only rises where H was not positive definite
        assert "H was positive definite" not in lines[2]
    assert NEGATIVE_ZERO.search(text) is None, text
