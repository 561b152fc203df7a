"""The figure widget of a :class:`calcml.widgets.base.FigureApp`: a PNG with live alt text.

ipywidgets 8's ``Image`` renders ``<img>`` without ``alt`` (and its ``tooltip`` trait raises on an
Image, which has no description), and its sliders have no accessible name (ipywidgets #2650). This
is an anywidget whose view the course writes (``figure_image.js``): ``<img class="calcml-figure">``
whose ``alt`` follows the ``alt`` trait, and which names the sliders of the app it sits in.
"""

from __future__ import annotations

from pathlib import Path

import anywidget
import traitlets

_ESM = (Path(__file__).with_name("figure_image.js")).read_text(encoding="utf-8")


class FigureImage(anywidget.AnyWidget):
    """A PNG image (``value``, bytes) with alt text (``alt``) that the front end keeps in step."""

    _esm = _ESM
    value = traitlets.Bytes(b"").tag(sync=True)
    alt = traitlets.Unicode("").tag(sync=True)
    format = "png"

    def show(self, png: bytes, alt: str) -> None:
        """Publish a new picture and its alt text in one message, so they never disagree."""
        with self.hold_sync():
            self.value = png
            self.alt = alt
