// jwtVerify and compactVerify: one wasm call for a KeyObject, a Uint8Array secret or a
// createLocalJWKSet function; a createRemoteJWKSet function verifies with its whole current set
// (a Promise; one reload on an unknown key, as the set's cooldown allows); other functions are
// called as jose's getKey (sync or async).

import * as wasm from '../gen/oidckit.js';
import { JWSInvalid, argType, fromWasm } from './errors.js';
import { JWKS } from './jwks.js';
import { KeyObject, keyHandle, toHandle } from './keys.js';
import { jwsVerifyOptions, jwtVerifyOptions } from './options.js';
import { decoder, isObject } from './util.js';
import { decodeJwt, decodeProtectedHeader } from './decode.js';
import { isRemoteJWKSet, withRemoteKeys } from './remote-jwks.js';

function tokenString(token) {
  if (typeof token === 'string') return token;
  if (token instanceof Uint8Array) return decoder.decode(token);
  throw new JWSInvalid('Compact JWS must be a string or Uint8Array');
}

/** Calls a jose-style getKey function; returns the key or a Promise of it. */
function getKey(fn, token) {
  const header = decodeProtectedHeader(token);
  const [protectedB64, payload, signature] = token.split('.');
  return fn(header, { payload, signature, protected: protectedB64 });
}

const claimsOf = (token) => () => decodeJwt(token);

function jwtOnce(token, key, o) {
  try {
    if (key instanceof KeyObject) {
      const [protectedHeader, payload] = JSON.parse(wasm.jwtVerify(token, keyHandle(key), o.now, o.json));
      return { payload, protectedHeader };
    }
    if (key instanceof Uint8Array) {
      const [protectedHeader, payload] = JSON.parse(wasm.jwtVerifySecret(token, key, o.now, o.json));
      return { payload, protectedHeader };
    }
    const s = typeof key === 'function' ? key[JWKS] : undefined;
    if (s !== undefined) {
      const [protectedHeader, payload, i] = JSON.parse(wasm.jwtVerifySet(token, s.set, o.now, o.json));
      return i >= 0 ? { payload, protectedHeader, key: s.keyAt(i) } : { payload, protectedHeader };
    }
    if (isObject(key) && typeof key.kty === 'string') {
      const { handle } = toHandle(key);
      try {
        const [protectedHeader, payload] = JSON.parse(wasm.jwtVerify(token, handle, o.now, o.json));
        return { payload, protectedHeader };
      } finally {
        handle.free();
      }
    }
  } catch (e) {
    throw fromWasm(e, claimsOf(token));
  }
  throw argType('key must be a KeyObject, a Uint8Array secret, a JWK object or a JWK Set function');
}

/**
 * Verifies a JWT's signature and claims (RFC 7519 §7.2). Returns `{ payload, protectedHeader }`
 * (plus `key` when `key` is a function). Synchronous unless `key` is a remote JWK Set
 * (createRemoteJWKSet) or a function returning a Promise.
 */
export function jwtVerify(jwt, key, options) {
  if (isRemoteJWKSet(key)) {
    // Everything, argument errors included, is a rejection of the returned Promise.
    return (async () => {
      const token = tokenString(jwt);
      const o = jwtVerifyOptions(options);
      return withRemoteKeys(key, (local) => jwtOnce(token, local, o));
    })();
  }
  const token = tokenString(jwt);
  const o = jwtVerifyOptions(options);
  if (typeof key === 'function' && key[JWKS] === undefined) {
    const k = getKey(key, token);
    if (k !== null && typeof k === 'object' && typeof k.then === 'function') {
      return Promise.resolve(k).then((resolved) => ({ ...jwtOnce(token, resolved, o), key: resolved }));
    }
    return { ...jwtOnce(token, k, o), key: k };
  }
  return jwtOnce(token, key, o);
}

function jwsResult(r) {
  const out = { payload: r[1], protectedHeader: JSON.parse(r[0]) };
  return out;
}

function jwsOnce(token, key, json) {
  try {
    if (key instanceof KeyObject) {
      return jwsResult(wasm.jwsVerify(token, keyHandle(key), json));
    }
    if (key instanceof Uint8Array) {
      return jwsResult(wasm.jwsVerifySecret(token, key, json));
    }
    const s = typeof key === 'function' ? key[JWKS] : undefined;
    if (s !== undefined) {
      const r = wasm.jwsVerifySet(token, s.set, json);
      const out = jwsResult(r);
      if (r[2] >= 0) out.key = s.keyAt(r[2]);
      return out;
    }
    if (isObject(key) && typeof key.kty === 'string') {
      const { handle } = toHandle(key);
      try {
        return jwsResult(wasm.jwsVerify(token, handle, json));
      } finally {
        handle.free();
      }
    }
  } catch (e) {
    throw fromWasm(e);
  }
  throw argType('key must be a KeyObject, a Uint8Array secret, a JWK object or a JWK Set function');
}

/**
 * Verifies a compact JWS (RFC 7515 §5.2). Returns `{ payload: Uint8Array, protectedHeader }`
 * (plus `key` when `key` is a function); a Promise of it for a remote JWK Set.
 */
export function compactVerify(jws, key, options) {
  if (isRemoteJWKSet(key)) {
    return (async () => {
      const token = tokenString(jws);
      const json = jwsVerifyOptions(options);
      return withRemoteKeys(key, (local) => jwsOnce(token, local, json));
    })();
  }
  const token = tokenString(jws);
  const json = jwsVerifyOptions(options);
  if (typeof key === 'function' && key[JWKS] === undefined) {
    const k = getKey(key, token);
    if (k !== null && typeof k === 'object' && typeof k.then === 'function') {
      return Promise.resolve(k).then((resolved) => ({ ...jwsOnce(token, resolved, json), key: resolved }));
    }
    return { ...jwsOnce(token, k, json), key: k };
  }
  return jwsOnce(token, key, json);
}
