"""The secant-to-tangent demo, driven from Python as a learner drives it with the controls."""

from __future__ import annotations

import math

import numpy as np
import pytest

from calcml.widgets.secant import FUNCTIONS, secant_explorer


@pytest.fixture
def demo():
    return secant_explorer("x^2", a=1.0, h=0.5)


def _line_value_at(line, x: float) -> float:
    xs, ys = (np.asarray(v, dtype=float) for v in line.get_data())
    return float(np.interp(x, xs, ys))


def test_secant_slope_of_square_tends_to_two_with_error_proportional_to_h(demo):
    steps = [1e-1, 1e-2, 1e-3, 1e-4]
    gaps = []
    for h in steps:
        demo.set_h(h)
        assert demo.h == pytest.approx(h)
        gaps.append(abs(demo.secant_slope - 2.0))
    assert demo.tangent_slope == pytest.approx(2.0)
    # every tenfold smaller step makes the gap tenfold smaller: error ~ h (for x², exactly h)
    for h, gap in zip(steps, gaps, strict=True):
        assert gap == pytest.approx(h, rel=1e-3)
    assert gaps == sorted(gaps, reverse=True)


def test_negative_steps_approach_from_the_left(demo):
    demo.set_h(-1e-3)
    assert demo.h < 0
    assert demo.secant_slope == pytest.approx(2.0 - 1e-3, rel=1e-6)
    assert "h = -1.0e-03" in demo.last_readout


def test_tiny_step_shows_round_off_rather_than_an_exact_answer(demo):
    demo.set_h(1e-10)
    assert demo.h_size.value == pytest.approx(1e-10)
    assert demo.secant_slope != 2.0  # floating-point cancellation: the gap is no longer ~h
    assert abs(demo.secant_slope - 2.0) > 1e-9


@pytest.mark.parametrize("h", [1e-1, 1e-4, 1e-8])
def test_abs_at_zero_has_different_left_and_right_secant_slopes(demo, h):
    demo.function.value = "abs"
    demo.a.value = 0.0
    demo.set_h(h)
    assert "a corner" in demo.last_readout
    right = demo.secant_slope
    demo.set_h(-h)
    left = demo.secant_slope
    assert right == pytest.approx(1.0)
    assert left == pytest.approx(-1.0)
    assert demo.tangent_slope is None
    assert "does not exist" in demo.last_readout
    assert (demo.left_slope, demo.right_slope) == (-1.0, 1.0)


@pytest.mark.parametrize("function", list(FUNCTIONS))
@pytest.mark.parametrize("a", [-1.5, 0.0, 0.7])
def test_tangent_line_passes_through_the_point(function, a):
    demo = secant_explorer(function, a=a, h=0.5)
    fa = float(FUNCTIONS[function].f(a))
    if demo.tangent_slope is not None:
        assert _line_value_at(demo.tangent_line, a) == pytest.approx(fa, abs=1e-9)
    elif FUNCTIONS[function].kind_at_zero == "corner":
        assert len(demo.tangent_line.get_xdata()) == 0  # no tangent at a corner: none drawn
    else:  # cusp and vertical tangent: an upright line at a
        assert list(demo.tangent_line.get_xdata()) == [a, a]
    assert _line_value_at(demo.secant_line, a) == pytest.approx(fa, abs=1e-9)
    # the secant also passes through the second point (a + h, f(a + h))
    h = demo.h
    assert _line_value_at(demo.secant_line, a + h) == pytest.approx(
        float(FUNCTIONS[function].f(a + h)), abs=1e-9
    )


def test_both_sides_draw_two_secants_and_a_corner_keeps_them_apart():
    demo = secant_explorer("abs", a=0.0, h=0.1, both=True)
    for size in (1e-1, 1e-4, 1e-9):
        demo.h_size.value = size
        assert _line_value_at(demo.secant_line, 1.0) == pytest.approx(1.0)  # slope +1
        assert _line_value_at(demo.left_secant_line, 1.0) == pytest.approx(-1.0)  # slope −1
        assert "right − left = +2.0e+00" in demo.last_readout
        assert "stay apart" in demo.last_readout
    demo.function.value = "x^2"
    demo.a.value = 1.0
    demo.h_size.value = 1e-3
    assert "both slopes tend to it" in demo.last_readout
    assert f"right − left = {2e-3:+.1e}" in demo.last_readout  # (2a + h) − (2a − h) = 2h
    demo.h_sign.value = -1  # one side only: the left secant, in its own colour
    assert len(demo.secant_line.get_xdata()) == 0 and len(demo.left_secant_line.get_xdata()) == 2


@pytest.mark.parametrize("function", list(FUNCTIONS))
def test_every_function_renders_without_error(demo, function):
    demo.function.value = function  # switching redraws the static part
    demo.a.value = 0.35
    demo.set_h(-0.01)
    assert "error" not in demo.last_readout.lower()
    assert FUNCTIONS[function].label in demo.last_readout
    assert demo.last_png.startswith(b"\x89PNG")
    if demo.tangent_slope is not None:  # the readout states f'(a) and the gap it measures
        gap = abs(demo.secant_slope - demo.tangent_slope)
        assert f"{gap:.1e}" in demo.last_readout
        assert math.isfinite(demo.secant_slope)


def test_readout_and_png_change_when_sliders_move(demo):
    text, png = demo.last_readout, demo.last_png
    demo.a.value = -0.5
    assert demo.last_readout != text
    assert demo.last_png != png
    text, png = demo.last_readout, demo.last_png
    demo.h_size.value = 1e-3
    assert demo.last_readout != text
    assert demo.last_png != png
    assert demo.image.value == demo.last_png  # the widget shows what was rendered


def test_image_matches_a_full_redraw_after_blitting(demo):
    """Blitting must not leave stale pixels: a blitted frame equals a fully redrawn one."""
    demo.a.value = -1.2
    demo.a.value = 0.4
    blitted = demo.last_png
    demo.refresh(full=True)
    assert demo.last_png == blitted


def test_static_bundle_has_png_and_text_table(demo):
    bundle = demo._repr_mimebundle_()
    assert bundle["image/png"]
    assert "Secant slopes of f(x) = x² at a = 1.00" in bundle["text/plain"]
    assert "calcml-secant-table" in bundle["text/html"]
    rows = demo.table_rows()
    assert len(rows) >= 6
    assert {np.sign(h) for h, _, _ in rows} == {-1.0, 1.0}
    gaps = [gap for h, _, gap in rows if h > 0]
    assert gaps[-1] < gaps[0]  # the table shows convergence
    for _h, slope, _ in rows:
        assert f"{slope:.10f}" in bundle["text/plain"]
        assert f"{slope:.10f}" in bundle["text/html"]
    assert bundle["text/html"].count("<tr>") == len(rows) + 1  # header + one row per step


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="unknown function 'cosh'"):
        secant_explorer("cosh")
    with pytest.raises(ValueError, match="step h"):
        secant_explorer("x^2", h=0.0)
    with pytest.raises(ValueError, match="point a"):
        secant_explorer("x^2", a=5.0)


def test_readout_splits_the_gap_into_truncation_and_rounding(demo):
    demo.explain.value = True
    demo.set_h(1e-3)
    # in 50-digit arithmetic the secant slope of x² is exactly 2a + h
    assert demo.exact_slope == pytest.approx(2.0 + 1e-3, rel=1e-15)
    assert "truncation  +1.0e-03" in demo.last_readout
    assert "truncation dominates" in demo.last_readout
    demo.set_h(1e-10)
    gap = demo.secant_slope - 2.0
    assert abs(gap) > 100 * 1e-10  # far bigger than the truncation part h
    rounding = demo.secant_slope - demo.exact_slope
    assert f"rounding    {rounding:+.1e}" in demo.last_readout
    assert abs(rounding) > 100 * abs(demo.exact_slope - 2.0)
    assert "rounding dominates" in demo.last_readout
    assert "agree in about 10 of their 16 digits" in demo.last_readout  # 1 + 2e-10 vs 1


@pytest.mark.parametrize("function", list(FUNCTIONS))
@pytest.mark.parametrize("a", [-2.0, 2.0])
@pytest.mark.parametrize("h", [1e-10, -1e-10, 1.0, -1.0])
def test_readout_is_truthful_at_the_extremes(function, a, h):
    demo = secant_explorer(function, a=a, h=h, explain=True)
    text = demo.last_readout
    assert "error" not in text.lower()
    exact = demo.tangent_slope
    truncation, rounding = demo.exact_slope - exact, demo.secant_slope - demo.exact_slope
    assert demo.secant_slope - exact == pytest.approx(truncation + rounding, abs=1e-15)
    assert f"{abs(demo.secant_slope - exact):.1e}" in text
    if abs(h) == 1.0:
        assert "truncation dominates" in text or "straight" in text
    elif abs(rounding) > abs(truncation):
        assert "rounding dominates" in text or "straight" in text


def test_exp_at_two_with_tiny_step_reports_round_off():
    demo = secant_explorer("exp", a=2.0, h=1e-10, explain=True)
    assert abs(demo.secant_slope - math.exp(2.0)) > 1e-7  # round-off, far above h·e²/2
    assert "rounding dominates" in demo.last_readout


def test_abs_away_from_the_kink_is_straight_so_only_rounding_is_left():
    demo = secant_explorer("abs", a=1.0, h=1e-5, explain=True)
    assert demo.exact_slope == 1.0
    assert "all of the gap is rounding" in demo.last_readout
    demo.a.value = 0.05
    demo.set_h(-0.1)  # the secant jumps over the kink: slope 0, not 1
    assert demo.secant_slope == pytest.approx(0.0, abs=1e-12)
    assert "truncation dominates" in demo.last_readout


@pytest.mark.parametrize(("function", "a", "h"), [("exp", 2.0, 1.0), ("x^3", -2.0, -1.0)])
def test_second_point_stays_inside_the_plot(function, a, h):
    demo = secant_explorer(function, a=a, h=h)
    low, high = demo.ax.get_ylim()
    y = float(FUNCTIONS[function].f(a + h))
    assert low < y < high
    demo.set_h(0.1)  # (a + 0.1, f(a + 0.1)) is inside the usual window: the usual limits return
    assert demo.ax.get_ylim() == pytest.approx(FUNCTIONS[function].y_range)
    blitted = demo.last_png
    demo.refresh(full=True)
    assert demo.last_png == blitted


def test_figure_text_shows_the_round_off_digits(demo):
    demo.set_h(1e-10)
    shown = demo.slope_text.get_text().splitlines()[0]
    assert shown == f"secant slope = {demo.secant_slope:.10g}"
    assert shown != "secant slope = 2"


def test_static_table_says_where_rounding_takes_over(demo):
    text = demo.table_text()
    by_step = {line.split()[0]: line for line in text.splitlines()[2:] if line.strip()[:1] in "+-"}
    assert "|truncation|" in text and "|rounding|" in text  # both magnitudes, not one word
    assert by_step["+1e-02"].endswith("curve")
    assert by_step["+1e-10"].endswith("rounding")
    assert by_step["-1e-10"].endswith("rounding")
    assert "rounding" in demo.static_extra_html()


def test_a_point_a_hair_off_the_kink_is_the_kink_it_is_drawn_at():
    """a = 1e-17 (slider arithmetic can leave such values) is snapped to the grid point 0."""
    demo = secant_explorer("abs", a=1e-17, h=-1e-10, explain=True)
    assert demo.reading.a == 0.0 and "a = 0.00" in demo.last_readout
    assert "a corner" in demo.last_readout
    assert demo.secant_slope == -1.0  # (|0 − 1e-10| − |0|) / (−1e-10), the left derivative
    assert "agree to within" in demo.last_readout
    assert "truncation dominates" not in demo.last_readout
