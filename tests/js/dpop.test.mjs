// DPoP (RFC 9449): createDPoPHandle (proofs, nonces per origin, use_dpop_nonce detection) and
// verifyDPoPProof (§4.3), cross-checked against the `jose` package in both directions.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import * as jose from 'jose';
import { ASYM_ALGS, b64uJson, nodeKeyPair, oidckit, throwsCode } from './helpers.mjs';

const { createDPoPHandle, verifyDPoPProof } = oidckit;
const TOKEN_URL = 'https://as.example/token';
const AT = 'Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU';
const isRsa = (alg) => alg.startsWith('RS') || alg.startsWith('PS');
const sha256b64u = (s) => createHash('sha256').update(s).digest('base64url');

/** An oidckit key pair for `alg` (RSA from node:crypto fixtures, bound to alg). */
function ourKeyPair(alg) {
  if (isRsa(alg)) {
    const n = nodeKeyPair(alg);
    return {
      privateKey: oidckit.importPKCS8(n.pkcs8, alg),
      publicKey: oidckit.importSPKI(n.spki, alg),
    };
  }
  return oidckit.generateKeyPair(alg);
}

async function joseKeyPair(alg) {
  if (isRsa(alg)) {
    const n = nodeKeyPair(alg);
    return {
      privateKey: await jose.importPKCS8(n.pkcs8, alg, { extractable: true }),
      publicKey: await jose.importSPKI(n.spki, alg, { extractable: true }),
    };
  }
  return jose.generateKeyPair(alg, { extractable: true, crv: alg === 'EdDSA' ? 'Ed25519' : undefined });
}

/** A proof signed by jose with arbitrary header and claims (for interop and negative cases). */
async function joseProof(kp, alg, { header = {}, claims = {}, iat } = {}) {
  const jwk = await jose.exportJWK(kp.publicKey);
  const jwt = new jose.SignJWT({ htm: 'POST', htu: TOKEN_URL, jti: 'jti-' + Math.random(), ...claims })
    .setProtectedHeader({ typ: 'dpop+jwt', alg, jwk, ...header });
  if (iat === undefined) jwt.setIssuedAt();
  else jwt.setIssuedAt(iat);
  return jwt.sign(kp.privateKey);
}

const headersResponse = (status, headers, init = {}) => new Response(init.body ?? null, { status, headers });

describe('createDPoPHandle → proofs', () => {
  for (const alg of ASYM_ALGS) {
    it(`${alg}: jose verifies our proof with EmbeddedJWK, jkt agrees`, async () => {
      const kp = ourKeyPair(alg);
      const handle = createDPoPHandle(kp);
      assert.equal(handle.jkt, oidckit.calculateJwkThumbprint(kp.publicKey));
      assert.equal(handle.jkt, await jose.calculateJwkThumbprint(oidckit.exportJWK(kp.publicKey)));
      const proof = handle.proof('GET', 'https://RS.example:443/api/items?page=2#top', AT);
      const { payload, protectedHeader } = await jose.jwtVerify(proof, jose.EmbeddedJWK, {
        typ: 'dpop+jwt', algorithms: [alg], maxTokenAge: '1m',
      });
      assert.equal(protectedHeader.alg, alg);
      assert.equal(protectedHeader.jwk.d, undefined, 'no private member');
      assert.equal(await jose.calculateJwkThumbprint(protectedHeader.jwk), handle.jkt);
      assert.equal(payload.htm, 'GET');
      assert.equal(payload.htu, 'https://rs.example/api/items');
      assert.equal(payload.ath, sha256b64u(AT));
      assert.ok(typeof payload.jti === 'string' && Buffer.from(payload.jti, 'base64url').length >= 16);
      assert.ok(Math.abs(payload.iat - Date.now() / 1000) < 5);
      assert.equal(payload.nonce, undefined);
      // And our own verifier agrees.
      const r = verifyDPoPProof(proof, { htm: 'GET', htu: 'https://rs.example/api/items', accessToken: AT });
      assert.equal(r.jkt, handle.jkt);
      assert.deepEqual(r.payload, payload);
      assert.deepEqual(r.protectedHeader, protectedHeader);
    });
  }

  it('every proof has a fresh jti and is synchronous', () => {
    const handle = createDPoPHandle(oidckit.generateKeyPair('ES256'));
    const a = handle.proof('POST', TOKEN_URL);
    const b = handle.proof('POST', new URL(TOKEN_URL));
    assert.equal(typeof a, 'string');
    assert.notEqual(oidckit.decodeJwt(a).jti, oidckit.decodeJwt(b).jti);
    assert.equal(oidckit.decodeJwt(a).ath, undefined);
  });

  it('an unbound RSA key takes options.alg', () => {
    const n = nodeKeyPair('PS256');
    const kp = { privateKey: oidckit.importPEM(n.pkcs8), publicKey: oidckit.importPEM(n.spki) };
    throwsCode(() => createDPoPHandle(kp), 'ERR_INVALID_ARG_VALUE');
    const handle = createDPoPHandle(kp, { alg: 'PS384' });
    assert.equal(oidckit.decodeProtectedHeader(handle.proof('POST', TOKEN_URL)).alg, 'PS384');
  });

  it('misuse is a TypeError', () => {
    const kp = oidckit.generateKeyPair('ES256');
    const other = oidckit.generateKeyPair('ES256');
    throwsCode(() => createDPoPHandle(undefined), 'ERR_INVALID_ARG_TYPE');
    throwsCode(() => createDPoPHandle({ privateKey: kp.publicKey, publicKey: kp.publicKey }), 'ERR_INVALID_ARG_TYPE');
    throwsCode(() => createDPoPHandle({ privateKey: kp.privateKey, publicKey: kp.privateKey }), 'ERR_INVALID_ARG_TYPE');
    throwsCode(() => createDPoPHandle({ privateKey: kp.privateKey, publicKey: other.publicKey }), 'ERR_INVALID_ARG_VALUE');
    throwsCode(() => createDPoPHandle({ privateKey: oidckit.generateSecret('HS256'), publicKey: kp.publicKey }), 'ERR_INVALID_ARG_TYPE');
    throwsCode(() => createDPoPHandle(kp, { algorithm: 'ES256' }), 'ERR_INVALID_ARG_VALUE');
    throwsCode(() => createDPoPHandle(kp, { alg: 'HS256' }), ['ERR_JOSE_ALG_NOT_ALLOWED']);
    throwsCode(() => createDPoPHandle(kp, { alg: 'ES384' }), ['ERR_JOSE_ALG_NOT_ALLOWED']);
    const handle = createDPoPHandle(kp);
    throwsCode(() => handle.proof('POST', '/relative'), 'ERR_INVALID_ARG_VALUE');
    throwsCode(() => handle.proof('POST', 'ftp://as.example/x'), 'ERR_INVALID_ARG_VALUE');
    throwsCode(() => handle.proof('PO ST', TOKEN_URL), 'ERR_INVALID_ARG_VALUE');
    throwsCode(() => handle.proof(1, TOKEN_URL), 'ERR_INVALID_ARG_TYPE');
    throwsCode(() => handle.proof('GET', TOKEN_URL, 42), 'ERR_INVALID_ARG_TYPE');
    throwsCode(() => handle.updateNonce(TOKEN_URL, {}), 'ERR_INVALID_ARG_TYPE');
    assert.ok(Object.isFrozen(handle));
  });
});

describe('nonces (RFC 9449 §8, §9)', () => {
  it('updateNonce caches per origin; the next proof for that origin carries it', () => {
    const handle = createDPoPHandle(oidckit.generateKeyPair('ES256'));
    handle.updateNonce(TOKEN_URL, headersResponse(400, { 'DPoP-Nonce': 'eyJ7S_zG.eyJH0-Z.HX4w-7v' }));
    assert.equal(oidckit.decodeJwt(handle.proof('POST', 'https://as.example/par')).nonce, 'eyJ7S_zG.eyJH0-Z.HX4w-7v');
    assert.equal(oidckit.decodeJwt(handle.proof('GET', 'https://rs.example/api')).nonce, undefined);
    assert.equal(oidckit.decodeJwt(handle.proof('GET', 'https://as.example:8443/x')).nonce, undefined);
    handle.updateNonce(new URL('https://as.example/userinfo'), headersResponse(200, { 'dpop-nonce': 'second' }));
    assert.equal(oidckit.decodeJwt(handle.proof('POST', TOKEN_URL)).nonce, 'second');
    // A response without the header, or with a malformed nonce, changes nothing.
    handle.updateNonce(TOKEN_URL, headersResponse(200, {}));
    handle.updateNonce(TOKEN_URL, headersResponse(200, { 'DPoP-Nonce': 'bad nonce' }));
    assert.equal(oidckit.decodeJwt(handle.proof('POST', TOKEN_URL)).nonce, 'second');
  });

  it('isUseDpopNonceError: token endpoint 400 JSON error (§8)', () => {
    const handle = createDPoPHandle(oidckit.generateKeyPair('ES256'));
    const res = headersResponse(400, { 'content-type': 'application/json', 'DPoP-Nonce': 'n1' });
    assert.equal(handle.isUseDpopNonceError(res, { error: 'use_dpop_nonce', error_description: 'nonce required' }), true);
    assert.equal(handle.isUseDpopNonceError(res, { error: 'invalid_dpop_proof' }), false);
    assert.equal(handle.isUseDpopNonceError(res), false, 'no body: cannot tell');
    assert.equal(handle.isUseDpopNonceError(res, '{"error":"use_dpop_nonce"}'), true);
    assert.equal(handle.isUseDpopNonceError(headersResponse(200, {}), { error: 'use_dpop_nonce' }), false);
    throwsCode(() => handle.isUseDpopNonceError(res, 42), 'ERR_INVALID_ARG_TYPE');
  });

  it('isUseDpopNonceError: resource server 401 WWW-Authenticate (§9)', () => {
    const handle = createDPoPHandle(oidckit.generateKeyPair('ES256'));
    const yes = [
      'DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"',
      'Bearer realm="api", DPoP algs="ES256 PS256", error="use_dpop_nonce"',
      'dpop error=use_dpop_nonce',
    ];
    for (const www of yes) {
      assert.equal(handle.isUseDpopNonceError(headersResponse(401, { 'WWW-Authenticate': www })), true, www);
    }
    const h = new Headers();
    h.append('WWW-Authenticate', 'Bearer realm="api"');
    h.append('WWW-Authenticate', 'DPoP error="use_dpop_nonce"');
    assert.equal(handle.isUseDpopNonceError(new Response(null, { status: 401, headers: h })), true);
    const no = ['Bearer error="use_dpop_nonce"', 'DPoP error="invalid_token"', 'DPoP realm="error=\\"use_dpop_nonce\\""'];
    for (const www of no) {
      assert.equal(handle.isUseDpopNonceError(headersResponse(401, { 'WWW-Authenticate': www })), false, www);
    }
    assert.equal(handle.isUseDpopNonceError(headersResponse(403, { 'WWW-Authenticate': yes[0] })), false);
  });

  it('a retry after use_dpop_nonce succeeds against a verifying server', () => {
    const handle = createDPoPHandle(oidckit.generateKeyPair('ES256'));
    const serverNonce = 'srv-' + Date.now();
    // A token endpoint that demands a nonce (RFC 9449 §8).
    const tokenEndpoint = (proof) => {
      try {
        const r = verifyDPoPProof(proof, { htm: 'POST', htu: TOKEN_URL, nonce: serverNonce });
        return { res: headersResponse(200, { 'DPoP-Nonce': serverNonce }), body: { access_token: 'x', token_type: 'DPoP', jkt: r.jkt } };
      } catch (e) {
        assert.equal(e.claim, 'nonce');
        return { res: headersResponse(400, { 'DPoP-Nonce': serverNonce }), body: { error: 'use_dpop_nonce' } };
      }
    };
    let { res, body } = tokenEndpoint(handle.proof('POST', TOKEN_URL));
    handle.updateNonce(TOKEN_URL, res);
    assert.equal(handle.isUseDpopNonceError(res, body), true);
    ({ res, body } = tokenEndpoint(handle.proof('POST', TOKEN_URL)));
    assert.equal(res.status, 200);
    assert.equal(body.jkt, handle.jkt);
  });
});

describe('verifyDPoPProof ← jose-made proofs', () => {
  for (const alg of ASYM_ALGS) {
    it(`${alg}: accepts a jose SignJWT proof, jkt = jose thumbprint`, async () => {
      const kp = await joseKeyPair(alg);
      const proof = await joseProof(kp, alg, { claims: { ath: sha256b64u(AT), nonce: 'n-1' } });
      const r = verifyDPoPProof(proof, { htm: 'POST', htu: TOKEN_URL, accessToken: AT, nonce: 'n-1' });
      assert.equal(r.jkt, await jose.calculateJwkThumbprint(await jose.exportJWK(kp.publicKey)));
      assert.equal(r.protectedHeader.typ, 'dpop+jwt');
      assert.equal(r.payload.htu, TOKEN_URL);
    });
  }
});

describe('verifyDPoPProof negative cases (RFC 9449 §4.3)', async () => {
  const kp = await joseKeyPair('ES256');
  const opts = { htm: 'POST', htu: TOKEN_URL };

  it('a missing header value (not a string) is JWTInvalid', () => {
    throwsCode(() => verifyDPoPProof(null, opts), 'ERR_JWT_INVALID');
  });
  it('two proofs in one header value are JWTInvalid', async () => {
    const p = await joseProof(kp, 'ES256');
    throwsCode(() => verifyDPoPProof(`${p}, ${p}`, opts), 'ERR_JWT_INVALID');
  });
  it('typ other than dpop+jwt', async () => {
    const p = await joseProof(kp, 'ES256', { header: { typ: 'JWT' } });
    throwsCode(() => verifyDPoPProof(p, opts), 'ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'typ' });
  });
  it('alg none', async () => {
    const jwk = await jose.exportJWK(kp.publicKey);
    const p = `${b64uJson({ typ: 'dpop+jwt', alg: 'none', jwk })}.${b64uJson({ jti: 'a', htm: 'POST', htu: TOKEN_URL, iat: Math.floor(Date.now() / 1000) })}.`;
    throwsCode(() => verifyDPoPProof(p, opts), 'ERR_JOSE_ALG_NOT_ALLOWED');
  });
  it('alg outside the allow-list, and HS* in the allow-list is misuse', async () => {
    const p = await joseProof(kp, 'ES256');
    throwsCode(() => verifyDPoPProof(p, { ...opts, algorithms: ['EdDSA'] }), 'ERR_JOSE_ALG_NOT_ALLOWED');
    throwsCode(() => verifyDPoPProof(p, { ...opts, algorithms: ['ES256', 'HS256'] }), 'ERR_INVALID_ARG_VALUE');
    assert.ok(verifyDPoPProof(p, { ...opts, algorithms: ['ES256'] }).jkt);
  });
  it('a private jwk in the header', async () => {
    const jwk = await jose.exportJWK(kp.privateKey);
    const p = await joseProof(kp, 'ES256', { header: { jwk } });
    throwsCode(() => verifyDPoPProof(p, opts), 'ERR_JWS_INVALID');
  });
  it('a jwk that did not sign the proof', async () => {
    const other = await joseKeyPair('ES256');
    const p = await joseProof(kp, 'ES256', { header: { jwk: await jose.exportJWK(other.publicKey) } });
    throwsCode(() => verifyDPoPProof(p, opts), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });
  it('htm mismatch', async () => {
    const p = await joseProof(kp, 'ES256', { claims: { htm: 'GET' } });
    throwsCode(() => verifyDPoPProof(p, opts), 'ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'htm', reason: 'check_failed' });
  });
  it('htu mismatch; normalised equivalents pass', async () => {
    const p = await joseProof(kp, 'ES256', { claims: { htu: 'https://as.example/other' } });
    throwsCode(() => verifyDPoPProof(p, opts), 'ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'htu', reason: 'check_failed' });
    const q = await joseProof(kp, 'ES256', { claims: { htu: 'HTTPS://AS.example:443/token' } });
    assert.ok(verifyDPoPProof(q, { ...opts, htu: new URL(TOKEN_URL + '?x=1') }).jkt);
  });
  it('missing jti', async () => {
    const jwk = await jose.exportJWK(kp.publicKey);
    const p = await new jose.SignJWT({ htm: 'POST', htu: TOKEN_URL })
      .setProtectedHeader({ typ: 'dpop+jwt', alg: 'ES256', jwk }).setIssuedAt().sign(kp.privateKey);
    throwsCode(() => verifyDPoPProof(p, opts), 'ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'jti', reason: 'missing' });
  });
  it('iat too old is JWTExpired (with the payload); maxAge and clockTolerance widen it', async () => {
    const p = await joseProof(kp, 'ES256', { iat: Math.floor(Date.now() / 1000) - 400 });
    const err = throwsCode(() => verifyDPoPProof(p, opts), 'ERR_JWT_EXPIRED', { claim: 'iat' });
    assert.equal(err.payload.htu, TOKEN_URL);
    assert.ok(verifyDPoPProof(p, { ...opts, maxAge: '10m' }).jkt);
    assert.ok(verifyDPoPProof(p, { ...opts, clockTolerance: 120 }).jkt);
  });
  it('iat in the future', async () => {
    const p = await joseProof(kp, 'ES256', { iat: Math.floor(Date.now() / 1000) + 120 });
    throwsCode(() => verifyDPoPProof(p, opts), 'ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'iat' });
    assert.ok(verifyDPoPProof(p, { ...opts, currentDate: new Date(Date.now() + 120_000) }).jkt);
  });
  it('ath missing or wrong when an access token is presented', async () => {
    const none = await joseProof(kp, 'ES256');
    throwsCode(() => verifyDPoPProof(none, { ...opts, accessToken: AT }), 'ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'ath', reason: 'missing' });
    const wrong = await joseProof(kp, 'ES256', { claims: { ath: sha256b64u('other') } });
    throwsCode(() => verifyDPoPProof(wrong, { ...opts, accessToken: AT }), 'ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'ath', reason: 'check_failed' });
  });
  it('nonce missing or wrong when one is expected', async () => {
    const none = await joseProof(kp, 'ES256');
    throwsCode(() => verifyDPoPProof(none, { ...opts, nonce: 'n' }), 'ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'nonce', reason: 'missing' });
    const wrong = await joseProof(kp, 'ES256', { claims: { nonce: 'm' } });
    throwsCode(() => verifyDPoPProof(wrong, { ...opts, nonce: 'n' }), 'ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'nonce', reason: 'check_failed' });
  });
  it('option misuse is a TypeError', async () => {
    const p = await joseProof(kp, 'ES256');
    throwsCode(() => verifyDPoPProof(p), 'ERR_INVALID_ARG_TYPE');
    throwsCode(() => verifyDPoPProof(p, { htu: TOKEN_URL }), 'ERR_INVALID_ARG_TYPE');
    throwsCode(() => verifyDPoPProof(p, { ...opts, audience: 'x' }), 'ERR_INVALID_ARG_VALUE');
    throwsCode(() => verifyDPoPProof(p, { ...opts, clockTolerance: 601 }), 'ERR_INVALID_ARG_VALUE');
    throwsCode(() => verifyDPoPProof(p, { ...opts, maxAge: -1 }), 'ERR_INVALID_ARG_VALUE');
    throwsCode(() => verifyDPoPProof(p, { ...opts, htu: 'not a url' }), 'ERR_INVALID_ARG_VALUE');
    throwsCode(() => verifyDPoPProof(p, { ...opts, currentDate: 'now' }), 'ERR_INVALID_ARG_VALUE');
  });
});
