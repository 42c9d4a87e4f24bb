// Auth0's Lock passwordless widget for browsers, as Lock's own CDN build publishes it
// (window.Auth0LockPasswordless, and
// window.Auth0Lock), from the npm package (CommonJS) pinned in
// package.json. Latchkey's page languages are registered here, so Lock never fetches a
// dictionary from a CDN. Built by bundles/build-lock.mjs (`make lock-bundle`).
// Lock's modules require each other in a cycle: load them in the order of Lock's own
// browser build (lib/browser.js), index first, or the passwordless class extends nothing.
var Auth0Lock = require('auth0-lock/lib/index').default;
var Auth0LockPasswordless = require('auth0-lock/lib/passwordless').default;

var dictionaries = {
  de: require('auth0-lock/lib/i18n/de').default,
  en: require('auth0-lock/lib/i18n/en').default,
  es: require('auth0-lock/lib/i18n/es').default,
  fr: require('auth0-lock/lib/i18n/fr').default,
  it: require('auth0-lock/lib/i18n/it').default,
  ja: require('auth0-lock/lib/i18n/ja').default,
  nl: require('auth0-lock/lib/i18n/nl').default,
  'pt-br': require('auth0-lock/lib/i18n/pt-br').default
};

window.Auth0Lock = Auth0Lock;
window.Auth0LockPasswordless = Auth0LockPasswordless;
Object.keys(dictionaries).forEach(function (language) {
  window.Auth0.registerLanguageDictionary(language, dictionaries[language]);
});

// Latchkey's one addition, for a hosted page served over plain http (development):
// auth0.js makes a bare `domain` https://domain, and knows it is on the hosted page
// only when `domain` is the page's host. LatchkeyLock.useOrigin(lock, origin) points
// the auth0.js client of a Lock built with the page's host at the page's own origin.
var webApi = require('auth0-lock/lib/core/web_api').default;
window.LatchkeyLock = {
  useOrigin: function (lock, origin) {
    webApi.clients[lock.id].client.baseOptions.rootUrl = origin;
  }
};
