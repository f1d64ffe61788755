// createLocalJWKSet: key selection by kid / alg / use, no match, multiple matches.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MISUSE, b64u, nodeKeyPair, oidckit, rawJws, readVector, signDefault, throwsCode } from './helpers.mjs';

const { createLocalJWKSet, generateKeyPair, exportJWK, jwtVerify, compactVerify, KeyObject } = oidckit;

function pair(alg, kid) {
  const kp = generateKeyPair(alg, { extractable: true });
  const jwk = { ...exportJWK(kp.publicKey), ...(kid === undefined ? {} : { kid }) };
  return { ...kp, jwk };
}

describe('createLocalJWKSet', () => {
  const a = pair('ES256', 'a');
  const b = pair('ES256', 'b');
  const r = (() => {
    const n = nodeKeyPair('RS256');
    return {
      privateKey: oidckit.importPKCS8(n.pkcs8, 'RS256'),
      jwk: { ...n.publicJwk, kid: 'r', alg: 'RS256', use: 'sig' },
    };
  })();
  const e = pair('EdDSA', 'e');
  const jwks = createLocalJWKSet({ keys: [a.jwk, b.jwk, r.jwk, e.jwk] });

  it('returns a function that selects by kid when called directly', () => {
    assert.equal(typeof jwks, 'function');
    const k = jwks({ alg: 'ES256', kid: 'b' });
    assert.ok(k instanceof KeyObject);
    assert.equal(k.kid, 'b');
    assert.equal(exportJWK(k).x, b.jwk.x);
    assert.equal(jwks({ alg: 'RS256', kid: 'r' }).kty, 'RSA');
    assert.equal(jwks({ alg: 'EdDSA' }).kid, 'e', 'only one OKP key: no kid needed');
  });

  it('jwtVerify with the set picks the key by kid', () => {
    for (const [alg, kp, kid] of [['ES256', a, 'a'], ['ES256', b, 'b'], ['RS256', r, 'r'], ['EdDSA', e, 'e']]) {
      const token = signDefault(alg, kp.privateKey, { who: kid }, { kid });
      const res = jwtVerify(token, jwks);
      assert.equal(res.payload.who, kid);
      assert.ok(res.key instanceof KeyObject, 'the result names the key that verified');
      assert.equal(res.key.kid, kid);
    }
    // compactVerify too.
    const jws = new oidckit.CompactSign(new Uint8Array([1, 2, 3])).setProtectedHeader({ alg: 'ES256', kid: 'a' }).sign(a.privateKey);
    assert.deepEqual([...compactVerify(jws, jwks).payload], [1, 2, 3]);
  });

  it('a token whose kid points at the wrong key fails its signature', () => {
    const token = signDefault('ES256', a.privateKey, {}, { kid: 'b' });
    throwsCode(() => jwtVerify(token, jwks), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });

  it('no matching key → ERR_JWKS_NO_MATCHING_KEY (direct call and via jwtVerify)', () => {
    throwsCode(() => jwks({ alg: 'ES256', kid: 'zzz' }), 'ERR_JWKS_NO_MATCHING_KEY');
    throwsCode(() => jwks({ alg: 'ES384' }), 'ERR_JWKS_NO_MATCHING_KEY');
    throwsCode(() => jwks({ alg: 'PS256', kid: 'r' }), 'ERR_JWKS_NO_MATCHING_KEY', {}); // JWK alg RS256 binds the key
    throwsCode(() => jwks({ alg: 'HS256', kid: 'a' }), ['ERR_JWKS_NO_MATCHING_KEY', 'ERR_JOSE_NOT_SUPPORTED']);
    const token = signDefault('ES256', a.privateKey, {}, { kid: 'nope' });
    throwsCode(() => jwtVerify(token, jwks), 'ERR_JWKS_NO_MATCHING_KEY');
    // An alg no key of the set supports: jose says JWKSNoMatchingKey; oidckit derives the default
    // allow-list from the set, so JOSEAlgNotAllowed is also a correct refusal.
    const c = pair('ES384', 'c');
    throwsCode(() => jwtVerify(signDefault('ES384', c.privateKey, {}, { kid: 'c' }), jwks),
      ['ERR_JWKS_NO_MATCHING_KEY', 'ERR_JOSE_ALG_NOT_ALLOWED']);
    throwsCode(() => jwtVerify(signDefault('ES384', c.privateKey, {}, { kid: 'c' }), jwks, { algorithms: ['ES384'] }),
      'ERR_JWKS_NO_MATCHING_KEY');
  });

  it('several matches: a direct call throws ERR_JWKS_MULTIPLE_MATCHING_KEYS, jwtVerify tries each', () => {
    throwsCode(() => jwks({ alg: 'ES256' }), 'ERR_JWKS_MULTIPLE_MATCHING_KEYS');
    const tokenA = signDefault('ES256', a.privateKey, { k: 'a' });
    const tokenB = signDefault('ES256', b.privateKey, { k: 'b' });
    assert.equal(jwtVerify(tokenA, jwks).payload.k, 'a');
    assert.equal(jwtVerify(tokenB, jwks).payload.k, 'b');
    const stranger = pair('ES256');
    throwsCode(() => jwtVerify(signDefault('ES256', stranger.privateKey), jwks), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
    // Same kid on two keys.
    const dup = createLocalJWKSet({ keys: [{ ...a.jwk, kid: 'same' }, { ...b.jwk, kid: 'same' }] });
    throwsCode(() => dup({ alg: 'ES256', kid: 'same' }), 'ERR_JWKS_MULTIPLE_MATCHING_KEYS');
    assert.equal(jwtVerify(signDefault('ES256', b.privateKey, { k: 'b' }, { kid: 'same' }), dup).payload.k, 'b');
  });

  it('keys marked for encryption (use/key_ops) are not used for signatures', () => {
    const set = createLocalJWKSet({
      keys: [{ ...a.jwk, use: 'enc' }, { ...b.jwk, key_ops: ['encrypt'] }],
    });
    throwsCode(() => set({ alg: 'ES256', kid: 'a' }), 'ERR_JWKS_NO_MATCHING_KEY');
    throwsCode(() => set({ alg: 'ES256', kid: 'b' }), 'ERR_JWKS_NO_MATCHING_KEY');
    throwsCode(() => jwtVerify(signDefault('ES256', a.privateKey, {}, { kid: 'a' }), set), 'ERR_JWKS_NO_MATCHING_KEY');
  });

  it('RFC 7517 A.1 public key set', () => {
    const a1 = readVector('rfc/rfc7517_appendix_a_b_c.json').examples.find((x) => x.section.endsWith('A.1'));
    const set = createLocalJWKSet(a1.jwk_set);
    assert.equal(set({ alg: 'RS256', kid: '2011-04-29' }).kty, 'RSA');
    throwsCode(() => set({ alg: 'ES256', kid: '1' }), 'ERR_JWKS_NO_MATCHING_KEY'); // use: enc
  });

  it('kid values are opaque: injection strings, non-string kid', () => {
    for (const kid of ['../../etc/passwd', "' OR 1=1 --", 'a'.repeat(4096), '', '\u0000']) {
      const token = signDefault('ES256', a.privateKey, {}, { kid });
      throwsCode(() => jwtVerify(token, jwks), ['ERR_JWKS_NO_MATCHING_KEY', 'ERR_JWS_INVALID']);
    }
    for (const kid of [5, null, ['a'], { a: 1 }]) {
      const forged = rawJws({ alg: 'ES256', kid }, {}, b64u(new Uint8Array(64)));
      throwsCode(() => jwtVerify(forged, jwks), ['ERR_JWS_INVALID', 'ERR_JWKS_NO_MATCHING_KEY']);
    }
  });

  it('malformed JWK Sets → ERR_JWKS_INVALID (or a TypeError)', () => {
    for (const bad of [{}, { keys: 'x' }, { keys: {} }, { keys: [5] }, null, 'keys', []]) {
      throwsCode(() => createLocalJWKSet(bad), ['ERR_JWKS_INVALID', ...MISUSE]);
    }
  });

  it('HMAC algorithms are not served by a JWK Set (as in jose), whether called directly or via verify', () => {
    const secret = new Uint8Array(32).fill(8);
    const set = createLocalJWKSet({ keys: [{ kty: 'oct', k: b64u(secret), kid: 'sym' }, a.jwk] });
    const token = signDefault('HS256', secret, {}, { kid: 'sym' });
    throwsCode(() => jwtVerify(token, set), ['ERR_JOSE_ALG_NOT_ALLOWED', 'ERR_JOSE_NOT_SUPPORTED']);
    throwsCode(() => jwtVerify(token, set, { algorithms: ['HS256'] }), ['ERR_JOSE_NOT_SUPPORTED', 'ERR_JOSE_ALG_NOT_ALLOWED']);
    // jose's createLocalJWKSet throws JOSENotSupported here; returning the secret would hand out a
    // key that verification through the same set refuses.
    throwsCode(() => set({ alg: 'HS256', kid: 'sym' }), ['ERR_JOSE_NOT_SUPPORTED', 'ERR_JWKS_NO_MATCHING_KEY']);
  });

  it('a jose-style getKey function (sync or async) is called with the protected header', async () => {
    const token = signDefault('ES256', a.privateKey, { g: 1 }, { kid: 'a' });
    const seen = [];
    const syncGet = (header, tok) => {
      seen.push([header.kid, typeof tok?.signature]);
      return a.publicKey;
    };
    const r1 = jwtVerify(token, syncGet);
    assert.ok(!(r1 instanceof Promise), 'a synchronous getKey gives a synchronous result');
    assert.equal(r1.payload.g, 1);
    assert.equal(r1.key, a.publicKey);
    assert.deepEqual(seen, [['a', 'string']]);
    const r2 = await jwtVerify(token, async () => a.publicKey);
    assert.equal(r2.payload.g, 1);
    await assert.rejects(Promise.resolve().then(() => jwtVerify(token, async () => b.publicKey)),
      (err) => err.code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
    const boom = new Error('lookup failed');
    assert.throws(() => jwtVerify(token, () => { throw boom; }), (err) => err === boom);
  });

  it('an empty set matches nothing', () => {
    const empty = createLocalJWKSet({ keys: [] });
    throwsCode(() => empty({ alg: 'ES256' }), 'ERR_JWKS_NO_MATCHING_KEY');
  });
});
