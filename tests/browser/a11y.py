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
    else if (kind === 'input' && el.type === 'checkbox') kind = 'checkbox';
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


def figure_src(app) -> str | None:
    return app.locator(".calcml-figure").first.get_attribute("src")


def wait_for_figure_or_readout_change(page, app, readout: str, src, timeout: float = 5000):
    """Wait until the readout or the picture has changed (a control may change only one)."""
    page.wait_for_function(
        "([app, text, src]) => app.querySelector('.calcml-readout').innerText !== text"
        " || app.querySelector('.calcml-figure').getAttribute('src') !== src",
        arg=[app.element_handle(), readout, src],
        timeout=timeout,
    )


# [value, min, max] of a slider handle, from noUiSlider itself (its aria-valuenow, -min and -max
# are rounded to one decimal).
JS_SLIDER_STATE = """(el) => {
  const api = el.closest('.noUi-target').noUiSlider;
  return [Number(api.get(true)), Number(api.options.range.min), Number(api.options.range.max)];
}"""

JS_FOCUS_IS_SLIDER_NUMBER = """(app) => {
  const el = document.activeElement;
  return !!(el && app.contains(el) && el.classList.contains('widget-readout'));
}"""


def _tab(page, app, key: str) -> int | None:
    """Press ``key`` (Tab or Shift+Tab), stepping over a slider's number box; the control now in focus."""
    page.keyboard.press(key)
    if app.evaluate(JS_FOCUS_IS_SLIDER_NUMBER):
        page.keyboard.press(key)
    return page.evaluate(JS_FOCUSED_CONTROL)


def check_keyboard(page, app, where: str) -> list[str]:
    """Drive the controls of one FigureApp from the keyboard, as the chapters' help text says.

    ``Tab`` visits every control; the keys of each kind are pressed on one control of that kind
    (every control of a kind is the same ipywidgets view, and each key press costs a redraw in the
    kernel, so this keeps the test short):

    * ``Tab`` reaches the controls in order (a slider's number box is a stop of its own), and
      ``Shift+Tab`` goes back;
    * a slider: ``End`` and ``Home`` take it to its ends, an arrow key moves it one step;
    * a drop-down: an arrow key changes the choice, and the readout follows;
    * a row of toggle buttons: ``Space`` on a button that is not picked picks it, the readout follows;
    * a button: ``Space`` presses it, and the readout changes;
    * a check box: ``Space`` ticks or clears it, and the figure or the readout follows.

    Returns what was checked, one line each; raises AssertionError on the first claim that fails.
    """
    controls = [c for c in mark_controls(app) if not c["disabled"]]
    assert controls, f"{where}: no keyboard control"
    done = []
    control(app, controls[0]["index"]).focus()
    for previous, expected in zip(controls, controls[1:], strict=False):
        got = _tab(page, app, "Tab")
        assert got == expected["index"], (
            f"{where}: Tab from control {previous['index']} ({previous['kind']} "
            f"{previous['name']!r}) went to {got}, not to {expected['index']} ({expected['name']!r})"
        )
    if len(controls) > 1:
        got = _tab(page, app, "Shift+Tab")
        assert got == controls[-2]["index"], f"{where}: Shift+Tab went to {got}"
    done.append(f"Tab/Shift+Tab through {len(controls)} controls")

    kinds = {c["kind"] for c in controls}

    def first(kind: str) -> list[dict]:
        return [c for c in controls if c["kind"] == kind][:1]

    for item in first("slider"):
        handle = control(app, item["index"])
        handle.focus()
        page.keyboard.press("End")
        now, low, high = handle.evaluate(JS_SLIDER_STATE)
        assert abs(now - high) < 1e-9, (
            f"{where}: End on slider {item['name']!r} gave {now}, not {high}"
        )
        page.keyboard.press("Home")
        now, low, high = handle.evaluate(JS_SLIDER_STATE)
        assert abs(now - low) < 1e-9, (
            f"{where}: Home on slider {item['name']!r} gave {now}, not {low}"
        )
        page.keyboard.press("ArrowRight")
        step, _, _ = handle.evaluate(JS_SLIDER_STATE)
        assert low < step < high, f"{where}: ArrowRight on slider {item['name']!r}: {low} -> {step}"
        done.append(f"slider {item['name']!r}: End, Home, ArrowRight")
    for item in first("select"):
        select = control(app, item["index"])
        select.focus()
        before, at_end = select.evaluate(
            "(s) => [s.value, s.selectedIndex === s.options.length - 1]"
        )
        settled = wait_for_quiet(page, app)
        key = "ArrowUp" if at_end else "ArrowDown"
        page.keyboard.press(key)
        after = select.evaluate("(s) => s.value")
        assert after != before, (
            f"{where}: {key} on drop-down {item['name']!r} left it at {before!r}"
        )
        wait_for_readout_change(page, app, settled)
        done.append(f"drop-down {item['name'][:30]!r}: {key}")
    toggles = [
        c
        for c in controls
        if c["kind"] == "toggle"
        and "mod-active" not in (control(app, c["index"]).get_attribute("class") or "")
    ]
    for item in toggles[:1]:
        button = control(app, item["index"])
        settled = wait_for_quiet(page, app)
        button.focus()
        page.keyboard.press("Space")
        assert "mod-active" in (button.get_attribute("class") or ""), (
            f"{where}: Space did not pick toggle button {item['name']!r}"
        )
        wait_for_readout_change(page, app, settled)
        done.append(f"toggle button {item['name']!r}: Space")
    # the last button (a "previous" button may do nothing until "next" has been pressed)
    for item in [c for c in controls if c["kind"] == "button"][-1:]:
        settled = wait_for_quiet(page, app)
        control(app, item["index"]).focus()
        page.keyboard.press("Space")
        wait_for_readout_change(page, app, settled)
        done.append(f"button {item['name']!r}: Space")
    for item in first("checkbox"):
        box = control(app, item["index"])
        settled = wait_for_quiet(page, app)
        src = figure_src(app)
        was = box.is_checked()
        box.focus()
        page.keyboard.press("Space")
        assert box.is_checked() != was, f"{where}: Space did not change check box {item['name']!r}"
        wait_for_figure_or_readout_change(page, app, settled, src)
        done.append(f"check box {item['name']!r}: Space")
    final = wait_for_quiet(page, app)
    assert "hit an error" not in final, f"{where}: after the keyboard checks: {final[:500]}"
    assert kinds <= {"slider", "select", "toggle", "button", "checkbox"}, (
        f"{where}: controls of a kind whose keys are not checked: {kinds}"
    )
    return done


def wait_for_quiet(page, app, quiet_ms: int = 300, timeout: float = 15_000) -> str:
    """The readout once it has stopped changing for ``quiet_ms`` (queued updates have landed)."""
    return page.evaluate(
        """([app, quiet, timeout]) => new Promise((resolve, reject) => {
          const node = app.querySelector('.calcml-readout');
          let last = node.innerText, since = performance.now();
          const start = since;
          const tick = () => {
            const now = node.innerText;
            if (now !== last) { last = now; since = performance.now(); }
            if (performance.now() - since >= quiet) return resolve(now);
            if (performance.now() - start > timeout) return reject(new Error('readout never settled'));
            setTimeout(tick, 50);
          };
          tick();
        })""",
        [app.element_handle(), quiet_ms, timeout],
    )
