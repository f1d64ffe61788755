// createRemoteJWKSet: a JWK Set (RFC 7517 §5) fetched from the issuer's `jwks_uri` (OpenID
// Connect Discovery 1.0 §3, RFC 8414 §2), cached, and refetched when a token names an unknown key
// (OpenID Connect Core 1.0 §10.1.1: key rotation). jose's option names and properties, plus:
// Cache-Control max-age / Age (RFC 9111 §5.2.2.1, §4.2.3), ETag / If-None-Match with 304
// (RFC 9110 §13.1.2, §15.4.5), a pluggable cache (edge KV stores), concurrent misses collapsed
// into one fetch, https only (http only for loopback hosts with `allowInsecureRequests`), no
// redirects, a response size limit and strict JSON (duplicate members rejected). `jku` and `x5u`
// header parameters are never followed (RFC 8725 §3.10): keys come from the configured URL only.

import { JOSEError, JWKSInvalid, OperationProcessingError, argType, typeError } from './errors.js';
import { abortable, readBody } from './http.js';
import { createLocalJWKSet, localJWKSetFromJson } from './jwks.js';
import { isObject } from './util.js';

/** Marks a function returned by createRemoteJWKSet; the value is its internal state. */
const REMOTE = Symbol('oidckit.remoteJwks');

/** The largest JWK Set response body accepted, in bytes. */
export const MAX_JWKS_RESPONSE_BYTES = 512 * 1024;

/** The longest freshness lifetime a response's Cache-Control may grant (24 h, in ms). */
const MAX_HEADER_LIFETIME = 24 * 3600 * 1000;

const OPTION_KEYS = new Set([
  'timeoutDuration', 'cooldownDuration', 'cacheMaxAge', 'headers', 'fetch', 'cache', 'allowInsecureRequests',
]);

const utf8 = new TextDecoder('utf-8', { fatal: true });

function isCloudflareWorkers() {
  // As jose: a pending fetch cannot be awaited from another request's context there.
  return (
    typeof WebSocketPair !== 'undefined' ||
    (typeof navigator !== 'undefined' && navigator.userAgent === 'Cloudflare-Workers') ||
    (typeof EdgeRuntime !== 'undefined' && EdgeRuntime === 'vercel')
  );
}

/** 127.0.0.0/8, ::1 and localhost (RFC 6761 §6.3; RFC 8252 §8.3). */
function isLoopback(hostname) {
  const h = hostname.toLowerCase();
  return (
    h === 'localhost' || h.endsWith('.localhost') || h === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)
  );
}

function duration(options, name, fallback, integer = false) {
  const v = options[name];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || Number.isNaN(v) || v < 0 || (integer && !Number.isSafeInteger(v))) {
    throw typeError(`"${name}" option must be a non-negative ${integer ? 'integer' : 'number'} of milliseconds`);
  }
  return v;
}

function parseUrl(url, allowInsecureRequests) {
  let u;
  if (url instanceof URL) {
    u = new URL(url.href);
  } else if (typeof url === 'string') {
    try {
      u = new URL(url);
    } catch {
      throw typeError('the JWK Set URL is not a valid absolute URL');
    }
  } else {
    throw argType('url must be a URL or a string');
  }
  if (u.username || u.password) {
    throw typeError('the JWK Set URL must not contain credentials');
  }
  if (u.protocol === 'https:') return u;
  if (u.protocol === 'http:' && allowInsecureRequests && isLoopback(u.hostname)) return u;
  throw new OperationProcessingError(
    u.protocol === 'http:'
      ? 'the JWK Set URL must use https (http only for a loopback host with allowInsecureRequests: true)'
      : 'the JWK Set URL must use https',
    'OAUTH_HTTP_REQUEST_FORBIDDEN',
  );
}

function validateOptions(options) {
  if (options === undefined) return {};
  if (!isObject(options)) throw typeError('createRemoteJWKSet options must be an object');
  for (const k of Object.keys(options)) {
    if (!OPTION_KEYS.has(k)) throw typeError(`unknown createRemoteJWKSet option "${k}"`);
  }
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    throw argType('"fetch" option must be a function');
  }
  const { cache } = options;
  if (cache !== undefined && (cache === null || typeof cache !== 'object' || typeof cache.get !== 'function' || typeof cache.set !== 'function')) {
    throw argType('"cache" option must be an object with get(key) and set(key, entry) methods');
  }
  if (options.allowInsecureRequests !== undefined && typeof options.allowInsecureRequests !== 'boolean') {
    throw argType('"allowInsecureRequests" option must be a boolean');
  }
  return options;
}

/**
 * The freshness lifetime (ms) a response grants through Cache-Control (RFC 9111 §5.2.2.1
 * max-age; no-store / no-cache → 0) minus its Age (RFC 9111 §5.1), or undefined when it says
 * nothing usable (the cacheMaxAge option applies then).
 */
export function headerLifetime(headers) {
  const cc = headers.get('cache-control');
  if (cc === null) return undefined;
  let maxAge;
  for (const part of cc.split(',')) {
    const [rawName, ...rest] = part.split('=');
    const name = rawName.trim().toLowerCase();
    if (name === 'no-store' || name === 'no-cache') return 0;
    if (name === 'max-age' && rest.length === 1) {
      const value = rest[0].trim().replace(/^"(\d+)"$/, '$1');
      if (/^\d+$/.test(value)) maxAge = Math.min(Number(value), 2 ** 31);
    }
  }
  if (maxAge === undefined) return undefined;
  const age = headers.get('age');
  const ageSeconds = age !== null && /^\s*\d+\s*$/.test(age) ? Number(age) : 0;
  return Math.min(Math.max(maxAge - ageSeconds, 0) * 1000, MAX_HEADER_LIFETIME);
}

function tooLarge() {
  return new JOSEError(`the JSON Web Key Set HTTP response is larger than ${MAX_JWKS_RESPONSE_BYTES} bytes`);
}

/**
 * Parses a JWK Set body strictly (the wasm parser: duplicate member names and malformed JSON are
 * `JWKSInvalid`) into the local set.
 */
function parseJwks(bytes) {
  let text;
  try {
    text = utf8.decode(bytes);
  } catch (cause) {
    throw new JWKSInvalid('the JSON Web Key Set HTTP response is not UTF-8', { cause });
  }
  const local = localJWKSetFromJson(text);
  return { jwks: local.jwks(), local };
}

/** Validates an entry read from the pluggable cache; undefined when unusable. */
function cachedEntry(e) {
  if (!isObject(e) || typeof e.uat !== 'number' || !Number.isFinite(e.uat)) return undefined;
  if (e.etag != null && typeof e.etag !== 'string') return undefined;
  if (e.maxAge != null && (typeof e.maxAge !== 'number' || !(e.maxAge >= 0))) return undefined;
  try {
    // An entry from the future (another instance's clock) counts as fetched now.
    return { uat: Math.min(e.uat, Date.now()), jwks: e.jwks, etag: e.etag ?? undefined, maxAge: e.maxAge ?? undefined, local: createLocalJWKSet(e.jwks) };
  } catch {
    return undefined;
  }
}

/**
 * Creates a remote JWK Set (jose's createRemoteJWKSet): a function `(protectedHeader, token) =>
 * Promise<KeyObject>` that jwtVerify / compactVerify accept (they then return a Promise and try
 * every matching key of the current set), with `coolingDown`, `fresh`, `reloading`, `reload()`
 * and `jwks()`.
 */
export function createRemoteJWKSet(url, options) {
  const opts = validateOptions(options);
  const u = parseUrl(url, opts.allowInsecureRequests === true);
  const href = u.href;
  const timeoutDuration = duration(opts, 'timeoutDuration', 5000, true);
  const cooldownDuration = duration(opts, 'cooldownDuration', 30000);
  const cacheMaxAge = duration(opts, 'cacheMaxAge', 600000);
  let headers;
  try {
    headers = new Headers(opts.headers);
  } catch (cause) {
    const err = typeError(`"headers" option is invalid: ${cause?.message ?? cause}`);
    err.cause = cause;
    throw err;
  }
  if (!headers.has('accept')) headers.set('accept', 'application/json, application/jwk-set+json');
  headers.delete('if-none-match');
  const { cache } = opts;

  /** The current set: `{ local, jwks, uat, etag, maxAge }` or undefined. */
  let state;
  /** When the last fetch attempt started (success or failure): the cooldown counts from it. */
  let lastAttempt = -Infinity;
  let pending;
  let sequence = 0;
  let applied = 0;

  const lifetime = (s) => (s.maxAge === undefined ? cacheMaxAge : Math.max(s.maxAge, Math.min(cooldownDuration, cacheMaxAge)));
  const isFresh = () => state !== undefined && Date.now() < state.uat + lifetime(state);
  const coolingDown = () => Date.now() < Math.max(state?.uat ?? -Infinity, lastAttempt) + cooldownDuration;

  async function readCache() {
    try {
      return cachedEntry(await cache.get(href));
    } catch {
      return undefined; // a failing cache never fails verification: the network is used instead
    }
  }

  async function writeCache(s) {
    const entry = { uat: s.uat, jwks: s.jwks };
    if (s.etag !== undefined) entry.etag = s.etag;
    if (s.maxAge !== undefined) entry.maxAge = s.maxAge;
    try {
      await cache.set(href, entry);
    } catch {
      // as readCache
    }
  }

  async function fetchOnce() {
    const seq = ++sequence;
    lastAttempt = Date.now();
    const base = state;
    const h = new Headers(headers);
    if (base?.etag !== undefined) h.set('if-none-match', base.etag);
    const signal = AbortSignal.timeout(timeoutDuration);
    const fetchImpl = opts.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== 'function') throw argType('no fetch implementation: pass the "fetch" option');
    let next;
    try {
      next = await abortable(
        (async () => {
          const response = await fetchImpl(href, { method: 'GET', headers: h, redirect: 'manual', signal });
          const status = response.status;
          if (status === 304 && base?.etag !== undefined) {
            await response.body?.cancel?.().catch(() => {});
            const maxAge = headerLifetime(response.headers);
            const etag = response.headers.get('etag') ?? base.etag;
            return { ...base, etag, maxAge: maxAge ?? base.maxAge, uat: Date.now() };
          }
          if (response.type === 'opaqueredirect' || (status >= 300 && status < 400 && status !== 304)) {
            await response.body?.cancel?.().catch(() => {});
            throw new JOSEError('the JSON Web Key Set HTTP response is a redirect; redirects are not followed');
          }
          if (status !== 200) {
            await response.body?.cancel?.().catch(() => {});
            throw new JOSEError(`Expected 200 OK from the JSON Web Key Set HTTP response, got ${status}`);
          }
          const bytes = await readBody(response, MAX_JWKS_RESPONSE_BYTES, tooLarge);
          const { jwks, local } = parseJwks(bytes);
          return {
            local,
            jwks,
            uat: Date.now(),
            etag: response.headers.get('etag') ?? undefined,
            maxAge: headerLifetime(response.headers),
          };
        })(),
        signal,
      );
    } catch (err) {
      if (signal.aborted || err?.name === 'TimeoutError') {
        throw new JOSEError(`the JSON Web Key Set HTTP request timed out after ${timeoutDuration} ms`, { cause: err });
      }
      if (err instanceof JOSEError || err instanceof OperationProcessingError) throw err;
      throw new JOSEError(`the JSON Web Key Set HTTP request failed: ${err?.message ?? err}`, { cause: err });
    }
    if (seq > applied) {
      applied = seq;
      state = next;
      if (cache) await writeCache(next);
    }
  }

  /**
   * One load (concurrent callers share it). Unless `force`, a cache entry newer than the current
   * set is adopted first, and the network is skipped when it is fresh.
   */
  function load(force) {
    if (pending && isCloudflareWorkers()) pending = undefined;
    if (!pending) {
      const p = (async () => {
        if (cache && !force) {
          const e = await readCache();
          if (e !== undefined && (state === undefined || e.uat > state.uat)) {
            state = e;
            if (isFresh()) return;
          }
        }
        await fetchOnce();
      })().finally(() => {
        if (pending === p) pending = undefined;
      });
      pending = p;
    }
    return pending;
  }

  const remote = {
    /** The current local set, loading it first when missing or stale. */
    async current() {
      if (!isFresh()) await load(false);
      return state.local;
    },
    /** The current local set as it is (after current() or reloadOnMiss()). */
    local: () => state.local,
    /** After a no-match: a reload when the cooldown allows; true when the keys changed. */
    async reloadOnMiss() {
      if (coolingDown()) return false;
      const before = state?.local;
      await load(false);
      return state.local !== before;
    },
  };

  const getKey = async (protectedHeader, token) => {
    const local = await remote.current();
    try {
      return local(protectedHeader, token);
    } catch (err) {
      if (err?.code === 'ERR_JWKS_NO_MATCHING_KEY' && (await remote.reloadOnMiss())) {
        return remote.local()(protectedHeader, token);
      }
      throw err;
    }
  };

  return Object.defineProperties(getKey, {
    [REMOTE]: { value: remote },
    coolingDown: { get: coolingDown, enumerable: true },
    fresh: { get: isFresh, enumerable: true },
    reloading: { get: () => pending !== undefined, enumerable: true },
    reload: { value: () => load(true), enumerable: true },
    jwks: { value: () => state?.local.jwks(), enumerable: true },
  });
}

/** Whether `x` is a function returned by createRemoteJWKSet. */
export function isRemoteJWKSet(x) {
  return typeof x === 'function' && x[REMOTE] !== undefined;
}

/**
 * Runs `fn(localSet)` with a createLocalJWKSet function over the remote set's current keys
 * (loaded first when missing or stale); when `fn` fails with ERR_JWKS_NO_MATCHING_KEY and the
 * cooldown allows, reloads the set and runs `fn` once more with the new keys.
 */
export async function withRemoteKeys(remote, fn) {
  if (!isRemoteJWKSet(remote)) throw argType('expected a function returned by createRemoteJWKSet');
  const r = remote[REMOTE];
  const local = await r.current();
  try {
    return await fn(local);
  } catch (err) {
    if (err?.code === 'ERR_JWKS_NO_MATCHING_KEY' && (await r.reloadOnMiss())) {
      return fn(r.local());
    }
    throw err;
  }
}
