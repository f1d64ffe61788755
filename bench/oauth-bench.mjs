// OAuth / OpenID Connect relying-party processing per second: oidckit vs oauth4webapi vs
// openid-client, on the same inputs, in one run. No network: every library gets an injected
// fetch that answers with prebuilt responses (a token response, the JWK Set). Run by hand, never
// in CI.
//
//   validateIdToken  — validate one ID token (signature, iss, aud, exp, iat, nonce, at_hash when
//                      the library checks it).
//   handleCallback   — the whole callback: parse the redirect URL (state, RFC 9207 iss), build the
//                      token request (client_secret_basic, PKCE verifier), "send" it (injected
//                      fetch), parse the token response and validate the ID token, signature
//                      included.
//
// Env: BENCH_SECONDS (per run, default 1), BENCH_WARMUP_SECONDS (0.3), BENCH_ROUNDS (3),
//      BENCH_ALGS (default RS256,ES256,EdDSA), OIDCKIT_MODULE (see common.mjs).
import { readFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { resolve } from 'node:path';

import * as jose from 'jose';
import * as oauth from 'oauth4webapi';
import * as openid from 'openid-client';

import { AUDIENCE, HERE, ISSUER, idTokenClaims, loadOidckit, median } from './common.mjs';

const RUN_MS = Number(process.env.BENCH_SECONDS ?? 1) * 1000;
const WARMUP_MS = Number(process.env.BENCH_WARMUP_SECONDS ?? 0.3) * 1000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const algs = (process.env.BENCH_ALGS ?? 'RS256,ES256,EdDSA').split(',').filter(Boolean);

const { mod: oidckit, from: oidckitFrom } = await loadOidckit();

const CLIENT_SECRET = 'bench-client-secret-0123456789abcdef';
const REDIRECT_URI = 'https://rp.example/cb';
const STATE = 'bench-state-0123456789abcdef';
const CODE = 'SplxlOBeZQQYbYS6WxSbIA';
const CODE_VERIFIER = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';

let sink;
const isThenable = (x) => x !== null && typeof x === 'object' && typeof x.then === 'function';

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
  const first = fn();
  const isAsync = isThenable(first);
  if (isAsync) await first;
  await runFor(fn, isAsync, WARMUP_MS);
  const { n, ms } = await runFor(fn, isAsync, RUN_MS);
  return (n * 1000) / ms;
}

async function compare(fns) {
  const samples = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [k, fn] of Object.entries(fns)) if (fn) samples[k].push(await opsPerSecond(fn));
  }
  return Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, xs.length ? median(xs) : undefined]));
}

const b64u = (buf) => Buffer.from(buf).toString('base64url');
const halfHash = (alg, value) => {
  // EdDSA (Ed25519): SHA-512, as oidc-provider and oauth4webapi compute it.
  const h = alg === 'EdDSA' ? 'sha512' : { 256: 'sha256', 384: 'sha384', 512: 'sha512' }[alg.slice(-3)];
  const d = createHash(h).update(value).digest();
  return b64u(d.subarray(0, d.length / 2));
};

/** Unique states across the whole run (oidckit remembers consumed states process-wide). */
let callbackCounter = 0;

/** Same keys, ID token, token response and callback URL for every library. */
async function setup(alg) {
  const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await jose.exportJWK(publicKey)), kid: 'bench-1', alg, use: 'sig' };
  const jwks = { keys: [publicJwk] };
  const accessToken = b64u(randomBytes(32));
  const claims = { ...idTokenClaims(), at_hash: halfHash(alg, accessToken) };
  const idToken = await new jose.SignJWT(claims).setProtectedHeader({ alg, kid: 'bench-1', typ: 'JWT' }).sign(privateKey);
  const tokenResponse = JSON.stringify({ access_token: accessToken, token_type: 'Bearer', expires_in: 3600, id_token: idToken, scope: 'openid profile email' });
  const metadata = {
    issuer: ISSUER,
    authorization_endpoint: `${ISSUER}/authorize`,
    token_endpoint: `${ISSUER}/token`,
    jwks_uri: `${ISSUER}/jwks`,
    userinfo_endpoint: `${ISSUER}/userinfo`,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [alg],
    token_endpoint_auth_methods_supported: ['client_secret_basic'],
    code_challenge_methods_supported: ['S256'],
    authorization_response_iss_parameter_supported: true,
  };
  const jwksBody = JSON.stringify(jwks);
  const json = { 'content-type': 'application/json' };
  const counts = { token: 0, jwks: 0 };
  const fetchImpl = async (url) => {
    const u = String(url instanceof Request ? url.url : url);
    if (u === metadata.token_endpoint) {
      counts.token += 1;
      return new Response(tokenResponse, { status: 200, headers: json });
    }
    if (u === metadata.jwks_uri) {
      counts.jwks += 1;
      return new Response(jwksBody, { status: 200, headers: json });
    }
    return new Response('not found', { status: 404 });
  };
  const issParam = encodeURIComponent(ISSUER);
  const nextCallback = () => {
    callbackCounter += 1;
    const state = `${STATE}-${callbackCounter}`;
    return { state, url: `${REDIRECT_URI}?code=${CODE}&state=${state}&iss=${issParam}` };
  };
  return { alg, privateKey, publicJwk, jwks, accessToken, claims, idToken, tokenResponse, metadata, fetchImpl, counts, nextCallback };
}

// ---- oidckit ----------------------------------------------------------------------------------
function oidckitFns(s) {
  const key = oidckit.importJWK(s.publicJwk, s.alg);
  const jwkSet = oidckit.createLocalJWKSet(s.jwks);
  const opts = {
    issuer: ISSUER,
    clientId: AUDIENCE,
    algorithms: [s.alg],
    nonce: s.claims.nonce,
    accessToken: s.accessToken,
  };
  const validateIdToken = typeof oidckit.validateIdToken === 'function'
    ? () => oidckit.validateIdToken(s.idToken, key, opts)
    : undefined;
  let handleCallback;
  if (typeof oidckit.Client === 'function') {
    // Keys come from the jwks_uri through the injected fetch (fetched once, then cached), as for
    // the other libraries.
    const client = new oidckit.Client(s.metadata, {
      clientId: AUDIENCE,
      clientSecret: CLIENT_SECRET,
      tokenEndpointAuthMethod: 'client_secret_basic',
      redirectUri: REDIRECT_URI,
      idTokenSignedResponseAlg: s.alg,
      fetch: s.fetchImpl,
    });
    // A transaction is single use (its state is consumed), so each call gets a fresh state and
    // the matching callback URL, the way the other libraries are called too.
    handleCallback = () => {
      const { state, url } = s.nextCallback();
      return client.handleCallback(url, {
        state,
        nonce: s.claims.nonce,
        codeVerifier: CODE_VERIFIER,
        clientId: AUDIENCE,
        redirectUri: REDIRECT_URI,
        responseType: 'code',
        issParameterSupported: true,
      });
    };
  }
  return { validateIdToken, handleCallback };
}

// ---- oauth4webapi -----------------------------------------------------------------------------
function oauth4webapiFns(s) {
  const as = s.metadata;
  const client = { client_id: AUDIENCE, id_token_signed_response_alg: s.alg };
  const auth = oauth.ClientSecretBasic(CLIENT_SECRET);
  const jwksCache = {};
  const reqOpts = { [oauth.customFetch]: s.fetchImpl, [oauth.jwksCache]: jwksCache };
  const json = { 'content-type': 'application/json' };
  // oauth4webapi has no stand-alone ID token validator: the ID token is validated while a token
  // endpoint response is processed, and its signature by validateApplicationLevelSignature.
  const idOnly = JSON.stringify({ access_token: s.accessToken, token_type: 'Bearer', id_token: s.idToken });
  const validateIdToken = async () => {
    const res = new Response(idOnly, { status: 200, headers: json });
    const result = await oauth.processAuthorizationCodeResponse(as, client, res, { expectedNonce: s.claims.nonce, requireIdToken: true });
    await oauth.validateApplicationLevelSignature(as, res, reqOpts);
    return result;
  };
  const handleCallback = async () => {
    const { state, url } = s.nextCallback();
    const params = oauth.validateAuthResponse(as, client, new URL(url), state);
    const res = await oauth.authorizationCodeGrantRequest(as, client, auth, params, REDIRECT_URI, CODE_VERIFIER, reqOpts);
    const result = await oauth.processAuthorizationCodeResponse(as, client, res, { expectedNonce: s.claims.nonce, requireIdToken: true });
    await oauth.validateApplicationLevelSignature(as, res, reqOpts);
    return result;
  };
  return { validateIdToken, handleCallback };
}

// ---- openid-client ----------------------------------------------------------------------------
function openidClientFns(s) {
  const config = new openid.Configuration(s.metadata, AUDIENCE, { id_token_signed_response_alg: s.alg }, openid.ClientSecretBasic(CLIENT_SECRET));
  config[openid.customFetch] = s.fetchImpl;
  openid.enableNonRepudiationChecks(config); // ID token signatures are verified (JWKS via fetch, cached)
  // openid-client has no stand-alone ID token validator either (validateIdToken: n/a).
  const handleCallback = () => {
    const { state, url } = s.nextCallback();
    return openid.authorizationCodeGrant(config, new URL(url), {
      pkceCodeVerifier: CODE_VERIFIER, expectedState: state, expectedNonce: s.claims.nonce, idTokenExpected: true,
    });
  };
  return { validateIdToken: undefined, handleCallback };
}

function readPkgVersion(name) {
  try {
    return JSON.parse(readFileSync(resolve(HERE, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

const fmt = (x) => (x === undefined ? 'n/a' : Math.round(x).toLocaleString('en-US'));
const ratio = (a, b) => (a === undefined || b === undefined ? 'n/a' : `${(a / b).toFixed(2)}×`);

console.log(`oidckit from ${oidckitFrom}; oauth4webapi ${readPkgVersion('oauth4webapi')}; openid-client ${readPkgVersion('openid-client')}; jose ${readPkgVersion('jose')}; Node ${process.version}`);
console.log(`each figure: median of ${ROUNDS} interleaved runs of ${RUN_MS / 1000} s after ${WARMUP_MS / 1000} s warm-up; same keys, ID token, token response and callback URL for all`);

const rows = [];
for (const alg of algs) {
  const s = await setup(alg);
  const fns = { oidckit: oidckitFns(s), oauth4webapi: oauth4webapiFns(s), openid: openidClientFns(s) };
  // Every library must accept the inputs before anything is timed.
  for (const [name, f] of Object.entries(fns)) {
    for (const [op, fn] of Object.entries(f)) {
      if (!fn) continue;
      try {
        await fn();
      } catch (e) {
        throw new Error(`${name} ${op} (${alg}) rejected the benchmark input: ${e?.code ?? ''} ${e?.message ?? e}`);
      }
    }
  }
  for (const op of ['validateIdToken', 'handleCallback']) {
    const r = await compare({ oidckit: fns.oidckit[op], oauth4webapi: fns.oauth4webapi[op], openid: fns.openid[op] });
    rows.push({ alg, op, ...r });
    console.log(`${alg} ${op}: oidckit ${fmt(r.oidckit)}/s, oauth4webapi ${fmt(r.oauth4webapi)}/s, openid-client ${fmt(r.openid)}/s`);
  }
  console.log(`  (injected fetch served ${s.counts.token} token responses, ${s.counts.jwks} JWK Sets)`);
}

console.log('\n| alg | operation | oidckit ops/s | oauth4webapi ops/s | openid-client ops/s | oidckit/oauth4webapi | oidckit/openid-client |');
console.log('|---|---|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${r.alg} | ${r.op} | ${fmt(r.oidckit)} | ${fmt(r.oauth4webapi)} | ${fmt(r.openid)} | ${ratio(r.oidckit, r.oauth4webapi)} | ${ratio(r.oidckit, r.openid)} |`);
}
void sink;
