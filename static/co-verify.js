// Cross-origin authentication fallback (templates/co_verify.html): the app's page in
// the frame runs auth0.js's crossOriginVerification(); it says "ready", we ask for the
// co_verifier of this sign-in (co_id), it answers, and the form posts the answer.
(function () {
  "use strict";
  var form = document.getElementById("lk-co-verify");
  var frame = document.getElementById("lk-co-frame");
  if (!form || !frame) {
    return;
  }
  var origin = form.getAttribute("data-frame-origin");
  var sent = false;
  function post(verifier) {
    if (sent) {
      return;
    }
    sent = true;
    form.elements.co_verifier.value = verifier || "";
    form.submit();
  }
  window.addEventListener("message", function (event) {
    if (event.origin !== origin || event.source !== frame.contentWindow || !event.data) {
      return;
    }
    if (event.data.type === "ready") {
      frame.contentWindow.postMessage(
        { type: "co_verifier_request", request: { id: form.getAttribute("data-co-id") } },
        origin
      );
    } else if (event.data.type === "co_verifier_response") {
      post(event.data.response && event.data.response.verifier);
    }
  });
  // Load the app's page only now that its "ready" cannot be missed.
  frame.src = frame.getAttribute("data-src");
  // An app page that never answers: go on without a verifier (the app hears why).
  window.setTimeout(function () { post(""); }, 30000);
})();
