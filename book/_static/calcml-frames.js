// Precomputed frames of the course's interactive figures: a range input shows one frame at a time.
// Without JavaScript every frame stays visible as a captioned strip.
(function () {
  "use strict";
  function setUp(group) {
    var input = group.querySelector('input[type="range"]');
    var output = group.querySelector(".calcml-frames-output");
    var frames = group.querySelectorAll(".calcml-frame");
    if (!input || frames.length === 0) {
      return;
    }
    function show() {
      var index = parseInt(input.value, 10);
      for (var i = 0; i < frames.length; i++) {
        var active = i === index;
        frames[i].hidden = !active;
        frames[i].classList.toggle("calcml-frame-active", active);
        if (active && output) {
          output.textContent = frames[i].getAttribute("data-label");
        }
      }
    }
    group.classList.add("calcml-frames-live");
    input.addEventListener("input", show);
    show();
  }
  function init() {
    var groups = document.querySelectorAll(".calcml-frames");
    for (var i = 0; i < groups.length; i++) {
      setUp(groups[i]);
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
