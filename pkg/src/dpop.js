// DPoP (RFC 9449): the client handle (proofs with `ath` and server nonces, §4.2, §8, §9) and
// proof verification for resource and authorization servers (§4.3). The checks themselves live
// in the Rust core (src/oauth/dpop.rs); this layer validates arguments and keeps the nonces.

import * as wasm from '../gen/oidckit.js';
import { JWTInvalid, argType, fromWasm, typeError } from './errors.js';
import { KeyObject, keyHandle } from './keys.js';
import { MAX_CLOCK_TOLERANCE } from './options.js';
import { decodeJwt } from './decode.js';
import { encoder, isObject, nowSeconds, secs, toJson } from './util.js';

/** `1*NQCHAR` (RFC 9449 §8.1). */
const NONCE = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
/** Origins whose nonce is remembered (the oldest is forgotten first), as oauth4webapi. */
const MAX_NONCES = 100;

function call(fn, payload) {
  try {
    return fn();
  } catch (e) {
    throw fromWasm(e, payload);
  }
}

function urlString(value, what) {
  if (value instanceof URL) return value.href;
  if (typeof value !== 'string') throw argType(`"${what}" must be a string or a URL`);
  return value;
}

function originOf(value, what) {
  const href = urlString(value, what);
  let url;
  try {
    url = new URL(href);
  } catch {
    throw typeError(`"${what}" must be an absolute URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw typeError(`"${what}" must be an http(s) URL`);
  }
  return { href, origin: url.origin };
}

function headersOf(response, what) {
  const headers = response?.headers;
  if (headers === null || typeof headers !== 'object' || typeof headers.get !== 'function') {
    throw argType(`"${what}" must be a Response (or an object with Headers)`);
  }
  return headers;
}

/**
 * Creates a DPoP handle for a key pair (RFC 9449): `jkt` (RFC 7638 SHA-256 thumbprint, the
 * `dpop_jkt` / `cnf.jkt` value), `proof(htm, htu, accessToken?)` (synchronous; uses the nonce
 * last received from `htu`'s origin), `updateNonce(url, response)` (remembers a `DPoP-Nonce`
 * header, §8.1) and `isUseDpopNonceError(response, body?)` (§8 400 `use_dpop_nonce`, §9 401
 * `WWW-Authenticate: DPoP error="use_dpop_nonce"`).
 *
 * `options.alg` picks the algorithm for RSA keys not bound to one (EC and Ed25519 keys have a
 * single algorithm).
 */
export function createDPoPHandle(keyPair, options) {
  if (!isObject(keyPair)) {
    throw argType('"keyPair" must be an object { privateKey, publicKey }');
  }
  const { privateKey, publicKey } = keyPair;
  if (!(privateKey instanceof KeyObject) || privateKey.type !== 'private') {
    throw argType('"keyPair.privateKey" must be a private KeyObject');
  }
  if (!(publicKey instanceof KeyObject) || publicKey.type !== 'public') {
    throw argType('"keyPair.publicKey" must be a public KeyObject');
  }
  let requested;
  if (options !== undefined) {
    if (!isObject(options)) throw argType('"options" must be an object');
    for (const k of Object.keys(options)) {
      if (k !== 'alg') throw typeError(`unknown createDPoPHandle option "${k}"`);
    }
    if (options.alg !== undefined && typeof options.alg !== 'string') {
      throw argType('"alg" option must be a string');
    }
    requested = options.alg;
  }
  const alg = call(() => wasm.dpopAlg(keyHandle(privateKey), requested));
  const jkt = call(() => keyHandle(publicKey).thumbprint('sha256'));
  if (call(() => keyHandle(privateKey).thumbprint('sha256')) !== jkt) {
    throw typeError('"keyPair.publicKey" is not the public key of "keyPair.privateKey"');
  }
  const nonces = new Map();

  const handle = {
    jkt,
    proof(htm, htu, accessToken) {
      if (typeof htm !== 'string') throw argType('"htm" must be a string');
      const { href, origin } = originOf(htu, 'htu');
      if (accessToken !== undefined && typeof accessToken !== 'string') {
        throw argType('"accessToken" must be a string');
      }
      const nonce = nonces.get(origin);
      const now = Date.now() / 1000;
      return call(() => wasm.dpopProof(keyHandle(privateKey), alg, htm, href, accessToken, nonce, now));
    },
    updateNonce(url, response) {
      const { origin } = originOf(url, 'url');
      const nonce = headersOf(response, 'response').get('dpop-nonce');
      if (typeof nonce === 'string' && NONCE.test(nonce)) {
        nonces.delete(origin);
        nonces.set(origin, nonce);
        if (nonces.size > MAX_NONCES) {
          nonces.delete(nonces.keys().next().value);
        }
      }
    },
    isUseDpopNonceError(response, body) {
      const headers = headersOf(response, 'response');
      const status = response.status;
      if (!Number.isInteger(status) || status < 0 || status > 65535) {
        throw argType('"response.status" must be an HTTP status code');
      }
      if (status !== 400 && status !== 401) return false;
      const list = [];
      if (typeof headers.forEach === 'function') {
        headers.forEach((value, name) => list.push([String(name), String(value)]));
      } else {
        const www = headers.get('www-authenticate');
        if (typeof www === 'string') list.push(['www-authenticate', www]);
      }
      let bytes;
      if (body === undefined || body === null) {
        bytes = new Uint8Array(0);
      } else if (body instanceof Uint8Array) {
        bytes = body;
      } else if (typeof body === 'string') {
        bytes = encoder.encode(body);
      } else if (isObject(body)) {
        bytes = encoder.encode(toJson(body, 'body'));
      } else {
        throw argType('"body" must be the parsed JSON object, a string or a Uint8Array');
      }
      return call(() => wasm.dpopIsUseNonceError(status, JSON.stringify(list), bytes));
    },
  };
  return Object.freeze(handle);
}

const VERIFY_KEYS = new Set([
  'htm', 'htu', 'accessToken', 'nonce', 'maxAge', 'clockTolerance', 'currentDate', 'algorithms',
]);

function seconds(name, v, max) {
  const n = typeof v === 'string' ? secs(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || (max !== undefined && n > max)) {
    throw typeError(`"${name}" option must be a non-negative number of seconds${max === undefined ? '' : ` (at most ${max})`} or a time span string like '30s'`);
  }
  return Math.floor(n);
}

/**
 * Verifies a DPoP proof (the `DPoP` request header value) as RFC 9449 §4.3 says: one JWT,
 * `typ` `dpop+jwt`, an asymmetric `alg` (allow-list `algorithms`), a public `jwk` that verifies
 * the signature, `htm` and `htu` (normalised, query and fragment ignored) matching the request,
 * `iat` within `maxAge` (300 s) and `clockTolerance`, `nonce` when expected, and `ath` when an
 * access token is presented. Returns `{ jkt, protectedHeader, payload }`; compare `jkt` with the
 * access token's `cnf.jkt` (§6.1) and reject a replayed `payload.jti` (§11.1).
 */
export function verifyDPoPProof(proof, options) {
  if (typeof proof !== 'string') {
    throw new JWTInvalid('the DPoP proof must be a string (one DPoP header value)');
  }
  if (!isObject(options)) {
    throw argType('verifyDPoPProof options must be an object');
  }
  for (const k of Object.keys(options)) {
    if (!VERIFY_KEYS.has(k)) throw typeError(`unknown verifyDPoPProof option "${k}"`);
  }
  const { htm, htu, accessToken, nonce, maxAge, clockTolerance, currentDate, algorithms } = options;
  if (typeof htm !== 'string') throw argType('"htm" option must be a string');
  const out = { htm, htu: urlString(htu, 'htu') };
  if (accessToken !== undefined) {
    if (typeof accessToken !== 'string') throw argType('"accessToken" option must be a string');
    out.accessToken = accessToken;
  }
  if (nonce !== undefined) {
    if (typeof nonce !== 'string') throw argType('"nonce" option must be a string');
    out.nonce = nonce;
  }
  if (maxAge !== undefined) out.maxAge = seconds('maxAge', maxAge);
  if (clockTolerance !== undefined) {
    out.clockTolerance = seconds('clockTolerance', clockTolerance, MAX_CLOCK_TOLERANCE);
  }
  if (algorithms !== undefined) {
    if (!Array.isArray(algorithms) || !algorithms.every((a) => typeof a === 'string')) {
      throw typeError('"algorithms" option must be an array of strings');
    }
    out.algorithms = algorithms;
  }
  let now;
  try {
    now = nowSeconds(currentDate);
  } catch (e) {
    throw typeError(e.message);
  }
  const json = JSON.stringify(out);
  const [jkt, protectedHeader, payload] = JSON.parse(
    call(() => wasm.dpopVerify(proof, json, now), () => decodeJwt(proof)),
  );
  return { jkt, protectedHeader, payload };
}
