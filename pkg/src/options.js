// Option validation for jwtVerify / compactVerify: jose's option names; unknown keys or wrong
// types are a TypeError with code ERR_INVALID_ARG_VALUE (never silently ignored). The result is
// the JSON text the wasm side parses (src/wasm/jose.rs `Options`).

import { typeError } from './errors.js';
import { isObject, nowSeconds, secs } from './util.js';

/** The largest clockTolerance, in seconds (the core enforces it too). */
export const MAX_CLOCK_TOLERANCE = 600;

const JWT_KEYS = new Set([
  'algorithms', 'issuer', 'audience', 'subject', 'typ', 'clockTolerance', 'maxTokenAge',
  'requiredClaims', 'currentDate', 'crit',
]);
const JWS_KEYS = new Set(['algorithms', 'crit']);

const isStringArray = (v) => Array.isArray(v) && v.every((s) => typeof s === 'string');

function checkObject(options, allowed, fn) {
  if (!isObject(options)) {
    throw typeError(`${fn} options must be an object`);
  }
  for (const k of Object.keys(options)) {
    if (!allowed.has(k)) {
      throw typeError(`unknown ${fn} option "${k}"`);
    }
  }
}

function algorithms(v, out) {
  if (v === undefined) return;
  if (!isStringArray(v)) {
    throw typeError('"algorithms" option must be an array of strings');
  }
  out.algorithms = v;
}

function crit(v, out) {
  if (v === undefined) return;
  if (!isObject(v) || !Object.values(v).every((b) => typeof b === 'boolean')) {
    throw typeError('"crit" option must be an object with boolean values');
  }
  const names = Object.keys(v);
  if (names.length) out.crit = names;
}

function stringOrArray(name, v) {
  if (typeof v === 'string') return [v];
  if (isStringArray(v) && v.length > 0) return v;
  throw typeError(`"${name}" option must be a string or a non-empty array of strings`);
}

function seconds(name, v, max) {
  const n = typeof v === 'string' ? secs(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || (max !== undefined && n > max)) {
    throw typeError(`"${name}" option must be a non-negative number of seconds${max === undefined ? '' : ` (at most ${max})`} or a time span string like '30s'`);
  }
  return Math.floor(n);
}

/** Validates jwtVerify options: `{ json, now }` for the wasm call. */
export function jwtVerifyOptions(options) {
  if (options === undefined) {
    return { json: undefined, now: nowSeconds(undefined) };
  }
  checkObject(options, JWT_KEYS, 'jwtVerify');
  const out = {};
  algorithms(options.algorithms, out);
  crit(options.crit, out);
  const { issuer, audience, subject, typ, clockTolerance, maxTokenAge, requiredClaims, currentDate } = options;
  if (issuer !== undefined) out.issuer = stringOrArray('issuer', issuer);
  if (audience !== undefined) out.audience = stringOrArray('audience', audience);
  if (subject !== undefined) {
    if (typeof subject !== 'string') throw typeError('"subject" option must be a string');
    out.subject = subject;
  }
  if (typ !== undefined) {
    if (typeof typ !== 'string') throw typeError('"typ" option must be a string');
    out.typ = typ;
  }
  if (clockTolerance !== undefined) {
    out.clockTolerance = seconds('clockTolerance', clockTolerance, MAX_CLOCK_TOLERANCE);
  }
  if (maxTokenAge !== undefined) out.maxTokenAge = seconds('maxTokenAge', maxTokenAge);
  if (requiredClaims !== undefined) {
    if (!isStringArray(requiredClaims)) throw typeError('"requiredClaims" option must be an array of strings');
    out.requiredClaims = requiredClaims;
  }
  let now;
  try {
    now = nowSeconds(currentDate);
  } catch (e) {
    throw typeError(e.message);
  }
  return { json: JSON.stringify(out), now };
}

/** Validates compactVerify options: the JSON text for the wasm call (or undefined). */
export function jwsVerifyOptions(options) {
  if (options === undefined) {
    return undefined;
  }
  checkObject(options, JWS_KEYS, 'compactVerify');
  const out = {};
  algorithms(options.algorithms, out);
  crit(options.crit, out);
  return JSON.stringify(out);
}
