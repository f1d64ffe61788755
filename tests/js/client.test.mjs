// The OAuth 2.0 / OpenID Connect client and the standalone OAuth functions, against hand-made
// responses through an injected fetch (no network). One named test per negative case of the
// issue's list (security.md §4 for RPs), the positive flows, and the OpenID Connect Core 1.0
// Appendix A ID Tokens.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { b64u, checkError, hmacJws, oidckit, readVector, rawJws } from './helpers.mjs';

const {
  Client, SignJWT, generateKeyPair, exportJWK, createLocalJWKSet, importJWK, errors, decodeJwt, jwtVerify,
  generateCodeVerifier, calculatePKCECodeChallenge, generateState, generateNonce, validateIdToken,
  createClientAssertion, extractBearerToken, validateJwtAccessToken, wwwAuthenticate, validateLogoutToken,
} = oidckit;

const ISSUER = 'https://op.example';
const CLIENT_ID = 'client-1';
const SECRET = 'a-client-secret-of-at-least-32-bytes!!';
const REDIRECT = 'https://rp.example/cb';
const now = () => Math.floor(Date.now() / 1000);
const halfHash = (v) => createHash('sha256').update(v).digest().subarray(0, 16).toString('base64url');

function rsaKey(kid) {
  const { publicKey, privateKey } = generateKeyPair('RS256', { extractable: true });
  return { kid, privateKey, jwk: { ...exportJWK(publicKey), kid, alg: 'RS256', use: 'sig' } };
}
const K1 = rsaKey('k1');
const K2 = rsaKey('k2');
const K3 = rsaKey('k3');

const json = (body, status = 200, headers = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

/** A fake OP: discovery, JWKS, token, userinfo, introspection, revocation, PAR, registration. */
function fakeOp(overrides = {}) {
  const op = {
    issuer: ISSUER,
    keys: [K1],
    signWith: K1,
    nonce: undefined,
    sub: 'user-1',
    requests: [],
    jwksFetches: 0,
    metadata: {
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}/authorize`,
      token_endpoint: `${ISSUER}/token`,
      jwks_uri: `${ISSUER}/jwks`,
      userinfo_endpoint: `${ISSUER}/userinfo`,
      introspection_endpoint: `${ISSUER}/introspect`,
      revocation_endpoint: `${ISSUER}/revoke`,
      pushed_authorization_request_endpoint: `${ISSUER}/par`,
      registration_endpoint: `${ISSUER}/register`,
      end_session_endpoint: `${ISSUER}/logout`,
      authorization_response_iss_parameter_supported: true,
      id_token_signing_alg_values_supported: ['RS256'],
    },
    idToken(claims = {}, { key = op.signWith, header = {} } = {}) {
      const t = now();
      const payload = { iss: op.issuer, sub: op.sub, aud: CLIENT_ID, iat: t, exp: t + 3600, ...claims };
      for (const k of Object.keys(payload)) if (payload[k] === undefined) delete payload[k];
      return new SignJWT(payload).setProtectedHeader({ alg: 'RS256', kid: key.kid, ...header }).sign(key.privateKey);
    },
    tokenResponse(req) {
      const at = `at-${op.requests.length}`;
      return json({
        access_token: at,
        token_type: 'Bearer',
        expires_in: 3600,
        refresh_token: 'rt-1',
        id_token: op.idToken({ nonce: op.nonce, at_hash: halfHash(at) }),
      });
    },
    userinfo() {
      return json({ sub: op.sub, email: 'u@example.com' });
    },
    ...overrides,
  };
  op.fetch = async (url, init = {}) => {
    const u = new URL(url);
    const headers = new Headers(init.headers);
    const rec = { url: u, method: init.method ?? 'GET', headers, body: init.body ?? null, redirect: init.redirect };
    op.requests.push(rec);
    switch (u.pathname) {
      case '/.well-known/openid-configuration':
        return json(op.metadata);
      case '/jwks':
        op.jwksFetches++;
        return json({ keys: op.keys.map((k) => k.jwk) });
      case '/token':
        return op.tokenResponse(rec);
      case '/userinfo':
        return op.userinfo(rec);
      case '/introspect':
        return json({ active: true, sub: op.sub, scope: 'a b' });
      case '/revoke':
        return new Response(null, { status: 200 });
      case '/par':
        return json({ request_uri: 'urn:ietf:params:oauth:request_uri:abc', expires_in: 60 }, 201);
      case '/register':
        return json({ client_id: 'new-client', client_secret: SECRET, client_secret_expires_at: 0, redirect_uris: [REDIRECT] }, 201);
      default:
        return new Response('not found', { status: 404 });
    }
  };
  return op;
}

async function discovered(op, options = {}) {
  return Client.discover(ISSUER, { clientId: CLIENT_ID, clientSecret: SECRET, redirectUri: REDIRECT, fetch: op.fetch, ...options });
}

/** Starts an authorization; the OP learns the nonce; returns the transaction and a callback URL. */
function start(client, op, params, extra = `&iss=${encodeURIComponent(ISSUER)}`) {
  const tx = client.authorizationRequest(params);
  op.nonce = tx.nonce;
  return { tx, cb: `${REDIRECT}?code=the-code&state=${tx.state}${extra}` };
}

const tokenRequests = (op) => op.requests.filter((r) => r.url.pathname === '/token');
const form = (r) => new URLSearchParams(r.body);

async function rejects(promise, codes, extra) {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  return checkError(err, codes, extra);
}

async function oauthRejects(promise, code) {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof errors.OperationProcessingError, `expected OperationProcessingError, got ${err?.name}: ${err?.message}`);
  assert.equal(err.code, code, err.message);
  return err;
}

// ---------------------------------------------------------------------------------------------

describe('Client: positive flows', () => {
  test('discovery + authorization code + PKCE S256 with client_secret_basic', async () => {
    const op = fakeOp();
    const client = await discovered(op);
    assert.equal(client.metadata.issuer, ISSUER);
    const { tx, cb } = start(client, op, { scope: 'openid profile', login_hint: 'alice' });
    const url = new URL(tx.url);
    assert.equal(url.origin + url.pathname, `${ISSUER}/authorize`);
    const q = url.searchParams;
    assert.equal(q.get('response_type'), 'code');
    assert.equal(q.get('client_id'), CLIENT_ID);
    assert.equal(q.get('redirect_uri'), REDIRECT);
    assert.equal(q.get('scope'), 'openid profile');
    assert.equal(q.get('login_hint'), 'alice');
    assert.equal(q.get('state'), tx.state);
    assert.equal(q.get('nonce'), tx.nonce);
    assert.equal(q.get('code_challenge_method'), 'S256');
    assert.equal(q.get('code_challenge'), calculatePKCECodeChallenge(tx.codeVerifier));
    // The transaction is plain JSON (sessionStorage-safe).
    const stored = JSON.parse(JSON.stringify(tx));
    const { tokens, claims } = await client.handleCallback(cb, stored);
    assert.equal(claims.sub, 'user-1');
    assert.equal(tokens.token_type, 'bearer');
    assert.equal(typeof tokens.expires_at, 'number');
    const [tr] = tokenRequests(op);
    assert.equal(tr.method, 'POST');
    assert.equal(tr.redirect, 'manual');
    // RFC 6749 §2.3.1: each part form-urlencoded (Appendix B: '!' becomes %21), then Base64.
    assert.equal(tr.headers.get('authorization'), `Basic ${Buffer.from(`${CLIENT_ID}:${SECRET.replace(/!/g, '%21')}`).toString('base64')}`);
    const f = form(tr);
    assert.equal(f.get('grant_type'), 'authorization_code');
    assert.equal(f.get('code'), 'the-code');
    assert.equal(f.get('code_verifier'), tx.codeVerifier);
    assert.equal(f.get('redirect_uri'), REDIRECT);
    assert.equal(f.get('client_secret'), null);
    assert.deepEqual(client.claims, claims);
    assert.deepEqual(client.tokens, tokens);
  });

  test('client_secret_post sends the credentials in the body', async () => {
    const op = fakeOp();
    const client = await discovered(op, { tokenEndpointAuthMethod: 'client_secret_post' });
    const { tx, cb } = start(client, op);
    await client.handleCallback(cb, tx);
    const [tr] = tokenRequests(op);
    assert.equal(tr.headers.get('authorization'), null);
    assert.equal(form(tr).get('client_id'), CLIENT_ID);
    assert.equal(form(tr).get('client_secret'), SECRET);
  });

  test('none (public client) sends only client_id', async () => {
    const op = fakeOp();
    const client = await Client.discover(ISSUER, { clientId: CLIENT_ID, redirectUri: REDIRECT, fetch: op.fetch });
    const { tx, cb } = start(client, op);
    const { claims } = await client.handleCallback(new URL(cb), tx);
    assert.equal(claims.sub, 'user-1');
    const [tr] = tokenRequests(op);
    assert.equal(tr.headers.get('authorization'), null);
    assert.equal(form(tr).get('client_id'), CLIENT_ID);
    assert.equal(form(tr).get('client_secret'), null);
  });

  test('private_key_jwt signs a client assertion for the token endpoint', async () => {
    const op = fakeOp();
    const { publicKey, privateKey } = generateKeyPair('RS384');
    const client = await Client.discover(ISSUER, {
      clientId: CLIENT_ID, redirectUri: REDIRECT, fetch: op.fetch, privateKey, tokenEndpointAuthSigningAlg: 'RS384', kid: 'client-key',
    });
    const { tx, cb } = start(client, op);
    await client.handleCallback(cb, tx);
    const f = form(tokenRequests(op)[0]);
    assert.equal(f.get('client_assertion_type'), 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    const { payload, protectedHeader } = jwtVerify(f.get('client_assertion'), publicKey, { issuer: CLIENT_ID, audience: `${ISSUER}/token`, subject: CLIENT_ID });
    assert.equal(protectedHeader.alg, 'RS384');
    assert.equal(protectedHeader.kid, 'client-key');
    assert.ok(payload.exp - payload.iat <= 300);
    assert.equal(typeof payload.jti, 'string');
  });

  test('client_secret_jwt MACs the assertion with the secret', async () => {
    const op = fakeOp();
    const client = await discovered(op, { tokenEndpointAuthMethod: 'client_secret_jwt' });
    const { tx, cb } = start(client, op);
    await client.handleCallback(cb, tx);
    const a = form(tokenRequests(op)[0]).get('client_assertion');
    const { payload } = jwtVerify(a, new TextEncoder().encode(SECRET), { audience: `${ISSUER}/token` });
    assert.equal(payload.iss, CLIENT_ID);
  });

  test('refresh() and userinfo() reuse the last tokens; the refreshed ID Token keeps iss/sub', async () => {
    const op = fakeOp();
    const client = await discovered(op);
    const { tx, cb } = start(client, op);
    await client.handleCallback(cb, tx);
    op.nonce = undefined;
    const { tokens, claims } = await client.refresh();
    assert.equal(form(tokenRequests(op)[1]).get('grant_type'), 'refresh_token');
    assert.equal(form(tokenRequests(op)[1]).get('refresh_token'), 'rt-1');
    assert.equal(claims.sub, 'user-1');
    assert.equal(tokens.refresh_token, 'rt-1');
    const info = await client.userinfo();
    assert.equal(info.email, 'u@example.com');
    const ur = op.requests.find((r) => r.url.pathname === '/userinfo');
    assert.equal(ur.headers.get('authorization'), `Bearer ${tokens.access_token}`);
  });

  test('refresh without a new refresh_token keeps the old one; no ID Token keeps the claims', async () => {
    const op = fakeOp();
    const client = await discovered(op);
    const { tx, cb } = start(client, op);
    await client.handleCallback(cb, tx);
    op.tokenResponse = () => json({ access_token: 'at-2', token_type: 'bearer', expires_in: 60 });
    const { tokens, claims } = await client.refresh();
    assert.equal(tokens.refresh_token, 'rt-1');
    assert.equal(claims.sub, 'user-1');
  });

  test('signed UserInfo (application/jwt) is verified', async () => {
    const op = fakeOp();
    op.userinfo = () =>
      new Response(
        new SignJWT({ sub: 'user-1', name: 'Signed' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(ISSUER).setAudience(CLIENT_ID).sign(K1.privateKey),
        { headers: { 'content-type': 'application/jwt' } },
      );
    const client = await discovered(op, { userinfoSignedResponseAlg: 'RS256' });
    const { tx, cb } = start(client, op);
    await client.handleCallback(cb, tx);
    assert.equal((await client.userinfo()).name, 'Signed');
  });

  test('implicit id_token token (fragment) validates nonce and at_hash', async () => {
    const op = fakeOp();
    const client = await discovered(op);
    const tx = client.authorizationRequest({ response_type: 'id_token token' });
    assert.equal(new URL(tx.url).searchParams.get('code_challenge'), null);
    const idt = op.idToken({ nonce: tx.nonce, at_hash: halfHash('front-at') });
    const cb = `${REDIRECT}#access_token=front-at&token_type=Bearer&id_token=${idt}&state=${tx.state}&iss=${encodeURIComponent(ISSUER)}`;
    const { tokens, claims } = await client.handleCallback(cb, tx);
    assert.equal(tokens.access_token, 'front-at');
    assert.equal(claims.nonce, tx.nonce);
    assert.equal(tokenRequests(op).length, 0);
  });

  test('implicit id_token with form_post', async () => {
    const op = fakeOp();
    const client = await discovered(op);
    const tx = client.authorizationRequest({ response_type: 'id_token', response_mode: 'form_post' });
    const idt = op.idToken({ nonce: tx.nonce });
    const body = new URLSearchParams({ id_token: idt, state: tx.state, iss: ISSUER });
    const { claims } = await client.handleCallback(body, tx);
    assert.equal(claims.sub, 'user-1');
  });

  test('form_post through a fetch Request at the redirect URI', async () => {
    const op = fakeOp();
    const client = await discovered(op);
    const tx = client.authorizationRequest({ response_type: 'code id_token', response_mode: 'form_post' });
    op.nonce = tx.nonce;
    const body = new URLSearchParams({ code: 'fp-code', id_token: op.idToken({ nonce: tx.nonce, c_hash: halfHash('fp-code') }), state: tx.state });
    const req = new Request(REDIRECT, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const { claims } = await client.handleCallback(req, tx);
    assert.equal(claims.sub, 'user-1');
    assert.equal(form(tokenRequests(op)[0]).get('code'), 'fp-code');
    // A transaction of another issuer is refused.
    const other = { ...client.authorizationRequest(), expectedIssuer: 'https://other.example' };
    await assert.rejects(client.handleCallback(`${REDIRECT}?code=c&state=${other.state}`, other), (e) => e.code === 'ERR_INVALID_ARG_VALUE');
  });

  test('hybrid code id_token validates c_hash and the token endpoint ID Token', async () => {
    const op = fakeOp();
    const client = await discovered(op);
    const tx = client.authorizationRequest({ response_type: 'code id_token' });
    op.nonce = tx.nonce;
    const idt = op.idToken({ nonce: tx.nonce, c_hash: halfHash('hyb-code') });
    const cb = `${REDIRECT}#code=hyb-code&id_token=${idt}&state=${tx.state}&iss=${encodeURIComponent(ISSUER)}`;
    const { tokens, claims } = await client.handleCallback(cb, tx);
    assert.equal(claims.sub, 'user-1');
    assert.equal(form(tokenRequests(op)[0]).get('code'), 'hyb-code');
    assert.ok(tokens.access_token);
  });

  test('implicit/hybrid are never the default and need a nonce', () => {
    const op = fakeOp();
    const client = new Client(op.metadata, { clientId: CLIENT_ID, redirectUri: REDIRECT, fetch: op.fetch });
    const tx = client.authorizationRequest();
    assert.equal(tx.responseType, 'code');
    assert.ok(tx.codeVerifier && tx.nonce && tx.state);
    assert.throws(() => client.authorizationRequest({ response_type: 'id_token token', response_mode: 'query' }), (e) => e.code === 'ERR_INVALID_ARG_VALUE');
  });

  test('pushed authorization request (PAR)', async () => {
    const op = fakeOp();
    const client = await discovered(op);
    const tx = await client.pushedAuthorizationRequest({ scope: 'openid' });
    const u = new URL(tx.url);
    assert.deepEqual([...u.searchParams.keys()].sort(), ['client_id', 'request_uri']);
    const par = op.requests.find((r) => r.url.pathname === '/par');
    const f = form(par);
    assert.equal(f.get('state'), tx.state);
    assert.equal(f.get('code_challenge'), calculatePKCECodeChallenge(tx.codeVerifier));
    assert.ok(par.headers.get('authorization').startsWith('Basic '));
  });

  test('signed request object (JAR) by value', async () => {
    const op = fakeOp();
    const { publicKey, privateKey } = generateKeyPair('ES256');
    const client = await discovered(op, { privateKey, requestObjectSigningAlg: 'ES256', tokenEndpointAuthMethod: 'client_secret_basic' });
    const tx = client.authorizationRequest({ scope: 'openid' });
    const u = new URL(tx.url);
    const { payload, protectedHeader } = jwtVerify(u.searchParams.get('request'), publicKey, { issuer: CLIENT_ID, audience: ISSUER });
    assert.equal(protectedHeader.typ, 'oauth-authz-req+jwt');
    assert.equal(payload.state, tx.state);
    assert.equal(payload.nonce, tx.nonce);
  });

  test('introspect, revoke, clientCredentials, password, jwtBearer, grant', async () => {
    const op = fakeOp();
    op.tokenResponse = () => json({ access_token: 'svc', token_type: 'Bearer', expires_in: 60 });
    const { privateKey, publicKey } = generateKeyPair('RS256');
    const client = await discovered(op, { privateKey, tokenEndpointAuthMethod: 'private_key_jwt', tokenEndpointAuthSigningAlg: 'RS256' });
    assert.equal((await client.introspect('tok', { tokenTypeHint: 'access_token' })).active, true);
    assert.equal(await client.revoke('tok'), undefined);
    const cc = await client.clientCredentials({ scope: 'system/*.read', resource: 'https://api.example' });
    assert.equal(cc.access_token, 'svc');
    let f = form(tokenRequests(op).at(-1));
    assert.equal(f.get('grant_type'), 'client_credentials');
    assert.equal(f.get('scope'), 'system/*.read');
    assert.equal(f.get('resource'), 'https://api.example');
    await client.password({ username: 'u', password: 'p' });
    assert.equal(form(tokenRequests(op).at(-1)).get('grant_type'), 'password');
    await client.jwtBearer({ subject: 'alice', claims: { domain: 'acme' }, scope: 'x' });
    f = form(tokenRequests(op).at(-1));
    assert.equal(f.get('grant_type'), 'urn:ietf:params:oauth:grant-type:jwt-bearer');
    const { payload } = jwtVerify(f.get('assertion'), publicKey, { issuer: CLIENT_ID, subject: 'alice', audience: ISSUER });
    assert.equal(payload.domain, 'acme');
    await client.grant('urn:ietf:params:oauth:grant-type:token-exchange', { subject_token: 's', subject_token_type: 'urn:ietf:params:oauth:token-type:access_token' });
    assert.equal(form(tokenRequests(op).at(-1)).get('subject_token'), 's');
    const intro = op.requests.find((r) => r.url.pathname === '/introspect');
    assert.equal(form(intro).get('token_type_hint'), 'access_token');
    assert.ok(form(intro).get('client_assertion'));
  });

  test('endSessionUrl uses the last ID Token and the post-logout redirect', async () => {
    const op = fakeOp();
    const client = await discovered(op, { postLogoutRedirectUri: 'https://rp.example/bye' });
    const { tx, cb } = start(client, op);
    const { tokens } = await client.handleCallback(cb, tx);
    const u = new URL(client.endSessionUrl({ state: 's1' }));
    assert.equal(u.origin + u.pathname, `${ISSUER}/logout`);
    assert.equal(u.searchParams.get('id_token_hint'), tokens.id_token);
    assert.equal(u.searchParams.get('post_logout_redirect_uri'), 'https://rp.example/bye');
    assert.equal(u.searchParams.get('state'), 's1');
  });

  test('Client.register returns a client with the issued credentials', async () => {
    const op = fakeOp();
    const client = await Client.register(op.metadata, { redirect_uris: [REDIRECT] }, { fetch: op.fetch, initialAccessToken: 'iat-1' });
    assert.equal(client.registration.client_id, 'new-client');
    const reg = op.requests.find((r) => r.url.pathname === '/register');
    assert.equal(reg.headers.get('authorization'), 'Bearer iat-1');
    assert.deepEqual(JSON.parse(reg.body), { redirect_uris: [REDIRECT] });
  });

  test('fetchProtectedResource sends the bearer token (header, body or query)', async () => {
    const seen = [];
    const op = fakeOp();
    const fetch = async (url, init) => {
      if (String(url).startsWith('https://api.example')) {
        seen.push({ url: String(url), headers: new Headers(init.headers), body: init.body });
        return new Response('ok');
      }
      return op.fetch(url, init);
    };
    const client = await discovered(op, { fetch });
    const { tx, cb } = start(client, op);
    const { tokens } = await client.handleCallback(cb, tx);
    const r = await client.fetchProtectedResource('https://api.example/r');
    assert.equal(await r.text(), 'ok');
    assert.equal(seen[0].headers.get('authorization'), `Bearer ${tokens.access_token}`);
    await client.fetchProtectedResource('https://api.example/r', { tokenIn: 'query' });
    assert.equal(new URL(seen[1].url).searchParams.get('access_token'), tokens.access_token);
    await client.fetchProtectedResource('https://api.example/r', { tokenIn: 'body', method: 'POST' });
    assert.equal(new URLSearchParams(seen[2].body).get('access_token'), tokens.access_token);
  });

  test('http:// endpoints only on loopback with allowInsecureRequests', async () => {
    const iss = 'http://127.0.0.1:9999';
    const meta = { issuer: iss, authorization_endpoint: `${iss}/a`, token_endpoint: `${iss}/t`, jwks_uri: `${iss}/j` };
    const fetch = async () => json(meta);
    await oauthRejects(Client.discover(iss, { clientId: 'c', fetch }), 'OAUTH_HTTP_REQUEST_FORBIDDEN');
    const c = await Client.discover(iss, { clientId: 'c', fetch, allowInsecureRequests: true, redirectUri: REDIRECT });
    assert.ok(c.authorizationRequest().url.startsWith(`${iss}/a?`));
    await oauthRejects(
      Client.discover('http://op.example', { clientId: 'c', fetch, allowInsecureRequests: true }),
      'OAUTH_HTTP_REQUEST_FORBIDDEN',
    );
    assert.throws(() => new Client({ ...meta, issuer: 'https://x', token_endpoint: 'http://x/t' }, { clientId: 'c' }), (e) => e.code === 'OAUTH_HTTP_REQUEST_FORBIDDEN');
  });

  test('DPoP: proofs on token and userinfo requests, nonce retry', async (t) => {
    if (typeof oidckit.createDPoPHandle !== 'function') return t.skip('createDPoPHandle not available');
    const op = fakeOp();
    let tokenCalls = 0;
    op.tokenResponse = (req) => {
      tokenCalls++;
      if (tokenCalls === 1) return json({ error: 'use_dpop_nonce', error_description: 'nonce' }, 400, { 'dpop-nonce': 'n-1' });
      const at = 'dpop-at';
      return json({ access_token: at, token_type: 'DPoP', expires_in: 60, id_token: op.idToken({ nonce: op.nonce, at_hash: halfHash(at) }) });
    };
    const keyPair = generateKeyPair('ES256');
    const dpop = oidckit.createDPoPHandle(keyPair);
    const client = await discovered(op, { dpop });
    const { tx, cb } = start(client, op);
    const { tokens } = await client.handleCallback(cb, tx);
    assert.equal(tokens.token_type, 'dpop');
    const trs = tokenRequests(op);
    assert.equal(trs.length, 2);
    const proof2 = decodeJwt(trs[1].headers.get('dpop'));
    assert.equal(proof2.nonce, 'n-1');
    assert.equal(proof2.htm, 'POST');
    await client.userinfo();
    const ur = op.requests.find((r) => r.url.pathname === '/userinfo');
    assert.equal(ur.headers.get('authorization'), 'DPoP dpop-at');
    assert.equal(decodeJwt(ur.headers.get('dpop')).ath, createHash('sha256').update('dpop-at').digest('base64url'));
    // A protected resource asking for a nonce (RFC 9449 §9) gets one retry with it.
    const seen = [];
    const rs = async (url, init) => {
      const h = new Headers(init.headers);
      seen.push(h);
      if (seen.length === 1) {
        return new Response(null, { status: 401, headers: { 'www-authenticate': 'DPoP error="use_dpop_nonce"', 'dpop-nonce': 'rs-n' } });
      }
      return new Response('ok');
    };
    const res = await client.fetchProtectedResource('https://api.example/x', { fetch: rs });
    assert.equal(res.status, 200);
    assert.equal(seen.length, 2);
    assert.equal(seen[1].get('authorization'), 'DPoP dpop-at');
    assert.equal(decodeJwt(seen[1].get('dpop')).nonce, 'rs-n');
    // A bearer token is sent without a proof even by a DPoP client.
    const before = op.requests.length;
    await client.userinfo('plain-bearer', { tokenType: 'bearer' });
    const ur2 = op.requests.slice(before).find((r) => r.url.pathname === '/userinfo');
    assert.equal(ur2.headers.get('dpop'), null);
    assert.equal(ur2.headers.get('authorization'), 'Bearer plain-bearer');
  });

  test('injected fetch, signal and timeout are honoured', async () => {
    const slow = () => new Promise(() => {});
    const op = fakeOp();
    await oauthRejects(Client.discover(ISSUER, { clientId: 'c', fetch: slow }, { timeout: 50 }), 'OAUTH_INVALID_RESPONSE');
    const ac = new AbortController();
    const p = Client.discover(ISSUER, { clientId: 'c', fetch: slow }, { signal: ac.signal });
    ac.abort(new Error('stop'));
    await assert.rejects(p, /stop/);
    const c = await Client.discover(ISSUER, { clientId: 'c' }, { fetch: op.fetch });
    assert.equal(c.metadata.issuer, ISSUER);
  });

  test('OP error responses keep error, error_description, error_uri', async () => {
    const op = fakeOp();
    op.tokenResponse = () => json({ error: 'invalid_grant', error_description: 'expired code', error_uri: 'https://op.example/e' }, 400);
    const client = await discovered(op);
    const { tx, cb } = start(client, op);
    const err = await oauthRejects(client.handleCallback(cb, tx), 'OAUTH_RESPONSE_BODY_ERROR');
    assert.ok(err instanceof errors.ResponseBodyError);
    assert.equal(err.error, 'invalid_grant');
    assert.equal(err.error_description, 'expired code');
    assert.equal(err.error_uri, 'https://op.example/e');
    assert.equal(err.status, 400);
    const tx2 = client.authorizationRequest();
    const err2 = await oauthRejects(
      client.handleCallback(`${REDIRECT}?error=access_denied&error_description=no&state=${tx2.state}&iss=${encodeURIComponent(ISSUER)}`, tx2),
      'OAUTH_AUTHORIZATION_RESPONSE_ERROR',
    );
    assert.ok(err2 instanceof errors.AuthorizationResponseError);
    assert.equal(err2.error, 'access_denied');
    assert.equal(err2.error_description, 'no');
  });
});

// ---------------------------------------------------------------------------------------------

/** Runs a code flow where the token endpoint returns `idToken(op, tx)`; returns the promise. */
async function codeFlowWith(makeIdToken, { op = fakeOp(), options = {} } = {}) {
  const client = await discovered(op, options);
  const { tx, cb } = start(client, op);
  op.tokenResponse = () => {
    const at = 'at-x';
    return json({ access_token: at, token_type: 'Bearer', id_token: makeIdToken(op, tx, at) });
  };
  return client.handleCallback(cb, tx);
}

describe('Client: negative cases (security.md §4, RP side)', () => {
  test('bad signature', async () => {
    await rejects(codeFlowWith((op, tx) => {
      const [h, p, s] = op.idToken({ nonce: tx.nonce }).split('.');
      return `${h}.${p}.${s.slice(0, -4)}${s.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    }), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
    // Signed by a key that is not the OP's (same kid).
    await rejects(codeFlowWith((op, tx) => op.idToken({ nonce: tx.nonce }, { key: { ...K2, kid: 'k1' } })), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });

  test('alg none and HS256 confusion are refused', async () => {
    await rejects(codeFlowWith((op, tx) => rawJws({ alg: 'none' }, { iss: ISSUER, sub: 's', aud: CLIENT_ID, iat: now(), exp: now() + 60, nonce: tx.nonce })), ['ERR_JOSE_ALG_NOT_ALLOWED', 'ERR_JWS_INVALID']);
    await rejects(codeFlowWith((op, tx) => hmacJws('HS256', { alg: 'HS256', kid: 'k1' }, { iss: ISSUER, sub: 's', aud: CLIENT_ID, iat: now(), exp: now() + 60, nonce: tx.nonce }, SECRET)), 'ERR_JOSE_ALG_NOT_ALLOWED');
  });

  test('wrong iss', async () => {
    await rejects(codeFlowWith((op, tx) => op.idToken({ nonce: tx.nonce, iss: 'https://evil.example' })), 'ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'iss' });
  });

  test('missing aud', async () => {
    await rejects(codeFlowWith((op, tx) => op.idToken({ nonce: tx.nonce, aud: undefined })), 'ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'aud' });
  });

  test('aud without this client', async () => {
    await rejects(codeFlowWith((op, tx) => op.idToken({ nonce: tx.nonce, aud: 'someone-else' })), 'ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'aud' });
  });

  test('multiple aud without azp', async () => {
    await rejects(codeFlowWith((op, tx) => op.idToken({ nonce: tx.nonce, aud: [CLIENT_ID, 'other'] })), 'ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'azp' });
    // With azp = this client it is accepted.
    const { claims } = await codeFlowWith((op, tx) => op.idToken({ nonce: tx.nonce, aud: [CLIENT_ID, 'other'], azp: CLIENT_ID }));
    assert.equal(claims.azp, CLIENT_ID);
  });

  test('iat missing', async () => {
    await rejects(codeFlowWith((op, tx) => op.idToken({ nonce: tx.nonce, iat: undefined })), 'ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'iat' });
  });

  test('iat not a number', async () => {
    await rejects(codeFlowWith((op, tx) => op.idToken({ nonce: tx.nonce, iat: 'yesterday' })), 'ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'iat' });
  });

  test('exp in the past', async () => {
    await rejects(codeFlowWith((op, tx) => op.idToken({ nonce: tx.nonce, iat: now() - 7200, exp: now() - 3600 })), 'ERR_JWT_EXPIRED');
  });

  test('exp missing', async () => {
    await rejects(codeFlowWith((op, tx) => op.idToken({ nonce: tx.nonce, exp: undefined })), 'ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'exp' });
  });

  test('bad nonce', async () => {
    await rejects(codeFlowWith((op) => op.idToken({ nonce: 'another-nonce' })), 'ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'nonce' });
  });

  test('missing nonce', async () => {
    await rejects(codeFlowWith((op) => op.idToken({})), 'ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'nonce' });
  });

  test('bad at_hash', async () => {
    await rejects(codeFlowWith((op, tx) => op.idToken({ nonce: tx.nonce, at_hash: halfHash('another-token') })), 'ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'at_hash' });
  });

  test('missing at_hash in the implicit id_token token flow', async () => {
    const op = fakeOp();
    const client = await discovered(op);
    const tx = client.authorizationRequest({ response_type: 'id_token token' });
    const idt = op.idToken({ nonce: tx.nonce });
    const cb = `${REDIRECT}#access_token=front-at&token_type=Bearer&id_token=${idt}&state=${tx.state}&iss=${encodeURIComponent(ISSUER)}`;
    await rejects(client.handleCallback(cb, tx), 'ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'at_hash' });
  });

  test('bad c_hash', async () => {
    const op = fakeOp();
    const client = await discovered(op);
    const tx = client.authorizationRequest({ response_type: 'code id_token' });
    const idt = op.idToken({ nonce: tx.nonce, c_hash: halfHash('another-code') });
    const cb = `${REDIRECT}#code=hyb-code&id_token=${idt}&state=${tx.state}&iss=${encodeURIComponent(ISSUER)}`;
    await rejects(client.handleCallback(cb, tx), 'ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'c_hash' });
    assert.equal(tokenRequests(op).length, 0, 'no code exchange after a failed front-channel ID Token');
  });

  test('missing c_hash in the hybrid flow', async () => {
    const op = fakeOp();
    const client = await discovered(op);
    const tx = client.authorizationRequest({ response_type: 'code id_token' });
    const idt = op.idToken({ nonce: tx.nonce });
    const cb = `${REDIRECT}#code=hyb-code&id_token=${idt}&state=${tx.state}&iss=${encodeURIComponent(ISSUER)}`;
    await rejects(client.handleCallback(cb, tx), 'ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'c_hash' });
  });

  test('hybrid: token endpoint ID Token with another sub', async () => {
    const op = fakeOp();
    const client = await discovered(op);
    const tx = client.authorizationRequest({ response_type: 'code id_token' });
    op.nonce = tx.nonce;
    const idt = op.idToken({ nonce: tx.nonce, c_hash: halfHash('hyb-code') });
    op.sub = 'someone-else';
    const cb = `${REDIRECT}#code=hyb-code&id_token=${idt}&state=${tx.state}&iss=${encodeURIComponent(ISSUER)}`;
    await oauthRejects(client.handleCallback(cb, tx), 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED');
  });

  test('UserInfo sub mismatch', async () => {
    const op = fakeOp();
    op.userinfo = () => json({ sub: 'someone-else', email: 'x@example.com' });
    const client = await discovered(op);
    const { tx, cb } = start(client, op);
    await client.handleCallback(cb, tx);
    await oauthRejects(client.userinfo(), 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED');
  });

  test('kid absent with one key: accepted', async () => {
    const { claims } = await codeFlowWith((op, tx) => op.idToken({ nonce: tx.nonce }, { header: { kid: undefined } }));
    assert.equal(claims.sub, 'user-1');
  });

  test('kid absent with many keys: the one that verifies is used; none verifying fails', async () => {
    const op = fakeOp();
    op.keys = [K2, K1, K3];
    const { claims } = await codeFlowWith((o, tx) => o.idToken({ nonce: tx.nonce }, { header: { kid: undefined } }), { op });
    assert.equal(claims.sub, 'user-1');
    const op2 = fakeOp();
    op2.keys = [K2, K3];
    await rejects(codeFlowWith((o, tx) => o.idToken({ nonce: tx.nonce }, { header: { kid: undefined } }), { op: op2 }), ['ERR_JWS_SIGNATURE_VERIFICATION_FAILED', 'ERR_JWKS_NO_MATCHING_KEY']);
  });

  test('unknown kid is refused after one JWKS refetch', async () => {
    const op = fakeOp();
    await rejects(codeFlowWith((o, tx) => o.idToken({ nonce: tx.nonce }, { key: { ...K2, kid: 'unknown' } }), { op }), 'ERR_JWKS_NO_MATCHING_KEY');
  });

  test('key rotation: a new kid triggers a JWKS refetch and validates', async () => {
    const op = fakeOp();
    // The default remote set refetches at most every 30 s (cooldown); this one at once.
    const jwks = oidckit.createRemoteJWKSet(`${ISSUER}/jwks`, { fetch: op.fetch, cooldownDuration: 0 });
    const client = await discovered(op, { jwks });
    let { tx, cb } = start(client, op);
    await client.handleCallback(cb, tx);
    assert.equal(op.jwksFetches, 1);
    op.keys = [K1, K2];
    op.signWith = K2;
    ({ tx, cb } = start(client, op));
    const { claims } = await client.handleCallback(cb, tx);
    assert.equal(claims.sub, 'user-1');
    assert.equal(op.jwksFetches, 2);
  });

  test('discovery issuer mismatch', async () => {
    const op = fakeOp();
    op.metadata = { ...op.metadata, issuer: 'https://evil.example' };
    await oauthRejects(Client.discover(ISSUER, { clientId: CLIENT_ID, fetch: op.fetch }), 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED');
  });

  test('RFC 9207 iss missing while supported', async () => {
    const op = fakeOp();
    const client = await discovered(op);
    const { tx, cb } = start(client, op, undefined, '');
    await oauthRejects(client.handleCallback(cb, tx), 'OAUTH_MISSING_REQUIRED_PARAMETER');
  });

  test('RFC 9207 iss wrong', async () => {
    const op = fakeOp();
    const client = await discovered(op);
    const { tx, cb } = start(client, op, undefined, '&iss=https%3A%2F%2Fevil.example');
    await oauthRejects(client.handleCallback(cb, tx), 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED');
    // Without iss support announced, an absent iss is fine but a wrong one still fails.
    const op2 = fakeOp();
    op2.metadata = { ...op2.metadata, authorization_response_iss_parameter_supported: false };
    const c2 = await discovered(op2);
    const s2 = start(c2, op2, undefined, '');
    assert.equal((await c2.handleCallback(s2.cb, s2.tx)).claims.sub, 'user-1');
  });

  test('RFC 9207: an expected front-channel ID Token stands in for iss, an injected one does not', async () => {
    const op = fakeOp();
    const client = await discovered(op);
    // response_type id_token: oidc-provider omits iss; the ID Token's iss is validated instead.
    const tx = client.authorizationRequest({ response_type: 'id_token' });
    const good = `${REDIRECT}#id_token=${op.idToken({ nonce: tx.nonce })}&state=${tx.state}`;
    assert.equal((await client.handleCallback(good, tx)).claims.sub, 'user-1');
    const tx2 = client.authorizationRequest({ response_type: 'id_token' });
    const evil = `${REDIRECT}#id_token=${op.idToken({ nonce: tx2.nonce, iss: 'https://evil.example' })}&state=${tx2.state}`;
    await rejects(client.handleCallback(evil, tx2), 'ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'iss' });
    // response_type code: an id_token parameter never replaces iss.
    const s3 = start(client, op, undefined, `&id_token=${op.idToken({ nonce: 'x' })}`);
    await oauthRejects(client.handleCallback(s3.cb, s3.tx), 'OAUTH_MISSING_REQUIRED_PARAMETER');
  });

  test('state missing', async () => {
    const op = fakeOp();
    const client = await discovered(op);
    const { tx } = start(client, op);
    await oauthRejects(client.handleCallback(`${REDIRECT}?code=c&iss=${encodeURIComponent(ISSUER)}`, tx), 'OAUTH_MISSING_REQUIRED_PARAMETER');
  });

  test('state wrong', async () => {
    const op = fakeOp();
    const client = await discovered(op);
    const { tx } = start(client, op);
    await oauthRejects(client.handleCallback(`${REDIRECT}?code=c&state=forged&iss=${encodeURIComponent(ISSUER)}`, tx), 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED');
    assert.equal(tokenRequests(op).length, 0);
  });

  test('state used twice', async () => {
    const op = fakeOp();
    const client = await discovered(op);
    const { tx, cb } = start(client, op);
    const stored = JSON.stringify(tx);
    await client.handleCallback(cb, tx);
    await oauthRejects(client.handleCallback(cb, tx), 'OAUTH_INVALID_REQUEST');
    // Also from a stored copy, and through another Client instance.
    const other = await discovered(op);
    await oauthRejects(other.handleCallback(cb, JSON.parse(stored)), 'OAUTH_INVALID_REQUEST');
    assert.equal(tokenRequests(op).length, 1);
  });

  test('refresh with changed sub', async () => {
    const op = fakeOp();
    const client = await discovered(op);
    const { tx, cb } = start(client, op);
    await client.handleCallback(cb, tx);
    op.nonce = undefined;
    op.sub = 'someone-else';
    await oauthRejects(client.refresh(), 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED');
    assert.equal(client.claims.sub, 'user-1', 'the claims are kept after a failed refresh');
  });

  test('refresh with changed iss', async () => {
    const op = fakeOp();
    const client = await discovered(op);
    const { tx, cb } = start(client, op);
    await client.handleCallback(cb, tx);
    op.nonce = undefined;
    op.issuer = 'https://other.example';
    await rejects(client.refresh(), 'ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'iss' });
  });

  test('refresh with changed auth_time', async () => {
    const op = fakeOp();
    const t = now() - 100;
    const client = await discovered(op);
    const { tx, cb } = start(client, op);
    const base = op.tokenResponse;
    op.tokenResponse = () => {
      const at = 'a';
      return json({ access_token: at, token_type: 'bearer', refresh_token: 'rt', id_token: op.idToken({ nonce: op.nonce, auth_time: t }) });
    };
    await client.handleCallback(cb, tx);
    op.nonce = undefined;
    op.tokenResponse = () => json({ access_token: 'b', token_type: 'bearer', id_token: op.idToken({ auth_time: t + 50 }) });
    await oauthRejects(client.refresh(), 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED');
    op.tokenResponse = base;
  });

  test('HS256 ID Tokens are keyed by the secret of confidential clients only', async () => {
    assert.throws(() => new Client(fakeOp().metadata, { clientId: CLIENT_ID, idTokenSignedResponseAlg: 'HS256' }), (e) => e instanceof TypeError);
    const { claims } = await codeFlowWith(
      (op, tx) => new SignJWT({ iss: ISSUER, sub: 'hs-user', aud: CLIENT_ID, nonce: tx.nonce }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().setExpirationTime('1h').sign(new TextEncoder().encode(SECRET)),
      { options: { idTokenSignedResponseAlg: 'HS256' } },
    );
    assert.equal(claims.sub, 'hs-user');
  });

  test('a token response without id_token for an OpenID request', async () => {
    const op = fakeOp();
    op.tokenResponse = () => json({ access_token: 'a', token_type: 'bearer' });
    const client = await discovered(op);
    const { tx, cb } = start(client, op);
    await oauthRejects(client.handleCallback(cb, tx), 'OAUTH_MISSING_REQUIRED_PARAMETER');
  });

  test('a non-JSON or oversized token response', async () => {
    const op = fakeOp();
    op.tokenResponse = () => new Response('<html>', { headers: { 'content-type': 'text/html' } });
    const client = await discovered(op);
    let s = start(client, op);
    await oauthRejects(client.handleCallback(s.cb, s.tx), 'OAUTH_RESPONSE_IS_NOT_JSON');
    op.tokenResponse = () => new Response('x'.repeat((1 << 20) + 10), { headers: { 'content-type': 'application/json' } });
    s = start(client, op);
    await oauthRejects(client.handleCallback(s.cb, s.tx), 'OAUTH_INVALID_RESPONSE');
  });
});

// ---------------------------------------------------------------------------------------------

describe('standalone OAuth functions', () => {
  test('PKCE: RFC 7636 Appendix B and fresh values', () => {
    const v = readVector('rfc/rfc7636_appendix_b.json');
    const verifier = v.code_verifier ?? v.verifier ?? v.examples?.[0]?.code_verifier;
    const challenge = v.code_challenge ?? v.challenge ?? v.examples?.[0]?.code_challenge;
    assert.equal(calculatePKCECodeChallenge(verifier), challenge);
    const a = generateCodeVerifier();
    assert.match(a, /^[A-Za-z0-9_-]{43,128}$/);
    assert.notEqual(a, generateCodeVerifier());
    for (const f of [generateState, generateNonce]) {
      const s = f();
      assert.ok(Buffer.from(s, 'base64url').length >= 16);
      assert.notEqual(s, f());
    }
    assert.throws(() => calculatePKCECodeChallenge('short'), (e) => e instanceof TypeError);
  });

  test('OpenID Connect Core Appendix A ID Tokens through validateIdToken', () => {
    const v = readVector('rfc/oidc_core_appendix_a.json');
    const keyEntry = v.examples.find((e) => e.jwk);
    const jwk = typeof keyEntry.jwk === 'string' ? JSON.parse(keyEntry.jwk) : keyEntry.jwk;
    const key = importJWK(jwk, 'RS256');
    const set = createLocalJWKSet({ keys: [jwk] });
    let n = 0;
    for (const ex of v.examples.filter((e) => e.id_token)) {
      const expected = typeof ex.expected_claims === 'string' ? JSON.parse(ex.expected_claims) : ex.expected_claims;
      const options = {
        issuer: expected.iss,
        clientId: expected.aud,
        nonce: expected.nonce,
        accessToken: ex.access_token,
        code: ex.code,
        requireAtHash: ex.access_token !== undefined,
        requireCHash: ex.code !== undefined,
        currentDate: new Date((expected.iat + 10) * 1000),
      };
      for (const keys of [key, set]) {
        const { payload, protectedHeader } = validateIdToken(ex.id_token, keys, options);
        assert.deepEqual(payload, expected, ex.title);
        assert.equal(protectedHeader.kid, '1e9gdk7');
      }
      if (ex.access_token) {
        checkError(captureSync(() => validateIdToken(ex.id_token, key, { ...options, accessToken: 'other' })), 'ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'at_hash' });
      }
      if (ex.code) {
        checkError(captureSync(() => validateIdToken(ex.id_token, key, { ...options, code: 'other' })), 'ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'c_hash' });
      }
      checkError(captureSync(() => validateIdToken(ex.id_token, key, { ...options, nonce: 'other' })), 'ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'nonce' });
      checkError(captureSync(() => validateIdToken(ex.id_token, key, { ...options, currentDate: new Date((expected.exp + 10) * 1000) })), 'ERR_JWT_EXPIRED');
      n++;
    }
    assert.equal(n, 4);
  });

  test('validateIdToken with a remote JWK Set returns a Promise', async () => {
    const op = fakeOp();
    const remote = oidckit.createRemoteJWKSet(`${ISSUER}/jwks`, { fetch: op.fetch });
    const p = validateIdToken(op.idToken({ nonce: 'n' }), remote, { issuer: ISSUER, clientId: CLIENT_ID, nonce: 'n' });
    assert.equal(typeof p.then, 'function');
    assert.equal((await p).payload.sub, 'user-1');
    assert.throws(() => validateIdToken('x', K1.jwk, { issuer: ISSUER, clientId: CLIENT_ID, bogus: 1 }), (e) => e.code === 'ERR_INVALID_ARG_VALUE');
  });

  test('validateIdToken refresh continuity (original)', () => {
    const op = fakeOp();
    const set = createLocalJWKSet({ keys: [K1.jwk] });
    const first = validateIdToken(op.idToken(), set, { issuer: ISSUER, clientId: CLIENT_ID }).payload;
    op.sub = 'other';
    const err = captureSync(() => validateIdToken(op.idToken(), set, { issuer: ISSUER, clientId: CLIENT_ID, original: first }));
    assert.ok(err instanceof errors.OperationProcessingError);
    assert.equal(err.code, 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED');
  });

  test('createClientAssertion', () => {
    const { publicKey, privateKey } = generateKeyPair('RS384');
    const a = createClientAssertion({ clientId: 'svc', audience: 'https://op.example/token', key: privateKey, alg: 'RS384', kid: 'kid-1', x5t: 'thumb', lifetime: 120, claims: { extra: 1 } });
    const { payload, protectedHeader } = jwtVerify(a, publicKey, { issuer: 'svc', subject: 'svc', audience: 'https://op.example/token' });
    assert.deepEqual([protectedHeader.alg, protectedHeader.kid, protectedHeader.x5t], ['RS384', 'kid-1', 'thumb']);
    assert.equal(payload.exp - payload.iat, 120);
    assert.equal(payload.extra, 1);
    assert.throws(() => createClientAssertion({ clientId: 'svc', audience: 'a', key: privateKey, alg: 'RS384', lifetime: 301 }), (e) => e instanceof TypeError);
    assert.throws(() => createClientAssertion({ clientId: 'svc', audience: 'a', key: privateKey, alg: 'RS384', claims: { iss: 'x' } }), (e) => e instanceof TypeError);
  });

  test('extractBearerToken: header, body, query; more than one is invalid_request', () => {
    assert.equal(extractBearerToken(new Request('https://rs.example/r', { headers: { authorization: 'Bearer abc' } })), 'abc');
    assert.equal(extractBearerToken({ headers: { authorization: 'Bearer abc' } }), 'abc');
    assert.equal(extractBearerToken({ headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'access_token=xyz' }), 'xyz');
    assert.equal(extractBearerToken({ headers: {}, url: '/r?access_token=q1' }), 'q1');
    assert.equal(extractBearerToken({ headers: {} }), undefined);
    const err = captureSync(() => extractBearerToken({ headers: { authorization: 'Bearer a' }, url: '/r?access_token=b' }));
    assert.ok(err instanceof errors.OperationProcessingError);
    assert.equal(err.code, 'OAUTH_INVALID_REQUEST');
    assert.match(wwwAuthenticate({ error: err }), /^Bearer error="invalid_request"/);
  });

  test('wwwAuthenticate', () => {
    assert.equal(wwwAuthenticate({ realm: 'api' }), 'Bearer realm="api"');
    assert.equal(wwwAuthenticate({ error: 'insufficient_scope', scope: 'read', description: 'need read' }), 'Bearer scope="read", error="insufficient_scope", error_description="need read"');
    assert.throws(() => wwwAuthenticate({ error: 'bogus' }), (e) => e instanceof TypeError);
  });

  test('validateJwtAccessToken (RFC 9068): typ, issuer, audience, scopes', () => {
    const set = createLocalJWKSet({ keys: [K1.jwk] });
    const at = (claims, typ = 'at+jwt') =>
      new SignJWT({ iss: ISSUER, aud: 'https://api.example', sub: 'u', client_id: 'c', jti: 'j', scope: 'read write', ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1', typ }).setIssuedAt().setExpirationTime('5m').sign(K1.privateKey);
    const opts = { issuer: ISSUER, audience: 'https://api.example', requiredScopes: ['read'] };
    assert.equal(validateJwtAccessToken(at(), set, opts).payload.sub, 'u');
    checkError(captureSync(() => validateJwtAccessToken(at({}, 'JWT'), set, opts)), 'ERR_JWT_CLAIM_VALIDATION_FAILED');
    checkError(captureSync(() => validateJwtAccessToken(at({ iss: 'https://x' }), set, opts)), 'ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'iss' });
    const scopeErr = captureSync(() => validateJwtAccessToken(at({ scope: 'write' }), set, opts));
    checkError(scopeErr, 'ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'scope' });
    assert.match(wwwAuthenticate({ error: scopeErr, scope: 'read' }), /error="insufficient_scope"/);
  });

  test('validateLogoutToken (Back-Channel Logout §2.6)', () => {
    const set = createLocalJWKSet({ keys: [K1.jwk] });
    const lt = (claims) =>
      new SignJWT({ iss: ISSUER, aud: CLIENT_ID, jti: 'j1', sid: 's1', events: { 'http://schemas.openid.net/event/backchannel-logout': {} }, ...claims })
        .setProtectedHeader({ alg: 'RS256', kid: 'k1', typ: 'logout+jwt' }).setIssuedAt().setExpirationTime('2m').sign(K1.privateKey);
    assert.equal(validateLogoutToken(lt(), set, { issuer: ISSUER, clientId: CLIENT_ID }).payload.sid, 's1');
    checkError(captureSync(() => validateLogoutToken(lt({ nonce: 'n' }), set, { issuer: ISSUER, clientId: CLIENT_ID })), 'ERR_JWT_CLAIM_VALIDATION_FAILED');
    checkError(captureSync(() => validateLogoutToken(lt({ events: {} }), set, { issuer: ISSUER, clientId: CLIENT_ID })), 'ERR_JWT_CLAIM_VALIDATION_FAILED');
  });
});

function captureSync(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  assert.fail('expected a throw');
}

void b64u;
