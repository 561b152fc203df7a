"""The Jacobian as the best local linear map: a small grid pushed through a map F: ℝ² → ℝ².

Three panels: a little square grid around the chosen point p, its image under F (curved), and its
image under the linear model q ↦ F(p) + J(p)(q − p) (straight). As the square shrinks the two images
agree more and more, and the area of the image divided by the area of the square tends to |det J|.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np

from calcml.figures import COLORS, label_axes, new_figure
from calcml.widgets.base import FigureApp, log_slider

GRID_LINES = 7
POINTS_PER_LINE = 25


@dataclass(frozen=True)
class MapPreset:
    """A map F: ℝ² → ℝ² (vectorised over arrays) and its exact Jacobian."""

    name: str
    formula: str
    F: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
    J: Callable[[float, float], np.ndarray]
    point: tuple[float, float]


_A = np.array([[1.5, 0.5], [-0.4, 1.0]])
_S, _T = 1.5, math.radians(30.0)
_RS = _S * np.array([[math.cos(_T), -math.sin(_T)], [math.sin(_T), math.cos(_T)]])

MAPS: dict[str, MapPreset] = {
    "linear map": MapPreset(
        "linear map",
        "F(x, y) = (1.5x + 0.5y, −0.4x + y)",
        lambda x, y: (_A[0, 0] * x + _A[0, 1] * y, _A[1, 0] * x + _A[1, 1] * y),
        lambda x, y: _A.copy(),
        (0.5, 0.5),
    ),
    "rotation + scale": MapPreset(
        "rotation + scale",
        "F = 1.5 × (rotation by 30°)",
        lambda x, y: (_RS[0, 0] * x + _RS[0, 1] * y, _RS[1, 0] * x + _RS[1, 1] * y),
        lambda x, y: _RS.copy(),
        (1.0, 0.0),
    ),
    "polar-like": MapPreset(
        "polar-like",
        "F(r, t) = (r cos t, r sin t)",
        lambda r, t: (r * np.cos(t), r * np.sin(t)),
        lambda r, t: np.array([[math.cos(t), -r * math.sin(t)], [math.sin(t), r * math.cos(t)]]),
        (1.5, 0.6),
    ),
    "squaring": MapPreset(
        "squaring",
        "F(x, y) = (x² − y², 2xy)",
        lambda x, y: (x * x - y * y, 2 * x * y),
        lambda x, y: np.array([[2 * x, -2 * y], [2 * y, 2 * x]]),
        (1.0, 0.5),
    ),
}


def shoelace_area(xs: np.ndarray, ys: np.ndarray) -> float:
    """Signed area of the closed polygon through the points (counter-clockwise is positive)."""
    return 0.5 * float(np.dot(xs, np.roll(ys, -1)) - np.dot(ys, np.roll(xs, -1)))


def square_boundary(p, r: float, per_side: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Points around the square [p − r, p + r]², counter-clockwise."""
    s = np.linspace(-r, r, per_side, endpoint=False)
    xs = np.concatenate([s, np.full(per_side, r), -s, np.full(per_side, -r)]) + p[0]
    ys = np.concatenate([np.full(per_side, -r), s, np.full(per_side, r), -s]) + p[1]
    return xs, ys


def _grid_polyline(p, r: float) -> tuple[np.ndarray, np.ndarray]:
    """The lines of a GRID_LINES × GRID_LINES grid on the square around p, as one NaN-separated polyline."""
    ticks = np.linspace(-r, r, GRID_LINES)
    along = np.linspace(-r, r, POINTS_PER_LINE)
    xs, ys = [], []
    for c in ticks:
        xs += [p[0] + along, [np.nan], np.full(POINTS_PER_LINE, p[0] + c), [np.nan]]
        ys += [np.full(POINTS_PER_LINE, p[1] + c), [np.nan], p[1] + along, [np.nan]]
    return np.concatenate(xs), np.concatenate(ys)


class JacobianGridView(FigureApp):
    """A small grid, its image under a map F and its image under the Jacobian at the chosen point."""

    def __init__(self, preset: str = "polar-like", point=None, radius: float = 0.3):
        if preset not in MAPS:
            raise ValueError(f"unknown map {preset!r}; choose one of {sorted(MAPS)}")
        self._suspended = True
        style = {"description_width": "initial"}
        start = MAPS[preset].point if point is None else point
        self.map_picker = widgets.Dropdown(
            options=list(MAPS), value=preset, description="map F", style=style
        )
        self.x_slider = widgets.FloatSlider(
            description="point x", min=-2, max=2, step=0.05, value=start[0], style=style
        )
        self.y_slider = widgets.FloatSlider(
            description="point y", min=-2, max=2, step=0.05, value=start[1], style=style
        )
        self.r_slider = log_slider(
            "half-width of the square", radius, -1.5, 0.0, step=0.1, readout_format=".3f"
        )

        fig = new_figure(9.6, 3.5, ncols=3)
        self.ax_in, self.ax_map, self.ax_lin = fig.axes
        (self.in_grid,) = self.ax_in.plot([], [], color=COLORS["muted"], lw=1)
        (self.in_dot,) = self.ax_in.plot([], [], "o", color=COLORS["point"], ms=5)
        (self.map_grid,) = self.ax_map.plot([], [], color=COLORS["curve"], lw=1.2, label="F")
        (self.map_dot,) = self.ax_map.plot([], [], "o", color=COLORS["point"], ms=5)
        (self.ghost_grid,) = self.ax_lin.plot(
            [], [], color=COLORS["curve"], lw=0.8, alpha=0.35, label="F (for comparison)"
        )
        (self.lin_grid,) = self.ax_lin.plot(
            [], [], color=COLORS["secant"], lw=1.2, label="F(p) + J(q − p)"
        )
        (self.lin_dot,) = self.ax_lin.plot([], [], "o", color=COLORS["point"], ms=5)
        self.ax_lin.legend(loc="upper left", fontsize=7, framealpha=0.85)
        for ax in fig.axes:
            ax.set_aspect("equal", adjustable="box")
        self.J = np.eye(2)
        self.det = 1.0
        self.area_ratio = 1.0
        self.max_gap = 0.0
        super().__init__(
            fig,
            controls=[self.map_picker, self.x_slider, self.y_slider, self.r_slider],
            dynamic_artists=[],
            title="The Jacobian as the best local linear map",
            caption="A small square grid around the chosen point, its image under the map F, and its image "
            "under the linear map given by the Jacobian at that point.",
        )
        # The layout was solved by the first draw; re-solving it on every slider move costs more
        # than the drawing itself, and the panels do not move.
        fig.set_layout_engine("none")
        self._suspended = False
        self.map_picker.observe(self._on_map, names="value")

    @property
    def preset(self) -> MapPreset:
        return MAPS[self.map_picker.value]

    @property
    def point(self) -> tuple[float, float]:
        return float(self.x_slider.value), float(self.y_slider.value)

    def mapping(self, x, y):
        """The current map F, vectorised."""
        return self.preset.F(np.asarray(x, dtype=float), np.asarray(y, dtype=float))

    def _on_change(self, change=None) -> None:
        if not self._suspended:
            self.refresh()

    def _on_map(self, change) -> None:
        self._suspended = True
        try:
            self.x_slider.value, self.y_slider.value = self.preset.point
        finally:
            self._suspended = False
        self.refresh()

    def update_figure(self) -> bool:
        m, p, r = self.preset, self.point, float(self.r_slider.value)
        self.J = np.asarray(m.J(*p), dtype=float)
        self.det = float(np.linalg.det(self.J))
        fp = np.array(m.F(np.array(p[0]), np.array(p[1])), dtype=float)

        gx, gy = _grid_polyline(p, r)
        ux, uy = m.F(gx, gy)
        lx = fp[0] + self.J[0, 0] * (gx - p[0]) + self.J[0, 1] * (gy - p[1])
        ly = fp[1] + self.J[1, 0] * (gx - p[0]) + self.J[1, 1] * (gy - p[1])
        self.in_grid.set_data(gx, gy)
        self.in_dot.set_data([p[0]], [p[1]])
        self.map_grid.set_data(ux, uy)
        self.map_dot.set_data([fp[0]], [fp[1]])
        self.ghost_grid.set_data(ux, uy)
        self.lin_grid.set_data(lx, ly)
        self.lin_dot.set_data([fp[0]], [fp[1]])
        self.max_gap = float(np.nanmax(np.hypot(ux - lx, uy - ly)))

        bx, by = square_boundary(p, r)
        fx, fy = m.F(bx, by)
        self.area_ratio = shoelace_area(fx, fy) / (2 * r) ** 2

        _fit(self.ax_in, gx, gy)
        _fit(self.ax_map, np.concatenate([ux, lx]), np.concatenate([uy, ly]))
        _fit(self.ax_lin, np.concatenate([ux, lx]), np.concatenate([uy, ly]))
        label_axes(self.ax_in, f"A square around p = ({p[0]:.2f}, {p[1]:.2f})", "x", "y")
        label_axes(self.ax_map, f"Its image under {m.name}", "F₁", "F₂")
        label_axes(self.ax_lin, "Its image under the Jacobian", "F₁", "F₂")
        return True  # limits and titles moved: redraw everything

    def readout(self) -> str:
        m, p, r = self.preset, self.point, float(self.r_slider.value)
        j = self.J
        orientation = " and flips orientation (det < 0)" if self.det < 0 else ""
        if self.max_gap < 1e-9:
            gap = "F is linear, so it coincides with its Jacobian map: the two grids are the same."
        else:
            gap = (
                f"Largest distance between the curved grid and the straight one: {self.max_gap:.2e} "
                "(it shrinks like the square of the side)."
            )
        return (
            f"{m.name}: {m.formula}, at p = ({p[0]:.2f}, {p[1]:.2f}).\n"
            f"J(p) = [[{j[0, 0]:.3f}, {j[0, 1]:.3f}], [{j[1, 0]:.3f}, {j[1, 1]:.3f}]], det J = {self.det:.4f}: "
            f"near p, F scales areas by |det J| = {abs(self.det):.4f}{orientation}.\n"
            f"Square of side {2 * r:.3f}: area of its image ÷ area of the square = {self.area_ratio:.4f}.\n"
            + gap
        )


def _fit(ax, xs, ys, pad: float = 0.08) -> None:
    x0, x1 = float(np.nanmin(xs)), float(np.nanmax(xs))
    y0, y1 = float(np.nanmin(ys)), float(np.nanmax(ys))
    half = max(x1 - x0, y1 - y0, 1e-6) * (0.5 + pad)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    ax.set_xlim(cx - half, cx + half)
    ax.set_ylim(cy - half, cy + half)


def jacobian_grid_view(
    preset: str = "polar-like", point=None, radius: float = 0.3
) -> JacobianGridView:
    """A grid around ``point`` deformed by the map ``preset`` next to the grid deformed by its Jacobian."""
    return JacobianGridView(preset, point=point, radius=radius)
