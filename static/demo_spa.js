// The SPA demo (/demo/spa/, templates/demo/spa.html): auth0-spa-js pointed at Latchkey.
// Settings come from the page's data attributes; nothing here holds a secret.
(function () {
  "use strict";

  var root = document.getElementById("spa");
  var settings = root.dataset;
  var spa = new auth0.Auth0Client({
    domain: settings.domain,
    clientId: settings.clientId,
    authorizationParams: { redirect_uri: settings.page, scope: "openid email phone" },
    useRefreshTokens: true,
    useRefreshTokensFallback: true,
    workerUrl: settings.workerUrl,
  });

  function byId(id) {
    return document.getElementById(id);
  }

  function show(state) {
    ["checking", "signed-out", "signed-in"].forEach(function (name) {
      byId("spa-" + name).hidden = name !== state;
    });
    byId("spa-logout").hidden = state !== "signed-in";
  }

  function fail(error) {
    var box = byId("spa-error");
    box.textContent = (error && (error.error_description || error.message)) || String(error);
    box.hidden = false;
  }

  function claimRow(name, value) {
    var row = document.createElement("tr");
    var head = document.createElement("th");
    var cell = document.createElement("td");
    var key = document.createElement("code");
    var text = document.createElement("code");
    head.scope = "row";
    key.textContent = name;
    text.textContent = typeof value === "string" ? value : JSON.stringify(value);
    head.appendChild(key);
    cell.appendChild(text);
    row.appendChild(head);
    row.appendChild(cell);
    return row;
  }

  async function showUser() {
    var claims = await spa.getIdTokenClaims();
    if (!claims) {
      show("signed-out");
      return;
    }
    var who = claims.email || claims.phone_number || claims.sub;
    byId("spa-title-in").textContent = settings.signedInAs.replace("{who}", who);
    var body = byId("spa-claims");
    body.textContent = "";
    Object.keys(claims)
      .filter(function (name) {
        return name !== "__raw";
      })
      .sort()
      .forEach(function (name) {
        body.appendChild(claimRow(name, claims[name]));
      });
    show("signed-in");
  }

  async function start() {
    var query = new URLSearchParams(window.location.search);
    if (query.has("state") && (query.has("code") || query.has("error"))) {
      try {
        await spa.handleRedirectCallback();
      } catch (error) {
        fail(error);
      }
      window.history.replaceState({}, document.title, settings.page);
    } else {
      await spa.checkSession();
    }
    await showUser();
  }

  byId("spa-login").addEventListener("click", function () {
    spa.loginWithRedirect().catch(fail);
  });
  byId("spa-logout").addEventListener("click", function () {
    spa.logout({ logoutParams: { returnTo: settings.page } });
  });
  byId("spa-token").addEventListener("click", function () {
    spa
      .getTokenSilently({ cacheMode: "off" })
      .then(function () {
        var time = new Date().toLocaleTimeString();
        byId("spa-token-status").textContent = settings.freshToken.replace("{time}", time);
      })
      .catch(fail);
  });

  start().catch(function (error) {
    fail(error);
    show("signed-out");
  });
})();
