"""The 1-D gradient-descent stepper: the lr < 2/L rule, the verdicts, and the picture."""

from __future__ import annotations

import math

import numpy as np
import pytest

from calcml.widgets.descent1d import (
    classify_run,
    descent_stepper_1d,
    double_well_loss,
    gradient_descent_1d,
    quadratic_loss,
)


@pytest.mark.parametrize("curvature", [0.5, 2.0, 8.0])
def test_quadratic_converges_below_two_over_L_and_diverges_above(curvature):
    app = descent_stepper_1d("quadratic", curvature=curvature, start=0.0, steps=50)
    limit = 2.0 / curvature
    app.lr_slider.value = 0.9 * limit
    ws = app.iterates()
    assert abs(ws[-1] - 3.0) < 0.1 * abs(ws[0] - 3.0)
    assert "Verdict: converg" in app.last_readout
    app.lr_slider.value = 1.1 * limit
    ws = app.iterates()
    assert abs(ws[-1] - 3.0) > 10 * abs(ws[0] - 3.0)
    assert "Verdict: oscillating with growing swings" in app.last_readout
    assert "until it blows up" in app.last_readout


def test_the_step_factor_is_one_minus_lr_times_curvature():
    loss = quadratic_loss(curvature=4.0)
    ws = gradient_descent_1d(loss.grad, 1.0, 0.1, 5)
    ratios = (ws[1:] - 3.0) / (ws[:-1] - 3.0)
    assert np.allclose(ratios, 1 - 0.1 * 4.0)


@pytest.mark.parametrize(
    ("lr", "status"),
    [
        (0.0, "not moving"),
        (0.1, "converging"),
        (0.5, "converged"),
        (0.9, "oscillating, converging"),
        (1.0, "bouncing"),
        (1.1, "swings growing"),
        (1.3, "blows up"),
    ],
)
def test_verdicts_on_the_unit_bowl(lr, status):
    loss = quadratic_loss(curvature=2.0)  # 2/L = 1
    assert classify_run(gradient_descent_1d(loss.grad, -1.0, lr, 30), loss, lr) == status


def test_divergence_stops_before_overflow():
    loss = quadratic_loss(curvature=2.0)
    ws = gradient_descent_1d(loss.grad, -1.0, 50.0, 1000)
    assert len(ws) < 1001 and abs(ws[-1]) > 1e6
    assert all(math.isfinite(w) for w in ws)


def test_double_well_gets_stuck_in_the_local_minimum():
    well = double_well_loss()
    assert len(well.minima) == 2
    glob, local = sorted(well.minima, key=well.loss)
    ws = gradient_descent_1d(well.grad, 1.9, 0.02, 300)
    assert ws[-1] == pytest.approx(local, abs=1e-6)
    ws = gradient_descent_1d(well.grad, -1.9, 0.02, 300)
    assert ws[-1] == pytest.approx(glob, abs=1e-6)


def test_readout_lists_iterates_and_png_changes():
    app = descent_stepper_1d("quadratic", lr=0.4, start=-1.0, steps=3)
    ws = app.iterates()
    assert len(ws) == 4
    for k, w in enumerate(ws):
        assert f"{k:>3}  {w:12.6g}" in app.last_readout
    png, text = app.last_png, app.last_readout
    app.start_slider.value = 7.0
    assert app.last_png != png and app.last_readout != text
    png = app.last_png
    app.steps_slider.value = 20
    assert app.last_png != png
    assert "…" in app.last_readout  # long runs are abbreviated


def test_switching_loss_rescales_the_sliders():
    app = descent_stepper_1d("quadratic")
    app.chooser.value = "double well"
    assert app.lr_slider.max == pytest.approx(double_well_loss().lr_max)
    assert app.start_slider.min <= app.start_slider.value <= app.start_slider.max
    assert "w⁴" in app.last_readout and "This widget hit an error" not in app.last_readout


def test_path_is_a_blitted_artist():
    app = descent_stepper_1d()
    assert app.path in app.dynamic_artists and app.trace in app.dynamic_artists
    background = app._background
    app.lr_slider.value = 0.2
    assert app._background is background


def test_static_bundle_and_bad_input():
    bundle = descent_stepper_1d()._repr_mimebundle_()
    assert bundle["image/png"] and "Verdict" in bundle["text/plain"]
    with pytest.raises(ValueError, match="unknown loss 'cubic'"):
        descent_stepper_1d("cubic")
    with pytest.raises(ValueError, match="curvature must be positive"):
        quadratic_loss(-1.0)
