// The template editor's live preview: while the operator types, the draft is posted
// (with its CSRF token) to the preview endpoint, whose answer fills the preview frame.
// Without JavaScript the Preview button does the same.
(function () {
  "use strict";
  var form = document.getElementById("co-template");
  if (!form) return;
  var button = form.querySelector("[data-preview]");
  var source = form.querySelector("textarea");
  if (!button || !source || !form.requestSubmit) return;
  var timer = null;
  function preview() {
    timer = null;
    form.requestSubmit(button);
  }
  source.addEventListener("input", function () {
    if (timer) clearTimeout(timer);
    timer = setTimeout(preview, 400);
  });
  preview();
})();
