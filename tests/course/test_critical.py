"""The critical-point explorer and the polynomial analysis behind it."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from calcml.widgets.critical import X, analyse_polynomial, critical_point_explorer


@pytest.mark.parametrize(
    ("expr", "second_test", "nature"),
    [
        (X**2, "local minimum", "local minimum"),
        (-(X**2), "local maximum", "local maximum"),
        (X**3, "inconclusive", "not an extremum"),
        (X**4, "inconclusive", "local minimum"),
        (-(X**4), "inconclusive", "local maximum"),
    ],
)
def test_classification_of_the_classic_cases(expr, second_test, nature):
    (point,) = analyse_polynomial(expr).critical_points
    assert point.x == 0.0
    assert point.second_test == second_test
    assert point.nature == nature


def test_inflection_needs_a_sign_change():
    assert analyse_polynomial(X**3).inflection_points == (0.0,)
    assert analyse_polynomial(X**4).inflection_points == ()  # f''(0) = 0 but no sign change
    assert analyse_polynomial(X**5).inflection_points == (0.0,)


def test_cubic_with_a_max_and_a_min_matches_numpy():
    expr = X**3 - 3 * X
    analysis = analyse_polynomial(expr)
    roots = np.sort(np.roots([3, 0, -3]).real)
    assert np.allclose(analysis.critical_xs(), roots)
    assert [p.nature for p in analysis.critical_points] == ["local maximum", "local minimum"]
    for p in analysis.critical_points:  # the classification agrees with nearby values
        f = sp.lambdify(X, expr)
        neighbours = [f(p.x - 1e-3), f(p.x + 1e-3)]
        if p.nature == "local minimum":
            assert all(v > p.value for v in neighbours)
        else:
            assert all(v < p.value for v in neighbours)


def test_rejects_non_polynomials():
    with pytest.raises(ValueError, match="not a polynomial"):
        analyse_polynomial(sp.sin(X))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("x²", "local minimum"),
        ("−x²", "local maximum"),
        ("x³", "inconclusive"),
        ("x⁴", "inconclusive"),
    ],
)
def test_explorer_readout_classifies(name, expected):
    app = critical_point_explorer(name)
    assert expected in app.last_readout
    if name == "x³":
        assert "neither a maximum nor a minimum" in app.last_readout
    if name == "x⁴":
        assert "so it is a local minimum" in app.last_readout
        assert "No inflection points" in app.last_readout


def test_cursor_reports_signs_of_first_and_second_derivative():
    app = critical_point_explorer("x³ − 3x", x=0.5)
    assert "f′ = -2.25 < 0 (decreasing)" in app.last_readout
    assert "f″ = 3 > 0 (concave up)" in app.last_readout
    png = app.last_png
    app.cursor.value = -1.5
    assert "(increasing)" in app.last_readout and "(concave down)" in app.last_readout
    assert app.last_png != png


def test_switching_function_keeps_the_cursor_in_range():
    app = critical_point_explorer("x³ − 3x", x=2.3)
    app.chooser.value = "x⁴"
    assert app.cursor.min <= app.cursor.value <= app.cursor.max
    assert app.cursor.max == pytest.approx(1.4)
    assert "This widget hit an error" not in app.last_readout


def test_three_panels_share_the_x_axis():
    app = critical_point_explorer()
    axes = app.fig.axes
    assert len(axes) == 3
    assert axes[0].get_xlim() == axes[1].get_xlim() == axes[2].get_xlim()


def test_static_bundle_carries_png():
    bundle = critical_point_explorer("x⁴")._repr_mimebundle_()
    assert bundle["image/png"]
    assert "inconclusive" in bundle["text/plain"]


def test_unknown_preset_is_named():
    with pytest.raises(ValueError, match="unknown function 'x7'"):
        critical_point_explorer("x7")


def test_own_polynomial_can_be_added():
    app = critical_point_explorer("mine", functions={"mine": "x**3 - 6*x**2 + 9*x"})
    xs = app.analysis.critical_xs()
    assert xs == pytest.approx([1.0, 3.0])


def test_own_function_that_is_not_a_polynomial_is_drawn_with_a_named_message():
    app = critical_point_explorer("wavy", functions={"wavy": "sin(x)", "corner": "Abs(x)"})
    assert "Cannot analyse this function" in app.last_readout
    assert "wavy: sin(x)" in app.last_readout and app.last_png
    assert "local minimum" not in app.last_readout  # no classification is claimed
    app.chooser.value = "corner"
    app.cursor.value = 0.0
    assert "to the left -1, to the right 1" in app.last_readout


def test_own_function_that_cannot_be_read_is_refused_by_name():
    with pytest.raises(ValueError, match=r"cannot read function 'broken' = 'x \*\* \(2'"):
        critical_point_explorer("x²", functions={"broken": "x ** (2"})
    with pytest.raises(ValueError, match=r"'two' = 'x \* y' must be a formula in x alone"):
        critical_point_explorer("x²", functions={"two": "x * y"})


def test_constant_function_every_point_is_critical():
    from calcml.widgets.critical import critical_point_explorer

    app = critical_point_explorer("flat", functions={"flat": "3"})
    assert "every x is a critical point" in app.last_readout
    assert "global minimum and a global maximum" in app.last_readout
    assert "runs off" not in app.last_readout
    assert "f′ = 0 (flat)" in app.last_readout
