"""The common shell of every interactive figure in the course.

A :class:`FigureApp` is a row of controls, a figure and a live text readout. The figure is an Agg
figure rendered to PNG bytes inside the callback, so the time from a slider move to a finished
image is measurable in the kernel (``last_render_seconds``) and nothing waits on a later draw.
Artists that change with the controls are marked *dynamic*: the rest of the figure (axes, ticks,
curves) is drawn once and restored from a saved background, so an update draws only the few
artists that moved (blitting).

Without a widget front end (nbconvert, a static page, GitHub) the same object shows its current
figure as a PNG plus the readout as text, so the demo still teaches.

Front-end conventions that the browser tests rely on:

* the figure is an ``<img class="calcml-figure">`` drawn by :class:`FigureImage` (an anywidget:
  ipywidgets' own Image has no alt text); its ``alt`` is the caption plus the live readout, so it
  changes with the picture, and the same view gives the app's sliders their names (``aria-label``);
* the readout is an ``ipywidgets.HTML`` with the CSS class ``calcml-readout``; its text is inside a
  ``role="status" aria-live="polite"`` element so screen readers announce changes;
* the whole app carries ``calcml-app``; the controls sit in a box with ``calcml-controls``.
"""

from __future__ import annotations

import base64
import html
import time
import traceback
from collections.abc import Iterable, Sequence

import ipywidgets as widgets
import numpy as np

from calcml.figures import rgba_to_png
from calcml.widgets.figure_image import FigureImage


class FigureApp(widgets.VBox):
    """Controls + figure + readout. Subclasses implement :meth:`update_figure` and :meth:`readout`.

    Subclass recipe::

        class Demo(FigureApp):
            def __init__(self):
                self.slider = widgets.FloatSlider(...)
                fig = new_figure()
                ...  # static artists, and dynamic ones created with animated=True
                super().__init__(fig, controls=[self.slider], dynamic_artists=[...],
                                 title="...", caption="alt text of the figure")

            def update_figure(self):
                ...  # set_data on the artists from the controls; return True if the static
                     # part (axes limits, curves) changed and needs a full redraw

            def readout(self) -> str:
                return "secant slope = ..."  # plain text, may span lines
    """

    def __init__(
        self,
        fig,
        controls: Sequence[widgets.Widget],
        dynamic_artists: Iterable = (),
        title: str = "",
        caption: str = "",
        readout_width: str = "100%",
    ):
        self.fig = fig
        self.caption = caption
        self.dynamic_artists = list(dynamic_artists)
        for artist in self.dynamic_artists:
            artist.set_animated(True)
        self._background = None
        self.last_png = b""
        self.last_readout = ""
        self.last_render_seconds = float("nan")
        self.render_count = 0

        self.image = FigureImage(layout=widgets.Layout(max_width="100%", align_self="flex-start"))
        self.readout_html = widgets.HTML(layout=widgets.Layout(width=readout_width))
        self.readout_html.add_class("calcml-readout")
        self.controls_box = widgets.VBox(list(controls))
        self.controls_box.add_class("calcml-controls")
        children = []
        if title:
            heading = widgets.HTML(f"<b>{html.escape(title)}</b>")
            children.append(heading)
        children += [self.controls_box, self.image, self.readout_html]
        super().__init__(children)
        self.add_class("calcml-app")
        for control in controls:
            if hasattr(control, "value"):
                control.observe(self._on_change, names="value")
        self.refresh(full=True)

    # -- to be provided by subclasses -------------------------------------------------------
    def update_figure(self) -> bool:
        """Bring the artists up to date with the controls; return True if a full redraw is needed."""
        raise NotImplementedError

    def readout(self) -> str:
        """Plain-text description of what the figure shows now."""
        raise NotImplementedError

    def static_extra_html(self) -> str:
        """Extra HTML (a table, say) shown under the figure where widgets cannot run."""
        return ""

    # -- machinery ---------------------------------------------------------------------------
    def _on_change(self, change=None) -> None:
        self.refresh()

    def refresh(self, full: bool = False) -> None:
        """Recompute, redraw and publish the figure and readout; errors are shown, not swallowed."""
        start = time.perf_counter()
        try:
            full = bool(self.update_figure()) or full
            text = self.readout()
            self.last_png = self._render(full)
        except Exception:  # an error in a callback must be visible to the learner
            text = "This widget hit an error:\n" + traceback.format_exc(limit=3)
        self.last_readout = text
        self.image.show(self.last_png, self.alt_text())
        self.readout_html.value = (
            '<div role="status" aria-live="polite" class="calcml-readout-text">'
            f'<pre style="margin:0;white-space:pre-wrap;word-break:normal;overflow-wrap:break-word;font-size:90%">{html.escape(text)}</pre></div>'
        )
        self.last_render_seconds = time.perf_counter() - start
        self.render_count += 1

    def _render(self, full: bool) -> bytes:
        canvas = self.fig.canvas
        if full or self._background is None:
            canvas.draw()  # draws everything that is not animated
            self._background = canvas.copy_from_bbox(self.fig.bbox)
        else:
            canvas.restore_region(self._background)
        for artist in self.dynamic_artists:
            if artist.get_visible():
                self.fig.draw_artist(artist)
        return rgba_to_png(np.asarray(canvas.buffer_rgba()))

    def alt_text(self, readout: str | None = None) -> str:
        """Alt text of the figure now: the caption, then the readout of what it shows."""
        return figure_alt(self.caption, self.last_readout if readout is None else readout)

    # -- display without a widget front end -------------------------------------------------
    def static_html(self) -> str:
        b64 = base64.b64encode(self.last_png).decode("ascii")
        alt = html.escape(self.alt_text(), quote=True)
        return (
            '<div class="calcml-static-app">'
            f'<img src="data:image/png;base64,{b64}" alt="{alt}"/>'
            f'<pre style="white-space:pre-wrap;font-family:monospace">{html.escape(self.last_readout)}</pre>'
            f"{self.static_extra_html()}</div>"
        )

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs) or {}
        if isinstance(data, tuple):
            data = data[0]
        data = dict(data)
        data["image/png"] = base64.b64encode(self.last_png).decode("ascii")
        data["text/html"] = self.static_html()
        data["text/plain"] = (self.caption + "\n" if self.caption else "") + self.last_readout
        return data


def figure_alt(caption: str, readout: str) -> str:
    """One line of alt text: ``caption`` and then ``readout`` (its lines joined by semicolons).

    A widget that hit an error says so instead of repeating the traceback.
    """
    if readout.startswith("This widget hit an error"):
        readout = "The figure could not be redrawn: this widget hit an error (see the readout)."
    lines = [" ".join(line.split()) for line in readout.splitlines()]
    now = "; ".join(line for line in lines if line)
    caption = " ".join(caption.split())
    if caption and now:
        return f"{caption.rstrip('.')}. Now showing: {now}"
    return caption or now


def log_slider(description: str, value: float, min_exp: float, max_exp: float, **kwargs):
    """A keyboard-friendly slider over powers of ten (``FloatLogSlider``)."""
    options = dict(
        value=value,
        base=10,
        min=min_exp,
        max=max_exp,
        step=kwargs.pop("step", 0.25),
        description=description,
        continuous_update=True,
        readout_format=".1e",
        style={"description_width": "initial"},
    )
    options.update(kwargs)
    return widgets.FloatLogSlider(**options)
