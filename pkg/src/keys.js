// Keys: the wasm-backed KeyObject, import / export / thumbprints / generation (jose names).

import { WasmKey, WasmPkcs12, jwkThumbprint, x509Thumbprint } from '../gen/oidckit.js';
import { JOSENotSupported, argType, fromWasm, typeError } from './errors.js';
import { encoder, isObject, toJson } from './util.js';

const INTERNAL = Symbol('oidckit.internal');
let handleOf;

/**
 * A parsed key, held by the WebAssembly module (parsed once, reused by every operation).
 * Freed automatically when garbage-collected, or at once with `free()`.
 */
export class KeyObject {
  #handle;
  #info;

  constructor(token, handle) {
    if (token !== INTERNAL) {
      throw argType('KeyObject cannot be constructed directly: use importJWK, importPKCS8, importSPKI, importX509, importPEM, generateKeyPair or generateSecret');
    }
    this.#handle = handle;
  }

  static {
    handleOf = (key) => {
      const h = key.#handle;
      if (h === undefined) {
        throw typeError('the KeyObject has been freed');
      }
      return h;
    };
  }

  /** Whether `value` is a KeyObject of this package. */
  static [Symbol.hasInstance](value) {
    return typeof value === 'object' && value !== null && #handle in value;
  }

  #meta() {
    return (this.#info ??= JSON.parse(handleOf(this).info()));
  }

  /** 'secret', 'public' or 'private'. */
  get type() { return this.#meta().type; }
  /** The JWK `kty`: 'oct', 'RSA', 'EC' or 'OKP'. */
  get kty() { return this.#meta().kty; }
  /** The JWK `crv` of EC and OKP keys. */
  get crv() { return this.#meta().crv; }
  /** The algorithm the key is bound to, if any. */
  get alg() { return this.#meta().alg; }
  /** The key ID (`kid`), if any. */
  get kid() { return this.#meta().kid; }
  /** SHA-1 thumbprint of the certificate the key came from (`x5t`). */
  get x5t() { return this.#meta().x5t; }
  /** SHA-256 thumbprint of the certificate the key came from (`x5t#S256`). */
  get 'x5t#S256'() { return this.#meta()['x5t#S256']; }
  /** Whether private or secret material may be exported. */
  get extractable() { return this.#meta().extractable; }

  get [Symbol.toStringTag]() { return 'KeyObject'; }

  /** Node's util.inspect / console.log: the public properties, never key material. */
  [Symbol.for('nodejs.util.inspect.custom')]() {
    if (this.#handle === undefined) {
      return 'KeyObject <freed>';
    }
    const { type, kty, crv, alg, kid, extractable } = this.#meta();
    const shown = { type, kty, crv, alg, kid, extractable };
    for (const k of Object.keys(shown)) {
      if (shown[k] === undefined) delete shown[k];
    }
    return `KeyObject ${JSON.stringify(shown)}`;
  }

  /** Releases the key's memory now; the KeyObject is unusable afterwards. */
  free() {
    const h = this.#handle;
    this.#handle = undefined;
    h?.free();
  }
}

/** Wraps a WasmKey handle. */
export const wrapKey = (handle) => new KeyObject(INTERNAL, handle);

/** The WasmKey handle of a KeyObject (throws if freed). */
export const keyHandle = (key) => handleOf(key);

function call(fn) {
  try {
    return fn();
  } catch (e) {
    throw fromWasm(e);
  }
}

function extractableOption(options, fallback) {
  if (options === undefined) {
    return fallback;
  }
  if (!isObject(options)) {
    throw argType('"options" must be an object');
  }
  for (const k of Object.keys(options)) {
    if (k !== 'extractable') {
      throw typeError(`unknown option "${k}"`);
    }
  }
  const { extractable } = options;
  if (extractable !== undefined && typeof extractable !== 'boolean') {
    throw argType('"extractable" option must be a boolean');
  }
  return extractable ?? fallback;
}

function optionalAlg(alg) {
  if (alg !== undefined && typeof alg !== 'string') {
    throw argType('"alg" must be a string');
  }
  return alg;
}

function requiredAlg(alg) {
  if (typeof alg !== 'string') {
    throw argType('"alg" argument is required');
  }
  return alg;
}

function pemString(pem, label) {
  if (typeof pem !== 'string') {
    throw argType(`"${label}" must be a PEM string`);
  }
  return pem;
}

/** Imports a JWK (RFC 7517). Private keys are non-extractable unless the JWK or the option says otherwise. */
export function importJWK(jwk, alg, options) {
  if (!isObject(jwk)) {
    throw argType('JWK must be an object');
  }
  const fallback = jwk.kty === 'oct' ? true : jwk.ext === true;
  const extractable = extractableOption(options, fallback);
  const json = toJson(jwk, 'the JWK');
  return wrapKey(call(() => WasmKey.fromJwk(json, optionalAlg(alg), extractable)));
}

/** Checks an options object: only `allowed` keys, each of its type ('string' | 'boolean'). */
function checkedOptions(options, allowed) {
  if (options === undefined) {
    return {};
  }
  if (!isObject(options)) {
    throw argType('"options" must be an object');
  }
  for (const k of Object.keys(options)) {
    if (!Object.prototype.hasOwnProperty.call(allowed, k)) {
      throw typeError(`unknown option "${k}"`);
    }
    const v = options[k];
    if (v !== undefined && typeof v !== allowed[k]) {
      throw argType(`"${k}" option must be a ${allowed[k]}`);
    }
  }
  return options;
}

/**
 * Imports a PKCS#8 PEM: `PRIVATE KEY`, or `ENCRYPTED PRIVATE KEY` with `options.passphrase`
 * (PBES2: PBKDF2-HMAC-SHA1/SHA256 with AES-CBC or DES-EDE3-CBC).
 */
export function importPKCS8(pem, alg, options) {
  const { passphrase, extractable = false } = checkedOptions(options, { passphrase: 'string', extractable: 'boolean' });
  return wrapKey(call(() => WasmKey.fromPkcs8(pemString(pem, 'pkcs8'), requiredAlg(alg), passphrase, extractable)));
}

/**
 * Imports a password-protected PKCS#12 (.p12 / .pfx) file: `{ privateKey, certificate, chain }`,
 * the certificate being the leaf's public key (with x5t, x5t#S256, x5c) and `chain` every
 * certificate as PEM, leaf first. The MAC is verified first; a wrong password throws KeyInvalid.
 */
export function importPKCS12(pkcs12, password, options) {
  let bytes = pkcs12;
  if (bytes instanceof ArrayBuffer) {
    bytes = new Uint8Array(bytes);
  }
  if (!(bytes instanceof Uint8Array)) {
    throw argType('"pkcs12" must be a Uint8Array (or ArrayBuffer) of the .p12 / .pfx file');
  }
  if (typeof password !== 'string') {
    throw argType('"password" must be a string');
  }
  const { alg, extractable = false } = checkedOptions(options, { alg: 'string', extractable: 'boolean' });
  const parsed = call(() => WasmPkcs12.parse(bytes, password, alg, extractable));
  try {
    const chain = parsed.chain();
    const privateKey = wrapKey(parsed.privateKey());
    let certificate;
    try {
      certificate = wrapKey(parsed.certificate());
    } catch (e) {
      privateKey.free();
      throw e;
    }
    return { privateKey, certificate, chain };
  } finally {
    parsed.free();
  }
}

/** Imports an SPKI `PUBLIC KEY` PEM. */
export function importSPKI(pem, alg, options) {
  const extractable = extractableOption(options, true);
  return wrapKey(call(() => WasmKey.fromSpki(pemString(pem, 'spki'), requiredAlg(alg), extractable)));
}

function certBytes(cert, label) {
  if (typeof cert === 'string') {
    return encoder.encode(cert);
  }
  if (cert instanceof Uint8Array) {
    return cert;
  }
  throw argType(`"${label}" must be a PEM string or a Uint8Array of DER`);
}

/** Imports the public key of an X.509 certificate (PEM string or DER bytes); sets x5t and x5t#S256. */
export function importX509(x509, alg, options) {
  const extractable = extractableOption(options, true);
  const bytes = certBytes(x509, 'x509');
  return wrapKey(call(() => WasmKey.fromX509(bytes, requiredAlg(alg), extractable)));
}

/** Imports a PEM of any supported label (PRIVATE KEY, RSA PRIVATE KEY, EC PRIVATE KEY, PUBLIC KEY, RSA PUBLIC KEY, CERTIFICATE). */
export function importPEM(pem, alg, options) {
  const extractable = extractableOption(options, false);
  return wrapKey(call(() => WasmKey.fromPem(pemString(pem, 'pem'), optionalAlg(alg), extractable)));
}

/**
 * The WasmKey handle for a key argument: a KeyObject, or a Uint8Array secret / JWK object
 * imported for this one call (`temp` is true: free it after use).
 */
export function toHandle(key, alg) {
  if (key instanceof KeyObject) {
    return { handle: handleOf(key), temp: false };
  }
  if (key instanceof Uint8Array) {
    return { handle: call(() => WasmKey.fromSecret(key, alg, true)), temp: true };
  }
  if (isObject(key) && typeof key.kty === 'string') {
    const json = toJson(key, 'the JWK');
    return { handle: call(() => WasmKey.fromJwk(json, alg, true)), temp: true };
  }
  throw argType('key must be a KeyObject, a Uint8Array secret or a JWK object');
}

function withHandle(key, fn) {
  const { handle, temp } = toHandle(key);
  try {
    return call(() => fn(handle));
  } finally {
    if (temp) {
      handle.free();
    }
  }
}

/** Exports a key as a JWK (private or secret members only for extractable keys). */
export function exportJWK(key) {
  return JSON.parse(withHandle(key, (h) => h.toJwk()));
}

/** Exports a public key (or a private key's public half) as an SPKI PEM. */
export function exportSPKI(key) {
  return withHandle(key, (h) => h.toSpki());
}

/** Exports an extractable private key as a PKCS#8 PEM. */
export function exportPKCS8(key) {
  return withHandle(key, (h) => h.toPkcs8());
}

function digestArg(digest, allowed, fallback) {
  if (digest === undefined) {
    return fallback;
  }
  if (typeof digest !== 'string' || !allowed.includes(digest)) {
    throw typeError(`digest must be one of ${allowed.map((d) => `"${d}"`).join(', ')}`);
  }
  return digest;
}

/** RFC 7638 JWK thumbprint (base64url) of a JWK or a key. */
export function calculateJwkThumbprint(jwkOrKey, digestAlgorithm) {
  const digest = digestArg(digestAlgorithm, ['sha256', 'sha384', 'sha512'], 'sha256');
  if (jwkOrKey instanceof KeyObject) {
    const h = handleOf(jwkOrKey);
    return call(() => h.thumbprint(digest));
  }
  if (!isObject(jwkOrKey)) {
    throw argType('JWK must be an object or a KeyObject');
  }
  const json = toJson(jwkOrKey, 'the JWK');
  return call(() => jwkThumbprint(json, digest));
}

/** base64url thumbprint of an X.509 certificate (PEM string or DER bytes), as x5t / x5t#S256. */
export function calculateX509Thumbprint(cert, digestAlgorithm) {
  const digest = digestArg(digestAlgorithm, ['sha1', 'sha256'], 'sha256');
  const bytes = certBytes(cert, 'cert');
  return call(() => x509Thumbprint(bytes, digest));
}

function generateOptions(options) {
  if (options === undefined) {
    return { extractable: false, modulusLength: 0 };
  }
  if (!isObject(options)) {
    throw argType('"options" must be an object');
  }
  for (const k of Object.keys(options)) {
    if (k !== 'extractable' && k !== 'modulusLength') {
      throw typeError(`unknown option "${k}"`);
    }
  }
  const { extractable = false, modulusLength } = options;
  if (typeof extractable !== 'boolean') {
    throw argType('"extractable" option must be a boolean');
  }
  if (modulusLength !== undefined && (!Number.isSafeInteger(modulusLength) || modulusLength < 2048 || modulusLength > 16384)) {
    throw typeError('"modulusLength" option must be an integer from 2048 to 16384');
  }
  return { extractable, modulusLength: modulusLength ?? 0 };
}

const SECRET_ALGS = ['HS256', 'HS384', 'HS512'];

/** Generates a key pair for a signature algorithm (RS*, PS*, ES*, EdDSA). */
export function generateKeyPair(alg, options) {
  requiredAlg(alg);
  if (SECRET_ALGS.includes(alg)) {
    throw new JOSENotSupported('Invalid or unsupported JWK "alg" (Algorithm) Parameter value: use generateSecret for HMAC');
  }
  const { extractable, modulusLength } = generateOptions(options);
  const priv = call(() => WasmKey.generate(alg, modulusLength, extractable));
  let pub;
  try {
    pub = call(() => priv.toPublic());
  } catch (e) {
    priv.free();
    throw e;
  }
  return { publicKey: wrapKey(pub), privateKey: wrapKey(priv) };
}

/** Generates an HMAC secret of the hash's size (HS256, HS384, HS512). */
export function generateSecret(alg, options) {
  requiredAlg(alg);
  if (!SECRET_ALGS.includes(alg)) {
    throw new JOSENotSupported('Invalid or unsupported JWK "alg" (Algorithm) Parameter value: generateSecret is for HS256, HS384 and HS512');
  }
  const { extractable, modulusLength } = generateOptions(options);
  if (modulusLength !== 0) {
    throw typeError('"modulusLength" does not apply to HMAC secrets');
  }
  return wrapKey(call(() => WasmKey.generate(alg, 0, extractable)));
}
