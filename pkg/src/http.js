// The one layer of the OAuth client that performs HTTP (the Rust engine is sans-IO: it builds
// requests and processes responses). Injectable `fetch`, a caller `signal`, a timeout (30 s by
// default), `redirect: 'manual'` (redirects are never followed: a 3xx reaches the response
// processors, which refuse it), and a response size limit (1 MiB, read incrementally).

import { OperationProcessingError, argType, typeError } from './errors.js';
import { isObject } from './util.js';

/** The largest response body accepted, in bytes (the engine's limit too). */
export const MAX_RESPONSE_BYTES = 1 << 20;

/** The default timeout of one HTTP request, in milliseconds. */
export const DEFAULT_TIMEOUT = 30000;

const REQUEST_OPTION_KEYS = ['fetch', 'signal', 'timeout'];

/**
 * Validates `{ fetch?, signal?, timeout? }` (request options) and merges them over `defaults`
 * (the client's `fetch` / `timeout`). Unknown keys are refused unless listed in `extra`.
 */
export function requestOptions(options, defaults = {}, extra = []) {
  if (options === undefined) options = {};
  if (!isObject(options)) throw argType('request options must be an object');
  for (const k of Object.keys(options)) {
    if (!REQUEST_OPTION_KEYS.includes(k) && !extra.includes(k)) {
      throw typeError(`unknown option "${k}"`);
    }
  }
  const fetchImpl = options.fetch ?? defaults.fetch;
  if (fetchImpl !== undefined && typeof fetchImpl !== 'function') throw argType('"fetch" option must be a function');
  const { signal } = options;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw argType('"signal" option must be an AbortSignal');
  const timeout = options.timeout ?? defaults.timeout ?? DEFAULT_TIMEOUT;
  if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) {
    throw typeError('"timeout" option must be a positive number of milliseconds');
  }
  return { fetch: fetchImpl, signal, timeout };
}

/**
 * The request's signal: the caller's `signal` combined with a timeout. The timer is an ordinary
 * (ref'd) one, cleared by `done()`, so a hung request still ends with a timeout error.
 */
function combinedSignal(signal, timeout) {
  const c = new AbortController();
  const t = { aborted: false };
  const timer = setTimeout(() => {
    t.aborted = true;
    c.abort(new DOMException(`the request timed out after ${timeout} ms`, 'TimeoutError'));
  }, timeout);
  const onAbort = () => c.abort(signal.reason);
  if (signal !== undefined) {
    if (signal.aborted) c.abort(signal.reason);
    else signal.addEventListener('abort', onAbort, { once: true });
  }
  const done = () => {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  };
  return { s: c.signal, t, done };
}

/** Rejects with the signal's reason if it fires first (an injected fetch may ignore `signal`). */
export function abortable(promise, signal) {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

function tooLarge() {
  return new OperationProcessingError(`the HTTP response body is larger than ${MAX_RESPONSE_BYTES} bytes`, 'OAUTH_INVALID_RESPONSE');
}

/**
 * The response body as bytes, read incrementally and refused beyond `limit` bytes (the error
 * comes from `tooLargeError()`, so each caller keeps its own error class).
 */
export async function readBody(response, limit = MAX_RESPONSE_BYTES, tooLargeError = tooLarge) {
  const length = response.headers.get('content-length');
  if (length !== null && /^\d+$/.test(length.trim()) && Number(length) > limit) {
    await response.body?.cancel?.().catch(() => {});
    throw tooLargeError();
  }
  const reader = response.body?.getReader?.();
  if (reader === undefined) {
    if (response.body === null) return new Uint8Array(0);
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (bytes.byteLength > limit) throw tooLargeError();
    return bytes;
  }
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw tooLargeError();
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** `[[name, value], ...]` of a Headers object (names lower-cased, as Headers gives them). */
export function headerPairs(headers) {
  const out = [];
  headers.forEach((value, name) => out.push([name, value]));
  return out;
}

/**
 * Sends one request built by the engine (`{ method, url, headers: [[n, v]], body }`) and reads
 * the response: `{ status, headers: Headers, headersJson, body: Uint8Array }`. A timeout or a
 * network failure is an OperationProcessingError (`OAUTH_INVALID_RESPONSE`, the cause kept);
 * an abort through the caller's `signal` rejects with the signal's reason.
 */
export async function send(req, opts) {
  const fetchImpl = opts.fetch ?? globalThis.fetch;
  if (typeof fetchImpl !== 'function') throw argType('no fetch implementation: pass the "fetch" option');
  const { s, t, done } = combinedSignal(opts.signal, opts.timeout);
  const init = {
    method: req.method,
    headers: new Headers(req.headers),
    redirect: 'manual',
    signal: s,
  };
  if (req.body !== null && req.body !== undefined) init.body = req.body;
  try {
    const response = await abortable(Promise.resolve().then(() => fetchImpl(req.url, init)), s);
    if (response === null || typeof response !== 'object' || typeof response.status !== 'number' || !response.headers) {
      throw new OperationProcessingError('fetch did not return a Response', 'OAUTH_INVALID_RESPONSE');
    }
    const body = await abortable(readBody(response), s);
    // An opaque redirect (browsers, redirect: 'manual') has status 0: report it as a 3xx.
    const status = response.type === 'opaqueredirect' ? 302 : response.status;
    return { status, headers: response.headers, headersJson: JSON.stringify(headerPairs(response.headers)), body };
  } catch (err) {
    throw failure(err, req.url, opts, t);
  } finally {
    done();
  }
}

function failure(err, url, opts, t) {
  if (opts.signal?.aborted && !t.aborted) return opts.signal.reason;
  if (err instanceof OperationProcessingError) return err;
  if (t.aborted) {
    return new OperationProcessingError(`the HTTP request to ${url} timed out after ${opts.timeout} ms`, 'OAUTH_INVALID_RESPONSE', { cause: err });
  }
  return new OperationProcessingError(`the HTTP request to ${url} failed: ${err?.message ?? err}`, 'OAUTH_INVALID_RESPONSE', { cause: err });
}

/**
 * A request to a protected resource (not an engine request): fetch with the timeout, the
 * caller's signal and `redirect: 'manual'`; returns the fetch Response unread.
 */
export async function sendRaw(url, init, opts) {
  const fetchImpl = opts.fetch ?? globalThis.fetch;
  if (typeof fetchImpl !== 'function') throw argType('no fetch implementation: pass the "fetch" option');
  const { s, t, done } = combinedSignal(opts.signal, opts.timeout);
  try {
    // The timer stops once the response headers are in: the caller reads the body.
    return await abortable(Promise.resolve().then(() => fetchImpl(url, { ...init, redirect: 'manual', signal: s })), s);
  } catch (err) {
    throw failure(err, url, opts, t);
  } finally {
    done();
  }
}
