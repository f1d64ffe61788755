// SignJWT builder, jwtVerify claim options (each with a passing and a failing case), claim types,
// decodeJwt / decodeProtectedHeader.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MISUSE, b64u, b64uJson, hmacJws, nowSec, oidckit, rawJws, sync, throwsCode } from './helpers.mjs';

const { SignJWT, jwtVerify, decodeJwt, decodeProtectedHeader, generateKeyPair } = oidckit;

const SECRET = new Uint8Array(32).map((_, i) => i + 1);
const NOW = 1_700_000_000;
const at = (sec) => new Date(sec * 1000);

/** An HS256 JWT made by hand (so claims can have any JSON type) with the fixed SECRET. */
const mk = (claims, header = { alg: 'HS256' }) => hmacJws('HS256', header, claims, SECRET);
const verify = (token, opts = {}) => jwtVerify(token, SECRET, { currentDate: at(NOW), ...opts });
const FAIL = 'ERR_JWT_CLAIM_VALIDATION_FAILED';

describe('SignJWT builder', () => {
  it('sets every registered claim', () => {
    const token = new SignJWT({ custom: 'v' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer('https://issuer.example')
      .setSubject('user-1')
      .setAudience(['a', 'b'])
      .setJti('id-1')
      .setNotBefore(NOW - 10)
      .setIssuedAt(NOW - 20)
      .setExpirationTime(NOW + 30)
      .sign(SECRET);
    assert.deepEqual(decodeJwt(token), {
      custom: 'v', iss: 'https://issuer.example', sub: 'user-1', aud: ['a', 'b'], jti: 'id-1',
      nbf: NOW - 10, iat: NOW - 20, exp: NOW + 30,
    });
    assert.deepEqual(decodeProtectedHeader(token), { alg: 'HS256', typ: 'JWT' });
    const res = verify(token, { issuer: 'https://issuer.example', audience: 'b', subject: 'user-1', typ: 'JWT' });
    assert.equal(res.payload.custom, 'v');
  });

  it('setAudience with a single string keeps a string', () => {
    const t = new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setAudience('only').sign(SECRET);
    assert.equal(decodeJwt(t).aud, 'only');
  });

  it('relative times: 2h, 30m, 15 minutes, -1h, and setIssuedAt() = now', () => {
    const before = nowSec();
    const t = new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .setExpirationTime('2h')
      .setNotBefore('30m')
      .sign(SECRET);
    const after = nowSec();
    const p = decodeJwt(t);
    assert.ok(p.iat >= before && p.iat <= after, `iat ${p.iat} within [${before}, ${after}]`);
    assert.ok(p.exp >= before + 7200 && p.exp <= after + 7200, 'exp = now + 2h');
    assert.ok(p.nbf >= before + 1800 && p.nbf <= after + 1800, 'nbf = now + 30m');
    for (const [input, delta] of [['15 minutes', 900], ['-1h', -3600], ['1 day', 86400], ['10s', 10], ['1h ago', -3600]]) {
      const b = nowSec();
      const e = decodeJwt(new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(input).sign(SECRET)).exp;
      const a = nowSec();
      assert.ok(e >= b + delta && e <= a + delta, `${input}: exp ${e} vs now ${b}+${delta}`);
    }
    const iatRel = decodeJwt(new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setIssuedAt('-1h').sign(SECRET)).iat;
    assert.ok(Math.abs(iatRel - (nowSec() - 3600)) <= 2, 'setIssuedAt("-1h")');
  });

  it('numbers are absolute NumericDate seconds; Dates are floored to seconds', () => {
    const p = decodeJwt(new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime(at(NOW + 1.999))
      .setNotBefore(at(NOW))
      .setIssuedAt(NOW)
      .sign(SECRET));
    assert.equal(p.exp, NOW + 1);
    assert.equal(p.nbf, NOW);
    assert.equal(p.iat, NOW);
  });

  it('invalid inputs are TypeErrors with a code', () => {
    const b = () => new SignJWT({}).setProtectedHeader({ alg: 'HS256' });
    throwsCode(() => b().setExpirationTime('soon').sign(SECRET), MISUSE);
    throwsCode(() => b().setExpirationTime('5 fortnights').sign(SECRET), MISUSE);
    throwsCode(() => b().setExpirationTime(Number.NaN).sign(SECRET), MISUSE);
    throwsCode(() => b().setExpirationTime(Number.POSITIVE_INFINITY).sign(SECRET), MISUSE);
    throwsCode(() => b().setNotBefore({}).sign(SECRET), MISUSE);
    throwsCode(() => b().setIssuer(5).sign(SECRET), MISUSE);
    throwsCode(() => b().setAudience([1, 2]).sign(SECRET), MISUSE);
    throwsCode(() => new SignJWT([1, 2]).setProtectedHeader({ alg: 'HS256' }).sign(SECRET), MISUSE);
    throwsCode(() => new SignJWT('str').setProtectedHeader({ alg: 'HS256' }).sign(SECRET), MISUSE);
    throwsCode(() => new SignJWT({}).sign(SECRET), [...MISUSE, 'ERR_JWS_INVALID']);
    throwsCode(() => new SignJWT({}).setProtectedHeader({}).sign(SECRET), [...MISUSE, 'ERR_JWS_INVALID']);
  });

  it('refuses alg none, b64:false in a JWT, and a key of the wrong kind', () => {
    throwsCode(() => new SignJWT({}).setProtectedHeader({ alg: 'none' }).sign(SECRET),
      ['ERR_JOSE_NOT_SUPPORTED', 'ERR_JOSE_ALG_NOT_ALLOWED', ...MISUSE]);
    throwsCode(() => new SignJWT({}).setProtectedHeader({ alg: 'HS256', b64: false, crit: ['b64'] }).sign(SECRET),
      ['ERR_JWT_INVALID', 'ERR_JWS_INVALID', 'ERR_JOSE_NOT_SUPPORTED', ...MISUSE]);
    const { publicKey, privateKey } = generateKeyPair('ES256');
    throwsCode(() => new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).sign(privateKey),
      ['ERR_KEY_INVALID', 'ERR_JOSE_ALG_NOT_ALLOWED', ...MISUSE]);
    throwsCode(() => new SignJWT({}).setProtectedHeader({ alg: 'ES384' }).sign(privateKey),
      ['ERR_KEY_INVALID', 'ERR_JOSE_ALG_NOT_ALLOWED', ...MISUSE]);
    throwsCode(() => new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).sign(publicKey),
      ['ERR_KEY_INVALID', ...MISUSE]);
  });
});

describe('jwtVerify claim options', () => {
  it('issuer: string, list; mismatch; missing', () => {
    const t = mk({ iss: 'https://a' });
    assert.equal(verify(t, { issuer: 'https://a' }).payload.iss, 'https://a');
    verify(t, { issuer: ['https://x', 'https://a'] });
    throwsCode(() => verify(t, { issuer: 'https://b' }), FAIL, { claim: 'iss', reason: 'check_failed' });
    throwsCode(() => verify(t, { issuer: ['https://b', 'https://c'] }), FAIL, { claim: 'iss', reason: 'check_failed' });
    throwsCode(() => verify(mk({}), { issuer: 'https://a' }), FAIL, { claim: 'iss', reason: 'missing' });
    // Exact match: no trailing-slash or case folding.
    throwsCode(() => verify(t, { issuer: 'https://a/' }), FAIL, { claim: 'iss' });
    throwsCode(() => verify(t, { issuer: 'HTTPS://A' }), FAIL, { claim: 'iss' });
  });

  it('audience: string vs array on both sides; mismatch; missing', () => {
    verify(mk({ aud: 'rp' }), { audience: 'rp' });
    verify(mk({ aud: ['x', 'rp'] }), { audience: 'rp' });
    verify(mk({ aud: 'rp' }), { audience: ['y', 'rp'] });
    verify(mk({ aud: ['x', 'rp'] }), { audience: ['rp', 'z'] });
    throwsCode(() => verify(mk({ aud: 'rp' }), { audience: 'other' }), FAIL, { claim: 'aud', reason: 'check_failed' });
    throwsCode(() => verify(mk({ aud: ['a', 'b'] }), { audience: ['c', 'd'] }), FAIL, { claim: 'aud', reason: 'check_failed' });
    throwsCode(() => verify(mk({}), { audience: 'rp' }), FAIL, { claim: 'aud', reason: 'missing' });
    throwsCode(() => verify(mk({ aud: [] }), { audience: 'rp' }), FAIL, { claim: 'aud' });
  });

  it('subject', () => {
    verify(mk({ sub: 's1' }), { subject: 's1' });
    throwsCode(() => verify(mk({ sub: 's1' }), { subject: 's2' }), FAIL, { claim: 'sub', reason: 'check_failed' });
    throwsCode(() => verify(mk({}), { subject: 's1' }), FAIL, { claim: 'sub', reason: 'missing' });
  });

  it('typ (header)', () => {
    const t = mk({}, { alg: 'HS256', typ: 'at+jwt' });
    assert.equal(verify(t, { typ: 'at+jwt' }).protectedHeader.typ, 'at+jwt');
    throwsCode(() => verify(t, { typ: 'JWT' }), FAIL, { claim: 'typ', reason: 'check_failed' });
    throwsCode(() => verify(mk({}), { typ: 'at+jwt' }), FAIL, { claim: 'typ' });
  });

  it('exp and clockTolerance (number and string)', () => {
    const t = mk({ exp: NOW - 10 });
    throwsCode(() => verify(t), 'ERR_JWT_EXPIRED', { claim: 'exp', reason: 'check_failed' });
    throwsCode(() => verify(t, { clockTolerance: 5 }), 'ERR_JWT_EXPIRED', { claim: 'exp', reason: 'check_failed' });
    verify(t, { clockTolerance: 30 });
    verify(t, { clockTolerance: '30s' });
    verify(t, { clockTolerance: '1m' });
    throwsCode(() => verify(t, { clockTolerance: '5s' }), 'ERR_JWT_EXPIRED', { claim: 'exp' });
    // exp equal to now is expired (RFC 7519 §4.1.4: now must be before exp).
    throwsCode(() => verify(mk({ exp: NOW })), 'ERR_JWT_EXPIRED', { claim: 'exp' });
    verify(mk({ exp: NOW + 1 }));
    // The expired error carries the payload.
    const err = throwsCode(() => verify(mk({ exp: NOW - 1, sub: 'who' })), 'ERR_JWT_EXPIRED');
    assert.equal(err.payload?.sub, 'who');
  });

  it('nbf and clockTolerance', () => {
    const t = mk({ nbf: NOW + 10 });
    throwsCode(() => verify(t), FAIL, { claim: 'nbf', reason: 'check_failed' });
    verify(t, { clockTolerance: 10 });
    verify(mk({ nbf: NOW }));
  });

  it('clockTolerance is bounded (max 600 s) and typed', () => {
    const t = mk({});
    verify(t, { clockTolerance: 600 });
    throwsCode(() => verify(t, { clockTolerance: 601 }), MISUSE);
    throwsCode(() => verify(t, { clockTolerance: '11m' }), MISUSE);
    throwsCode(() => verify(t, { clockTolerance: -1 }), MISUSE);
    throwsCode(() => verify(t, { clockTolerance: 'lots' }), MISUSE);
    throwsCode(() => verify(t, { clockTolerance: true }), MISUSE);
  });

  it('maxTokenAge (number and string): iat checked, missing iat refused', () => {
    const t = mk({ iat: NOW - 100 });
    verify(t, { maxTokenAge: 200 });
    verify(t, { maxTokenAge: '2m' });
    // As in jose: a token older than maxTokenAge is JWTExpired on the `iat` claim.
    throwsCode(() => verify(t, { maxTokenAge: 50 }), 'ERR_JWT_EXPIRED', { claim: 'iat', reason: 'check_failed' });
    throwsCode(() => verify(t, { maxTokenAge: '1m' }), 'ERR_JWT_EXPIRED', { claim: 'iat', reason: 'check_failed' });
    throwsCode(() => verify(mk({}), { maxTokenAge: 60 }), FAIL, { claim: 'iat', reason: 'missing' });
    throwsCode(() => verify(mk({ iat: NOW + 100 }), { maxTokenAge: 600 }), FAIL, { claim: 'iat' });
    verify(t, { maxTokenAge: 90, clockTolerance: 20 });
  });

  it('requiredClaims', () => {
    verify(mk({ jti: 'x', nonce: 'n' }), { requiredClaims: ['jti', 'nonce'] });
    throwsCode(() => verify(mk({ jti: 'x' }), { requiredClaims: ['jti', 'nonce'] }), FAIL, { claim: 'nonce', reason: 'missing' });
    throwsCode(() => verify(mk({}), { requiredClaims: ['exp'] }), FAIL, { claim: 'exp', reason: 'missing' });
  });

  it('currentDate replaces the clock; without it the real clock is used', () => {
    const t = mk({ exp: NOW + 60, nbf: NOW - 60 });
    verify(t, { currentDate: at(NOW) });
    throwsCode(() => verify(t, { currentDate: at(NOW + 61) }), 'ERR_JWT_EXPIRED', { claim: 'exp' });
    throwsCode(() => verify(t, { currentDate: at(NOW - 61) }), FAIL, { claim: 'nbf' });
    // NOW (2023) + 60 s is in the past for the real clock.
    throwsCode(() => jwtVerify(t, SECRET), 'ERR_JWT_EXPIRED', { claim: 'exp' });
    throwsCode(() => verify(t, { currentDate: NOW }), MISUSE);
    throwsCode(() => verify(t, { currentDate: new Date(Number.NaN) }), MISUSE);
  });

  it('empty allow-lists fail closed (never "no check")', () => {
    const t = mk({ iss: 'a', aud: 'x' });
    throwsCode(() => verify(t, { algorithms: [] }), ['ERR_JOSE_ALG_NOT_ALLOWED', ...MISUSE]);
    throwsCode(() => verify(t, { issuer: [] }), [FAIL, ...MISUSE]);
    throwsCode(() => verify(t, { audience: [] }), [FAIL, ...MISUSE]);
    throwsCode(() => verify(t, { issuer: '' }), FAIL, { claim: 'iss' });
    throwsCode(() => verify(t, { audience: '' }), FAIL, { claim: 'aud' });
  });

  it('algorithms allow-list', () => {
    const t = mk({});
    verify(t, { algorithms: ['HS256'] });
    throwsCode(() => verify(t, { algorithms: ['HS384', 'HS512'] }), 'ERR_JOSE_ALG_NOT_ALLOWED');
    throwsCode(() => verify(t, { algorithms: 'HS256' }), MISUSE);
    throwsCode(() => verify(t, { algorithms: ['none'] }), [...MISUSE, 'ERR_JOSE_NOT_SUPPORTED', 'ERR_JOSE_ALG_NOT_ALLOWED']);
  });

  it('crit: unknown extensions rejected, recognised ones accepted', () => {
    const t = mk({}, { alg: 'HS256', crit: ['urn:x'], 'urn:x': 1 });
    throwsCode(() => verify(t), ['ERR_JWS_INVALID', 'ERR_JOSE_NOT_SUPPORTED']);
    verify(t, { crit: { 'urn:x': true } });
    // crit naming a parameter that is absent, empty crit, non-array crit, registered names.
    throwsCode(() => verify(mk({}, { alg: 'HS256', crit: ['urn:x'] }), { crit: { 'urn:x': true } }), ['ERR_JWS_INVALID']);
    throwsCode(() => verify(mk({}, { alg: 'HS256', crit: [] })), ['ERR_JWS_INVALID']);
    throwsCode(() => verify(mk({}, { alg: 'HS256', crit: 'urn:x', 'urn:x': 1 })), ['ERR_JWS_INVALID']);
    throwsCode(() => verify(mk({}, { alg: 'HS256', crit: ['alg'] })), ['ERR_JWS_INVALID']);
    throwsCode(() => verify(t, { crit: ['urn:x'] }), MISUSE);
  });

  it('b64:false is refused in a JWT', () => {
    const h = { alg: 'HS256', b64: false, crit: ['b64'] };
    throwsCode(() => verify(mk({}, h)), ['ERR_JWT_INVALID', 'ERR_JWS_INVALID', 'ERR_JOSE_NOT_SUPPORTED']);
  });
});

describe('registered claims of the wrong JSON type are errors, not ignored', () => {
  const cases = [
    ['exp', 'never'], ['exp', true], ['exp', null], ['exp', [1]], ['exp', { v: 1 }], ['exp', '1700000100'],
    ['nbf', '0'], ['nbf', false], ['nbf', null],
    ['iat', 'x'], ['iat', []], ['iat', null],
  ];
  for (const [claim, value] of cases) {
    it(`${claim}: ${JSON.stringify(value)}`, () => {
      throwsCode(() => verify(mk({ [claim]: value })), FAIL, { claim, reason: 'invalid' });
    });
  }
  it('iss / sub / aud of the wrong type when checked', () => {
    throwsCode(() => verify(mk({ iss: 5 }), { issuer: '5' }), FAIL, { claim: 'iss' });
    throwsCode(() => verify(mk({ sub: 5 }), { subject: '5' }), FAIL, { claim: 'sub' });
    throwsCode(() => verify(mk({ aud: 1 }), { audience: '1' }), FAIL, { claim: 'aud' });
    throwsCode(() => verify(mk({ aud: ['rp', 1] }), { audience: 'rp' }), FAIL, { claim: 'aud' });
  });
  it('a number too large for a double (1e400) is refused', () => {
    const h = b64uJson({ alg: 'HS256' });
    const p = b64u('{"exp":1e400}');
    const t = hmacJws('HS256', { alg: 'HS256' }, '{"exp":1e400}', SECRET);
    assert.equal(t.split('.')[0], h);
    assert.equal(t.split('.')[1], p);
    throwsCode(() => verify(t), [FAIL, 'ERR_JWT_INVALID']);
  });
  it('negative exp is expired', () => {
    throwsCode(() => verify(mk({ exp: -1 })), 'ERR_JWT_EXPIRED', { claim: 'exp' });
  });
});

describe('duplicate JSON members are refused (RFC 7515 §4, parser differentials)', () => {
  it('duplicate claim in the payload', () => {
    throwsCode(() => verify(hmacJws('HS256', { alg: 'HS256' }, '{"sub":"a","sub":"b"}', SECRET)), ['ERR_JWT_INVALID', 'ERR_JWS_INVALID']);
    throwsCode(() => verify(hmacJws('HS256', { alg: 'HS256' }, '{"exp":1,"exp":9999999999}', SECRET)), ['ERR_JWT_INVALID', 'ERR_JWS_INVALID']);
  });
  it('duplicate alg in the header, also via a \\u escape', () => {
    throwsCode(() => verify(hmacJws('HS256', '{"alg":"HS256","alg":"HS256"}', {}, SECRET)), 'ERR_JWS_INVALID');
    throwsCode(() => verify(hmacJws('HS256', '{"alg":"HS256","\\u0061lg":"none"}', {}, SECRET)), 'ERR_JWS_INVALID');
  });
});

describe('decodeJwt / decodeProtectedHeader', () => {
  it('decode without verifying', () => {
    const t = mk({ sub: 'x', n: [1, { a: null }] }, { alg: 'HS256', kid: 'k', typ: 'JWT' });
    assert.deepEqual(sync(decodeJwt(t)), { sub: 'x', n: [1, { a: null }] });
    assert.deepEqual(sync(decodeProtectedHeader(t)), { alg: 'HS256', kid: 'k', typ: 'JWT' });
    // Works even with a broken signature: it does not verify.
    assert.equal(decodeJwt(`${t.split('.').slice(0, 2).join('.')}.AAAA`).sub, 'x');
  });
  it('malformed tokens', () => {
    // (As in jose, decodeJwt reads only the payload segment: a bad header is not its concern.)
    for (const bad of ['', 'a', 'a.b', 'a.b.c.d', '...', 'e30.e30', 'e30.!!.', 'e30.e30.e30.e30.e30']) {
      throwsCode(() => decodeJwt(bad), ['ERR_JWT_INVALID', 'ERR_JWS_INVALID', ...MISUSE]);
    }
    throwsCode(() => decodeJwt(rawJws({ alg: 'HS256' }, '[1,2]')), 'ERR_JWT_INVALID');
    throwsCode(() => decodeJwt(rawJws({ alg: 'HS256' }, 'not json')), 'ERR_JWT_INVALID');
    throwsCode(() => decodeJwt(42), [...MISUSE, 'ERR_JWT_INVALID']);
    for (const bad of ['', 'x', '!!.e30.', `${b64u('[1]')}.e30.`, `${b64u('nope')}.e30.`]) {
      throwsCode(() => decodeProtectedHeader(bad), ['ERR_JWS_INVALID', 'ERR_JWT_INVALID', ...MISUSE]);
    }
  });
});
