"""The course as an offline static website (`python -m calcml.book`, `make book`).

The fast tests check the pieces (frame sweeps of interactive figures, static replacements of
widget outputs, the external-reference scan). The `book` tests build the real site once, inside a
network namespace with no route out (bubblewrap), and check every chapter page.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import ipywidgets as widgets
import pytest

from calcml import book
from calcml.figures import new_figure
from calcml.widgets.base import FigureApp

REPO = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((REPO / "course").glob("*.ipynb"))


# ------------------------------------------------------------------------------------------
# Fast unit tests
# ------------------------------------------------------------------------------------------


class LineApp(FigureApp):
    """A tiny FigureApp: a line y = slope * x whose slope and colour are controls."""

    def __init__(self):
        self.slope = widgets.FloatSlider(
            value=1.0, min=-2.0, max=2.0, step=0.5, description="slope"
        )
        self.colour = widgets.Dropdown(options=["blue", "red"], value="blue", description="colour")
        fig = new_figure(3, 2)
        self.ax = fig.axes[0]
        self.ax.set_xlim(-1, 1)
        self.ax.set_ylim(-2, 2)
        (self.line,) = self.ax.plot([-1, 1], [-1, 1], animated=True)
        super().__init__(
            fig, [self.slope, self.colour], dynamic_artists=[self.line], caption="a line through 0"
        )

    def update_figure(self):
        self.line.set_data([-1, 1], [-self.slope.value, self.slope.value])
        self.line.set_color(self.colour.value)
        return False

    def readout(self):
        return f"slope = {self.slope.value:+.2f}, colour = {self.colour.value}"


def test_frame_sweeps_cover_each_control_and_restore_it():
    app = LineApp()
    app.slope.value = 0.5
    sweeps = book.frame_sweeps(app)
    assert [s.control for s in sweeps] == ["slope", "colour"]
    slope = sweeps[0]
    readouts = [f.readout for f in slope.frames]
    assert len(set(readouts)) == len(readouts) >= 5
    assert slope.frames[slope.start].readout.startswith("slope = +0.50")
    assert slope.frames[0].readout.startswith("slope = -2.00") and slope.frames[
        -1
    ].readout.startswith("slope = +2.00")
    assert [f.readout.split(", ")[1] for f in sweeps[1].frames] == ["colour = blue", "colour = red"]
    assert len({f.png for f in slope.frames}) == len(slope.frames)  # each frame is drawn anew
    assert (app.slope.value, app.colour.value) == (0.5, "blue")  # the controls are put back
    assert app.last_readout.startswith("slope = +0.50")


def test_frames_html_has_a_range_input_and_alt_text_per_frame():
    app = LineApp()
    sweeps = book.frame_sweeps(app)
    page = book.frames_html(app, sweeps)
    n = len(sweeps[0].frames)
    assert f'type="range" min="0" max="{n - 1}"' in page
    alts = re.findall(r'<img src="data:image/png;base64,[^"]+" alt="([^"]+)"', page)
    assert len(alts) == sum(len(s.frames) for s in sweeps)
    assert all(alt.startswith("a line through 0 (") for alt in alts)
    # each frame's alt text ends with that frame's readout, as the live figure's does in Lab
    assert alts[0].endswith("Now showing: slope = -2.00, colour = blue")


def test_make_static_replaces_widget_views():
    nb = {
        "metadata": {"widgets": {"state": {}}},
        "cells": [
            {
                "cell_type": "code",
                "outputs": [
                    {
                        "output_type": "display_data",
                        "data": {book.WIDGET_VIEW: {"model_id": "x"}, "text/plain": "VBox()"},
                    },
                    {
                        "output_type": "display_data",
                        "data": {book.WIDGET_VIEW: {}, "text/html": "<p>quiz</p>"},
                    },
                ],
            }
        ],
    }
    static, skipped = book.make_static(nb)
    first, second = static["cells"][0]["outputs"]
    assert book.WIDGET_VIEW not in first["data"] and "JupyterLab" in first["data"]["text/html"]
    assert second["data"] == {"text/html": "<p>quiz</p>"}
    assert "widgets" not in static["metadata"] and skipped == 0
    assert book.WIDGET_VIEW in nb["cells"][0]["outputs"][0]["data"]  # the input is not modified


def test_external_reference_scan_catches_scripts_styles_and_fonts(tmp_path):
    (tmp_path / "ok.html").write_text(
        '<a href="https://example.org">a link is fine</a><script src="_static/x.js"></script>'
    )
    (tmp_path / "bad.html").write_text(
        '<script src="https://cdn.example/require.js"></script><link rel="stylesheet" href="//fonts.example/css">'
    )
    (tmp_path / "bad.css").write_text("@font-face { src: url('https://fonts.example/a.woff2'); }")
    found = book.external_references(tmp_path)
    assert len(found) == 3
    assert not any(f.startswith("ok.html") for f in found)


def test_output_problems_names_notebook_and_cell():
    nb = {
        "cells": [
            {
                "cell_type": "code",
                "outputs": [{"output_type": "stream", "name": "stdout", "text": "fine"}],
            },
            {
                "cell_type": "code",
                "outputs": [
                    {
                        "output_type": "error",
                        "ename": "ValueError",
                        "evalue": "bad",
                        "traceback": [],
                    }
                ],
            },
            {
                "cell_type": "code",
                "outputs": [
                    {"output_type": "stream", "name": "stderr", "text": "UserWarning: hmm\n"}
                ],
            },
        ]
    }
    assert book.output_problems(nb, "course/09-x.ipynb") == [
        "course/09-x.ipynb cell 1: ValueError: bad",
        "course/09-x.ipynb cell 2: printed to stderr: UserWarning: hmm",
    ]


# ------------------------------------------------------------------------------------------
# The real build, offline
# ------------------------------------------------------------------------------------------


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.imgs: list[dict] = []
        self.links: list[str] = []
        self.scripts: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.imgs.append(attrs)
        elif tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        elif tag == "script" and attrs.get("src"):
            self.scripts.append(attrs["src"])


def parse(path: Path) -> Tags:
    tags = Tags()
    tags.feed(path.read_text(encoding="utf-8"))
    return tags


def figure_outputs(nb: dict) -> int:
    count = 0
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            html = data.get("text/html", "")
            html = "".join(html) if isinstance(html, list) else html
            if "<img" in html:
                count += html.count("<img")
            elif "image/png" in data:
                count += 1
    return count


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        pytest.fail(
            "bubblewrap (bwrap) is needed to prove the build is offline: run `make system-deps`"
        )
    root = tmp_path_factory.mktemp("book")
    cache = root / "cache"
    book.mathjax_dir(cache)  # the one registry download (npm), before the network goes away
    out, work = root / "html", root / "work"
    cmd = [
        bwrap,
        "--bind",
        "/",
        "/",
        "--dev",
        "/dev",
        "--proc",
        "/proc",
        "--unshare-net",
        "--die-with-parent",
        "--",
        sys.executable,
        "-m",
        "calcml.book",
        "--out",
        str(out),
        "--work",
        str(work),
        "--cache",
        str(cache),
    ]
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=600)
    elapsed = time.perf_counter() - start
    assert proc.returncode == 0, f"book build failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    print(f"book built offline in {elapsed:.1f} s")
    return out, work / "src"


@pytest.mark.book
@pytest.mark.slow
def test_every_chapter_has_a_page_in_reading_order(site):
    out, _ = site
    assert CHAPTERS, "no chapters in course/"
    index = parse(out / "index.html")
    order = []
    for href in index.links:
        stem = href.split("#")[0].removesuffix(".html")
        if stem in {p.stem for p in CHAPTERS} and stem not in order:
            order.append(stem)
    assert order == [p.stem for p in CHAPTERS]
    for path in CHAPTERS:
        assert (out / f"{path.stem}.html").is_file(), f"no page for {path.name}"


@pytest.mark.book
@pytest.mark.slow
@pytest.mark.parametrize("chapter", [p.stem for p in CHAPTERS])
def test_chapter_page_holds_its_figures_and_no_error(site, chapter):
    out, src = site
    page = out / f"{chapter}.html"
    text = page.read_text(encoding="utf-8")
    tags = parse(page)
    executed = json.loads((src / f"{chapter}.ipynb").read_text())
    expected = figure_outputs(executed)
    content_imgs = [i for i in tags.imgs if i.get("src", "").startswith("data:image/png")]
    assert len(content_imgs) >= expected > 0 or expected == 0, (
        f"{chapter}: {len(content_imgs)} images, expected {expected}"
    )
    for img in tags.imgs:
        assert (img.get("alt") or "").strip(), f"{chapter}: an image has no alt text"
    for marker in ("Traceback", "output stderr", "output error", "This widget hit an error"):
        assert marker not in text, f"{chapter}: page shows {marker!r}"
    for cell in executed["cells"]:
        for output in cell.get("outputs", []):
            assert output.get("output_type") != "error"
    assert "_static/mathjax/tex-chtml.js" in " ".join(tags.scripts)
    # every interactive figure became a sequence of at least two frames
    apps = sum(
        "".join(o.get("data", {}).get("text/html", "")).count("calcml-frames-app")
        for c in executed["cells"]
        for o in c.get("outputs", [])
    )
    assert text.count('class="calcml-frames-app"') == apps
    for group in re.findall(r'class="calcml-frames" data-start.*?</div></div>', text, flags=re.S):
        assert group.count('<figure class="calcml-frame"') >= 2


@pytest.mark.book
@pytest.mark.slow
def test_welcome_page_turns_its_widget_into_frames(site):
    out, _ = site
    text = (out / "00-welcome.html").read_text(encoding="utf-8")
    assert 'class="calcml-frames-app"' in text and 'type="range"' in text
    assert (out / "_static" / "calcml-frames.js").is_file()


@pytest.mark.book
@pytest.mark.slow
def test_site_references_nothing_external(site):
    out, _ = site
    pattern = re.compile(
        r"""<(script|link|img|iframe|source)\b[^>]*\b(src|href)\s*=\s*["']([^"']*)""", re.I
    )
    for page in out.rglob("*.html"):
        for tag, _attr, url in pattern.findall(page.read_text(encoding="utf-8")):
            assert not re.match(r"^\s*(https?:)?//", url), f"{page.name}: <{tag}> loads {url}"
    for css in out.rglob("*.css"):
        assert not re.search(
            r"""(url\(\s*["']?|@import\s+["'])\s*(https?:)?//""", css.read_text(encoding="utf-8")
        ), css
    assert (out / "_static" / "mathjax" / "tex-chtml.js").is_file()
    assert (out / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").is_dir()


@pytest.mark.book
@pytest.mark.slow
def test_pages_render_maths_and_frames_in_a_browser_without_network(site, browser):
    out, _ = site
    page = browser.new_page()
    try:
        requested = []
        page.on("request", lambda r: requested.append(r.url))
        page.goto((out / "00-welcome.html").as_uri())
        # maths in markdown cells and in HTML outputs (the quiz) is typeset by the local MathJax
        page.wait_for_function(
            "document.querySelectorAll('.math mjx-container').length > 0", timeout=20_000
        )
        page.wait_for_function(
            "document.querySelectorAll('.calcml-static-quiz mjx-container').length > 0",
            timeout=20_000,
        )
        group = page.locator(".calcml-frames").first
        visible = group.locator(".calcml-frame:not([hidden])")
        assert visible.count() == 1  # the script shows one frame at a time
        group.locator('input[type="range"]').focus()
        page.keyboard.press("Home")
        before = group.locator(".calcml-frames-output").inner_text()
        alt_before = visible.locator("img").get_attribute("alt")
        page.keyboard.press("End")
        after = group.locator(".calcml-frames-output").inner_text()
        assert after != before and visible.count() == 1
        # the picture in view carries alt text that names its setting and ends with its readout
        alt_after = visible.locator("img").get_attribute("alt")
        readout = visible.locator(".calcml-frame-readout").inner_text()
        assert alt_after != alt_before and after in alt_after
        squeeze = lambda text: re.sub(r"[;\s]+", " ", text).strip()  # noqa: E731
        assert squeeze(alt_after).endswith(squeeze(readout))
    finally:
        page.close()
    external = [u for u in requested if not u.startswith(("file:", "data:"))]
    assert external == []


# Waits until MathJax (on pages that load it) has typeset the page; the number of formulas.
JS_MATHJAX_DONE = """() => {
  if (!document.querySelector('script[src*="mathjax"]')) return Promise.resolve(0);
  const ready = new Promise((resolve) => {
    const poll = () => (window.MathJax && MathJax.startup && MathJax.startup.promise)
      ? MathJax.startup.promise.then(resolve) : setTimeout(poll, 50);
    poll();
  });
  const late = new Promise((_, reject) => setTimeout(() => reject(new Error('MathJax')), 20000));
  return Promise.race([ready, late]).then(() => document.querySelectorAll('mjx-container').length);
}"""

# The element in focus, and whether it shows a focus indicator (an outline, or a box-shadow with
# a colour that is not transparent) once its transitions have run.
JS_FOCUS_RING = """async () => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  await Promise.all(el.getAnimations().map((a) => a.finished.catch(() => null)));
  const s = getComputedStyle(el);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
  const shadow = s.boxShadow !== 'none' && !/^rgba\\(0, 0, 0, 0\\) 0px 0px 0px 0px$/.test(s.boxShadow);
  return {what: el.tagName.toLowerCase() + '.' + String(el.className).split(' ')[0],
          ring: outline || shadow, math: el.tagName === 'MJX-CONTAINER',
          range: el.matches('input[type="range"]'), toggle: el.matches('.bd-header-article .sidebar-toggle')};
}"""


@pytest.mark.book
@pytest.mark.slow
def test_every_page_passes_axe_and_formulas_stay_out_of_the_tab_order(site, browser):
    """axe-core on every page of the site: no serious or critical violation, none excluded.

    MathJax's menu would put every formula in the tab order (``inTabOrder``, off in book/conf.py),
    so a keyboard user never reached the sliders; the theme's search button had a name that did
    not match its text (book/_templates/search-button-field.html).
    """
    sys.path.insert(0, str(REPO))  # tests/ is a namespace package under the repository root
    from tests.browser.a11y import axe_violations, describe

    out, _ = site
    pages = sorted(out.glob("*.html"))
    assert {p.stem for p in CHAPTERS} <= {p.stem for p in pages}
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    try:
        problems = []
        for path in pages:
            page.goto(path.as_uri())
            formulas = page.evaluate(JS_MATHJAX_DONE)
            if path.stem in {p.stem for p in CHAPTERS}:
                assert formulas > 0, f"{path.name}: MathJax typeset nothing"
            tabbable = page.evaluate(
                "() => document.querySelectorAll('mjx-container[tabindex]:not([tabindex=\"-1\"])').length"
            )
            assert tabbable == 0, f"{path.name}: {tabbable} formulas are in the tab order"
            found = axe_violations(page)
            if found:
                problems.append(f"{path.name}:\n{describe(found)}")
        assert not problems, "axe-core violations on the website:\n" + "\n".join(problems)
    finally:
        page.close()


@pytest.mark.book
@pytest.mark.slow
def test_keyboard_reaches_the_figures_and_every_stop_shows_its_focus(site, browser):
    """From the top of a chapter, Tab reaches the sidebar toggle (with a visible ring: the theme
    removes it, book/_static/calcml-book.css draws it again) and the first figure's slider,
    passing no formula on the way."""
    out, _ = site
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    try:
        page.goto((out / "02-derivatives.html").as_uri())
        page.evaluate(JS_MATHJAX_DONE)
        stops = []
        for _ in range(80):
            page.keyboard.press("Tab")
            stop = page.evaluate(JS_FOCUS_RING)
            if stop is None:
                continue
            stops.append(stop)
            if stop["range"]:
                break
        assert stops and stops[-1]["range"], (
            f"80 Tab presses never reached a figure's slider: {[s['what'] for s in stops]}"
        )
        assert not any(s["math"] for s in stops), "a formula is in the tab order"
        assert any(s["toggle"] for s in stops), "Tab never reached the sidebar toggle"
        unringed = [s["what"] for s in stops if not s["ring"]]
        assert not unringed, f"no visible focus indicator on: {unringed}"
    finally:
        page.close()
