// Sign → verify round trips for every algorithm, RFC example signatures, key generation.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ALGS, ASYM_ALGS, CURVE, HASH_BYTES, HMAC_ALGS, MISUSE, b64u, dec, enc, fromB64u, keyPairFor,
  nodeKeyPair, nodeVerifyCompact, oidckit, readVector, signDefault, sync, throwsCode,
} from './helpers.mjs';

const { SignJWT, CompactSign, jwtVerify, compactVerify, generateKeyPair, generateSecret, importJWK } = oidckit;

const SIG_LEN = { ES256: 64, ES384: 96, ES512: 132, EdDSA: 64, HS256: 32, HS384: 48, HS512: 64 };

describe('every algorithm: SignJWT → jwtVerify', () => {
  for (const alg of ALGS) {
    it(alg, () => {
      const { publicKey, privateKey } = keyPairFor(alg);
      const token = sync(
        new SignJWT({ sub: 'alice', n: 1, nested: { a: [1, 'x', null] } })
          .setProtectedHeader({ alg, typ: 'JWT', kid: `k-${alg}` })
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(privateKey),
        'SignJWT.sign()',
      );
      assert.equal(typeof token, 'string');
      assert.match(token, /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
      const sigLen = fromB64u(token.split('.')[2]).length;
      if (SIG_LEN[alg]) assert.equal(sigLen, SIG_LEN[alg], 'signature length');
      else assert.equal(sigLen, 256, 'RSA-2048 signature length');

      const res = sync(jwtVerify(token, publicKey), 'jwtVerify()');
      assert.deepEqual(res.protectedHeader, { alg, typ: 'JWT', kid: `k-${alg}` });
      assert.equal(res.payload.sub, 'alice');
      assert.deepEqual(res.payload.nested, { a: [1, 'x', null] });
      assert.equal(typeof res.payload.iat, 'number');
      assert.equal(res.payload.exp - res.payload.iat, 300);
      // The payload is a plain object, not a Map (serde_wasm_bindgen json_compatible).
      assert.equal(Object.getPrototypeOf(res.payload), Object.prototype);

      // Explicit allow-list containing the alg.
      jwtVerify(token, publicKey, { algorithms: [alg] });
      // Tampered signature / payload.
      const [h, p, s] = token.split('.');
      const bad = fromB64u(s);
      bad[0] ^= 1;
      throwsCode(() => jwtVerify(`${h}.${p}.${b64u(bad)}`, publicKey), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
      const p2 = b64u(JSON.stringify({ ...JSON.parse(dec.decode(fromB64u(p))), sub: 'mallory' }));
      throwsCode(() => jwtVerify(`${h}.${p2}.${s}`, publicKey), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
      // A different key of the same type.
      const other = otherKeyPair(alg);
      throwsCode(() => jwtVerify(token, other.publicKey), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
      // Allow-list without the alg.
      const notIt = alg === 'ES256' ? 'ES384' : 'ES256';
      throwsCode(() => jwtVerify(token, publicKey, { algorithms: [notIt] }), 'ERR_JOSE_ALG_NOT_ALLOWED');
    });
  }
});

/** A second key of the same kind as keyPairFor(alg), different material. */
function otherKeyPair(alg) {
  if (alg.startsWith('RS') || alg.startsWith('PS')) {
    const n = nodeKeyPair(alg, { fresh: true });
    return { publicKey: oidckit.importSPKI(n.spki, alg), privateKey: oidckit.importPKCS8(n.pkcs8, alg) };
  }
  return keyPairFor(alg);
}

describe('oidckit signatures verify under node:crypto (independent implementation)', () => {
  for (const alg of ASYM_ALGS) {
    it(alg, () => {
      const n = nodeKeyPair(alg);
      const priv = oidckit.importPKCS8(n.pkcs8, alg);
      const token = signDefault(alg, priv, { sub: 'x' });
      assert.equal(nodeVerifyCompact(alg, token, n.publicKey), true);
    });
  }
});

describe('CompactSign / compactVerify', () => {
  for (const alg of ['HS256', 'ES256', 'EdDSA', 'PS256']) {
    it(`${alg} with arbitrary binary payload`, () => {
      const { publicKey, privateKey } = keyPairFor(alg);
      const payload = new Uint8Array([0, 1, 2, 255, 254, 10, 13]);
      const jws = sync(new CompactSign(payload).setProtectedHeader({ alg, cty: 'application/octet-stream' }).sign(privateKey));
      const res = sync(compactVerify(jws, publicKey));
      assert.ok(res.payload instanceof Uint8Array, 'payload is a Uint8Array');
      assert.deepEqual([...res.payload], [...payload]);
      assert.equal(res.protectedHeader.alg, alg);
      assert.equal(res.protectedHeader.cty, 'application/octet-stream');
    });
  }
  it('a non-JSON payload is fine for compactVerify but not for jwtVerify', () => {
    const key = generateSecret('HS256');
    const jws = new CompactSign(enc.encode('foo')).setProtectedHeader({ alg: 'HS256' }).sign(key);
    assert.equal(dec.decode(compactVerify(jws, key).payload), 'foo');
    throwsCode(() => jwtVerify(jws, key), 'ERR_JWT_INVALID');
  });
  it('CompactSign requires a Uint8Array payload', () => {
    throwsCode(() => new CompactSign('text').setProtectedHeader({ alg: 'HS256' }).sign(generateSecret('HS256')), MISUSE);
  });
});

describe('RFC example signatures', () => {
  const a = readVector('rfc/rfc7515_appendix_a.json').examples;
  const find = (s) => a.find((e) => e.section === `RFC 7515 Appendix ${s}`);

  it('RFC 7515 A.1 HS256 verifies; a flipped bit does not', () => {
    const e = find('A.1');
    const key = importJWK(e.jwk, 'HS256');
    const res = compactVerify(e.compact, key);
    assert.equal(dec.decode(res.payload), e.payload_utf8);
    assert.equal(res.protectedHeader.typ, 'JWT');
    const bad = e.compact.slice(0, -1) + (e.compact.endsWith('A') ? 'B' : 'A');
    throwsCode(() => compactVerify(bad, key), ['ERR_JWS_SIGNATURE_VERIFICATION_FAILED', 'ERR_JWS_INVALID']);
  });

  it('RFC 7515 A.2 RS256 is reproduced byte for byte (deterministic)', () => {
    const e = find('A.2');
    const priv = importJWK(e.jwk, 'RS256');
    const jws = new CompactSign(new Uint8Array(e.payload_octets)).setProtectedHeader({ alg: 'RS256' }).sign(priv);
    assert.equal(jws, e.compact);
    const { d, p, q, dp, dq, qi, ...pub } = e.jwk;
    assert.equal(dec.decode(compactVerify(e.compact, importJWK(pub, 'RS256')).payload), e.payload_utf8);
    // As a JWT it is expired (exp 1300819380) unless currentDate is before it.
    throwsCode(() => jwtVerify(e.compact, importJWK(pub, 'RS256')), 'ERR_JWT_EXPIRED', { claim: 'exp' });
    const r = jwtVerify(e.compact, importJWK(pub, 'RS256'), { currentDate: new Date(1300819000 * 1000), issuer: 'joe' });
    assert.equal(r.payload['http://example.com/is_root'], true);
  });

  for (const s of ['A.3', 'A.4']) {
    it(`RFC 7515 ${s} ${find(s).alg} verifies with the public key`, () => {
      const e = find(s);
      const { d, ...pub } = e.jwk;
      const res = compactVerify(e.compact, importJWK(pub, e.alg));
      assert.equal(dec.decode(res.payload), e.payload_utf8);
    });
  }

  it('RFC 8037 A.4 Ed25519 is reproduced byte for byte and A.5 verifies', () => {
    const v = readVector('rfc/rfc8037_appendix_a.json').examples;
    const a1 = v.find((e) => e.section.endsWith('A.1'));
    const a2 = v.find((e) => e.section.endsWith('A.2'));
    const a4 = v.find((e) => e.section.endsWith('A.4'));
    const jws = new CompactSign(enc.encode(a4.payload_utf8)).setProtectedHeader({ alg: 'EdDSA' }).sign(importJWK(a1.jwk, 'EdDSA'));
    assert.equal(jws, a4.compact);
    assert.equal(dec.decode(compactVerify(a4.compact, importJWK(a2.jwk, 'EdDSA')).payload), a4.payload_utf8);
  });
});

describe('generateKeyPair / generateSecret', () => {
  for (const alg of ['ES256', 'ES384', 'ES512', 'EdDSA']) {
    it(`${alg} key pair properties`, () => {
      const { publicKey, privateKey } = sync(generateKeyPair(alg, { extractable: true }));
      assert.equal(publicKey.type, 'public');
      assert.equal(privateKey.type, 'private');
      assert.equal(privateKey.extractable, true);
      assert.equal(publicKey.kty, alg === 'EdDSA' ? 'OKP' : 'EC');
      assert.equal(publicKey.crv, alg === 'EdDSA' ? 'Ed25519' : CURVE[alg]);
      const jwk = oidckit.exportJWK(privateKey);
      assert.equal(typeof jwk.d, 'string');
      const pub = oidckit.exportJWK(publicKey);
      assert.equal(pub.d, undefined);
      assert.equal(pub.x, jwk.x);
    });
  }

  it('RS256 key pair (modulusLength 2048) signs and verifies', { timeout: 120_000 }, () => {
    const { publicKey, privateKey } = generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
    assert.equal(publicKey.kty, 'RSA');
    assert.equal(publicKey.crv, undefined);
    const n = fromB64u(oidckit.exportJWK(publicKey).n);
    assert.equal(n.length, 256);
    const token = signDefault('RS256', privateKey);
    assert.equal(jwtVerify(token, publicKey).payload.sub, 'alice');
    // Also verifies in node:crypto via the exported SPKI.
    assert.equal(nodeVerifyCompact('RS256', token, oidckit.exportSPKI(publicKey)), true);
  });

  it('RSA modulusLength below 2048 is refused', () => {
    throwsCode(() => generateKeyPair('RS256', { modulusLength: 1024 }), [...MISUSE, 'ERR_KEY_INVALID', 'ERR_JOSE_NOT_SUPPORTED']);
  });

  for (const alg of HMAC_ALGS) {
    it(`generateSecret(${alg}) has the hash length and works`, () => {
      const key = generateSecret(alg, { extractable: true });
      assert.equal(key.type, 'secret');
      assert.equal(key.kty, 'oct');
      const jwk = oidckit.exportJWK(key);
      assert.equal(fromB64u(jwk.k).length, HASH_BYTES[alg.slice(2)]);
      assert.equal(jwtVerify(signDefault(alg, key), key).payload.sub, 'alice');
      // Two secrets differ.
      assert.notEqual(oidckit.exportJWK(generateSecret(alg, { extractable: true })).k, jwk.k);
    });
  }

  it('non-extractable private keys and secrets never export private material', () => {
    for (const k of [generateKeyPair('ES256', { extractable: false }).privateKey, generateSecret('HS256', { extractable: false })]) {
      let jwk;
      try {
        jwk = oidckit.exportJWK(k);
      } catch (err) {
        assert.ok(err instanceof Error && typeof err.code === 'string', 'a coded error');
        continue;
      }
      assert.equal(jwk.d, undefined, 'no d');
      assert.equal(jwk.k, undefined, 'no k');
    }
  });

  it('unsupported or wrong algorithms are refused with a coded error', () => {
    for (const alg of ['none', 'ES256K', 'RS1', 'HS1', 'Ed25519x', '']) {
      throwsCode(() => generateKeyPair(alg), ['ERR_JOSE_NOT_SUPPORTED', ...MISUSE]);
    }
    throwsCode(() => generateSecret('RS256'), ['ERR_JOSE_NOT_SUPPORTED', ...MISUSE]);
    throwsCode(() => generateKeyPair('HS256'), ['ERR_JOSE_NOT_SUPPORTED', ...MISUSE]);
    throwsCode(() => generateKeyPair('ES256', { extractable: 'yes' }), MISUSE);
    throwsCode(() => generateKeyPair('ES256', { bogus: true }), MISUSE);
  });
});

describe('KeyObject', () => {
  it('exposes read-only properties and free()', () => {
    const k = importJWK({ kty: 'EC', crv: 'P-256', ...oidckit.exportJWK(generateKeyPair('ES256').publicKey), kid: 'abc' }, 'ES256');
    assert.ok(k instanceof oidckit.KeyObject, 'instance of exported KeyObject');
    assert.equal(k.kid, 'abc');
    assert.equal(k.alg, 'ES256');
    assert.equal(k.type, 'public');
    assert.throws(() => {
      k.type = 'private'; // ES modules are strict: writing a getter-only property throws
    }, TypeError);
    assert.equal(k.type, 'public');
    assert.equal(typeof k.free, 'function');
    k.free();
  });

  it('a Uint8Array is accepted as an HMAC secret (as in jose)', () => {
    const secret = new Uint8Array(32).fill(7);
    const token = signDefault('HS256', secret);
    assert.equal(jwtVerify(token, secret).payload.sub, 'alice');
    assert.equal(jwtVerify(token, importJWK({ kty: 'oct', k: b64u(secret) }, 'HS256')).payload.sub, 'alice');
  });

  it('awaiting the synchronous API works (jose code ports unchanged)', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const token = await new SignJWT({ a: 1 }).setProtectedHeader({ alg: 'ES256' }).sign(privateKey);
    const { payload } = await jwtVerify(token, publicKey);
    assert.equal(payload.a, 1);
  });
});
