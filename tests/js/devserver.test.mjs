// End-to-end tests of the packed oidckit package against our own dev OpenID Provider, the Rust
// binary `oidckit-server` (issue 4), started on 127.0.0.1 port 0 with in-memory state and the
// test configuration tests/js/devserver/config.toml by tests/js/devserver/server.mjs, its login
// and consent pages driven over HTTP. The same kind of tests as oidc-provider.test.mjs, plus the
// misbehaviour scenarios: for each one our Client must fail with the expected code.
//
// A test skips (saying why) only when the server answers that the endpoint or grant does not
// exist (`404 not_found`, `unsupported_grant_type`, `unsupported_response_type`).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';

import * as oidckit from 'oidckit';

import {
  startServer, CookieJar, REDIRECT_URI, POST_LOGOUT_REDIRECT_URI, SECRETS, SCENARIO_SECRET,
  TOKEN_EXCHANGE, USERS,
} from './devserver/server.mjs';

const {
  Client, createRemoteJWKSet, importPKCS8, importJWK, decodeJwt, decodeProtectedHeader, errors,
} = oidckit;

const TIMEOUT = 60_000;

let srv;
let issuer;

before(async () => {
  srv = await startServer();
  issuer = srv.issuer;
}, { timeout: TIMEOUT });

after(async () => {
  await srv?.stop();
}, { timeout: TIMEOUT });

// ---- helpers ----------------------------------------------------------------------------------

function opts(clientId, extra = {}) {
  const secret = SECRETS[clientId] ?? (clientId.startsWith('scn-') ? SCENARIO_SECRET : undefined);
  return {
    clientId,
    ...(secret ? { clientSecret: secret } : {}),
    redirectUri: REDIRECT_URI,
    postLogoutRedirectUri: POST_LOGOUT_REDIRECT_URI,
    allowInsecureRequests: true,
    ...extra,
  };
}

async function client(clientId, extra) {
  return Client.discover(issuer, opts(clientId, extra));
}

/**
 * Client options of a private_key_jwt backend: `server`'s per-run key; `kid` in the assertion header
 * for the JWKS-registered client (its JWK has that kid), none for the PEM-registered one.
 */
function backendOpts(clientId = 'backend', extra = {}, server = srv) {
  return {
    privateKey: importPKCS8(server.backend.pkcs8, 'RS256'),
    ...(clientId === 'backend-jwks' ? { kid: server.backend.kid } : {}),
    tokenEndpointAuthMethod: 'private_key_jwt',
    tokenEndpointAuthSigningAlg: 'RS256',
    ...extra,
  };
}

/** Runs a whole authorization code flow for `c`: { tx, result, callback }. */
async function codeFlow(c, params = {}, loginOpts = {}) {
  const tx = c.authorizationRequest({ scope: 'openid offline_access profile email', ...params });
  const callback = await srv.login(tx.url, loginOpts);
  const input = callback.type === 'form_post' ? new URLSearchParams(callback.body) : callback.url;
  const result = await c.handleCallback(input, tx);
  return { tx, result, callback };
}

const sha256b64u = (s) => createHash('sha256').update(s).digest('base64url');
const basic = (id, secret) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function assertRejects(promiseOrFn, check, message) {
  await assert.rejects(async () => (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn), check, message);
}

/** A raw form POST to an endpoint: { status, headers, json }. */
async function post(path, form, headers = {}) {
  const res = await fetch(`${issuer}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...headers },
    body: new URLSearchParams(form).toString(),
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { json = undefined; }
  return { status: res.status, headers: res.headers, json, text };
}

/** Whether `path` exists at the server (anything but the generic JSON 404 `not_found`). */
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
    if (res.status === 404 || res.status === 405) {
      try { notFound = JSON.parse(text).error === 'not_found'; } catch { notFound = res.status === 405 ? false : text === ''; }
    }
    existsCache.set(k, !notFound);
  }
  return existsCache.get(k);
}

/** Skips `t` (saying why) unless every endpoint exists. */
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

/** Runs `fn`; when the server answers that a grant / response type is unsupported, skips `t` with that reason. */
async function orSkipUnsupported(t, what, fn) {
  try {
    return { value: await fn() };
  } catch (e) {
    if (['unsupported_grant_type', 'unsupported_response_type'].includes(e?.error)) {
      t.skip(`the server does not implement ${what} (${e.error}${e.error_description ? `: ${e.error_description}` : ''})`);
      return undefined;
    }
    throw e;
  }
}

const FLOW = ['/authorize', 'POST /token'];

// ---- discovery and JWKS -----------------------------------------------------------------------
describe('discovery and JWKS', { timeout: TIMEOUT }, () => {
  test('Client.discover: the issuer equals the URL; the endpoints are under it', async () => {
    const c = await client('spa');
    const m = c.metadata;
    assert.equal(m.issuer, issuer);
    for (const k of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri', 'introspection_endpoint', 'revocation_endpoint', 'end_session_endpoint']) {
      assert.equal(typeof m[k], 'string', `${k} advertised`);
      assert.ok(m[k].startsWith(issuer), `${k} is under the issuer`);
    }
    assert.equal(m.authorization_response_iss_parameter_supported, true, 'RFC 9207');
    assert.deepEqual(m.code_challenge_methods_supported, ['S256'], 'S256 only');
    assert.ok(m.response_types_supported.includes('code'));
    assert.ok(m.grant_types_supported.includes('authorization_code'));
    assert.ok(m.id_token_signing_alg_values_supported.includes('RS256'));
    assert.ok(m.scopes_supported.includes('openid'));
    assert.deepEqual(m.subject_types_supported, ['public']);
  });

  test('RFC 8414 metadata at /.well-known/oauth-authorization-server has the same issuer', async () => {
    const c = await Client.discover(issuer, opts('spa'), { algorithm: 'oauth2' });
    assert.equal(c.metadata.issuer, issuer);
    assert.equal(c.metadata.token_endpoint, `${issuer}/token`);
  });

  test('plain http is refused unless allowInsecureRequests is set; another issuer string is refused', async () => {
    await assertRejects(Client.discover(issuer, { clientId: 'spa', redirectUri: REDIRECT_URI }), (e) => {
      assert.equal(e.code, 'OAUTH_HTTP_REQUEST_FORBIDDEN');
      return true;
    });
    await assertRejects(Client.discover(`${issuer}/`, opts('spa')), (e) => {
      assert.equal(e.code, 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED');
      assert.match(e.message, /issuer/);
      return true;
    });
  });

  test('JWKS: public keys only, each with kid and alg, importable; cacheable and readable cross-origin', async () => {
    const res = await fetch(srv.discovery.jwks_uri);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /json/);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    const { keys } = await res.json();
    assert.ok(keys.length >= 1);
    const kids = new Set();
    for (const k of keys) {
      for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) assert.equal(k[priv], undefined, `no private member ${priv}`);
      assert.equal(typeof k.kid, 'string');
      assert.ok(!kids.has(k.kid), 'kids are unique');
      kids.add(k.kid);
      assert.equal(typeof k.alg, 'string');
      const key = importJWK(k, k.alg);
      assert.equal(key.type, 'public');
    }
    const remote = createRemoteJWKSet(srv.discovery.jwks_uri, { allowInsecureRequests: true });
    await remote.reload();
    assert.deepEqual(remote.jwks().keys.map((k) => k.kid), keys.map((k) => k.kid));
  });

  test('an unknown path is a JSON 404, never an HTML 500', async () => {
    const res = await fetch(`${issuer}/no/such/endpoint`);
    assert.equal(res.status, 404);
    assert.match(res.headers.get('content-type') ?? '', /json/);
    assert.equal(typeof (await res.json()).error, 'string');
  });
});

// ---- 1. public client: code + PKCE, UserInfo, refresh rotation --------------------------------
describe('public client (spa): authorization code + PKCE', { timeout: TIMEOUT }, () => {
  let c;
  let flow;

  before(async () => {
    c = await client('spa');
  });

  test('code + PKCE (S256) through the login and consent pages; RFC 9207 iss; ID token validated', async (t) => {
    if (!(await need(t, ...FLOW))) return;
    const steps = [];
    const tx = c.authorizationRequest({ scope: 'openid offline_access profile email' });
    const callback = await srv.login(tx.url, { steps });
    assert.deepEqual(steps, ['login', 'consent'], 'a login page, then a consent page');
    assert.equal(callback.type, 'redirect');
    const cb = new URL(callback.url);
    assert.equal(`${cb.origin}${cb.pathname}`, REDIRECT_URI);
    assert.equal(cb.searchParams.get('iss'), issuer, 'RFC 9207 iss in the query');
    assert.equal(cb.searchParams.get('state'), tx.state);
    assert.ok(cb.searchParams.get('code'));
    const result = await c.handleCallback(callback.url, tx);
    flow = { tx, result, callback };
    const u = new URL(tx.url);
    assert.equal(u.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(u.searchParams.get('code_challenge'), sha256b64u(tx.codeVerifier));
    const { tokens, claims } = result;
    assert.equal(claims.iss, issuer);
    assert.equal(claims.sub, 'alice');
    assert.equal(claims.aud, 'spa');
    assert.equal(claims.nonce, tx.nonce);
    assert.equal(typeof claims.auth_time, 'number');
    assert.ok(tokens.access_token && tokens.refresh_token && tokens.id_token, 'access, refresh and ID tokens');
    assert.equal(tokens.token_type, 'bearer');
    assert.ok(tokens.expires_in > 0 && tokens.expires_in <= 300, `expires_in ${tokens.expires_in} (config: 300)`);
    assert.equal(decodeProtectedHeader(tokens.id_token).alg, 'RS256');
    assert.ok(decodeProtectedHeader(tokens.id_token).kid, 'the ID token names its key');
  });

  test('the JWT access token is an RFC 9068 at+jwt signed by the OP', async (t) => {
    if (!flow) return t.skip('needs the code flow above');
    const at = flow.result.tokens.access_token;
    const h = decodeProtectedHeader(at);
    assert.equal(h.typ, 'at+jwt');
    const p = decodeJwt(at);
    assert.equal(p.iss, issuer);
    assert.equal(p.sub, 'alice');
    assert.equal(p.client_id, 'spa');
    assert.ok(p.jti);
    assert.ok(p.aud, 'aud present (RFC 9068 §2.2)');
    const remote = createRemoteJWKSet(srv.discovery.jwks_uri, { allowInsecureRequests: true });
    const v = await oidckit.validateJwtAccessToken(at, remote, { issuer, audience: p.aud });
    assert.equal(v.payload.client_id, 'spa');
  });

  test('a second authorization with the session cookie skips login and consent (SSO)', async (t) => {
    if (!(await need(t, ...FLOW))) return;
    const jar = new CookieJar();
    const c2 = await client('spa');
    await codeFlow(c2, { scope: 'openid' }, { jar });
    assert.ok(jar.get('oidckit_session'), 'the session cookie is oidckit_session');
    const steps = [];
    const { result } = await codeFlow(c2, { scope: 'openid' }, { jar, steps });
    assert.deepEqual(steps, [], 'no page shown the second time');
    assert.equal(result.claims.sub, 'alice');
  });

  test('prompt=none without a session: login_required error redirect with state and iss', async (t) => {
    if (!(await need(t, '/authorize'))) return;
    const tx = c.authorizationRequest({ scope: 'openid', prompt: 'none' });
    const cb = await srv.login(tx.url);
    assert.equal(cb.type, 'redirect');
    const u = new URL(cb.url);
    assert.equal(u.searchParams.get('error'), 'login_required');
    assert.equal(u.searchParams.get('state'), tx.state);
    assert.equal(u.searchParams.get('iss'), issuer);
    await assertRejects(c.handleCallback(cb.url, tx), (e) => {
      assert.ok(e instanceof errors.AuthorizationResponseError);
      assert.equal(e.error, 'login_required');
      return true;
    });
  });

  test('consent denied: access_denied reaches the client as an AuthorizationResponseError', async (t) => {
    if (!(await need(t, '/authorize'))) return;
    const tx = c.authorizationRequest({ scope: 'openid email', prompt: 'consent' });
    const steps = [];
    const cb = await srv.login(tx.url, { decision: 'deny', steps });
    assert.ok(steps.includes('consent'), 'prompt=consent shows the consent page');
    await assertRejects(c.handleCallback(cb.url, tx), (e) => {
      assert.ok(e instanceof errors.AuthorizationResponseError);
      assert.equal(e.error, 'access_denied');
      return true;
    });
  });

  test('a wrong password shows the login page again (no redirect)', async (t) => {
    if (!(await need(t, '/authorize'))) return;
    const tx = c.authorizationRequest({ scope: 'openid' });
    await assertRejects(srv.login(tx.url, { password: 'not-the-password' }), /login page came back/);
  });

  test('the authorization code is single use at the server; PKCE verifier required and checked', async (t) => {
    if (!(await need(t, ...FLOW))) return;
    const c2 = await client('spa');
    const exchange = async (code, verifier) => post('/token', {
      grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: 'spa', ...(verifier ? { code_verifier: verifier } : {}),
    });
    // Wrong verifier, then none: refused (RFC 7636 §4.6).
    let tx = c2.authorizationRequest({ scope: 'openid' });
    let code = new URL((await srv.login(tx.url)).url).searchParams.get('code');
    let r = await exchange(code, `${tx.codeVerifier.slice(0, -2)}xx`);
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json?.error, 'invalid_grant');
    tx = c2.authorizationRequest({ scope: 'openid' });
    code = new URL((await srv.login(tx.url)).url).searchParams.get('code');
    r = await exchange(code);
    assert.equal(r.status, 400, r.text);
    assert.ok(['invalid_grant', 'invalid_request'].includes(r.json?.error), r.text);
    // The right verifier: tokens; the same code again: invalid_grant (RFC 6749 §4.1.2).
    tx = c2.authorizationRequest({ scope: 'openid' });
    code = new URL((await srv.login(tx.url)).url).searchParams.get('code');
    r = await exchange(code, tx.codeVerifier);
    assert.equal(r.status, 200, r.text);
    assert.ok(r.json.access_token);
    assert.match(r.headers.get('cache-control') ?? '', /no-store/);
    const again = await exchange(code, tx.codeVerifier);
    assert.equal(again.status, 400, again.text);
    assert.equal(again.json?.error, 'invalid_grant');
  });

  test('PKCE downgrade (plain) and a missing challenge are refused with an error redirect', async (t) => {
    if (!(await need(t, '/authorize'))) return;
    for (const [label, mutate] of [
      ['plain', (u) => { u.searchParams.set('code_challenge_method', 'plain'); u.searchParams.set('code_challenge', 'a'.repeat(43)); }],
      ['missing', (u) => { u.searchParams.delete('code_challenge'); u.searchParams.delete('code_challenge_method'); }],
    ]) {
      const tx = c.authorizationRequest({ scope: 'openid' });
      const u = new URL(tx.url);
      mutate(u);
      const cb = await srv.login(u.href);
      assert.equal(cb.type, 'redirect', label);
      const back = new URL(cb.url);
      assert.equal(back.searchParams.get('error'), 'invalid_request', `${label}: ${cb.url}`);
      assert.equal(back.searchParams.get('state'), tx.state);
      assert.equal(back.searchParams.get('iss'), issuer);
    }
  });

  test('an unregistered redirect_uri gets an error page at the OP, never a redirect', async (t) => {
    if (!(await need(t, '/authorize'))) return;
    const tx = c.authorizationRequest({ scope: 'openid' });
    const u = new URL(tx.url);
    u.searchParams.set('redirect_uri', 'http://127.0.0.1:5999/evil');
    const res = await fetch(u, { redirect: 'manual' });
    assert.ok(res.status >= 400 && res.status < 500, `status ${res.status}`);
    assert.equal(res.headers.get('location'), null);
    await res.arrayBuffer();
  });

  test('response_mode fragment and form_post for the code flow', async (t) => {
    if (!(await need(t, ...FLOW))) return;
    const f = await codeFlow(c, { scope: 'openid', response_mode: 'fragment' });
    assert.equal(f.callback.type, 'redirect');
    const frag = new URLSearchParams(new URL(f.callback.url).hash.slice(1));
    assert.ok(frag.get('code'));
    assert.equal(frag.get('iss'), issuer);
    assert.equal(f.result.claims.sub, 'alice');
    const p = await codeFlow(c, { scope: 'openid', response_mode: 'form_post' });
    assert.equal(p.callback.type, 'form_post');
    assert.equal(p.callback.action, REDIRECT_URI);
    const body = new URLSearchParams(p.callback.body);
    assert.equal(body.get('iss'), issuer);
    assert.equal(body.get('state'), p.tx.state);
    assert.equal(p.result.claims.sub, 'alice');
  });

  test('UserInfo: the claims of the scopes, sub equal to the ID token sub', async (t) => {
    if (!flow) return t.skip('needs the code flow above');
    if (!(await need(t, 'GET /userinfo'))) return;
    const info = await c.userinfo(flow.result.tokens.access_token, { expectedSubject: 'alice' });
    assert.equal(info.sub, 'alice');
    assert.equal(info.email, 'alice@example.com');
    assert.equal(info.email_verified, true);
    assert.equal(info.name, 'Alice Liddell');
    assert.equal(info.domain, 'example.com', 'custom claims go with profile');
    assert.equal(info.phone_number, undefined, 'no phone scope, no phone claims');
  });

  test('UserInfo of bob with alice expected is refused (OIDC Core §5.3.2)', async (t) => {
    if (!(await need(t, ...FLOW, 'GET /userinfo'))) return;
    const other = await client('spa');
    const bob = await codeFlow(other, { scope: 'openid email' }, { user: 'bob' });
    assert.equal(bob.result.claims.sub, 'bob');
    await assertRejects(c.userinfo(bob.result.tokens.access_token, { expectedSubject: 'alice' }), (e) => {
      assert.equal(e.code, 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED');
      return true;
    });
    assert.equal((await other.userinfo(bob.result.tokens.access_token)).email, 'bob@example.org');
  });

  test('UserInfo with an invalid token: 401 with an RFC 6750 WWW-Authenticate', async (t) => {
    if (!(await need(t, 'GET /userinfo'))) return;
    const res = await fetch(`${issuer}/userinfo`, { headers: { authorization: 'Bearer not-a-token' } });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer\b.*error="invalid_token"/);
    const none = await fetch(`${issuer}/userinfo`);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
  });

  test('max_age and the claims parameter: auth_time, the requested claim in the ID token', async (t) => {
    if (!(await need(t, ...FLOW))) return;
    const { result } = await codeFlow(c, { scope: 'openid', max_age: 300, claims: { id_token: { email: { essential: true } } } });
    assert.equal(typeof result.claims.auth_time, 'number');
    assert.equal(result.claims.email, 'alice@example.com');
  });

  test('refresh (public client): a new refresh token; the old one then fails and revokes the grant', async (t) => {
    if (!(await need(t, ...FLOW))) return;
    const c2 = await client('spa');
    const first = await codeFlow(c2);
    const rt1 = first.result.tokens.refresh_token;
    assert.ok(rt1, 'offline_access gave a refresh token');
    const refreshed = await c2.refresh(rt1);
    const rt2 = refreshed.tokens.refresh_token;
    assert.ok(refreshed.tokens.access_token);
    assert.notEqual(refreshed.tokens.access_token, first.result.tokens.access_token);
    assert.ok(rt2 && rt2 !== rt1, 'the refresh token rotated (public client)');
    if (refreshed.tokens.id_token) {
      assert.equal(refreshed.claims.sub, 'alice');
      assert.equal(decodeJwt(refreshed.tokens.id_token).auth_time, first.result.claims.auth_time);
    }
    // Reuse of the rotated-out token: invalid_grant, and the whole grant is revoked.
    await assertRejects(c2.refresh(rt1), (e) => {
      assert.ok(e instanceof errors.ResponseBodyError);
      assert.equal(e.error, 'invalid_grant');
      return true;
    });
    await assertRejects(c2.refresh(rt2), (e) => {
      assert.equal(e.error, 'invalid_grant', 'the newer refresh token died with the grant');
      return true;
    });
    if (await exists('/introspect', 'POST')) {
      const rs = await client('resource-server');
      const info = await rs.introspect(refreshed.tokens.access_token);
      assert.equal(info.active, false, 'the access token of the revoked grant is inactive');
    }
  });
});

// ---- 2. confidential clients and backends -------------------------------------------------------
describe('confidential clients: client authentication methods', { timeout: TIMEOUT }, () => {
  test('client_secret_basic: code flow with a refresh token; refresh keeps the ID token continuous', async (t) => {
    if (!(await need(t, ...FLOW))) return;
    const c = await client('web-basic');
    const { result } = await codeFlow(c);
    assert.equal(result.claims.aud, 'web-basic');
    assert.ok(result.tokens.refresh_token);
    const r = await c.refresh();
    assert.ok(r.tokens.access_token);
    if (r.tokens.id_token) assert.equal(r.claims.sub, 'alice');
  });

  test('client_secret_post: code flow and client credentials', async (t) => {
    if (!(await need(t, ...FLOW))) return;
    const c = await client('web-post', { tokenEndpointAuthMethod: 'client_secret_post' });
    const { result } = await codeFlow(c, { scope: 'openid email' });
    assert.equal(result.claims.sub, 'alice');
    const cc = await c.clientCredentials({ scope: 'api:read' });
    assert.ok(cc.access_token);
  });

  test('a wrong client secret: 401 invalid_client', async (t) => {
    if (!(await need(t, 'POST /token'))) return;
    const c = await client('web-basic', { clientSecret: 'wrong-secret-0123456789abcdef0123456789' });
    await assertRejects(c.clientCredentials({ scope: 'api:read' }), (e) => {
      assert.ok(e instanceof errors.ResponseBodyError);
      assert.equal(e.error, 'invalid_client');
      assert.equal(e.status, 401);
      return true;
    });
  });

  test('client credentials (client_secret_basic): an access token for the client, no refresh / ID token', async (t) => {
    if (!(await need(t, 'POST /token'))) return;
    const c = await client('web-basic');
    const tokens = await c.clientCredentials({ scope: 'api:read' });
    assert.ok(tokens.access_token);
    assert.equal(tokens.token_type, 'bearer');
    assert.equal(tokens.refresh_token, undefined);
    assert.equal(tokens.id_token, undefined);
    assert.equal(tokens.scope ?? 'api:read', 'api:read');
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.client_id, 'web-basic');
  });

  test('client credentials with private_key_jwt (RS256, PEM-registered key, no kid)', async (t) => {
    if (!(await need(t, 'POST /token'))) return;
    const c = await client('backend', backendOpts());
    const tokens = await c.clientCredentials({ scope: 'api:read' });
    assert.ok(tokens.access_token);
    assert.equal(decodeJwt(tokens.access_token).client_id, 'backend');
  });

  test('private_key_jwt with a kid header against a PEM-registered key (a PEM has no kid to match)', async (t) => {
    if (!(await need(t, 'POST /token'))) return;
    const c = await client('backend', backendOpts('backend', { kid: srv.backend.kid }));
    const tokens = await c.clientCredentials({ scope: 'api:read' });
    assert.equal(decodeJwt(tokens.access_token).client_id, 'backend');
  });

  test('client credentials with private_key_jwt (RS256, kid) against a JWKS-registered key', async (t) => {
    if (!(await need(t, 'POST /token'))) return;
    const c = await client('backend-jwks', backendOpts('backend-jwks'));
    const tokens = await c.clientCredentials({ scope: 'api:read' });
    assert.equal(decodeJwt(tokens.access_token).client_id, 'backend-jwks');
  });

  test('client credentials with private_key_jwt against a jwks_uri registration (fetched by the OP)', async (t) => {
    if (!(await need(t, 'POST /token'))) return;
    const c = await client('backend-jwks-uri', backendOpts('backend-jwks'));
    const tokens = await c.clientCredentials({ scope: 'api:read' });
    assert.equal(decodeJwt(tokens.access_token).client_id, 'backend-jwks-uri');
    assert.ok(srv.jwksFetches.length >= 1, 'the OP fetched the client\'s jwks_uri');
  });

  test('client credentials with private_key_jwt against an X.509 certificate registration', async (t) => {
    if (!srv.backend.certificate) return t.skip('openssl is not available to make the certificate');
    if (!(await need(t, 'POST /token'))) return;
    const c = await client('backend-cert', backendOpts());
    const tokens = await c.clientCredentials({ scope: 'api:read' });
    assert.equal(decodeJwt(tokens.access_token).client_id, 'backend-cert');
  });

  test('private_key_jwt: a replayed assertion (same jti), a wrong aud and a foreign key are refused', async (t) => {
    if (!(await need(t, 'POST /token'))) return;
    const key = importPKCS8(srv.backend.pkcs8, 'RS256');
    const tokenEndpoint = srv.discovery.token_endpoint;
    const send = (assertion) => post('/token', {
      grant_type: 'client_credentials', scope: 'api:read', client_id: 'backend',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion,
    });
    const a = oidckit.createClientAssertion({ clientId: 'backend', audience: tokenEndpoint, key });
    const ok = await send(a);
    assert.equal(ok.status, 200, ok.text);
    const replay = await send(a);
    assert.equal(replay.status, 401, replay.text);
    assert.equal(replay.json?.error, 'invalid_client');
    const wrongAud = await send(oidckit.createClientAssertion({ clientId: 'backend', audience: 'https://other.example/token', key }));
    assert.equal(wrongAud.status, 401, wrongAud.text);
    assert.equal(wrongAud.json?.error, 'invalid_client');
    const foreign = oidckit.generateKeyPair('RS256').privateKey;
    const bad = await send(oidckit.createClientAssertion({ clientId: 'backend', audience: tokenEndpoint, key: foreign }));
    assert.equal(bad.status, 401, bad.text);
    assert.equal(bad.json?.error, 'invalid_client');
  });

  test('a backend outside its CIDR allow rules is refused', async (t) => {
    if (!(await need(t, 'POST /token'))) return;
    const c = await client('backend-far');
    await assertRejects(c.clientCredentials({ scope: 'api:read' }), (e) => {
      assert.ok(e instanceof errors.ResponseBodyError, String(e));
      assert.ok(e.status >= 400 && e.status < 500);
      return true;
    });
  });

  test('JWT bearer grant (RFC 7523 §2.1): the backend asserts alice; bob is not allowed', async (t) => {
    if (!(await need(t, 'POST /token'))) return;
    const c = await client('backend', backendOpts());
    const r = await orSkipUnsupported(t, 'the JWT bearer grant', () => c.jwtBearer({ subject: 'alice', scope: 'api:read' }));
    if (!r) return;
    assert.ok(r.value.access_token);
    const claims = decodeJwt(r.value.access_token);
    assert.equal(claims.sub, 'alice');
    assert.equal(claims.client_id, 'backend');
    await assertRejects(c.jwtBearer({ subject: 'bob', scope: 'api:read' }), (e) => {
      assert.ok(e instanceof errors.ResponseBodyError);
      assert.ok(['invalid_grant', 'unauthorized_client', 'access_denied'].includes(e.error), e.error);
      return true;
    });
  });

  test('resource owner password grant (web-basic, alice)', async (t) => {
    if (!(await need(t, 'POST /token'))) return;
    const c = await client('web-basic');
    const r = await orSkipUnsupported(t, 'the password grant', () => c.password({ username: 'alice', password: USERS.alice.password, scope: 'openid profile' }));
    if (!r) return;
    assert.ok(r.value.access_token);
    assert.equal(decodeJwt(r.value.access_token).sub, 'alice');
    await assertRejects(c.password({ username: 'alice', password: 'wrong', scope: 'openid' }), (e) => {
      assert.equal(e.error, 'invalid_grant');
      return true;
    });
  });

  test('token exchange (RFC 8693): web-basic exchanges alice\'s access token', async (t) => {
    if (!(await need(t, ...FLOW))) return;
    const c = await client('web-basic');
    const { result } = await codeFlow(c, { scope: 'openid profile' });
    const r = await orSkipUnsupported(t, 'token exchange', () => c.grant(TOKEN_EXCHANGE, {
      subject_token: result.tokens.access_token,
      subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
    }));
    if (!r) return;
    assert.ok(r.value.access_token);
    assert.equal(r.value.issued_token_type, 'urn:ietf:params:oauth:token-type:access_token');
    assert.equal(decodeJwt(r.value.access_token).sub, 'alice');
  });
});

// ---- 3. implicit and hybrid (legacy client) ----------------------------------------------------
describe('implicit and hybrid response types (legacy client)', { timeout: TIMEOUT }, () => {
  for (const responseType of ['id_token', 'id_token token', 'code id_token', 'code token', 'code id_token token']) {
    test(`response_type=${responseType} (fragment)`, async (t) => {
      if (!(await need(t, ...(responseType.includes('code') ? FLOW : ['/authorize'])))) return;
      const c = await client('legacy');
      const tx = c.authorizationRequest({ scope: 'openid email', response_type: responseType });
      const cb = await srv.login(tx.url);
      assert.equal(cb.type, 'redirect');
      const u = new URL(cb.url);
      assert.equal(u.search, '', 'nothing in the query');
      const frag = new URLSearchParams(u.hash.slice(1));
      assert.equal(frag.get('iss'), issuer);
      assert.equal(frag.get('state'), tx.state);
      const types = responseType.split(' ');
      const { tokens, claims } = await c.handleCallback(cb.url, tx);
      if (types.includes('id_token')) {
        const front = decodeJwt(frag.get('id_token'));
        assert.equal(front.nonce, tx.nonce);
        if (types.includes('token')) assert.ok(front.at_hash, 'at_hash in the front-channel ID token');
        if (types.includes('code')) assert.ok(front.c_hash, 'c_hash in the front-channel ID token');
        if (!types.includes('token') && !types.includes('code')) {
          assert.equal(front.email, 'alice@example.com', 'response_type id_token: the scope claims go in the ID token');
        }
      }
      assert.equal(claims?.sub ?? decodeJwt(tokens.access_token).sub, 'alice');
      if (types.includes('token') || types.includes('code')) assert.ok(tokens.access_token);
    });
  }

  test('hybrid: a tampered access_token in the fragment fails the at_hash check', async (t) => {
    if (!(await need(t, '/authorize'))) return;
    const c = await client('legacy');
    const tx = c.authorizationRequest({ scope: 'openid', response_type: 'id_token token' });
    const cb = await srv.login(tx.url);
    const u = new URL(cb.url);
    const frag = new URLSearchParams(u.hash.slice(1));
    frag.set('access_token', `${frag.get('access_token')}x`);
    u.hash = frag.toString();
    await assertRejects(c.handleCallback(u.href, tx), (e) => {
      assert.match(`${e.claim ?? ''} ${e.message}`, /at_hash/i);
      return true;
    });
  });

  test('response_type=code id_token with response_mode=form_post', async (t) => {
    if (!(await need(t, ...FLOW))) return;
    const c = await client('legacy');
    const tx = c.authorizationRequest({ scope: 'openid', response_type: 'code id_token', response_mode: 'form_post' });
    const cb = await srv.login(tx.url);
    assert.equal(cb.type, 'form_post');
    const { claims } = await c.handleCallback(new URLSearchParams(cb.body), tx);
    assert.equal(claims.sub, 'alice');
  });

  test('a response type the client is not registered for is refused (unsupported_response_type / unauthorized_client)', async (t) => {
    if (!(await need(t, '/authorize'))) return;
    const c = await client('spa');
    const tx = c.authorizationRequest({ scope: 'openid', response_type: 'id_token token' });
    const cb = await srv.login(tx.url);
    assert.equal(cb.type, 'redirect');
    const u = new URL(cb.url);
    const p = u.hash ? new URLSearchParams(u.hash.slice(1)) : u.searchParams;
    assert.ok(['unauthorized_client', 'unsupported_response_type', 'invalid_request'].includes(p.get('error')), cb.url);
  });
});

// ---- 4. resource server: introspection, revocation, the demo API ------------------------------
describe('resource server: introspection, revocation, /api', { timeout: TIMEOUT }, () => {
  let spa;
  let tokens;

  before(async () => {
    spa = await client('spa');
    try {
      ({ tokens } = (await codeFlow(spa, { scope: 'openid offline_access profile api:read' })).result);
    } catch {
      tokens = undefined;
    }
  });

  test('introspection by the authenticated resource server (RFC 7662)', async (t) => {
    if (!tokens) return t.skip('no tokens: the code flow failed (see above)');
    if (!(await need(t, 'POST /introspect'))) return;
    const rs = await client('resource-server');
    const info = await rs.introspect(tokens.access_token);
    assert.equal(info.active, true);
    assert.equal(info.sub, 'alice');
    assert.equal(info.client_id, 'spa');
    assert.equal(info.iss, issuer);
    assert.match(info.scope, /\bapi:read\b/);
    assert.equal(typeof info.exp, 'number');
    assert.equal(info.username, 'alice');
    const garbage = await rs.introspect('not-a-token');
    assert.deepEqual(garbage, { active: false });
  });

  test('introspection without client authentication is refused (401 invalid_client)', async (t) => {
    if (!tokens) return t.skip('no tokens: the code flow failed (see above)');
    if (!(await need(t, 'POST /introspect'))) return;
    const r = await post('/introspect', { token: tokens.access_token });
    assert.equal(r.status, 401, r.text);
    assert.equal(r.json?.error, 'invalid_client');
  });

  test('/api/me with the access token; no token or a bad one: RFC 6750 errors', async (t) => {
    if (!tokens) return t.skip('no tokens: the code flow failed (see above)');
    if (!(await need(t, '/api/me'))) return;
    const res = await spa.fetchProtectedResource(`${issuer}/api/me`, { accessToken: tokens.access_token });
    assert.equal(res.status, 200, await res.clone().text());
    const me = await res.json();
    assert.equal(me.sub, 'alice');
    const none = await fetch(`${issuer}/api/me`);
    assert.equal(none.status, 401);
    assert.match(none.headers.get('www-authenticate') ?? '', /^Bearer/);
    const bad = await fetch(`${issuer}/api/me`, { headers: { authorization: `Bearer ${tokens.access_token.slice(0, -4)}AAAA` } });
    assert.equal(bad.status, 401);
    assert.match(bad.headers.get('www-authenticate') ?? '', /error="invalid_token"/);
  });

  test('revocation (RFC 7009): the access token becomes inactive and /api refuses it', async (t) => {
    if (!(await need(t, ...FLOW, 'POST /revoke'))) return;
    const c = await client('web-basic');
    const { result } = await codeFlow(c, { scope: 'openid api:read' });
    await c.revoke(result.tokens.access_token, { tokenTypeHint: 'access_token' });
    if (await exists('/introspect', 'POST')) {
      const rs = await client('resource-server');
      assert.equal((await rs.introspect(result.tokens.access_token)).active, false);
    }
    if (await exists('/api/me')) {
      const res = await fetch(`${issuer}/api/me`, { headers: { authorization: `Bearer ${result.tokens.access_token}` } });
      assert.equal(res.status, 401);
    }
    // Revoking an unknown token is not an error (RFC 7009 §2.2).
    await c.revoke('not-a-token');
  });

  test('revoking a refresh token makes the next refresh fail with invalid_grant', async (t) => {
    if (!(await need(t, ...FLOW, 'POST /revoke'))) return;
    const c = await client('web-basic');
    const { result } = await codeFlow(c);
    await c.revoke(result.tokens.refresh_token, { tokenTypeHint: 'refresh_token' });
    await assertRejects(c.refresh(result.tokens.refresh_token), (e) => {
      assert.equal(e.error, 'invalid_grant');
      return true;
    });
  });
});

// ---- PAR, registration, logout ------------------------------------------------------------------
describe('PAR, dynamic registration, end-session, back-channel logout', { timeout: TIMEOUT }, () => {
  test('pushed authorization request (RFC 9126), then the code flow', async (t) => {
    if (!(await need(t, ...FLOW, 'POST /par'))) return;
    const c = await client('web-basic');
    const tx = await c.pushedAuthorizationRequest({ scope: 'openid email' });
    const u = new URL(tx.url);
    assert.ok(u.searchParams.get('request_uri')?.startsWith('urn:ietf:params:oauth:request_uri:'));
    assert.equal(u.searchParams.get('code_challenge'), null, 'only client_id and request_uri travel in the browser');
    const cb = await srv.login(tx.url);
    const { claims } = await c.handleCallback(cb.url, tx);
    assert.equal(claims.sub, 'alice');
  });

  test('dynamic client registration (RFC 7591), then a code flow with the new client', async (t) => {
    if (!(await need(t, 'POST /register'))) return;
    const c = await Client.register(issuer, {
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      client_name: 'registered by the JS test',
      scope: 'openid email',
    }, { allowInsecureRequests: true });
    assert.equal(typeof c.registration.client_id, 'string');
    assert.equal(typeof c.registration.client_secret, 'string');
    if (!(await exists('/authorize'))) return;
    const { result } = await codeFlow(c, { scope: 'openid email' });
    assert.equal(result.claims.aud, c.registration.client_id);
  });

  test('RP-initiated logout: the end-session URL returns to post_logout_redirect_uri with state; the session is gone', async (t) => {
    if (!(await need(t, ...FLOW, '/end-session'))) return;
    const jar = new CookieJar();
    const c = await client('spa');
    await codeFlow(c, { scope: 'openid' }, { jar });
    const url = c.endSessionUrl({ state: 'bye-123' });
    const u = new URL(url);
    assert.equal(`${u.origin}${u.pathname}`, srv.discovery.end_session_endpoint);
    assert.ok(u.searchParams.get('id_token_hint'));
    const out = await srv.logout(url, { jar });
    assert.equal(out.type, 'redirect', 'sent back to the client');
    const back = new URL(out.url);
    assert.equal(`${back.origin}${back.pathname}`, POST_LOGOUT_REDIRECT_URI);
    assert.equal(back.searchParams.get('state'), 'bye-123');
    const tx = c.authorizationRequest({ scope: 'openid', prompt: 'none' });
    const cb = await srv.login(tx.url, { jar });
    assert.equal(new URL(cb.url).searchParams.get('error'), 'login_required', 'the session ended');
  });

  test('back-channel logout: a valid logout token reaches the client at logout', async (t) => {
    if (!(await need(t, ...FLOW, '/end-session'))) return;
    const jar = new CookieJar();
    const c = await client('bcl-client');
    const { result } = await codeFlow(c, { scope: 'openid' }, { jar });
    const before = srv.logoutTokens.length;
    await srv.logout(c.endSessionUrl({ state: 's' }), { jar });
    const deadline = Date.now() + 5_000;
    while (srv.logoutTokens.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(srv.logoutTokens.length > before, 'a logout token was POSTed to backchannel_logout_uri');
    const token = srv.logoutTokens.at(-1);
    const remote = createRemoteJWKSet(srv.discovery.jwks_uri, { allowInsecureRequests: true });
    const v = await oidckit.validateLogoutToken(token, remote, { issuer, clientId: 'bcl-client' });
    assert.equal(v.payload.sub ?? 'alice', 'alice');
    if (result.claims.sid) assert.equal(v.payload.sid, result.claims.sid);
    assert.equal(decodeProtectedHeader(token).typ, 'logout+jwt');
  });
});

// ---- more client profiles: DPoP, signed UserInfo, client_secret_jwt, JAR, native, prompt -----
describe('DPoP, signed UserInfo, client_secret_jwt, request objects, native apps, prompt=login', { timeout: TIMEOUT }, () => {
  test('DPoP (RFC 9449): bound tokens, UserInfo and /api/me with proofs, refresh; the token as plain Bearer is refused', async (t) => {
    if (!(await need(t, ...FLOW, '/userinfo', '/api/me'))) return;
    const dpop = oidckit.createDPoPHandle(oidckit.generateKeyPair('ES256'));
    const c = await client('spa', { dpop });
    const { result } = await codeFlow(c, { scope: 'openid email offline_access api:read' });
    assert.equal(result.tokens.token_type, 'dpop');
    const at = result.tokens.access_token;
    assert.equal(decodeJwt(at).cnf?.jkt, dpop.jkt, 'cnf.jkt is the proof key thumbprint');
    const info = await c.userinfo();
    assert.equal(info.sub, 'alice');
    const res = await c.fetchProtectedResource(`${issuer}/api/me`);
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal((await res.json()).sub, 'alice');
    const bearer = await fetch(`${issuer}/api/me`, { headers: { authorization: `Bearer ${at}` } });
    assert.equal(bearer.status, 401, 'a DPoP-bound token without its proof is refused');
    await bearer.arrayBuffer();
    const r = await c.refresh();
    assert.equal(r.tokens.token_type, 'dpop');
    assert.equal(decodeJwt(r.tokens.access_token).cnf?.jkt, dpop.jkt);
  });

  test('signed UserInfo (userinfo_signed_response_alg RS256): application/jwt, verified by the Client', async (t) => {
    if (!(await need(t, ...FLOW, '/userinfo'))) return;
    const c = await client('signed-userinfo', { userinfoSignedResponseAlg: 'RS256' });
    const { result } = await codeFlow(c, { scope: 'openid profile email' });
    const raw = await fetch(`${issuer}/userinfo`, { headers: { authorization: `Bearer ${result.tokens.access_token}` } });
    assert.equal(raw.status, 200);
    assert.match(raw.headers.get('content-type') ?? '', /^application\/jwt/);
    const jwt = (await raw.text()).trim();
    const claims = decodeJwt(jwt);
    assert.equal(claims.iss, issuer);
    assert.equal(claims.aud, 'signed-userinfo');
    const info = await c.userinfo();
    assert.equal(info.sub, 'alice');
    assert.equal(info.email, 'alice@example.com');
  });

  test('client_secret_jwt (HS256): client credentials and the code flow', async (t) => {
    if (!(await need(t, ...FLOW))) return;
    const c = await client('web-jwt', { tokenEndpointAuthMethod: 'client_secret_jwt', tokenEndpointAuthSigningAlg: 'HS256' });
    const cc = await c.clientCredentials({ scope: 'api:read' });
    assert.equal(decodeJwt(cc.access_token).client_id, 'web-jwt');
    const { result } = await codeFlow(c, { scope: 'openid email' });
    assert.equal(result.claims.aud, 'web-jwt');
  });

  test('a signed request object (RFC 9101, RS256) carries the authorization parameters', async (t) => {
    if (!(await need(t, ...FLOW))) return;
    const c = await client('jar-client', backendOpts('backend-jwks', { requestObjectSigningAlg: 'RS256' }));
    const tx = c.authorizationRequest({ scope: 'openid email' });
    const u = new URL(tx.url);
    assert.ok(u.searchParams.get('request'), 'the parameters travel in `request`');
    const cb = await srv.login(tx.url);
    const { claims, tokens } = await c.handleCallback(cb.url, tx);
    assert.equal(claims.sub, 'alice');
    assert.equal(claims.aud, 'jar-client');
    assert.ok(tokens.access_token);
  });

  test('a request object signed by another key is refused', async (t) => {
    if (!(await need(t, '/authorize'))) return;
    const c = await client('jar-client', backendOpts('backend-jwks', { requestObjectSigningAlg: 'RS256', privateKey: oidckit.generateKeyPair('RS256').privateKey }));
    const tx = c.authorizationRequest({ scope: 'openid email' });
    const res = await fetch(tx.url, { redirect: 'manual' });
    await res.arrayBuffer();
    if (res.status >= 300 && res.status < 400) {
      const loc = new URL(res.headers.get('location'));
      const p = loc.hash ? new URLSearchParams(loc.hash.slice(1)) : loc.searchParams;
      assert.equal(p.get('error'), 'invalid_request_object', loc.href);
    } else {
      assert.ok(res.status >= 400 && res.status < 500, `status ${res.status}`);
    }
  });

  test('a native app may use any port on its loopback redirect URI (RFC 8252 §7.3)', async (t) => {
    if (!(await need(t, ...FLOW))) return;
    const c = await client('native', { redirectUri: 'http://127.0.0.1:6123/cb' });
    const { result, callback } = await codeFlow(c, { scope: 'openid email' });
    assert.equal(new URL(callback.url).port, '6123');
    assert.equal(result.claims.sub, 'alice');
  });

  test('prompt=login asks for the password again despite the session', async (t) => {
    if (!(await need(t, ...FLOW))) return;
    const jar = new CookieJar();
    const c = await client('spa');
    await codeFlow(c, { scope: 'openid' }, { jar });
    const steps = [];
    const { result } = await codeFlow(c, { scope: 'openid', prompt: 'login' }, { jar, steps });
    assert.ok(steps.includes('login'), `pages: ${steps.join(', ')}`);
    assert.equal(result.claims.sub, 'alice');
  });

  test('an error delivered with response_mode=form_post (prompt=none, no session) reaches the Client', async (t) => {
    if (!(await need(t, '/authorize'))) return;
    const c = await client('web-basic');
    const tx = c.authorizationRequest({ scope: 'openid', prompt: 'none', response_mode: 'form_post' });
    const cb = await srv.login(tx.url);
    assert.equal(cb.type, 'form_post');
    const body = new URLSearchParams(cb.body);
    assert.equal(body.get('error'), 'login_required');
    assert.equal(body.get('iss'), issuer);
    await assertRejects(c.handleCallback(body, tx), (e) => {
      assert.ok(e instanceof errors.AuthorizationResponseError);
      assert.equal(e.error, 'login_required');
      return true;
    });
  });

  test('max_age=0 forces a new login despite the session; auth_time moves', async (t) => {
    if (!(await need(t, ...FLOW))) return;
    const jar = new CookieJar();
    // max_age=0 is checked as auth_time + 0 + clockTolerance >= now: without a tolerance the
    // check fails whenever a second ticks between the login and the validation.
    const c = await client('spa', { clockTolerance: 5 });
    const first = await codeFlow(c, { scope: 'openid' }, { jar });
    await new Promise((r) => setTimeout(r, 1_100));
    const steps = [];
    const second = await codeFlow(c, { scope: 'openid', max_age: 0 }, { jar, steps });
    assert.ok(steps.includes('login'), `pages: ${steps.join(', ')}`);
    assert.ok(second.result.claims.auth_time > first.result.claims.auth_time, 'a fresh authentication');
  });

  test('the claims parameter\'s userinfo member adds a claim to UserInfo without its scope', async (t) => {
    if (!(await need(t, ...FLOW, '/userinfo'))) return;
    const c = await client('spa');
    const { result } = await codeFlow(c, { scope: 'openid', claims: { userinfo: { email: null } } });
    const info = await c.userinfo(result.tokens.access_token);
    assert.equal(info.email, 'alice@example.com');
    assert.equal(info.name, undefined, 'no profile scope, no name');
  });

  test('UserInfo accepts the access token in a form body (RFC 6750 §2.2, rp-userinfo-bearer-body)', async (t) => {
    if (!(await need(t, ...FLOW, '/userinfo'))) return;
    const c = await client('spa');
    const { result } = await codeFlow(c, { scope: 'openid email' });
    const res = await fetch(`${issuer}/userinfo`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ access_token: result.tokens.access_token }),
    });
    assert.equal(res.status, 200, await res.clone().text());
    assert.equal((await res.json()).sub, 'alice');
  });

  test('refresh with a narrower scope (RFC 6749 §6)', async (t) => {
    if (!(await need(t, ...FLOW))) return;
    const c = await client('web-basic');
    const { result } = await codeFlow(c, { scope: 'openid offline_access email api:read' });
    const r = await c.refresh(result.tokens.refresh_token, { scope: 'openid api:read' });
    const scope = (r.tokens.scope ?? decodeJwt(r.tokens.access_token).scope ?? '').split(' ');
    assert.ok(scope.includes('api:read'));
    assert.ok(!scope.includes('email'), `narrowed: ${scope.join(' ')}`);
    await assertRejects(c.refresh(r.tokens.refresh_token ?? result.tokens.refresh_token, { scope: 'openid phone' }), (e) => {
      assert.equal(e.error, 'invalid_scope');
      return true;
    });
  });

  test('login and consent pages: escaped login_hint, CSP, the scope descriptions, the session cookie attributes', async (t) => {
    if (!(await need(t, ...FLOW))) return;
    const c = await client('spa');
    const evil = '"><script>alert(1)</script>';
    const tx = c.authorizationRequest({ scope: 'openid email phone', login_hint: evil, prompt: 'consent' });
    const jar = new CookieJar();
    const pages = [];
    const cb = await srv.login(tx.url, { jar, pages });
    const loginPage = pages.find((p) => p.step === 'login');
    const consentPage = pages.find((p) => p.step === 'consent');
    assert.ok(loginPage && consentPage, 'a login and a consent page');
    assert.ok(!loginPage.html.includes('<script>alert(1)'), 'login_hint is escaped');
    for (const p of [loginPage, consentPage]) {
      const csp = p.headers.get('content-security-policy') ?? '';
      assert.match(csp, /frame-ancestors 'none'/, `${p.step} page CSP: ${csp}`);
      assert.doesNotMatch(csp, /script-src[^;]*'unsafe-inline'/);
    }
    assert.match(consentPage.html, /Read your email address/, 'the email scope description');
    assert.match(consentPage.html, /Read your phone number/, 'the phone scope description');
    const session = jar.lines.find((l) => l.startsWith('oidckit_session='));
    assert.ok(session, 'the session cookie oidckit_session is set');
    assert.match(session, /;\s*HttpOnly/i);
    assert.match(session, /;\s*SameSite=Lax/i);
    assert.match(session, /;\s*Path=\//i);
    assert.equal((await c.handleCallback(cb.url, tx)).claims.sub, 'alice');
  });

  test('the per-client scenario switch (POST /scenario with client_id) turns a defect on and off', async (t) => {
    if (!(await need(t, ...FLOW, 'POST /scenario'))) return;
    const set = async (scenario) => {
      const res = await fetch(`${issuer}/scenario`, {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ client_id: 'web-post', scenario }),
      });
      assert.equal(res.status, 200, await res.text());
    };
    const c = await client('web-post', { tokenEndpointAuthMethod: 'client_secret_post' });
    await set('wrong-nonce');
    try {
      const got = await (await fetch(`${issuer}/scenario?client_id=web-post`)).json();
      assert.equal(got.scenario, 'wrong-nonce');
      await assertRejects(codeFlow(c, { scope: 'openid' }), (e) => {
        assert.equal(e.code, CLAIM);
        assert.equal(e.claim, 'nonce');
        return true;
      });
    } finally {
      await set('none');
    }
    const { result } = await codeFlow(c, { scope: 'openid' });
    assert.equal(result.claims.sub, 'alice');
  });
});

// ---- what a certified OP enforces (security.md §6), and malformed input ----------------------
describe('OP hardening (security.md §6) and malformed input', { timeout: TIMEOUT }, () => {
  /** A code for `clientId` from the login pages (raw authorize URL; PKCE only when `pkce`). */
  async function rawCode(clientId, { pkce = true, scope = 'openid offline_access', redirectUri = REDIRECT_URI } = {}) {
    const verifier = oidckit.generateCodeVerifier();
    const u = new URL(srv.discovery.authorization_endpoint);
    const p = { response_type: 'code', client_id: clientId, redirect_uri: redirectUri, scope, state: oidckit.generateState(), nonce: oidckit.generateNonce() };
    if (pkce) Object.assign(p, { code_challenge: oidckit.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256' });
    u.search = new URLSearchParams(p).toString();
    const cb = await srv.login(u.href);
    const code = new URL(cb.url).searchParams.get('code');
    assert.ok(code, `a code for ${clientId}: ${cb.url}`);
    return { code, verifier };
  }
  const auth = (id) => ({ authorization: basic(id, SECRETS[id]) });

  test('reusing an authorization code revokes the grant: its access and refresh tokens die', async (t) => {
    if (!(await need(t, ...FLOW, 'POST /introspect'))) return;
    const { code, verifier } = await rawCode('web-basic');
    const form = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier };
    const first = await post('/token', form, auth('web-basic'));
    assert.equal(first.status, 200, first.text);
    const again = await post('/token', form, auth('web-basic'));
    assert.equal(again.json?.error, 'invalid_grant', again.text);
    const rs = await client('resource-server');
    assert.equal((await rs.introspect(first.json.access_token)).active, false, 'the first access token is revoked');
    const refresh = await post('/token', { grant_type: 'refresh_token', refresh_token: first.json.refresh_token }, auth('web-basic'));
    assert.equal(refresh.json?.error, 'invalid_grant', refresh.text);
  });

  test('the token endpoint re-checks redirect_uri and the client the code was issued to', async (t) => {
    if (!(await need(t, ...FLOW))) return;
    let { code, verifier } = await rawCode('web-basic');
    const wrongUri = await post('/token', { grant_type: 'authorization_code', code, redirect_uri: `${REDIRECT_URI}x`, code_verifier: verifier }, auth('web-basic'));
    assert.equal(wrongUri.status, 400, wrongUri.text);
    assert.equal(wrongUri.json?.error, 'invalid_grant');
    ({ code, verifier } = await rawCode('web-basic'));
    const otherClient = await post('/token', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier, client_id: 'web-post', client_secret: SECRETS['web-post'] });
    assert.equal(otherClient.status, 400, otherClient.text);
    assert.equal(otherClient.json?.error, 'invalid_grant');
  });

  test('PKCE downgrade: a code_verifier for a code issued without a challenge is refused', async (t) => {
    if (!(await need(t, ...FLOW))) return;
    const { code } = await rawCode('web-basic', { pkce: false });
    const r = await post('/token', { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: oidckit.generateCodeVerifier() }, auth('web-basic'));
    assert.equal(r.status, 400, r.text);
    assert.ok(['invalid_grant', 'invalid_request'].includes(r.json?.error), r.text);
  });

  test('a refresh token only with offline_access', async (t) => {
    if (!(await need(t, ...FLOW))) return;
    const c = await client('spa');
    const { result } = await codeFlow(c, { scope: 'openid email' });
    assert.equal(result.tokens.refresh_token, undefined);
  });

  test('access tokens in the query string are not accepted (UserInfo, /api)', async (t) => {
    if (!(await need(t, 'POST /token', '/userinfo', '/api/me'))) return;
    const c = await client('web-basic');
    const { access_token: at } = await c.clientCredentials({ scope: 'api:read' });
    for (const path of ['/api/me', '/userinfo']) {
      const res = await fetch(`${issuer}${path}?access_token=${encodeURIComponent(at)}`);
      assert.ok([400, 401].includes(res.status), `${path}?access_token: ${res.status}`);
      await res.arrayBuffer();
    }
  });

  test('another client cannot revoke a token it was not issued (RFC 7009 §2.1)', async (t) => {
    if (!(await need(t, 'POST /token', 'POST /revoke', 'POST /introspect'))) return;
    const owner = await client('web-basic');
    const { access_token: at } = await owner.clientCredentials({ scope: 'api:read' });
    const r = await post('/revoke', { token: at, client_id: 'web-post', client_secret: SECRETS['web-post'] });
    assert.ok(r.status === 200 || (r.status >= 400 && r.status < 500), r.text);
    assert.notEqual(r.json?.error, 'invalid_client', 'web-post authenticated; the refusal is about the token');
    const rs = await client('resource-server');
    assert.equal((await rs.introspect(at)).active, true, 'still active after a foreign revocation request');
  });

  test('prompt=none with a session but a scope never consented: consent_required', async (t) => {
    if (!(await need(t, ...FLOW))) return;
    const jar = new CookieJar();
    const c = await client('web-jwt', { tokenEndpointAuthMethod: 'client_secret_jwt', tokenEndpointAuthSigningAlg: 'HS256' });
    await codeFlow(c, { scope: 'openid' }, { jar, user: 'bob' });
    const tx = c.authorizationRequest({ scope: 'openid email', prompt: 'none' });
    const cb = await srv.login(tx.url, { jar, user: 'bob' });
    assert.equal(cb.type, 'redirect');
    assert.equal(new URL(cb.url).searchParams.get('error'), 'consent_required', cb.url);
  });

  test('a refresh token is bound to its client', async (t) => {
    if (!(await need(t, ...FLOW))) return;
    const c = await client('web-basic');
    const { result } = await codeFlow(c, { scope: 'openid offline_access' });
    const r = await post('/token', { grant_type: 'refresh_token', refresh_token: result.tokens.refresh_token, client_id: 'web-post', client_secret: SECRETS['web-post'] });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.json?.error, 'invalid_grant');
    const ok = await c.refresh(result.tokens.refresh_token);
    assert.ok(ok.tokens.access_token, 'the owner can still refresh');
  });

  test('dynamic registration refuses a redirect URI with a fragment (invalid_redirect_uri)', async (t) => {
    if (!(await need(t, 'POST /register'))) return;
    const res = await fetch(srv.discovery.registration_endpoint, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ redirect_uris: ['https://rp.example/cb#frag'], token_endpoint_auth_method: 'client_secret_basic' }),
    });
    assert.equal(res.status, 400);
    assert.equal((await res.json()).error, 'invalid_redirect_uri');
  });

  test('malformed input never produces a 5xx; token-like endpoints answer RFC 6749 §5.2 JSON', async (t) => {
    if (!(await need(t, ...FLOW))) return;
    const cases = [
      ['POST', '/token', 'grant_type=authorization_code&code=%ZZ', 'application/x-www-form-urlencoded', true],
      ['POST', '/token', '{"grant_type":"client_credentials"}', 'application/json', true],
      ['POST', '/token', 'grant_type=refresh_token&grant_type=refresh_token', 'application/x-www-form-urlencoded', true],
      ['POST', '/token', 'grant_type=urn%3Aunknown', 'application/x-www-form-urlencoded', true],
      ['POST', '/token', '\u0000\xff\xfe', 'application/x-www-form-urlencoded', true],
      ['POST', '/token', `grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=${'a'.repeat(20)}.${'b'.repeat(20)}.c&client_id=backend`, 'application/x-www-form-urlencoded', true],
      ['POST', '/introspect', 'token=%E0%A4%A', 'application/x-www-form-urlencoded', true],
      ['POST', '/revoke', 'token=x', 'text/plain', true],
      ['POST', '/par', 'request=not.a.jwt&client_id=web-basic', 'application/x-www-form-urlencoded', true],
      ['POST', '/register', '{"redirect_uris": 5', 'application/json', true],
      ['POST', '/register', '[]', 'application/json', true],
      ['GET', '/userinfo', undefined, undefined, false, { authorization: 'Bearer a.b.c' }],
      ['GET', '/userinfo', undefined, undefined, false, { authorization: 'Basic Og==' }],
      ['GET', '/api/me', undefined, undefined, false, { authorization: 'Bearer' }],
      ['GET', '/authorize?client_id=%FF&response_type=code', undefined, undefined, false],
      ['GET', '/authorize?client_id=spa&redirect_uri=http%3A%2F%2F127.0.0.1%3A5999%2Fcb&response_type=code&request=e30.e30.', undefined, undefined, false],
      ['GET', '/authorize?client_id=spa&client_id=spa', undefined, undefined, false],
      ['GET', '/end-session?id_token_hint=not-a-jwt', undefined, undefined, false],
      ['GET', '/end-session?post_logout_redirect_uri=http%3A%2F%2Fevil.example%2F', undefined, undefined, false],
      ['POST', '/login', 'interaction=nope&csrf=nope&username=alice&password=x', 'application/x-www-form-urlencoded', false],
      ['POST', '/consent', 'interaction=nope&csrf=nope&decision=allow', 'application/x-www-form-urlencoded', false],
    ];
    const problems = [];
    for (const [method, path, body, type, jsonError, headers = {}] of cases) {
      if (!(await exists(path.split('?')[0], method))) continue;
      const res = await fetch(`${issuer}${path}`, {
        method, redirect: 'manual', body, headers: { ...(type ? { 'content-type': type } : {}), ...headers }, signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      if (res.status >= 500) problems.push(`${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
      if (jsonError) {
        let json;
        try { json = JSON.parse(text); } catch { /* reported below */ }
        if (res.status < 400 || typeof json?.error !== 'string') problems.push(`${method} ${path}: ${res.status}, not an RFC 6749 §5.2 error: ${text.slice(0, 200)}`);
      }
    }
    assert.deepEqual(problems, []);
  });
});

// ---- a second server: opaque access tokens, ES256 ID tokens -------------------------------------
describe('opaque access tokens and ES256 ID tokens (a second server)', { timeout: TIMEOUT }, () => {
  let srv2;
  let startError;

  before(async () => {
    try {
      srv2 = await startServer({ scenarios: [], server: { access_token_format: 'opaque', id_token_signing_alg: 'ES256' } });
    } catch (e) {
      startError = e;
    }
  });

  after(async () => {
    await srv2?.stop();
  });

  test('code flow: an ES256 ID token, an opaque access token usable at UserInfo, introspection, /api; revocation', async () => {
    if (startError) throw startError;
    const iss2 = srv2.issuer;
    assert.deepEqual(srv2.discovery.id_token_signing_alg_values_supported, ['ES256']);
    const c = await Client.discover(iss2, opts('spa', { idTokenSignedResponseAlg: 'ES256' }));
    const tx = c.authorizationRequest({ scope: 'openid email api:read' });
    const cb = await srv2.login(tx.url);
    const { tokens, claims } = await c.handleCallback(cb.url, tx);
    assert.equal(claims.sub, 'alice');
    assert.equal(decodeProtectedHeader(tokens.id_token).alg, 'ES256');
    assert.notEqual(tokens.access_token.split('.').length, 3, 'the access token is opaque, not a JWT');
    assert.equal((await c.userinfo()).email, 'alice@example.com');
    const rs = await Client.discover(iss2, opts('resource-server'));
    const info = await rs.introspect(tokens.access_token);
    assert.equal(info.active, true);
    assert.equal(info.sub, 'alice');
    assert.equal(info.client_id, 'spa');
    const me = await fetch(`${iss2}/api/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(me.status, 200);
    assert.equal((await me.json()).sub, 'alice');
    const web = await Client.discover(iss2, opts('web-basic'));
    const cc = await web.clientCredentials({ scope: 'api:read' });
    await web.revoke(cc.access_token);
    assert.equal((await rs.introspect(cc.access_token)).active, false);
    const after = await fetch(`${iss2}/api/me`, { headers: { authorization: `Bearer ${cc.access_token}` } });
    assert.equal(after.status, 401);
    await after.arrayBuffer();
  });

  test('an RS256-only Client refuses the ES256 ID token (algorithm allow-list)', async () => {
    if (startError) throw startError;
    const c = await Client.discover(srv2.issuer, opts('spa'));
    const tx = c.authorizationRequest({ scope: 'openid' });
    const cb = await srv2.login(tx.url);
    await assertRejects(c.handleCallback(cb.url, tx), (e) => {
      assert.equal(e.code, 'ERR_JOSE_ALG_NOT_ALLOWED', `${e.code}: ${e.message}`);
      return true;
    });
  });

  test('the second server logged no 5xx, panic or ERROR line', () => {
    if (startError) throw startError;
    assert.deepEqual(srv2.logs.faults, []);
  });

  test('signing in as another user ends the old session: a logout token for alice', async (t) => {
    if (!(await need(t, ...FLOW))) return;
    const jar = new CookieJar();
    const c = await client('bcl-client');
    const alice = await codeFlow(c, { scope: 'openid' }, { jar });
    const before = srv.logoutTokens.length;
    const bob = await codeFlow(c, { scope: 'openid', prompt: 'login' }, { jar, user: 'bob' });
    assert.equal(bob.result.claims.sub, 'bob');
    const deadline = Date.now() + 5_000;
    while (srv.logoutTokens.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(srv.logoutTokens.length > before, 'a logout token was POSTed for the ended session');
    const remote = createRemoteJWKSet(srv.discovery.jwks_uri, { allowInsecureRequests: true });
    const v = await oidckit.validateLogoutToken(srv.logoutTokens.at(-1), remote, { issuer, clientId: 'bcl-client' });
    assert.equal(v.payload.sub ?? 'alice', 'alice');
    if (alice.result.claims.sid) assert.equal(v.payload.sid, alice.result.claims.sid);
  });
});

// ---- misbehaviour scenarios ---------------------------------------------------------------------
//
// How each scenario is driven (`how`, and `also` a second way: the ID Token defects are checked
// on the token endpoint's ID Token (code flow) and on a front-channel one (response_type
// id_token)) and the error code our Client must fail with: the
// server's `Scenario::expected_rp_error` (server/src/scenario.rs; also listed by GET /scenario,
// checked below), `claim` the JWT claim named by a claim-validation failure. `kid-absent-multi`
// and `key-rotated` must succeed (tested separately).
const CLAIM = 'ERR_JWT_CLAIM_VALIDATION_FAILED';
const SCENARIO_CASES = {
  'bad-signature': { how: 'code', also: 'id_token', code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' },
  'alg-none': { how: 'code', also: 'id_token', code: 'ERR_JOSE_ALG_NOT_ALLOWED' },
  'wrong-iss': { how: 'code', also: 'id_token', code: CLAIM, claim: 'iss' },
  'wrong-aud': { how: 'code', also: 'id_token', code: CLAIM, claim: 'aud' },
  'missing-aud': { how: 'code', also: 'id_token', code: CLAIM, claim: 'aud' },
  'multi-aud-no-azp': { how: 'code', also: 'id_token', code: CLAIM, claim: 'azp' },
  expired: { how: 'code', also: 'id_token', code: 'ERR_JWT_EXPIRED', claim: 'exp' },
  'iat-far-past': { how: 'code', also: 'id_token', code: 'ERR_JWT_EXPIRED', claim: 'iat' },
  'missing-iat': { how: 'code', also: 'id_token', code: CLAIM, claim: 'iat' },
  'missing-sub': { how: 'code', also: 'id_token', code: CLAIM, claim: 'sub' },
  'wrong-nonce': { how: 'code', also: 'id_token', code: CLAIM, claim: 'nonce' },
  'bad-at-hash': { how: 'id_token token', code: CLAIM, claim: 'at_hash' },
  'missing-at-hash': { how: 'id_token token', code: CLAIM, claim: 'at_hash' },
  'bad-c-hash': { how: 'code id_token', code: CLAIM, claim: 'c_hash' },
  'missing-c-hash': { how: 'code id_token', code: CLAIM, claim: 'c_hash' },
  'unknown-kid': { how: 'code', also: 'id_token', code: 'ERR_JWKS_NO_MATCHING_KEY' },
  'userinfo-other-sub': { how: 'userinfo', code: 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED' },
  'discovery-issuer-mismatch': { how: 'discovery', code: 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED' },
  'missing-iss-param': { how: 'code', code: 'OAUTH_MISSING_REQUIRED_PARAMETER' },
  'wrong-iss-param': { how: 'code', code: 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED' },
  'refresh-other-sub': { how: 'refresh', code: 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED' },
  'refresh-other-iss': { how: 'refresh', code: CLAIM, claim: 'iss' },
  'logout-alg-none': { how: 'logout', code: 'ERR_JOSE_ALG_NOT_ALLOWED' },
  'logout-no-event': { how: 'logout', code: CLAIM, claim: 'events' },
  'logout-with-nonce': { how: 'logout', code: CLAIM, claim: 'nonce' },
  'logout-wrong-alg': { how: 'logout', code: 'ERR_JOSE_ALG_NOT_ALLOWED' },
  'logout-wrong-aud': { how: 'logout', code: CLAIM, claim: 'aud' },
  'logout-wrong-iss': { how: 'logout', code: CLAIM, claim: 'iss' },
  'logout-wrong-event': { how: 'logout', code: CLAIM, claim: 'events' },
};
/** Scenarios the RP must accept (expected_rp_error ""). */
const POSITIVE_SCENARIOS = ['kid-absent-multi', 'key-rotated'];

/** GET /scenario's list { name → expected_rp_error }, or undefined when the switch does not exist. */
let serverScenarios;
async function scenarioList() {
  if (serverScenarios === undefined) {
    serverScenarios = null;
    if (await exists('/scenario')) {
      const res = await fetch(`${issuer}/scenario`);
      if (res.ok) {
        const body = await res.json();
        serverScenarios = Object.fromEntries((body.scenarios ?? []).map((x) => [x.name, x.expected_rp_error ?? '']));
      }
    }
  }
  return serverScenarios;
}

/** Sets the global scenario switch (POST /scenario); `none` turns it off. */
async function setGlobalScenario(name) {
  const res = await fetch(`${issuer}/scenario`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scenario: name }),
  });
  const text = await res.text();
  assert.equal(res.status, 200, `POST /scenario ${name}: ${text}`);
}

function checkScenarioError(name, e) {
  const want = SCENARIO_CASES[name];
  assert.ok(e instanceof Error, `${name}: not an Error: ${e}`);
  assert.equal(e.code, want.code, `${name}: expected ${want.code}, got ${e.code} (${e.name}: ${e.message})`);
  if (want.claim && [CLAIM, 'ERR_JWT_EXPIRED'].includes(e.code)) assert.equal(e.claim, want.claim, `${name}: the failing claim (${e.message})`);
  return true;
}

/** Runs the flow of scenario `name` until our Client's check that must fail. */
async function runScenario(name, how = SCENARIO_CASES[name].how, { jar = new CookieJar() } = {}) {
  const clientId = `scn-${name}`;
  if (how === 'discovery') {
    // A global switch only (discovery does not know the client): on for this one call.
    await setGlobalScenario(name);
    try {
      return await Client.discover(issuer, opts(clientId));
    } finally {
      await setGlobalScenario('none');
    }
  }
  const c = await client(clientId);
  if (how === 'logout') {
    await codeFlow(c, { scope: 'openid' }, { jar });
    const before = srv.logoutTokens.length;
    await srv.logout(c.endSessionUrl({ state: 's' }), { jar });
    const deadline = Date.now() + 5_000;
    while (srv.logoutTokens.length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(srv.logoutTokens.length > before, `${name}: a logout token was POSTed`);
    const remote = createRemoteJWKSet(srv.discovery.jwks_uri, { allowInsecureRequests: true });
    return oidckit.validateLogoutToken(srv.logoutTokens.at(-1), remote, { issuer, clientId });
  }
  if (how === 'userinfo') {
    const { result } = await codeFlow(c, { scope: 'openid email' }, { jar });
    return c.userinfo(result.tokens.access_token);
  }
  if (how === 'refresh') {
    const { result } = await codeFlow(c, { scope: 'openid offline_access' }, { jar });
    return c.refresh(result.tokens.refresh_token);
  }
  const params = how === 'code' ? {} : { response_type: how };
  return codeFlow(c, { scope: 'openid email', ...params }, { jar });
}

describe('misbehaviour scenarios: our Client refuses each defect', { timeout: TIMEOUT }, () => {
  for (const [name, sc] of Object.entries(SCENARIO_CASES)) {
    for (const how of [sc.how, ...(sc.also ? [sc.also] : [])]) {
      test(`scenario ${name} (${how}): the Client fails with ${sc.code}`, async (t) => {
        if (srv.droppedScenarios.includes(name)) return t.skip(`the server refuses the scenario name "${name}" in its configuration (unknown scenario)`);
        const list = await scenarioList();
        if (list) {
          assert.ok(name in list, `GET /scenario does not list ${name}`);
          assert.equal(list[name], sc.code, `${name}: the server's expected_rp_error`);
        }
        const needs = {
          discovery: ['POST /scenario'],
          id_token: ['/authorize'],
          'id_token token': ['/authorize'],
          logout: [...FLOW, '/end-session'],
          userinfo: [...FLOW, '/userinfo'],
        }[how] ?? FLOW;
        if (!(await need(t, ...needs))) return;
        await assertRejects(runScenario(name, how), (e) => checkScenarioError(name, e), `scenario ${name} must make the Client fail`);
      });
    }
  }

  test('the server lists the positive scenarios with no expected error', async (t) => {
    const list = await scenarioList();
    if (!list) return t.skip('the server has no GET /scenario list');
    for (const name of POSITIVE_SCENARIOS) assert.equal(list[name], '', name);
    const ours = new Set([...Object.keys(SCENARIO_CASES), ...POSITIVE_SCENARIOS]);
    const missing = Object.keys(list).filter((n) => n !== 'none' && !ours.has(n));
    assert.deepEqual(missing, [], 'every server scenario is tested here');
  });

  test('scenario kid-absent-multi: no kid with several keys; the Client tries each key and accepts', async (t) => {
    if (srv.droppedScenarios.includes('kid-absent-multi')) return t.skip('the server refuses the scenario name "kid-absent-multi" (unknown scenario)');
    if (!(await need(t, ...FLOW))) return;
    const c = await client('scn-kid-absent-multi');
    const { result } = await codeFlow(c, { scope: 'openid' });
    assert.equal(result.claims.sub, 'alice');
    const h = decodeProtectedHeader(result.tokens.id_token);
    assert.equal(h.kid, undefined, 'the ID token has no kid');
    const { keys } = await (await fetch(srv.discovery.jwks_uri)).json();
    assert.ok(keys.filter((k) => (k.alg ?? h.alg) === h.alg && k.kty === 'RSA').length >= 2, 'several keys for its alg are published');
  });

  test('scenario key-rotated: the OP rotates its key just before signing; the Client refetches the JWKS and succeeds', async (t) => {
    if (srv.droppedScenarios.includes('key-rotated')) return t.skip('the server refuses the scenario name "key-rotated" (unknown scenario)');
    if (!(await need(t, ...FLOW))) return;
    const jwks = createRemoteJWKSet(srv.discovery.jwks_uri, { allowInsecureRequests: true, cooldownDuration: 0 });
    await jwks.reload();
    const before = new Set(jwks.jwks().keys.map((k) => k.kid));
    const c = await client('scn-key-rotated', { jwks });
    const { result } = await codeFlow(c, { scope: 'openid' });
    assert.equal(result.claims.sub, 'alice');
    const kid = decodeProtectedHeader(result.tokens.id_token).kid;
    assert.ok(!before.has(kid), `the ID token is signed with a key (${kid}) the client had not seen`);
    assert.ok(jwks.jwks().keys.some((k) => k.kid === kid), 'the client refetched the JWKS');
    // A second flow rotates again: still fine (old keys stay published for the grace period).
    const second = await codeFlow(c, { scope: 'openid' });
    assert.equal(second.result.claims.sub, 'alice');
  });

  test('the scenario can also be chosen per request (?scenario=bad-signature on the spa client)', async (t) => {
    if (!(await need(t, ...FLOW))) return;
    const c = await client('spa');
    await assertRejects(codeFlow(c, { scope: 'openid', scenario: 'bad-signature' }), (e) => checkScenarioError('bad-signature', e));
  });
});

// ---- a third server: every endpoint moved by [paths] ------------------------------------------
describe('[paths]: endpoints moved by the configuration (a third server)', { timeout: TIMEOUT }, () => {
  const PATHS = {
    authorize: '/oauth2/auth', token: '/oauth2/token', userinfo: '/oauth2/userinfo', introspect: '/oauth2/introspect',
    revoke: '/oauth2/revoke', register: '/oauth2/register', end_session: '/oauth2/logout', par: '/oauth2/par',
    jwks: '/oauth2/keys', login: '/ui/login', consent: '/ui/consent', api: '/resource',
  };
  let srv3;
  let startError;

  before(async () => {
    const toml = `[paths]\n${Object.entries(PATHS).map(([k, v]) => `${k} = "${v}"`).join('\n')}\n`;
    try {
      srv3 = await startServer({ scenarios: [], extraToml: toml });
    } catch (e) {
      startError = e;
    }
  });

  after(async () => {
    await srv3?.stop();
  });

  const skipUnlessPaths = (t) => {
    if (startError && /unknown field `paths`/.test(startError.message)) {
      t.skip('the server has no [paths] configuration');
      return true;
    }
    if (startError) throw startError;
    return false;
  };

  test('discovery advertises the moved endpoints; the default paths answer 404', async (t) => {
    if (skipUnlessPaths(t)) return;
    const m = srv3.discovery;
    const iss3 = srv3.issuer;
    assert.equal(m.authorization_endpoint, `${iss3}${PATHS.authorize}`);
    assert.equal(m.token_endpoint, `${iss3}${PATHS.token}`);
    assert.equal(m.userinfo_endpoint, `${iss3}${PATHS.userinfo}`);
    assert.equal(m.introspection_endpoint, `${iss3}${PATHS.introspect}`);
    assert.equal(m.revocation_endpoint, `${iss3}${PATHS.revoke}`);
    assert.equal(m.registration_endpoint, `${iss3}${PATHS.register}`);
    assert.equal(m.end_session_endpoint, `${iss3}${PATHS.end_session}`);
    assert.equal(m.pushed_authorization_request_endpoint, `${iss3}${PATHS.par}`);
    assert.equal(m.jwks_uri, `${iss3}${PATHS.jwks}`);
    const old = await fetch(`${iss3}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
    assert.equal(old.status, 404);
    await old.arrayBuffer();
  });

  test('our Client completes code + PKCE, UserInfo, refresh, PAR, introspection, revocation, /api and logout at the moved paths', async (t) => {
    if (skipUnlessPaths(t)) return;
    const iss3 = srv3.issuer;
    const jar = new CookieJar();
    const steps = [];
    const c = await Client.discover(iss3, opts('spa'));
    const tx = c.authorizationRequest({ scope: 'openid offline_access email api:read' });
    const cb = await srv3.login(tx.url, { jar, steps });
    assert.deepEqual(steps, ['login', 'consent']);
    const { tokens, claims } = await c.handleCallback(cb.url, tx);
    assert.equal(claims.sub, 'alice');
    assert.equal((await c.userinfo()).email, 'alice@example.com');
    const me = await c.fetchProtectedResource(`${iss3}${PATHS.api}/me`);
    assert.equal(me.status, 200, await me.clone().text());
    const r = await c.refresh();
    assert.ok(r.tokens.access_token);
    const rs = await Client.discover(iss3, opts('resource-server'));
    assert.equal((await rs.introspect(r.tokens.access_token)).active, true);
    const web = await Client.discover(iss3, opts('web-basic'));
    const ptx = await web.pushedAuthorizationRequest({ scope: 'openid' });
    const pcb = await srv3.login(ptx.url, { jar });
    assert.equal((await web.handleCallback(pcb.url, ptx)).claims.sub, 'alice');
    const cc = await web.clientCredentials({ scope: 'api:read' });
    await web.revoke(cc.access_token);
    assert.equal((await rs.introspect(cc.access_token)).active, false);
    const out = await srv3.logout(c.endSessionUrl({ id_token_hint: tokens.id_token, state: 'moved' }), { jar });
    assert.equal(out.type, 'redirect');
    assert.equal(new URL(out.url).searchParams.get('state'), 'moved');
  });

  test('private_key_jwt and DPoP check the moved token endpoint URL (aud, htu)', async (t) => {
    if (skipUnlessPaths(t)) return;
    const c = await Client.discover(srv3.issuer, opts('backend-jwks', backendOpts('backend-jwks', {}, srv3)));
    const tokens = await c.clientCredentials({ scope: 'api:read' });
    assert.equal(decodeJwt(tokens.access_token).client_id, 'backend-jwks');
    const dpop = oidckit.createDPoPHandle(oidckit.generateKeyPair('ES256'));
    const d = await Client.discover(srv3.issuer, opts('web-basic', { dpop }));
    const bound = await d.clientCredentials({ scope: 'api:read' });
    assert.equal(bound.token_type, 'dpop');
  });

  test('the third server logged no 5xx, panic or ERROR line', (t) => {
    if (skipUnlessPaths(t)) return;
    assert.deepEqual(srv3.logs.faults, []);
  });
});

// ---- the admin page: key rotation and revoking a user's grants (late: they change the OP) ------
describe('admin page: key rotation with grace, revoking all of a user\'s grants', { timeout: TIMEOUT }, () => {
  test('rotating the signing key: new tokens carry the new kid, the Client refetches; old tokens still verify', async (t) => {
    if (!(await need(t, ...FLOW, '/admin'))) return;
    const admin = await srv.admin();
    const jwks = createRemoteJWKSet(srv.discovery.jwks_uri, { allowInsecureRequests: true, cooldownDuration: 0 });
    // One Client per sign-in: a refresh is checked for continuity against its client's last ID token.
    const c = await client('web-basic', { jwks });
    const c2 = await client('web-basic', { jwks });
    const first = await codeFlow(c, { scope: 'openid offline_access' });
    const oldKid = decodeProtectedHeader(first.result.tokens.id_token).kid;
    const r = await admin.submit('/admin/keys', '/keys/rotate');
    assert.ok(r.status < 400, `rotate: ${r.status} ${r.html.slice(0, 200)}`);
    const second = await codeFlow(c2, { scope: 'openid' });
    const newKid = decodeProtectedHeader(second.result.tokens.id_token).kid;
    assert.notEqual(newKid, oldKid, 'signed with the new key');
    assert.equal(second.result.claims.sub, 'alice');
    const { keys } = await (await fetch(srv.discovery.jwks_uri)).json();
    assert.ok(keys.some((k) => k.kid === oldKid), 'the previous key stays published for the grace period');
    assert.ok(keys.some((k) => k.kid === newKid));
    const v = await oidckit.validateIdToken(first.result.tokens.id_token, jwks, { issuer, clientId: 'web-basic', nonce: first.tx.nonce });
    assert.equal(v.payload.sub, 'alice', 'a token signed before the rotation still verifies');
    const refreshed = await c.refresh(first.result.tokens.refresh_token);
    if (refreshed.tokens.id_token) assert.equal(decodeProtectedHeader(refreshed.tokens.id_token).kid, newKid);
  });

  test('revoking all of alice\'s grants: her refresh and access tokens stop working', async (t) => {
    if (!(await need(t, ...FLOW, '/admin', 'POST /introspect'))) return;
    const admin = await srv.admin();
    const c = await client('web-basic');
    const { result } = await codeFlow(c, { scope: 'openid offline_access api:read' });
    const r = await admin.submit('/admin/grants', '/grants/revoke', {}, (f) => f.fields.get('username') === 'alice');
    assert.ok(r.status < 400, `revoke: ${r.status} ${r.html.slice(0, 200)}`);
    await assertRejects(c.refresh(result.tokens.refresh_token), (e) => {
      assert.equal(e.error, 'invalid_grant');
      return true;
    });
    const rs = await client('resource-server');
    assert.equal((await rs.introspect(result.tokens.access_token)).active, false);
    // A new sign-in makes a new grant.
    const again = await codeFlow(c, { scope: 'openid' });
    assert.equal(again.result.claims.sub, 'alice');
  });
});

// ---- last: the server's own log of this run ---------------------------------------------------
describe('server log of this run', () => {
  test('no request was answered with a 5xx, nothing panicked, no ERROR line', () => {
    assert.deepEqual(srv.logs.faults, [], 'server faults logged during the run');
    assert.equal(srv.logs.exit, undefined, 'the server is still running');
  });
});
