"""The tiny-network trainer's readout gives the loss of an independent gradient-descent run."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from calcml.widgets.tiny_trainer import (
    init_tiny_network,
    tiny_dataset,
    tiny_network_trainer,
    train_tiny_network,
)


def _independent_losses(hidden: int, lr: float, n_steps: int) -> list[float]:
    """Gradient descent on the 1 -> hidden -> 1 tanh network, derived here by hand."""
    x, y = tiny_dataset()
    (W1, b1), (W2, b2) = (tuple(np.array(a) for a in layer) for layer in init_tiny_network(hidden))
    n = x.size
    losses = []
    for _ in range(n_steps + 1):
        H = np.tanh(x[:, None] * W1[0] + b1)
        r = H @ W2[:, 0] + b2[0] - y
        losses.append(float(np.mean(r**2)))
        g = 2 * r / n
        dH = np.outer(g, W2[:, 0]) * (1 - H**2)
        W2 = W2 - lr * (H.T @ g)[:, None]
        b2 = b2 - lr * g.sum()
        W1 = W1 - lr * (x @ dH)[None, :]
        b1 = b1 - lr * dH.sum(axis=0)
    return losses


def _loss_in(readout: str) -> float:
    return float(re.search(r"training loss ([0-9.e+-]+)", readout).group(1))


@pytest.mark.parametrize(("hidden", "lr", "steps"), [(6, 0.1, 300), (1, 0.05, 50), (12, 0.3, 0)])
def test_readout_loss_matches_an_independent_run(hidden, lr, steps):
    app = tiny_network_trainer(hidden, lr, steps)
    expected = _independent_losses(hidden, lr, steps)
    assert app.loss == pytest.approx(expected[steps], rel=1e-9)
    assert _loss_in(app.last_readout) == pytest.approx(expected[steps], rel=1e-3)
    assert f"{hidden} hidden unit" in app.last_readout
    assert f"{3 * hidden + 1} weights" in app.last_readout


def test_loss_goes_down_with_a_sensible_learning_rate():
    _, losses = train_tiny_network(6, 0.1)
    assert losses[-1] < 0.05 * losses[0]
    assert np.all(np.diff(losses[:200]) <= 1e-12)


def test_a_huge_learning_rate_is_reported_as_blowing_up():
    app = tiny_network_trainer(6, 3.0, 2000)
    _, losses = train_tiny_network(6, float(app.lr_slider.value))
    assert not math.isfinite(losses[-1]) or losses[-1] > 1e6
    assert "blew up" in app.last_readout
    assert "hit an error" not in app.last_readout


def test_sliders_change_picture_and_readout():
    app = tiny_network_trainer()
    png, text = app.last_png, app.last_readout
    app.steps_slider.value = 1000
    assert app.last_png != png and app.last_readout != text
    png, text = app.last_png, app.last_readout
    app.hidden_slider.value = 2
    assert app.last_png != png and "2 hidden units (7 weights)" in app.last_readout


def test_static_output_has_picture_and_loss():
    bundle = tiny_network_trainer(4, 0.1, 100)._repr_mimebundle_()
    assert bundle["image/png"] and "training loss" in bundle["text/plain"]


def test_zero_hidden_units_is_refused():
    with pytest.raises(ValueError, match="at least one hidden unit"):
        init_tiny_network(0)
