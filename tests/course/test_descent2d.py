"""The 2-D gradient-descent playground: the lr < 2/L rule, its readout, its picture."""

from __future__ import annotations

import numpy as np
import pytest

from calcml.widgets.descent2d import PRESETS, descent_playground_2d, run_descent

QUADRATICS = [name for name, p in PRESETS.items() if p.quadratic and name != "saddle"]


@pytest.mark.parametrize("preset", QUADRATICS)
def test_widget_converges_below_two_over_L_and_diverges_above(preset):
    app = descent_playground_2d(preset)
    L = PRESETS[preset].largest_curvature
    hessian = np.array(PRESETS[preset].hessian_at_min)
    assert L == pytest.approx(np.max(np.linalg.eigvalsh(hessian)))
    app.steps_slider.value = 2000
    app.lr_slider.value = 0.9 * 2 / L
    assert app.status == "converged", app.last_readout
    assert "Converged" in app.last_readout
    assert np.linalg.norm(app.run.path[-1]) < 1e-3
    app.lr_slider.value = 1.1 * 2 / L
    assert app.status == "diverged", app.last_readout
    assert "Diverged" in app.last_readout


def test_long_valley_zigzags_across_the_valley_near_the_limit():
    run = run_descent("long valley", lr=0.095, start=(-2.8, 1.0), n_steps=10)
    signs = np.sign(run.path[:, 1])
    assert np.all(signs[1:] != signs[:-1]), "y should change sign at every step (zig-zag)"


def test_saddle_is_escaped_along_the_downhill_direction():
    run = run_descent("saddle", lr=0.1, start=(-2.8, 0.05), n_steps=40)
    x, y = run.path[-1]
    assert abs(x) < 1e-2 and abs(y) > 10, run.path[-1]
    assert run.loss < -100


def test_rosenbrock_makes_progress_towards_one_one():
    run = run_descent("Rosenbrock", lr=0.001, start=(-1.2, 1.0), n_steps=2000)
    start_loss = PRESETS["Rosenbrock"].loss(-1.2, 1.0)
    assert run.loss < start_loss / 10
    assert run.status == "still moving"


def test_readout_and_png_change_when_sliders_move():
    app = descent_playground_2d("round bowl")
    before_png, before_text = app.last_png, app.last_readout
    app.x0_slider.value = 1.0
    assert app.last_png != before_png and app.last_readout != before_text
    png, text = app.last_png, app.last_readout
    app.steps_slider.value = 3
    assert app.last_png != png and app.last_readout != text
    assert "3 step(s)" in app.last_readout


def test_preset_switch_redraws_background_and_moves_start_sliders():
    app = descent_playground_2d("round bowl")
    app.preset_picker.value = "Rosenbrock"
    p = PRESETS["Rosenbrock"]
    assert (app.x0_slider.min, app.x0_slider.max) == p.xlim
    assert (app.x0_slider.value, app.y0_slider.value) == p.start
    assert "Rosenbrock" in app.last_readout
    assert app.last_png.startswith(b"\x89PNG")


def test_static_mimebundle_carries_png_and_readout():
    app = descent_playground_2d("long valley")
    bundle = app._repr_mimebundle_()
    assert bundle["image/png"]
    assert "long valley" in bundle["text/plain"]
    assert "<img" in bundle["text/html"]


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="unknown preset 'bowl'"):
        descent_playground_2d("bowl")
    with pytest.raises(ValueError, match="learning rate"):
        run_descent("round bowl", lr=0.0, start=(1, 1), n_steps=3)


def test_learning_rate_exactly_two_over_L_bounces_forever():
    app = descent_playground_2d("long valley")
    app.lr_slider.value = 2 / PRESETS["long valley"].largest_curvature
    assert "exactly at it" in app.last_readout
    assert app.status == "still moving"
    y = app.run.path[:, 1]
    assert np.abs(y) == pytest.approx(np.full_like(y, abs(y[0])))  # |y| never shrinks or grows
