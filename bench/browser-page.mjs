// Runs inside Chromium (loaded by browser-bench.mjs): oidckit's browser build vs jose's
// WebCrypto build, same keys (made with jose, imported into oidckit as JWK), same ID token
// claims. fast-jwt is Node-only and is not measured here.
const tImport0 = performance.now();
const oidckit = await import('/dist/browser.js');
const tImport1 = performance.now();
const jose = await import('/jose/index.js');

const params = new URLSearchParams(location.search);
const RUN_MS = Number(params.get('seconds') ?? 1) * 1000;
const WARMUP_MS = Number(params.get('warmup') ?? 0.3) * 1000;
const ROUNDS = Number(params.get('rounds') ?? 3);
const ALGS = (params.get('algs') ?? 'HS256,RS256,PS256,ES256,EdDSA').split(',');
const ISSUER = 'https://accounts.example.com';
const AUDIENCE = 's6BhdRkqt3';

function idTokenClaims(now = Math.floor(Date.now() / 1000)) {
  return {
    iss: ISSUER, sub: '248289761001', aud: AUDIENCE, azp: AUDIENCE, exp: now + 3600, iat: now,
    auth_time: now - 120, nonce: 'n-0S6_WzA2Mj', at_hash: '77QmUPtjPfzWtF2AnpK9RQ',
    acr: 'urn:mace:incommon:iap:silver', amr: ['pwd', 'mfa'], sid: '08a5019c-17e1-4977-8f42-65a12843ea02',
    name: 'Jane Doe', given_name: 'Jane', family_name: 'Doe', preferred_username: 'j.doe',
    email: 'janedoe@example.com', email_verified: true, locale: 'en-US', picture: 'https://example.com/janedoe/me.jpg',
  };
}

let sink;
const isThenable = (x) => x !== null && typeof x === 'object' && typeof x.then === 'function';
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function runFor(fn, isAsync, ms) {
  let n = 0;
  let batch = 1;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    if (isAsync) for (let i = 0; i < batch; i++) sink = await fn();
    else for (let i = 0; i < batch; i++) sink = fn();
    n += batch;
    const t = performance.now();
    if (t - now < 5 && batch < 1 << 16) batch *= 2;
    now = t;
  }
  return { n, ms: now - start };
}

async function opsPerSecond(fn) {
  const isAsync = isThenable(fn());
  if (isAsync) await fn();
  await runFor(fn, isAsync, WARMUP_MS);
  const { n, ms } = await runFor(fn, isAsync, RUN_MS);
  return (n * 1000) / ms;
}

async function compare(fns) {
  const samples = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) for (const [k, fn] of Object.entries(fns)) samples[k].push(await opsPerSecond(fn));
  return Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, median(xs)]));
}

async function setup(alg) {
  const claims = idTokenClaims();
  const header = { alg, kid: `bench-${alg}`, typ: 'JWT' };
  const opts = { algorithms: [alg], issuer: ISSUER, audience: AUDIENCE };
  let jk;
  let ok;
  if (alg.startsWith('HS')) {
    const secret = await jose.generateSecret(alg, { extractable: true });
    const jwk = await jose.exportJWK(secret);
    jk = { sign: secret, verify: secret };
    ok = { sign: oidckit.importJWK(jwk, alg), verify: oidckit.importJWK(jwk, alg) };
  } else {
    const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true });
    jk = { sign: privateKey, verify: publicKey };
    ok = {
      sign: oidckit.importJWK(await jose.exportJWK(privateKey), alg),
      verify: oidckit.importJWK(await jose.exportJWK(publicKey), alg),
    };
  }
  const token = await new jose.SignJWT(claims).setProtectedHeader(header).sign(jk.sign);
  const t2 = oidckit.jwtVerify(token, ok.verify, opts);
  const own = new oidckit.SignJWT(claims).setProtectedHeader(header).sign(ok.sign);
  const t3 = await jose.jwtVerify(own, jk.verify, opts);
  if (t2.payload.sub !== claims.sub || t3.payload.sub !== claims.sub) throw new Error(`${alg}: cross-check failed`);
  return { claims, header, opts, jk, ok, token };
}

const rows = [];
const skipped = {};
for (const alg of ALGS) {
  let s;
  try {
    s = await setup(alg);
  } catch (e) {
    skipped[alg] = `${e.name}: ${e.message}`;
    continue;
  }
  rows.push({
    alg,
    op: 'verify',
    ...(await compare({
      oidckit: () => oidckit.jwtVerify(s.token, s.ok.verify, s.opts),
      jose: () => jose.jwtVerify(s.token, s.jk.verify, s.opts),
    })),
  });
  rows.push({
    alg,
    op: 'sign',
    ...(await compare({
      oidckit: () => new oidckit.SignJWT(s.claims).setProtectedHeader(s.header).sign(s.ok.sign),
      jose: () => new jose.SignJWT(s.claims).setProtectedHeader(s.header).sign(s.jk.sign),
    })),
  });
}

window.__benchResult = {
  userAgent: navigator.userAgent,
  importMs: tImport1 - tImport0,
  sinceNavigationMs: tImport1,
  rows,
  skipped,
};
document.body.textContent = 'done';
