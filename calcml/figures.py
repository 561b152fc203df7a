"""Matplotlib figures that render without pyplot, so widgets control exactly when pixels are made.

A widget owns an Agg figure, changes its artists in place and turns it into PNG bytes itself.
That keeps a slider update to one draw and one encode, and the same figure can be shown as a
static image where no widget front end exists.
"""

from __future__ import annotations

import io

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

#: Colours used across the chapters (colour-blind safe, Okabe–Ito).
COLORS = {
    "curve": "#0072B2",
    "secant": "#D55E00",
    "tangent": "#009E73",
    "point": "#000000",
    "accent": "#CC79A7",
    "muted": "#999999",
    "second": "#E69F00",
}


def new_figure(width: float = 5.0, height: float = 3.4, dpi: int = 96, **subplots) -> Figure:
    """A Figure with an Agg canvas attached and one or more axes (``subplots`` go to ``subplots``)."""
    fig = Figure(figsize=(width, height), dpi=dpi, layout="constrained")
    FigureCanvasAgg(fig)
    if subplots.get("nrows", 1) * subplots.get("ncols", 1) > 0:
        fig.subplots(**subplots)
    return fig


def label_axes(ax, title: str, xlabel: str, ylabel: str) -> None:
    """Every figure in the course has a title and labelled axes."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)


def rgba_to_png(rgba: np.ndarray, compress_level: int = 1) -> bytes:
    """Encode an (h, w, 4) uint8 array as PNG; a low compression level is much faster to encode."""
    out = io.BytesIO()
    Image.fromarray(np.asarray(rgba), mode="RGBA").save(
        out, format="PNG", compress_level=compress_level
    )
    return out.getvalue()


def figure_png(fig: Figure, compress_level: int = 1) -> bytes:
    """Draw ``fig`` completely and return it as PNG bytes."""
    fig.canvas.draw()
    return rgba_to_png(np.asarray(fig.canvas.buffer_rgba()), compress_level)


def show_figure(fig: Figure, alt: str):
    """Display a static figure in a notebook with an alt-text caption under it.

    Returns an object whose rich representations are the PNG, an HTML ``<figure>`` with alt text
    and caption, and the caption as plain text.
    """
    return StaticFigure(fig, alt)


class StaticFigure:
    """A rendered figure plus its alt text, displayable in any Jupyter front end or static page."""

    def __init__(self, fig: Figure, alt: str):
        self.png = figure_png(fig, compress_level=6)
        self.alt = alt

    def _repr_mimebundle_(self, include=None, exclude=None):
        import base64
        import html

        b64 = base64.b64encode(self.png).decode("ascii")
        alt = html.escape(self.alt, quote=True)
        figure_html = (
            f'<figure class="calcml-static-figure" style="margin:0">'
            f'<img src="data:image/png;base64,{b64}" alt="{alt}"/>'
            f'<figcaption style="font-size:90%;color:#444">{html.escape(self.alt)}</figcaption></figure>'
        )
        return {
            "image/png": b64,
            "text/html": figure_html,
            "text/plain": f"[Figure: {self.alt}]",
        }, {"image/png": {"alt": self.alt}}
