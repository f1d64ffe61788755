// Runs inside Chromium. Imports the package's browser build by relative URL (native ES modules,
// no bundler, no init call), signs and verifies ES256 and HS256 tokens, verifies a pre-made
// RS256 token (RFC 7515 A.2) against a JWK Set, and writes the results into the DOM.
import * as oidckit from './dist/browser.js';

const rows = document.getElementById('rows');
const status = document.getElementById('status');
const result = document.getElementById('result');
const checks = {};

function record(name, pass, detail = '') {
  checks[name] = { pass, detail };
  const tr = document.createElement('tr');
  for (const [text, cls] of [[name, ''], [pass ? 'pass' : 'FAIL', pass ? 'pass' : 'fail'], [detail, '']]) {
    const td = document.createElement('td');
    if (cls) td.className = cls;
    const code = document.createElement('code');
    code.textContent = String(text);
    td.append(code);
    tr.append(td);
  }
  rows.append(tr);
}

function check(name, fn) {
  try {
    const detail = fn();
    record(name, true, detail);
  } catch (err) {
    record(name, false, `${err?.name}: ${err?.code ?? ''} ${err?.message}`);
  }
}

function must(cond, msg) {
  if (!cond) throw new Error(msg);
}

async function main() {
  check('ES256 sign → verify', () => {
    const { publicKey, privateKey } = oidckit.generateKeyPair('ES256');
    const token = new oidckit.SignJWT({ sub: 'browser', n: 1 })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    must(typeof token === 'string' && token.split('.').length === 3, 'not a compact JWS');
    const { payload, protectedHeader } = oidckit.jwtVerify(token, publicKey, { algorithms: ['ES256'] });
    must(payload.sub === 'browser' && protectedHeader.alg === 'ES256', 'payload/header mismatch');
    return `${token.slice(0, 24)}…`;
  });

  check('HS256 sign → verify', () => {
    const secret = oidckit.generateSecret('HS256');
    const token = new oidckit.SignJWT({ sub: 'hs' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('https://op.example').sign(secret);
    const { payload } = oidckit.jwtVerify(token, secret, { issuer: 'https://op.example' });
    must(payload.sub === 'hs', 'payload mismatch');
    // A Uint8Array secret works too.
    const raw = new TextEncoder().encode('0123456789abcdef0123456789abcdef');
    const t2 = new oidckit.SignJWT({ sub: 'raw' }).setProtectedHeader({ alg: 'HS256' }).sign(raw);
    must(oidckit.jwtVerify(t2, raw).payload.sub === 'raw', 'Uint8Array secret');
    return 'ok';
  });

  const fixture = await (await fetch('./fixture.json')).json();
  check('RS256 pre-made token (RFC 7515 A.2) verifies against a JWKS', () => {
    const jwks = oidckit.createLocalJWKSet(fixture.jwks);
    const { payload, protectedHeader } = oidckit.jwtVerify(fixture.token, jwks, {
      currentDate: new Date(fixture.currentDate * 1000),
      issuer: 'joe',
      algorithms: ['RS256'],
    });
    must(protectedHeader.alg === 'RS256', 'alg');
    must(payload['http://example.com/is_root'] === true, 'claims');
    return `exp ${payload.exp}`;
  });

  check('tampered RS256 token is rejected with a coded error', () => {
    const jwks = oidckit.createLocalJWKSet(fixture.jwks);
    const [h, p, s] = fixture.token.split('.');
    const flipped = `${s.slice(0, 10)}${s[10] === 'A' ? 'B' : 'A'}${s.slice(11)}`;
    try {
      oidckit.jwtVerify(`${h}.${p}.${flipped}`, jwks, { currentDate: new Date(fixture.currentDate * 1000) });
    } catch (err) {
      must(err instanceof oidckit.errors.JOSEError && err instanceof Error, 'error class');
      must(err.code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED', `code ${err.code}`);
      return err.code;
    }
    throw new Error('accepted a tampered token');
  });

  check('expired RS256 token (real clock) is rejected', () => {
    try {
      oidckit.jwtVerify(fixture.token, oidckit.createLocalJWKSet(fixture.jwks));
    } catch (err) {
      must(err.code === 'ERR_JWT_EXPIRED' && err.claim === 'exp', `code ${err.code}`);
      return err.code;
    }
    throw new Error('accepted an expired token');
  });
}

main()
  .catch((err) => record('page script', false, `${err?.name}: ${err?.message}`))
  .finally(() => {
    const all = Object.values(checks);
    const ok = all.length > 0 && all.every((c) => c.pass);
    status.textContent = ok ? `all ${all.length} checks passed` : 'some checks FAILED';
    status.className = ok ? 'pass' : 'fail';
    result.textContent = JSON.stringify(checks);
    status.dataset.status = 'done';
  });
