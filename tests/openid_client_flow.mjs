// A relying party written with node's openid-client (panva), run by
// tests/test_openid_client.py against a live Latchkey on loopback.
//
//   node openid_client_flow.mjs authorize   -> {"url", "verifier", "state", "nonce"}
//   node openid_client_flow.mjs finish      -> what the app saw, as JSON
//
// Settings come from the environment: LATCHKEY_ISSUER, CLIENT_ID, CLIENT_SECRET
// (empty for a public app), REDIRECT_URI; for `finish` also CALLBACK_URL,
// PKCE_VERIFIER, STATE, NONCE. Plain http is allowed because the server is on
// 127.0.0.1 only.
import * as client from "openid-client";

const env = process.env;

async function configuration() {
  const auth = env.CLIENT_SECRET
    ? client.ClientSecretBasic(env.CLIENT_SECRET)
    : client.None();
  return client.discovery(new URL(env.LATCHKEY_ISSUER), env.CLIENT_ID, undefined, auth, {
    execute: [client.allowInsecureRequests],
  });
}

async function authorize(config) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: env.REDIRECT_URI,
    scope: "openid email offline_access",
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce,
  });
  return { url: url.href, verifier, state, nonce };
}

function failure(error) {
  return {
    name: error.name,
    error: error.error ?? null,
    error_description: error.error_description ?? null,
    status: error.status ?? error.response?.status ?? null,
    challenge: error.cause?.[0]?.parameters?.error ?? null,
  };
}

async function attempt(step) {
  try {
    return { ok: true, value: await step() };
  } catch (error) {
    return { ok: false, failure: failure(error) };
  }
}

async function finish(config) {
  const tokens = await client.authorizationCodeGrant(config, new URL(env.CALLBACK_URL), {
    pkceCodeVerifier: env.PKCE_VERIFIER,
    expectedState: env.STATE,
    expectedNonce: env.NONCE,
    idTokenExpected: true,
  });
  const claims = tokens.claims();
  const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);

  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  const refreshedClaims = refreshed.claims();
  const refreshedInfo = await client.fetchUserInfo(config, refreshed.access_token, claims.sub);

  // The first refresh token again: a thief's replay. The whole family must end.
  const reuse = await attempt(() => client.refreshTokenGrant(config, tokens.refresh_token));
  const afterReuse = await attempt(() =>
    client.refreshTokenGrant(config, refreshed.refresh_token),
  );
  const userinfoAfterReuse = await attempt(() =>
    client.fetchUserInfo(config, refreshed.access_token, claims.sub),
  );

  // RFC 7009 through the revocation_endpoint it discovered: a dead token is answered 200.
  const revocation = await attempt(() => client.tokenRevocation(config, refreshed.refresh_token));

  return {
    sub: claims.sub,
    iss: claims.iss,
    nonce: claims.nonce,
    auth_time: claims.auth_time,
    amr: claims.amr,
    email: claims.email,
    scope: tokens.scope,
    userinfo_email: info.email,
    has_refresh_token: typeof tokens.refresh_token === "string",
    rotated: refreshed.refresh_token !== tokens.refresh_token,
    new_access_token: refreshed.access_token !== tokens.access_token,
    refreshed_userinfo_sub: refreshedInfo.sub,
    // The refreshed ID token, as openid-client validated it (iss, aud, sub, exp, iat).
    refreshed_id_token: {
      sub: refreshedClaims?.sub ?? null,
      iat: refreshedClaims?.iat ?? null,
      auth_time: refreshedClaims?.auth_time ?? null,
      amr: refreshedClaims?.amr ?? null,
      has_nonce: refreshedClaims ? "nonce" in refreshedClaims : null,
    },
    reuse: reuse.ok ? "accepted" : reuse.failure,
    after_reuse: afterReuse.ok ? "accepted" : afterReuse.failure,
    userinfo_after_reuse: userinfoAfterReuse.ok ? "accepted" : userinfoAfterReuse.failure,
    revocation: revocation.ok ? "accepted" : revocation.failure,
  };
}

const config = await configuration();
const step = process.argv[2];
const result = step === "authorize" ? await authorize(config) : await finish(config);
process.stdout.write(JSON.stringify(result) + "\n");
