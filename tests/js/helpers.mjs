// Shared helpers for the node:test suites. These suites run against the PACKED package installed
// by name in a temporary folder (scripts/test-js.sh), so `oidckit` below is what users install.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as oidckit from 'oidckit';

export { oidckit };

/** Every JWS algorithm the package supports (docs: jsapi.md). */
export const ALGS = [
  'HS256', 'HS384', 'HS512',
  'RS256', 'RS384', 'RS512',
  'PS256', 'PS384', 'PS512',
  'ES256', 'ES384', 'ES512',
  'EdDSA',
];
export const ASYM_ALGS = ALGS.filter((a) => !a.startsWith('HS'));
export const HMAC_ALGS = ALGS.filter((a) => a.startsWith('HS'));
export const CURVE = { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' };
export const HASH_BYTES = { 256: 32, 384: 48, 512: 64 };

/**
 * Error code → exported class name, from src/error.rs (`Error::code` / `Error::name`).
 * `TypeError` means a built-in TypeError carrying the code.
 */
export const CODE_CLASS = {
  ERR_JWS_INVALID: 'JWSInvalid',
  ERR_JWT_INVALID: 'JWTInvalid',
  ERR_JWK_INVALID: 'JWKInvalid',
  ERR_JWKS_INVALID: 'JWKSInvalid',
  ERR_JWKS_NO_MATCHING_KEY: 'JWKSNoMatchingKey',
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: 'JWKSMultipleMatchingKeys',
  ERR_KEY_INVALID: 'KeyInvalid',
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'JWSSignatureVerificationFailed',
  ERR_JOSE_ALG_NOT_ALLOWED: 'JOSEAlgNotAllowed',
  ERR_JOSE_NOT_SUPPORTED: 'JOSENotSupported',
  ERR_JWT_EXPIRED: 'JWTExpired',
  ERR_JWT_CLAIM_VALIDATION_FAILED: 'JWTClaimValidationFailed',
  ERR_INVALID_ARG_VALUE: 'TypeError',
  ERR_INVALID_ARG_TYPE: 'TypeError',
  ERR_JOSE_GENERIC: 'JOSEError',
};

/** Codes an argument-misuse error may carry. */
export const MISUSE = ['ERR_INVALID_ARG_VALUE', 'ERR_INVALID_ARG_TYPE'];

/** The repository root: set by scripts/test-js.sh, else two levels above this file. */
export function repoRoot() {
  if (process.env.OIDCKIT_REPO_ROOT) return resolve(process.env.OIDCKIT_REPO_ROOT);
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
}

/** The shared, read-only vectors folder: `<repo>/../shared/vectors`. */
export function vectorsDir() {
  const dir = process.env.OIDCKIT_VECTORS_DIR
    ? resolve(process.env.OIDCKIT_VECTORS_DIR)
    : join(repoRoot(), '..', 'shared', 'vectors');
  assert.ok(existsSync(dir), `vectors folder not found at ${dir} (expected ../shared/vectors beside the repo)`);
  return dir;
}

export function readVector(rel) {
  return JSON.parse(readFileSync(join(vectorsDir(), rel), 'utf8'));
}

// ---------------------------------------------------------------------------------------------
// base64url / bytes

export const enc = new TextEncoder();
export const dec = new TextDecoder();
export const b64u = (input) =>
  Buffer.from(typeof input === 'string' ? enc.encode(input) : input).toString('base64url');
export const fromB64u = (s) => new Uint8Array(Buffer.from(s, 'base64url'));
export const b64uJson = (obj) => b64u(JSON.stringify(obj));
export const nowSec = () => Math.floor(Date.now() / 1000);

/** Builds a compact JWS from raw parts (for hand-made negative cases). */
export function rawJws(header, payload, sig = '') {
  const h = typeof header === 'string' ? b64u(header) : b64uJson(header);
  const p = typeof payload === 'string' ? b64u(payload) : b64uJson(payload);
  return `${h}.${p}.${typeof sig === 'string' ? sig : b64u(sig)}`;
}

/** HMAC-SHA-* over `header.payload` with an arbitrary secret (used to forge confusion tokens). */
export function hmacJws(alg, header, payload, secret) {
  const h = typeof header === 'string' ? b64u(header) : b64uJson(header);
  const p = typeof payload === 'string' ? b64u(payload) : b64uJson(payload);
  const mac = crypto.createHmac(`sha${alg.slice(2)}`, secret).update(`${h}.${p}`).digest();
  return `${h}.${p}.${mac.toString('base64url')}`;
}

// ---------------------------------------------------------------------------------------------
// errors

function isThenable(v) {
  return v !== null && (typeof v === 'object' || typeof v === 'function') && typeof v.then === 'function';
}

/** Asserts `err` is a coded error of the expected code(s) and class; returns it. */
export function checkError(err, codes, { claim, reason, message } = {}) {
  const want = Array.isArray(codes) ? codes : [codes];
  assert.ok(err !== undefined && err !== null, `expected an error with code ${want.join('|')}`);
  assert.ok(err instanceof Error, `thrown value is not an Error: ${Object.prototype.toString.call(err)} ${String(err)}`);
  assert.ok(
    want.includes(err.code),
    `expected code ${want.join('|')}, got ${err.code} (${err.name}: ${err.message})`,
  );
  const cls = CODE_CLASS[err.code];
  if (cls === 'TypeError') {
    assert.ok(err instanceof TypeError, `${err.code} must be a TypeError, got ${err.name}`);
  } else if (cls) {
    const C = oidckit.errors[cls];
    assert.equal(typeof C, 'function', `errors.${cls} is not exported`);
    assert.ok(err instanceof C, `${err.code} must be an instance of errors.${cls}, got ${err.constructor?.name}`);
    assert.ok(err instanceof oidckit.errors.JOSEError, `${cls} must extend errors.JOSEError`);
    assert.equal(err.name, cls, `err.name for ${err.code}`);
  }
  assert.equal(typeof err.message, 'string');
  if (claim !== undefined) assert.equal(err.claim, claim, `err.claim (${err.message})`);
  if (reason !== undefined) assert.equal(err.reason, reason, `err.reason (${err.message})`);
  if (message !== undefined) assert.match(err.message, message);
  return err;
}

/**
 * Runs `fn` synchronously and asserts it throws a coded error (see checkError). A returned Promise
 * is a contract violation (everything local is synchronous) and is reported as such.
 */
export function throwsCode(fn, codes, opts) {
  let result;
  try {
    result = fn();
  } catch (err) {
    return checkError(err, codes, opts);
  }
  if (isThenable(result)) {
    result.then(undefined, () => {}); // avoid an unhandled rejection
    assert.fail(`returned a Promise instead of throwing synchronously (expected ${codes})`);
  }
  assert.fail(`expected an error with code ${[].concat(codes).join('|')}, but the call returned ${describe(result)}`);
}

/** Asserts a value is not a Promise (local work is synchronous) and returns it. */
export function sync(value, what = 'value') {
  assert.ok(!isThenable(value), `${what} is a Promise; the contract says local calls are synchronous`);
  return value;
}

function describe(v) {
  try {
    const s = typeof v === 'string' ? v : JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 200 ? `${s.slice(0, 200)}…` : s;
  } catch {
    return String(v);
  }
}

// ---------------------------------------------------------------------------------------------
// key material made by Node's own crypto (an independent implementation)

const nodeKeyCache = new Map();

/** A key pair for `alg` made by node:crypto: { publicKey, privateKey } as KeyObjects + exports. */
export function nodeKeyPair(alg, { bits = 2048, fresh = false } = {}) {
  const cacheKey = `${alg}:${bits}`;
  if (!fresh && nodeKeyCache.has(cacheKey)) return nodeKeyCache.get(cacheKey);
  let type;
  let params = {};
  if (alg.startsWith('RS') || alg.startsWith('PS')) {
    type = 'rsa';
    params = { modulusLength: bits };
  } else if (alg.startsWith('ES')) {
    type = 'ec';
    params = { namedCurve: CURVE[alg] };
  } else if (alg === 'EdDSA') {
    type = 'ed25519';
  } else {
    throw new Error(`no key pair for ${alg}`);
  }
  // PEM out of the generator, KeyObjects re-created from it: exporting a JWK from the
  // generator's own KeyObjects can deadlock Node 20 (a GC inside KeyObjectHandle::ExportJWK runs
  // the sync KeyGenJob's destructor, which takes the key's mutex already held by the export).
  const pem = crypto.generateKeyPairSync(type, {
    ...params,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const kp = { privateKey: crypto.createPrivateKey(pem.privateKey), publicKey: crypto.createPublicKey(pem.publicKey) };
  const out = {
    ...kp,
    pkcs8: pem.privateKey,
    spki: pem.publicKey,
    privateJwk: kp.privateKey.export({ format: 'jwk' }),
    publicJwk: kp.publicKey.export({ format: 'jwk' }),
  };
  if (!fresh) nodeKeyCache.set(cacheKey, out);
  return out;
}

/** Node's own verification of a compact JWS (independent of oidckit and jose). */
export function nodeVerifyCompact(alg, token, publicKey) {
  const [h, p, s] = token.split('.');
  const data = Buffer.from(`${h}.${p}`);
  const sig = Buffer.from(s, 'base64url');
  const bits = alg.slice(2);
  if (alg.startsWith('RS')) return crypto.verify(`sha${bits}`, data, publicKey, sig);
  if (alg.startsWith('PS')) {
    return crypto.verify(`sha${bits}`, data, {
      key: publicKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_BYTES[bits],
    }, sig);
  }
  if (alg.startsWith('ES')) {
    return crypto.verify(`sha${bits}`, data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, sig);
  }
  if (alg === 'EdDSA') return crypto.verify(null, data, publicKey, sig);
  throw new Error(`nodeVerifyCompact: ${alg}`);
}

// ---------------------------------------------------------------------------------------------
// openssl

/** Runs openssl; returns stdout (Buffer). */
export function openssl(args, input) {
  return execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'], maxBuffer: 1 << 24 });
}

export function hasOpenssl() {
  try {
    openssl(['version']);
    return true;
  } catch {
    return false;
  }
}

/** A temporary directory removed by the returned cleanup function. */
export function tempDir(prefix = 'oidckit-js-') {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// ---------------------------------------------------------------------------------------------
// convenience builders over the package under test

/** An oidckit key pair for `alg`: RSA keys come from node:crypto (fast), others from oidckit. */
export function keyPairFor(alg) {
  if (alg.startsWith('HS')) {
    const secret = oidckit.generateSecret(alg, { extractable: true });
    return { publicKey: secret, privateKey: secret };
  }
  if (alg.startsWith('RS') || alg.startsWith('PS')) {
    const n = nodeKeyPair(alg);
    return {
      privateKey: oidckit.importPKCS8(n.pkcs8, alg, { extractable: true }),
      publicKey: oidckit.importSPKI(n.spki, alg),
    };
  }
  return oidckit.generateKeyPair(alg, { extractable: true });
}

export function signDefault(alg, key, claims = { sub: 'alice' }, header = {}) {
  return new oidckit.SignJWT(claims).setProtectedHeader({ alg, ...header }).sign(key);
}
