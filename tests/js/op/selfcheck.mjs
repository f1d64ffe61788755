// Self-check of the OP harness with plain fetch + jose, without oidckit: when an end-to-end test
// fails, this tells whether the harness (oidc-provider, its configuration, the login driver)
// still works. Run: node tests/js/op/selfcheck.mjs (from the repository, which has jose and
// oidc-provider in node_modules). Not a test file: test-js.sh runs tests/js/*.test.mjs only.
import * as crypto from 'node:crypto';
import assert from 'node:assert/strict';
import * as jose from 'jose';
import { startOP, REDIRECT_URI, POST_LOGOUT_REDIRECT_URI, RESOURCE, JWT_BEARER } from './provider.mjs';

const op = await startOP();
const form = { 'content-type': 'application/x-www-form-urlencoded' };
const basic = (id) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(op.secret(id))}`).toString('base64')}`;
const authUrl = (endpoint, params) => {
  const u = new URL(endpoint);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u;
};
const post = async (url, body, headers = {}) => {
  const res = await fetch(url, { method: 'POST', headers: { ...form, ...headers }, body: new URLSearchParams(body) });
  return { status: res.status, json: await res.json() };
};
const ok = (what) => console.log(`ok - ${what}`);

try {
  const disc = await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json();
  assert.equal(disc.issuer, op.issuer);
  assert.ok(disc.grant_types_supported.includes(JWT_BEARER));
  ok('discovery');
  const jwks = jose.createRemoteJWKSet(new URL(disc.jwks_uri), { cooldownDuration: 0 });

  // code + PKCE by hand
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  const r = await op.login(authUrl(disc.authorization_endpoint, {
    client_id: 'spa', response_type: 'code', scope: 'openid offline_access profile email', redirect_uri: REDIRECT_URI,
    state: 'st1', nonce: 'n1', code_challenge: challenge, code_challenge_method: 'S256', prompt: 'consent',
  }));
  const cb = new URL(r.url);
  assert.equal(cb.searchParams.get('iss'), op.issuer);
  assert.equal(cb.searchParams.get('state'), 'st1');
  const tokens = (await post(disc.token_endpoint, {
    grant_type: 'authorization_code', code: cb.searchParams.get('code'), redirect_uri: REDIRECT_URI, client_id: 'spa', code_verifier: verifier,
  })).json;
  const { payload } = await jose.jwtVerify(tokens.id_token, jwks, { issuer: op.issuer, audience: 'spa' });
  assert.equal(payload.sub, 'alice');
  assert.equal(payload.nonce, 'n1');
  ok('code + PKCE through the login form, ID token verified with jose');
  const ui = await (await fetch(disc.userinfo_endpoint, { headers: { authorization: `Bearer ${tokens.access_token}` } })).json();
  assert.equal(ui.email, 'alice@example.com');
  ok('userinfo');

  // key rotation: a new Provider instance over the same storage
  const kid = op.rotateKeys();
  const ref = (await post(disc.token_endpoint, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: 'spa' })).json;
  const v2 = await jose.jwtVerify(ref.id_token, jwks, { issuer: op.issuer, audience: 'spa' });
  assert.equal(v2.protectedHeader.kid, kid);
  ok('key rotation (refresh after rotation, new kid verifies)');

  // hybrid + form_post
  const r2 = await op.login(authUrl(disc.authorization_endpoint, {
    client_id: 'legacy', response_type: 'code id_token token', response_mode: 'form_post', scope: 'openid', redirect_uri: REDIRECT_URI, state: 's2', nonce: 'n2',
  }), { jar: r.jar });
  assert.equal(r2.type, 'form_post');
  assert.ok(new URLSearchParams(r2.body).get('id_token'));
  ok('hybrid form_post');

  // client credentials → RFC 9068 JWT access token
  const cc = (await post(disc.token_endpoint, { grant_type: 'client_credentials', scope: 'system/*.read', resource: RESOURCE }, { authorization: basic('web-basic') })).json;
  const at = await jose.jwtVerify(cc.access_token, jwks, { issuer: op.issuer, audience: RESOURCE, typ: 'at+jwt' });
  assert.equal(at.payload.scope, 'system/*.read');
  ok('client credentials, JWT access token');

  // JWT bearer grant + introspection
  const key = await jose.importPKCS8(op.fx.backend.pkcs8Pem, 'RS384');
  const assertion = await new jose.SignJWT({ domain: 'example.org' }).setProtectedHeader({ alg: 'RS384', kid: op.fx.backend.kid })
    .setIssuer('jwt-bearer').setSubject('bob').setAudience(op.issuer).setIssuedAt().setExpirationTime('5m').setJti(crypto.randomUUID()).sign(key);
  const jb = await post(disc.token_endpoint, { grant_type: JWT_BEARER, assertion, scope: 'api:read' }, { authorization: basic('jwt-bearer') });
  assert.equal(jb.status, 200);
  const intro = (await post(disc.introspection_endpoint, { token: jb.json.access_token }, { authorization: basic('resource-server') })).json;
  assert.equal(intro.sub, 'bob');
  assert.equal(intro.domain, 'example.org');
  ok('JWT bearer grant, introspection');

  // private_key_jwt with x5t
  const ca = await new jose.SignJWT({}).setProtectedHeader({ alg: 'RS384', x5t: op.fx.backend.x5t }).setIssuer('backend-rs384').setSubject('backend-rs384')
    .setAudience(disc.token_endpoint).setIssuedAt().setExpirationTime('2m').setJti(crypto.randomUUID()).sign(key);
  const pkj = await post(disc.token_endpoint, {
    grant_type: 'client_credentials', scope: 'system/*.read', client_id: 'backend-rs384',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: ca,
  });
  assert.equal(pkj.status, 200);
  assert.equal(op.state.lastClientAssertion.header.x5t, op.fx.backend.x5t);
  ok('private_key_jwt (x5t)');

  // RP-initiated logout
  const done = await op.logout(authUrl(disc.end_session_endpoint, {
    id_token_hint: ref.id_token, post_logout_redirect_uri: POST_LOGOUT_REDIRECT_URI, state: 'bye', client_id: 'spa',
  }), { jar: r.jar });
  assert.equal(done, `${POST_LOGOUT_REDIRECT_URI}?state=bye`);
  ok('RP-initiated logout');
  assert.deepEqual(op.state.errors, []);
  ok('no OP errors');
} finally {
  await op.close();
}
