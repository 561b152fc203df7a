"""The critical-point explorer never states something false, for its presets and for random
polynomials, at every cursor position.

Every claim of the readout is checked against a computation made here: critical points are the
real roots of f′ found by NumPy, each classified by the values of f just left and right of it;
the global minimum or maximum by a dense grid; inflection points by the sign of f″ on either side;
the cursor line by exact rational arithmetic at the cursor.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import sympy as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calcml.widgets.critical import PRESETS, Preset, X, critical_point_explorer

APPS: dict[str, object] = {}


def explorer(name: str = "mine"):
    """One explorer per preset (switching presets redraws everything, which is slow)."""
    if name not in APPS:
        APPS[name] = critical_point_explorer(name, functions={"mine": "x"})
    return APPS[name]


def neighbours_say(f, c: float, delta: float) -> str:
    here, left, right = f(c), f(c - delta), f(c + delta)
    if left > here and right > here:
        return "local minimum"
    if left < here and right < here:
        return "local maximum"
    return "not an extremum"


def check_readout(expr, text: str, x0: float, app) -> None:
    poly = sp.Poly(expr, X)
    coeffs = [float(c) for c in poly.all_coeffs()]
    f = sp.lambdify(X, expr)
    d1 = np.polyder(coeffs)
    roots = np.roots(d1) if len(d1) > 1 else np.array([])
    real = sorted(r.real for r in roots if abs(r.imag) < 1e-6)
    # distinct real roots (NumPy splits a double root into a close pair)
    distinct = []
    for r in real:
        if not distinct or abs(r - distinct[-1]) > 1e-4:
            distinct.append(r)
    listed = re.findall(r"^  x = (\S+): f = (\S+); (.*)$", text, flags=re.M)
    if poly.degree() >= 2 or (poly.degree() == 1):
        assert len(listed) == len(distinct), (text, distinct)
    gap = min(np.diff(distinct)) if len(distinct) > 1 else 1.0
    for (xs, fs, rest), root in zip(listed, distinct, strict=True):
        c = float(xs)
        assert c == pytest.approx(root, abs=2e-3)
        assert float(fs) == pytest.approx(f(c), rel=1e-3, abs=1e-3)
        truth = neighbours_say(f, c, min(1e-2, gap / 4))
        said = rest.rsplit("→ ", 1)[-1] if "→" in rest else rest
        if "inconclusive" in rest:
            second = float(np.polyval(np.polyder(coeffs, 2), root))
            assert abs(second) < 1e-6
            if truth == "not an extremum":
                assert "neither a maximum nor a minimum" in rest
            else:
                assert f"so it is a {truth}" in rest
        else:
            assert said == truth, (text, c)

    # the global line, checked on a grid that holds every critical point
    reach = 2 + max([abs(r) for r in distinct] + [0])
    grid = np.linspace(-reach, reach, 40_001)
    values = f(grid) * np.ones_like(grid)
    global_line = next(line for line in text.splitlines() if "global" in line.lower())
    if poly.degree() == 0:
        assert "f is constant" in global_line
    elif poly.degree() % 2 == 1:
        assert "No global maximum or minimum" in global_line
    else:
        lead = coeffs[0]
        best = values.min() if lead > 0 else values.max()
        word = "minimum" if lead > 0 else "maximum"
        assert global_line.startswith(f"Global {word} at ")
        said = float(re.search(r"\(f = (\S+)\)", global_line).group(1))
        assert said == pytest.approx(best, rel=2e-3, abs=2e-3)
        places = [float(v) for v in re.findall(r"x = (\S+?)(?: and| \()", global_line)]
        tied = [r for r in distinct if abs(f(r) - best) < 1e-6 * max(1, abs(best))]
        assert len(places) == len(tied) and np.allclose(places, tied, atol=2e-3)

    # inflection points: f″ changes sign at each one listed, and at no other root of f″
    d2 = np.polyder(coeffs, 2)
    infl_line = next(line for line in text.splitlines() if "nflection" in line)
    listed_infl = [float(v) for v in re.findall(r"x = (\S+?)(?:,|$)", infl_line)]
    roots2 = [r.real for r in (np.roots(d2) if len(d2) > 1 else []) if abs(r.imag) < 1e-6]
    changes = []
    for r in sorted(roots2):
        left, right = np.polyval(d2, r - 1e-3), np.polyval(d2, r + 1e-3)
        if left * right < 0 and not any(abs(r - c) < 1e-4 for c in changes):
            changes.append(r)
    assert np.allclose(sorted(listed_infl), changes, atol=2e-3), (infl_line, changes)

    # the cursor: exact values at the cursor, and words that match their signs
    cursor_line = text.splitlines()[-1]
    exact = sp.Rational(round(x0 * 50), 50)  # the cursor sits on the slider's 0.02 grid
    assert float(exact) == x0
    values = [
        expr.subs(X, exact),
        sp.diff(expr, X).subs(X, exact),
        sp.diff(expr, X, 2).subs(X, exact),
    ]
    words = [
        None,
        ("increasing", "decreasing", "flat"),
        ("concave up", "concave down", "no bending"),
    ]
    for value, name, pair in zip(values, ("f", "f′", "f″"), words, strict=True):
        shown = float(re.search(rf"{name} = (\S+?)[ ,]", cursor_line + " ").group(1))
        assert shown == pytest.approx(float(value), rel=1e-3, abs=1e-9)
        if pair:
            up, down, flat = pair
            expected = flat if value == 0 else up if value > 0 else down
            assert f"({expected})" in cursor_line
    assert re.search(r"-0(\.0*)?(?![\d.])", text) is None, text  # no negative zero
    for ax in app.axes[1:]:  # the zero line of f′ and f″ stays in view
        low, high = ax.get_ylim()
        assert low < 0 < high


def drive(app, name: str, cursor: float) -> tuple[str, float]:
    if app.chooser.value != name:
        app.chooser.value = name
    app._suppress = True
    try:
        app.cursor.value = cursor
    finally:
        app._suppress = False
    app.update_figure()
    return app.readout(), app.cursor_x()


@st.composite
def preset_and_cursor(draw):
    name = draw(st.sampled_from(list(PRESETS)))
    lo, hi = PRESETS[name].xlim
    steps = int(round((hi - lo) / 0.02))
    k = draw(st.integers(0, steps))
    # the arrow keys add 0.02 at a time: include the floating-point dust that leaves
    dust = draw(st.sampled_from([0.0, 1e-15, -1e-15, 3e-16]))
    return name, float(np.clip(lo + 0.02 * k + dust, lo, hi))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(preset_and_cursor())
def test_every_preset_reads_true_at_every_cursor(case):
    name, cursor = case
    app = explorer(name)
    text, x0 = drive(app, name, cursor)
    assert x0 == pytest.approx(cursor, abs=1e-9)
    check_readout(PRESETS[name].expr, text, x0, app)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.integers(-4, 4), min_size=1, max_size=6).filter(lambda c: any(c)),
    st.integers(0, 200),
)
def test_random_polynomials_read_true(coeffs, k):
    expr = sp.expand(sum(c * X**i for i, c in enumerate(coeffs)))
    app = explorer()
    # the custom slot "mine" gets a new polynomial, as if typed in; the drawing is redone
    app.presets["mine"] = Preset(f"mine: {expr}", expr, (-2.0, 2.0))
    app._static_key = None
    text, x0 = drive(app, "mine", -2.0 + 0.02 * k)
    check_readout(expr, text, x0, app)


@pytest.mark.parametrize(
    ("formula", "where"),
    [
        ("x**4 - 2*x**2", [-1.0, 1.0]),
        ("x**6 - 3*x**4", [-1.414, 1.414]),
        ("-(x**2 - 1)**2", [-1.0, 1.0]),
    ],
)
def test_tied_global_extrema_are_all_named(formula, where):
    app = critical_point_explorer("tie", functions={"tie": formula})
    line = next(line for line in app.last_readout.splitlines() if line.startswith("Global"))
    found = [float(v) for v in re.findall(r"x = (\S+?)(?: and| \()", line)]
    assert found == pytest.approx(where, abs=1e-3)
