#!/usr/bin/env node
// Builds small seed corpora for the fuzz targets from the read-only vectors in ../shared/vectors
// (plus a few keys/certificates made with the openssl CLI when it is installed).
// Usage: node fuzz/gen-seeds.mjs <vectors-dir> <corpus-dir>
// Writes <corpus-dir>/<target>/<sha1> files; existing files are kept (fuzzer finds stay).
// The corpora are generated, never committed (fuzz/corpus is gitignored).
import { createHash, createHmac, createPrivateKey, sign as cryptoSign } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [vectorsDir, corpusDir] = process.argv.slice(2);
if (!vectorsDir || !corpusDir) {
  console.error('usage: gen-seeds.mjs <vectors-dir> <corpus-dir>');
  process.exit(2);
}

const MAX_PER_TARGET = 300; // keep corpora small: the fuzzer grows them itself
const MAX_TOKEN_LEN = 4096;

const seeds = {
  jws_verify_hs256: new Map(),
  jwt_verify_hs256: new Map(),
  jwt_verify_es256_jwks: new Map(),
  jwt_decode: new Map(),
  jwk_parse: new Map(),
  jwks_parse: new Map(),
  pem_import: new Map(),
  x509_import: new Map(),
  pkcs12_parse: new Map(),
  oauth_responses: new Map(),
};

function add(target, data) {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(String(data), 'utf8');
  const m = seeds[target];
  if (m.size >= MAX_PER_TARGET) return;
  m.set(createHash('sha1').update(buf).digest('hex'), buf);
}

const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$/;
const tokenTargets = ['jws_verify_hs256', 'jwt_verify_hs256', 'jwt_verify_es256_jwks', 'jwt_decode'];
const jwks = [];
const jwkTexts = new Set();

function addToken(t) {
  if (t.length > MAX_TOKEN_LEN) return;
  for (const target of tokenTargets) add(target, t);
}

function addPem(pem) {
  add('pem_import', pem);
  if (pem.includes('CERTIFICATE')) {
    add('x509_import', pem);
    const body = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
    add('x509_import', Buffer.from(body, 'base64'));
  }
}

function addCertDerB64(b64) {
  const der = Buffer.from(b64, 'base64');
  add('x509_import', der);
  const lines = b64.match(/.{1,64}/g).join('\n');
  addPem(`-----BEGIN CERTIFICATE-----\n${lines}\n-----END CERTIFICATE-----\n`);
}

function walk(v, key) {
  if (typeof v === 'string') {
    if (COMPACT.test(v) && v.length > 20 && v.split('.')[0].startsWith('eyJ')) addToken(v);
    if (v.includes('-----BEGIN')) addPem(v);
    // JWK / JWKS carried as JSON text (e.g. RFC 7517 C.1_plaintext_jwk_utf8)
    if (v.startsWith('{') && v.includes('"kty"')) {
      try { walk(JSON.parse(v)); } catch { /* not JSON */ }
    }
    return;
  }
  if (Array.isArray(v)) {
    if (key === 'x5c') for (const c of v) if (typeof c === 'string') addCertDerB64(c);
    for (const x of v) walk(x);
    return;
  }
  if (v && typeof v === 'object') {
    if (typeof v.kty === 'string') {
      const text = JSON.stringify(v);
      add('jwk_parse', text);
      if (!jwkTexts.has(text)) { jwkTexts.add(text); jwks.push(v); }
    }
    if (Array.isArray(v.keys)) add('jwks_parse', JSON.stringify(v));
    for (const [k, x] of Object.entries(v)) walk(x, k);
  }
}

function files(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...files(p));
    else if (name.endsWith('.json')) out.push(p);
  }
  return out.sort();
}

// Wycheproof primitive files are huge; take only the JOSE-shaped ones (JWK inputs) and a few
// public-key PEMs from the signature files. Everything else (RFC, cookbook, attacks) whole.
for (const f of files(vectorsDir)) {
  if (f.includes('/schemas/')) continue;
  const isWp = f.includes('/testvectors_v1/');
  if (isWp && !/(_jwk_|webcrypto|ecdsa_secp256r1_sha256_p1363|ed25519|rsa_signature_2048_sha256|rsa_pss_2048_sha256)/.test(f)) continue;
  let doc;
  try { doc = JSON.parse(readFileSync(f, 'utf8')); } catch { continue; }
  if (isWp) {
    for (const g of (doc.testGroups ?? []).slice(0, 6)) {
      const { tests, ...group } = g;
      walk(group);
      for (const t of (tests ?? []).slice(0, 8)) walk({ public: t.public, private: t.private });
    }
  } else {
    walk(doc);
  }
}

// Synthetic JWK Sets: every collected JWK in one set, and small sets of 2.
add('jwks_parse', JSON.stringify({ keys: jwks.slice(0, 40) }));
for (let i = 0; i + 1 < jwks.length && i < 40; i += 2) add('jwks_parse', JSON.stringify({ keys: [jwks[i], jwks[i + 1]] }));

// A few edge-shaped tokens (empty parts, bad base64, huge numbers, nested JSON).
const b64u = (s) => Buffer.from(s).toString('base64url');
for (const [h, p] of [
  ['{"alg":"HS256"}', '{}'],
  ['{"alg":"HS256","crit":["b64"],"b64":false}', '$.02'],
  ['{"alg":"none"}', '{"sub":"x"}'],
  ['{"alg":"ES256","kid":"1"}', '{"exp":1e400,"nbf":-1}'],
  ['{"alg":"HS256","alg":"RS256"}', '{"aud":[[],{}]}'],
  ['{"alg":"HS256","typ":"JWT"}', '{"iat":18446744073709551616}'],
]) addToken(`${b64u(h)}.${b64u(p)}.${b64u('sig')}`);
addToken('..');

// Tokens validly signed with the fuzz targets' fixed keys (fuzz/src/lib.rs), so the mutator
// starts from inputs that pass the signature and exercise claim validation (NOW = 1300819000).
{
  const NOW = 1300819000;
  const hsKey = Buffer.from('AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow', 'base64url');
  const esKey = createPrivateKey({
    format: 'jwk',
    key: { kty: 'EC', crv: 'P-256', x: 'MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4', y: '4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM', d: '870MB6gfuTJ4HtUnUvYMyJpr5eUZNP4Bk43bVdj3eAE' },
  });
  const claimSets = [
    { iss: 'https://op.example', sub: '248289761001', aud: 's6BhdRkqt3', exp: NOW + 3600, iat: NOW - 5, nbf: NOW - 10, nonce: 'n-0S6_WzA2Mj', auth_time: NOW - 60, email: 'janedoe@example.com' },
    { iss: 'joe', aud: ['a', 'b', 's6BhdRkqt3'], exp: NOW + 1, jti: 'id-1' },
    { exp: NOW - 1 }, // expired
    { nbf: NOW + 3600, exp: NOW + 7200 }, // not yet valid
    { iat: NOW + 3600 }, // issued in the future
    { exp: 'tomorrow', aud: 7, iss: null, sub: {} }, // wrong types
    {},
  ];
  const headers = (alg, kid) => [
    { alg, typ: 'JWT' },
    { alg, kid },
    { alg, typ: 'at+jwt', cty: 'JWT' },
    { alg, crit: ['exp'], exp: 1 },
    { alg, b64: false, crit: ['b64'] },
  ];
  for (const claims of claimSets) {
    const payload = b64u(JSON.stringify(claims));
    for (const h of headers('HS256', 'hs')) {
      const input = `${b64u(JSON.stringify(h))}.${payload}`;
      const t = `${input}.${createHmac('sha256', hsKey).update(input).digest('base64url')}`;
      for (const target of ['jws_verify_hs256', 'jwt_verify_hs256', 'jwt_decode']) add(target, t);
    }
    for (const h of headers('ES256', '1')) {
      const input = `${b64u(JSON.stringify(h))}.${payload}`;
      const sig = cryptoSign('sha256', Buffer.from(input), { key: esKey, dsaEncoding: 'ieee-p1363' });
      add('jwt_verify_es256_jwks', `${input}.${sig.toString('base64url')}`);
    }
  }
}

// Keys and certificates in every PEM/DER form the importers accept, made with openssl if present.
try {
  const dir = mkdtempSync(join(tmpdir(), 'oidckit-seeds-'));
  const ossl = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] });
  const gens = {
    rsa: ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'],
    p256: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'],
    p384: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'],
    p521: ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521'],
    ed25519: ['-algorithm', 'ED25519'],
  };
  for (const [name, args] of Object.entries(gens)) {
    ossl('genpkey', ...args, '-out', `${name}.pem`);
    addPem(readFileSync(join(dir, `${name}.pem`), 'utf8'));
    addPem(ossl('pkey', '-in', `${name}.pem`, '-pubout').toString());
    if (name === 'rsa') {
      addPem(ossl('pkey', '-in', `${name}.pem`, '-traditional').toString()); // RSA PRIVATE KEY
      addPem(ossl('rsa', '-in', `${name}.pem`, '-RSAPublicKey_out').toString()); // RSA PUBLIC KEY
    } else if (name.startsWith('p')) {
      addPem(ossl('ec', '-in', `${name}.pem`).toString()); // EC PRIVATE KEY (SEC1)
    }
    const cert = ossl('req', '-new', '-x509', '-key', `${name}.pem`, '-subj', `/CN=${name}`, '-days', '1').toString();
    addPem(cert);
    if (name === 'rsa' || name === 'p256') {
      // PKCS#12 (modern and legacy) and encrypted PKCS#8 DER, all with the fuzz target's password.
      writeFileSync(join(dir, `${name}.crt`), cert);
      for (const extra of [[], ['-legacy'], ['-iter', '1', '-macsaltlen', '8']]) {
        try {
          add('pkcs12_parse', ossl('pkcs12', '-export', ...extra, '-inkey', `${name}.pem`, '-in', `${name}.crt`, '-passout', 'pass:fuzz'));
        } catch {
          // -legacy needs OpenSSL 3's legacy provider; skip when absent.
        }
      }
      for (const v2 of [['-v2', 'aes-256-cbc'], ['-v2', 'des3'], ['-v2', 'aes-128-cbc', '-v2prf', 'hmacWithSHA1']]) {
        add('pkcs12_parse', ossl('pkcs8', '-topk8', '-in', `${name}.pem`, '-outform', 'DER', ...v2, '-iter', '1', '-passout', 'pass:fuzz'));
      }
    }
  }
  rmSync(dir, { recursive: true, force: true });
} catch (e) {
  console.error(`gen-seeds: openssl seeds skipped (${e.message.split('\n')[0]})`);
}

// OAuth responses: the first byte picks processor (low nibble) and status (high nibble).
{
  const sel = (proc, hi = 0) => Buffer.from([(hi << 4) | proc]);
  const json = (proc, obj, hi = 0) => add('oauth_responses', Buffer.concat([sel(proc, hi), Buffer.from(JSON.stringify(obj))]));
  json(0, { access_token: 'at', token_type: 'Bearer', expires_in: 3600, refresh_token: 'rt', id_token: 'a.b.c', scope: 'openid' });
  json(0, { error: 'invalid_grant', error_description: 'expired', error_uri: 'https://op.example/e' }, 12);
  json(1, { issuer: 'https://op.example', authorization_endpoint: 'https://op.example/auth', token_endpoint: 'https://op.example/token', jwks_uri: 'https://op.example/jwks', response_types_supported: ['code'], authorization_response_iss_parameter_supported: true });
  json(2, { active: true, sub: 'u', client_id: 'c', scope: 'a b', exp: 1300819380, cnf: { jkt: 'x' } });
  json(3, { request_uri: 'urn:ietf:params:oauth:request_uri:abc', expires_in: 60 }, 10);
  json(4, { client_id: 'c', client_secret: 's', redirect_uris: ['https://app.example/cb'] }, 10);
  json(5, { sub: 'sub', name: 'n', email: 'e@example.com' });
  json(6, { error: 'use_dpop_nonce' }, 12);
  const cb = (proc, text) => add('oauth_responses', Buffer.concat([sel(proc), Buffer.from(text)]));
  cb(8, 'https://app.example/cb?code=c&state=state&iss=https%3A%2F%2Fop.example');
  cb(9, '#id_token=a.b.c&access_token=at&token_type=Bearer&state=state');
  cb(10, 'error=access_denied&error_description=no&state=state&iss=https%3A%2F%2Fop.example');
  cb(12, '?code=c&state=state&state=again');
  for (const t of seeds.jwt_decode.keys()) {
    cb(15, seeds.jwt_decode.get(t));
    if (seeds.oauth_responses.size > 40) break;
  }
}

let total = 0;
for (const [target, m] of Object.entries(seeds)) {
  const d = join(corpusDir, target);
  mkdirSync(d, { recursive: true });
  for (const [name, buf] of m) writeFileSync(join(d, name), buf);
  total += m.size;
  console.log(`gen-seeds: ${target}: ${m.size} seeds`);
}
console.log(`gen-seeds: ${total} seeds in ${corpusDir}`);
