// createLocalJWKSet: a JWK Set parsed once by the wasm module. The returned function selects a
// key the way jose's does; jwtVerify / compactVerify recognise it and verify with the whole set
// in one wasm call (when several keys match, each is tried).

import { WasmJwkSet } from '../gen/oidckit.js';
import { JOSENotSupported, JWKSInvalid, JWKSNoMatchingKey, fromWasm } from './errors.js';
import { wrapKey } from './keys.js';
import { isObject, toJson } from './util.js';

/** Marks a function returned by createLocalJWKSet; the value is `{ set, keyAt }`. */
export const JWKS = Symbol('oidckit.jwks');

const isJwkSetShape = (jwks) => isObject(jwks) && Array.isArray(jwks.keys) && jwks.keys.every(isObject);

/** Parses a JWK Set (`{ keys: [...] }`) into a key-selection function. */
export function createLocalJWKSet(jwks) {
  if (!isJwkSetShape(jwks)) {
    throw new JWKSInvalid('JSON Web Key Set malformed');
  }
  const json = toJson(jwks, 'the JWK Set');
  let set;
  try {
    set = WasmJwkSet.fromJson(json);
  } catch (e) {
    throw fromWasm(e);
  }
  return selector(set, json);
}

/**
 * createLocalJWKSet for a JWK Set still in its JSON text (an HTTP response body): the strict
 * wasm parser runs once on the text itself (duplicate members, malformed JSON → JWKSInvalid),
 * with no JSON.stringify round trip.
 */
export function localJWKSetFromJson(json) {
  let set;
  try {
    set = WasmJwkSet.fromJson(json);
  } catch (e) {
    throw fromWasm(e);
  }
  if (!isJwkSetShape(JSON.parse(json))) {
    set.free();
    throw new JWKSInvalid('JSON Web Key Set malformed');
  }
  return selector(set, json);
}

/** The key-selection function over a parsed set; `json` is its text (for `jwks()`). */
function selector(set, json) {
  const cache = [];
  const keyAt = (i) => (cache[i] ??= wrapKey(set.keyAt(i)));

  const selectKey = (protectedHeader, token) => {
    const { alg, kid } = { ...protectedHeader, ...token?.header };
    // A JWK Set serves public-key algorithms only (as jose's; shared secrets are not published).
    if (typeof alg !== 'string' || alg.startsWith('HS')) {
      throw new JOSENotSupported('Unsupported "alg" value for a JSON Web Key Set');
    }
    if (kid !== undefined && typeof kid !== 'string') {
      throw new JWKSNoMatchingKey();
    }
    let i;
    try {
      i = set.select(alg, kid);
    } catch (e) {
      throw fromWasm(e);
    }
    return keyAt(i);
  };
  Object.defineProperty(selectKey, JWKS, { value: { set, keyAt } });
  Object.defineProperty(selectKey, 'jwks', { value: () => JSON.parse(json) });
  return selectKey;
}
