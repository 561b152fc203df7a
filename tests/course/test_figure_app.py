"""The FigureApp shell every widget builds on: blitting, readout, errors shown, static fallback."""

from __future__ import annotations

import base64
import io

import ipywidgets as widgets
import numpy as np
from PIL import Image

from calcml.figures import label_axes, new_figure, show_figure
from calcml.widgets.base import FigureApp


class Dot(FigureApp):
    """A point on a parabola that follows a slider; ``fail`` makes the update raise."""

    def __init__(self):
        self.x = widgets.FloatSlider(value=0.0, min=-1.0, max=1.0, step=0.1, description="x")
        self.fail = False
        fig = new_figure(3, 2)
        ax = fig.axes[0]
        grid = np.linspace(-1, 1, 50)
        ax.plot(grid, grid**2)
        label_axes(ax, "parabola", "x", "y")
        ax.set_xlim(-1.1, 1.1)
        ax.set_ylim(-0.1, 1.1)
        (self.dot,) = ax.plot([], [], "o", color="red")
        super().__init__(fig, [self.x], [self.dot], title="dot", caption="a red dot on y = x²")

    def update_figure(self):
        if self.fail:
            raise RuntimeError("deliberate failure")
        self.dot.set_data([self.x.value], [self.x.value**2])
        return False

    def readout(self):
        return f"x = {self.x.value:.1f}, y = {self.x.value**2:.2f}"


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))


def test_moving_the_slider_updates_image_and_readout():
    app = Dot()
    before_png, before_text = app.image.value, app.readout_html.value
    app.x.value = 0.5
    assert app.image.value != before_png
    assert "x = 0.5, y = 0.25" in app.readout_html.value and app.readout_html.value != before_text
    assert 'aria-live="polite"' in app.readout_html.value
    assert app.render_count == 2 and app.last_render_seconds > 0


def test_blitted_frame_equals_a_full_redraw():
    app = Dot()
    app.x.value = 0.7
    blitted = _pixels(app.last_png)
    app.refresh(full=True)
    assert np.array_equal(blitted, _pixels(app.last_png))


def test_the_dynamic_artist_really_moves():
    app = Dot()
    app.x.value = -0.8
    left = _pixels(app.last_png)
    app.x.value = 0.8
    right = _pixels(app.last_png)
    assert (left != right).any(axis=-1).sum() > 20


def test_an_error_in_a_callback_is_shown_in_the_readout():
    app = Dot()
    app.fail = True
    app.x.value = 0.3
    assert "hit an error" in app.last_readout and "deliberate failure" in app.last_readout


def test_static_bundle_has_png_html_and_text():
    app = Dot()
    bundle = app._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert base64.b64decode(bundle["image/png"]) == app.last_png
    assert 'alt="a red dot on y = x². Now showing: x = 0.0, y = 0.00"' in bundle["text/html"]
    assert "x = 0.0" in bundle["text/plain"]


def test_the_figure_alt_text_follows_the_readout():
    app = Dot()
    assert app.image.alt == "a red dot on y = x². Now showing: x = 0.0, y = 0.00"
    app.x.value = 0.5
    assert app.image.alt == "a red dot on y = x². Now showing: x = 0.5, y = 0.25"
    assert app.image.value == app.last_png
    app.fail = True
    app.x.value = 0.3
    assert "hit an error" in app.image.alt and "Traceback" not in app.image.alt


def test_alt_text_joins_readout_lines():
    from calcml.widgets.base import figure_alt

    assert (
        figure_alt("A curve.", "a = 1\n\n  slope   = 2") == "A curve. Now showing: a = 1; slope = 2"
    )
    assert figure_alt("", "x = 1") == "x = 1" and figure_alt("A curve", "") == "A curve"


def test_show_figure_carries_alt_text_and_caption():
    fig = new_figure(2, 2)
    label_axes(fig.axes[0], "t", "x", "y")
    data, metadata = show_figure(fig, "an empty plot")._repr_mimebundle_()
    assert base64.b64decode(data["image/png"]).startswith(b"\x89PNG")
    assert 'alt="an empty plot"' in data["text/html"] and "<figcaption" in data["text/html"]
    assert metadata["image/png"]["alt"] == "an empty plot"
