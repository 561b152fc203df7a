"""Every sentence the secant demo's readout can print, checked over the whole range of its controls.

Hypothesis picks a function, a point a on the slider's grid, a step size on the log slider's grid
(1e-10 to 1 in quarter decades), a side (right, left, both) and the "explain the gap" switch.
Each verdict word is then checked against numbers computed here, independently of the widget:
exact secant slopes in rational arithmetic (``fractions``) for x², x³ and |x|, in 60-digit
``mpmath`` for the others, derivatives written out by hand, and the classification of the three
failures at 0 (corner, cusp, vertical tangent) from their definitions.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

import mpmath
import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from calcml.widgets.secant import BOTH, LEFT, RIGHT, describe, secant_explorer, secant_reading

FUNCTIONS = ["x^2", "x^3", "sin", "exp", "abs", "cbrt", "x^(2/3)"]
A_GRID = [round(-2 + 0.05 * k, 10) + 0.0 for k in range(81)]
SIZES = [10.0 ** (-k / 4) for k in range(41)]  # the log slider: 1e-10 … 1 in quarter decades
FAILURE_AT_ZERO = {"abs": "corner", "x^(2/3)": "cusp", "cbrt": "vertical"}

# the functions in floating point, as a learner would evaluate them
FLOAT = {
    "x^2": np.square,
    "x^3": lambda x: np.power(x, 3),
    "sin": np.sin,
    "exp": np.exp,
    "abs": np.abs,
    "cbrt": np.cbrt,
    "x^(2/3)": lambda x: np.cbrt(x) ** 2,
}
RATIONAL = {"x^2": lambda x: x * x, "x^3": lambda x: x * x * x, "abs": abs}


def _real_cbrt(x):
    return mpmath.sign(x) * mpmath.root(abs(x), 3)


HIGH = {
    "sin": mpmath.sin,
    "exp": mpmath.exp,
    "cbrt": _real_cbrt,
    "x^(2/3)": lambda x: _real_cbrt(x) ** 2,
}


def derivative(function: str, a: float):
    """f′(a) by hand, exactly where possible; None where it does not exist."""
    if a == 0 and function in FAILURE_AT_ZERO:
        return None
    q = Fraction(a)
    return {
        "x^2": lambda: 2 * q,
        "x^3": lambda: 3 * q * q,
        "abs": lambda: Fraction(1 if a > 0 else -1),
        "sin": lambda: mpmath.cos(mpmath.mpf(a)),
        "exp": lambda: mpmath.exp(mpmath.mpf(a)),
        "cbrt": lambda: abs(mpmath.mpf(a)) ** (mpmath.mpf(-2) / 3) / 3,
        "x^(2/3)": lambda: mpmath.sign(a) * 2 * abs(mpmath.mpf(a)) ** (mpmath.mpf(-1) / 3) / 3,
    }[function]()


def exact_secant(function: str, a: float, h: float):
    if function in RATIONAL:
        f, qa, qh = RATIONAL[function], Fraction(a), Fraction(h)
        return (f(qa + qh) - f(qa)) / qh
    f, ma, mh = HIGH[function], mpmath.mpf(a), mpmath.mpf(h)
    return (f(ma + mh) - f(ma)) / mh


def float_secant(function: str, a: float, h: float) -> float:
    f = FLOAT[function]
    return float((f(a + h) - f(a)) / h)


def parts(function: str, a: float, h: float, target) -> tuple[float, float]:
    """(truncation, rounding) of the gap, computed here."""
    exact = exact_secant(function, a, h)
    slope = float_secant(function, a, h)
    if isinstance(exact, Fraction) and isinstance(target, Fraction):
        return float(exact - target), float(Fraction(slope) - exact)
    return float(mpmath.mpf(exact) - mpmath.mpf(target)), float(
        mpmath.mpf(slope) - mpmath.mpf(exact)
    )


def _numbers(line: str) -> list[float]:
    return [float(x) for x in re.findall(r"[+-]?\d+\.\d+(?:e[+-]\d+)?", line)]


def _check_verdict(line: str, function, a, h, target, tol) -> None:
    """One "→ ..." or "  right: ... →" verdict against the independent split of the gap."""
    t, r = parts(function, a, h, target)
    big = max(abs(t), abs(r))
    if "agree to within" in line:
        assert big <= tol * (1 + 1e-9), (line, t, r)
        return
    assume(big > tol * 1.01)  # a state on the tolerance's edge decides nothing
    if "straight" in line:
        assert t == 0.0, (line, t)  # exactly straight: the exact secant slope is the target
        return
    assert t != 0.0, line  # a straight piece must be called straight
    assume(abs(abs(r) - abs(t)) > 1e-6 * big)  # a tie between the parts decides nothing
    if "rounding dominates" in line:
        assert abs(r) > abs(t), (line, t, r)
        match = re.search(r"about (\d+) of their 16 digits", line)
        fa, fah = float(FLOAT[function](a)), float(FLOAT[function](a + h))
        relative = abs(fah - fa) / max(abs(fa), abs(fah), 1e-300)
        if match:  # the cancellation it names is real: f(a+h) and f(a) differ in digit N or so
            digits = int(match.group(1))
            assert relative < 1e-3 and abs(-math.log10(max(relative, 1e-16)) - digits) <= 0.5
        else:
            assert relative >= 1e-3 or fa == fah == 0
    elif "truncation dominates" in line:
        assert abs(t) >= abs(r), (line, t, r)
        # "tends to 0 as h → 0": a thousand times smaller step leaves a smaller truncation
        t_small, _ = parts(function, a, h / 1000, target)
        assert abs(t_small) < abs(t)
    else:
        raise AssertionError(f"unknown verdict: {line!r}")


controls = st.tuples(
    st.sampled_from(FUNCTIONS),
    st.sampled_from(A_GRID),
    st.sampled_from(SIZES),
    st.sampled_from([RIGHT, LEFT, BOTH]),
    st.booleans(),
)


@settings(max_examples=150, deadline=None)
@given(state=controls)
def test_every_readout_sentence_is_true(state):
    with mpmath.workdps(60):  # the independent numbers: 60 digits, far beyond double precision
        _check_state(*state)


def _check_state(function, a, size, side, explain):
    reading = secant_reading(function, a, size, side)
    text = describe(reading, explain)
    lines = text.splitlines()
    d = derivative(function, a)
    kind = FAILURE_AT_ZERO.get(function) if a == 0 else None

    # the secant slopes printed are the learner's floating-point slopes
    right, left = float_secant(function, a, size), float_secant(function, a, -size)
    if side == BOTH:
        assert _numbers(lines[1])[-1] == round(right, 10) + 0.0 or math.isclose(
            _numbers(lines[1])[-1], right, rel_tol=1e-9, abs_tol=1e-10
        )
        assert math.isclose(_numbers(lines[2])[-1], left, rel_tol=1e-9, abs_tol=1e-10)
        assert math.isclose(_numbers(lines[3])[-1], right - left, rel_tol=0.06, abs_tol=1e-300)
    else:
        slope = right if side == RIGHT else left
        assert math.isclose(_numbers(lines[1])[-1], slope, rel_tol=1e-9, abs_tol=1e-10)

    # does f′(a) exist, and which failure is it
    assert ("does not exist" in text) == (d is None)
    for word, name in (
        ("corner", "a corner"),
        ("cusp", "a cusp"),
        ("vertical", "a vertical tangent"),
    ):
        assert (name in text) == (kind == word), (name, text)
    if kind == "corner":
        assert "left derivative -1, right derivative +1" in text
        if side == BOTH:  # "the two secants stay apart however small |h| is"
            for smaller in (size, size / 10, 1e-12):
                assert exact_secant(function, a, smaller) - exact_secant(function, a, -smaller) == 2
    if kind == "vertical":  # slopes |h|^(−2/3) on both sides, growing without bound
        assert math.isclose(right, size ** (-2 / 3), rel_tol=1e-12)
        assert math.isclose(left, size ** (-2 / 3), rel_tol=1e-12)
        assert float_secant(function, a, size / 8) > right
    if kind == "cusp":  # +|h|^(−1/3) from the right, −|h|^(−1/3) from the left
        assert math.isclose(right, size ** (-1 / 3), rel_tol=1e-12)
        assert math.isclose(left, -(size ** (-1 / 3)), rel_tol=1e-12)
    if d is not None:
        shown = [line for line in lines if "f′(a)" in line and "=" in line][0]
        value = _numbers(shown.split("f′(a)")[-1])[0]
        assert math.isclose(value, float(d), rel_tol=1e-9, abs_tol=1e-10)
        if side == BOTH:
            assert "both slopes tend to it" in text
        else:
            gap = abs((right if side == RIGHT else left) - float(d))
            assert f"{gap:.1e}" in text or math.isclose(
                float(re.search(r"\|secant − f′\(a\)\|  = (\S+)", text).group(1)), gap, rel_tol=0.06
            )

    # the verdicts on the gap (only with "explain", only where the target is finite)
    verdicts = [
        line for line in lines if line.startswith("→") or re.match(r"\s+(right|left): trunc", line)
    ]
    if not explain or kind in ("cusp", "vertical"):
        assert not any(word in text for word in ("dominates", "straight", "agree to within")), text
        return
    targets = {RIGHT: [(size, RIGHT)], LEFT: [(-size, LEFT)], BOTH: [(size, RIGHT), (-size, LEFT)]}
    expected = targets[side]
    assert len(verdicts) == len(expected), text
    for line, (h, which) in zip(verdicts, expected, strict=True):
        target = d if d is not None else Fraction(which)  # the one-sided derivative at a corner
        tol = 1e-14 * max(1.0, abs(float(target)))
        _check_verdict(line, function, a, h, target, tol)


@settings(max_examples=25, deadline=None)
@given(state=controls)
def test_the_widget_shows_what_the_readout_functions_say(state):
    """Driving the controls gives the same readout, and the picture draws the secants it names."""
    function, a, size, side, explain = state
    demo = secant_explorer("x^2", a=1.0, h=0.5)
    demo.function.value = function
    demo.a.value = a
    demo.h_size.value = size
    demo.h_sign.value = side
    demo.explain.value = explain
    assert demo.last_readout == describe(secant_reading(function, a, size, side), explain)
    assert "hit an error" not in demo.last_readout
    right_drawn = len(demo.secant_line.get_xdata()) == 2
    left_drawn = len(demo.left_secant_line.get_xdata()) == 2
    assert right_drawn == (side in (RIGHT, BOTH)) and left_drawn == (side in (LEFT, BOTH))
    low, high = demo.ax.get_ylim()
    for h in [size, -size] if side == BOTH else [size if side == RIGHT else -size]:
        assert low < float(FLOAT[function](a + h)) < high  # the second point is in view
