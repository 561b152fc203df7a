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
    assert _line_value_at(demo.tangent_line, a) == pytest.approx(fa, abs=1e-9)
    assert _line_value_at(demo.secant_line, a) == pytest.approx(fa, abs=1e-9)
    # the secant also passes through the second point (a + h, f(a + h))
    h = demo.h
    assert _line_value_at(demo.secant_line, a + h) == pytest.approx(
        float(FUNCTIONS[function].f(a + h)), abs=1e-9
    )


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
