"""The limit explorer: shrink the distance δ and watch f(a − δ) and f(a + δ).

``limit_explorer()`` shows a function near a point ``a`` with two dots at ``a − δ`` and ``a + δ``
(left panel) and the two one-sided values plotted against δ on a log axis (right panel), so
"the values settle on one number" or "they do not" is visible at a glance. The readout is a small
table of left and right values for the current δ and two smaller ones, plus a verdict computed
from the numbers: a common value, a jump, a blow-up, an oscillation (bounded or not), a side where
f is undefined, or "the numbers cannot decide". With ``epsilon=`` it also draws the ε–δ picture:
the band |f(x) − L| < ε, the window 0 < |x − a| < δ, and whether every sampled point of the
window lies in the band.

A custom function may be NumPy-vectorised or written for one float at a time (``if x >= 0:``,
``math.sin``): :class:`SafeFunction` calls it point by point when it refuses an array, turns the
mathematically undefined (0/0, a math domain error) into "undefined", an overflow into +∞, and
remembers any other exception so the readout can name it.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator, NullLocator

from calcml.figures import COLORS, label_axes, new_figure
from calcml.widgets.base import FigureApp, log_slider


def _hole(x):
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (x**2 - 1) / (x - 1)


def _misfilled(x):
    x = np.asarray(x, dtype=float)
    return np.where(x == 1.0, 3.0, x + 1.0)


def _jump(x):
    x = np.asarray(x, dtype=float)
    return np.where(x >= 0, x + 1.0, x - 1.0)


def _reciprocal(x):
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return 1.0 / x


def _sin_inverse(x):
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sin(1.0 / x)


def _sinc(x):
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sin(x) / x


def _compound(x):
    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x == 0, np.nan, np.power(1.0 + x, 1.0 / x))


def _root(x):
    x = np.asarray(x, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.sqrt(x)


def _square(x):
    x = np.asarray(x, dtype=float)
    return x**2


@dataclass(frozen=True)
class LimitFunction:
    """A function of the catalogue: how to compute it, where it is interesting, how to draw it."""

    label: str
    func: Callable
    a: float
    ylim: tuple[float, float] | None  # None: choose from the function's values near a
    note: str


FUNCTIONS: dict[str, LimitFunction] = {
    "hole": LimitFunction(
        "(x² − 1)/(x − 1)", _hole, 1.0, (-0.5, 4.0), "removable discontinuity (a hole) at x = 1"
    ),
    "misfilled": LimitFunction(
        "x + 1 for x ≠ 1, but f(1) = 3",
        _misfilled,
        1.0,
        (-0.5, 4.0),
        "the hole filled with the wrong value: f(1) = 3, the limit is 2",
    ),
    "jump": LimitFunction(
        "x + 1 for x ≥ 0, x − 1 for x < 0", _jump, 0.0, (-3.0, 3.0), "jump at x = 0"
    ),
    "infinite": LimitFunction(
        "1/x",
        _reciprocal,
        0.0,
        (-10.0, 10.0),
        "infinite discontinuity (vertical asymptote) at x = 0",
    ),
    "oscillating": LimitFunction(
        "sin(1/x)", _sin_inverse, 0.0, (-1.5, 1.5), "endless oscillation near x = 0"
    ),
    "sinc": LimitFunction("sin(x)/x", _sinc, 0.0, (-0.4, 1.4), "0/0 at x = 0, yet the limit is 1"),
    "compound": LimitFunction(
        "(1 + x)^(1/x)", _compound, 0.0, (1.5, 3.5), "1^∞ form at x = 0; the limit is e"
    ),
    "root": LimitFunction(
        "√x", _root, 0.0, (-0.5, 1.5), "defined only for x ≥ 0: at 0 only the right side exists"
    ),
    "square": LimitFunction("x²", _square, 1.0, (-0.5, 4.0), "continuous everywhere"),
}

#: the a slider spans the function's point of interest ± A_RANGE; the left panel shows it all
A_RANGE = 1.25

#: δ values used to judge the limit numerically (independent of the slider position).
VERDICT_DELTAS = 10.0 ** -np.arange(2, 8)
#: more δ values, between the powers of ten: a function whose values at δ = 10^-k happen to
#: agree (sin(π/x) is 0 at every x = 10^-k) is caught by the points in between
PROBE_DELTAS = 10.0 ** -np.linspace(2.13, 6.97, 37)

#: relative tolerance for "the values have settled" and "two one-sided limits agree"
SETTLE_RTOL = 1e-3


class SafeFunction:
    """Calls a user's f on an array of floats and never raises.

    It tries ``f(array)`` first; if that raises or returns the wrong shape, it calls ``f(float)``
    point by point. Where f is undefined (0/0, ZeroDivisionError, a math domain error, nan) the
    value is nan; an overflow is +∞. Any other exception is remembered in :attr:`error` (its
    type, message and the x where it first happened), and that point is nan too.
    """

    def __init__(self, func: Callable):
        self.func = func
        self.error: tuple[str, str, float] | None = None
        self._pointwise = False

    def __call__(self, xs) -> np.ndarray:
        xs = np.asarray(xs, dtype=float)
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if not self._pointwise:
                try:
                    ys = np.asarray(self.func(xs), dtype=float)
                    if ys.shape == xs.shape:
                        return ys
                    if ys.shape == ():
                        return np.full(xs.shape, float(ys))
                except Exception:  # a scalar-only function: fall back to one float at a time
                    pass
                self._pointwise = True
            out = np.empty(xs.shape, dtype=float)
            for i, x in enumerate(xs.flat):
                out.flat[i] = self._one(float(x))
        return out

    def _one(self, x: float) -> float:
        try:
            value = self.func(x)
            return float(np.asarray(value, dtype=float).reshape(-1)[0])
        except (ZeroDivisionError, ArithmeticError) as exc:
            return math.inf if isinstance(exc, OverflowError) else math.nan
        except ValueError as exc:
            if "domain" in str(exc):  # math.sqrt(-1), math.log(0): undefined there
                return math.nan
            self._remember(exc, x)
        except Exception as exc:  # the student's code: report it, never crash the widget
            self._remember(exc, x)
        return math.nan

    def _remember(self, exc: Exception, x: float) -> None:
        if self.error is None:
            self.error = (type(exc).__name__, str(exc), x)


def _values(func: Callable, xs) -> np.ndarray:
    """f at the points ``xs``: nan where f is undefined, ±inf where it overflows."""
    safe = func if isinstance(func, SafeFunction) else SafeFunction(func)
    return safe(np.asarray(xs, dtype=float))


def _value(func: Callable, x: float) -> float:
    """f(x) as a float; nan where f is undefined (0/0, division by zero), ±inf on overflow."""
    return float(_values(func, np.array([x]))[0])


@dataclass(frozen=True)
class Side:
    """What the values on one side of a do as δ shrinks.

    ``kind``: "settles" (on ``estimate``), "blows up" (estimate ±∞), "wanders" (no common value;
    ``bounded`` says whether the swings stay bounded, ``low``/``high`` give their range),
    "drifts" (still moving at the smallest δ, neither settled nor clearly unbounded) or
    "undefined" (f has no value there).
    """

    kind: str
    estimate: float = math.nan
    bounded: bool = True
    low: float = math.nan
    high: float = math.nan


def _aitken(v: np.ndarray) -> float:
    """The limit of a geometrically converging sequence from its last three terms (Aitken's Δ²)."""
    d1, d2 = v[-2] - v[-3], v[-1] - v[-2]
    denominator = d2 - d1
    if denominator == 0:
        return float(v[-1])
    return float(v[-1] - d2 * d2 / denominator)


def _snap(estimate: float, uncertainty: float, scale: float) -> float:
    """0 when the estimate is indistinguishable from 0 (x² at 0 gives 1e-14, |x| gives 1e-7)."""
    if abs(estimate) <= max(uncertainty, 1e-9 * scale):
        return 0.0
    return estimate


def _geometric_limit(main, probe, probe_deltas, tolerance, scale) -> tuple[float, float] | None:
    """(limit, uncertainty) if the values converge like L + C·δ^p: the steps between decades
    shrink by a steady factor r < 1 (√x, x^(1/3), c + s·δ^0.2), and the points between the
    decades agree. Aitken's Δ² then gives L exactly, where the last value is still far from it."""
    steps = np.abs(np.diff(main))
    if not np.all(steps[-4:] > 0):
        return None
    ratios = steps[-3:] / steps[-4:-1]
    monotone = np.all(np.sign(np.diff(main)[-4:]) == np.sign(main[-1] - main[-2]))
    # steady: a ratio that creeps up towards 1 (1/log(1/x)) is slower than any power of δ
    steady = ratios.max() <= 1.5 * ratios.min() and ratios[-1] <= 1.05 * ratios[0]
    if not (monotone and np.all(ratios <= 0.8) and steady):
        return None
    estimate, earlier = _aitken(main), _aitken(main[:-1])
    if abs(estimate - earlier) > 0.05 * abs(main[-1] - estimate) + tolerance:
        return None
    # in between two decades the values stay between the decades' distances to the limit
    decade = np.clip(np.floor(-np.log10(probe_deltas)).astype(int) - 2, 0, len(main) - 1)
    envelope = 1.5 * np.abs(main[decade] - estimate) + tolerance
    if not np.all(np.abs(probe - estimate) <= envelope):
        return None
    return estimate, abs(estimate - earlier) + 1e-12 * scale


def _side(main: np.ndarray, probe: np.ndarray, probe_deltas: np.ndarray) -> Side:
    """Classify one side from f at the decades ``main`` (δ = 1e-2 … 1e-7) and at ``probe``."""
    main, probe = np.asarray(main, dtype=float), np.asarray(probe, dtype=float)
    everything = np.concatenate([main, probe])
    defined = ~np.isnan(everything)
    if not defined.any() or np.all(np.isnan(main[-3:])):
        return Side("undefined")
    if not defined.all():  # defined at some points near a, undefined at others
        finite = everything[np.isfinite(everything)]
        low, high = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
        return Side("wanders", bounded=True, low=low, high=high)
    # the values in the order δ shrinks (decades and probes interleaved)
    order = np.argsort(-np.concatenate([VERDICT_DELTAS[: len(main)], probe_deltas]))
    ordered = everything[order]
    signs = np.sign(ordered[-len(ordered) // 2 :])
    if np.any(np.isinf(main[-3:])) and np.all(signs == signs[-1]):
        return Side("blows up", math.copysign(math.inf, main[-1]))
    if np.any(np.isinf(everything)):
        return Side("wanders", bounded=False, low=-math.inf, high=math.inf)

    scale = max(1.0, float(np.max(np.abs(main[-3:]))))
    tolerance = SETTLE_RTOL * scale
    steps = np.abs(np.diff(main))
    near = probe[probe_deltas <= 1e-4]

    def probes_agree(estimate: float, allowed: float) -> bool:
        return bool(np.all(np.abs(near - estimate) <= allowed))

    geometric = _geometric_limit(main, probe, probe_deltas, tolerance, scale)
    # converging like L + C·δ^p (√x, x^(1/3), x + 1): Aitken's estimate, checked between decades
    if geometric is not None:
        return Side("settles", _snap(*geometric, scale))
    # settled otherwise: the last three decades agree, and so do the points in between
    if np.ptp(main[-3:]) <= tolerance:
        estimate = float(main[-1])
        if probes_agree(estimate, 2 * tolerance):
            return Side("settles", _snap(estimate, float(np.max(steps[-2:])), scale))

    rising, falling = np.all(np.diff(ordered) > 0), np.all(np.diff(ordered) < 0)
    if rising or falling:
        # steps between decades that do not shrink (1/x: ×10 per decade, log x: the same step
        # each decade, c + s·δ^(−0.2): a slow power) mean a blow-up; shrinking ones a slow drift
        main_steps = np.abs(np.diff(main))
        if main_steps[-1] >= 0.5 * main_steps[0]:
            return Side("blows up", math.inf if rising else -math.inf)
        return Side("drifts", float(main[-1]))
    # wandering: bounded if the swings near a are no larger than the swings further out
    outer = np.max(np.abs(ordered[: len(ordered) // 3]))
    inner = np.max(np.abs(ordered[-len(ordered) // 3 :]))
    bounded = inner <= 100 * max(outer, 1e-12)
    return Side(
        "wanders", bounded=bool(bounded), low=float(ordered.min()), high=float(ordered.max())
    )


@dataclass(frozen=True)
class Verdict:
    """What the numbers say about the limit of f at a.

    ``kind``: "limit", "jump", "infinite", "oscillating", "one-sided" (f undefined on one side,
    the other side settles), "undefined" (no value on either side), "unclear" (still drifting at
    the smallest δ) or "error" (the function raised an exception near a).
    """

    kind: str
    left: float  # the one-sided limit estimate (nan if none, ±inf if it blows up)
    right: float
    value_at_a: float  # f(a), nan if undefined
    left_side: Side | None = None
    right_side: Side | None = None
    error: tuple[str, str, float] | None = None

    @property
    def limit(self) -> float:
        return 0.5 * (self.left + self.right) if self.kind == "limit" else math.nan

    @property
    def continuous(self) -> bool:
        return (
            self.kind == "limit"
            and math.isfinite(self.value_at_a)
            and abs(self.value_at_a - self.limit) <= 1e-6 * max(1.0, abs(self.limit))
        )


def limit_verdict(func: Callable, a: float, deltas=VERDICT_DELTAS) -> Verdict:
    """Judge lim_{x→a} f(x) from f(a ± δ) at δ = 1e-2 … 1e-7 and at points in between."""
    safe = func if isinstance(func, SafeFunction) else SafeFunction(func)
    deltas = np.asarray(deltas, dtype=float)
    probe = PROBE_DELTAS[(PROBE_DELTAS >= deltas.min()) & (PROBE_DELTAS <= deltas.max())]
    xs = np.concatenate([a - deltas, a + deltas, a - probe, a + probe, [a]])
    safe.error = None
    ys = _values(safe, xs)
    n, m = len(deltas), len(probe)
    left_main, right_main = ys[:n], ys[n : 2 * n]
    left_probe, right_probe = ys[2 * n : 2 * n + m], ys[2 * n + m : 2 * n + 2 * m]
    at_a = float(ys[-1]) if math.isfinite(ys[-1]) else math.nan  # 1/0 = inf is undefined too
    error = safe.error
    near_error = (
        error is not None and abs(error[2] - a) <= deltas.max() * (1 + 1e-9) and (error[2] != a)
    )
    left = _side(left_main, left_probe, probe)
    right = _side(right_main, right_probe, probe)
    kinds = {left.kind, right.kind}
    if near_error:
        kind = "error"
    elif kinds == {"settles"}:
        scale = max(1.0, abs(left.estimate), abs(right.estimate))
        agree = abs(left.estimate - right.estimate) <= SETTLE_RTOL * scale
        kind = "limit" if agree else "jump"
    elif "blows up" in kinds:
        kind = "infinite"
    elif "wanders" in kinds:
        kind = "oscillating"
    elif "drifts" in kinds:
        kind = "unclear"
    elif kinds == {"undefined", "settles"}:
        kind = "one-sided"
    else:
        kind = "undefined"
    estimates = [
        s.estimate if s.kind in ("settles", "blows up") else math.nan for s in (left, right)
    ]
    return Verdict(kind, *estimates, at_a, left, right, error if near_error else None)


def _fmt(value: float) -> str:
    """A table entry: a fixed number of decimals, so 0.99999998 and 1.00000002 line up."""
    if math.isnan(value):
        return "undefined"
    if math.isinf(value):
        return "+∞" if value > 0 else "−∞"
    if abs(value) >= 1e5:
        return f"{value:.6e}"
    return f"{value:.8f}"


def _num(value: float) -> str:
    """A number in a sentence: six significant digits, ±∞ spelled out, −0 shown as 0."""
    if math.isinf(value):
        return "+∞" if value > 0 else "−∞"
    return f"{value + 0.0:.6g}"


def _side_text(name: str, side: Side) -> str:
    if side.kind == "settles":
        return f"{name} values approach {_num(side.estimate)}"
    if side.kind == "blows up":
        return f"{name} values → {_num(side.estimate)}"
    if side.kind == "undefined":
        return f"f is undefined on the {name.lower()} of a"
    if side.kind == "drifts":
        return f"{name} values are still changing at δ = 1e-7"
    if side.bounded:
        return f"{name} values keep swinging between about {_num(side.low)} and {_num(side.high)}"
    return f"{name} values swing ever more wildly (unbounded)"


def describe_verdict(v: Verdict) -> str:
    """One or two sentences a learner can read instead of the picture."""
    left = v.left_side or Side("settles", v.left)
    right = v.right_side or Side("settles", v.right)
    if v.kind == "error":
        name, message, x = v.error
        return (
            f"Your function raised {name} at x = {x:.6g}: {message}. Fix the function and run the "
            "cell again; the picture shows only the points where it returned a number."
        )
    if v.kind == "limit":
        text = f"Left and right values approach a common value ≈ {_num(v.limit)}: the limit exists."
    elif v.kind == "jump":
        text = (
            f"Left values approach {_num(v.left)}, right values approach {_num(v.right)}: "
            "they disagree (a jump), so the limit does not exist."
        )
    elif v.kind == "infinite":
        text = (
            f"The values grow without bound ({_side_text('left', left)}; "
            f"{_side_text('right', right)}): an infinite discontinuity, no finite limit."
        )
    elif v.kind == "oscillating":
        if left.kind == "wanders" and right.kind == "wanders":
            bounded = left.bounded and right.bounded
            low, high = min(left.low, right.low), max(left.high, right.high)
            how = (
                f"keep swinging between about {_num(low)} and {_num(high)} (a bounded oscillation)"
                if bounded
                else "swing ever more wildly (an unbounded oscillation)"
            )
            text = f"As δ shrinks the values {how}: they approach no common value, no limit."
        else:
            text = (
                f"{_side_text('Left', left)}; {_side_text('right', right)}: "
                "no common value, so no limit."
            )
    elif v.kind == "one-sided":
        defined = "right" if left.kind == "undefined" else "left"
        value = right.estimate if defined == "right" else left.estimate
        text = (
            f"f is undefined on the {'left' if defined == 'right' else 'right'} of a; from the "
            f"{defined} the values approach {_num(value)}. Only the {defined}-hand limit exists "
            "(the two-sided limit needs f on both sides)."
        )
    elif v.kind == "undefined":
        text = "f is undefined on both sides of a (no value at any sampled point): no limit here."
    else:
        text = (
            f"{_side_text('Left', left)}; {_side_text('right', right)}: the numbers cannot decide "
            "(too slow to settle or to blow up by δ = 1e-7). Work this limit out by algebra."
        )
    if v.kind == "limit":
        if math.isnan(v.value_at_a):
            text += " f(a) is undefined, so f is not continuous at a (a removable discontinuity)."
        elif v.continuous:
            text += " f(a) equals the limit, so f is continuous at a."
        else:
            text += (
                f" f(a) = {_num(v.value_at_a)} differs from the limit, so f is not continuous at a"
                " (a removable discontinuity)."
            )
    return text


@dataclass(frozen=True)
class EpsilonCheck:
    """The ε–δ test at one (ε, δ): do all sampled x with 0 < |x − a| < δ have |f(x) − L| < ε?"""

    limit: float
    epsilon: float
    delta: float
    holds: bool
    worst_x: float  # the sampled x in the window farthest from L (nan if none)
    worst_gap: float  # its |f(x) − L|
    largest_delta: float  # the largest δ the samples allow for this ε (inf: every δ up to reach)
    samples: int  # sampled points in the window
    limit_point: float = 0.0  # a


#: the ε–δ samples: distances r from a, geometric with ratio 1.002 from 1e-7 up to just below 1
#: (and the a slider's grid, 0.25 apart, so an isolated point such as misfilled's f(1) = 3 is seen)
EPSILON_OFFSETS = np.union1d(
    np.geomspace(1e-7, 1.0 - 1e-6, int(math.log(1e7) / math.log(1.002)) + 1), [0.25, 0.5, 0.75]
)


@dataclass(frozen=True)
class EpsilonProfile:
    """|f(a ± r) − L| at the sampled distances r; one profile answers every (ε, δ)."""

    a: float
    limit: float
    offsets: np.ndarray
    left: np.ndarray
    right: np.ndarray

    def check(self, epsilon: float, delta: float) -> EpsilonCheck:
        gap_left, gap_right = np.abs(self.left - self.limit), np.abs(self.right - self.limit)
        # a point where f is undefined is not in the domain: the definition does not ask about it
        gap = np.fmax(gap_left, gap_right)
        outside = gap >= epsilon  # False where gap is nan
        largest = float(self.offsets[np.argmax(outside)]) if outside.any() else math.inf
        inside = (self.offsets < delta) & ~np.isnan(gap)
        if not inside.any():
            return EpsilonCheck(
                self.limit, epsilon, delta, True, math.nan, math.nan, largest, 0, self.a
            )
        worst = int(np.argmax(np.where(inside, gap, -np.inf)))
        from_left = not gap_right[worst] > gap_left[worst]  # nan on the right: the left's
        worst_x = self.a + (-1 if from_left else 1) * float(self.offsets[worst])
        samples = int((~np.isnan(gap_left[inside])).sum() + (~np.isnan(gap_right[inside])).sum())
        holds = not bool(np.any(outside & inside))
        return EpsilonCheck(
            self.limit, epsilon, delta, holds, worst_x, float(gap[worst]), largest, samples, self.a
        )


def epsilon_profile(func: Callable, a: float, limit: float) -> EpsilonProfile:
    """Sample f at a ± r for 0 < r < 1 (the δ slider's whole range) for the ε–δ picture."""
    offsets = EPSILON_OFFSETS
    values = _values(func, np.concatenate([a - offsets, a + offsets]))
    values[np.isinf(values)] = np.nan  # 1/0: no value of f there, so the test does not ask
    return EpsilonProfile(a, limit, offsets, values[: len(offsets)], values[len(offsets) :])


def describe_epsilon(check: EpsilonCheck | None, verdict: Verdict) -> str:
    """The ε–δ line of the readout."""
    if check is None:
        return (
            "ε band: no band to draw, because there is no limit L here "
            f"({verdict.kind.replace('-', ' ')}): no number L passes the ε–δ test."
        )
    head = (
        f"ε–δ test with L = {_num(check.limit)}, ε = {check.epsilon:.2g}, δ = {check.delta:.2g}: "
    )
    if check.holds:
        text = head + f"all {check.samples} sampled x with 0 < |x − a| < δ have |f(x) − L| < ε ✔."
    else:
        text = head + (
            f"✘ at x = a {'−' if check.worst_x < check.limit_point else '+'} "
            f"{abs(check.worst_x - check.limit_point):.4g}, |f(x) − L| = {check.worst_gap:.3g} ≥ ε: "
            "shrink δ."
        )
    if math.isinf(check.largest_delta):
        text += " For this ε every δ up to 1 works."
    else:
        text += (
            f" The largest δ that works for this ε (from the samples): ≈ {check.largest_delta:.3g}."
        )
    return text


def _auto_ylim(ys: np.ndarray) -> tuple[float, float]:
    """A y range that shows the bulk of the values and ignores blow-ups."""
    finite = ys[np.isfinite(ys)]
    if finite.size == 0:
        return -1.0, 1.0
    lo, hi = np.percentile(finite, [2, 98])
    pad = 0.15 * max(hi - lo, 1e-3 * max(1.0, abs(hi)))
    return float(lo - pad), float(hi + pad)


def _on_chart(y: float, lo: float, hi: float) -> tuple[float, str, str]:
    """Where to draw a value in the y range [lo, hi]: (y, marker, note); off-chart values sit at
    the edge as an arrow (▲ above, ▼ below), so a blow-up never just vanishes."""
    if math.isnan(y):
        return math.nan, "o", "undefined"
    inset = 0.03 * (hi - lo)
    if y > hi:
        return hi - inset, "^", "off the chart ↑"
    if y < lo:
        return lo + inset, "v", "off the chart ↓"
    return y, "", ""


class LimitExplorer(FigureApp):
    """Pick a function and a point a; shrink δ; compare f(a − δ) with f(a + δ).

    With ``epsilon`` set, an ε slider is added and the ε–δ picture is drawn whenever the limit
    L exists: the band L ± ε (shaded in both panels), the window a ± δ, and the readout says
    whether every sampled x of the window lands in the band.
    """

    DELTA_GRID = np.logspace(-6, 0, 400)

    def __init__(
        self,
        function: str | Callable = "hole",
        a: float | None = None,
        delta: float = 0.5,
        label: str | None = None,
        epsilon: float | None = None,
        name: str = "f",
        variable: str = "x",
    ):
        self.functions = dict(FUNCTIONS)
        self.name, self.variable = name, variable
        if callable(function):
            self.functions["custom"] = LimitFunction(
                label or getattr(function, "__name__", "custom f"),
                function,
                0.0 if a is None else float(a),
                None,
                "your function",
            )
            function = "custom"
        if function not in self.functions:
            raise ValueError(
                f"limit_explorer: unknown function {function!r}; choose one of {sorted(self.functions)} "
                "or pass a callable"
            )
        self._safe = {key: SafeFunction(entry.func) for key, entry in self.functions.items()}
        start_a = self.functions[function].a if a is None else float(a)
        self.chooser = widgets.Dropdown(
            options=[(f"{k}: {v.label}", k) for k, v in self.functions.items()],
            value=function,
            description=f"{name}({variable})",
        )
        centre = self.functions[function].a
        self.a_slider = widgets.FloatSlider(
            value=start_a,
            min=min(centre - A_RANGE, start_a),
            max=max(centre + A_RANGE, start_a),
            step=0.25,
            description="a",
        )
        self.delta_slider = log_slider("δ (distance)", delta, -6, 0)
        controls = [self.chooser, self.delta_slider]
        self.epsilon_slider = None
        if epsilon is not None:
            self.epsilon_slider = log_slider("ε (tolerance)", epsilon, -4, 0)
            controls.append(self.epsilon_slider)
        controls.append(self.a_slider)
        for control in controls:
            control.style = {"description_width": "110px"}
            control.layout.width = "480px"  # aligned labels, and a slider long enough to aim
        self._suppress = False
        self._static_key = None  # the function whose graph is drawn
        self._point_key = None  # the a that the markers and the right panel show
        self._ylim = (-1.0, 1.0)
        self._profile: EpsilonProfile | None = None
        self._epsilon_check: EpsilonCheck | None = None

        fig = new_figure(8.6, 3.3, ncols=2)
        self.ax_f, self.ax_d = fig.axes
        (self.curve,) = self.ax_f.plot([], [], color=COLORS["curve"], lw=1.6)
        self.message = self.ax_f.text(
            0.5, 0.5, "", transform=self.ax_f.transAxes, ha="center", va="center", wrap=True
        )
        # the ε–δ picture: the band L ± ε in both panels and the window a ± δ (hidden without ε)
        band_style = dict(color=COLORS["tangent"], alpha=0.18, lw=0, visible=False)
        self.band_f = Rectangle(
            (0, 0), 1, 0, transform=self.ax_f.get_yaxis_transform(), **band_style
        )
        self.band_d = Rectangle(
            (0, 0), 1, 0, transform=self.ax_d.get_yaxis_transform(), **band_style
        )
        self.window_f = Rectangle(
            (0, 0),
            0,
            1,
            transform=self.ax_f.get_xaxis_transform(),
            color=COLORS["second"],
            alpha=0.15,
            lw=0,
            visible=False,
        )
        for patch, ax in (
            (self.band_f, self.ax_f),
            (self.window_f, self.ax_f),
            (self.band_d, self.ax_d),
        ):
            ax.add_patch(patch)
        self.a_line = self.ax_f.axvline(0, color=COLORS["muted"], ls="--", lw=1)
        (self.hole_marker,) = self.ax_f.plot(
            [], [], "o", ms=7, mfc="white", mec=COLORS["curve"], mew=1.5
        )
        (self.value_marker,) = self.ax_f.plot([], [], "o", ms=6, color=COLORS["curve"])
        (self.left_dot,) = self.ax_f.plot(
            [], [], "o", ms=8, color=COLORS["secant"], label=f"{name}(a − δ)"
        )
        (self.right_dot,) = self.ax_f.plot(
            [], [], "s", ms=7, color=COLORS["tangent"], label=f"{name}(a + δ)"
        )
        self.ax_f.legend(handles=[self.left_dot, self.right_dot], loc="upper left", fontsize=8)
        # tick labels are most of the cost of a full redraw: a handful is enough
        self.ax_f.xaxis.set_major_locator(MaxNLocator(6, steps=[1, 2, 2.5, 5, 10]))
        self.ax_f.yaxis.set_major_locator(MaxNLocator(6, steps=[1, 2, 2.5, 5, 10]))

        (self.left_curve,) = self.ax_d.plot(
            [], [], color=COLORS["secant"], lw=1.3, label=f"{name}(a − δ)"
        )
        (self.right_curve,) = self.ax_d.plot(
            [], [], color=COLORS["tangent"], lw=1.3, ls="--", label=f"{name}(a + δ)"
        )
        self.ax_d.set_xscale("log")
        self.ax_d.xaxis.set_minor_locator(
            NullLocator()
        )  # decades are enough; minor ticks cost draw time
        self.ax_d.set_xlim(1.0, 1e-6)  # δ shrinks to the right
        self.ax_d.legend(loc="lower right", fontsize=8)
        self.delta_line = self.ax_d.axvline(delta, color=COLORS["point"], lw=1)
        (self.left_now,) = self.ax_d.plot([], [], "o", ms=7, color=COLORS["secant"])
        (self.right_now,) = self.ax_d.plot([], [], "s", ms=6, color=COLORS["tangent"])
        label_axes(
            self.ax_d, "One-sided values as δ shrinks", "δ (log scale, shrinking →)", "value"
        )
        caption = (
            f"Left: the graph of {name} with a dashed line at {variable} = a and dots at a − δ and "
            f"a + δ (an arrow at the edge marks a value off the chart). Right: {name}(a − δ) and "
            f"{name}(a + δ) against δ on a log axis; where the two curves meet on the right, the "
            "limit exists."
        )
        if epsilon is not None:
            caption += (
                " When the limit L exists, a green band shows L ± ε in both panels and an orange "
                "strip the window a ± δ: the ε–δ test passes when the graph inside the strip stays "
                "inside the band."
            )

        super().__init__(
            fig,
            controls=controls,
            dynamic_artists=[
                # everything that moves with a, δ or ε, so that none of them needs a full redraw
                self.band_f,
                self.window_f,
                self.band_d,
                self.left_curve,
                self.right_curve,
                self.a_line,
                self.hole_marker,
                self.value_marker,
                self.left_dot,
                self.right_dot,
                self.delta_line,
                self.left_now,
                self.right_now,
            ],
            title="Limit explorer",
            caption=caption,
        )

    # -- controls --------------------------------------------------------------------------
    def _on_change(self, change=None) -> None:
        if self._suppress:
            return
        if change is not None and change.get("owner") is self.chooser:
            # a new function starts at its own interesting point
            # (and a slider range around it, which the left panel shows in full)
            centre = self.functions[self.chooser.value].a
            slider = self.a_slider
            self._suppress = True
            try:
                slider.min, slider.max = (
                    min(slider.min, centre - A_RANGE),
                    max(slider.max, centre + A_RANGE),
                )
                slider.value = centre
                slider.min, slider.max = centre - A_RANGE, centre + A_RANGE
            finally:
                self._suppress = False
        self.refresh()

    @property
    def entry(self) -> LimitFunction:
        return self.functions[self.chooser.value]

    @property
    def func(self) -> SafeFunction:
        return self._safe[self.chooser.value]

    @property
    def a(self) -> float:
        return float(self.a_slider.value)

    @property
    def delta(self) -> float:
        return float(self.delta_slider.value)

    @property
    def epsilon(self) -> float | None:
        return None if self.epsilon_slider is None else float(self.epsilon_slider.value)

    def values(self, delta: float | None = None) -> tuple[float, float]:
        """(f(a − δ), f(a + δ)) for the current or the given δ; nan where f is undefined."""
        d = self.delta if delta is None else float(delta)
        return self._point(self.a - d), self._point(self.a + d)

    def _point(self, x: float) -> float:
        """f(x) for the table: ±∞ at a pole (1/0, 0^(−1)) is "undefined", while an overflow
        (a finite value too large for a float, e^1000) stays ±∞. A pole has finite values a
        hair away from it; an overflow does not."""
        value = float(_values(self.func, np.array([x]))[0])
        if math.isinf(value):
            hair = 1e-9 * max(1.0, abs(x))
            if np.any(np.isfinite(_values(self.func, np.array([x - hair, x + hair])))):
                return math.nan
        return value

    def verdict(self) -> Verdict:
        return limit_verdict(self.func, self.a)

    def epsilon_check(self) -> EpsilonCheck | None:
        """The ε–δ test at the current ε and δ (None without ε, or where there is no limit)."""
        if self._profile is None or self.epsilon is None:
            return None
        return self._profile.check(self.epsilon, self.delta)

    # -- drawing ---------------------------------------------------------------------------
    def _draw_static(self) -> None:
        """The part that depends on the function only: its graph over the whole slider range."""
        entry, func = self.entry, self.func
        x_lo, x_hi = self.a_slider.min - 0.25, self.a_slider.max + 0.25
        xs = np.linspace(x_lo, x_hi, 4001)
        func.error = None
        ys = _values(func, xs)
        ys[np.isinf(ys)] = np.nan
        lo, hi = entry.ylim or _auto_ylim(ys)
        self._ylim = (lo, hi)
        ys = np.where((ys < lo - 50) | (ys > hi + 50), np.nan, ys)
        # break the line across a jump or an asymptote instead of drawing a false vertical segment
        steps = np.abs(np.diff(ys))
        typical = np.nanmedian(steps) if np.any(np.isfinite(steps)) else 0.0
        big = steps > max(20 * typical, 0.02 * (hi - lo))
        # only an isolated big step is a jump; a run of them is a fast oscillation (sin(1/x))
        # that should be drawn as the dense band it is, not cut into fragments
        neighbours = np.zeros_like(big)
        neighbours[1:] |= big[:-1]
        neighbours[:-1] |= big[1:]
        ys[1:][big & ~neighbours] = np.nan
        self.curve.set_data(xs, ys)
        if np.all(np.isnan(ys)):
            why = (
                f"{self.name} raised {func.error[0]}: {func.error[1]}"
                if func.error
                else f"{self.name} is undefined on the whole range shown"
            )
            self.message.set_text(f"Nothing to draw:\n{why}")
        else:
            self.message.set_text("")
        self.ax_f.set_xlim(x_lo, x_hi)
        self.ax_f.set_ylim(lo, hi)
        label_axes(
            self.ax_f,
            f"{self.name}({self.variable}) = {entry.label}",
            self.variable,
            f"{self.name}({self.variable})",
        )
        self.ax_d.set_ylim(lo, hi)

    def _draw_point(self) -> None:
        """The part that depends on a: the line x = a, the markers at a, the right panel's curves."""
        a, func = self.a, self.func
        self.a_line.set_xdata([a, a])
        verdict = self.verdict()
        # open circles at one-sided limits that f(a) does not fill in
        open_ys = []
        if verdict.kind in ("limit", "jump", "one-sided"):
            targets = {verdict.limit} if verdict.kind == "limit" else {verdict.left, verdict.right}
            for y in targets:
                if math.isnan(y):
                    continue
                if not (math.isfinite(verdict.value_at_a) and abs(y - verdict.value_at_a) < 1e-6):
                    open_ys.append(y)
        self.hole_marker.set_data([a] * len(open_ys), open_ys)
        if math.isfinite(verdict.value_at_a):
            self.value_marker.set_data([a], [verdict.value_at_a])
        else:
            self.value_marker.set_data([], [])
        grid = self.DELTA_GRID
        both = _values(func, np.concatenate([a - grid, a + grid]))
        self.left_curve.set_data(grid, both[: len(grid)])
        self.right_curve.set_data(grid, both[len(grid) :])
        self._verdict = verdict
        self._profile = None
        if self.epsilon_slider is not None and verdict.kind == "limit":
            self._profile = epsilon_profile(func, a, verdict.limit)

    def _place(self, dot, x: float, y: float, marker: str) -> str:
        lo, hi = self._ylim
        shown, arrow, note = _on_chart(y, lo, hi)
        dot.set_marker(arrow or marker)
        dot.set_data([x], [shown]) if not math.isnan(shown) else dot.set_data([], [])
        return note

    def update_figure(self) -> bool:
        # Only a new function changes the static picture (graph, axes, title). Moving a changes
        # dynamic artists alone, so it is blitted like a move of δ or ε.
        full = self.chooser.value != self._static_key
        if full:
            self._draw_static()
            self._static_key = self.chooser.value
        if full or self.a != self._point_key:
            self._draw_point()
            self._point_key = self.a
        a, d = self.a, self.delta
        left, right = self.values()
        self._notes = (
            self._place(self.left_dot, a - d, left, "o"),
            self._place(self.right_dot, a + d, right, "s"),
        )
        self._place(self.left_now, d, left, "o")
        self._place(self.right_now, d, right, "s")
        self.delta_line.set_xdata([d, d])
        self._epsilon_check = self.epsilon_check()
        shown = self._epsilon_check is not None
        for patch in (self.band_f, self.band_d, self.window_f):
            patch.set_visible(shown)
        if shown:
            eps, limit = self._epsilon_check.epsilon, self._epsilon_check.limit
            for band in (self.band_f, self.band_d):
                band.set_y(limit - eps)
                band.set_height(2 * eps)
            self.window_f.set_x(a - d)
            self.window_f.set_width(2 * d)
        return full

    def table_rows(self) -> list[tuple[float, float, float]]:
        """(δ, f(a − δ), f(a + δ)) for the current δ and two ten-times-smaller ones."""
        return [(d, *self.values(d)) for d in (self.delta, self.delta / 10, self.delta / 100)]

    def readout(self) -> str:
        entry, a, name = self.entry, self.a, self.name
        lines = [
            f"{name}({self.variable}) = {entry.label}, {self.variable} → a = {a:g}",
            f"{'δ':>9}  {name + '(a − δ)':>16}  {name + '(a + δ)':>16}",
        ]
        for d, left, right in self.table_rows():
            lines.append(f"{d:9.2e}  {_fmt(left):>16}  {_fmt(right):>16}")
        left, right = self.values()
        if math.isfinite(left) and math.isfinite(right):
            lines.append(
                f"gap |{name}(a + δ) − {name}(a − δ)| at δ = {self.delta:.1e}: {abs(right - left):.3g}"
            )
        for side, note in zip(("left", "right"), self._notes, strict=True):
            if note.startswith("off"):
                lines.append(f"The {side} dot is {note}.")
        lines.append(f"{name}(a) = {_fmt(self._verdict.value_at_a)}")
        lines.append(describe_verdict(self._verdict))
        if self.epsilon_slider is not None:
            lines.append(describe_epsilon(self._epsilon_check, self._verdict))
        error = self.func.error
        if error is not None and self._verdict.kind != "error":
            lines.append(
                f"Note: {name} raised {error[0]} at x = {error[2]:.6g} ({error[1]}); "
                "those points are left out of the picture."
            )
        return "\n".join(lines)

    def static_extra_html(self) -> str:
        return ""


def limit_explorer(
    function: str | Callable = "hole",
    a: float | None = None,
    delta: float = 0.5,
    label: str | None = None,
    epsilon: float | None = None,
    name: str = "f",
    variable: str = "x",
):
    """Interactive limit explorer.

    ``function`` is a catalogue key (see ``FUNCTIONS``) or a callable (vectorised or written for
    one float); ``label`` names a callable in the title and readout (its ``__name__`` otherwise);
    ``epsilon`` adds an ε slider and the ε–δ band; ``name`` and ``variable`` rename f and x in the
    labels (``name="q", variable="h"`` for a difference quotient).
    """
    return LimitExplorer(
        function=function,
        a=a,
        delta=delta,
        label=label,
        epsilon=epsilon,
        name=name,
        variable=variable,
    )
