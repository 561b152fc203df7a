"""A tiny-network trainer: one hidden tanh layer fitted to 1-D data by full-batch gradient descent.

The sliders choose the number of hidden units, the learning rate and how many steps to show.
Training runs once per (hidden units, learning rate) up to ``MAX_STEPS`` with the reverse-mode
gradient of :func:`calcml.autodiff.network_vjp`, keeping the parameters after every step, so
moving the steps slider only looks up a stored state: the fit on the left and the loss curve on
the right always belong to the same step, and the readout gives that step's loss.
"""

from __future__ import annotations

import math
from functools import lru_cache

import ipywidgets as widgets
import numpy as np

from calcml.autodiff import Layers, network_loss, network_vjp
from calcml.figures import new_figure
from calcml.plots.backprop import setup_fit_axes, update_fit_artists
from calcml.widgets.base import FigureApp, log_slider

MAX_STEPS = 2000
GRID = np.linspace(-2.2, 2.2, 121)


def tiny_dataset(n: int = 24, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n points of sin(1.5 x) + 0.3 x on [-2, 2] with a little noise (fixed by ``seed``)."""
    rng = np.random.default_rng(seed)
    x = np.linspace(-2.0, 2.0, n)
    return x, np.sin(1.5 * x) + 0.3 * x + 0.08 * rng.normal(size=n)


def init_tiny_network(hidden: int, seed: int = 1) -> Layers:
    """Weights of a 1 → hidden → 1 tanh network: N(0, 1/fan_in) weights, small random biases."""
    if hidden < 1:
        raise ValueError(f"the network needs at least one hidden unit, got {hidden}")
    rng = np.random.default_rng(seed)
    W1 = rng.normal(scale=1.0, size=(1, hidden))
    b1 = rng.normal(scale=0.5, size=hidden)
    W2 = rng.normal(scale=1.0 / math.sqrt(hidden), size=(hidden, 1))
    return [(W1, b1), (W2, np.zeros(1))]


@lru_cache(maxsize=32)
def train_tiny_network(hidden: int, lr: float, n_steps: int = MAX_STEPS, seed: int = 1):
    """Gradient descent from :func:`init_tiny_network`; returns (states, losses) for steps 0..n_steps.

    ``states[k]`` are the layers after k steps and ``losses[k]`` their training loss. A run that
    blows up (the loss is no longer finite) stops there; the remaining steps repeat its last state.
    """
    x, y = tiny_dataset()
    X = x[:, None]
    layers = init_tiny_network(hidden, seed)
    states, losses = [layers], []
    with np.errstate(all="ignore"):
        for _ in range(n_steps):
            loss, grads = network_vjp(layers, X, y)
            losses.append(loss)
            if not math.isfinite(loss):
                break
            layers = [
                (W - lr * gW, b - lr * gb) for (W, b), (gW, gb) in zip(layers, grads, strict=True)
            ]
            states.append(layers)
        losses.append(network_loss(layers, X, y) if len(states) > len(losses) else losses[-1])
    while len(states) < n_steps + 1:
        states.append(states[-1])
        losses.append(losses[-1])
    return tuple(states), np.array(losses[: n_steps + 1])


def predict(layers: Layers, x) -> np.ndarray:
    A = np.asarray(x, dtype=float)[:, None]
    for i, (W, b) in enumerate(layers):
        A = A @ W + b
        if i < len(layers) - 1:
            A = np.tanh(A)
    return A[:, 0]


class TinyNetworkTrainer(FigureApp):
    """Data, the network's fit after k steps, and the loss curve, with the loss in the readout."""

    def __init__(self, hidden: int = 6, lr: float = 0.1, steps: int = 300):
        style = {"description_width": "initial"}
        self.steps_slider = widgets.IntSlider(
            value=int(steps), min=0, max=MAX_STEPS, step=25, description="steps", style=style
        )
        self.hidden_slider = widgets.IntSlider(
            value=int(hidden), min=1, max=16, step=1, description="hidden units", style=style
        )
        self.lr_slider = log_slider("learning rate", float(lr), -3.0, 0.5, step=0.25)
        self.lr_slider.readout_format = ".3g"
        self.x, self.y = tiny_dataset()
        fig = new_figure(8.6, 3.4, ncols=2)
        self.ax_fit, self.ax_loss = fig.axes
        self.artists = setup_fit_axes(self.ax_fit, self.ax_loss, self.x, self.y, MAX_STEPS)
        super().__init__(
            fig,
            controls=[self.steps_slider, self.hidden_slider, self.lr_slider],
            dynamic_artists=self.artists[:4],
            title="Tiny-network trainer",
            caption="Left: 24 noisy points of a wavy curve and the fitted network's curve after "
            "the chosen number of gradient steps. Right: the training loss against the step, on a "
            "log scale.",
        )

    @property
    def run(self):
        return train_tiny_network(self.hidden_slider.value, float(self.lr_slider.value))

    @property
    def loss(self) -> float:
        return float(self.run[1][self.steps_slider.value])

    def update_figure(self) -> bool:
        states, losses = self.run
        k = self.steps_slider.value
        with np.errstate(all="ignore"):
            update_fit_artists(self.artists, GRID, predict(states[k], GRID), losses, k)
        return False

    def readout(self) -> str:
        states, losses = self.run
        k = self.steps_slider.value
        h, lr = self.hidden_slider.value, float(self.lr_slider.value)
        weights = sum(W.size + b.size for W, b in states[0])
        units = "1 hidden unit" if h == 1 else f"{h} hidden units"
        head = f"{units} ({weights} weights), learning rate {lr:.3g}, {k} steps: "
        return head + describe_losses(losses, k)


#: A step counts as a rise when it raises the loss by more than this fraction (not rounding noise).
RISE = 1e-9
#: Over the window, a relative fall below this counts as levelled off.
LEVEL = 1e-3
#: Losses above this (or not finite) count as blown up.
BLOWN_UP = 1e6
#: How many steps back the trend looks.
WINDOW = 50


def describe_losses(losses, k: int) -> str:
    """What the loss curve does at step ``k``: its value, and the trend over the last steps.

    Verdicts: blew up (not finite, or above 1e6); rose at some of the last steps (the steps
    overshoot); still falling; levelled off (fell by less than 0.1 % over the window); and
    whether the loss ends above where it started.
    """
    loss, start = float(losses[k]), float(losses[0])
    if not math.isfinite(loss) or loss > BLOWN_UP:
        return "the loss blew up (the steps were too long): lower the learning rate."
    text = f"training loss {loss:.4g} (it started at {start:.4g})."
    if k == 0:
        return text + " No step taken yet."
    first = max(0, k - WINDOW)
    window = np.asarray(losses[first : k + 1], dtype=float)
    steps = k - first
    rises = int(np.sum(np.diff(window) > RISE * window[:-1]))
    fall = (window[0] - window[-1]) / window[0]
    if rises:
        text += (
            f" It rose at {rises} of the last {steps} steps: the steps are too long for the loss "
            "to fall steadily (they overshoot)."
        )
    elif fall < LEVEL:
        text += f" It has levelled off: down by less than 0.1 % over the last {steps} steps."
    else:
        text += f" Still falling: down {100 * fall:.3g} % over the last {steps} steps."
    if loss > start:
        text += " The loss went up: the learning rate is too large for this network."
    return text


def tiny_network_trainer(hidden: int = 6, lr: float = 0.1, steps: int = 300) -> TinyNetworkTrainer:
    """The trainer with the given starting hidden units, learning rate and number of steps."""
    return TinyNetworkTrainer(hidden, lr, steps)
