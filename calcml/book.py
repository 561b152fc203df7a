"""Build the course as a static website that works offline: ``python -m calcml.book`` (``make book``).

Why this design (see the README): Jupyter Book 2 downloads its theme at build time, so it cannot
build offline. We use the engine of Jupyter Book 1 directly, Sphinx + myst-nb + sphinx-book-theme,
all from PyPI, and serve MathJax 3 from the npm ``mathjax`` package installed once into a local
cache. Nothing is fetched from the internet while building (apart from that one npm install) or
while reading.

Steps:

1. every ``course/*.ipynb`` is executed top to bottom in a fresh kernel (two at a time), with an
   IPython start-up hook that makes each interactive figure (:class:`calcml.widgets.base.FigureApp`)
   display as a *precomputed frame sequence*: its controls are swept over several values and each
   frame (PNG + readout) is stored in the page, driven by a plain range input and a small local
   script (without JavaScript all frames show as a captioned strip);
2. any error output or text on stderr stops the build with a message naming the notebook and cell;
3. widget-view outputs (which need a live kernel and CDN scripts) are replaced by their static
   HTML fallback, or by a short note;
4. Sphinx renders the executed notebooks, in reading order with navigation, into ``_build/html``,
   and MathJax is copied next to them.
"""

from __future__ import annotations

import argparse
import base64
import copy
import html
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BOOK_CONFIG = REPO / "book"
MATHJAX_VERSION = "3.2.2"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
STATIC_WIDGET_NOTE = (
    '<p class="calcml-kernel-note"><em>An interactive control appears here when you run this '
    "notebook in JupyterLab.</em></p>"
)
SKIPPED_MARK = "calcml-skipped-frames:"
#: Most frames stored for one control.
MAX_FRAMES = 9
#: Most controls swept for one figure.
MAX_SWEEPS = 3


class BookError(RuntimeError):
    """The book cannot be built; the message says which file and what is wrong."""


# ------------------------------------------------------------------------------------------
# Kernel side: interactive figures become precomputed frame sequences
# ------------------------------------------------------------------------------------------


def _leaf_controls(widget) -> list:
    """The controls inside ``widget``, depth first (boxes are opened, leaves kept)."""
    children = getattr(widget, "children", None)
    if children is None:
        return [widget]
    leaves = []
    for child in children:
        leaves += _leaf_controls(child)
    return leaves


def _format_value(value) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def sweep_values(control) -> list[tuple[str, object]] | None:
    """``(label, value)`` pairs to show for ``control``, or ``None`` if it cannot be swept.

    Sliders are sampled evenly (logarithmic sliders evenly in the exponent) with the current value
    included; selections give each option; check boxes give off and on.
    """
    import ipywidgets as widgets
    import numpy as np

    if getattr(control, "disabled", False):
        return None
    description = control.description if hasattr(control, "description") else ""
    if isinstance(control, widgets.FloatLogSlider):
        exps = np.linspace(control.min, control.max, MAX_FRAMES)
        values = sorted({float(control.base**e) for e in exps} | {float(control.value)})
        return [(f"{description} {v:.1e}".strip(), v) for v in values]
    if isinstance(control, widgets.FloatSlider | widgets.IntSlider):
        raw = np.linspace(control.min, control.max, MAX_FRAMES)
        if isinstance(control, widgets.IntSlider):
            values = sorted({int(round(v)) for v in raw} | {int(control.value)})
        else:
            values = sorted({float(np.round(v, 10)) for v in raw} | {float(control.value)})
        return [(f"{description} {_format_value(v)}".strip(), v) for v in values]
    if isinstance(control, widgets.SelectionSlider) and len(control.options) > MAX_FRAMES:
        # A long ordered scale (learning rates, step counts): evenly spread picks and the current one.
        labels = list(control._options_labels)
        picks = np.linspace(0, len(labels) - 1, MAX_FRAMES - 1).round().astype(int)
        indices = sorted({int(i) for i in picks} | {int(control.index)})
        return [(f"{description} {labels[i]}".strip(), ("index", i)) for i in indices]
    if isinstance(control, widgets.widgets.widget_selection._Selection):
        labels = list(control._options_labels)[:MAX_FRAMES]
        return [(f"{description} {label}".strip(), ("index", i)) for i, label in enumerate(labels)]
    if isinstance(control, widgets.Checkbox | widgets.ToggleButton):
        return [(f"{description} off".strip(), False), (f"{description} on".strip(), True)]
    return None


def _set_control(control, value) -> None:
    if isinstance(value, tuple) and len(value) == 2 and value[0] == "index":
        control.index = value[1]
    else:
        control.value = value


def _palette_png(png: bytes) -> bytes:
    """A frame as a 256-colour PNG: about 4x smaller for line plots, about 10 ms per frame."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        rgba = im.convert("RGBA")
    flat = Image.alpha_composite(Image.new("RGBA", rgba.size, "white"), rgba).convert("RGB")
    out = io.BytesIO()
    flat.quantize(256, method=Image.Quantize.FASTOCTREE).save(out, format="PNG", compress_level=6)
    return out.getvalue()


@dataclass
class Frame:
    label: str
    png: bytes
    readout: str


@dataclass
class Sweep:
    control: str
    frames: list[Frame] = field(default_factory=list)
    start: int = 0
    skipped: int = 0


def frame_sweeps(app) -> list[Sweep]:
    """Sweep up to ``MAX_SWEEPS`` controls of a FigureApp one at a time, the others left as set."""
    controls = [c for c in _leaf_controls(app.controls_box) if hasattr(c, "value")]
    saved = [
        (c, c.index if hasattr(c, "index") and hasattr(c, "_options_labels") else c.value)
        for c in controls
    ]

    def restore():
        for control, value in saved:
            if hasattr(control, "_options_labels"):
                if control.index != value:
                    control.index = value
            elif control.value != value:
                control.value = value

    # Two sliders first (they carry the continuous story: h shrinking, a moving), then the
    # choices (function, preset), then any other slider, until MAX_SWEEPS.
    sliders = [c for c in controls if hasattr(c, "min") and hasattr(c, "max")]
    others = [c for c in controls if c not in sliders]
    ordered = sliders[:2] + others + sliders[2:]
    # An app may name the controls that tell its story best (``sweep_first``): those go first.
    first = [c for c in getattr(app, "sweep_first", ()) if c in controls]
    ordered = first + [c for c in ordered if c not in first]
    sweeps = []
    for control in ordered:
        if len(sweeps) == MAX_SWEEPS:
            break
        values = sweep_values(control)
        if not values or len(values) < 2:
            continue
        name = getattr(control, "description", "") or type(control).__name__
        sweep = Sweep(control=name)
        current = control.index if hasattr(control, "_options_labels") else control.value
        for label, value in values:
            try:
                renders = app.render_count
                _set_control(control, value)  # the app's observer redraws on a change...
                if app.render_count == renders:  # ...unless nothing changed or nobody observes
                    app.refresh()
            except Exception:  # a control may refuse a value (validation): leave the frame out
                sweep.skipped += 1
                continue
            if app.last_readout.startswith("This widget hit an error"):
                sweep.skipped += 1
                continue
            is_start = value == current or (isinstance(value, tuple) and value[1] == current)
            if is_start:
                sweep.start = len(sweep.frames)
            sweep.frames.append(Frame(label, _palette_png(app.last_png), app.last_readout))
        restore()
        app.refresh(full=True)
        if len(sweep.frames) >= 2:
            sweeps.append(sweep)
    return sweeps


def frames_html(app, sweeps: list[Sweep]) -> str:
    """HTML of a FigureApp for a page without a kernel: one stepper per swept control.

    Each frame's alt text is the caption, the frame's setting and its readout, as in Lab.
    """
    from calcml.widgets.base import figure_alt

    caption = app.caption or "Interactive figure"
    parts = ['<div class="calcml-frames-app">']
    skipped = sum(s.skipped for s in sweeps)
    if skipped:
        parts.append(f"<!-- {SKIPPED_MARK} {skipped} -->")
    if not sweeps:  # nothing to sweep: the current figure and readout
        return app.static_html()
    parts.append(
        '<p class="calcml-frames-note">Precomputed frames of an interactive figure: move the slider '
        "(mouse or arrow keys) to step through them. Run the notebook in JupyterLab to explore "
        "every value.</p>"
    )
    for sweep in sweeps:
        n = len(sweep.frames)
        name = html.escape(sweep.control.rstrip(":= "))
        parts.append(f'<div class="calcml-frames" data-start="{sweep.start}">')
        parts.append(
            '<div class="calcml-frames-control"><label>'
            f'<span class="calcml-frames-label">Change {name}</span> '
            f'<input type="range" min="0" max="{n - 1}" step="1" value="{sweep.start}" '
            f'aria-label="Frame: change {name}"/></label> '
            f'<output class="calcml-frames-output" aria-live="polite">'
            f"{html.escape(sweep.frames[sweep.start].label)}</output></div>"
        )
        parts.append('<div class="calcml-frames-strip">')
        for i, frame in enumerate(sweep.frames):
            b64 = base64.b64encode(frame.png).decode("ascii")
            alt = html.escape(figure_alt(f"{caption} ({frame.label})", frame.readout), quote=True)
            parts.append(
                f'<figure class="calcml-frame" data-index="{i}" data-label="{html.escape(frame.label, quote=True)}">'
                f'<img src="data:image/png;base64,{b64}" alt="{alt}"/>'
                f"<figcaption><strong>{html.escape(frame.label)}</strong>"
                f'<pre class="calcml-frame-readout">{html.escape(frame.readout)}</pre></figcaption></figure>'
            )
        parts.append("</div></div>")
    extra = app.static_extra_html()
    if extra:
        parts.append(extra)
    parts.append("</div>")
    return "".join(parts)


def _book_mimebundle(self, **kwargs):
    sweeps = frame_sweeps(self)
    return {
        "text/html": frames_html(self, sweeps),
        "image/png": base64.b64encode(self.last_png).decode("ascii"),
        "text/plain": (self.caption + "\n" if self.caption else "") + self.last_readout,
    }


def enable_static_widgets() -> None:
    """In this kernel, display every FigureApp as a precomputed frame sequence (book builds only)."""
    from calcml.widgets.base import FigureApp

    FigureApp._repr_mimebundle_ = _book_mimebundle


STARTUP_HOOK = (
    "import calcml.book as _calcml_book\n_calcml_book.enable_static_widgets()\ndel _calcml_book\n"
)


# ------------------------------------------------------------------------------------------
# Build side
# ------------------------------------------------------------------------------------------


def chapters(course_dir: Path) -> list[Path]:
    found = sorted(p for p in course_dir.glob("*.ipynb") if not p.name.startswith("."))
    if not found:
        raise BookError(f"{course_dir}: no notebooks to build")
    return found


def chapter_title(nb: dict, path: Path) -> str:
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    raise BookError(f"{path}: no '# Title' heading")


def scratch_environment(scratch: Path) -> dict[str, str]:
    """Environment for the kernels: private Jupyter/IPython/matplotlib dirs and the widget hook."""
    env = {}
    for name, sub in [
        ("JUPYTER_CONFIG_DIR", "jupyter-config"),
        ("JUPYTER_RUNTIME_DIR", "jupyter-runtime"),
        ("IPYTHONDIR", "ipython"),
        ("MPLCONFIGDIR", "mpl"),
    ]:
        path = scratch / sub
        path.mkdir(parents=True, exist_ok=True)
        env[name] = str(path)
    startup = scratch / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-calcml-book.py").write_text(STARTUP_HOOK, encoding="utf-8")
    env["PYTHONWARNINGS"] = "ignore::DeprecationWarning"
    return env


def _execute(path_str: str, timeout: float) -> tuple[str, dict, float]:
    import nbformat
    from nbclient import NotebookClient

    from autograder.environment import ipc_kernel_config

    path = Path(path_str)
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="calcml-book-kernel-") as sockets:
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            allow_errors=True,
            store_widget_state=False,
            resources={"metadata": {"path": str(path.parent)}},
            config=ipc_kernel_config(Path(sockets)),
        )
        client.execute()
    return path_str, json.loads(nbformat.writes(nb)), time.perf_counter() - start


def output_problems(nb: dict, name: str) -> list[str]:
    """Error outputs, tracebacks and stderr text of an executed notebook, one line each."""
    problems = []
    for i, cell in enumerate(nb["cells"]):
        for out in cell.get("outputs", []):
            kind = out.get("output_type")
            if kind == "error":
                problems.append(f"{name} cell {i}: {out.get('ename')}: {out.get('evalue')}")
            elif kind == "stream" and out.get("name") == "stderr":
                text = "".join(out.get("text", "")).strip().splitlines()
                problems.append(f"{name} cell {i}: printed to stderr: {text[0] if text else ''}")
    return problems


def make_static(nb: dict) -> tuple[dict, int]:
    """Drop outputs that need a kernel; return the notebook and how many frames were skipped."""
    nb = copy.deepcopy(nb)
    nb.get("metadata", {}).pop("widgets", None)
    skipped = 0
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            data = out.get("data")
            if not data:
                continue
            if WIDGET_VIEW in data:
                del data[WIDGET_VIEW]
                if "text/html" not in data and "image/png" not in data:
                    data["text/html"] = STATIC_WIDGET_NOTE
            text = data.get("text/html")
            if isinstance(text, list):
                text = "".join(text)
            if text and SKIPPED_MARK in text:
                skipped += sum(int(m) for m in re.findall(SKIPPED_MARK + r" (\d+)", text))
    return nb, skipped


INDEX_TEMPLATE = """\
# Calculus for Machine Learning

{intro}

```{{toctree}}
:maxdepth: 1
:caption: Chapters

{entries}
```
"""


def write_sources(executed: dict[str, dict], src: Path) -> list[tuple[str, str]]:
    """Write the executed notebooks and the landing page into ``src``; return (page, title)."""
    if src.exists():
        shutil.rmtree(src)
    src.mkdir(parents=True)
    pages = []
    for path_str in sorted(executed, key=lambda p: Path(p).name):
        path = Path(path_str)
        nb = executed[path_str]
        pages.append((path.stem, chapter_title(nb, path)))
        (src / path.name).write_text(json.dumps(nb, indent=1), encoding="utf-8")
    intro = (BOOK_CONFIG / "intro.md").read_text(encoding="utf-8").strip()
    entries = "\n".join(stem for stem, _ in pages)
    (src / "index.md").write_text(
        INDEX_TEMPLATE.format(intro=intro, entries=entries), encoding="utf-8"
    )
    return pages


def mathjax_dir(cache: Path) -> Path:
    """The ``es5`` folder of MathJax, installed from npm into ``cache`` on first use."""
    es5 = cache / f"mathjax-{MATHJAX_VERSION}" / "node_modules" / "mathjax" / "es5"
    if (es5 / "tex-chtml.js").is_file():
        return es5
    npm = shutil.which("npm")
    if npm is None:
        raise BookError(
            "MathJax is not in the cache and npm is missing: install Node.js/npm "
            "(Debian: apt-get install npm) so the build can fetch the npm package "
            f"mathjax@{MATHJAX_VERSION} once"
        )
    prefix = es5.parents[2]
    prefix.mkdir(parents=True, exist_ok=True)
    print(f"book: installing MathJax {MATHJAX_VERSION} from npm into {prefix}", flush=True)
    proc = subprocess.run(
        [
            npm,
            "install",
            "--prefix",
            str(prefix),
            "--no-audit",
            "--no-fund",
            "--silent",
            f"mathjax@{MATHJAX_VERSION}",
        ],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0 or not (es5 / "tex-chtml.js").is_file():
        raise BookError(
            f"npm install mathjax@{MATHJAX_VERSION} failed: {proc.stderr.strip()[-500:]}"
        )
    return es5


def run_sphinx(src: Path, out: Path, doctrees: Path) -> None:
    from sphinx.cmd.build import build_main

    args = ["-b", "html", "-q", "-c", str(BOOK_CONFIG), "-d", str(doctrees), str(src), str(out)]
    status = build_main(args)
    if status != 0:
        raise BookError(f"sphinx-build failed with status {status} (sources in {src})")


EXTERNAL = re.compile(
    r"""(?:<(?:script|img|iframe|source|audio|video|embed)\b[^>]*\bsrc|<link\b[^>]*\bhref)\s*=\s*["']\s*(?:https?:)?//""",
    re.IGNORECASE,
)
CSS_EXTERNAL = re.compile(r"""(?:url\(\s*["']?|@import\s+["'])\s*(?:https?:)?//""", re.IGNORECASE)


def external_references(site: Path) -> list[str]:
    """Scripts, styles, fonts and images the site would load from another host (should be none)."""
    found = []
    for path in sorted(site.rglob("*")):
        if path.suffix == ".html":
            text = path.read_text(encoding="utf-8", errors="replace")
            for match in EXTERNAL.finditer(text):
                found.append(f"{path.relative_to(site)}: {text[match.start() : match.end() + 60]}")
        elif path.suffix == ".css" and "mathjax" not in path.parts:
            text = path.read_text(encoding="utf-8", errors="replace")
            for match in CSS_EXTERNAL.finditer(text):
                found.append(f"{path.relative_to(site)}: {text[match.start() : match.end() + 60]}")
    return found


def build(
    course_dir: Path = REPO / "course",
    out: Path = REPO / "_build" / "html",
    work: Path = REPO / "_build" / "book-work",
    cache: Path = REPO / "_build" / ".cache",
    jobs: int = 2,
    timeout: float = 300.0,
) -> dict:
    """Build the site; return a summary (pages, timings). Raises :class:`BookError` on any problem."""
    t0 = time.perf_counter()
    notebooks = chapters(course_dir)
    mathjax = mathjax_dir(cache)
    env = scratch_environment(work / "home")
    os.environ.update(env)
    executed: dict[str, dict] = {}
    seconds: dict[str, float] = {}
    problems: list[str] = []
    with ProcessPoolExecutor(max_workers=max(1, min(jobs, len(notebooks)))) as pool:
        futures = [pool.submit(_execute, str(p), timeout) for p in notebooks]
        for notebook, future in zip(notebooks, futures, strict=True):
            name = f"{course_dir.name}/{notebook.name}"
            try:
                path_str, nb, elapsed = future.result()
            except (
                Exception
            ) as exc:  # the kernel died, a cell timed out, the file is not a notebook
                problems.append(
                    f"{name}: execution failed: {type(exc).__name__}: {str(exc).strip()[:300]}"
                )
                continue
            problems += output_problems(nb, name)
            static, skipped = make_static(nb)
            if skipped:
                print(
                    f"book: warning: {name}: {skipped} widget frame(s) left out (the widget raised an error)"
                )
            executed[path_str] = static
            seconds[Path(path_str).name] = elapsed
            print(f"book: executed {name} in {elapsed:.1f} s", flush=True)
    if problems:
        raise BookError("the notebooks do not run cleanly:\n  " + "\n  ".join(problems))
    t_exec = time.perf_counter() - t0
    pages = write_sources(executed, work / "src")
    t_sphinx = time.perf_counter()
    run_sphinx(work / "src", out, work / "doctrees")
    print(
        f"book: sphinx rendered {len(pages) + 1} pages in {time.perf_counter() - t_sphinx:.1f} s",
        flush=True,
    )
    shutil.copytree(mathjax, out / "_static" / "mathjax", dirs_exist_ok=True)
    leaks = external_references(out)
    if leaks:
        raise BookError("the site references external resources:\n  " + "\n  ".join(leaks[:20]))
    total = time.perf_counter() - t0
    return {
        "pages": pages,
        "execute_seconds": seconds,
        "execute_total": t_exec,
        "total_seconds": total,
        "out": str(out),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m calcml.book", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--course-dir", type=Path, default=REPO / "course", help="folder of chapter notebooks"
    )
    parser.add_argument(
        "--out", type=Path, default=REPO / "_build" / "html", help="where the site goes"
    )
    parser.add_argument(
        "--work", type=Path, default=REPO / "_build" / "book-work", help="scratch folder"
    )
    parser.add_argument(
        "--cache", type=Path, default=REPO / "_build" / ".cache", help="MathJax cache folder"
    )
    parser.add_argument(
        "--jobs", type=int, default=2, help="notebooks executed at once (default 2)"
    )
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds allowed per cell")
    args = parser.parse_args(argv)
    try:
        summary = build(args.course_dir, args.out, args.work, args.cache, args.jobs, args.timeout)
    except BookError as exc:
        print(f"book: error: {exc}", file=sys.stderr)
        return 1
    print(f"book: {len(summary['pages'])} pages built in {summary['total_seconds']:.1f} s")
    for stem, title in summary["pages"]:
        print(f"  {stem}.html  {title}")
    print(f"book: open {Path(summary['out']) / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
