// The delivery line on the code and link-waiting pages (templates/login/_delivery.html):
// asks the JSON status endpoint while the message may still change, updates the
// line in place (its aria-live region announces it), and reloads the page once the
// message failed so that the page offers its choices (try again, the other way).
(function () {
  "use strict";
  var box = document.getElementById("lk-delivery");
  if (!box || !window.fetch) { return; }
  var text = document.getElementById("lk-delivery-text");
  var url = box.getAttribute("data-url");
  var state = box.getAttribute("data-state");
  var delay = 1500;

  function show(answer) {
    if (answer.state === state) { return; }
    if (answer.state === "failed") { window.location.reload(); return; }
    box.classList.remove("lk-delivery--" + state);
    state = answer.state;
    box.classList.add("lk-delivery--" + state);
    box.setAttribute("data-state", state);
    text.textContent = answer.line;
  }

  function poll() {
    fetch(url, {headers: {"Accept": "application/json"}, cache: "no-store", credentials: "same-origin"})
      .then(function (response) {
        if (response.status === 404) { return {state: "ended"}; }
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (answer) {
        if (answer.state === "ended") { return; }  // the sign-in ended: nothing to tell
        show(answer);
        if (state !== "sent" && state !== "failed") { window.setTimeout(poll, delay); }
      })
      .catch(function () {
        delay = Math.min(delay * 2, 15000);
        window.setTimeout(poll, delay);
      });
  }
  window.setTimeout(poll, delay);
})();
