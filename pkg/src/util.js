// Small shared helpers: argument checks, time, base64url, JSON.

import { argType, typeError } from './errors.js';

/** A plain object (jose's isObject): not null, not an array, prototype Object or null. */
export function isObject(input) {
  if (typeof input !== 'object' || input === null || Object.prototype.toString.call(input) !== '[object Object]') {
    return false;
  }
  const proto = Object.getPrototypeOf(input);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

export const encoder = new TextEncoder();
export const decoder = new TextDecoder();

/** Seconds since the epoch of a Date, as NumericDate (RFC 7519 §2). */
export const epoch = (date) => Math.floor(date.getTime() / 1000);

/** The current time in seconds, or `currentDate`'s. */
export function nowSeconds(currentDate) {
  if (currentDate === undefined) {
    return Math.floor(Date.now() / 1000);
  }
  if (!(currentDate instanceof Date)) {
    throw argType('"currentDate" option must be a Date');
  }
  const t = epoch(currentDate);
  if (!Number.isFinite(t)) {
    throw typeError('"currentDate" option must be a valid Date');
  }
  return t;
}

const MULTIPLIERS = { s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31557600 };
const DURATION =
  /^(\+|-)? ?(\d+|\d+\.\d+) ?(seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w|years?|yrs?|y)(?: (ago|from now))?$/i;

/**
 * A time span like '2h', '30m', '15 minutes', '-1h', '1 day ago' in seconds (jose's `secs`).
 * Throws a TypeError (ERR_INVALID_ARG_VALUE) for anything else.
 */
export function secs(str) {
  const m = typeof str === 'string' ? DURATION.exec(str) : null;
  if (!m || (m[4] && m[1])) {
    throw typeError('Invalid time period format');
  }
  const value = parseFloat(m[2]);
  const seconds = Math.round(value * MULTIPLIERS[m[3][0].toLowerCase()]);
  if (!Number.isFinite(seconds)) {
    throw typeError('Invalid time period format');
  }
  return m[1] === '-' || m[4]?.toLowerCase() === 'ago' ? -seconds : seconds;
}

/** A JSON text for the wasm side; JSON.stringify failures (cycles, BigInt) are misuse. */
export function toJson(value, what) {
  let s;
  try {
    s = JSON.stringify(value);
  } catch (cause) {
    const err = typeError(`${what} cannot be serialized as JSON: ${cause?.message ?? cause}`);
    err.cause = cause;
    throw err;
  }
  if (typeof s !== 'string') {
    throw typeError(`${what} cannot be serialized as JSON`);
  }
  return s;
}
