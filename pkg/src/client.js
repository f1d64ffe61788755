// The OAuth 2.0 / OpenID Connect client: the async layer over the sans-IO engine (requests built
// and responses validated in wasm, HTTP in http.js). Secure defaults: authorization code + PKCE
// S256, state and nonce, RFC 9207 `iss`, every ID Token check of OpenID Connect Core 1.0
// §3.1.3.7 with keys from the OP's `jwks_uri` (refetched on an unknown `kid`), §12.2 refresh
// continuity, UserInfo `sub` check, https only (http on loopback by explicit opt-in).

import * as wasm from '../gen/oidckit.js';
import { WasmClientAuth } from '../gen/oidckit.js';
import { OperationProcessingError, argType, typeError } from './errors.js';
import { createLocalJWKSet } from './jwks.js';
import { KeyObject, keyHandle } from './keys.js';
import { createRemoteJWKSet } from './remote-jwks.js';
import { requestOptions, send, sendRaw } from './http.js';
import {
  call, checkKeys, clockTolerance, createJwtBearerAssertion, optString, reqString, secretBytes, validateIdTokenWith,
  withKeySource,
} from './oauth.js';
import { decoder, isObject, nowSeconds } from './util.js';

const CLIENT_OPTIONS = [
  'clientId', 'clientSecret', 'tokenEndpointAuthMethod', 'tokenEndpointAuthSigningAlg', 'privateKey', 'kid', 'x5t',
  'redirectUri', 'postLogoutRedirectUri', 'idTokenSignedResponseAlg', 'userinfoSignedResponseAlg',
  'requestObjectSigningAlg', 'dpop', 'jwks', 'fetch', 'timeout', 'allowInsecureRequests', 'clockTolerance',
];
const AUTH_METHODS = ['none', 'client_secret_basic', 'client_secret_post', 'client_secret_jwt', 'private_key_jwt'];

/** States of transactions already used (single use across clients of this realm), bounded. */
const CONSUMED = new Set();
const MAX_CONSUMED = 10000;

function consume(state) {
  CONSUMED.add(state);
  if (CONSUMED.size > MAX_CONSUMED) CONSUMED.delete(CONSUMED.values().next().value);
}

const orUndefined = (v) => (v === null ? undefined : v);

function strip(o) {
  for (const k of Object.keys(o)) if (o[k] === undefined || o[k] === null) delete o[k];
  return o;
}

/** A protocol parameter value: strings as they are, numbers and booleans as text. */
function paramValue(name, v) {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'boolean') return String(v);
  throw argType(`parameter "${name}" must be a string or a number`);
}

function pairsOf(params, what) {
  if (params === undefined) return [];
  if (params instanceof URLSearchParams) return [...params.entries()];
  if (!isObject(params)) throw argType(`${what} must be an object or URLSearchParams`);
  const out = [];
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined) continue;
    out.push([k, paramValue(k, v)]);
  }
  return out;
}

function parseJsonBody(res) {
  try {
    return JSON.parse(decoder.decode(res.body));
  } catch {
    return undefined;
  }
}

function isUseDpopNonce(dpop, res) {
  if (typeof dpop.isUseDpopNonceError === 'function') {
    try {
      return dpop.isUseDpopNonceError(res, parseJsonBody(res)) === true;
    } catch {
      return false;
    }
  }
  if (res.status === 400) return parseJsonBody(res)?.error === 'use_dpop_nonce';
  if (res.status === 401) return /^\s*DPoP\b.*\berror\s*=\s*"?use_dpop_nonce"?/i.test(res.headers.get('www-authenticate') ?? '');
  return false;
}

/** The client's last tokens as returned (`token_type` lower-cased), plus `expires_at` (seconds). */
function withExpiry(tokens) {
  if (typeof tokens.expires_in === 'number' && tokens.expires_at === undefined) {
    tokens.expires_at = nowSeconds() + tokens.expires_in;
  }
  return tokens;
}

function validateClientOptions(o) {
  if (!isObject(o)) throw argType('clientOptions must be an object');
  checkKeys(o, CLIENT_OPTIONS, 'Client');
  reqString(o, 'clientId');
  for (const k of ['clientSecret', 'tokenEndpointAuthSigningAlg', 'kid', 'x5t', 'redirectUri', 'postLogoutRedirectUri',
    'idTokenSignedResponseAlg', 'userinfoSignedResponseAlg', 'requestObjectSigningAlg']) {
    optString(o, k);
  }
  const method = o.tokenEndpointAuthMethod ?? (o.clientSecret !== undefined ? 'client_secret_basic' : o.privateKey !== undefined ? 'private_key_jwt' : 'none');
  if (!AUTH_METHODS.includes(method)) throw typeError(`"tokenEndpointAuthMethod" must be one of ${AUTH_METHODS.join(', ')}`);
  if (method.startsWith('client_secret') && !o.clientSecret) throw typeError(`${method} needs "clientSecret"`);
  if (method === 'private_key_jwt' && !(o.privateKey instanceof KeyObject)) throw typeError('private_key_jwt needs "privateKey" (a KeyObject)');
  if (o.privateKey !== undefined && !(o.privateKey instanceof KeyObject)) throw argType('"privateKey" must be a KeyObject');
  const idAlg = o.idTokenSignedResponseAlg ?? 'RS256';
  const confidential = method !== 'none' && typeof o.clientSecret === 'string' && o.clientSecret !== '';
  for (const [name, alg] of [['idTokenSignedResponseAlg', idAlg], ['userinfoSignedResponseAlg', o.userinfoSignedResponseAlg]]) {
    if (alg?.startsWith('HS') && !confidential) {
      // OpenID Connect Core 1.0 §10.1: the MAC key is the client secret, of confidential clients only.
      throw typeError(`${name} ${alg} needs a confidential client with a client secret (OpenID Connect Core 1.0 §10.1)`);
    }
    if (alg === 'none') throw typeError(`${name} "none" is never accepted`);
  }
  if (o.fetch !== undefined && typeof o.fetch !== 'function') throw argType('"fetch" must be a function');
  if (o.allowInsecureRequests !== undefined && typeof o.allowInsecureRequests !== 'boolean') throw argType('"allowInsecureRequests" must be a boolean');
  if (o.dpop !== undefined && (o.dpop === null || typeof o.dpop.proof !== 'function')) throw argType('"dpop" must be a handle from createDPoPHandle');
  clockTolerance(o);
  requestOptions({}, { fetch: o.fetch, timeout: o.timeout });
  return { ...o, tokenEndpointAuthMethod: method, idTokenSignedResponseAlg: idAlg };
}

function transactionIn(t) {
  if (!isObject(t) || typeof t.state !== 'string' || typeof t.clientId !== 'string' || typeof t.redirectUri !== 'string' || typeof t.responseType !== 'string') {
    throw argType('transaction must be the object returned by authorizationRequest');
  }
  return t;
}

export class Client {
  #metadata;
  #o;
  #auth;
  #keys;
  #hsKey;
  #tokens;
  #claims;
  #registration;

  /**
   * A client of the authorization server described by `metadata` (RFC 8414 §2 / OpenID Connect
   * Discovery 1.0 §3; validated: endpoints https, loopback http only with
   * `allowInsecureRequests`).
   */
  constructor(metadata, clientOptions) {
    if (!isObject(metadata)) throw argType('metadata must be an object');
    this.#o = validateClientOptions(clientOptions);
    const json = JSON.stringify(metadata);
    call(() => wasm.oauthCheckMetadata(json, this.#insecure));
    this.#metadata = JSON.parse(json);
    Object.freeze(this.#metadata);
  }

  /**
   * Discovers the OP (OpenID Connect Discovery 1.0 §4; RFC 8414 §3 with `{ algorithm: 'oauth2' }`)
   * and returns a Client. The document's `issuer` must equal `issuer` exactly.
   */
  static async discover(issuer, clientOptions, requestOpts) {
    const iss = issuer instanceof URL ? issuer.href : issuer;
    if (typeof iss !== 'string') throw argType('issuer must be a string or URL');
    const o = validateClientOptions(clientOptions);
    const ro = requestOptions(requestOpts, { fetch: o.fetch, timeout: o.timeout }, ['algorithm']);
    const alg = requestOpts?.algorithm ?? 'oidc';
    if (alg !== 'oidc' && alg !== 'oauth2') throw typeError('"algorithm" must be "oidc" or "oauth2"');
    const insecure = o.allowInsecureRequests === true;
    const req = JSON.parse(call(() => wasm.oauthDiscoveryRequest(iss, alg === 'oauth2', insecure)));
    const res = await send(req, ro);
    const metadata = JSON.parse(
      call(() => wasm.oauthDiscoveryResponse(iss, alg === 'oauth2', insecure, res.status, res.headersJson, res.body)),
    );
    return new Client(metadata, clientOptions);
  }

  /**
   * Dynamic client registration (RFC 7591 §3, OpenID Connect Dynamic Client Registration 1.0):
   * POSTs `clientMetadata` to the registration endpoint of `issuerOrMetadata` (an issuer URL,
   * discovered first, or metadata) and returns a Client for the registered client; the full
   * registration response is `client.registration`. Options: `initialAccessToken`,
   * `clientOptions` (merged over the registered credentials), `fetch`, `signal`, `timeout`,
   * `allowInsecureRequests`.
   */
  static async register(issuerOrMetadata, clientMetadata, opts = {}) {
    const extra = ['initialAccessToken', 'clientOptions', 'allowInsecureRequests'];
    const ro = requestOptions(opts, {}, extra);
    if (!isObject(clientMetadata)) throw argType('clientMetadata must be an object');
    const insecure = opts.allowInsecureRequests === true;
    let metadata = issuerOrMetadata;
    if (typeof issuerOrMetadata === 'string' || issuerOrMetadata instanceof URL) {
      const c = await Client.discover(issuerOrMetadata, { clientId: 'registration', allowInsecureRequests: insecure, fetch: ro.fetch, timeout: ro.timeout }, { fetch: ro.fetch, signal: ro.signal, timeout: ro.timeout });
      metadata = c.metadata;
    }
    if (!isObject(metadata) || typeof metadata.registration_endpoint !== 'string') {
      throw typeError('the server metadata has no registration_endpoint');
    }
    const token = optString(opts, 'initialAccessToken');
    const req = JSON.parse(call(() => wasm.oauthRegistrationRequest(metadata.registration_endpoint, JSON.stringify(clientMetadata), token, insecure)));
    const res = await send(req, ro);
    const reg = JSON.parse(call(() => wasm.oauthProcessResponse('registration', res.status, res.headersJson, res.body)));
    const co = {
      clientId: reg.client_id,
      ...(reg.client_secret !== undefined ? { clientSecret: reg.client_secret } : {}),
      ...(typeof reg.token_endpoint_auth_method === 'string' ? { tokenEndpointAuthMethod: reg.token_endpoint_auth_method } : {}),
      ...(typeof reg.id_token_signed_response_alg === 'string' ? { idTokenSignedResponseAlg: reg.id_token_signed_response_alg } : {}),
      ...(Array.isArray(reg.redirect_uris) && typeof reg.redirect_uris[0] === 'string' ? { redirectUri: reg.redirect_uris[0] } : {}),
      ...(insecure ? { allowInsecureRequests: true } : {}),
      ...(ro.fetch ? { fetch: ro.fetch } : {}),
      ...(opts.clientOptions ?? {}),
    };
    const client = new Client(metadata, co);
    client.#registration = reg;
    return client;
  }

  /** The server metadata (frozen). */
  get metadata() {
    return this.#metadata;
  }

  /** The registration response, for a client from Client.register. */
  get registration() {
    return this.#registration;
  }

  /** The last token response (from handleCallback, refresh or a grant). */
  get tokens() {
    return this.#tokens;
  }

  /** The claims of the last validated ID Token. */
  get claims() {
    return this.#claims;
  }

  get #insecure() {
    return this.#o.allowInsecureRequests === true;
  }

  #ro(opts, extra = []) {
    return requestOptions(opts, { fetch: this.#o.fetch, timeout: this.#o.timeout }, extra);
  }

  #endpoint(name) {
    const url = this.#metadata[name];
    if (typeof url !== 'string') throw typeError(`the server metadata has no ${name}`);
    return url;
  }

  #clientAuth() {
    if (this.#auth) return this.#auth;
    const o = this.#o;
    const method = o.tokenEndpointAuthMethod;
    const json = JSON.stringify({
      method,
      clientId: o.clientId,
      clientSecret: o.clientSecret,
      alg: method === 'private_key_jwt' || method === 'client_secret_jwt' ? o.tokenEndpointAuthSigningAlg : undefined,
      kid: o.kid,
      x5t: o.x5t,
    });
    this.#auth = call(() => (method === 'private_key_jwt' ? WasmClientAuth.withKey(json, keyHandle(o.privateKey)) : new WasmClientAuth(json)));
    return this.#auth;
  }

  /** The keys ID Tokens (and signed UserInfo) are verified with for `alg`. */
  #verificationKeys(alg) {
    if (alg?.startsWith('HS')) {
      return (this.#hsKey ??= secretBytes(this.#o.clientSecret));
    }
    if (this.#keys) return this.#keys;
    const { jwks } = this.#o;
    if (jwks !== undefined) {
      if (jwks instanceof KeyObject || typeof jwks === 'function') this.#keys = jwks;
      else if (isObject(jwks) && Array.isArray(jwks.keys)) this.#keys = createLocalJWKSet(jwks);
      else throw argType('"jwks" must be a KeyObject, a JWK Set ({ keys }) or a JWK Set function');
      return this.#keys;
    }
    const uri = this.#metadata.jwks_uri;
    if (typeof uri !== 'string') throw typeError('the server metadata has no jwks_uri: pass the "jwks" client option');
    this.#keys = createRemoteJWKSet(uri, {
      ...(this.#o.fetch ? { fetch: this.#o.fetch } : {}),
      ...(this.#insecure ? { allowInsecureRequests: true } : {}),
    });
    return this.#keys;
  }

  /** Validates an ID Token of this client (OpenID Connect Core 1.0 §3.1.3.7). */
  async #idToken(token, extra) {
    const alg = this.#o.idTokenSignedResponseAlg;
    const json = JSON.stringify({
      issuer: this.#metadata.issuer,
      clientId: this.#o.clientId,
      algorithms: [alg],
      clockTolerance: clockTolerance(this.#o),
      ...extra,
    });
    const r = await validateIdTokenWith(token, this.#verificationKeys(alg), json, nowSeconds());
    return r.payload;
  }

  /**
   * Sends a request built by the engine, with a DPoP proof when the client has a DPoP handle
   * (RFC 9449 §4, §7.1: `ath` for an access token), remembering `DPoP-Nonce` and retrying once
   * on `use_dpop_nonce` (§8, §9).
   */
  async #exchange(req, ro, accessToken, withDpop = true) {
    const { dpop } = this.#o;
    if (!dpop || !withDpop) return send(req, ro);
    for (let attempt = 0; ; attempt++) {
      const proof = dpop.proof(req.method, req.url, accessToken);
      const res = await send({ ...req, headers: [...req.headers, ['DPoP', proof]] }, ro);
      dpop.updateNonce?.(req.url, res);
      if (attempt === 0 && isUseDpopNonce(dpop, res)) continue;
      return res;
    }
  }

  /** A token request (RFC 6749 §3.2) for `grantType`; returns the token response. */
  async #token(grantType, pairs, ro) {
    const req = JSON.parse(
      call(() => wasm.oauthTokenRequest(this.#endpoint('token_endpoint'), grantType, JSON.stringify(pairs), this.#clientAuth(), this.#insecure, nowSeconds())),
    );
    const res = await this.#exchange(req, ro);
    const tokens = JSON.parse(call(() => wasm.oauthProcessResponse('token', res.status, res.headersJson, res.body)));
    if (tokens.token_type === 'dpop' && !this.#o.dpop) {
      throw new OperationProcessingError('the token endpoint issued a DPoP-bound token to a client without DPoP', 'OAUTH_INVALID_RESPONSE');
    }
    return withExpiry(tokens);
  }

  #authorizationStart(params) {
    if (params !== undefined && !isObject(params)) throw argType('params must be an object');
    const p = { ...params };
    const known = {};
    for (const k of ['scope', 'response_type', 'response_mode', 'state', 'nonce', 'prompt', 'display', 'ui_locales', 'id_token_hint', 'login_hint', 'acr_values']) {
      if (p[k] !== undefined) known[k] = paramValue(k, p[k]);
      delete p[k];
    }
    if (p.max_age !== undefined) {
      if (!Number.isSafeInteger(Number(p.max_age)) || Number(p.max_age) < 0) throw typeError('"max_age" must be a non-negative integer');
      known.max_age = Number(p.max_age);
    }
    delete p.max_age;
    if (p.claims !== undefined) {
      try {
        known.claims = typeof p.claims === 'string' ? JSON.parse(p.claims) : p.claims;
      } catch {
        throw typeError('"claims" must be a JSON object (OpenID Connect Core 1.0 §5.5)');
      }
      if (!isObject(known.claims)) throw argType('"claims" must be an object');
    }
    delete p.claims;
    const redirectUri = p.redirect_uri ?? this.#o.redirectUri;
    delete p.redirect_uri;
    if (typeof redirectUri !== 'string') throw typeError('a redirect_uri is required (clientOptions.redirectUri or params.redirect_uri)');
    if (p.client_id !== undefined && p.client_id !== this.#o.clientId) throw typeError('"client_id" differs from the client\'s');
    delete p.client_id;
    known.scope ??= 'openid';
    const input = { client_id: this.#o.clientId, redirect_uri: redirectUri, ...known, extra: pairsOf(p, 'params') };
    const r = JSON.parse(call(() => wasm.oauthStartAuthorization(JSON.stringify(this.#metadata), JSON.stringify(input), this.#insecure)));
    const t = r.transaction;
    const transaction = strip({
      url: r.url,
      state: t.state,
      nonce: orUndefined(t.nonce),
      codeVerifier: orUndefined(t.code_verifier),
      expectedIssuer: orUndefined(t.expected_issuer),
      issParameterSupported: t.iss_parameter_supported,
      clientId: t.client_id,
      redirectUri: t.redirect_uri,
      responseType: t.response_type,
      responseMode: orUndefined(t.response_mode),
      maxAge: orUndefined(t.max_age),
    });
    let pairs = r.pairs;
    const alg = this.#o.requestObjectSigningAlg;
    if (alg !== undefined) {
      const key = alg.startsWith('HS') ? secretBytes(this.#o.clientSecret) : this.#o.privateKey;
      if (!key) throw typeError('requestObjectSigningAlg needs "privateKey" (or a client secret for HS*)');
      const sign = (h) => wasm.oauthRequestObject(JSON.stringify(pairs), this.#o.clientId, this.#metadata.issuer, h, alg, undefined, nowSeconds());
      let jwt;
      if (key instanceof KeyObject) jwt = call(() => sign(keyHandle(key)));
      else {
        const h = call(() => wasm.WasmKey.fromSecret(key, alg, false));
        try {
          jwt = call(() => sign(h));
        } finally {
          h.free();
        }
      }
      pairs = [['request', jwt]];
      transaction.url = call(() => wasm.oauthAuthorizationUrlWith(this.#endpoint('authorization_endpoint'), this.#o.clientId, 'request', jwt, this.#insecure));
    }
    return { transaction, pairs };
  }

  /**
   * Starts an authorization (RFC 6749 §4.1.1, OpenID Connect Core 1.0 §3.1.2.1): the protocol
   * parameters (`scope` ('openid' by default), `response_type` ('code'), `response_mode`,
   * `prompt`, `max_age`, `login_hint`, `ui_locales`, `acr_values`, `claims` (object), `redirect_uri`,
   * any extension parameter) plus fresh `state`, `nonce` and PKCE S256. Returns the transaction
   * `{ url, state, nonce, codeVerifier, ... }` (plain JSON, keep it for handleCallback; single use).
   * With `requestObjectSigningAlg`, the parameters travel in a signed Request Object (RFC 9101).
   */
  authorizationRequest(params) {
    return this.#authorizationStart(params).transaction;
  }

  /**
   * Pushed Authorization Request (RFC 9126): POSTs the parameters (or the Request Object) to the
   * PAR endpoint and returns the transaction whose `url` carries only `client_id` and `request_uri`.
   */
  async pushedAuthorizationRequest(params, requestOpts) {
    const ro = this.#ro(requestOpts);
    const { transaction, pairs } = this.#authorizationStart(params);
    const endpoint = this.#endpoint('pushed_authorization_request_endpoint');
    const req = JSON.parse(call(() => wasm.oauthParRequest(endpoint, JSON.stringify(pairs), this.#clientAuth(), this.#insecure, nowSeconds())));
    const res = await this.#exchange(req, ro);
    const par = JSON.parse(call(() => wasm.oauthProcessResponse('par', res.status, res.headersJson, res.body)));
    transaction.url = call(() => wasm.oauthAuthorizationUrlWith(this.#endpoint('authorization_endpoint'), this.#o.clientId, 'request_uri', par.request_uri, this.#insecure));
    return transaction;
  }

  /**
   * Processes the authorization response (the redirect URL, its query / fragment, the
   * `form_post` body as a string or URLSearchParams, or the fetch Request that arrived at the
   * redirect URI) for `transaction`: RFC 9207 `iss`, `state`
   * (the transaction is then consumed: single use), OAuth errors (AuthorizationResponseError),
   * front-channel ID Token (implicit / hybrid: nonce, at_hash, c_hash), the code exchange with
   * the PKCE verifier, and the ID Token. Returns `{ tokens, claims }`.
   */
  async handleCallback(urlOrFormBody, transaction, requestOpts) {
    const ro = this.#ro(requestOpts);
    const tx = transactionIn(transaction);
    if (tx.clientId !== this.#o.clientId) throw typeError('the transaction belongs to another client');
    if (tx.expectedIssuer !== undefined && tx.expectedIssuer !== this.#metadata.issuer) {
      throw typeError('the transaction belongs to another issuer');
    }
    if (tx.consumed === true || CONSUMED.has(tx.state)) {
      throw new OperationProcessingError('the authorization transaction was already used (its state is consumed)', 'OAUTH_INVALID_REQUEST');
    }
    const types = tx.responseType.split(' ');
    const mode = tx.responseMode ?? (types.includes('token') || types.includes('id_token') ? 'fragment' : 'query');
    let input;
    if (typeof Request !== 'undefined' && urlOrFormBody instanceof Request) {
      // A fetch Request at the redirect URI: a form_post body (POST) or the URL's query/fragment.
      if (urlOrFormBody.method === 'POST') {
        const ct = urlOrFormBody.headers.get('content-type') ?? '';
        if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(ct)) {
          throw typeError('a POSTed authorization response must be application/x-www-form-urlencoded (Form Post Response Mode §2)');
        }
        urlOrFormBody = new URLSearchParams(await urlOrFormBody.text());
      } else {
        urlOrFormBody = new URL(urlOrFormBody.url);
      }
    }
    if (urlOrFormBody instanceof URL) input = urlOrFormBody.href;
    else if (urlOrFormBody instanceof URLSearchParams) input = urlOrFormBody.toString();
    else if (typeof urlOrFormBody === 'string') input = urlOrFormBody;
    else throw argType('the authorization response must be a URL, a string, URLSearchParams or a Request');
    let wasmMode = mode;
    if (urlOrFormBody instanceof URLSearchParams) wasmMode = 'form_post';
    else if (mode === 'form_post' && /^[a-z][a-z0-9+.-]*:/i.test(input)) {
      throw typeError('response_mode form_post: pass the POST body (string or URLSearchParams), not a URL');
    }
    const expectedIssuer = tx.expectedIssuer ?? this.#metadata.issuer;
    const hasIdToken = types.includes('id_token');
    let r;
    try {
      // With id_token in the response type, the front-channel ID Token (validated below, `iss`
      // exact) may stand in for the RFC 9207 `iss` parameter.
      r = JSON.parse(call(() => wasm.oauthCallback(input, wasmMode, tx.state, expectedIssuer, tx.issParameterSupported === true, hasIdToken)));
    } catch (e) {
      if (e?.code === 'OAUTH_AUTHORIZATION_RESPONSE_ERROR') consume(tx.state);
      throw e;
    }
    consume(tx.state);
    try {
      transaction.consumed = true;
    } catch {
      // a frozen transaction object: the in-memory record suffices
    }

    const hasToken = types.includes('token');
    const hasCode = types.includes('code');
    let front;
    if (hasIdToken) {
      if (r.id_token === null) {
        throw new OperationProcessingError('the authorization response has no id_token (OpenID Connect Core 1.0 §3.2.2.5)', 'OAUTH_MISSING_REQUIRED_PARAMETER');
      }
      front = await this.#idToken(r.id_token, {
        nonce: tx.nonce,
        maxAge: tx.maxAge,
        accessToken: orUndefined(r.access_token),
        code: orUndefined(r.code),
        requireAtHash: hasToken,
        requireCHash: hasCode,
      });
    }
    if (hasToken && r.access_token === null) {
      throw new OperationProcessingError('the authorization response has no access_token (RFC 6749 §4.2.2)', 'OAUTH_MISSING_REQUIRED_PARAMETER');
    }
    if (!hasCode) {
      const tokens = strip({
        access_token: r.access_token,
        token_type: r.token_type?.toLowerCase(),
        expires_in: r.expires_in,
        scope: r.scope,
        id_token: r.id_token,
      });
      this.#tokens = withExpiry(tokens);
      this.#claims = front;
      return { tokens, claims: front };
    }
    if (r.code === null) {
      throw new OperationProcessingError('the authorization response has no code (RFC 6749 §4.1.2)', 'OAUTH_MISSING_REQUIRED_PARAMETER');
    }
    if (typeof tx.codeVerifier !== 'string') throw argType('the transaction has no codeVerifier');
    const tokens = await this.#token('authorization_code', [['code', r.code], ['redirect_uri', tx.redirectUri], ['code_verifier', tx.codeVerifier]], ro);
    let claims = front;
    if (typeof tokens.id_token === 'string') {
      claims = await this.#idToken(tokens.id_token, {
        nonce: tx.nonce,
        maxAge: tx.maxAge,
        accessToken: tokens.access_token,
        ...(front ? { original: front, continuity: 'hybrid' } : {}),
      });
    } else if (tx.nonce !== undefined && front === undefined) {
      // An OpenID Connect request (the nonce is sent with scope openid): §3.1.3.3 requires it.
      throw new OperationProcessingError('the token response has no id_token (OpenID Connect Core 1.0 §3.1.3.3)', 'OAUTH_MISSING_REQUIRED_PARAMETER');
    }
    this.#tokens = tokens;
    this.#claims = claims;
    return { tokens, claims };
  }

  /**
   * Refreshes (RFC 6749 §6) with `refreshToken` or the last one. A new ID Token must continue the
   * previous one (OpenID Connect Core 1.0 §12.2: same iss, sub, aud, azp, auth_time). Options:
   * `scope`, `fetch`, `signal`, `timeout`. Returns `{ tokens, claims }`.
   */
  async refresh(refreshToken, opts) {
    const ro = this.#ro(opts, ['scope']);
    const rt = refreshToken ?? this.#tokens?.refresh_token;
    if (typeof rt !== 'string' || rt === '') throw argType('no refresh token: pass one or complete a flow that returned one');
    const pairs = [['refresh_token', rt]];
    if (opts?.scope !== undefined) pairs.push(['scope', paramValue('scope', opts.scope)]);
    const tokens = await this.#token('refresh_token', pairs, ro);
    let claims = this.#claims;
    if (typeof tokens.id_token === 'string') {
      claims = await this.#idToken(tokens.id_token, {
        accessToken: tokens.access_token,
        ...(this.#claims ? { original: this.#claims, continuity: 'refresh' } : {}),
      });
    }
    tokens.refresh_token ??= rt;
    this.#tokens = tokens;
    this.#claims = claims;
    return { tokens, claims };
  }

  /**
   * The UserInfo claims (OpenID Connect Core 1.0 §5.3) with `accessToken` or the last one; plain
   * JSON or a signed JWT (verified); `sub` must equal the ID Token's (`expectedSubject` option,
   * else the last ID Token's). Options: `tokenType`, `expectedSubject`, `fetch`, `signal`, `timeout`.
   */
  async userinfo(accessToken, opts) {
    const ro = this.#ro(opts, ['tokenType', 'expectedSubject']);
    const at = accessToken ?? this.#tokens?.access_token;
    if (typeof at !== 'string') throw argType('no access token: pass one or complete a flow first');
    const tokenType = opts?.tokenType ?? (accessToken === undefined ? this.#tokens?.token_type : undefined) ?? (this.#o.dpop ? 'dpop' : 'bearer');
    const sub = opts?.expectedSubject ?? this.#claims?.sub;
    if (typeof sub !== 'string') throw typeError('userinfo needs the ID Token\'s sub: complete an OpenID Connect flow or pass "expectedSubject"');
    const req = JSON.parse(call(() => wasm.oauthUserinfoRequest(this.#endpoint('userinfo_endpoint'), at, String(tokenType), this.#insecure)));
    // A DPoP proof goes with a DPoP-bound token only (RFC 9449 §7.1).
    const bound = String(tokenType).toLowerCase() === 'dpop';
    const res = await this.#exchange(req, ro, bound ? at : undefined, bound);
    const alg = this.#o.userinfoSignedResponseAlg;
    const json = JSON.stringify({
      issuer: this.#metadata.issuer,
      clientId: this.#o.clientId,
      algorithms: alg ? [alg] : ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'],
      requireSigned: alg !== undefined,
    });
    const now = nowSeconds();
    const ct = (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (res.status !== 200 || ct !== 'application/jwt') {
      return JSON.parse(call(() => wasm.oauthUserinfoResponse(res.status, res.headersJson, res.body, sub, json, now)));
    }
    const token = decoder.decode(res.body).trim();
    const keys = this.#verificationKeys(alg ?? 'RS256');
    return withKeySource(keys, token, (kind, h) =>
      JSON.parse(call(() => (kind === 'key'
        ? wasm.oauthUserinfoResponseKey(res.status, res.headersJson, res.body, sub, json, h, now)
        : wasm.oauthUserinfoResponseSet(res.status, res.headersJson, res.body, sub, json, h, now)))),
    );
  }

  /** Token introspection (RFC 7662 §2), client authenticated. Options: `tokenTypeHint`, `fetch`, `signal`, `timeout`. */
  async introspect(token, opts) {
    const ro = this.#ro(opts, ['tokenTypeHint']);
    if (typeof token !== 'string') throw argType('token must be a string');
    const hint = optString(opts ?? {}, 'tokenTypeHint');
    const req = JSON.parse(call(() => wasm.oauthTokenFormRequest('introspection', this.#endpoint('introspection_endpoint'), token, hint, this.#clientAuth(), this.#insecure, nowSeconds())));
    const res = await send(req, ro);
    return JSON.parse(call(() => wasm.oauthProcessResponse('introspection', res.status, res.headersJson, res.body)));
  }

  /** Token revocation (RFC 7009 §2), client authenticated. Options: `tokenTypeHint`, `fetch`, `signal`, `timeout`. */
  async revoke(token, opts) {
    const ro = this.#ro(opts, ['tokenTypeHint']);
    if (typeof token !== 'string') throw argType('token must be a string');
    const hint = optString(opts ?? {}, 'tokenTypeHint');
    const req = JSON.parse(call(() => wasm.oauthTokenFormRequest('revocation', this.#endpoint('revocation_endpoint'), token, hint, this.#clientAuth(), this.#insecure, nowSeconds())));
    const res = await send(req, ro);
    call(() => wasm.oauthProcessResponse('revocation', res.status, res.headersJson, res.body));
  }

  /** Any grant (RFC 6749 §4.5, e.g. token exchange RFC 8693) with protocol `params`; returns the token response. */
  async grant(grantType, params, opts) {
    if (typeof grantType !== 'string' || grantType === '') throw argType('grantType must be a non-empty string');
    const tokens = await this.#token(grantType, pairsOf(params, 'params'), this.#ro(opts));
    let claims;
    if (typeof tokens.id_token === 'string') claims = await this.#idToken(tokens.id_token, { accessToken: tokens.access_token });
    this.#tokens = tokens;
    if (claims) this.#claims = claims;
    return tokens;
  }

  /** Client credentials grant (RFC 6749 §4.4) with `params` such as `{ scope, resource }`. */
  clientCredentials(params, opts) {
    return this.grant('client_credentials', params, opts);
  }

  /** Resource owner password credentials grant (RFC 6749 §4.3; legacy, RFC 9700 §2.4). */
  password(params, opts) {
    return this.grant('password', params, opts);
  }

  /**
   * JWT bearer grant (RFC 7523 §2.1): `params.assertion`, or an assertion signed here with
   * `{ subject, issuer? (clientId), audience? (the issuer), claims?, lifetime?, key? (privateKey), alg?, kid?, x5t? }`;
   * other members (e.g. `scope`) are sent as parameters.
   */
  jwtBearer(params, opts) {
    if (!isObject(params)) throw argType('params must be an object');
    const { assertion, subject, issuer, audience, claims, lifetime, key, alg, kid, x5t, ...rest } = params;
    let a = assertion;
    if (a === undefined) {
      a = createJwtBearerAssertion(strip({
        issuer: issuer ?? this.#o.clientId,
        subject,
        audience: audience ?? this.#metadata.issuer,
        claims,
        lifetime,
        key: key ?? this.#o.privateKey,
        alg: alg ?? this.#o.tokenEndpointAuthSigningAlg,
        kid: kid ?? this.#o.kid,
        x5t: x5t ?? this.#o.x5t,
      }));
    }
    return this.grant('urn:ietf:params:oauth:grant-type:jwt-bearer', { ...rest, assertion: a }, opts);
  }

  /**
   * The RP-initiated logout URL (OpenID Connect RP-Initiated Logout 1.0 §2): `id_token_hint`
   * (the last ID Token by default), `post_logout_redirect_uri` (clientOptions'), `state`,
   * `logout_hint`, `ui_locales`, `client_id` (always sent).
   */
  endSessionUrl(params = {}) {
    if (!isObject(params)) throw argType('params must be an object');
    checkKeys(params, ['id_token_hint', 'post_logout_redirect_uri', 'state', 'logout_hint', 'ui_locales', 'client_id'], 'endSessionUrl');
    const p = strip({
      id_token_hint: params.id_token_hint ?? this.#tokens?.id_token,
      post_logout_redirect_uri: params.post_logout_redirect_uri ?? this.#o.postLogoutRedirectUri,
      state: params.state,
      logout_hint: params.logout_hint,
      ui_locales: params.ui_locales,
      client_id: params.client_id ?? this.#o.clientId,
    });
    return call(() => wasm.oauthEndSessionUrl(this.#endpoint('end_session_endpoint'), this.#insecure, JSON.stringify(p)));
  }

  /**
   * A request to a protected resource with the access token (the last one by default): in the
   * `Authorization` header (default, RFC 6750 §2.1), the form body (`tokenIn: 'body'`, §2.2) or the
   * query (`tokenIn: 'query'`, §2.3); with a DPoP proof (and one retry on `use_dpop_nonce`) for
   * DPoP tokens. Options: `method`, `headers`, `body`, `accessToken`, `tokenType`, `tokenIn`,
   * `fetch`, `signal`, `timeout`. Returns the fetch Response.
   */
  async fetchProtectedResource(url, opts = {}) {
    const extra = ['method', 'headers', 'body', 'accessToken', 'tokenType', 'tokenIn'];
    const ro = this.#ro(opts, extra);
    if (!(url instanceof URL) && typeof url !== 'string') throw argType('url must be a string or URL');
    let u;
    try {
      u = new URL(String(url instanceof URL ? url.href : url));
    } catch {
      throw typeError('url must be an absolute URL');
    }
    if (!(u.protocol === 'https:' || (u.protocol === 'http:' && this.#insecure && /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i.test(u.hostname)))) {
      throw new OperationProcessingError('the resource URL must be https (http only on loopback with allowInsecureRequests)', 'OAUTH_HTTP_REQUEST_FORBIDDEN');
    }
    const at = opts.accessToken ?? this.#tokens?.access_token;
    if (typeof at !== 'string') throw argType('no access token: pass "accessToken" or complete a flow first');
    const tokenType = String(opts.tokenType ?? (opts.accessToken === undefined ? this.#tokens?.token_type : undefined) ?? 'bearer').toLowerCase();
    const method = (opts.method ?? 'GET').toUpperCase();
    const headers = new Headers(opts.headers);
    let { body } = opts;
    const tokenIn = opts.tokenIn ?? 'header';
    if (tokenType === 'dpop' && tokenIn !== 'header') throw typeError('a DPoP-bound token is sent in the Authorization header only (RFC 9449 §7.1)');
    if (tokenIn === 'header') headers.set('authorization', `${tokenType === 'dpop' ? 'DPoP' : 'Bearer'} ${at}`);
    else if (tokenIn === 'query') u.searchParams.append('access_token', at);
    else if (tokenIn === 'body') {
      const form = body instanceof URLSearchParams ? new URLSearchParams(body) : new URLSearchParams(body ?? '');
      form.append('access_token', at);
      body = form.toString();
      headers.set('content-type', 'application/x-www-form-urlencoded');
    } else throw typeError('"tokenIn" must be "header", "body" or "query"');
    const { dpop } = this.#o;
    if (tokenType === 'dpop' && !dpop) throw typeError('a DPoP-bound token needs the "dpop" client option');
    for (let attempt = 0; ; attempt++) {
      if (tokenType === 'dpop') headers.set('dpop', dpop.proof(method, u.href, at));
      const res = await sendRaw(u.href, { method, headers, body }, ro);
      if (tokenType === 'dpop') {
        dpop.updateNonce?.(u.href, res);
        if (attempt === 0 && res.status === 401 && isUseDpopNonce(dpop, { status: 401, headers: res.headers, body: new Uint8Array(0) })) continue;
      }
      return res;
    }
  }
}
