"""Accessibility checks in a real browser: axe-core, and the keyboard as the chapters describe it.

axe-core comes from npm (`make a11y-deps`, which `make test` runs) into ``tests/node_modules``,
ignored by git, and is injected into the page by playwright. :func:`axe_violations` returns the
serious and critical violations that are left after :data:`LAB_CHROME` has removed the ones in
JupyterLab's own interface, which the course cannot change. An exclusion names one axe rule and a
CSS selector of Lab's interface; none may match anything inside a cell's output, which is the
course's (:func:`axe_violations` checks that too).
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
AXE_JS = REPO / "tests" / "node_modules" / "axe-core" / "axe.min.js"
SERIOUS = ("serious", "critical")

#: axe rule -> selector of JupyterLab's own interface (4.x) whose violations of that rule are
#: excluded, with the reason. Outputs (``.jp-OutputArea-output``) are never excluded.
LAB_CHROME = {
    # Lab's toolbar buttons (<jp-button>, a toolkit custom element, nbgrader's Validate button
    # included) carry aria-pressed without the toggle-button role axe expects.
    "aria-allowed-attr": "jp-button.jp-ToolbarButtonComponent",
    # The notebook is a role="feed" whose children are cells without role="article".
    "aria-required-children": ".jp-WindowedPanel-viewport[role='feed']",
    # The collapse button Lab draws beside every markdown heading has no text or label.
    "button-name": "button.jp-collapseHeadingButton",
    # The code editor of each cell (CodeMirror's role="textbox") has no accessible name.
    "aria-input-field-name": ".jp-Cell-inputArea .cm-content[role='textbox']",
}

JS_AXE = """async ([rules, impacts]) => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  const out = [];
  for (const v of result.violations) {
    if (!impacts.includes(v.impact)) continue;
    const chrome = rules[v.id];
    for (const node of v.nodes) {
      let el = null;
      try { el = document.querySelector(node.target[node.target.length - 1]); } catch (e) {}
      const inOutput = !!(el && el.closest('.jp-OutputArea-output'));
      if (chrome && el && !inOutput && el.matches(chrome)) continue;
      out.push({rule: v.id, impact: v.impact, help: v.help, target: node.target.join(' '),
                html: node.html.slice(0, 300), inOutput});
    }
  }
  return out;
}"""


def axe_source() -> str:
    if not AXE_JS.is_file():
        raise AssertionError(
            f"axe-core is not installed ({AXE_JS.relative_to(REPO)} is missing): run `make a11y-deps`"
        )
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(page, exclusions: dict[str, str] | None = None) -> list[dict]:
    """Serious and critical axe-core violations on ``page``, one dict per offending element."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(content=axe_source())
    return page.evaluate(JS_AXE, [exclusions or {}, list(SERIOUS)])


def describe(violations: list[dict]) -> str:
    return "\n".join(
        f"  {v['impact']} {v['rule']} ({v['help']}): {v['target']}\n    {v['html'][:200]}"
        for v in violations
    )


# --- the keyboard ----------------------------------------------------------------------------

# Marks every keyboard control of one app with data-a11y-control="<index>" in DOM order and says
# what kind it is.
JS_MARK_CONTROLS = """(app) => {
  const box = app.querySelector('.calcml-controls');
  const found = box.querySelectorAll('[role="slider"], button, select, input, textarea');
  const controls = [];
  found.forEach((el, i) => {
    el.setAttribute('data-a11y-control', String(i));
    let kind = el.tagName.toLowerCase();
    if (el.getAttribute('role') === 'slider') kind = 'slider';
    else if (kind === 'button' && el.closest('.widget-toggle-buttons')) kind = 'toggle';
    controls.push({index: i, kind, name: el.getAttribute('aria-label') || el.textContent.trim(),
                   disabled: !!el.disabled});
  });
  return controls;
}"""

JS_FOCUSED_CONTROL = """() => {
  const el = document.activeElement;
  const i = el && el.getAttribute('data-a11y-control');
  return i === null || i === undefined ? null : Number(i);
}"""


def mark_controls(app) -> list[dict]:
    return app.evaluate(JS_MARK_CONTROLS)


def control(app, index: int):
    return app.locator(f'[data-a11y-control="{index}"]')


def readout_text(app) -> str:
    return app.locator(".calcml-readout").inner_text()


def wait_for_readout_change(page, app, before: str, timeout: float = 5000) -> str:
    page.wait_for_function(
        "([app, text]) => app.querySelector('.calcml-readout').innerText !== text",
        arg=[app.element_handle(), before],
        timeout=timeout,
    )
    return readout_text(app)
