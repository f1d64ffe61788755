// Interop with the `jose` npm package (an independent JOSE implementation), both directions,
// for every algorithm, moving keys as JWK, PKCS#8 and SPKI.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as jose from 'jose';
import { ALGS, HMAC_ALGS, fromB64u, nodeKeyPair, oidckit, throwsCode } from './helpers.mjs';

const isRsa = (alg) => alg.startsWith('RS') || alg.startsWith('PS');

/** jose key pair; RSA from node:crypto (jose would take just as long, and this keeps it quick). */
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

const claims = { sub: 'interop', scope: 'a b', n: 42, list: [1, 2, 3] };

describe('oidckit signs → jose verifies', () => {
  for (const alg of ALGS) {
    it(alg, async () => {
      let signKey;
      let joseVerifyKeys;
      if (HMAC_ALGS.includes(alg)) {
        signKey = oidckit.generateSecret(alg, { extractable: true });
        const jwk = oidckit.exportJWK(signKey);
        assert.equal(jwk.kty, 'oct');
        joseVerifyKeys = [await jose.importJWK(jwk, alg), fromB64u(jwk.k)];
      } else {
        const kp = isRsa(alg)
          ? { privateKey: oidckit.importPKCS8(nodeKeyPair(alg).pkcs8, alg, { extractable: true }),
              publicKey: oidckit.importSPKI(nodeKeyPair(alg).spki, alg) }
          : oidckit.generateKeyPair(alg, { extractable: true });
        signKey = kp.privateKey;
        const pubJwk = oidckit.exportJWK(kp.publicKey);
        const spki = oidckit.exportSPKI(kp.publicKey);
        assert.match(spki, /^-----BEGIN PUBLIC KEY-----\n/);
        joseVerifyKeys = [await jose.importJWK(pubJwk, alg), await jose.importSPKI(spki, alg)];
        // The private key too: oidckit PKCS#8 → jose signs, and that verifies with the same keys.
        const pkcs8 = oidckit.exportPKCS8(kp.privateKey);
        assert.match(pkcs8, /^-----BEGIN PRIVATE KEY-----\n/);
        let josePriv;
        try {
          josePriv = await jose.importPKCS8(pkcs8, alg);
        } catch (err) {
          assert.fail(`jose (Node's OpenSSL) cannot read oidckit's ${alg} PKCS#8 export: ${err.message}` +
            `${err.cause ? ` (${err.cause.message})` : ''}\n${pkcs8}`);
        }
        const t2 = await new jose.SignJWT(claims).setProtectedHeader({ alg }).sign(josePriv);
        assert.equal(oidckit.jwtVerify(t2, kp.publicKey).payload.sub, 'interop');
      }
      const token = new oidckit.SignJWT(claims)
        .setProtectedHeader({ alg, typ: 'JWT', kid: 'k1' })
        .setIssuer('https://op.example')
        .setAudience(['rp1', 'rp2'])
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(signKey);
      for (const k of joseVerifyKeys) {
        const { payload, protectedHeader } = await jose.jwtVerify(token, k, {
          issuer: 'https://op.example', audience: 'rp2', algorithms: [alg],
        });
        assert.deepEqual(protectedHeader, { alg, typ: 'JWT', kid: 'k1' });
        assert.deepEqual(payload.list, [1, 2, 3]);
        assert.deepEqual(payload.aud, ['rp1', 'rp2']);
        assert.equal(payload.exp - payload.iat, 600);
      }
    });
  }
});

describe('jose signs → oidckit verifies', () => {
  for (const alg of ALGS) {
    it(alg, async () => {
      let joseSignKey;
      let oidcVerifyKeys;
      if (HMAC_ALGS.includes(alg)) {
        joseSignKey = await jose.generateSecret(alg, { extractable: true });
        const jwk = await jose.exportJWK(joseSignKey);
        oidcVerifyKeys = [oidckit.importJWK(jwk, alg), fromB64u(jwk.k), oidckit.importJWK(jwk)];
      } else {
        const kp = await joseKeyPair(alg);
        joseSignKey = kp.privateKey;
        const pubJwk = await jose.exportJWK(kp.publicKey);
        const spki = await jose.exportSPKI(kp.publicKey);
        oidcVerifyKeys = [
          oidckit.importJWK(pubJwk, alg),
          oidckit.importSPKI(spki, alg),
          oidckit.importPEM(spki, alg),
        ];
        // jose PKCS#8 and private JWK → oidckit signs → jose verifies with its own public key.
        const pkcs8 = await jose.exportPKCS8(kp.privateKey);
        const privJwk = await jose.exportJWK(kp.privateKey);
        for (const priv of [oidckit.importPKCS8(pkcs8, alg), oidckit.importJWK(privJwk, alg)]) {
          const t = new oidckit.SignJWT({ back: true }).setProtectedHeader({ alg }).sign(priv);
          const r = await jose.jwtVerify(t, kp.publicKey, { algorithms: [alg] });
          assert.equal(r.payload.back, true);
        }
        // Same thumbprint in both libraries.
        for (const digest of ['sha256', 'sha384', 'sha512']) {
          assert.equal(
            oidckit.calculateJwkThumbprint(pubJwk, digest),
            await jose.calculateJwkThumbprint(pubJwk, digest),
            `thumbprint ${digest}`,
          );
        }
      }
      const token = await new jose.SignJWT(claims)
        .setProtectedHeader({ alg, kid: 'jose-key' })
        .setIssuer('iss')
        .setSubject('interop')
        .setAudience('rp')
        .setIssuedAt()
        .setNotBefore('0s')
        .setExpirationTime('1h')
        .sign(joseSignKey);
      for (const k of oidcVerifyKeys) {
        const { payload, protectedHeader } = oidckit.jwtVerify(token, k, {
          issuer: 'iss', audience: 'rp', subject: 'interop', algorithms: [alg],
        });
        assert.equal(protectedHeader.kid, 'jose-key');
        assert.equal(payload.scope, 'a b');
      }
      // A jose-made JWKS verifies too, selected by kid.
      if (!HMAC_ALGS.includes(alg)) {
        const kp2 = await joseKeyPair(alg === 'ES256' ? 'ES384' : 'ES256');
        const jwks = {
          keys: [
            { ...(await jose.exportJWK(kp2.publicKey)), kid: 'other' },
            { ...(await jose.exportJWK(await joseSignKeyPublic(joseSignKey, alg))), kid: 'jose-key', alg },
          ],
        };
        const set = oidckit.createLocalJWKSet(jwks);
        assert.equal(oidckit.jwtVerify(token, set).payload.n, 42);
      }
    });
  }
});

/** The public half of a jose private CryptoKey / KeyObject (via JWK without private members). */
async function joseSignKeyPublic(priv, alg) {
  const { d, p, q, dp, dq, qi, ...pub } = await jose.exportJWK(priv);
  return jose.importJWK(pub, alg, { extractable: true });
}

describe('jose rejects what oidckit rejects (cross-check on a bad signature)', () => {
  it('a token signed by oidckit with key A fails in both libraries with key B', async () => {
    const a = oidckit.generateKeyPair('ES256', { extractable: true });
    const b = oidckit.generateKeyPair('ES256', { extractable: true });
    const token = new oidckit.SignJWT({}).setProtectedHeader({ alg: 'ES256' }).sign(a.privateKey);
    throwsCode(() => oidckit.jwtVerify(token, b.publicKey), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
    await assert.rejects(jose.jwtVerify(token, await jose.importJWK(oidckit.exportJWK(b.publicKey), 'ES256')),
      (e) => e.code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });
  it('error codes match jose for an expired token', async () => {
    const secret = new Uint8Array(32).fill(1);
    const token = await new jose.SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(1000).sign(secret);
    const e1 = throwsCode(() => oidckit.jwtVerify(token, secret), 'ERR_JWT_EXPIRED', { claim: 'exp', reason: 'check_failed' });
    let e2;
    try { await jose.jwtVerify(token, secret); } catch (e) { e2 = e; }
    assert.equal(e1.code, e2.code);
    assert.equal(e1.claim, e2.claim);
    assert.equal(e1.reason, e2.reason);
    assert.equal(e1.name, e2.name);
  });
});

describe('claim validation failures match jose (code, claim, reason)', () => {
  const NOW = 1_700_000_000;
  const secret = new Uint8Array(32).fill(4);
  const scenarios = [
    ['expired', { exp: NOW - 10 }, {}, {}],
    ['expired within tolerance', { exp: NOW - 10 }, {}, { clockTolerance: 30 }],
    ['exp == now', { exp: NOW }, {}, {}],
    ['nbf in the future', { nbf: NOW + 10 }, {}, {}],
    ['nbf == now', { nbf: NOW }, {}, {}],
    ['too old for maxTokenAge', { iat: NOW - 100 }, {}, { maxTokenAge: 50 }],
    ['iat in the future with maxTokenAge', { iat: NOW + 100 }, {}, { maxTokenAge: 600 }],
    ['iat missing with maxTokenAge', {}, {}, { maxTokenAge: 60 }],
    ['issuer mismatch', { iss: 'a' }, {}, { issuer: 'b' }],
    ['issuer missing', {}, {}, { issuer: 'b' }],
    ['issuer list', { iss: 'a' }, {}, { issuer: ['b', 'a'] }],
    ['audience mismatch', { aud: ['x'] }, {}, { audience: 'y' }],
    ['audience missing', {}, {}, { audience: 'y' }],
    ['audience list', { aud: ['x', 'y'] }, {}, { audience: ['z', 'y'] }],
    ['subject mismatch', { sub: 's' }, {}, { subject: 't' }],
    ['required claim missing', {}, {}, { requiredClaims: ['jti'] }],
    ['exp not a number', { exp: 'x' }, {}, {}],
    ['nbf not a number', { nbf: 'x' }, {}, {}],
    ['iat not a number', { iat: 'x' }, {}, {}],
    ['typ mismatch', {}, { typ: 'JWT' }, { typ: 'at+jwt' }],
    ['typ with application/ prefix', {}, { typ: 'application/at+jwt' }, { typ: 'at+jwt' }],
    ['typ case-insensitive', {}, { typ: 'AT+JWT' }, { typ: 'at+jwt' }],
    ['several failures at once', { exp: NOW - 10, iss: 'b', aud: 'x' }, {}, { issuer: 'a', audience: 'y' }],
  ];
  for (const [name, claims, header, options] of scenarios) {
    it(name, async () => {
      const token = await new jose.SignJWT(claims).setProtectedHeader({ alg: 'HS256', ...header }).sign(secret);
      const opts = { ...options, currentDate: new Date(NOW * 1000) };
      const outcome = (err) => (err ? { code: err.code, name: err.name, claim: err.claim, reason: err.reason } : 'ok');
      let joseOut;
      try {
        await jose.jwtVerify(token, secret, opts);
        joseOut = outcome();
      } catch (err) {
        joseOut = outcome(err);
      }
      let oidcOut;
      try {
        oidckit.jwtVerify(token, secret, opts);
        oidcOut = outcome();
      } catch (err) {
        oidcOut = outcome(err);
      }
      assert.deepEqual(oidcOut, joseOut);
    });
  }
});
