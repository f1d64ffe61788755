// Decoding without verification (jose's decodeJwt / decodeProtectedHeader), with the core's
// strict base64url and duplicate-rejecting JSON parser.

import * as wasm from '../gen/oidckit.js';
import { JWTInvalid, fromWasm } from './errors.js';

/** The claims of a JWT, NOT verified: for inspection only, never for authorization. */
export function decodeJwt(jwt) {
  if (typeof jwt !== 'string') {
    throw new JWTInvalid('JWTs must use Compact JWS serialization, JWT must be a string');
  }
  try {
    return JSON.parse(wasm.decodeJwt(jwt));
  } catch (e) {
    throw fromWasm(e);
  }
}

/** The protected header of a compact JWS or JWE, NOT verified. */
export function decodeProtectedHeader(token) {
  if (typeof token !== 'string') {
    throw new TypeError('Invalid Token or Protected Header formatting');
  }
  try {
    return JSON.parse(wasm.decodeProtectedHeader(token));
  } catch (e) {
    throw fromWasm(e);
  }
}
