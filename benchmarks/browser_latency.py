"""Key press on a slider → changed pixels of the figure, in JupyterLab in headless Chromium.

Opens the derivatives chapter in a real JupyterLab, runs it, focuses a slider of the
secant-to-tangent demo and presses an arrow key N times. In the page, a capture-phase keydown
listener stamps the key press; a MutationObserver on the figure's <img src> waits for the new
image to decode and for the next two animation frames (the frame that shows it), then stamps
that. Prints the median and 95th percentile of the differences.

    python benchmarks/browser_latency.py [--presses 15] [--chapter 02-derivatives.ipynb]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.browser.lab import (  # noqa: E402
    JS_NOTEBOOK_STATE,
    LabServer,
    chromium_browser,
    make_scratch_course,
)

JS_INSTALL_PROBE = """(app) => {
  const img = app.querySelector('.calcml-figure');
  window.__latencies = [];
  window.__keyTime = null;
  document.addEventListener('keydown', () => { window.__keyTime = performance.now(); }, true);
  new MutationObserver(async () => {
    const pressed = window.__keyTime;
    if (pressed === null) return;
    window.__keyTime = null;
    try { await img.decode(); } catch (e) {}
    requestAnimationFrame(() => requestAnimationFrame(() => {
      window.__latencies.push(performance.now() - pressed);
    }));
  }).observe(img, {attributes: true, attributeFilter: ['src']});
}"""


def wait_until(page, predicate, timeout_s: float, what: str):
    deadline_ms = timeout_s * 1000
    waited = 0
    while waited < deadline_ms:
        state = page.evaluate(JS_NOTEBOOK_STATE)
        if predicate(state):
            return state
        page.wait_for_timeout(200)
        waited += 200
    raise SystemExit(f"timed out waiting for {what}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--presses", type=int, default=15)
    parser.add_argument("--chapter", default="02-derivatives.ipynb")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="browser-latency-") as tmp:
        scratch = Path(tmp)
        root = make_scratch_course(scratch, folders=("course",))
        server = LabServer(root, scratch)
        server.start()
        try:
            with chromium_browser() as browser:
                page = browser.new_page(viewport={"width": 1280, "height": 1000})
                page.goto(server.url(f"course/{args.chapter}"))
                wait_until(
                    page, lambda s: s.get("ready") and s.get("status") == "idle", 90, "the kernel"
                )
                page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
                wait_until(
                    page,
                    lambda s: (
                        s.get("status") == "idle" and s["pending"] == 0 and s["unexecuted"] == 0
                    ),
                    180,
                    "Run All",
                )
                app = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .calcml-app").first
                app.scroll_into_view_if_needed()
                app.evaluate(JS_INSTALL_PROBE)
                # the last slider of the demo is the finest control; fall back to the first
                handle = app.locator(".widget-slider .noUi-handle").first
                handle.click()
                page.wait_for_timeout(500)
                page.evaluate("() => { window.__latencies = []; }")
                for i in range(args.presses):
                    before = page.evaluate("() => window.__latencies.length")
                    handle.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
                    page.wait_for_function(
                        "(n) => window.__latencies.length > n", arg=before, timeout=10_000
                    )
                latencies = page.evaluate("() => window.__latencies")
        finally:
            server.stop()

    median = statistics.median(latencies)
    p95 = sorted(latencies)[max(0, int(round(0.95 * len(latencies))) - 1)]
    print(f"secant demo, key press -> changed pixels over {len(latencies)} presses:")
    print(
        f"  median {median:.1f} ms   p95 {p95:.1f} ms   min {min(latencies):.1f} ms   max {max(latencies):.1f} ms"
    )
    print(f"  target: median <= 100 ms -> {'met' if median <= 100 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
