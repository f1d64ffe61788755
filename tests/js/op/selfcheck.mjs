// Self-check of the OP harness with plain fetch + jose (no oidckit): discovery, a code + PKCE
// flow by hand, ID token validation, userinfo, key rotation. Run: node tests/js/op/selfcheck.mjs
import * as crypto from 'node:crypto';
import assert from 'node:assert/strict';
import * as jose from 'jose';
import { startOP, REDIRECT_URI } from './provider.mjs';

const op = await startOP();
try {
  const disc = await (await fetch(`${op.issuer}/.well-known/openid-configuration`)).json();
  assert.equal(disc.issuer, op.issuer);
  console.log('discovery ok', Object.keys(disc).length, 'members; grant types', disc.grant_types_supported);
  const jwks = jose.createRemoteJWKSet(new URL(disc.jwks_uri), { cooldownDuration: 0 });
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  const u = new URL(disc.authorization_endpoint);
  Object.entries({ client_id: 'spa', response_type: 'code', scope: 'openid offline_access profile email', redirect_uri: REDIRECT_URI, state: 'st1', nonce: 'n1', code_challenge: challenge, code_challenge_method: 'S256', prompt: 'consent' }).forEach(([k, v]) => u.searchParams.set(k, v));
  const r = await op.login(u);
  console.log('callback', r.type, r.url);
  const cb = new URL(r.url);
  assert.equal(cb.searchParams.get('iss'), op.issuer);
  const tok = await fetch(disc.token_endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'authorization_code', code: cb.searchParams.get('code'), redirect_uri: REDIRECT_URI, client_id: 'spa', code_verifier: verifier }) });
  const tokens = await tok.json();
  console.log('tokens', tok.status, Object.keys(tokens));
  const { payload, protectedHeader } = await jose.jwtVerify(tokens.id_token, jwks, { issuer: op.issuer, audience: 'spa' });
  console.log('id token', protectedHeader, payload);
  const ui = await (await fetch(disc.userinfo_endpoint, { headers: { authorization: `Bearer ${tokens.access_token}` } })).json();
  console.log('userinfo', ui);
  const kid = op.rotateKeys();
  const ks = await (await fetch(disc.jwks_uri)).json();
  console.log('rotated to', kid, 'jwks kids', ks.keys.map((k) => k.kid));
  const ref = await (await fetch(disc.token_endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: 'spa' }) })).json();

  const v2 = await jose.jwtVerify(ref.id_token, jwks, { issuer: op.issuer, audience: 'spa' });
  console.log('refreshed id token kid', v2.protectedHeader.kid, 'sub', v2.payload.sub);
  // implicit form_post
  const u2 = new URL(disc.authorization_endpoint);
  Object.entries({ client_id: 'legacy', response_type: 'code id_token token', response_mode: 'form_post', scope: 'openid', redirect_uri: REDIRECT_URI, state: 's2', nonce: 'n2' }).forEach(([k, v]) => u2.searchParams.set(k, v));
  const r2 = await op.login(u2, { jar: r.jar });
  console.log('hybrid form_post', r2.type, r2.action, [...new URLSearchParams(r2.body).keys()]);
  const basic = (id) => 'Basic ' + Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(op.secret(id))}`).toString('base64');
  const form = { 'content-type': 'application/x-www-form-urlencoded' };
  const cc = await (await fetch(disc.token_endpoint, { method: 'POST', headers: { ...form, authorization: basic('web-basic') }, body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'system/*.read', resource: 'https://rs.example/api' }) })).json();
  const at = await jose.jwtVerify(cc.access_token, jwks, { issuer: op.issuer, audience: 'https://rs.example/api', typ: 'at+jwt' });
  console.log('cc jwt at', cc.scope, at.protectedHeader, at.payload);
  const key = await jose.importPKCS8(op.fx.backend.pkcs8Pem, 'RS384');
  const assertion = await new jose.SignJWT({ domain: 'example.org' }).setProtectedHeader({ alg: 'RS384', kid: op.fx.backend.kid }).setIssuer('jwt-bearer').setSubject('bob').setAudience(op.issuer).setIssuedAt().setExpirationTime('5m').setJti(crypto.randomUUID()).sign(key);
  const jb = await fetch(disc.token_endpoint, { method: 'POST', headers: { ...form, authorization: basic('jwt-bearer') }, body: new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion, scope: 'api:read' }) });
  const jbt = await jb.json();
  console.log('jwt bearer', jb.status, jbt);
  const intro = await (await fetch(disc.introspection_endpoint, { method: 'POST', headers: { ...form, authorization: basic('resource-server') }, body: new URLSearchParams({ token: jbt.access_token }) })).json();
  console.log('introspection', intro);
  const ca = await new jose.SignJWT({}).setProtectedHeader({ alg: 'RS384', x5t: op.fx.backend.x5t }).setIssuer('backend-rs384').setSubject('backend-rs384').setAudience(disc.token_endpoint).setIssuedAt().setExpirationTime('2m').setJti(crypto.randomUUID()).sign(key);
  const pkj = await fetch(disc.token_endpoint, { method: 'POST', headers: form, body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'system/*.read', client_id: 'backend-rs384', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: ca }) });
  console.log('private_key_jwt x5t', pkj.status, await pkj.json(), op.state.lastClientAssertion?.header);
  const es = new URL(disc.end_session_endpoint);
  Object.entries({ id_token_hint: ref.id_token, post_logout_redirect_uri: 'https://rp.example/logged-out', state: 'bye', client_id: 'spa' }).forEach(([k, v]) => es.searchParams.set(k, v));
  console.log('logout ->', await op.logout(es, { jar: r.jar }));
  console.log('last grant', op.state.lastGrant);
  console.log('errors', op.state.errors);
} finally {
  await op.close();
}
