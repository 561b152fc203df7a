"""A quadratic-form explorer: f(x) = ½ xᵀHx for a symmetric 2 × 2 matrix H built from its eigen-pieces.

H = R(θ) diag(λ₁, λ₂) R(θ)ᵀ, so the sliders set the two curvatures (eigenvalues) and the direction
of the principal axes (eigenvectors). The signs of the eigenvalues decide what the critical point
at the origin is: both positive → minimum, both negative → maximum, mixed → saddle, a zero →
the second-order test is inconclusive (for this pure quadratic a zero eigenvalue gives a flat
valley or ridge of non-strict minima or maxima; for a general function higher-order terms decide).
"""

from __future__ import annotations

import math

import ipywidgets as widgets
import numpy as np
from matplotlib.colors import TwoSlopeNorm

from calcml.figures import COLORS, label_axes, new_figure
from calcml.widgets.base import FigureApp

EXTENT = 2.0
GRID = 61
EIG_RANGE = 3.0


def classify_eigenvalues(eigenvalues, tol: float = 1e-9) -> str:
    """'minimum', 'maximum', 'saddle' or 'inconclusive' from the eigenvalues of a Hessian."""
    lam = np.asarray(eigenvalues, dtype=float)
    if lam.ndim != 1 or lam.size == 0:
        raise ValueError(f"expected a non-empty list of eigenvalues, got {eigenvalues!r}")
    if np.all(lam > tol):
        return "minimum"
    if np.all(lam < -tol):
        return "maximum"
    if np.any(lam > tol) and np.any(lam < -tol):
        return "saddle"
    return "inconclusive"


REASONS = {
    "minimum": "every eigenvalue > 0: H is positive definite, f curves up in every direction",
    "maximum": "every eigenvalue < 0: H is negative definite, f curves down in every direction",
    "saddle": "eigenvalues of both signs: H is indefinite, up along one axis and down along the other",
    "inconclusive": "an eigenvalue is 0: H is singular, so the second-order test says nothing",
}


def _singular_detail(l1: float, l2: float, tol: float = 1e-9) -> str:
    """What a zero eigenvalue means for this pure quadratic, and why the test still cannot decide."""
    if abs(l1) <= tol and abs(l2) <= tol:
        return "H = 0: this f is 0 everywhere (flat in every direction)."
    other = l2 if abs(l1) <= tol else l1
    flat = "v₁" if abs(l1) <= tol else "v₂"
    kind, shape = ("minima", "a valley") if other > 0 else ("maxima", "a ridge")
    return (
        f"This f = ½xᵀHx is flat along {flat}: {shape} with a whole line of (non-strict) {kind}. "
        "For a general function with this Hessian the higher-order terms decide: "
        + (
            "x² + y⁴ has a minimum at 0, x² − y⁴ a saddle."
            if other > 0
            else "−x² − y⁴ has a maximum at 0, −x² + y⁴ a saddle."
        )
    )


def _num(value: float, digits: int = 3) -> str:
    """A number for the readout, without a negative zero."""
    value = round(float(value), 10)
    return f"{value + 0.0:.{digits}g}"


def curvature_along(H: np.ndarray, angle_degrees: float) -> float:
    """dᵀHd for the unit vector d at ``angle_degrees``: the second derivative of t ↦ ½(td)ᵀH(td)."""
    t = math.radians(angle_degrees)
    d = np.array([math.cos(t), math.sin(t)])
    return float(d @ H @ d)


LABELS = {
    "minimum": "origin: minimum",
    "maximum": "origin: maximum",
    "saddle": "origin: saddle",
    "inconclusive": "origin: test inconclusive",
}


def hessian_from_eigen(lambda1: float, lambda2: float, angle_degrees: float) -> np.ndarray:
    """The symmetric matrix with eigenvalues λ₁, λ₂ whose first eigenvector points at ``angle_degrees``."""
    t = math.radians(angle_degrees)
    rotation = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    return rotation @ np.diag([float(lambda1), float(lambda2)]) @ rotation.T


class QuadraticFormExplorer(FigureApp):
    """Contour map of ½xᵀHx with the eigenvector axes, and the profiles of f along each axis."""

    def __init__(
        self,
        lambda1: float = 1.0,
        lambda2: float = 2.0,
        angle: float = 30.0,
        direction: float = 0.0,
    ):
        style = {"description_width": "initial"}
        common = dict(min=-EIG_RANGE, max=EIG_RANGE, step=0.1, style=style, readout_format=".1f")
        self.l1_slider = widgets.FloatSlider(description="eigenvalue λ₁", value=lambda1, **common)
        self.l2_slider = widgets.FloatSlider(description="eigenvalue λ₂", value=lambda2, **common)
        self.angle_slider = widgets.IntSlider(
            description="rotation θ (degrees)",
            min=0,
            max=180,
            step=5,
            value=int(angle),
            style=style,
        )
        self.direction_slider = widgets.IntSlider(
            description="direction φ of d (degrees)",
            min=0,
            max=180,
            step=5,
            value=int(direction),
            style=style,
        )

        fig = new_figure(8.0, 3.8, ncols=2, width_ratios=[1.1, 1])
        self.ax_map, self.ax_profile = fig.axes
        s = np.linspace(-EXTENT, EXTENT, GRID)
        self._gx, self._gy = np.meshgrid(s, s)
        vmax = 0.5 * EIG_RANGE * 2 * EXTENT**2
        self.surface = self.ax_map.imshow(
            np.zeros_like(self._gx),
            extent=(-EXTENT, EXTENT, -EXTENT, EXTENT),
            origin="lower",
            cmap="RdBu_r",
            norm=TwoSlopeNorm(0.0, -vmax, vmax),
            interpolation="bilinear",
        )
        fig.colorbar(self.surface, ax=self.ax_map, shrink=0.8, label="f")
        label_axes(self.ax_map, "Level sets of f = ½ xᵀHx", "x₁", "x₂")
        self.ax_map.set_aspect("equal")
        self.ax_map.set_xlim(-EXTENT, EXTENT)
        self.ax_map.set_ylim(-EXTENT, EXTENT)
        self.ax_map.grid(False)
        (self.axis1,) = self.ax_map.plot(
            [], [], "-", color=COLORS["second"], lw=2.5, label="eigenvector v₁"
        )
        (self.axis2,) = self.ax_map.plot(
            [], [], "--", color=COLORS["tangent"], lw=2.5, label="eigenvector v₂"
        )
        (self.dir_line,) = self.ax_map.plot(
            [], [], ":", color=COLORS["point"], lw=2, label="direction d"
        )
        self.map_legend = self.ax_map.legend(
            handles=[self.axis1, self.axis2, self.dir_line],
            loc="lower right",
            fontsize=7,
            framealpha=0.85,
        )
        self.verdict_text = self.ax_map.text(
            0.03,
            0.96,
            "",
            transform=self.ax_map.transAxes,
            va="top",
            fontsize=11,
            fontweight="bold",
            bbox=dict(boxstyle="round", fc="white", ec="0.5", alpha=0.9),
        )
        (self.origin_dot,) = self.ax_map.plot([0], [0], "o", color=COLORS["point"], ms=6)
        self.contours = None

        t = np.linspace(-EXTENT, EXTENT, 101)
        self._t = t
        (self.profile1,) = self.ax_profile.plot(
            t, 0 * t, "-", color=COLORS["second"], lw=2.5, label="along v₁: ½λ₁t²"
        )
        (self.profile2,) = self.ax_profile.plot(
            t, 0 * t, "--", color=COLORS["tangent"], lw=2.5, label="along v₂: ½λ₂t²"
        )
        (self.profile_d,) = self.ax_profile.plot(
            t, 0 * t, ":", color=COLORS["point"], lw=2, label="along d: ½(dᵀHd)t²"
        )
        self.ax_profile.axhline(0, color=COLORS["muted"], lw=0.8)
        self.ax_profile.set_xlim(-EXTENT, EXTENT)
        self.ax_profile.set_ylim(-vmax / 2 - 0.3, vmax / 2 + 0.3)
        label_axes(self.ax_profile, "f along v₁, v₂ and d", "distance t from the origin", "f(t·v)")
        self.ax_profile.legend(loc="lower left", fontsize=8)
        self.H = np.eye(2)
        self.eigenvalues = np.ones(2)
        self.verdict = ""
        super().__init__(
            fig,
            controls=[self.l1_slider, self.l2_slider, self.angle_slider, self.direction_slider],
            dynamic_artists=[
                self.surface,
                self.axis1,
                self.axis2,
                self.origin_dot,
                self.verdict_text,
                self.profile1,
                self.profile2,
                self.dir_line,
                self.profile_d,
                self.map_legend,  # drawn after the colour map, which would cover it
            ],
            title="Quadratic-form explorer",
            caption="Colour map and level sets of one half x-transpose H x with the two eigenvector axes "
            "and a chosen direction d, and the profile of f along each of them, labelled minimum, "
            "maximum, saddle or test inconclusive.",
        )

    _suspended = False  # set while several sliders are moved at once (tests, presets)

    def _on_change(self, change=None) -> None:
        if not self._suspended:
            self.refresh()

    def update_figure(self) -> bool:
        l1, l2, angle = self.l1_slider.value, self.l2_slider.value, self.angle_slider.value
        self.H = hessian_from_eigen(l1, l2, angle)
        self.eigenvalues = np.array([l1, l2])
        # The verdict comes from the matrix itself, not from the sliders that built it.
        self.verdict = classify_eigenvalues(np.linalg.eigvalsh(self.H))
        gx, gy = self._gx, self._gy
        h = self.H
        z = 0.5 * (h[0, 0] * gx * gx + 2 * h[0, 1] * gx * gy + h[1, 1] * gy * gy)
        self.surface.set_data(z)
        # The level sets change shape with every slider, so they are rebuilt as a dynamic artist.
        if self.contours is not None:
            self.contours.remove()
            self.dynamic_artists.remove(self.contours)
        self.contours = None
        if np.ptp(z) > 1e-9:
            levels = _symmetric_levels(z)
            self.contours = self.ax_map.contour(
                gx, gy, z, levels=levels, colors="black", linewidths=0.7
            )
            self.contours.set_animated(True)
            self.dynamic_artists.insert(1, self.contours)
        t = math.radians(angle)
        v1 = np.array([math.cos(t), math.sin(t)])
        v2 = np.array([-math.sin(t), math.cos(t)])
        for line, v in ((self.axis1, v1), (self.axis2, v2)):
            line.set_data(
                [-EXTENT * 1.5 * v[0], EXTENT * 1.5 * v[0]],
                [-EXTENT * 1.5 * v[1], EXTENT * 1.5 * v[1]],
            )
        self.profile1.set_ydata(0.5 * l1 * self._t**2)
        self.profile2.set_ydata(0.5 * l2 * self._t**2)
        phi = math.radians(self.direction_slider.value)
        d = np.array([math.cos(phi), math.sin(phi)])
        self.dir_line.set_data(
            [-EXTENT * 1.5 * d[0], EXTENT * 1.5 * d[0]], [-EXTENT * 1.5 * d[1], EXTENT * 1.5 * d[1]]
        )
        self.curvature_d = curvature_along(self.H, self.direction_slider.value)
        self.profile_d.set_ydata(0.5 * self.curvature_d * self._t**2)
        self.verdict_text.set_text(LABELS[self.verdict])
        return False

    def readout(self) -> str:
        h = self.H
        lam = np.linalg.eigvalsh(h)  # from the matrix itself, sorted
        l1, l2 = self.eigenvalues
        angle, phi = self.angle_slider.value, self.direction_slider.value
        if self.verdict == "inconclusive":
            verdict = f"Test inconclusive: {REASONS['inconclusive']}. {_singular_detail(l1, l2)}"
        else:
            verdict = f"The origin is a {self.verdict}: {REASONS[self.verdict]}."
        det, trace = float(np.linalg.det(h)), float(np.trace(h))
        small, big = sorted(np.abs(lam))
        # the same tolerance as the verdict: an eigenvalue within 1e-9 of 0 counts as 0
        condition = f"{big / small:.3g}" if small > 1e-9 else "infinite (H is singular)"
        return (
            f"H = [[{_num(h[0, 0])}, {_num(h[0, 1])}], [{_num(h[1, 0])}, {_num(h[1, 1])}]]\n"
            f"eigenvalues λ₁ = {_num(l1)} (eigenvector v₁ at {angle}°), λ₂ = {_num(l2)} "
            f"(v₂ at {angle + 90}°)\n"
            f"det H = λ₁λ₂ = {_num(det)}, trace H = λ₁ + λ₂ = {_num(trace)}, "
            f"condition number |λ|max / |λ|min = {condition}\n"
            f"curvature along d at {phi}°: dᵀHd = λ₁cos²(φ − θ) + λ₂sin²(φ − θ) = "
            f"{_num(self.curvature_d)}, between the smallest and largest eigenvalue "
            f"({_num(lam[0])} and {_num(lam[1])})\n"
            f"{verdict}"
        )


def _symmetric_levels(z: np.ndarray) -> np.ndarray:
    """Levels spread evenly over ±max|z|; the zero level only where f takes both signs."""
    top = float(np.max(np.abs(z)))
    levels = np.linspace(-top, top, 17)
    if np.all(z >= -1e-12) or np.all(z <= 1e-12):
        levels = levels[np.abs(levels) > 1e-9 * top]
    return levels


def quadratic_form_explorer(
    lambda1: float = 1.0, lambda2: float = 2.0, angle: float = 30.0, direction: float = 0.0
) -> QuadraticFormExplorer:
    """Eigenvalue, rotation and direction sliders → level sets of ½xᵀHx, labelled minimum,
    maximum, saddle or test inconclusive, and the curvature dᵀHd along the direction d."""
    return QuadraticFormExplorer(lambda1, lambda2, angle, direction)
