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
    #: does det J vanish somewhere on the closed square around p with half-width s?
    singular_on_square: Callable[[tuple[float, float], float], bool] = lambda p, s: False
    inputs: tuple[str, str] = ("x", "y")


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
        lambda p, s: abs(p[0]) <= s,  # det J = r vanishes on the line r = 0
        ("r", "t"),
    ),
    "squaring": MapPreset(
        "squaring",
        "F(x, y) = (x² − y², 2xy)",
        lambda x, y: (x * x - y * y, 2 * x * y),
        lambda x, y: np.array([[2 * x, -2 * y], [2 * y, 2 * x]]),
        (1.0, 0.5),
        lambda p, s: abs(p[0]) <= s and abs(p[1]) <= s,  # det J = 4(x² + y²) vanishes at 0
    ),
}


def _num(value: float, digits: int = 3) -> str:
    """A fixed-point number for the readout, without a negative zero."""
    value = round(float(value), digits)
    return f"{value + 0.0:.{digits}f}"


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


POINT_RANGE = 2.0


def view_half_width(preset: MapPreset) -> float:
    """Half-width of the fixed window of the image panels: it fits J(p) applied to the unit square
    for every point p the sliders reach, so sizes can be compared across points."""
    ticks = np.linspace(-POINT_RANGE, POINT_RANGE, 17)
    reach = max(float(np.max(np.abs(preset.J(a, b)).sum(axis=1))) for a in ticks for b in ticks)
    return 1.1 * max(reach, 1.0)


class JacobianGridView(FigureApp):
    """A small grid, its image under a map F and its image under the Jacobian at the chosen point.

    The panels are drawn *zoomed in* on the point: offsets δ from p and from F(p) are divided by the
    half-width r of the square. In that frame the Jacobian's picture J(δ/r) does not depend on r,
    while the curved picture (F(p + δ) − F(p))/r straightens onto it as r shrinks: that is what
    "F is differentiable at p with derivative J" means. The windows are fixed per map, so a slider
    move only redraws the grids and two labels (blitting).
    """

    def __init__(self, preset: str = "polar-like", point=None, radius: float = 0.3):
        if preset not in MAPS:
            raise ValueError(f"unknown map {preset!r}; choose one of {sorted(MAPS)}")
        self._suspended = True
        style = {"description_width": "initial"}
        start = MAPS[preset].point if point is None else point
        self.map_picker = widgets.Dropdown(
            options=list(MAPS), value=preset, description="map F", style=style
        )
        common = dict(min=-POINT_RANGE, max=POINT_RANGE, step=0.05, style=style)
        names = MAPS[preset].inputs
        self.x_slider = widgets.FloatSlider(
            description=f"point {names[0]}", value=start[0], **common
        )
        self.y_slider = widgets.FloatSlider(
            description=f"point {names[1]}", value=start[1], **common
        )
        self.r_slider = log_slider(
            "half-width s of the square", radius, -1.5, 0.0, step=0.1, readout_format=".3f"
        )

        fig = new_figure(9.6, 3.6, ncols=3)
        self.ax_in, self.ax_map, self.ax_lin = fig.axes
        gx, gy = _grid_polyline((0.0, 0.0), 1.0)
        self.ax_in.plot(gx, gy, color=COLORS["muted"], lw=1)
        self.ax_in.set_xlim(-1.3, 1.3)
        self.ax_in.set_ylim(-1.3, 1.3)
        label_axes(self.ax_in, "The square around p", "δ₁ / s", "δ₂ / s")
        box = dict(boxstyle="round", fc="white", ec="0.6", alpha=0.9)
        self.point_text = self.ax_in.text(
            0.5,
            0.02,
            "",
            transform=self.ax_in.transAxes,
            ha="center",
            va="bottom",
            fontsize=8,
            bbox=box,
        )
        (self.map_grid,) = self.ax_map.plot([], [], color=COLORS["curve"], lw=1.2)
        (self.ghost_grid,) = self.ax_lin.plot(
            [], [], color=COLORS["curve"], lw=0.8, alpha=0.35, label="image under F"
        )
        (self.lin_grid,) = self.ax_lin.plot(
            [], [], color=COLORS["secant"], lw=1.3, label="image under J"
        )
        self.det_text = self.ax_lin.text(
            0.5,
            0.02,
            "",
            transform=self.ax_lin.transAxes,
            ha="center",
            va="bottom",
            fontsize=8,
            bbox=box,
        )
        label_axes(
            self.ax_map, "Its image under F", "(F₁(p + δ) − F₁(p)) / s", "(F₂(p + δ) − F₂(p)) / s"
        )
        label_axes(self.ax_lin, "Its image under J(p)", "(J δ)₁ / s", "(J δ)₂ / s")
        # the bottom edge of the square, drawn thick in every panel: its image shows whether F
        # keeps or flips the orientation (det J > 0 or < 0)
        edge = dict(color=COLORS["tangent"], lw=2.6, solid_capstyle="round")
        self.ax_in.plot([-1, 1], [-1, -1], label="bottom edge (along e₁)", **edge)
        self.ax_in.plot([-1], [-1], "o", color=COLORS["tangent"], ms=5)
        (self.map_edge,) = self.ax_map.plot([], [], **edge)
        (self.lin_edge,) = self.ax_lin.plot([], [], **edge)
        (self.map_corner,) = self.ax_map.plot([], [], "o", color=COLORS["tangent"], ms=5)
        (self.lin_corner,) = self.ax_lin.plot([], [], "o", color=COLORS["tangent"], ms=5)
        self.ax_in.legend(loc="upper left", fontsize=7, framealpha=0.85)
        self.ax_lin.legend(loc="upper left", fontsize=7, framealpha=0.85)
        for ax in (self.ax_map, self.ax_lin):  # the square itself, for comparing areas
            ax.plot([-1, 1, 1, -1, -1], [-1, -1, 1, 1, -1], ls=":", color="#555555", lw=1.6)
        for ax in fig.axes:
            ax.plot([0], [0], "o", color=COLORS["point"], ms=4)
            ax.set_aspect("equal", adjustable="box")
        self._window_for = None
        self.J = np.eye(2)
        self.det = 1.0
        self.area_ratio = 1.0
        self.max_gap = 0.0
        super().__init__(
            fig,
            controls=[self.map_picker, self.x_slider, self.y_slider, self.r_slider],
            dynamic_artists=[
                self.point_text,
                self.map_grid,
                self.ghost_grid,
                self.lin_grid,
                self.map_edge,
                self.lin_edge,
                self.map_corner,
                self.lin_corner,
                self.det_text,
            ],
            title="The Jacobian as the best local linear map",
            caption="A small square grid around the chosen point, its image under the map F, and its image "
            "under the linear map given by the Jacobian at that point, all magnified by 1/s. The "
            "square's bottom edge, starting at its lower-left corner, is drawn thick in all three.",
        )
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
            self.x_slider.description = f"point {self.preset.inputs[0]}"
            self.y_slider.description = f"point {self.preset.inputs[1]}"
        finally:
            self._suspended = False
        self.refresh()

    def update_figure(self) -> bool:
        m, p, r = self.preset, self.point, float(self.r_slider.value)
        full = self._window_for != m.name
        if full:
            half = view_half_width(m)
            for ax in (self.ax_map, self.ax_lin):
                ax.set_xlim(-half, half)
                ax.set_ylim(-half, half)
            self._window_for = m.name
        self.J = np.asarray(m.J(*p), dtype=float)
        self.det = float(np.linalg.det(self.J))
        fp = np.array(m.F(np.array(p[0]), np.array(p[1])), dtype=float)

        dx, dy = _grid_polyline((0.0, 0.0), 1.0)  # offsets δ / r
        ux, uy = m.F(p[0] + r * dx, p[1] + r * dy)
        ux, uy = (ux - fp[0]) / r, (uy - fp[1]) / r
        lx = self.J[0, 0] * dx + self.J[0, 1] * dy
        ly = self.J[1, 0] * dx + self.J[1, 1] * dy
        self.map_grid.set_data(ux, uy)
        self.ghost_grid.set_data(ux, uy)
        self.lin_grid.set_data(lx, ly)
        along = np.linspace(-1.0, 1.0, POINTS_PER_LINE)
        ex, ey = m.F(p[0] + r * along, np.full_like(along, p[1] - r))
        self.map_edge.set_data((ex - fp[0]) / r, (ey - fp[1]) / r)
        self.map_corner.set_data([(ex[0] - fp[0]) / r], [(ey[0] - fp[1]) / r])
        lex = self.J[0, 0] * along - self.J[0, 1]
        ley = self.J[1, 0] * along - self.J[1, 1]
        self.lin_edge.set_data(lex, ley)
        self.lin_corner.set_data(lex[:1], ley[:1])
        self.max_gap = r * float(np.nanmax(np.hypot(ux - lx, uy - ly)))  # in the map's own units

        bx, by = square_boundary(p, r)
        fx, fy = m.F(bx, by)
        self.area_ratio = shoelace_area(fx, fy) / (2 * r) ** 2  # signed: ∫det J ÷ area
        self.folds = bool(m.singular_on_square(p, r))
        self.point_text.set_text(f"p = ({_num(p[0], 2)}, {_num(p[1], 2)}), s = {r:.3f}")
        ratio = "signed ratio" if self.folds else "area ratio"
        shown = self.area_ratio if self.folds else abs(self.area_ratio)
        self.det_text.set_text(f"det J = {_num(self.det)}, {ratio} {_num(shown)}")
        return full

    def readout(self) -> str:
        m, p, r = self.preset, self.point, float(self.r_slider.value)
        j = self.J
        a, b = m.inputs
        lines = [
            f"{m.name}: {m.formula}, at p = ({a}, {b}) = ({_num(p[0], 2)}, {_num(p[1], 2)}).",
            f"J(p) = [[{_num(j[0, 0])}, {_num(j[0, 1])}], [{_num(j[1, 0])}, {_num(j[1, 1])}]], "
            f"det J = {_num(self.det, 4)}.",
        ]
        if abs(self.det) < 1e-12:
            lines.append(
                "det J = 0 at p: the linear map squashes the square onto a line or a point, so F "
                "is not locally invertible here (no neighbourhood of p is mapped one-to-one)."
                + (
                    " z ↦ z² doubles angles at 0: it covers the image of a small square around 0 twice."
                    if m.name == "squaring"
                    else ""
                )
            )
        else:
            flip = " and flips orientation (det J < 0)" if self.det < 0 else ""
            lines.append(f"Near p, F scales areas by |det J| = {_num(abs(self.det), 4)}{flip}.")
        if self.folds:
            lines.append(
                f"Square of side 2s = {2 * r:.3f}: det J vanishes inside it, so F is not one-to-one "
                "on it (it folds or wraps the square over itself) and its image's area is not "
                f"∫|det J|. The signed ratio ∫det J ÷ area of the square = {_num(self.area_ratio, 4)}."
            )
        else:
            flip = ", orientation flipped" if self.area_ratio < 0 else ""
            lines.append(
                f"Square of side 2s = {2 * r:.3f}: area of its image ÷ area of the square = "
                f"{_num(abs(self.area_ratio), 4)}{flip}."
            )
        if self.max_gap < 1e-9:
            lines.append(
                "F is linear, so it coincides with its Jacobian map: the two grids are the same."
            )
        else:
            lines.append(
                f"Largest distance between the curved grid and the straight one: {self.max_gap:.2e} "
                "(it shrinks like s², so in the magnified picture like s)."
            )
        return "\n".join(lines)


def jacobian_grid_view(
    preset: str = "polar-like", point=None, radius: float = 0.3
) -> JacobianGridView:
    """A grid around ``point`` deformed by the map ``preset`` next to the grid deformed by its
    Jacobian; ``radius`` is the half-width s of the square."""
    return JacobianGridView(preset, point=point, radius=radius)
