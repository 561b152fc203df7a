"""The 1-D stepper never states something false: every control swept over its whole range.

Each example sets the loss, η, the start and the number of steps (slider grid points and arbitrary
values in range), reads the readout, and checks every claim in it against a computation made here:
the losses are rebuilt from their formulas with sympy, gradient descent is re-run with its own loop,
critical points are found and classified from neighbouring values, and the "keep going" forecast
is re-run step by step.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from calcml.regression import AREA, RENT
from calcml.widgets.descent1d import STATUS_TEXT, descent_stepper_1d

W = sp.Symbol("w", real=True)
FORMULAS = {
    "quadratic": (W - 3) ** 2,
    "double well": W**4 - 3 * W**2 + W,
    "flat bottom w⁴": W**4,
    "plateau w⁴ − 2w³": W**4 - 2 * W**3,
    "rent slope (running example)": sum(
        (W * sp.nsimplify(a) - sp.nsimplify(r)) ** 2 for a, r in zip(AREA, RENT, strict=True)
    )
    / len(AREA),
}
TOL, BOUND, WINDOW = 1e-6, 1e6, 6


class Truth:
    """What is true of one loss, computed from its formula alone."""

    def __init__(self, expr):
        self.loss = sp.lambdify(W, expr)
        self.grad = sp.lambdify(W, sp.diff(expr, W))
        self.curv = sp.lambdify(W, sp.diff(expr, W, 2))
        roots = sorted({float(r) for r in sp.real_roots(sp.Poly(sp.diff(expr, W), W))})
        self.critical = [(r, self._kind(r)) for r in roots]

    def _kind(self, r: float) -> str:
        here, left, right = self.loss(r), self.loss(r - 1e-3), self.loss(r + 1e-3)
        if left > here and right > here:
            return "minimum"
        if left < here and right < here:
            return "maximum"
        return "neither"

    def nearest(self, w: float, minima_only: bool = False):
        points = [c for c in self.critical if c[1] == "minimum" or not minima_only]
        return min(points, key=lambda c: abs(c[0] - w))

    def run(self, w0: float, lr: float, n: int) -> list[float]:
        ws = [w0]
        for _ in range(n):
            ws.append(ws[-1] - lr * self.grad(ws[-1]))
            if not math.isfinite(ws[-1]) or abs(ws[-1]) > BOUND:
                break
        return ws


TRUTH = {name: Truth(expr) for name, expr in FORMULAS.items()}
APPS: dict[str, object] = {}


def app_for(name: str):
    if name not in APPS:
        APPS[name] = descent_stepper_1d(name)
    return APPS[name]


@st.composite
def settings_of_the_controls(draw):
    name = draw(st.sampled_from(list(FORMULAS)))
    app = app_for(name)
    spec = app.losses[name]
    n_lr = int(round(spec.lr_max / spec.lr_step))
    lr = draw(
        st.one_of(
            st.integers(0, n_lr).map(lambda k: round(k * spec.lr_step, 10)),
            st.floats(0, spec.lr_max),
        )
    )
    lo, hi = spec.wlim
    n_start = int(round((hi - lo) / 0.05))
    start = draw(
        st.one_of(
            st.integers(0, n_start).map(lambda k: round(lo + 0.05 * k, 10)),
            st.floats(lo, hi),
        )
    )
    steps = draw(st.integers(0, app.MAX_STEPS))
    return name, lr, start, steps


def read(name, lr, start, steps) -> tuple[str, np.ndarray, float, int]:
    app = app_for(name)
    if app.chooser.value != name:
        app.chooser.value = name
    app._suppress = True
    try:
        app.lr_slider.value, app.start_slider.value, app.steps_slider.value = lr, start, steps
    finally:
        app._suppress = False
    app.update_figure()
    # the sliders clamp to their range: the truth is computed for the values they hold
    return app.readout(), app._ws, app.lr_slider.value, app.steps_slider.value


def verdict_key(text: str) -> str:
    line = next(line for line in text.splitlines() if line.startswith("Verdict: "))
    said = line.removeprefix("Verdict: ")
    keys = [key for key, words in STATUS_TEXT.items() if said.startswith(words)]
    assert len(keys) == 1, said
    return keys[0]


def trend(sizes) -> str:
    """The words' definitions: every ratio of consecutive step sizes within 1e-3 of 1 is
    "steady"; none above 1 + 1e-3 and a mean factor below 1 − 1e-3 is "shrinking"; the mirror
    image "growing"; anything else "mixed"."""
    with np.errstate(all="ignore"):  # a step lost to rounding has size 0
        ratios = np.asarray(sizes[1:]) / np.asarray(sizes[:-1])
    if np.all(np.abs(ratios - 1) <= 1e-3):
        return "steady"
    mean = float(np.prod(ratios)) ** (1 / len(ratios))
    if np.all(ratios <= 1 + 1e-3) and mean < 1 - 1e-3:
        return "shrinking"
    if np.all(ratios >= 1 - 1e-3) and mean > 1 + 1e-3:
        return "growing"
    return "mixed"


def check_verdict(truth: Truth, key: str, ws: list[float], lr: float) -> None:
    last = ws[-1]
    blown = not math.isfinite(last) or abs(last) > BOUND
    if key == "not moving" or lr == 0:
        assert key == "not moving" and lr == 0 and len(set(ws)) == 1
        return
    assert (key == "blows up") == blown
    if blown:
        return
    at_critical = abs(truth.grad(last)) < TOL
    if key in ("converged", "stuck") or at_critical:
        assert at_critical
        point, kind = truth.nearest(last)
        assert abs(point - last) < 1e-2  # |L′| < 1e-6 holds only near a root of L′ here
        assert (kind == "minimum") == (key == "converged")
        return
    if len(ws) - 1 < 3:
        assert key == "too few steps"
        return
    recent = np.array(ws[-(WINDOW + 1) :])
    steps = np.diff(recent)
    signs = np.sign(steps)
    one_way = bool(np.all(signs == signs[0]))
    back_and_forth = bool(np.all(signs[1:] != signs[:-1]))
    falling = bool(np.all(np.diff([truth.loss(w) for w in recent]) < 0))
    shape = trend(np.abs(steps))
    if key in ("converging", "speeding up", "downhill"):
        assert one_way and falling
        assert key != "converging" or shape == "shrinking"
        assert key != "speeding up" or shape == "growing"
    elif key in ("oscillating, converging", "cannot settle", "bouncing", "swings growing"):
        assert back_and_forth
        assert {"bouncing": "steady", "swings growing": "growing"}.get(key, "shrinking") == shape
        if key in ("oscillating, converging", "cannot settle"):
            m, _ = truth.nearest(last, minima_only=True)
            limit = 2 / truth.curv(m) if truth.curv(m) > 0 else math.inf
            assert (lr < limit) == (key == "oscillating, converging")
            if key == "cannot settle":  # the claim itself: it never settles at that minimum
                assert all(abs(w - m) > 1e-6 for w in truth.run(last, lr, 2000)[-50:])
    else:
        assert key == "not settling"
        regular_oscillation = back_and_forth and shape != "mixed"
        assert not (one_way and falling) and not regular_oscillation


def check_forecast(truth: Truth, text: str, key: str, ws: list[float], lr: float) -> None:
    line = next((line for line in text.splitlines() if line.startswith("Keep going")), None)
    if key in ("blows up",):
        assert line is None
        return
    if key == "not moving":
        assert "nothing ever changes" in line
        return
    w, k = ws[-1], 0
    while abs(truth.grad(w)) >= TOL and k < 10_000:
        w = w - lr * truth.grad(w)
        k += 1
        if not math.isfinite(w) or abs(w) > BOUND:
            break
    if not math.isfinite(w) or abs(w) > BOUND:
        assert f"blows up after {k} more step" in line
    elif abs(truth.grad(w)) < TOL:
        said = "already below" if k == 0 else f"{k} more step"
        assert said in line
        point, kind = truth.nearest(w)
        assert f"at w = {point:.4g}".replace("-0 ", "0 ") in line or abs(point) < 1e-12
        assert line.endswith(", not a minimum.") == (kind != "minimum")
    else:
        assert "after 10 000 more steps" in line and "still not at a critical point" in line


def check_bound_line(truth: Truth, text: str, lr: float) -> None:
    line = text.splitlines()[1]
    where = float(re.search(r"w\* = (\S+?):", line).group(1))
    m, kind = truth.nearest(where, minima_only=True)
    assert kind == "minimum" and abs(m - where) < 1e-3 * max(1, abs(m))
    curvature = truth.curv(m)
    if curvature < 1e-9:
        assert "L″ = 0" in line
        return
    compare = re.search(r"η ([<=>]) 2/L″$", line).group(1)
    limit = 2 / curvature
    expected = "<" if lr < limit - 1e-9 else ">" if lr > limit + 1e-9 else "="
    assert compare == expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(settings_of_the_controls())
@example(("quadratic", 0.0, -1.0, 10))  # η = 0 with a slope under it: not converged
@example(("quadratic", 0.0, 3.0, 10))  # η = 0 at the minimum: still "not moving"
@example(("plateau w⁴ − 2w³", 0.1, -1.0, 10))  # lands exactly on the flat inflection: stuck
@example(("plateau w⁴ − 2w³", 0.05, 0.0, 10))  # starts on it
@example(("double well", 0.2, 1.9, 50))  # bounded, irregular
@example(("double well", 0.14, 1.9, 50))  # η just above 2/L″ at −1.30
@example(("double well", 0.005, 0.2, 10))  # speeding up downhill off the hilltop
@example(("flat bottom w⁴", 0.1, 1.0, 50))  # the slow crawl
@example(("flat bottom w⁴", 0.5, 1.5, 5))  # blows up
@example(("quadratic", 1.0, -1.0, 10))  # bouncing forever
@example(("rent slope (running example)", 0.63, 0.0, 50))  # just above the bound
def test_every_claim_of_the_readout_is_true(controls):
    name, lr, start, steps = controls
    text, ws_widget, lr, steps = read(name, lr, start, steps)
    truth = TRUTH[name]
    ws = [float(w) for w in ws_widget]
    # the iterates are gradient descent: each one is one step from the one before (chaotic runs
    # amplify rounding, so the steps are checked one at a time, not a whole re-run)
    for a, b in zip(ws[:-1], ws[1:], strict=True):
        assert b == pytest.approx(a - lr * truth.grad(a), rel=1e-9, abs=1e-12)
    stopped = not math.isfinite(ws[-1]) or abs(ws[-1]) > BOUND
    assert len(ws) - 1 == steps or (stopped and len(ws) - 1 < steps)
    key = verdict_key(text)
    if lr == 0:
        assert "converg" not in text.splitlines()[2]
    check_verdict(truth, key, ws, float(lr))
    check_forecast(truth, text, key, ws, float(lr))
    check_bound_line(truth, text, float(lr))
    assert "-0 " not in text and "-0\n" not in text


@pytest.mark.parametrize("name", list(FORMULAS))
def test_the_widget_losses_are_the_formulas(name):
    spec = app_for(name).losses[name]
    truth = TRUTH[name]
    for w in np.linspace(*spec.wlim, 7):
        assert spec.loss(w) == pytest.approx(truth.loss(w), abs=1e-9)
        assert spec.grad(w) == pytest.approx(truth.grad(w), abs=1e-9)
    kinds = {"minimum": "minimum", "maximum": "maximum", "flat inflection": "neither"}
    assert [(pytest.approx(c.w, abs=1e-9), kinds[c.kind]) for c in spec.critical] == truth.critical
