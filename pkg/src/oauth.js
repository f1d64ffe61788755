// OAuth 2.0 / OpenID Connect building blocks usable without a Client: PKCE (RFC 7636), state and
// nonce, ID Token validation (OpenID Connect Core 1.0 §3.1.3.7), client assertions (RFC 7523),
// resource-server helpers (RFC 6750 bearer extraction and WWW-Authenticate, RFC 9068 JWT access
// tokens) and back-channel logout tokens. Everything is synchronous except a validation against
// a remote JWK Set (createRemoteJWKSet), which returns a Promise.

import * as wasm from '../gen/oidckit.js';
import { WasmKey } from '../gen/oidckit.js';
import { argType, fromWasm, typeError } from './errors.js';
import { JWKS } from './jwks.js';
import { KeyObject, keyHandle, toHandle } from './keys.js';
import { isRemoteJWKSet, withRemoteKeys } from './remote-jwks.js';
import { MAX_CLOCK_TOLERANCE } from './options.js';
import { decodeJwt, decodeProtectedHeader } from './decode.js';
import { encoder, isObject, nowSeconds, secs } from './util.js';

/** Calls the wasm module, mapping what it throws to the public error classes. */
export function call(fn, payload) {
  try {
    return fn();
  } catch (e) {
    throw fromWasm(e, payload);
  }
}

const claimsOf = (token) => () => decodeJwt(token);

// ---- PKCE, state, nonce --------------------------------------------------------------------

/** A fresh PKCE code verifier (RFC 7636 §4.1): 43 base64url characters, 256 bits of entropy. */
export function generateCodeVerifier() {
  return call(() => wasm.oauthRandom('verifier'));
}

/** The S256 code challenge of a verifier (RFC 7636 §4.2). Plain PKCE is not offered. */
export function calculatePKCECodeChallenge(codeVerifier) {
  if (typeof codeVerifier !== 'string') throw argType('"codeVerifier" must be a string');
  return call(() => wasm.oauthCodeChallenge(codeVerifier));
}

/** A fresh `state` value (RFC 6749 §10.12), 256 bits from the platform CSPRNG. */
export function generateState() {
  return call(() => wasm.oauthRandom('state'));
}

/** A fresh `nonce` value (OpenID Connect Core 1.0 §15.5.2), 256 bits from the platform CSPRNG. */
export function generateNonce() {
  return call(() => wasm.oauthRandom('nonce'));
}

// ---- option helpers --------------------------------------------------------------------------

export function checkKeys(options, allowed, fn) {
  if (options === undefined) return {};
  if (!isObject(options)) throw argType(`${fn} options must be an object`);
  for (const k of Object.keys(options)) {
    if (!allowed.includes(k)) throw typeError(`unknown ${fn} option "${k}"`);
  }
  return options;
}

export function optString(o, name) {
  const v = o[name];
  if (v !== undefined && typeof v !== 'string') throw argType(`"${name}" must be a string`);
  return v;
}

export function reqString(o, name) {
  const v = o[name];
  if (typeof v !== 'string' || v === '') throw argType(`"${name}" must be a non-empty string`);
  return v;
}

export function optBool(o, name) {
  const v = o[name];
  if (v !== undefined && typeof v !== 'boolean') throw argType(`"${name}" must be a boolean`);
  return v;
}

export function optStringArray(o, name) {
  const v = o[name];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) {
    throw argType(`"${name}" must be a string or an array of strings`);
  }
  return v;
}

export function optSeconds(o, name, max) {
  const v = o[name];
  if (v === undefined) return undefined;
  const n = typeof v === 'string' ? secs(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || (max !== undefined && n > max)) {
    throw typeError(`"${name}" must be a non-negative number of seconds${max === undefined ? '' : ` (at most ${max})`} or a time span like '30s'`);
  }
  return Math.floor(n);
}

export const clockTolerance = (o) => optSeconds(o, 'clockTolerance', MAX_CLOCK_TOLERANCE) ?? 0;

// ---- key sources -----------------------------------------------------------------------------

/**
 * Runs `run(kind, handle)` with the wasm key source of `keys`: `('key', WasmKey)` for a
 * KeyObject, a Uint8Array secret or a JWK object; `('set', WasmJwkSet)` for a createLocalJWKSet
 * function. A createRemoteJWKSet function gives a Promise (one reload on an unknown `kid`); any
 * other function is called as jose's getKey `(protectedHeader, token)`.
 */
export function withKeySource(keys, token, run) {
  if (isRemoteJWKSet(keys)) {
    return withRemoteKeys(keys, (local) => withKeySource(local, token, run));
  }
  if (typeof keys === 'function') {
    const s = keys[JWKS];
    if (s !== undefined) return run('set', s.set);
    const header = call(() => decodeProtectedHeader(token));
    const [p, payload, signature] = token.split('.');
    const k = keys(header, { payload, signature, protected: p });
    if (k !== null && typeof k === 'object' && typeof k.then === 'function') {
      return Promise.resolve(k).then((resolved) => withKeySource(resolved, token, run));
    }
    return withKeySource(k, token, run);
  }
  if (keys instanceof KeyObject) return run('key', keyHandle(keys));
  if (keys instanceof Uint8Array || (isObject(keys) && typeof keys.kty === 'string')) {
    const { handle, temp } = call(() => toHandle(keys));
    try {
      return run('key', handle);
    } finally {
      if (temp) handle.free();
    }
  }
  throw argType('keys must be a KeyObject, a Uint8Array secret, a JWK, or a JWK Set function (createLocalJWKSet / createRemoteJWKSet)');
}

function tokenString(token, what) {
  if (typeof token !== 'string') throw argType(`${what} must be a string`);
  return token;
}

// ---- ID Tokens -------------------------------------------------------------------------------

const ID_TOKEN_OPTIONS = [
  'issuer', 'clientId', 'audience', 'algorithms', 'nonce', 'maxAge', 'requireAuthTime', 'accessToken', 'code',
  'requireAtHash', 'requireCHash', 'clockTolerance', 'maxTokenAge', 'currentDate', 'original', 'continuity',
];

/** The JSON options of oauthValidateIdToken from validateIdToken's options. */
export function idTokenOptions(options) {
  const o = checkKeys(options, ID_TOKEN_OPTIONS, 'validateIdToken');
  const clientId = o.clientId ?? o.audience;
  if (typeof clientId !== 'string' || clientId === '') throw argType('"clientId" must be a non-empty string');
  const out = {
    issuer: reqString(o, 'issuer'),
    clientId,
    algorithms: optStringArray(o, 'algorithms'),
    nonce: optString(o, 'nonce'),
    maxAge: optSeconds(o, 'maxAge'),
    requireAuthTime: optBool(o, 'requireAuthTime'),
    accessToken: optString(o, 'accessToken'),
    code: optString(o, 'code'),
    requireAtHash: optBool(o, 'requireAtHash'),
    requireCHash: optBool(o, 'requireCHash'),
    clockTolerance: clockTolerance(o),
    maxTokenAge: optSeconds(o, 'maxTokenAge'),
    original: o.original,
    continuity: optString(o, 'continuity'),
  };
  if (out.original !== undefined && !isObject(out.original)) throw argType('"original" must be the original ID Token\'s claims');
  return { json: JSON.stringify(out), now: nowSeconds(o.currentDate) };
}

function idTokenResult(json) {
  const [protectedHeader, payload] = JSON.parse(json);
  return { payload, protectedHeader };
}

/** Validates with already-normalised options (the Client's path). */
export function validateIdTokenWith(token, keys, json, now) {
  return withKeySource(keys, token, (kind, h) =>
    idTokenResult(
      call(
        () => (kind === 'key' ? wasm.oauthValidateIdToken(token, h, json, now) : wasm.oauthValidateIdTokenSet(token, h, json, now)),
        claimsOf(token),
      ),
    ),
  );
}

/**
 * Validates an ID Token (OpenID Connect Core 1.0 §3.1.3.7, §3.2.2.11, §3.3.2.12): signature with
 * an allowed algorithm (`algorithms`, RS256 by default), `iss` = `issuer`, `aud` contains
 * `clientId` (`azp` when several), `exp`, `iat`, `nonce`, `auth_time` vs `maxAge`, `at_hash` /
 * `c_hash` against `accessToken` / `code`; with `original` (the first ID Token's claims) the
 * §12.2 refresh rules. Returns `{ payload, protectedHeader }`; a Promise of it for a remote JWK Set.
 */
export function validateIdToken(idToken, keyOrJwks, options) {
  const token = tokenString(idToken, 'idToken');
  const { json, now } = idTokenOptions(options);
  return validateIdTokenWith(token, keyOrJwks, json, now);
}

// ---- client assertions (RFC 7523) ------------------------------------------------------------

const ASSERTION_OPTIONS = ['clientId', 'audience', 'key', 'alg', 'kid', 'x5t', 'lifetime', 'claims'];
const BEARER_ASSERTION_OPTIONS = ['issuer', 'subject', 'audience', 'key', 'alg', 'kid', 'x5t', 'lifetime', 'claims'];

function signAssertion(o, spec) {
  const { key } = o;
  const claims = o.claims;
  if (claims !== undefined && !isObject(claims)) throw argType('"claims" must be an object');
  const lifetime = optSeconds(o, 'lifetime');
  const json = JSON.stringify({
    ...spec,
    audience: reqString(o, 'audience'),
    alg: optString(o, 'alg'),
    kid: optString(o, 'kid'),
    x5t: optString(o, 'x5t'),
    lifetime,
    claims,
  });
  const now = nowSeconds();
  if (key instanceof KeyObject) return call(() => wasm.oauthAssertion(json, keyHandle(key), now));
  if (key instanceof Uint8Array) {
    const h = call(() => WasmKey.fromSecret(key, optString(o, 'alg'), false));
    try {
      return call(() => wasm.oauthAssertion(json, h, now));
    } finally {
      h.free();
    }
  }
  throw argType('"key" must be a KeyObject (private key) or a Uint8Array secret');
}

/**
 * A client assertion for `private_key_jwt` / `client_secret_jwt` (RFC 7523 §2.2, §3; OpenID
 * Connect Core 1.0 §9): header `alg`, `kid` / `x5t` (from the key when not given), claims `iss` =
 * `sub` = clientId, `aud` = audience (the token endpoint), random `jti`, `iat`, `exp` = iat +
 * lifetime (60 s by default, at most 300 s) plus `claims`.
 */
export function createClientAssertion(options) {
  const o = checkKeys(options, ASSERTION_OPTIONS, 'createClientAssertion');
  if (options === undefined) throw argType('createClientAssertion needs options');
  return signAssertion(o, { kind: 'client', clientId: reqString(o, 'clientId') });
}

/**
 * A JWT bearer grant assertion (RFC 7523 §2.1, §3): `iss` = issuer (the client), `sub` =
 * subject (e.g. a user name), `aud` = audience (the authorization server), random `jti`, `iat`,
 * `exp`, plus `claims`.
 */
export function createJwtBearerAssertion(options) {
  const o = checkKeys(options, BEARER_ASSERTION_OPTIONS, 'createJwtBearerAssertion');
  if (options === undefined) throw argType('createJwtBearerAssertion needs options');
  return signAssertion(o, { kind: 'bearer', issuer: reqString(o, 'issuer'), subject: reqString(o, 'subject') });
}

// ---- resource servers (RFC 6750, RFC 9068) ---------------------------------------------------

function header(headers, name) {
  if (headers === undefined || headers === null) return undefined;
  if (typeof headers.get === 'function') return headers.get(name) ?? undefined;
  if (typeof headers === 'object') {
    const v = headers[name] ?? headers[name.toLowerCase()];
    if (Array.isArray(v)) return v.join(', ');
    return typeof v === 'string' ? v : undefined;
  }
  return undefined;
}

/**
 * The bearer token of an incoming request (RFC 6750 §2): the `Authorization: Bearer` header
 * (§2.1), an `access_token` form body parameter (§2.2; pass the body as `body`, a string or
 * URLSearchParams, since a stream cannot be read synchronously) or query parameter (§2.3).
 * `requestLike` is a fetch `Request`, a Node `IncomingMessage` or `{ headers, url?, body? }`.
 * Returns `undefined` when there is none; more than one method is an OperationProcessingError
 * (`OAUTH_INVALID_REQUEST`, answer `invalid_request`).
 */
export function extractBearerToken(requestLike) {
  if (requestLike === null || typeof requestLike !== 'object') throw argType('requestLike must be a request object');
  const authorization = header(requestLike.headers, 'authorization');
  let query;
  const { url } = requestLike;
  if (typeof url === 'string') {
    const i = url.indexOf('?');
    if (i >= 0) query = url.slice(i + 1).split('#')[0];
  }
  let form;
  const { body } = requestLike;
  if (typeof body === 'string') form = body;
  else if (body instanceof URLSearchParams) form = body.toString();
  if (form !== undefined) {
    const ct = header(requestLike.headers, 'content-type') ?? '';
    if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(ct)) form = undefined;
  }
  return call(() => wasm.oauthExtractBearer(authorization, form, query));
}

const BEARER_ERRORS = ['invalid_request', 'invalid_token', 'insufficient_scope'];

/**
 * A `WWW-Authenticate` value for a bearer-protected resource (RFC 6750 §3): `error` is
 * 'invalid_request' | 'invalid_token' | 'insufficient_scope' or an error thrown by
 * extractBearerToken / validateJwtAccessToken (mapped: OAUTH_INVALID_REQUEST → invalid_request,
 * a failed `scope` check → insufficient_scope, anything else → invalid_token with a generic
 * description). `description`, `realm`, `scope` are optional.
 */
export function wwwAuthenticate(options = {}) {
  const o = checkKeys(options, ['error', 'description', 'realm', 'scope'], 'wwwAuthenticate');
  let { error, description } = o;
  if (error instanceof Error) {
    if (error.code === 'OAUTH_INVALID_REQUEST') {
      description ??= error.message;
      error = 'invalid_request';
    } else if (error.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' && error.claim === 'scope' && error.reason === 'check_failed') {
      description ??= error.message;
      error = 'insufficient_scope';
    } else if (error.code === 'ERR_JWT_EXPIRED') {
      description ??= 'the access token expired';
      error = 'invalid_token';
    } else if (error.code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
      description ??= error.message;
      error = 'invalid_token';
    } else {
      description ??= 'the access token is invalid';
      error = 'invalid_token';
    }
  }
  if (error !== undefined && !BEARER_ERRORS.includes(error)) {
    throw typeError('"error" must be invalid_request, invalid_token, insufficient_scope or an Error');
  }
  return call(() => wasm.oauthWwwAuthenticate(error, optString({ description }, 'description'), optString(o, 'realm'), optString(o, 'scope')));
}

const ACCESS_TOKEN_OPTIONS = ['issuer', 'audience', 'algorithms', 'requiredScopes', 'clockTolerance', 'currentDate'];

/**
 * Validates a JWT access token (RFC 9068 §4): `typ` `at+jwt`, signature (an allowed asymmetric
 * algorithm, RS256 by default), `iss`, `aud`, `exp`, `iat`, `sub`, `client_id`, `jti`, and the
 * `requiredScopes`. Returns `{ payload, protectedHeader }`; a Promise of it for a remote JWK Set.
 */
export function validateJwtAccessToken(token, keys, options) {
  const t = tokenString(token, 'token');
  const o = checkKeys(options, ACCESS_TOKEN_OPTIONS, 'validateJwtAccessToken');
  const audience = optStringArray(o, 'audience');
  if (!audience || audience.length === 0) throw argType('"audience" must be a string or a non-empty array of strings');
  const json = JSON.stringify({
    issuer: reqString(o, 'issuer'),
    audience,
    algorithms: optStringArray(o, 'algorithms'),
    requiredScopes: optStringArray(o, 'requiredScopes'),
    clockTolerance: clockTolerance(o),
  });
  const now = nowSeconds(o.currentDate);
  return withKeySource(keys, t, (kind, h) => {
    const payload = JSON.parse(
      call(
        () => (kind === 'key' ? wasm.oauthValidateAccessToken(t, h, json, now) : wasm.oauthValidateAccessTokenSet(t, h, json, now)),
        claimsOf(t),
      ),
    );
    return { payload, protectedHeader: decodeProtectedHeader(t) };
  });
}

const LOGOUT_OPTIONS = ['issuer', 'clientId', 'audience', 'algorithms', 'clockTolerance', 'maxTokenAge', 'currentDate'];

/**
 * Validates a back-channel Logout Token (OpenID Connect Back-Channel Logout 1.0 §2.4, §2.6):
 * signature, `iss`, `aud`, `iat` (and its age with `maxTokenAge`), `jti`, the logout event,
 * `sub` and/or `sid`, no `nonce`, `typ` `logout+jwt` when present. Returns
 * `{ payload, protectedHeader }`; a Promise of it for a remote JWK Set.
 */
export function validateLogoutToken(token, keys, options) {
  const t = tokenString(token, 'token');
  const o = checkKeys(options, LOGOUT_OPTIONS, 'validateLogoutToken');
  const clientId = o.clientId ?? o.audience;
  if (typeof clientId !== 'string' || clientId === '') throw argType('"clientId" must be a non-empty string');
  const json = JSON.stringify({
    issuer: reqString(o, 'issuer'),
    clientId,
    algorithms: optStringArray(o, 'algorithms'),
    clockTolerance: clockTolerance(o),
    maxAgeOfIat: optSeconds(o, 'maxTokenAge'),
  });
  const now = nowSeconds(o.currentDate);
  return withKeySource(keys, t, (kind, h) => {
    const payload = JSON.parse(
      call(
        () => (kind === 'key' ? wasm.oauthValidateLogoutToken(t, h, json, now) : wasm.oauthValidateLogoutTokenSet(t, h, json, now)),
        claimsOf(t),
      ),
    );
    return { payload, protectedHeader: decodeProtectedHeader(t) };
  });
}

/** UTF-8 bytes of a client secret (the HMAC key of HS* ID Tokens, OpenID Connect Core 1.0 §10.1). */
export const secretBytes = (secret) => encoder.encode(secret);
