"""Chapter 2's claims, checked through the package functions the notebook itself calls."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from calcml.plots import derivatives as d
from calcml.regression import AREA, RENT, slope_loss

CHAPTER = Path(__file__).resolve().parents[2] / "course" / "02-derivatives.ipynb"


@pytest.fixture(scope="module")
def chapter_code() -> str:
    nb = json.loads(CHAPTER.read_text(encoding="utf-8"))
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")


def test_the_notebook_uses_the_functions_these_tests_check(chapter_code):
    for name in [
        "plots.gradient_step(plots.toy_loss_grad",
        "plots.toy_loss(",
        "plots.difference_errors(",
        "plots.error_order(",
        "plots.sigmoid_derivative(",
        "plots.equal_drop_stretches()",
        "plots.relu_derivative(",
        "plots.nudge_zoom_figure(",
        "plots.product_rule_figure(",
        "plots.one_sided_secants_figure(",
        "slope_loss(",
        'secant_explorer("x^2"',
        'secant_explorer("abs", a=0.0, h=0.1, both=True)',
        'secant_explorer("exp", a=2.0, h=1e-10, explain=True)',
    ]:
        assert name in chapter_code, f"chapter 2 no longer calls {name!r}"


def test_one_gradient_step_from_five():
    w1 = d.gradient_step(d.toy_loss_grad, 5.0, 0.1)
    assert w1 == pytest.approx(4.6)
    assert d.toy_loss(5.0) == pytest.approx(4.0)
    assert d.toy_loss(w1) == pytest.approx(2.56)


def test_toy_loss_gradient_is_the_derivative_of_the_loss():
    w = sp.symbols("w")
    symbolic = sp.diff(d.toy_loss(w), w)
    for value in [-2.0, 0.0, 3.0, 5.0, 7.5]:
        assert d.toy_loss_grad(value) == pytest.approx(float(symbolic.subs(w, value)))
        assert d.toy_loss_grad(value) == pytest.approx(
            d._central_difference(d.toy_loss, value, 1e-5), abs=1e-6
        )


def test_repeated_steps_shrink_the_distance_by_one_minus_two_eta():
    w, eta = 5.0, 0.1
    for _ in range(5):
        new = d.gradient_step(d.toy_loss_grad, w, eta)
        assert new - 3.0 == pytest.approx((w - 3.0) * (1 - 2 * eta))
        assert d.toy_loss(new) < d.toy_loss(w)
        w = new


def test_secant_slopes_of_square_at_one_approach_two_with_gap_h():
    steps = [10.0**-k for k in range(7)]
    rows = d.secant_slope_rows(np.square, 1.0, steps)
    for h, slope in rows:
        assert slope - 2.0 == pytest.approx(h, rel=1e-6, abs=1e-9)  # (2ah + h²)/h − 2a = h
    left = d.secant_slope_rows(np.square, 1.0, [-s for s in steps])
    assert all(slope < 2.0 for _, slope in left)
    with pytest.raises(ValueError, match="must not be 0"):
        d._secant_slope(np.square, 1.0, 0.0)


def test_forward_difference_is_first_order_and_central_second_order():
    steps = np.logspace(-4, -1, 12)
    forward, central = d.difference_errors(np.sin, np.cos, 1.0, steps)
    assert d.error_order(steps, forward) == pytest.approx(1.0, abs=0.05)
    assert d.error_order(steps, central) == pytest.approx(2.0, abs=0.05)
    assert np.all(central < forward)


def test_round_off_makes_tiny_steps_worse():
    forward, central = d.difference_errors(np.sin, np.cos, 1.0, np.array([1e-13, 1e-5, 1e-8]))
    assert central[0] > 100 * central[1]  # h = 1e-13 is far worse than h = 1e-5
    assert forward[0] > 10 * forward[2]


def test_sigmoid_derivative_identity_and_its_maximum():
    xs = np.linspace(-8, 8, 161)
    numeric = d._central_difference(d.sigmoid, xs, 1e-5)
    assert np.allclose(d.sigmoid_derivative(xs), numeric, atol=1e-9)
    assert d.sigmoid_derivative(0.0) == pytest.approx(0.25)
    assert d.sigmoid_derivative(xs).max() == pytest.approx(0.25)
    assert d.sigmoid_derivative(10.0) < 1e-4  # saturation: the vanishing-gradient claim


def test_sigmoid_is_stable_for_huge_inputs():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        values = d.sigmoid(np.array([-1000.0, 0.0, 1000.0]))
    assert values.tolist() == [0.0, 0.5, 1.0]


def test_tanh_and_relu_derivatives():
    xs = np.linspace(-3, 3, 61)
    assert np.allclose(d.tanh_derivative(xs), d._central_difference(np.tanh, xs, 1e-5), atol=1e-9)
    away = xs[np.abs(xs) > 0.01]
    assert np.allclose(d.relu_derivative(away), d._central_difference(d.relu, away, 1e-5))
    assert d.relu_derivative(np.array([0.0])).tolist() == [0.0]  # the library convention


def test_equal_drop_stretches_differ_in_slope():
    steep, flat = d.equal_drop_stretches()
    for stretch in (steep, flat):
        drop = d.training_loss(stretch.start) - d.training_loss(stretch.end)
        assert drop == pytest.approx(stretch.drop, abs=2e-3)
    assert flat.steps > 10 * steep.steps
    assert abs(flat.average_slope) < abs(steep.average_slope) / 10
    with pytest.raises(ValueError, match="never drops"):
        d.equal_drop_stretches(drop=5.0)


def test_one_sided_secant_slopes_at_the_three_failures():
    for s in (1e-2, 1e-6):
        assert d._secant_slope(np.abs, 0.0, s) == 1.0
        assert d._secant_slope(np.abs, 0.0, -s) == -1.0
    cusp = [d._secant_slope(lambda t: np.cbrt(t) ** 2, 0.0, s) for s in (1e-2, 1e-4, 1e-6)]
    vertical = [d._secant_slope(np.cbrt, 0.0, -s) for s in (1e-2, 1e-4, 1e-6)]
    assert cusp == sorted(cusp) and cusp[-1] > 50
    assert vertical == sorted(vertical) and vertical[-1] > 1000


@pytest.mark.parametrize(
    "name",
    [
        "training_loss_figure",
        "secant_family_figure",
        "activation_figure",
        "vanishing_gradient_figure",
        "tangent_approximation_figure",
        "difference_error_figure",
        "speedometer_figure",
        "nondifferentiable_figure",
        "subgradient_figure",
        "implicit_circle_figure",
        "gradient_step_figure",
        "nudge_zoom_figure",
        "one_sided_secants_figure",
        "product_rule_figure",
    ],
)
def test_every_figure_has_titles_and_labelled_axes(name):
    fig = getattr(d, name)()
    assert fig.axes
    for ax in fig.axes:
        assert ax.get_title(), f"{name}: an axes has no title"
        assert ax.get_ylabel(), f"{name}: an axes has no y label"
        assert ax.lines or ax.collections, f"{name}: an axes is empty"
    assert any(ax.get_xlabel() for ax in fig.axes), f"{name}: no x label"
    fig.canvas.draw()  # renders without error or warning


def test_leading_error_terms_of_forward_and_central_differences():
    """The chapter states forward error ≈ (h/2) f″(x) and central error ≈ (h²/6) f‴(x)."""
    x = 1.0
    for h in (1e-2, 1e-3):
        forward = d._forward_difference(np.sin, x, h) - np.cos(x)
        central = d._central_difference(np.sin, x, h) - np.cos(x)
        assert forward == pytest.approx(h / 2 * -np.sin(x), rel=1e-2)
        assert central == pytest.approx(h**2 / 6 * -np.cos(x), rel=1e-2)


def test_tangent_error_is_half_the_second_derivative_times_distance_squared():
    """√4.1 from the tangent at 4: error ≈ |f″(4)|/2 · 0.1² with f″(x) = −x^(−3/2)/4."""
    estimate = 2.0 + 0.1 / 4.0
    error = estimate - np.sqrt(4.1)
    assert error == pytest.approx(4.0**-1.5 / 4 / 2 * 0.1**2, rel=0.05)


def test_circle_tangent_is_perpendicular_to_the_radius():
    x, y = sp.symbols("x y")
    slope = sp.idiff(x**2 + y**2 - 25, y, x)
    assert sp.simplify(slope + x / y) == 0
    assert slope.subs({x: 3, y: 4}) * sp.Rational(4, 3) == -1  # radius slope 4/3


def test_running_example_slope_by_the_chain_rule_matches_a_central_difference():
    """L′(w) = mean(2x(wx − y)), the chapter's chain-rule formula, against the loss itself."""
    for w in (-1.0, 0.0, 1.0, 1.7474, 3.0):
        formula = float(np.mean(2 * AREA * (w * AREA - RENT)))
        numeric = float((slope_loss(w + 1e-5) - slope_loss(w - 1e-5)) / 2e-5)
        assert formula == pytest.approx(numeric, abs=1e-8)
        assert d.running_loss_slope(w) == pytest.approx(formula)
    assert float(np.mean(2 * AREA * (AREA - RENT))) == pytest.approx(-2.386667, abs=1e-6)


def test_nudge_rule_numbers_of_the_chapter():
    """ΔL ≈ L′(1)·Δw: for Δw = 0.01 the miss is the curvature term mean(x²)·Δw²."""
    slope, nudge = float(d.running_loss_slope(1.0)), 0.01
    true_change = float(slope_loss(1.0 + nudge) - slope_loss(1.0))
    assert true_change - slope * nudge == pytest.approx(np.mean(AREA**2) * nudge**2, rel=1e-9)
    assert abs(true_change - slope * nudge) < 2e-4


def test_product_rule_pieces_add_up_to_the_new_area():
    x, dx = 1.5, 0.3
    f, g = (lambda t: t), (lambda t: t * t / 2 + 1)
    df, dg = f(x + dx) - f(x), g(x + dx) - g(x)
    assert f(x + dx) * g(x + dx) - f(x) * g(x) == pytest.approx(g(x) * df + f(x) * dg + df * dg)
    # the figure's labels carry these numbers
    texts = {t.get_text() for t in d.product_rule_figure(x, dx).axes[0].texts}
    assert f"g·Δf = {g(x) * df:.3g}" in texts and f"f·Δg = {f(x) * dg:.3g}" in texts


def test_sigmoid_derivative_by_the_quotient_rule():
    x = sp.symbols("x")
    quotient = sp.exp(-x) / (1 + sp.exp(-x)) ** 2
    sigma = 1 / (1 + sp.exp(-x))
    assert sp.simplify(quotient - sigma * (1 - sigma)) == 0


def test_inline_difference_quotients_of_the_chapter_match_the_helpers():
    for h in (1e-1, 1e-2, 1e-3):
        forward = (np.sin(1 + h) - np.sin(1)) / h
        central = (np.sin(1 + h) - np.sin(1 - h)) / (2 * h)
        fe, ce = d.difference_errors(np.sin, np.cos, 1.0, [h])
        assert abs(forward - np.cos(1)) == pytest.approx(fe[0])
        assert abs(central - np.cos(1)) == pytest.approx(ce[0])
