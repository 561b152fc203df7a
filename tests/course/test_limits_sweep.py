"""The limit explorer's readout is never wrong: hypothesis sweeps of its controls and of custom
functions, each verdict word checked against maths computed here, independently of the widget.

Sweep 1 drives the widget itself, for every catalogue function, over the whole a slider (every
0.25 step), the whole δ slider and the whole ε slider, and checks the verdict, the continuity
sentence, the table, the off-chart notes and the ε–δ line against the exact behaviour of the
function at a (written out below from the formulas, not from the widget's numbers).

Sweep 2 feeds ``limit_verdict`` functions whose one-sided behaviour is known by construction:
c + s·|x − a|^p (settles on c for p > 0, blows up for p < 0), c + s·log|x − a| (blows up),
c + A·sin(1/|x − a|) (bounded oscillation), sin(1/|x − a|)/|x − a| (unbounded), nan (undefined).
"""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calcml.widgets.limits import (
    A_RANGE,
    FUNCTIONS,
    describe_verdict,
    limit_explorer,
    limit_verdict,
)

INF = math.inf
NAN = math.nan


# -- the exact behaviour of every catalogue function at a: (kind, left, right, f(a)) ----------
def exact(key: str, a: float):
    """kind ∈ limit, jump, infinite, oscillating, one-sided, undefined; left/right: one-sided
    limits (±inf for a blow-up, nan where there is none); f(a) (nan where undefined)."""
    if key in ("hole", "misfilled"):
        value = NAN if a == 1 else a + 1
        if key == "misfilled" and a == 1:
            value = 3.0
        return "limit", a + 1, a + 1, value
    if key == "jump":
        if a == 0:
            return "jump", -1.0, 1.0, 1.0
        value = a + 1 if a > 0 else a - 1
        return "limit", value, value, value
    if key == "infinite":
        if a == 0:
            return "infinite", -INF, INF, NAN
        return "limit", 1 / a, 1 / a, 1 / a
    if key == "oscillating":
        if a == 0:
            return "oscillating", NAN, NAN, NAN
        return "limit", math.sin(1 / a), math.sin(1 / a), math.sin(1 / a)
    if key == "sinc":
        if a == 0:
            return "limit", 1.0, 1.0, NAN
        return "limit", math.sin(a) / a, math.sin(a) / a, math.sin(a) / a
    if key == "compound":
        if a < -1:
            return "undefined", NAN, NAN, NAN  # a negative base to a fractional power
        if a == -1:
            return "infinite", NAN, INF, NAN  # (0⁺)^(−1) from the right; nothing on the left
        if a == 0:
            return "limit", math.e, math.e, NAN
        value = (1 + a) ** (1 / a)
        return "limit", value, value, value
    if key == "root":
        if a < 0:
            return "undefined", NAN, NAN, NAN
        if a == 0:
            return "one-sided", NAN, 0.0, 0.0
        return "limit", math.sqrt(a), math.sqrt(a), math.sqrt(a)
    if key == "square":
        return "limit", a * a, a * a, a * a
    raise AssertionError(f"no exact behaviour written for {key!r}")


def exact_value(key: str, x: float) -> float:
    """f(x) from the formula (nan where undefined), for the table and the ε–δ check."""
    with np.errstate(all="ignore"):
        if key == "hole":
            return NAN if x == 1 else x + 1
        if key == "misfilled":
            return 3.0 if x == 1 else x + 1
        if key == "jump":
            return x + 1 if x >= 0 else x - 1
        if key == "infinite":
            return NAN if x == 0 else 1 / x
        if key == "oscillating":
            return NAN if x == 0 else math.sin(1 / x)
        if key == "sinc":
            return NAN if x == 0 else math.sin(x) / x
        if key == "compound":
            if x == 0 or x <= -1:
                return NAN
            return math.exp(math.log1p(x) / x)
        if key == "root":
            return NAN if x < 0 else math.sqrt(x)
        if key == "square":
            return x * x
    raise AssertionError(key)


NUMBER = r"([−-]?[0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?|[+−]∞|undefined)"


def parse(text: str) -> float:
    text = text.replace("−", "-")
    if text == "undefined":
        return NAN
    if text.endswith("∞"):
        return -INF if text.startswith("-") else INF
    return float(text)


def close(got: float, want: float, rel: float = 1e-5, abs_: float = 1e-6) -> bool:
    if math.isnan(want) or math.isinf(want):
        return got == want or (math.isnan(got) and math.isnan(want))
    return math.isclose(got, want, rel_tol=rel, abs_tol=abs_)


def check_verdict_text(text: str, kind: str, left: float, right: float, value: float) -> None:
    """The verdict sentence says exactly what the maths says, and nothing it does not."""
    words = {
        "limit": "the limit exists",
        "jump": "(a jump)",
        "infinite": "grow without bound",
        "oscillating": "bounded oscillation",
        "one-sided": "-hand limit exists",
        "undefined": "undefined on both sides",
    }
    for other, word in words.items():
        assert (word in text) == (other == kind), f"expected {kind}: {text}"
    assert "cannot decide" not in text and "raised" not in text, text
    if kind == "limit":
        estimate = parse(re.search(r"common value ≈ " + NUMBER, text).group(1))
        assert close(estimate, left), (estimate, left, text)
        continuous = not math.isnan(value) and math.isclose(value, left, abs_tol=1e-9)
        assert ("so f is continuous at a" in text) == continuous, text
        assert ("not continuous at a" in text) == (not continuous), text
        if math.isnan(value):
            assert "f(a) is undefined" in text
    if kind == "jump":
        found = re.search(rf"Left values approach {NUMBER}, right values approach {NUMBER}", text)
        assert close(parse(found.group(1)), left) and close(parse(found.group(2)), right), text
    if kind == "infinite":
        for side, limit in (("left", left), ("right", right)):
            if math.isnan(limit):
                assert f"f is undefined on the {side} of a" in text, text
            else:
                arrow = "+∞" if limit > 0 else "−∞"
                assert f"{side} values → {arrow}" in text, text
    if kind == "one-sided":
        side = "right" if math.isnan(left) else "left"
        assert f"Only the {side}-hand limit exists" in text, text
        found = re.search(rf"from the {side} the values approach {NUMBER}", text)
        assert close(parse(found.group(1)), right if side == "right" else left), text


# -- sweep 1: the widget, every catalogue function, every control over its whole range --------
APPS: dict[str, object] = {}


def app_for(key: str):
    if key not in APPS:
        APPS[key] = limit_explorer(key, epsilon=0.1)
    return APPS[key]


A_STEPS = st.integers(-5, 5)  # a = centre + 0.25·k: the a slider's every position
EXPONENTS = st.integers(-24, 0)  # δ = 10^(k/4), the δ slider's every position (step 0.25)
EPS_EXPONENTS = st.integers(-16, 0)  # ε = 10^(k/4), the ε slider's every position


def window_sup(key: str, a: float, limit: float, delta: float) -> float:
    """sup of |f(x) − L| over 0 < |x − a| < δ, from a dense linear grid and the window's ends."""
    inner = np.linspace(-1.0, 1.0, 2001)[1:-1] * delta
    # the catalogue's special points (x = 0 and x = 1: where a formula changes or f(1) = 3)
    special = [x - a for x in (0.0, 1.0) if 0 < abs(x - a) < delta]
    ends = [-delta * (1 - 1e-9), delta * (1 - 1e-9)]
    offsets = np.concatenate([inner[inner != 0], ends, special])
    gaps = [abs(exact_value(key, a + r) - limit) for r in offsets]
    gaps = [g for g in gaps if not math.isnan(g)]
    return max(gaps) if gaps else 0.0


@pytest.mark.parametrize("key", list(FUNCTIONS))
@settings(max_examples=30, deadline=None, derandomize=True)
@given(step=A_STEPS, d_exp=EXPONENTS, e_exp=EPS_EXPONENTS)
def test_widget_readout_matches_the_maths(key, step, d_exp, e_exp):
    app = app_for(key)
    entry = FUNCTIONS[key]
    a = entry.a + 0.25 * step
    assert abs(a - entry.a) <= A_RANGE
    delta, epsilon = 10.0 ** (d_exp / 4), 10.0 ** (e_exp / 4)
    app.a_slider.value = a
    app.delta_slider.value = delta
    app.epsilon_slider.value = epsilon
    a, delta, epsilon = app.a, app.delta, app.epsilon  # the values the sliders really hold
    text = app.last_readout
    assert "hit an error" not in text, text
    kind, left, right, value = exact(key, a)
    lines = text.splitlines()
    verdict_line = next(
        line for line in lines if line.startswith(("Left", "The values", "As δ", "f is"))
    )
    check_verdict_text(verdict_line, kind, left, right, value)

    # the table: δ, f(a − δ), f(a + δ) for δ, δ/10, δ/100, against the formula
    lo, hi = entry.ylim
    for row, d in zip(lines[2:5], (delta, delta / 10, delta / 100), strict=True):
        shown_d, shown_left, shown_right = row.split()
        assert math.isclose(float(shown_d), d, rel_tol=1e-2)
        for shown, x in ((shown_left, a - d), (shown_right, a + d)):
            want = exact_value(key, x)
            got = parse(shown)
            if math.isnan(want):
                assert math.isnan(got), (row, x)
            else:
                # 8 decimals shown; the function's own rounding near a 0/0 is about 1e-16/δ
                assert math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-8 + 1e-14 / d), (row, x)
    # an off-chart value is said to be off the chart, and only then
    for side, x in (("left", a - delta), ("right", a + delta)):
        want = exact_value(key, x)
        above, below = want > hi, want < lo
        assert (f"The {side} dot is off the chart ↑." in text) == above, (side, want, text)
        assert (f"The {side} dot is off the chart ↓." in text) == below, (side, want, text)

    # the ε–δ line: a band only where the limit exists, and its ✔/✘ agrees with the sup
    eps_line = next(line for line in lines if line.startswith("ε"))
    if kind != "limit":
        assert eps_line.startswith("ε band: no band to draw"), eps_line
        return
    assert f"L = {left + 0.0:.6g}" in eps_line or close(
        parse(re.search(r"L = " + NUMBER, eps_line).group(1)), left
    ), eps_line
    sup = window_sup(key, a, left, delta)
    if sup < epsilon * (1 - 1e-2):  # clearly inside the band (1 % from the edge is a tie)
        assert "✔" in eps_line, (sup, epsilon, eps_line)
    elif sup > epsilon * (1 + 1e-2):
        assert "✘" in eps_line, (sup, epsilon, eps_line)
        worst = re.search(
            r"✘ at x = a ([−+]) " + NUMBER + r", \|f\(x\) − L\| = " + NUMBER, eps_line
        )
        offset, gap = parse(worst.group(2)), parse(worst.group(3))
        sign = -1 if worst.group(1) == "−" else 1
        assert 0 < offset <= delta * (1 + 5e-4) and gap >= epsilon, eps_line  # 4 digits shown
        # the point named really is outside the band: somewhere within the rounding of the
        # offset shown (4 significant digits), inside the window, f(x) is at least ε from L
        nearby = offset * (1 + np.linspace(-5e-4, 5e-4, 21))
        gaps = [abs(exact_value(key, a + sign * r) - left) for r in nearby if 0 < r < delta]
        assert any(g >= epsilon * (1 - 1e-2) for g in gaps), eps_line
    largest = re.search(
        r"largest δ that works for this ε \(from the samples\): ≈ " + NUMBER, eps_line
    )
    if largest is not None:  # then a slightly smaller δ passes and a slightly larger one fails
        d_star = parse(largest.group(1))
        assert window_sup(key, a, left, d_star * 0.99) < epsilon * (1 + 1e-2), eps_line
        assert window_sup(key, a, left, min(d_star * 1.02, 1.0)) >= epsilon * (1 - 1e-2), eps_line
    else:
        assert "every δ up to 1 works" in eps_line, eps_line
        assert window_sup(key, a, left, 1.0) < epsilon * (1 + 1e-2), eps_line


# -- sweep 2: custom functions whose one-sided behaviour is known by construction -------------
SIDES = st.one_of(
    st.tuples(
        st.just("power"),
        st.integers(-12, 12).map(lambda j: 0.25 * j),  # c
        st.sampled_from([-3.0, -1.0, -0.5, 0.5, 1.0, 3.0]),  # s
        st.one_of(st.floats(0.2, 3.0), st.floats(-3.0, -0.2)),  # p
    ),
    st.tuples(
        st.just("log"), st.integers(-4, 4).map(float), st.sampled_from([-1.0, 1.0]), st.just(0.0)
    ),
    st.tuples(
        st.just("osc"),
        st.integers(-4, 4).map(lambda j: 0.5 * j),
        st.floats(0.5, 2.0),
        st.just(0.0),
    ),
    st.tuples(st.just("wild"), st.just(0.0), st.just(1.0), st.just(0.0)),
    st.tuples(st.just("nan"), st.just(0.0), st.just(0.0), st.just(0.0)),
)


def side_values(spec, r: np.ndarray) -> np.ndarray:
    kind, c, s, p = spec
    with np.errstate(all="ignore"):
        if kind == "power":
            return c + s * r**p
        if kind == "log":
            return c + s * np.log(r)
        if kind == "osc":
            return c + s * np.sin(1.0 / r)
        if kind == "wild":
            return np.sin(1.0 / r) / r
    return np.full_like(r, np.nan)


def side_truth(spec) -> tuple[str, float]:
    kind, c, s, p = spec
    if kind == "power":
        return ("settles", c) if p > 0 else ("blows up", math.copysign(INF, s))
    if kind == "log":
        return "blows up", -math.copysign(INF, s)  # log r → −∞ as r → 0⁺
    if kind == "osc":
        return "wanders", NAN
    if kind == "wild":
        return "unbounded", NAN
    return "undefined", NAN


@settings(max_examples=150, deadline=None, derandomize=True)
@given(
    a=st.integers(-8, 8).map(lambda k: 0.25 * k),
    left_spec=SIDES,
    right_spec=SIDES,
    at_a=st.sampled_from([None, 0.0, 1.0]),
)
def test_custom_function_verdicts_match_their_construction(a, left_spec, right_spec, at_a):
    def f(x):
        x = np.asarray(x, dtype=float)
        r = np.abs(x - a)
        out = np.where(x < a, side_values(left_spec, r), side_values(right_spec, r))
        return np.where(x == a, np.nan if at_a is None else at_a, out)

    (lk, lv), (rk, rv) = side_truth(left_spec), side_truth(right_spec)
    kinds = {lk, rk}
    if kinds == {"settles"}:
        kind = "limit" if lv == rv else "jump"
    elif "blows up" in kinds:
        kind = "infinite"
    elif kinds & {"wanders", "unbounded"}:
        kind = "oscillating"
    elif kinds == {"undefined", "settles"}:
        kind = "one-sided"
    else:
        kind = "undefined"

    verdict = limit_verdict(f, a)
    text = describe_verdict(verdict)
    assert verdict.kind == kind, (left_spec, right_spec, text)
    value = NAN if at_a is None else at_a
    if kind == "limit":
        assert close(verdict.limit, lv, abs_=1e-5), text
        assert verdict.continuous == (at_a is not None and abs(at_a - lv) < 1e-9), text
    if kind in ("limit", "jump", "infinite", "one-sided"):
        for side_kind, want, got in ((lk, lv, verdict.left), (rk, rv, verdict.right)):
            if side_kind == "settles":
                assert close(got, want, abs_=1e-5), (side_kind, want, got, text)
            elif side_kind == "blows up":
                assert got == want, (want, got, text)
    if kind == "oscillating":
        both = {lk, rk} <= {"wanders", "unbounded"}
        if both:
            bounded = "unbounded" not in kinds
            assert ("(a bounded oscillation)" in text) == bounded, text
            assert ("(an unbounded oscillation)" in text) == (not bounded), text
        assert "no limit" in text
        return
    if kind == "infinite":
        assert "grow without bound" in text and "the limit exists" not in text, text
        for name, side_kind, want in (("left", lk, lv), ("right", rk, rv)):
            if side_kind == "blows up":
                assert f"{name} values → {'+∞' if want > 0 else '−∞'}" in text, text
            elif side_kind == "undefined":
                assert f"f is undefined on the {name} of a" in text, text
        return
    check_verdict_text(text, kind, lv if kind == "limit" else verdict.left, verdict.right, value)
