"""Chapter 1 (limits and continuity): its key claims, checked through the functions it uses."""

from __future__ import annotations

import inspect
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import calcml.plots.limits as plots
from calcml.widgets.limits import FUNCTIONS, limit_verdict

NOTEBOOK = Path(__file__).resolve().parents[2] / "course" / "01-limits.ipynb"
FIGURES = [
    f
    for name, f in inspect.getmembers(plots, inspect.isfunction)
    if f.__module__ == plots.__name__ and (name.endswith("_figure") or name.endswith("_gallery"))
]


def code_of_notebook() -> str:
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")


def test_notebook_uses_the_widget_every_figure_and_a_quiz():
    code = code_of_notebook()
    assert "limit_explorer(" in code
    for func in FIGURES:
        assert f"{func.__name__}(" in code, f"chapter 1 never shows {func.__name__}"
    assert code.count("show_figure(") >= 5
    assert "Quiz(" in code
    questions = code.count("multiple_choice(") + code.count("true_false(")
    assert 6 <= questions <= 8


@pytest.mark.parametrize("func", FIGURES, ids=lambda f: f.__name__)
def test_every_figure_has_titles_and_labelled_axes(func):
    fig = func()
    for ax in fig.axes:
        assert ax.get_title(), f"{func.__name__}: an axes has no title"
        assert ax.get_xlabel() and ax.get_ylabel(), f"{func.__name__}: unlabelled axis"


def test_hole_limit_is_two_numerically_and_symbolically():
    x = sp.Symbol("x")
    assert sp.limit((x**2 - 1) / (x - 1), x, 1) == 2
    verdict = limit_verdict(FUNCTIONS["hole"].func, 1.0)
    assert verdict.kind == "limit" and verdict.limit == pytest.approx(2.0, abs=1e-6)
    assert math.isnan(verdict.value_at_a)


def test_jump_has_one_sided_limits_minus_one_and_one():
    verdict = limit_verdict(FUNCTIONS["jump"].func, 0.0)
    assert (verdict.left, verdict.right) == pytest.approx((-1.0, 1.0), abs=1e-6)
    assert verdict.value_at_a == 1.0


def test_quiz_claim_x2_minus_4_over_x_minus_2_tends_to_4():
    def f(t):
        with np.errstate(all="ignore"):
            return (np.asarray(t) ** 2 - 4) / (np.asarray(t) - 2)

    assert limit_verdict(f, 2.0).limit == pytest.approx(4.0, abs=1e-6)


def test_sin_x_over_x_is_squeezed_between_cos_and_one():
    xs = np.linspace(-np.pi / 2, np.pi / 2, 1001)
    xs = xs[xs != 0]
    assert np.all(np.cos(xs) <= np.sin(xs) / xs) and np.all(np.sin(xs) / xs <= 1)
    assert limit_verdict(FUNCTIONS["sinc"].func, 0.0).limit == pytest.approx(1.0, abs=1e-9)


def test_compound_interest_gap_to_e_shrinks_like_e_over_2n():
    for n in [100, 1_000, 10_000, 100_000]:
        gap = math.e - (1 + 1 / n) ** n
        assert gap > 0
        assert gap / (math.e / (2 * n)) == pytest.approx(1.0, rel=0.01)


def test_limits_at_infinity():
    x = sp.Symbol("x")
    sigma = 1 / (1 + sp.exp(-x))
    assert sp.limit(sigma, x, sp.oo) == 1 and sp.limit(sigma, x, -sp.oo) == 0
    assert sp.limit((3 * x**2 + 1) / (x**2 + 2), x, sp.oo) == 3


def test_difference_quotient_of_square_is_a_line_with_a_hole_at_zero():
    def quotient(h, a=1.0):
        h = np.asarray(h, dtype=float)
        with np.errstate(all="ignore"):
            return ((a + h) ** 2 - a**2) / h

    verdict = limit_verdict(quotient, 0.0)
    assert verdict.kind == "limit" and verdict.limit == pytest.approx(2.0, abs=1e-5)
    assert math.isnan(verdict.value_at_a)  # 0/0: the removable hole that the derivative fills


def test_sampled_tables_can_be_fooled_by_sin_pi_over_x_but_the_verdict_probes_in_between():
    # the chapter's warning: δ = 10^-k samples sin(π/x) only at its zeros, so a table of those
    # values says "0", although the value 1 occurs arbitrarily close to 0 as well; the verdict
    # also samples between the powers of ten and says "no limit"
    def sin_pi_over(t):
        return np.sin(np.pi / t)

    decades = 10.0 ** -np.arange(2, 8)
    assert np.all(np.abs(sin_pi_over(decades)) < 1e-8)
    assert np.all(np.abs(sin_pi_over(-decades)) < 1e-8)
    peaks = 1 / (2 * (10**7 + np.arange(4)) + 0.5)
    assert np.all(peaks < 1e-7)
    assert sin_pi_over(peaks) == pytest.approx(1.0, abs=1e-6)
    assert limit_verdict(sin_pi_over, 0.0).kind == "oscillating"
    assert limit_verdict(FUNCTIONS["oscillating"].func, 0.0).kind == "oscillating"


def test_unit_circle_areas_give_the_squeeze():
    # triangle OAP ⊂ sector OAP ⊂ triangle OAT: ½ sin x ≤ ½ x ≤ ½ tan x on (0, π/2)
    xs = np.linspace(1e-4, np.pi / 2 - 1e-4, 500)
    assert np.all(np.sin(xs) / 2 <= xs / 2) and np.all(xs / 2 <= np.tan(xs) / 2)
    fig = plots.unit_circle_figure(0.8)
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert "cos x ≤ sin(x)/x ≤ 1" in texts
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert any(f"{np.tan(0.8) / 2:.3f}" in label for label in labels)
    assert any(f"{0.8 / 2:.3f}" in label for label in labels)
    assert any(f"{np.sin(0.8) / 2:.3f}" in label for label in labels)


def test_bootstrap_limit_one_minus_one_over_n_to_the_n_is_one_over_e():
    n = sp.Symbol("n", positive=True)
    assert sp.limit((1 - 1 / n) ** n, n, sp.oo) == sp.exp(-1)
    assert 1 - math.exp(-1) == pytest.approx(0.632, abs=5e-4)


def test_limits_at_infinity_for_unequal_degrees_and_exponentials():
    x = sp.Symbol("x")
    assert sp.limit((2 * x + 1) / (x**2 + 3), x, sp.oo) == 0
    assert sp.limit(x**3 / (x**2 + 1), x, sp.oo) == sp.oo
    assert sp.limit(x**10 * sp.exp(-x), x, sp.oo) == 0


def test_the_loss_slope_at_one_is_the_limit_of_its_quotient():
    from calcml.regression import AREA, RENT, slope_loss

    w = sp.Symbol("w")
    loss = sum((w * float(xi) - float(yi)) ** 2 for xi, yi in zip(AREA, RENT, strict=True)) / 6
    exact = float(sp.diff(loss, w).subs(w, 1))
    assert exact == pytest.approx(-2.386667, abs=1e-5)  # the value the summary states
    for h in (1e-3, 1e-5):
        quotient = (slope_loss(1 + h) - slope_loss(1)) / h
        assert quotient == pytest.approx(exact, abs=2 * h)


def test_every_your_turn_heading_is_followed_by_one_check_or_ask_cell():
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    cells = nb["cells"]
    keys = []
    for i, cell in enumerate(cells):
        text = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and text.lstrip("# ").startswith("Your turn"):
            follow = "".join(cells[i + 1]["source"])
            assert cells[i + 1]["cell_type"] == "code" and ("check(" in follow or "ask(" in follow)
            keys.append(re.search(r'(?:check|ask)\("([^"]+)"', follow).group(1))
    assert len(keys) >= 4 and all(k.startswith("ch01.") for k in keys)
    from calcml.exercises import exercises_of

    assert set(keys) == set(exercises_of("ch01"))
