// Error classes, malformed inputs and misuse: every failure is a coded Error, never a wasm trap,
// and the module keeps working afterwards.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CODE_CLASS, MISUSE, b64u, b64uJson, checkError, hmacJws, oidckit, rawJws, signDefault, throwsCode,
} from './helpers.mjs';

const { errors, jwtVerify, compactVerify, generateKeyPair, importJWK, SignJWT } = oidckit;
const SECRET = new Uint8Array(32).fill(9);
const good = () => new SignJWT({ ok: true }).setProtectedHeader({ alg: 'HS256' }).sign(SECRET);
const stillWorks = () => assert.equal(jwtVerify(good(), SECRET).payload.ok, true);

describe('errors namespace', () => {
  it('exports every class with its code; each extends JOSEError and Error', () => {
    assert.equal(typeof errors.JOSEError, 'function');
    assert.ok(errors.JOSEError.prototype instanceof Error);
    for (const [code, cls] of Object.entries(CODE_CLASS)) {
      if (cls === 'TypeError') continue;
      const C = errors[cls];
      assert.equal(typeof C, 'function', `errors.${cls}`);
      if (cls !== 'JOSEError') assert.ok(C.prototype instanceof errors.JOSEError, `${cls} extends JOSEError`);
      assert.equal(C.code, code, `${cls}.code (static)`);
    }
    for (const cls of ['JWTExpired', 'JWTClaimValidationFailed', 'JWSInvalid', 'JWTInvalid', 'JWKInvalid',
      'JWKSInvalid', 'JWKSNoMatchingKey', 'JWKSMultipleMatchingKeys', 'JWSSignatureVerificationFailed',
      'JOSEAlgNotAllowed', 'JOSENotSupported', 'KeyInvalid']) {
      assert.equal(typeof errors[cls], 'function', `errors.${cls} exported`);
    }
  });

  it('a thrown error has name, code, message, stack; claim errors carry claim/reason/payload', () => {
    const err = throwsCode(() => jwtVerify(hmacJws('HS256', { alg: 'HS256' }, { exp: 1, sub: 's' }, SECRET), SECRET),
      'ERR_JWT_EXPIRED', { claim: 'exp', reason: 'check_failed' });
    assert.ok(err instanceof errors.JWTExpired);
    assert.ok(err instanceof errors.JOSEError);
    assert.ok(err instanceof Error);
    assert.equal(err.name, 'JWTExpired');
    assert.equal(typeof err.stack, 'string');
    assert.equal(err.payload.sub, 's');
    assert.ok(!(err instanceof errors.JWTClaimValidationFailed) || errors.JWTExpired.prototype instanceof errors.JWTClaimValidationFailed);
  });
});

describe('malformed compact tokens', () => {
  const h = b64uJson({ alg: 'HS256' });
  const p = b64uJson({ sub: 'x' });
  const valid = hmacJws('HS256', { alg: 'HS256' }, { sub: 'x' }, SECRET);
  const sig = valid.split('.')[2];
  const cases = {
    empty: '',
    garbage: 'garbage',
    'one dot': `${h}.${p}`,
    '4 segments': `${valid}.${sig}`,
    '5 segments (JWE shape)': `${h}.${p}.${sig}.${sig}.${sig}`,
    '6 segments': `${valid}.a.b.c`,
    'padded base64 header': `${h}==.${p}.${sig}`,
    'padded base64 signature': `${h}.${p}.${sig}=`,
    'standard base64 alphabet': `${h}.${p}.${sig.replace(/-/g, '+').replace(/_/g, '/')}${/[-_]/.test(sig) ? '' : '+'}`,
    'whitespace inside': `${h}. ${p}.${sig}`,
    'trailing newline': `${valid}\n`,
    'empty signature': `${h}.${p}.`,
    'empty header': `.${p}.${sig}`,
    'header not JSON': `${b64u('alg:HS256')}.${p}.${sig}`,
    'header is an array': `${b64u('["HS256"]')}.${p}.${sig}`,
    'header without alg': `${b64uJson({ typ: 'JWT' })}.${p}.${sig}`,
    'alg not a string': `${b64uJson({ alg: 256 })}.${p}.${sig}`,
    'unknown alg': `${b64uJson({ alg: 'XS256' })}.${p}.${sig}`,
    'lone surrogate in header': `${b64u('{"alg":"HS256","x":"\\ud800"}')}.${p}.${sig}`,
    'invalid UTF-8 in header': `${Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]).toString('base64url')}.${p}.${sig}`,
    'non-canonical base64 trailing bits': `${h}.${p}.${sig.slice(0, -1)}${String.fromCharCode(sig.charCodeAt(sig.length - 1) ^ 1)}`,
  };
  for (const [name, token] of Object.entries(cases)) {
    it(name, () => {
      throwsCode(() => jwtVerify(token, SECRET),
        ['ERR_JWS_INVALID', 'ERR_JWT_INVALID', 'ERR_JOSE_NOT_SUPPORTED', 'ERR_JOSE_ALG_NOT_ALLOWED', 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED']);
      stillWorks();
    });
  }
  it('the specific codes for the structural cases', () => {
    for (const name of ['empty', 'garbage', 'one dot', '4 segments', '6 segments', 'padded base64 header', 'padded base64 signature', 'header not JSON', 'header is an array', 'header without alg']) {
      throwsCode(() => jwtVerify(cases[name], SECRET), ['ERR_JWS_INVALID', 'ERR_JWT_INVALID'], {});
    }
    throwsCode(() => compactVerify(cases['4 segments'], SECRET), 'ERR_JWS_INVALID');
    throwsCode(() => jwtVerify(rawJws({ alg: 'HS256' }, 'not json'), SECRET), ['ERR_JWT_INVALID', 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED']);
    throwsCode(() => jwtVerify(hmacJws('HS256', { alg: 'HS256' }, 'not json', SECRET), SECRET), 'ERR_JWT_INVALID');
    throwsCode(() => jwtVerify(hmacJws('HS256', { alg: 'HS256' }, '[1]', SECRET), SECRET), 'ERR_JWT_INVALID');
    throwsCode(() => jwtVerify(hmacJws('HS256', { alg: 'HS256' }, '"str"', SECRET), SECRET), 'ERR_JWT_INVALID');
  });

  it('a huge token (16 MiB) is refused with a coded error', () => {
    const big = `${h}.${'A'.repeat(16 * 1024 * 1024)}.${sig}`;
    throwsCode(() => jwtVerify(big, SECRET), ['ERR_JWS_INVALID', 'ERR_JWT_INVALID']);
    throwsCode(() => compactVerify(big, SECRET), ['ERR_JWS_INVALID']);
    stillWorks();
  });

  it('a large but reasonable token (64 KiB of claims) still verifies', () => {
    const t = new SignJWT({ blob: 'x'.repeat(64 * 1024) }).setProtectedHeader({ alg: 'HS256' }).sign(SECRET);
    assert.equal(jwtVerify(t, SECRET).payload.blob.length, 64 * 1024);
  });

  it('a deeply nested payload does not overflow the stack', () => {
    const deep = `${'['.repeat(100000)}${']'.repeat(100000)}`;
    const t = hmacJws('HS256', { alg: 'HS256' }, `{"a":${deep}}`, SECRET);
    throwsCode(() => jwtVerify(t, SECRET), ['ERR_JWT_INVALID', 'ERR_JWS_INVALID']);
    stillWorks();
  });
});

describe('misuse: wrong argument types and unknown options', () => {
  const t = hmacJws('HS256', { alg: 'HS256' }, { sub: 'x' }, SECRET);
  it('token not a string', () => {
    for (const bad of [undefined, null, 42, {}, [], new Uint8Array(3)]) {
      throwsCode(() => jwtVerify(bad, SECRET), [...MISUSE, 'ERR_JWS_INVALID', 'ERR_JWT_INVALID']);
    }
  });
  it('key of the wrong type', () => {
    for (const bad of [undefined, null, 42, 'secret', {}, [], () => 1]) {
      throwsCode(() => jwtVerify(t, bad), [...MISUSE, 'ERR_KEY_INVALID']);
    }
  });
  it('options of the wrong type or with unknown keys → TypeError ERR_INVALID_ARG_VALUE', () => {
    const bad = [
      'options', 42, [],
      { issuerr: 'x' },
      { algorithm: ['HS256'] },
      { audiences: 'a' },
      { issuer: 5 },
      { issuer: ['a', 5] },
      { audience: {} },
      { audience: [1] },
      { subject: 1 },
      { typ: 1 },
      { requiredClaims: 'exp' },
      { requiredClaims: [1] },
      { maxTokenAge: {} },
      { maxTokenAge: 'forever' },
      { maxTokenAge: -5 },
      { currentDate: '2020-01-01' },
      { algorithms: [1] },
      { algorithms: {} },
      { crit: 'b64' },
      { crit: { b64: 'yes' } },
    ];
    for (const opts of bad) {
      const err = throwsCode(() => jwtVerify(t, SECRET, opts), MISUSE);
      assert.ok(err instanceof TypeError);
    }
    const unknown = throwsCode(() => jwtVerify(t, SECRET, { issuerr: 'x' }), 'ERR_INVALID_ARG_VALUE');
    assert.match(unknown.message, /issuerr/, 'the message names the unknown option');
    stillWorks();
  });
  it('undefined / empty options are fine', () => {
    assert.equal(jwtVerify(t, SECRET, undefined).payload.sub, 'x');
    assert.equal(jwtVerify(t, SECRET, {}).payload.sub, 'x');
  });
  it('import/generate functions with wrong option types', () => {
    throwsCode(() => importJWK({ kty: 'oct', k: b64u(SECRET) }, 'HS256', { extractable: 1 }), MISUSE);
    throwsCode(() => importJWK({ kty: 'oct', k: b64u(SECRET) }, 'HS256', { nope: true }), MISUSE);
    throwsCode(() => importJWK({ kty: 'oct', k: b64u(SECRET) }, 5), MISUSE);
    throwsCode(() => oidckit.generateSecret('HS256', { modulusLength: 'x' }), MISUSE);
    throwsCode(() => oidckit.calculateJwkThumbprint({ kty: 'oct', k: b64u(SECRET) }, 5), MISUSE);
  });
});

describe('freed keys and the module after failures', () => {
  it('using a key after free() is a coded error, not a wasm trap', () => {
    const { publicKey, privateKey } = generateKeyPair('ES256');
    const token = signDefault('ES256', privateKey);
    publicKey.free();
    let err;
    try {
      jwtVerify(token, publicKey);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof Error, 'throws an Error');
    checkError(err, [...MISUSE, 'ERR_KEY_INVALID']);
    assert.doesNotThrow(() => publicKey.free(), 'a second free() is harmless');
    stillWorks();
  });

  it('a batch of garbage through every entry point, then a valid verify works', () => {
    // A small deterministic PRNG (xorshift32) so failures reproduce.
    let s = 0x9e3779b9;
    const rnd = () => {
      s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
      return s;
    };
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ {}"\\\u0000\u00e9\ud83d';
    const str = (n) => Array.from({ length: n }, () => alphabet[rnd() % alphabet.length]).join('');
    const ec = generateKeyPair('ES256').publicKey;
    const allowed = Object.keys(CODE_CLASS);
    const entry = [
      (x) => jwtVerify(x, SECRET),
      (x) => jwtVerify(x, ec),
      (x) => compactVerify(x, ec),
      (x) => oidckit.decodeJwt(x),
      (x) => oidckit.decodeProtectedHeader(x),
      (x) => oidckit.importSPKI(x, 'ES256'),
      (x) => oidckit.importPKCS8(x, 'ES256'),
      (x) => oidckit.importPEM(x),
      (x) => oidckit.importX509(x, 'RS256'),
      (x) => oidckit.importJWK({ kty: 'EC', crv: 'P-256', x, y: x }, 'ES256'),
      (x) => oidckit.calculateJwkThumbprint({ kty: 'oct', k: x }),
      (x) => oidckit.createLocalJWKSet({ keys: [{ kty: 'EC', crv: 'P-256', x, y: x }] })({ alg: 'ES256' }),
    ];
    let n = 0;
    for (let i = 0; i < 300; i += 1) {
      const parts = 1 + (rnd() % 5);
      const input = Array.from({ length: parts }, () => str(rnd() % 60)).join('.');
      for (const f of entry) {
        try {
          f(input);
        } catch (err) {
          assert.ok(err instanceof Error, `non-Error thrown for ${JSON.stringify(input)}`);
          assert.ok(allowed.includes(err.code), `uncoded error ${err.name}: ${err.message} for ${JSON.stringify(input)}`);
          n += 1;
        }
      }
    }
    assert.ok(n > 3000, `most garbage inputs failed (${n})`);
    stillWorks();
    assert.equal(compactVerify(new oidckit.CompactSign(new Uint8Array([7])).setProtectedHeader({ alg: 'HS256' }).sign(SECRET), SECRET).payload[0], 7);
  });
});
