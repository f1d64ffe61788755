// End-to-end tests of the packed oidckit package against a real, certified OpenID Provider: the
// npm package `oidc-provider` (v9) started on 127.0.0.1 (plain HTTP, port 0) by this file, with
// its development login and consent forms driven over HTTP (tests/js/op/provider.mjs).
// Covers the four "Who it is for" scenarios of issue 3.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as http from 'node:http';

import * as oidckit from 'oidckit';

import {
  startOP, makeFixtures, REDIRECT_URI, POST_LOGOUT_REDIRECT_URI, RESOURCE, JWT_BEARER, CookieJar,
} from './op/provider.mjs';

const {
  Client, createRemoteJWKSet, importPKCS8, importX509, importJWK, generateKeyPair, decodeJwt,
  decodeProtectedHeader, errors,
} = oidckit;

// A hang (a server that never answers) becomes a named failure instead of a stuck run.
const TIMEOUT = 60_000;

let op;
let fx;

before(async () => {
  fx = await makeFixtures();
  op = await startOP(fx);
}, { timeout: TIMEOUT });

after(async () => {
  await op?.close();
}, { timeout: TIMEOUT });

/** Client options common to every client of these tests (plain HTTP on loopback is opted into). */
function opts(clientId, extra = {}) {
  const secret = op.secret(clientId);
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
  return Client.discover(op.issuer, opts(clientId, extra));
}

/** Runs a whole authorization code flow for `c` and returns { tx, result, callback }. */
async function codeFlow(c, params = {}, loginOpts = {}) {
  const tx = c.authorizationRequest({ scope: 'openid offline_access profile email', prompt: 'consent', ...params });
  const callback = await op.login(tx.url, loginOpts);
  assert.equal(callback.type, 'redirect', 'the OP redirected back to the client');
  const result = await c.handleCallback(callback.url, tx);
  return { tx, result, callback };
}

const sha256b64u = (s) => createHash('sha256').update(s).digest('base64url');

function assertAliceIdToken(idToken, clientId, nonce) {
  const claims = decodeJwt(idToken);
  assert.equal(claims.iss, op.issuer);
  assert.equal(claims.sub, 'alice');
  assert.equal(claims.aud, clientId);
  if (nonce !== undefined) assert.equal(claims.nonce, nonce);
  return claims;
}

async function assertRejects(promiseOrFn, check, message) {
  await assert.rejects(async () => (typeof promiseOrFn === 'function' ? promiseOrFn() : promiseOrFn), check, message);
}

// ---- discovery --------------------------------------------------------------------------------
describe('discovery', { timeout: TIMEOUT }, () => {
  test('Client.discover validates the OP metadata (issuer equals the URL, loopback http opted in)', async () => {
    const c = await client('spa');
    assert.equal(c.metadata.issuer, op.issuer);
    assert.equal(c.metadata.token_endpoint, `${op.issuer}/token`);
    assert.ok(c.metadata.jwks_uri.startsWith(op.issuer));
  });

  test('plain http is refused unless allowInsecureRequests is set (secure default)', async () => {
    await assertRejects(Client.discover(op.issuer, { clientId: 'spa', redirectUri: REDIRECT_URI }), (e) => {
      assert.ok(e instanceof errors.OperationProcessingError);
      assert.equal(e.code, 'OAUTH_HTTP_REQUEST_FORBIDDEN');
      return true;
    });
  });

  test('an issuer that differs from the discovery document is rejected', async () => {
    await assertRejects(Client.discover(`${op.issuer}/`, opts('spa')), (e) => {
      assert.ok(e instanceof errors.OperationProcessingError);
      assert.equal(e.code, 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED');
      assert.match(e.message, /issuer/);
      return true;
    });
  });
});

// ---- 1. browser / Node app: code + PKCE, UserInfo, refresh, logout -------------------------
describe('scenario 1: authorization code + PKCE (public client)', { timeout: TIMEOUT }, () => {
  let c;
  let flow;

  before(async () => {
    c = await client('spa');
  });

  test('code + PKCE (S256) through the OP login form, ID token validated', async () => {
    flow = await codeFlow(c);
    const u = new URL(flow.tx.url);
    assert.equal(u.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(u.searchParams.get('code_challenge'), sha256b64u(flow.tx.codeVerifier));
    assert.equal(u.searchParams.get('response_type'), 'code');
    assert.ok(flow.tx.state && flow.tx.nonce);
    assert.equal(new URL(flow.callback.url).searchParams.get('iss'), op.issuer, 'RFC 9207 iss sent by the OP');
    const { tokens, claims } = flow.result;
    assert.equal(claims.sub, 'alice');
    assert.equal(claims.nonce, flow.tx.nonce);
    assert.equal(claims.aud, 'spa');
    assert.ok(tokens.access_token && tokens.refresh_token && tokens.id_token);
    assert.equal(String(tokens.token_type).toLowerCase(), 'bearer');
    assertAliceIdToken(tokens.id_token, 'spa', flow.tx.nonce);
  });

  test('the same callback is refused the second time (state is single use)', async () => {
    const tokenRequests = op.state.requests.filter((r) => r === 'POST /token').length;
    await assertRejects(c.handleCallback(flow.callback.url, flow.tx), (e) => {
      assert.ok(e instanceof errors.OperationProcessingError);
      assert.equal(e.code, 'OAUTH_INVALID_REQUEST');
      assert.match(e.message, /already used/);
      return true;
    });
    assert.equal(op.state.requests.filter((r) => r === 'POST /token').length, tokenRequests, 'the code was not sent again');
  });

  test('a callback with another state is refused before any token request', async () => {
    const tx = c.authorizationRequest({ scope: 'openid' });
    const cb = await op.login(tx.url);
    const u = new URL(cb.url);
    u.searchParams.set('state', 'not-the-state');
    const before = op.state.requests.filter((r) => r === 'POST /token').length;
    await assertRejects(c.handleCallback(u.href, tx), (e) => {
      assert.equal(e.code, 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED');
      assert.match(e.message, /state/);
      return true;
    });
    assert.equal(op.state.requests.filter((r) => r === 'POST /token').length, before, 'no token request was made');
  });

  test('a transaction is serialisable (JSON round trip, e.g. sessionStorage)', async () => {
    const tx = c.authorizationRequest({ scope: 'openid' });
    const stored = JSON.parse(JSON.stringify(tx));
    const cb = await op.login(tx.url);
    const { claims } = await c.handleCallback(cb.url, stored);
    assert.equal(claims.sub, 'alice');
  });

  test('UserInfo: claims of the scopes, sub equal to the ID token sub', async () => {
    const info = await c.userinfo(flow.result.tokens.access_token);
    assert.equal(info.sub, 'alice');
    assert.equal(info.email, 'alice@example.com');
    assert.equal(info.name, 'Alice Liddell');
  });

  test('UserInfo for another user than the ID token\'s sub is refused (OIDC Core §5.3.2)', async () => {
    const other = await client('spa');
    const bob = await codeFlow(other, { scope: 'openid email' }, { user: 'bob' });
    assert.equal(bob.result.claims.sub, 'bob');
    await assertRejects(c.userinfo(bob.result.tokens.access_token, { expectedSubject: 'alice' }), (e) => {
      assert.ok(e instanceof errors.OperationProcessingError);
      assert.equal(e.code, 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED');
      assert.match(e.message, /sub/);
      return true;
    });
    const info = await other.userinfo(bob.result.tokens.access_token);
    assert.equal(info.sub, 'bob');
  });

  test('refresh: new tokens, refreshed ID token continuous with the first one', async () => {
    const refreshed = await c.refresh(flow.result.tokens.refresh_token);
    const tokens = refreshed.tokens ?? refreshed;
    assert.ok(tokens.access_token);
    assert.notEqual(tokens.access_token, flow.result.tokens.access_token);
    const claims = assertAliceIdToken(tokens.id_token, 'spa');
    if (refreshed.claims) assert.equal(refreshed.claims.sub, 'alice');
    assert.equal(claims.sub, flow.result.claims.sub);
    const info = await c.userinfo(tokens.access_token);
    assert.equal(info.sub, 'alice');
  });

  test('max_age and the claims parameter: auth_time checked, the requested claim in the ID token', async () => {
    const { result } = await codeFlow(c, { scope: 'openid', max_age: 300, claims: { id_token: { email: { essential: true } } } });
    assert.equal(typeof result.claims.auth_time, 'number');
    assert.ok(result.claims.auth_time <= Math.floor(Date.now() / 1000) + 5);
    assert.equal(result.claims.email, 'alice@example.com');
  });

  test('RP-initiated logout: endSessionUrl is accepted by the OP and returns to the client', async () => {
    const jar = new CookieJar();
    const { result } = await codeFlow(c, {}, { jar });
    const url = new URL(c.endSessionUrl({ id_token_hint: result.tokens.id_token, state: 'bye-1' }));
    assert.equal(url.origin + url.pathname, `${op.issuer}/session/end`);
    assert.equal(url.searchParams.get('id_token_hint'), result.tokens.id_token);
    assert.equal(url.searchParams.get('post_logout_redirect_uri'), POST_LOGOUT_REDIRECT_URI);
    assert.equal(url.searchParams.get('client_id'), 'spa');
    const done = await op.logout(url, { jar });
    const back = new URL(done);
    assert.equal(back.origin + back.pathname, POST_LOGOUT_REDIRECT_URI);
    assert.equal(back.searchParams.get('state'), 'bye-1');
  });
});

// ---- confidential clients: each authentication method -------------------------------------
describe('client authentication at the token endpoint', { timeout: TIMEOUT }, () => {
  test('client_secret_basic', async () => {
    const c = await client('web-basic', { tokenEndpointAuthMethod: 'client_secret_basic' });
    const { result } = await codeFlow(c);
    assert.equal(result.claims.sub, 'alice');
    assert.equal(op.state.lastGrant.clientAuthMethod, 'client_secret_basic');
  });

  test('client_secret_post', async () => {
    const c = await client('web-post', { tokenEndpointAuthMethod: 'client_secret_post' });
    const { result } = await codeFlow(c);
    assert.equal(result.claims.sub, 'alice');
    assert.equal(op.state.lastGrant.clientAuthMethod, 'client_secret_post');
  });

  test('a wrong client secret surfaces the OP error (invalid_client) as a typed error', async () => {
    const c = await client('web-basic', { clientSecret: 'wrong-secret-0123456789abcdef0123456789' });
    const tx = c.authorizationRequest({ scope: 'openid' });
    const cb = await op.login(tx.url);
    await assertRejects(c.handleCallback(cb.url, tx), (e) => {
      assert.equal(e.error, 'invalid_client');
      assert.ok(e instanceof errors.ResponseBodyError);
      return true;
    });
  });

  test('private_key_jwt RS256 (PKCS#8 key, kid header), code flow', async () => {
    const privateKey = importPKCS8(fx.backend.pkcs8Pem, 'RS256');
    const c = await client('backend-rs256', {
      tokenEndpointAuthMethod: 'private_key_jwt',
      tokenEndpointAuthSigningAlg: 'RS256',
      privateKey,
      kid: fx.backend.kid,
    });
    const { result } = await codeFlow(c, { scope: 'openid' });
    assert.equal(result.claims.sub, 'alice');
    const { header, claims } = op.state.lastClientAssertion;
    assert.equal(header.alg, 'RS256');
    assert.equal(header.kid, fx.backend.kid);
    assert.equal(claims.iss, 'backend-rs256');
    assert.equal(claims.sub, 'backend-rs256');
    assert.ok(claims.jti);
  });

  test('private_key_jwt RS384 with the certificate x5t, client_credentials with scope system/*.read', async () => {
    const privateKey = importPKCS8(fx.backend.pkcs8Pem, 'RS384');
    const cert = importX509(fx.backend.certPem, 'RS384');
    assert.equal(cert.x5t, fx.backend.x5t);
    const c = await client('backend-rs384', {
      tokenEndpointAuthMethod: 'private_key_jwt',
      tokenEndpointAuthSigningAlg: 'RS384',
      privateKey,
      x5t: cert.x5t,
    });
    const res = await c.clientCredentials({ scope: 'system/*.read' });
    const tokens = res.tokens ?? res;
    assert.ok(tokens.access_token);
    assert.equal(tokens.scope, 'system/*.read');
    const { header, claims } = op.state.lastClientAssertion;
    assert.equal(header.alg, 'RS384');
    assert.equal(header.x5t, fx.backend.x5t);
    assert.equal(claims.iss, 'backend-rs384');
    assert.equal(claims.sub, 'backend-rs384');
    assert.ok([op.issuer, `${op.issuer}/token`].includes(Array.isArray(claims.aud) ? claims.aud[0] : claims.aud));
    assert.ok(claims.exp - claims.iat <= 300, 'exp at most 5 minutes ahead');
    assert.ok(typeof claims.jti === 'string' && claims.jti.length >= 16);
  });

  test('private_key_jwt with the key and certificate from a password-protected PKCS#12 (.pfx)', async () => {
    const { privateKey, certificate } = oidckit.importPKCS12(fx.backend.pfx, fx.backend.pfxPassword, { alg: 'RS384' });
    assert.equal(certificate.x5t, fx.backend.x5t);
    const c = await client('backend-rs384', {
      tokenEndpointAuthMethod: 'private_key_jwt', tokenEndpointAuthSigningAlg: 'RS384', privateKey, x5t: certificate.x5t,
    });
    const tokens = await c.clientCredentials({ scope: 'system/*.read' });
    assert.equal(tokens.scope, 'system/*.read');
    assert.equal(op.state.lastClientAssertion.header.x5t, fx.backend.x5t);
    assert.equal(op.state.lastGrant.clientAuthMethod, 'private_key_jwt');
  });

  test('private_key_jwt with an encrypted PKCS#8 PEM (passphrase)', async () => {
    const privateKey = importPKCS8(fx.backend.encryptedPkcs8Pem, 'RS256', { passphrase: fx.backend.pemPassphrase });
    const c = await client('backend-rs256', {
      tokenEndpointAuthMethod: 'private_key_jwt', tokenEndpointAuthSigningAlg: 'RS256', privateKey, kid: fx.backend.kid,
    });
    const tokens = await c.clientCredentials({ scope: 'system/*.read' });
    assert.equal(tokens.scope, 'system/*.read');
    assert.equal(op.state.lastClientAssertion.header.kid, fx.backend.kid);
  });

  test('private_key_jwt: a second request uses a fresh jti (the OP rejects replays)', async () => {
    const privateKey = importPKCS8(fx.backend.pkcs8Pem, 'RS384');
    const c = await client('backend-rs384', {
      tokenEndpointAuthMethod: 'private_key_jwt', tokenEndpointAuthSigningAlg: 'RS384', privateKey, kid: fx.backend.kid,
    });
    await c.clientCredentials({ scope: 'system/*.read' });
    const first = op.state.lastClientAssertion.claims.jti;
    await c.clientCredentials({ scope: 'system/*.read' });
    assert.notEqual(op.state.lastClientAssertion.claims.jti, first);
  });
});

// ---- 3. backend services: JWT bearer grant ---------------------------------------------------
describe('scenario 3: JWT bearer grant (RFC 7523 §2.1) with a domain claim', { timeout: TIMEOUT }, () => {
  test('assertion iss=client_id, sub=user, aud=OP URL, domain claim → access token for the user', async () => {
    const key = importPKCS8(fx.backend.pkcs8Pem, 'RS384');
    const c = await client('jwt-bearer');
    const res = await c.jwtBearer({
      key,
      alg: 'RS384',
      kid: fx.backend.kid,
      subject: 'bob',
      audience: op.issuer,
      claims: { domain: 'example.org' },
      scope: 'api:read',
    });
    const tokens = res.tokens ?? res;
    assert.ok(tokens.access_token);
    const rs = await client('resource-server');
    const info = await rs.introspect(tokens.access_token);
    assert.equal(info.active, true);
    assert.equal(info.sub, 'bob');
    assert.equal(info.domain, 'example.org');
    assert.equal(info.client_id, 'jwt-bearer');
    assert.equal(op.state.lastGrant.grantType, JWT_BEARER);
    const { header, claims } = op.state.lastJwtBearerAssertion;
    assert.equal(header.alg, 'RS384');
    assert.equal(header.kid, fx.backend.kid);
    assert.equal(claims.iss, 'jwt-bearer');
    assert.equal(claims.sub, 'bob');
    assert.equal(claims.aud, op.issuer);
    assert.equal(claims.domain, 'example.org');
    assert.ok(typeof claims.jti === 'string' && claims.exp > claims.iat);
    assert.equal(op.state.lastGrant.clientAuthMethod, 'client_secret_basic');
  });

  test('an assertion for an unknown user is refused by the OP (invalid_grant surfaced)', async () => {
    const key = importPKCS8(fx.backend.pkcs8Pem, 'RS384');
    const c = await client('jwt-bearer');
    await assertRejects(c.jwtBearer({ key, alg: 'RS384', kid: fx.backend.kid, subject: 'mallory', audience: op.issuer, claims: { domain: 'example.org' } }), (e) => {
      assert.equal(e.error, 'invalid_grant');
      return true;
    });
  });
});

// ---- back-channel logout ------------------------------------------------------------------------
describe('OpenID Connect Back-Channel Logout', { timeout: TIMEOUT }, () => {
  let lastLogoutToken;

  test('the OP\'s logout token (POSTed to the client at logout) passes validateLogoutToken', async () => {
    const c = await client('bcl-client');
    const jar = new CookieJar();
    const { result } = await codeFlow(c, { scope: 'openid' }, { jar });
    assert.ok(result.claims.sid, 'the ID token carries sid (backchannel_logout_session_required)');
    const before = op.state.logoutTokens.length;
    await op.logout(c.endSessionUrl({ state: 'bcl' }), { jar });
    assert.equal(op.state.logoutTokens.length, before + 1, 'the OP sent one logout token');
    const token = op.state.logoutTokens.at(-1);
    const remote = createRemoteJWKSet(new URL(`${op.issuer}/jwks`), { allowInsecureRequests: true });
    const { payload, protectedHeader } = await oidckit.validateLogoutToken(token, remote, { issuer: op.issuer, clientId: 'bcl-client' });
    assert.equal(protectedHeader.typ, 'logout+jwt');
    assert.equal(payload.sub, 'alice');
    assert.equal(payload.sid, result.claims.sid);
    assert.ok(payload.events['http://schemas.openid.net/event/backchannel-logout']);
    await assertRejects(oidckit.validateLogoutToken(token, remote, { issuer: op.issuer, clientId: 'spa' }), (e) => e instanceof errors.JOSEError || e instanceof errors.OperationProcessingError);
    await assertRejects(oidckit.validateLogoutToken(result.tokens.id_token, remote, { issuer: op.issuer, clientId: 'bcl-client' }), (e) => e instanceof Error, 'an ID token is not a logout token');
    lastLogoutToken = token;
  });

  test('cross-JWT confusion (security.md #23): the OP\'s logout+jwt and at+jwt tokens are not ID tokens', async (t) => {
    if (!lastLogoutToken) return t.skip('needs the logout token of the previous test');
    const remote = createRemoteJWKSet(new URL(`${op.issuer}/jwks`), { allowInsecureRequests: true });
    await assertRejects(oidckit.validateIdToken(lastLogoutToken, remote, { issuer: op.issuer, clientId: 'bcl-client' }), (e) => e instanceof Error, 'a logout token (typ logout+jwt) is not an ID token');
    const c = await client('web-basic');
    const at = (await c.clientCredentials({ scope: 'system/*.read', resource: RESOURCE })).access_token;
    assert.equal(decodeProtectedHeader(at).typ, 'at+jwt');
    await assertRejects(oidckit.validateIdToken(at, remote, { issuer: op.issuer, clientId: RESOURCE }), (e) => e instanceof Error, 'an access token (typ at+jwt) is not an ID token');
  });
});

// ---- PAR, DPoP, registration -------------------------------------------------------------------
describe('PAR, DPoP and dynamic registration', { timeout: TIMEOUT }, () => {
  test('pushed authorization request: the URL carries only client_id and request_uri', async () => {
    const c = await client('web-basic');
    const tx = await c.pushedAuthorizationRequest({ scope: 'openid email' });
    const u = new URL(tx.url);
    assert.deepEqual([...u.searchParams.keys()].sort(), ['client_id', 'request_uri']);
    assert.match(u.searchParams.get('request_uri'), /^urn:ietf:params:oauth:request_uri:/);
    const cb = await op.login(tx.url);
    const { claims } = await c.handleCallback(cb.url, tx);
    assert.equal(claims.sub, 'alice');
    assert.ok(op.state.requests.includes('POST /request'));
  });

  test('JAR (RFC 9101): a signed request object by value, and pushed (PAR + JAR)', async () => {
    const privateKey = importPKCS8(fx.backend.pkcs8Pem, 'RS256');
    const c = await client('backend-rs256', {
      tokenEndpointAuthMethod: 'private_key_jwt', tokenEndpointAuthSigningAlg: 'RS256', privateKey, kid: fx.backend.kid,
      requestObjectSigningAlg: 'RS256',
    });
    const tx = c.authorizationRequest({ scope: 'openid' });
    const u = new URL(tx.url);
    assert.deepEqual([...u.searchParams.keys()].sort(), ['client_id', 'request']);
    const ro = decodeJwt(u.searchParams.get('request'));
    assert.equal(ro.iss, 'backend-rs256');
    assert.equal(ro.aud, op.issuer);
    assert.equal(ro.state, tx.state);
    assert.equal(ro.nonce, tx.nonce);
    const cb = await op.login(tx.url);
    const { claims } = await c.handleCallback(cb.url, tx);
    assert.equal(claims.sub, 'alice');
    const ptx = await c.pushedAuthorizationRequest({ scope: 'openid' });
    assert.deepEqual([...new URL(ptx.url).searchParams.keys()].sort(), ['client_id', 'request_uri']);
    const pcb = await op.login(ptx.url);
    assert.equal((await c.handleCallback(pcb.url, ptx)).claims.sub, 'alice');
  });

  test('DPoP: bound tokens, server nonce retry at the token and UserInfo endpoints', async () => {
    op.state.requireDpopNonce = true;
    try {
      const dpop = oidckit.createDPoPHandle(generateKeyPair('ES256'));
      const c = await client('dpop-client', { dpop });
      const { result } = await codeFlow(c);
      assert.equal(result.tokens.token_type.toLowerCase(), 'dpop');
      const rs = await client('resource-server');
      const info = await rs.introspect(result.tokens.access_token);
      assert.equal(info.active, true);
      assert.equal(info.cnf?.jkt, dpop.jkt, 'the access token is bound to the client key');
      assert.equal(op.state.lastGrant.dpop, true, 'the token request carried a DPoP proof');
      const ui = await c.userinfo(result.tokens.access_token);
      assert.equal(ui.sub, 'alice');
      const refreshed = await c.refresh(result.tokens.refresh_token);
      assert.equal((refreshed.tokens ?? refreshed).token_type.toLowerCase(), 'dpop');
      const nonceErrors = op.state.errors.filter((e) => e.error === 'use_dpop_nonce');
      assert.ok(nonceErrors.length >= 1, 'the OP asked for a nonce at least once and the client retried');
    } finally {
      op.state.requireDpopNonce = false;
    }
  });

  test('dynamic client registration (RFC 7591), then a code flow with the new client', async () => {
    const c = await Client.register(op.issuer, {
      redirect_uris: [REDIRECT_URI],
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code'],
      response_types: ['code'],
    }, { allowInsecureRequests: true });
    const reg = c.registration;
    assert.ok(typeof reg.client_id === 'string' && reg.client_id.length > 0);
    assert.ok(typeof reg.client_secret === 'string' && reg.client_secret.length > 0);
    assert.equal(c.metadata.issuer, op.issuer);
    const { result } = await codeFlow(c, { scope: 'openid' });
    assert.equal(result.claims.aud, reg.client_id);
    assert.equal(op.state.lastGrant.clientAuthMethod, 'client_secret_basic');
  });
});

// ---- 2. legacy implicit / hybrid flows -----------------------------------------------------
describe('scenario 2: implicit and hybrid flows (never the default)', { timeout: TIMEOUT }, () => {
  const cases = [];
  for (const responseType of ['id_token', 'id_token token', 'code id_token', 'code id_token token', 'code token']) {
    for (const responseMode of ['fragment', 'form_post']) cases.push({ responseType, responseMode });
  }
  for (const { responseType, responseMode } of cases) {
    test(`response_type "${responseType}", response_mode ${responseMode}`, async () => {
      const c = await client('legacy');
      const tx = c.authorizationRequest({ scope: 'openid email', response_type: responseType, response_mode: responseMode });
      const u = new URL(tx.url);
      assert.equal(u.searchParams.get('response_type'), responseType);
      assert.ok(u.searchParams.get('nonce'), 'nonce is required (and sent) for implicit/hybrid');
      const cb = await op.login(tx.url);
      const input = responseMode === 'form_post' ? cb.body : cb.url;
      if (responseMode === 'form_post') assert.equal(cb.type, 'form_post');
      else assert.ok(new URL(cb.url).hash.length > 1, 'the response is in the fragment');
      const { tokens, claims } = await c.handleCallback(input, tx);
      assert.equal(claims.sub, 'alice');
      assert.equal(claims.nonce, tx.nonce);
      const types = responseType.split(' ');
      // the front-channel ID token as the OP sent it (the code exchange may add a second one)
      const front = new URLSearchParams(responseMode === 'form_post' ? cb.body : new URL(cb.url).hash.slice(1));
      const frontClaims = types.includes('id_token') ? decodeJwt(front.get('id_token')) : {};
      if (types.includes('id_token')) assert.equal(frontClaims.nonce, tx.nonce);
      else assert.equal(front.get('iss'), op.issuer, 'RFC 9207 iss sent when there is no front-channel ID token');
      if (types.includes('token')) {
        assert.ok(tokens.access_token, 'access token returned');
        if (types.includes('id_token')) assert.ok(frontClaims.at_hash, 'the OP sent at_hash; the client validated it');
      } else if (!types.includes('code')) {
        assert.equal(tokens.access_token, undefined);
      }
      if (types.includes('code')) {
        if (types.includes('id_token')) assert.ok(frontClaims.c_hash, 'the OP sent c_hash; the client validated it');
        assert.ok(tokens.access_token, 'the code was exchanged at the token endpoint');
        assert.equal(op.state.lastGrant.grantType, 'authorization_code');
        assert.equal(op.state.lastGrant.clientId, 'legacy');
      }
    });
  }

  test('response_type code with response_mode form_post (confidential client)', async () => {
    const c = await client('web-basic');
    const tx = c.authorizationRequest({ scope: 'openid email', response_mode: 'form_post' });
    const cb = await op.login(tx.url);
    assert.equal(cb.type, 'form_post');
    assert.equal(new URLSearchParams(cb.body).get('iss'), op.issuer);
    const { tokens, claims } = await c.handleCallback(new URLSearchParams(cb.body), tx);
    assert.equal(claims.sub, 'alice');
    assert.ok(tokens.access_token);
  });

  test('hybrid: a tampered access_token in the fragment fails the at_hash check', async () => {
    const c = await client('legacy');
    const tx = c.authorizationRequest({ scope: 'openid', response_type: 'id_token token', response_mode: 'fragment' });
    const cb = await op.login(tx.url);
    const u = new URL(cb.url);
    const frag = new URLSearchParams(u.hash.slice(1));
    const idt = decodeJwt(frag.get('id_token'));
    assert.ok(idt.at_hash, 'the OP sent at_hash');
    frag.set('access_token', `${frag.get('access_token')}x`);
    u.hash = frag.toString();
    await assertRejects(c.handleCallback(u.href, tx), (e) => {
      assert.ok(e instanceof errors.JOSEError || e instanceof errors.OperationProcessingError);
      assert.match(`${e.claim ?? ''} ${e.message}`, /at_hash/i);
      return true;
    });
  });

  test('hybrid: a code from another response fails the c_hash check', async () => {
    const c = await client('legacy');
    const tx1 = c.authorizationRequest({ scope: 'openid', response_type: 'code id_token', response_mode: 'fragment' });
    const cb1 = await op.login(tx1.url);
    const tx2 = c.authorizationRequest({ scope: 'openid', response_type: 'code id_token', response_mode: 'fragment' });
    const cb2 = await op.login(tx2.url);
    const u = new URL(cb2.url);
    const frag = new URLSearchParams(u.hash.slice(1));
    frag.set('code', new URLSearchParams(new URL(cb1.url).hash.slice(1)).get('code'));
    u.hash = frag.toString();
    await assertRejects(c.handleCallback(u.href, tx2), (e) => {
      assert.match(`${e.claim ?? ''} ${e.message}`, /c_hash/i);
      return true;
    });
  });
});

// ---- 4. resource server ---------------------------------------------------------------------
describe('scenario 4: resource server', { timeout: TIMEOUT }, () => {
  let jwtAccessToken;
  let opaqueAccessToken;
  let remote;

  before(async () => {
    const c = await client('web-basic');
    const jwtRes = await c.clientCredentials({ scope: 'system/*.read', resource: RESOURCE });
    jwtAccessToken = (jwtRes.tokens ?? jwtRes).access_token;
    const { result } = await codeFlow(c, { scope: 'openid offline_access' });
    opaqueAccessToken = result.tokens.access_token;
    remote = createRemoteJWKSet(new URL(`${op.issuer}/jwks`), { allowInsecureRequests: true });
  });

  test('extractBearerToken: Authorization header; two sources at once is an error', () => {
    const ok = new Request('https://rs.example/api/patients', { headers: { authorization: `Bearer ${jwtAccessToken}` } });
    assert.equal(oidckit.extractBearerToken(ok), jwtAccessToken);
    const two = new Request(`https://rs.example/api/patients?access_token=${jwtAccessToken}`, { headers: { authorization: `Bearer ${jwtAccessToken}` } });
    assert.throws(() => oidckit.extractBearerToken(two), (e) => {
      assert.ok(e instanceof errors.OperationProcessingError);
      assert.equal(e.code, 'OAUTH_INVALID_REQUEST');
      return true;
    });
    assert.equal(oidckit.extractBearerToken(new Request('https://rs.example/api/patients')), undefined);
  });

  test('validateJwtAccessToken (RFC 9068): typ at+jwt, issuer, audience, required scope', async () => {
    assert.equal(decodeProtectedHeader(jwtAccessToken).typ, 'at+jwt');
    const result = await oidckit.validateJwtAccessToken(jwtAccessToken, remote, {
      issuer: op.issuer, audience: RESOURCE, requiredScopes: ['system/*.read'],
    });
    const claims = result.claims ?? result.payload ?? result;
    assert.equal(claims.client_id, 'web-basic');
    assert.equal(claims.scope, 'system/*.read');
  });

  test('validateJwtAccessToken refuses a missing scope and a wrong audience; wwwAuthenticate answers', async () => {
    let scopeError;
    await assertRejects(oidckit.validateJwtAccessToken(jwtAccessToken, remote, { issuer: op.issuer, audience: RESOURCE, requiredScopes: ['system/*.write'] }), (e) => {
      scopeError = e;
      assert.ok(e instanceof errors.JWTClaimValidationFailed);
      assert.equal(e.claim, 'scope');
      return true;
    });
    assert.match(oidckit.wwwAuthenticate({ error: scopeError, realm: 'fhir', scope: 'system/*.write' }), /error="insufficient_scope"/);
    await assertRejects(oidckit.validateJwtAccessToken(jwtAccessToken, remote, { issuer: op.issuer, audience: 'https://other.example' }), (e) => {
      assert.ok(e instanceof errors.JWTClaimValidationFailed);
      assert.equal(e.claim, 'aud');
      return true;
    });
    const header = oidckit.wwwAuthenticate({ error: 'insufficient_scope', scope: 'system/*.write', realm: 'fhir' });
    assert.match(header, /^Bearer /);
    assert.match(header, /error="insufficient_scope"/);
    assert.match(header, /scope="system\/\*\.write"/);
  });

  test('an ID token is not accepted as an access token (typ)', async () => {
    const c = await client('web-basic');
    const { result } = await codeFlow(c, { scope: 'openid' });
    await assertRejects(oidckit.validateJwtAccessToken(result.tokens.id_token, remote, { issuer: op.issuer, audience: 'web-basic' }), (e) => {
      assert.ok(e instanceof errors.JWTClaimValidationFailed);
      assert.equal(e.claim, 'typ');
      return true;
    });
  });

  test('introspection of an opaque token by the authenticated resource server, then revocation', async () => {
    const rs = await client('resource-server');
    const active = await rs.introspect(opaqueAccessToken);
    assert.equal(active.active, true);
    assert.equal(active.sub, 'alice');
    assert.equal(active.client_id, 'web-basic');
    const c = await client('web-basic');
    await c.revoke(opaqueAccessToken);
    const after = await rs.introspect(opaqueAccessToken);
    assert.equal(after.active, false);
  });

  test('revoking a refresh token makes the next refresh fail with invalid_grant', async () => {
    const c = await client('web-basic');
    const { result } = await codeFlow(c);
    await c.revoke(result.tokens.refresh_token, { tokenTypeHint: 'refresh_token' });
    await assertRejects(c.refresh(result.tokens.refresh_token), (e) => {
      assert.equal(e.error, 'invalid_grant');
      return true;
    });
  });
});

// ---- a resource server over HTTP, called with fetchProtectedResource -----------------------
describe('scenario 4 over HTTP: a protected API (Bearer JWT access tokens and DPoP-bound tokens)', { timeout: TIMEOUT }, () => {
  let server;
  let api;
  let remote;
  let rsClient;
  const seen = [];
  const dpopNonce = 'rs-nonce-0123456789abcdef';

  async function handle(req, res) {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const body = Buffer.concat(chunks).toString('utf8');
    const reply = (status, json, headers = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(json));
    };
    const authz = req.headers.authorization ?? '';
    if (/^DPoP /i.test(authz)) {
      // RFC 9449 §7: DPoP-bound token + proof; this API requires its own nonce (§9).
      const token = authz.slice(5).trim();
      const proof = req.headers.dpop;
      const htu = `${api}${req.url.split('?')[0]}`;
      try {
        const claims = oidckit.decodeJwt(proof);
        if (claims.nonce !== dpopNonce) {
          seen.push('dpop:nonce-challenge');
          return reply(401, {}, { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': dpopNonce });
        }
        const { jkt } = oidckit.verifyDPoPProof(proof, { htm: req.method, htu, accessToken: token, nonce: dpopNonce });
        const info = await rsClient.introspect(token);
        if (!info.active || info.cnf?.jkt !== jkt) return reply(401, {}, { 'www-authenticate': 'DPoP error="invalid_token"' });
        seen.push('dpop:ok');
        return reply(200, { sub: info.sub, jkt });
      } catch (e) {
        seen.push(`dpop:error:${e.code}`);
        return reply(401, {}, { 'www-authenticate': 'DPoP error="invalid_dpop_proof"' });
      }
    }
    let token;
    try {
      token = oidckit.extractBearerToken({ headers: req.headers, url: req.url, body });
    } catch (e) {
      return reply(400, {}, { 'www-authenticate': oidckit.wwwAuthenticate({ error: e, realm: 'fhir' }) });
    }
    if (token === undefined) return reply(401, {}, { 'www-authenticate': oidckit.wwwAuthenticate({ realm: 'fhir' }) });
    try {
      const { payload } = await oidckit.validateJwtAccessToken(token, remote, {
        issuer: op.issuer, audience: RESOURCE, requiredScopes: ['system/*.read'],
      });
      seen.push('bearer:ok');
      return reply(200, { client_id: payload.client_id, scope: payload.scope });
    } catch (e) {
      const www = oidckit.wwwAuthenticate({ error: e, realm: 'fhir', scope: 'system/*.read' });
      return reply(/insufficient_scope/.test(www) ? 403 : 401, {}, { 'www-authenticate': www });
    }
  }

  before(async () => {
    remote = createRemoteJWKSet(new URL(`${op.issuer}/jwks`), { allowInsecureRequests: true, cooldownDuration: 0 });
    rsClient = await client('resource-server');
    server = http.createServer((req, res) => {
      handle(req, res).catch((e) => {
        res.writeHead(500);
        res.end(String(e));
      });
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    api = `http://127.0.0.1:${server.address().port}`;
  });

  after(async () => {
    server?.closeAllConnections?.();
    await new Promise((resolve) => server?.close(resolve) ?? resolve());
  });

  test('a JWT access token (client credentials, system/*.read) in the header, the query and the form body', async () => {
    const c = await client('web-basic');
    const tokens = await c.clientCredentials({ scope: 'system/*.read', resource: RESOURCE });
    for (const tokenIn of ['header', 'query', 'body']) {
      const res = await c.fetchProtectedResource(`${api}/fhir/Patient`, {
        tokenIn, method: tokenIn === 'body' ? 'POST' : 'GET', accessToken: tokens.access_token,
      });
      assert.equal(res.status, 200, `token in the ${tokenIn}`);
      const json = await res.json();
      assert.equal(json.client_id, 'web-basic');
      assert.equal(json.scope, 'system/*.read');
    }
  });

  test('no token → 401 with a Bearer challenge; too little scope → 403 insufficient_scope', async () => {
    const plain = await fetch(`${api}/fhir/Patient`);
    assert.equal(plain.status, 401);
    assert.match(plain.headers.get('www-authenticate'), /^Bearer realm="fhir"/);
    const c = await client('web-basic');
    const tokens = await c.clientCredentials({ scope: 'api:read', resource: RESOURCE });
    const res = await c.fetchProtectedResource(`${api}/fhir/Patient`, { accessToken: tokens.access_token });
    assert.equal(res.status, 403);
    assert.match(res.headers.get('www-authenticate'), /error="insufficient_scope"/);
    const both = await fetch(`${api}/fhir/Patient?access_token=${tokens.access_token}`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(both.status, 400, 'two token sources at once is invalid_request');
    assert.match(both.headers.get('www-authenticate'), /error="invalid_request"/);
  });

  test('a DPoP-bound token: proof verified by the API (verifyDPoPProof + introspected cnf.jkt), nonce retry', async () => {
    const dpop = oidckit.createDPoPHandle(generateKeyPair('ES256'));
    const c = await client('dpop-client', { dpop });
    await codeFlow(c);
    seen.length = 0;
    const res = await c.fetchProtectedResource(`${api}/fhir/Patient`);
    assert.equal(res.status, 200);
    const json = await res.json();
    assert.equal(json.sub, 'alice');
    assert.equal(json.jkt, dpop.jkt);
    assert.deepEqual(seen, ['dpop:nonce-challenge', 'dpop:ok']);
  });
});

// ---- key rotation at the OP (last: it changes the OP's keys) -------------------------------
describe('key rotation at the OP', { timeout: TIMEOUT }, () => {
  test('the OP rotates its signing key mid-test: the next ID token still validates', async () => {
    const jwks = createRemoteJWKSet(new URL(`${op.issuer}/jwks`), { allowInsecureRequests: true, cooldownDuration: 0 });
    const c = await client('web-basic', { jwks });
    const first = await codeFlow(c);
    assert.equal(decodeProtectedHeader(first.result.tokens.id_token).kid, 'op-key-1');
    const fetchesBefore = op.state.requests.filter((r) => r === 'GET /jwks').length;
    const newKid = op.rotateKeys();
    const refreshed = await c.refresh(first.result.tokens.refresh_token);
    const tokens = refreshed.tokens ?? refreshed;
    assert.equal(decodeProtectedHeader(tokens.id_token).kid, newKid);
    assert.equal(decodeJwt(tokens.id_token).sub, 'alice');
    assert.equal(refreshed.claims.sub, 'alice');
    assert.equal(op.state.requests.filter((r) => r === 'GET /jwks').length, fetchesBefore + 1, 'one JWKS refetch for the unknown kid');
    const second = await codeFlow(c, { scope: 'openid' });
    assert.equal(decodeProtectedHeader(second.result.tokens.id_token).kid, newKid);
    assert.equal(second.result.claims.sub, 'alice');
  });

  test('after the old key is retired, tokens signed with the new key keep validating', async () => {
    op.rotateKeys({ retireOld: true });
    const c = await client('spa');
    const { result } = await codeFlow(c, { scope: 'openid' });
    assert.equal(result.claims.sub, 'alice');
    const token = result.tokens.id_token;
    const keys = (await (await fetch(`${op.issuer}/jwks`)).json()).keys;
    assert.deepEqual(keys.map((k) => k.kid), [fx.nextOpKey.kid]);
    const v = oidckit.validateIdToken(token, importJWK(keys[0], 'RS256'), { issuer: op.issuer, clientId: 'spa', nonce: decodeJwt(token).nonce });
    assert.equal((v.claims ?? v.payload ?? v).sub, 'alice');
  });
});
