"""Slider value set → fully rendered image, for every widget of the course, in the kernel.

Finds every widget constructor in ``calcml.widgets`` (a module-level function that returns a
``FigureApp``), builds it with its defaults and, for each of its sliders, sets 50 values across the
slider's range. ``FigureApp`` renders the PNG synchronously in the callback (Agg draw + encode), so
the time around ``slider.value = v`` is the whole cost of a new picture in the kernel. Prints the
median and 95th percentile per widget and slider.

    python benchmarks/widget_latency.py [--updates 50]
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
import statistics
import time

import ipywidgets as widgets
import numpy as np

import calcml.widgets
from calcml.widgets.base import FigureApp

TARGET_MS = 33.0
TARGETED = ("secant", "descent2d")  # the widgets with a 30-frames-a-second target


def widget_constructors():
    for info in sorted(pkgutil.iter_modules(calcml.widgets.__path__), key=lambda m: m.name):
        if info.name == "base" or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"calcml.widgets.{info.name}")
        for name, obj in inspect.getmembers(module, inspect.isfunction):
            if obj.__module__ != module.__name__ or name.startswith("_"):
                continue
            try:
                app = obj()
            except TypeError:
                continue  # needs arguments: not a one-line constructor with defaults
            if isinstance(app, FigureApp):
                yield info.name, name, app


def sliders(widget):
    if isinstance(
        widget,
        widgets.FloatSlider | widgets.IntSlider | widgets.FloatLogSlider | widgets.SelectionSlider,
    ):
        yield widget
    for child in getattr(widget, "children", ()):
        yield from sliders(child)


def slider_values(slider, n: int):
    if isinstance(slider, widgets.SelectionSlider):
        # options are plain values or (label, value) pairs
        values = [o[1] if isinstance(o, tuple) and len(o) == 2 else o for o in slider.options]
        picks = np.linspace(0, len(values) - 1, n).round().astype(int)
        return [values[i] for i in picks]
    if isinstance(slider, widgets.FloatLogSlider):
        values = slider.base ** np.linspace(slider.min, slider.max, n)
    else:
        values = np.linspace(slider.min, slider.max, n)
    if isinstance(slider, widgets.IntSlider):
        values = np.round(values).astype(int)
        return [int(v) for v in values]
    return [float(v) for v in values]


def measure(app, slider, n: int) -> list[float]:
    times = []
    values = slider_values(slider, n)
    # alternate ends of the range so consecutive values always differ
    order = [values[i // 2] if i % 2 == 0 else values[-1 - i // 2] for i in range(n)]
    for value in order:
        if value == slider.value:
            continue
        start = time.perf_counter()
        slider.value = value
        times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--updates", type=int, default=50)
    args = parser.parse_args()
    print(f"{'widget':<40} {'slider':<18} {'n':>3} {'median ms':>10} {'p95 ms':>8}")
    worst_targeted = 0.0
    for module, name, app in widget_constructors():
        for slider in sliders(app.controls_box):
            times = measure(app, slider, args.updates)
            if not times:
                continue
            median = statistics.median(times)
            p95 = float(np.percentile(times, 95))
            label = slider.description or "(slider)"
            print(
                f"{module + '.' + name:<40} {label[:18]:<18} {len(times):>3} {median:>10.2f} {p95:>8.2f}"
            )
            if module in TARGETED:
                worst_targeted = max(worst_targeted, median)
        if "hit an error" in app.last_readout:
            print(f"  !! {module}.{name} readout shows an error:\n{app.last_readout}")
    verdict = "met" if worst_targeted <= TARGET_MS else "NOT met"
    print(
        f"target: median <= {TARGET_MS:.0f} ms for the secant demo and the 2-D GD playground -> {verdict}"
        f" (worst median {worst_targeted:.2f} ms)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
