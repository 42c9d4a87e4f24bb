// The auth0js-custom theme's page logic: a custom UI on auth0.js, as an Auth0
// "Universal Login + Custom UI" passwordless page is written. `config` is what the
// server injected (templates/login/_auth0js_page.html); the words shown are the
// page's data-msg-* attributes, in the page's language.
(function () {
  "use strict";
  var root = document.getElementById("lk-a0");
  if (!root || typeof auth0 === "undefined" || typeof config === "undefined") {
    return;
  }
  var connection = root.getAttribute("data-connection");
  var send = (config.passwordless && config.passwordless[connection]) || "code";
  var params = Object.assign(
    {
      overrides: {
        __tenant: config.auth0Tenant,
        __token_issuer: config.authorizationServer.issuer
      },
      domain: config.auth0Domain,
      clientID: config.clientID,
      redirectUri: config.callbackURL,
      responseType: "code"
    },
    config.internalOptions
  );
  var webAuth = new auth0.WebAuth(params);
  if (window.location.protocol === "http:") {
    // Development over plain http (`make run`): auth0.js assumes https://<domain>.
    webAuth.baseOptions.rootUrl = window.location.origin;
  }

  var start = document.getElementById("lk-a0-start");
  var verify = document.getElementById("lk-a0-verify");
  var linkSent = document.getElementById("lk-a0-link-sent");
  var address = document.getElementById("lk-a0-address");
  var code = document.getElementById("lk-a0-code");
  var errorBand = document.getElementById("lk-error");
  var typed = "";

  function show(step) {
    [start, verify, linkSent].forEach(function (each) {
      each.hidden = each !== step;
    });
  }

  function say(message) {
    errorBand.textContent = message || "";
    errorBand.hidden = !message;
  }

  function words(err, step) {
    var kind = err && err.code;
    if (kind === "too_many_requests") {
      return root.getAttribute("data-msg-wait");
    }
    if (step === "start" && (kind === "bad.email" || kind === "bad.phone_number")) {
      return root.getAttribute("data-msg-bad-address");
    }
    if (step === "verify" && kind === "unauthorized") {
      return root.getAttribute("data-msg-refused");
    }
    if (step === "verify" && (kind === "invalid_grant" || kind === "access_denied")) {
      return root.getAttribute("data-msg-wrong-code");
    }
    return root.getAttribute("data-msg-failed");
  }

  function busy(form, on) {
    var button = form.querySelector("button[type=submit]");
    if (button) {
      button.disabled = on;
    }
  }

  function who() {
    return connection === "sms" ? { phoneNumber: typed } : { email: typed };
  }

  start.addEventListener("submit", function (event) {
    event.preventDefault();
    typed = address.value.trim();
    if (!typed) {
      say(root.getAttribute("data-msg-bad-address"));
      return;
    }
    say("");
    busy(start, true);
    var options = Object.assign({ connection: connection, send: send }, who());
    webAuth.passwordlessStart(options, function (err) {
      busy(start, false);
      if (err) {
        say(words(err, "start"));
        return;
      }
      if (send === "link") {
        document.getElementById("lk-a0-link-recipient").textContent = typed;
        show(linkSent);
        return;
      }
      document.getElementById("lk-a0-recipient").textContent = typed;
      show(verify);
      code.value = "";
      code.focus();
    });
  });

  verify.addEventListener("submit", function (event) {
    event.preventDefault();
    say("");
    busy(verify, true);
    var options = Object.assign(
      { connection: connection, verificationCode: code.value.replace(/\s+/g, "") },
      who()
    );
    // On success auth0.js sends the browser to /passwordless/verify_redirect.
    webAuth.passwordlessLogin(options, function (err) {
      busy(verify, false);
      say(words(err, "verify"));
      code.select();
    });
  });

  document.getElementById("lk-a0-back").addEventListener("click", function () {
    say("");
    show(start);
    address.focus();
  });
})();
