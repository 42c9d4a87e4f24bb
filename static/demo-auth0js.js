// The demo's "auth0.js embedded" page (templates/demo/auth0js.html): an app's own
// sign-in form on auth0.js. passwordlessStart asks Latchkey for a code;
// passwordlessLogin checks it at /co/authenticate and sends the browser to
// /authorize?login_ticket=…, which comes back here with a code that this script
// trades for tokens (PKCE), as a single-page app does.
(function () {
  "use strict";
  var root = document.getElementById("demo-a0");
  if (!root || typeof auth0 === "undefined") {
    return;
  }
  var data = root.dataset;
  // A full URL as domain: auth0.js then calls it as written (http in development).
  var webAuth = new auth0.WebAuth({
    domain: data.domain,
    clientID: data.clientId,
    redirectUri: data.callback,
    responseType: "code",
    scope: "openid email phone"
  });
  var start = document.getElementById("demo-a0-start");
  var verify = document.getElementById("demo-a0-verify");
  var email = document.getElementById("demo-a0-email");
  var errorBand = document.getElementById("demo-a0-error");

  function say(err) {
    errorBand.textContent = err ? (err.description || err.code || String(err)) : "";
    errorBand.hidden = !err;
  }

  function base64url(bytes) {
    var text = "";
    bytes.forEach(function (b) { text += String.fromCharCode(b); });
    return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function pkce() {
    var verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
    return crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)).then(function (d) {
      return { verifier: verifier, challenge: base64url(new Uint8Array(d)) };
    });
  }

  start.addEventListener("submit", function (event) {
    event.preventDefault();
    say(null);
    webAuth.passwordlessStart(
      { connection: "email", send: "code", email: email.value.trim() },
      function (err) {
        say(err);
        if (!err) {
          start.hidden = true;
          verify.hidden = false;
          document.getElementById("demo-a0-code").focus();
        }
      }
    );
  });

  verify.addEventListener("submit", function (event) {
    event.preventDefault();
    say(null);
    pkce().then(function (pair) {
      var state = base64url(crypto.getRandomValues(new Uint8Array(16)));
      sessionStorage.setItem("demo-a0", JSON.stringify({ verifier: pair.verifier, state: state }));
      webAuth.passwordlessLogin({
        connection: "email",
        email: email.value.trim(),
        verificationCode: document.getElementById("demo-a0-code").value.trim(),
        state: state,
        codeChallenge: pair.challenge,
        codeChallengeMethod: "S256"
      }, say);
    });
  });

  var back = new URLSearchParams(window.location.search);
  if (back.get("error")) {
    say({ description: back.get("error_description") || back.get("error") });
  }
  if (!back.get("code")) {
    return;
  }
  var kept = JSON.parse(sessionStorage.getItem("demo-a0") || "{}");
  sessionStorage.removeItem("demo-a0");
  window.history.replaceState(null, "", window.location.pathname);
  if (!kept.state || kept.state !== back.get("state")) {
    say({ description: "state mismatch" });
    return;
  }
  fetch(data.tokenUrl, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: back.get("code"),
      redirect_uri: data.callback,
      client_id: data.clientId,
      code_verifier: kept.verifier
    })
  }).then(function (response) {
    return response.json();
  }).then(function (tokens) {
    if (!tokens.id_token) {
      say({ description: tokens.error_description || tokens.error });
      return;
    }
    var payload = tokens.id_token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    var claims = JSON.parse(decodeURIComponent(escape(atob(payload))));
    start.hidden = true;
    document.getElementById("demo-a0-claims").textContent = JSON.stringify(claims, null, 2);
    document.getElementById("demo-a0-done").hidden = false;
  });
})();
