"""The limit explorer, driven from Python: verdicts, table values, and the picture changing."""

from __future__ import annotations

import math

import numpy as np
import pytest

from calcml.widgets.limits import FUNCTIONS, LimitExplorer, limit_explorer, limit_verdict


def test_removable_discontinuity_left_and_right_values_agree():
    app = limit_explorer("hole")
    app.delta_slider.value = 1e-4
    left, right = app.values()
    assert abs(left - right) < 1e-3
    assert abs(left - 2) < 1e-3 and abs(right - 2) < 1e-3
    assert "common value ≈ 2" in app.last_readout
    assert "f(a) = undefined" in app.last_readout
    assert "not continuous" in app.last_readout


def test_jump_left_and_right_values_disagree():
    app = limit_explorer("jump")
    app.delta_slider.value = 1e-4
    left, right = app.values()
    assert abs(left - (-1)) < 1e-3 and abs(right - 1) < 1e-3
    assert abs(right - left) > 1.9
    assert "disagree" in app.last_readout and "does not exist" in app.last_readout


@pytest.mark.parametrize(
    ("key", "kind"),
    [
        ("hole", "limit"),
        ("jump", "jump"),
        ("infinite", "infinite"),
        ("oscillating", "oscillating"),
        ("sinc", "limit"),
        ("compound", "limit"),
        ("square", "limit"),
    ],
)
def test_catalogue_verdicts(key, kind):
    entry = FUNCTIONS[key]
    assert limit_verdict(entry.func, entry.a).kind == kind


def test_limit_values_of_the_famous_limits():
    assert abs(limit_verdict(FUNCTIONS["sinc"].func, 0.0).limit - 1.0) < 1e-6
    assert abs(limit_verdict(FUNCTIONS["compound"].func, 0.0).limit - math.e) < 1e-4


def test_continuity_needs_value_equal_to_limit():
    assert limit_verdict(FUNCTIONS["square"].func, 1.0).continuous
    assert not limit_verdict(FUNCTIONS["hole"].func, 1.0).continuous  # undefined at 1
    assert not limit_verdict(FUNCTIONS["jump"].func, 0.0).continuous
    # away from its hole the same function is continuous
    assert limit_verdict(FUNCTIONS["hole"].func, 0.0).continuous


def test_table_rows_shrink_delta_tenfold():
    app = limit_explorer("sinc", delta=0.1)
    deltas = [row[0] for row in app.table_rows()]
    assert np.allclose(deltas, [0.1, 0.01, 0.001])
    for d, left, right in app.table_rows():
        assert left == pytest.approx(math.sin(d) / d)
        assert right == pytest.approx(left)


def test_readout_and_png_change_when_delta_moves():
    app = limit_explorer("hole", delta=0.5)
    png, text = app.last_png, app.last_readout
    app.delta_slider.value = 0.01
    assert app.last_png != png
    assert app.last_readout != text
    assert "1.00e-02" in app.last_readout


def test_choosing_a_function_moves_a_to_its_point_of_interest():
    app = limit_explorer("hole")
    assert app.a == 1.0
    app.chooser.value = "infinite"
    assert app.a == FUNCTIONS["infinite"].a
    assert "grow without bound" in app.last_readout
    app.a_slider.value = 1.0  # 1/x is continuous at 1
    assert "continuous at a" in app.last_readout


def test_custom_callable_and_bad_key():
    app = limit_explorer(lambda t: np.abs(t) / t, a=0.0)
    assert app.verdict().kind == "jump"
    with pytest.raises(ValueError, match="unknown function 'nope'"):
        limit_explorer("nope")


def test_static_bundle_carries_png_and_readout():
    app = LimitExplorer("oscillating")
    bundle = app._repr_mimebundle_()
    assert bundle["image/png"]
    assert "no limit" in bundle["text/plain"]
    assert "<img" in bundle["text/html"]


def test_slider_update_is_blitted_not_a_full_redraw():
    app = limit_explorer("hole")
    background = app._background
    app.delta_slider.value = 0.05
    assert app._background is background  # δ only moves dynamic artists
    app.chooser.value = "jump"
    assert app._background is not background  # a new function redraws the static part


def _pixels(png: bytes) -> np.ndarray:
    from io import BytesIO

    from PIL import Image

    return np.asarray(Image.open(BytesIO(png)).convert("RGBA"))


def test_moving_a_is_blitted_and_matches_a_full_redraw():
    app = limit_explorer("hole", delta=0.05)
    background, png = app._background, app.last_png
    app.a_slider.value = 1.75
    assert app._background is background  # a only moves dynamic artists: no full redraw
    assert app.last_png != png
    assert "x → a = 1.75" in app.last_readout
    blitted = _pixels(app.last_png)
    app.refresh(full=True)
    assert np.array_equal(_pixels(app.last_png), blitted)


def test_a_slider_range_follows_the_chosen_function():
    app = limit_explorer("hole")
    assert (app.a_slider.min, app.a_slider.max) == (-0.25, 2.25)
    lo, hi = app.ax_f.get_xlim()
    assert lo <= app.a_slider.min and hi >= app.a_slider.max  # every a the slider offers is in view
    app.chooser.value = "oscillating"
    assert (app.a_slider.min, app.a_slider.max, app.a) == (-1.25, 1.25, 0.0)
    app.chooser.value = "hole"
    assert (app.a_slider.min, app.a_slider.max, app.a) == (-0.25, 2.25, 1.0)


def test_custom_callable_can_be_labelled():
    app = limit_explorer(lambda t: ((1 + t) ** 2 - 1) / t, a=0.0, label="q(h)")
    assert app.ax_f.get_title() == "f(x) = q(h)"
    assert app.last_readout.startswith("f(x) = q(h), x → a = 0")
    assert "common value ≈ 2" in app.last_readout


def test_a_scalar_only_custom_function_works_like_a_vectorised_one():
    import math as m

    def piecewise(x):  # written for one float: `if` on an array would raise
        if x >= 0:
            return x + 1
        return x - 1

    app = limit_explorer(piecewise, a=0.0)
    assert app.verdict().kind == "jump"
    assert "hit an error" not in app.last_readout
    assert np.isfinite(app.curve.get_ydata()).sum() > 1000  # the graph is drawn
    assert limit_verdict(lambda x: m.sin(x) / x, 0.0).limit == pytest.approx(1.0)


def test_a_failing_custom_function_is_named_and_nothing_crashes():
    def broken(x):
        return x * undefined_name  # noqa: F821 - the typo a student makes

    app = limit_explorer(broken)
    assert "raised NameError" in app.last_readout and "undefined_name" in app.last_readout
    assert "Nothing to draw" in app.message.get_text()
    assert app.last_png  # a picture of what could be drawn: the axes, the line x = a


def test_values_off_the_chart_become_arrows_at_the_edge():
    app = limit_explorer("infinite", delta=0.01)
    assert app.right_dot.get_marker() == "^" and app.left_dot.get_marker() == "v"
    lo, hi = FUNCTIONS["infinite"].ylim
    assert lo < app.right_dot.get_ydata()[0] < hi
    app.delta_slider.value = 0.5  # 1/0.5 = 2 is on the chart again
    assert app.right_dot.get_marker() == "s" and "off the chart" not in app.last_readout


def test_epsilon_band_shows_only_where_a_limit_exists():
    app = limit_explorer("hole", delta=0.1, epsilon=0.25)
    assert app.band_f.get_visible() and app.window_f.get_visible()
    assert app.band_f.get_y() == pytest.approx(2 - 0.25) and app.band_f.get_height() == 0.5
    assert "✔" in app.last_readout and "≈ 0.25" in app.last_readout  # δ = ε works for x + 1
    app.chooser.value = "jump"
    assert not app.band_f.get_visible() and "no band to draw" in app.last_readout
    assert limit_explorer("hole").epsilon_slider is None  # without epsilon=, no ε slider


def test_the_largest_delta_for_two_x_plus_one_is_half_of_epsilon():
    app = limit_explorer(lambda x: 2 * x + 1, a=1.0, delta=0.1, epsilon=0.01)
    check = app.epsilon_check()
    assert not check.holds and check.largest_delta == pytest.approx(0.005, rel=3e-3)
    app.delta_slider.value = 10**-2.5  # 0.0032 < 0.005
    assert app.epsilon_check().holds


def test_misfilled_only_fails_the_third_condition_and_the_root_is_one_sided():
    misfilled = limit_verdict(FUNCTIONS["misfilled"].func, 1.0)
    assert misfilled.kind == "limit" and misfilled.value_at_a == 3.0 and not misfilled.continuous
    root = limit_verdict(FUNCTIONS["root"].func, 0.0)
    assert root.kind == "one-sided" and root.right == 0.0


def test_name_and_variable_rename_the_labels():
    app = limit_explorer(lambda h: ((1 + h) ** 2 - 1) / h, a=0.0, name="q", variable="h")
    assert app.ax_f.get_xlabel() == "h" and app.ax_f.get_ylabel() == "q(h)"
    assert "q(a − δ)" in app.last_readout
