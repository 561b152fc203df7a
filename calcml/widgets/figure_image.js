// The figure of a calcml FigureApp, as an anywidget view whose DOM the course owns.
//
// ipywidgets 8's Image renders an <img> without alt text, and its sliders are noUiSlider handles
// (role="slider") with no accessible name (ipywidgets passes no handle attributes). This view
// renders the PNG bytes as <img class="calcml-figure" alt="..."> and keeps the alt text equal to
// the model's `alt` (the app's caption and live readout). It also names the sliders of the app it
// sits in: each handle gets aria-label = the text of its slider's description label.
//
// JupyterLab binds the arrow keys (and Enter) in a notebook's command mode to moving between
// cells, and it sees a key before a drop-down or a slider acts on it: ArrowDown on a focused
// drop-down selects the next cell instead of the next option. Lumino skips its shortcuts for a
// key pressed inside an element with data-lm-suppress-shortcuts, so the app's drop-downs and
// slider handles get that attribute (only while one of them has focus are Lab's shortcuts off).

function sliderName(slider) {
  const label = slider.querySelector(".widget-label");
  const text = label ? label.textContent.replace(/\s+/g, " ").trim() : "";
  return text.replace(/[:=\s]+$/, "") || "slider";
}

function nameControls(app) {
  for (const el of app.querySelectorAll('select, [role="slider"]')) {
    if (!el.hasAttribute("data-lm-suppress-shortcuts")) {
      el.setAttribute("data-lm-suppress-shortcuts", "true");
    }
  }
  for (const slider of app.querySelectorAll(".widget-slider")) {
    const name = sliderName(slider);
    for (const handle of slider.querySelectorAll('[role="slider"]')) {
      if (handle.getAttribute("aria-label") !== name) {
        handle.setAttribute("aria-label", name);
      }
    }
  }
}

function render({ model, el }) {
  const img = document.createElement("img");
  img.className = "calcml-figure";
  img.style.maxWidth = "100%";
  img.style.height = "auto";
  el.appendChild(img);
  let url = null;

  function draw() {
    const value = model.get("value");
    const next =
      value && value.byteLength
        ? URL.createObjectURL(new Blob([value], { type: "image/png" }))
        : null;
    if (next) {
      img.src = next;
    } else {
      img.removeAttribute("src");
    }
    if (url) {
      URL.revokeObjectURL(url);
    }
    url = next;
  }
  function describe() {
    img.alt = model.get("alt") || "";
  }
  model.on("change:value", draw);
  model.on("change:alt", describe);
  draw();
  describe();

  // The sliders are sibling views, rendered in their own time (and re-rendered when a cell's
  // output is redrawn): name them once the app is in the page, and again whenever it changes.
  let observer = null;
  let tries = 0;
  let timer = null;
  function attach() {
    const app = el.closest(".calcml-app");
    if (!app) {
      if (tries++ < 100) {
        timer = setTimeout(attach, 50);
      }
      return;
    }
    nameControls(app);
    observer = new MutationObserver(() => nameControls(app));
    observer.observe(app, { childList: true, subtree: true });
  }
  attach();

  return () => {
    model.off("change:value", draw);
    model.off("change:alt", describe);
    if (observer) {
      observer.disconnect();
    }
    if (timer) {
      clearTimeout(timer);
    }
    if (url) {
      URL.revokeObjectURL(url);
    }
  };
}

export default { render };
