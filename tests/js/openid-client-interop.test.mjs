// Interop the other way round: the npm `openid-client` package (6.9.0, a certified RP built on
// oauth4webapi) completes code + PKCE, refresh, UserInfo and client credentials against our dev
// OpenID Provider, the Rust binary `oidckit-server` (issue 4), started by
// tests/js/devserver/server.mjs on 127.0.0.1 port 0 with in-memory state.
//
// A test skips (saying why) only when the server answers that the endpoint or grant does not
// exist (`404 not_found`, `unsupported_grant_type`).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';

import * as oc from 'openid-client';

import { startServer, REDIRECT_URI, POST_LOGOUT_REDIRECT_URI, SECRETS } from './devserver/server.mjs';

const TIMEOUT = 60_000;

let srv;
let issuer;

before(async () => {
  srv = await startServer({ scenarios: [] });
  issuer = srv.issuer;
}, { timeout: TIMEOUT });

after(async () => {
  await srv?.stop();
}, { timeout: TIMEOUT });

/** openid-client over plain http on loopback: opted in with allowInsecureRequests. */
async function configFor(clientId, clientAuth, metadata = {}) {
  return oc.discovery(new URL(issuer), clientId, { redirect_uris: [REDIRECT_URI], ...metadata }, clientAuth, {
    execute: [oc.allowInsecureRequests],
    timeout: 15,
  });
}

const existsCache = new Map();
async function exists(path, method = 'GET') {
  const k = `${method} ${path}`;
  if (!existsCache.has(k)) {
    const res = await fetch(`${issuer}${path}`, {
      method, redirect: 'manual', signal: AbortSignal.timeout(15_000),
      ...(method === 'POST' ? { headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: '' } : {}),
    });
    const text = await res.text();
    let notFound = false;
    if (res.status === 404) {
      try { notFound = JSON.parse(text).error === 'not_found'; } catch { notFound = text === ''; }
    }
    existsCache.set(k, !notFound);
  }
  return existsCache.get(k);
}

async function need(t, ...endpoints) {
  for (const e of endpoints) {
    const [method, path] = e.includes(' ') ? e.split(' ') : ['GET', e];
    if (!(await exists(path, method))) {
      t.skip(`the server does not implement ${method} ${path} (404 not_found)`);
      return false;
    }
  }
  return true;
}

const FLOW = ['/authorize', 'POST /token'];

/** buildAuthorizationUrl → the server's login and consent pages → authorizationCodeGrant with PKCE. */
async function codeFlow(config, { scope = 'openid offline_access profile email', extra = {}, user } = {}) {
  const codeVerifier = oc.randomPKCECodeVerifier();
  const codeChallenge = await oc.calculatePKCECodeChallenge(codeVerifier);
  const state = oc.randomState();
  const nonce = oc.randomNonce();
  const url = oc.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope,
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  const cb = await srv.login(url, user ? { user } : {});
  let current;
  if (cb.type === 'form_post') {
    current = new Request(cb.action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: cb.body });
  } else {
    current = new URL(cb.url);
  }
  const tokens = await oc.authorizationCodeGrant(config, current, {
    pkceCodeVerifier: codeVerifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: scope.split(' ').includes('openid'),
  });
  return { tokens, url, callback: cb, nonce, state };
}

describe('openid-client 6.9.0 against oidckit-server', { timeout: TIMEOUT }, () => {
  test('discovery: openid-client accepts the metadata (issuer, endpoints, RFC 9207 support)', async () => {
    const config = await configFor('spa', oc.None());
    const m = config.serverMetadata();
    assert.equal(m.issuer, issuer);
    assert.equal(m.token_endpoint, `${issuer}/token`);
    assert.equal(m.authorization_response_iss_parameter_supported, true);
    assert.ok(m.supportsPKCE('S256'));
  });

  test('code + PKCE (public client), refresh with rotation, UserInfo', async (t) => {
    if (!(await need(t, ...FLOW))) return;
    const config = await configFor('spa', oc.None());
    const { tokens, url, nonce } = await codeFlow(config);
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    const claims = tokens.claims();
    assert.equal(claims.iss, issuer);
    assert.equal(claims.sub, 'alice');
    assert.equal(claims.aud, 'spa');
    assert.equal(claims.nonce, nonce);
    assert.ok(tokens.access_token);
    assert.ok(tokens.refresh_token, 'offline_access gave a refresh token');
    assert.equal(tokens.token_type.toLowerCase(), 'bearer');
    assert.ok(tokens.expiresIn() > 0);

    if (await exists('/userinfo')) {
      const info = await oc.fetchUserInfo(config, tokens.access_token, claims.sub);
      assert.equal(info.sub, 'alice');
      assert.equal(info.email, 'alice@example.com');
      assert.equal(info.name, 'Alice Liddell');
    } else {
      t.diagnostic('UserInfo skipped: GET /userinfo answers 404 not_found');
    }

    const refreshed = await oc.refreshTokenGrant(config, tokens.refresh_token);
    assert.ok(refreshed.access_token);
    assert.notEqual(refreshed.access_token, tokens.access_token);
    assert.ok(refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token, 'rotated for a public client');
    if (refreshed.id_token) {
      assert.equal(refreshed.claims().sub, 'alice');
      assert.equal(refreshed.claims().iss, issuer);
    }
    await assert.rejects(oc.refreshTokenGrant(config, tokens.refresh_token), (e) => {
      assert.ok(e instanceof oc.ResponseBodyError, `${e?.name}: ${e?.message}`);
      assert.equal(e.error, 'invalid_grant');
      return true;
    });
  });

  test('code + PKCE with a confidential client (client_secret_basic) and response_mode=form_post', async (t) => {
    if (!(await need(t, ...FLOW))) return;
    const config = await configFor('web-basic', oc.ClientSecretBasic(SECRETS['web-basic']));
    const { tokens } = await codeFlow(config, { scope: 'openid email', extra: { response_mode: 'form_post' } });
    assert.equal(tokens.claims().sub, 'alice');
    assert.equal(tokens.claims().aud, 'web-basic');
  });

  test('UserInfo for another user (bob) fails openid-client\'s expectedSubject check', async (t) => {
    if (!(await need(t, ...FLOW, '/userinfo'))) return;
    const config = await configFor('spa', oc.None());
    const { tokens } = await codeFlow(config, { scope: 'openid email', user: 'bob' });
    assert.equal(tokens.claims().sub, 'bob');
    await assert.rejects(oc.fetchUserInfo(config, tokens.access_token, 'alice'), (e) => {
      assert.equal(e.code, 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED', `${e.code}: ${e.message}`);
      if (e.cause?.attribute !== undefined) assert.equal(e.cause.attribute, 'sub');
      return true;
    });
  });

  test('client credentials with client_secret_basic and client_secret_post', async (t) => {
    if (!(await need(t, 'POST /token'))) return;
    for (const [id, auth] of [
      ['web-basic', oc.ClientSecretBasic(SECRETS['web-basic'])],
      ['web-post', oc.ClientSecretPost(SECRETS['web-post'])],
    ]) {
      const config = await configFor(id, auth);
      const tokens = await oc.clientCredentialsGrant(config, { scope: 'api:read' });
      assert.ok(tokens.access_token, id);
      assert.equal(tokens.token_type.toLowerCase(), 'bearer');
      assert.equal(tokens.refresh_token, undefined);
    }
  });

  test('client credentials with private_key_jwt (RS256): PEM-registered key, and JWKS-registered key with kid', async (t) => {
    if (!(await need(t, 'POST /token'))) return;
    const key = await crypto.webcrypto.subtle.importKey(
      'pkcs8',
      crypto.createPrivateKey(srv.backend.pkcs8).export({ type: 'pkcs8', format: 'der' }),
      { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      false,
      ['sign'],
    );
    for (const [id, auth] of [
      ['backend', oc.PrivateKeyJwt(key)],
      ['backend-jwks', oc.PrivateKeyJwt({ key, kid: srv.backend.kid })],
    ]) {
      const config = await configFor(id, auth, { redirect_uris: [] });
      const tokens = await oc.clientCredentialsGrant(config, { scope: 'api:read' });
      assert.ok(tokens.access_token, id);
      assert.equal(tokens.scope ?? 'api:read', 'api:read');
    }
  });

  test('introspection and revocation through openid-client', async (t) => {
    if (!(await need(t, 'POST /token', 'POST /introspect', 'POST /revoke'))) return;
    const web = await configFor('web-basic', oc.ClientSecretBasic(SECRETS['web-basic']));
    const { access_token: at } = await oc.clientCredentialsGrant(web, { scope: 'api:read' });
    const rs = await configFor('resource-server', oc.ClientSecretBasic(SECRETS['resource-server']), { redirect_uris: [] });
    const active = await oc.tokenIntrospection(rs, at);
    assert.equal(active.active, true);
    assert.equal(active.client_id, 'web-basic');
    await oc.tokenRevocation(web, at);
    assert.equal((await oc.tokenIntrospection(rs, at)).active, false);
  });

  test('DPoP (RFC 9449): openid-client\'s DPoP handle for the code exchange, UserInfo and refresh', async (t) => {
    if (!(await need(t, ...FLOW, '/userinfo'))) return;
    const config = await configFor('spa', oc.None());
    const DPoP = oc.getDPoPHandle(config, await oc.randomDPoPKeyPair('ES256'));
    const codeVerifier = oc.randomPKCECodeVerifier();
    const state = oc.randomState();
    const url = oc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT_URI, scope: 'openid email offline_access', state,
      code_challenge: await oc.calculatePKCECodeChallenge(codeVerifier), code_challenge_method: 'S256',
    });
    const cb = await srv.login(url);
    const tokens = await oc.authorizationCodeGrant(config, new URL(cb.url), { pkceCodeVerifier: codeVerifier, expectedState: state }, undefined, { DPoP });
    assert.equal(tokens.token_type.toLowerCase(), 'dpop');
    const info = await oc.fetchUserInfo(config, tokens.access_token, tokens.claims().sub, { DPoP });
    assert.equal(info.email, 'alice@example.com');
    const refreshed = await oc.refreshTokenGrant(config, tokens.refresh_token, undefined, { DPoP });
    assert.equal(refreshed.token_type.toLowerCase(), 'dpop');
  });

  test('hybrid (code id_token) and implicit (id_token) response types through openid-client', async (t) => {
    if (!(await need(t, ...FLOW))) return;
    const hybrid = await configFor('legacy', oc.ClientSecretBasic(SECRETS.legacy));
    oc.useCodeIdTokenResponseType(hybrid);
    const h = await codeFlow(hybrid, { scope: 'openid email' });
    assert.equal(h.callback.type, 'redirect');
    assert.ok(new URL(h.callback.url).hash.includes('id_token='), 'the ID token came in the fragment');
    assert.equal(h.tokens.claims().sub, 'alice');

    const implicit = await configFor('legacy', oc.ClientSecretBasic(SECRETS.legacy));
    oc.useIdTokenResponseType(implicit);
    const nonce = oc.randomNonce();
    const state = oc.randomState();
    const url = oc.buildAuthorizationUrl(implicit, { redirect_uri: REDIRECT_URI, scope: 'openid email', nonce, state });
    const cb = await srv.login(url);
    const claims = await oc.implicitAuthentication(implicit, new URL(cb.url), nonce, { expectedState: state });
    assert.equal(claims.sub, 'alice');
    assert.equal(claims.email, 'alice@example.com');
  });

  test('buildEndSessionUrl points at the end-session endpoint', async () => {
    const config = await configFor('spa', oc.None());
    const url = oc.buildEndSessionUrl(config, { post_logout_redirect_uri: POST_LOGOUT_REDIRECT_URI, state: 'x' });
    assert.equal(`${url.origin}${url.pathname}`, `${issuer}/end-session`);
    assert.equal(url.searchParams.get('client_id'), 'spa');
  });
});

describe('server log of this run', () => {
  test('no request was answered with a 5xx, nothing panicked, no ERROR line', () => {
    assert.deepEqual(srv.logs.faults, []);
  });
});
