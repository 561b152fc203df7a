"""Figures for chapter 6 (the chain rule and backpropagation).

The graph drawing is shared by the static figures and the graph-stepper widget, and the fit /
loss-curve drawing by the static figure and the tiny-network trainer, so that a picture in the
text and the same picture in a widget can never disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from calcml.autodiff import Graph
from calcml.figures import COLORS, label_axes, new_figure

GRAPH_SIZE = (9.6, 4.0)
BOX = dict(boxstyle="round,pad=0.35", fc="white", ec="0.35", lw=1.0)
EDGE_BOX = dict(boxstyle="round,pad=0.15", fc="white", ec="none", alpha=0.85)
CURRENT_BOX = dict(boxstyle="round,pad=0.35", fc="#FFF3C4", ec=COLORS["secant"], lw=2.2)


def _fmt(value: float) -> str:
    text = f"{value:.4g}"
    return "0" if text == "-0" else text.replace("-", "−")  # a typographic minus


def local_label(text: str, value: float) -> str:
    """``"∂a/∂z = 1 − tanh²z = 0.6347"``, without repeating a constant (``"∂z/∂u = 1"``)."""
    shown = _fmt(value)
    return text if text.rsplit("= ", 1)[-1] == shown else f"{text} = {shown}"


def _edge_text(label: str) -> str:
    """Two lines when the label has a formula and a number: "∂a/∂z = 1 − tanh²z" / "= 0.6347"."""
    head, sep, tail = label.rpartition(" = ")
    return f"{head}\n= {tail}" if sep and " = " in head else label


def draw_graph(
    ax,
    graph: Graph,
    values: Mapping[str, float],
    adjoints: Mapping[str, float],
    local: Mapping[tuple[str, str], float],
    shown_values: set[str],
    shown_adjoints: set[str],
    current: str | None = None,
) -> None:
    """Draw the graph: each node with its operation, its value (once computed) and its adjoint
    (once the backward pass reached it); each edge with its local derivative once the backward
    pass has used it. The node being computed now is highlighted."""
    ax.clear()
    pos = graph.positions
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    ax.set_xlim(min(xs) - 0.6, max(xs) + 0.6)
    ax.set_ylim(min(ys) - 0.6, max(ys) + 0.6)
    ax.axis("off")
    boxes = {}
    for node in graph.nodes:
        lines = [node.label]
        if node.name in shown_values:
            lines.append(f"value {_fmt(values[node.name])}")
        if node.name in shown_adjoints:
            lines.append(f"∂{graph.output}/∂{node.name} = {_fmt(adjoints[node.name])}")
        x, y = pos[node.name]
        boxes[node.name] = ax.text(
            x,
            y,
            "\n".join(lines),
            ha="center",
            va="center",
            fontsize=8,
            bbox=dict(CURRENT_BOX if node.name == current else BOX),
            zorder=3,
        )
    for node in graph.nodes:
        for parent in node.parents:
            (x0, y0), (x1, y1) = pos[parent], pos[node.name]
            used = parent in shown_adjoints  # the edge's derivative went into parent's adjoint
            ax.annotate(
                "",
                xy=(x1, y1),
                xytext=(x0, y0),
                arrowprops=dict(
                    arrowstyle="-|>",
                    color=COLORS["curve"] if used else COLORS["muted"],
                    lw=1.6 if used else 1.0,
                    # the arrow runs from box edge to box edge, so its head is never hidden
                    patchA=boxes[parent].get_bbox_patch(),
                    patchB=boxes[node.name].get_bbox_patch(),
                    shrinkA=1,
                    shrinkB=1,
                ),
            )
            if used:
                i = node.parents.index(parent)
                ax.text(
                    0.5 * (x0 + x1),
                    0.5 * (y0 + y1) + 0.08,
                    _edge_text(local_label(node.local_text[i], local[(parent, node.name)])),
                    ha="center",
                    va="bottom",
                    fontsize=7,
                    color=COLORS["curve"],
                    bbox=dict(EDGE_BOX),
                    zorder=2,
                )


def graph_figure(graph: Graph, backward: bool = True, title: str = ""):
    """The graph after the forward pass, and (``backward=True``) after the backward pass too."""
    values = graph.forward()
    adjoints = graph.backward(values)
    local = graph.local_derivatives(values)
    names = {n.name for n in graph.nodes}
    fig = new_figure(*GRAPH_SIZE)
    ax = fig.axes[0]
    draw_graph(ax, graph, values, adjoints, local, names, names if backward else set())
    ax.set_title(title or graph.title)
    return fig


def chain_rule_convergence_figure(steps: Sequence[float], errors: Sequence[float], title: str):
    """Log-log plot: the error of the product of two difference quotients against the step h."""
    fig = new_figure(5.2, 3.4)
    ax = fig.axes[0]
    ax.loglog(steps, errors, "o-", color=COLORS["curve"], label="|Δy/Δu · Δu/Δx − exact|")
    ref = np.asarray(steps) * errors[0] / steps[0]
    ax.loglog(steps, ref, "--", color=COLORS["muted"], label="slope 1 (error ∝ h)")
    label_axes(ax, title, "step h", "error")
    ax.legend(fontsize=8)
    return fig


def cost_figure(weights: Sequence[int], costs: Mapping[str, Sequence[float]], title: str):
    """Log-log: multiply-adds for the whole gradient against the number of weights, per method."""
    fig = new_figure(5.6, 3.6)
    ax = fig.axes[0]
    styles = [("o-", COLORS["secant"]), ("s-", COLORS["curve"]), ("^--", COLORS["muted"])]
    for (label, values), (marker, color) in zip(costs.items(), styles, strict=False):
        ax.loglog(weights, values, marker, color=color, label=label)
    label_axes(ax, title, "number of weights p", "multiply-adds (counted)")
    ax.legend(fontsize=8)
    return fig


LOSS_RANGE = (1e-4, 1e2)


def setup_fit_axes(ax_fit, ax_loss, x, y, max_steps: int):
    """Static parts of the fit / loss-curve picture; returns the artists that change with the step.

    The limits are fixed (the loss axis spans ``LOSS_RANGE`` on a log scale), so a diverging run
    is drawn clipped at the edge instead of rescaling the axes."""
    ax_fit.plot(x, y, "o", color=COLORS["point"], ms=4, label="training data")
    (curve,) = ax_fit.plot([], [], "-", color=COLORS["curve"], lw=2.2, label="network")
    label_axes(ax_fit, "Data and the network's fit", "input x", "output ŷ")
    low, high = float(np.min(y)) - 0.8, float(np.max(y)) + 0.8
    ax_fit.set_xlim(float(np.min(x)) - 0.3, float(np.max(x)) + 0.3)
    ax_fit.set_ylim(low, high)
    ax_fit.legend(loc="lower right", fontsize=8)
    step_text = ax_fit.text(0.03, 0.95, "", transform=ax_fit.transAxes, va="top", fontsize=9)
    (loss_line,) = ax_loss.plot([], [], color=COLORS["secant"], lw=1.8, label="loss so far")
    (marker,) = ax_loss.plot([], [], "o", color=COLORS["secant"], ms=6)
    ax_loss.set_yscale("log")
    ax_loss.set_xlim(0, max_steps)
    ax_loss.set_ylim(*LOSS_RANGE)
    label_axes(ax_loss, "Training loss (MSE)", "step", "loss (log scale)")
    return curve, loss_line, marker, step_text, (low, high)


def update_fit_artists(artists, grid, prediction, losses, step: int) -> None:
    """Show the fit after ``step`` steps and the loss curve up to that step."""
    curve, loss_line, marker, step_text, (low, high) = artists
    margin = high - low
    curve.set_data(grid, np.clip(np.nan_to_num(prediction), low - margin, high + margin))
    shown = np.clip(
        np.nan_to_num(np.asarray(losses[: step + 1], dtype=float), nan=1e9), *LOSS_RANGE
    )
    loss_line.set_data(np.arange(shown.size), shown)
    marker.set_data([step], [shown[-1]])
    step_text.set_text(f"after {step} steps")


def fit_figure(x, y, grid, prediction, losses, step: int):
    fig = new_figure(8.4, 3.4, ncols=2)
    artists = setup_fit_axes(*fig.axes, x, y, max(1, len(losses) - 1))
    update_fit_artists(artists, grid, prediction, losses, step)
    return fig


def gradient_norms_figure(norms: Mapping[str, Sequence[float]], title: str):
    """Semi-log: the length of a vector pushed through k layer Jacobians, for several weight scales."""
    fig = new_figure(5.6, 3.6)
    ax = fig.axes[0]
    colors = [COLORS["secant"], COLORS["curve"], COLORS["tangent"], COLORS["accent"]]
    for (label, values), color in zip(norms.items(), colors, strict=False):
        ax.semilogy(np.arange(1, len(values) + 1), values, "-", color=color, lw=2, label=label)
    label_axes(ax, title, "number of layers k", "‖J_k ⋯ J_1 v‖")
    ax.legend(fontsize=8)
    return fig
