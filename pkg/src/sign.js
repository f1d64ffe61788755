// SignJWT and CompactSign (jose's builders). sign() is synchronous and returns the token
// (`await` on it still works).

import * as wasm from '../gen/oidckit.js';
import { JWSInvalid, argType, fromWasm, typeError } from './errors.js';
import { KeyObject, keyHandle, toHandle } from './keys.js';
import { epoch, isObject, secs, toJson } from './util.js';

function checkHeader(header) {
  if (!isObject(header)) {
    throw argType('the protected header must be an object');
  }
  return header;
}

function signWith(key, viaKey, viaSecret) {
  try {
    if (key instanceof KeyObject) {
      return viaKey(keyHandle(key));
    }
    if (key instanceof Uint8Array) {
      return viaSecret(key);
    }
    if (isObject(key) && typeof key.kty === 'string') {
      const { handle } = toHandle(key);
      try {
        return viaKey(handle);
      } finally {
        handle.free();
      }
    }
  } catch (e) {
    throw fromWasm(e);
  }
  throw argType('key must be a KeyObject, a Uint8Array secret or a JWK object');
}

function finite(label, value) {
  if (!Number.isFinite(value)) {
    throw typeError(`Invalid ${label} input`);
  }
  return value;
}

/** NumericDate from a number (absolute seconds), a Date, or a relative time span string. */
function numericDate(value, label) {
  if (typeof value === 'number') return finite(label, value);
  if (value instanceof Date) return finite(label, epoch(value));
  if (typeof value === 'string') return epoch(new Date()) + secs(value);
  throw argType(`${label} input must be a number, a Date or a time span string`);
}

function stringClaim(claim, value) {
  if (typeof value !== 'string') {
    throw argType(`"${claim}" claim must be a string`);
  }
  return value;
}

/** Builds and signs a JWT (RFC 7519 §7.1). */
export class SignJWT {
  #payload;
  #header;

  /** @param payload the JWT Claims Set (copied) */
  constructor(payload = {}) {
    if (!isObject(payload)) {
      throw argType('JWT Claims Set MUST be an object');
    }
    this.#payload = structuredClone(payload);
  }

  setProtectedHeader(protectedHeader) {
    if (this.#header !== undefined) {
      throw typeError('setProtectedHeader can only be called once');
    }
    this.#header = checkHeader(protectedHeader);
    return this;
  }

  setIssuer(issuer) {
    this.#payload.iss = stringClaim('iss', issuer);
    return this;
  }

  setSubject(subject) {
    this.#payload.sub = stringClaim('sub', subject);
    return this;
  }

  setAudience(audience) {
    if (typeof audience !== 'string' && !(Array.isArray(audience) && audience.every((a) => typeof a === 'string'))) {
      throw argType('"aud" claim must be a string or an array of strings');
    }
    this.#payload.aud = audience;
    return this;
  }

  setJti(jwtId) {
    this.#payload.jti = stringClaim('jti', jwtId);
    return this;
  }

  setNotBefore(input) {
    this.#payload.nbf = numericDate(input, 'setNotBefore');
    return this;
  }

  setExpirationTime(input) {
    this.#payload.exp = numericDate(input, 'setExpirationTime');
    return this;
  }

  setIssuedAt(input) {
    this.#payload.iat = input === undefined ? epoch(new Date()) : numericDate(input, 'setIssuedAt');
    return this;
  }

  /** Signs with a KeyObject, a Uint8Array secret or a JWK object; returns the compact JWT. */
  sign(key) {
    if (this.#header === undefined) {
      throw new JWSInvalid('setProtectedHeader must be called before sign()');
    }
    for (const claim of ['iat', 'nbf', 'exp']) {
      const v = this.#payload[claim];
      if (typeof v === 'number' && !Number.isFinite(v)) {
        throw typeError(`"${claim}" claim must be a finite number`);
      }
    }
    const header = toJson(this.#header, 'the protected header');
    const claims = toJson(this.#payload, 'the JWT Claims Set');
    return signWith(
      key,
      (h) => wasm.jwtSign(header, claims, h),
      (s) => wasm.jwtSignSecret(header, claims, s),
    );
  }
}

/** Builds and signs a compact JWS (RFC 7515 §7.1) over arbitrary payload bytes. */
export class CompactSign {
  #payload;
  #header;

  /** @param payload the payload bytes */
  constructor(payload) {
    if (!(payload instanceof Uint8Array)) {
      throw argType('payload must be an instance of Uint8Array');
    }
    this.#payload = payload;
  }

  setProtectedHeader(protectedHeader) {
    if (this.#header !== undefined) {
      throw typeError('setProtectedHeader can only be called once');
    }
    this.#header = checkHeader(protectedHeader);
    return this;
  }

  /** Signs with a KeyObject, a Uint8Array secret or a JWK object; returns the compact JWS. */
  sign(key) {
    if (this.#header === undefined) {
      throw new JWSInvalid('setProtectedHeader must be called before sign()');
    }
    const header = toJson(this.#header, 'the protected header');
    const payload = this.#payload;
    return signWith(
      key,
      (h) => wasm.jwsSign(header, payload, h),
      (s) => wasm.jwsSignSecret(header, payload, s),
    );
  }
}
