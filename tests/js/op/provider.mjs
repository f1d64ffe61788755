// A real OpenID Provider for the end-to-end tests: the npm package `oidc-provider` (v9, a
// certified OP) served over plain HTTP on 127.0.0.1 (port 0), with one client per scenario of
// issue 3, its development login/consent forms driven over HTTP with a cookie jar, a custom
// JWT bearer grant (RFC 7523 §2.1) and key rotation at the OP.
//
// Not a test file itself (test-js.sh runs tests/js/*.test.mjs only). Depends on `oidc-provider`
// and `jose` (both installed next to the tests by scripts/test-js.sh).
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import * as jose from 'jose';
import Provider, { errors as opErrors } from 'oidc-provider';
// oidc-provider's own in-memory adapter; one store per startOP(), shared by the Provider
// instances that key rotation creates (the package has no "exports" map, the path is stable).
import { createMemoryAdapter } from 'oidc-provider/lib/adapters/memory_adapter.js';

export const REDIRECT_URI = 'https://rp.example/cb';
export const POST_LOGOUT_REDIRECT_URI = 'https://rp.example/logged-out';
/** The resource server whose access tokens are JWTs (RFC 9068, via RFC 8707 `resource`). */
export const RESOURCE = 'https://rs.example/api';
export const RS_SCOPES = 'api:read system/*.read';
export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

const USERS = {
  alice: { name: 'Alice Liddell', email: 'alice@example.com', email_verified: true },
  bob: { name: 'Bob Builder', email: 'bob@example.com', email_verified: false },
};

/** An RSA key pair and a self-signed certificate for it, made by openssl (X.509 PEM). */
function makeRsaKeyAndCertificate(cn) {
  const dir = mkdtempSync(join(tmpdir(), 'oidckit-op-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-sha256', '-days', '2',
      '-subj', `/CN=${cn}`, '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    // The same key as a password-protected PKCS#12 (OpenSSL 3 default: AES-256-CBC, PBKDF2,
    // HMAC-SHA256 MAC) and as an encrypted PKCS#8 PEM, as backend services are handed them.
    execFileSync('openssl', [
      'pkcs12', '-export', '-inkey', join(dir, 'key.pem'), '-in', join(dir, 'cert.pem'),
      '-passout', 'pass:pfx-password', '-out', join(dir, 'client.pfx'),
    ], { stdio: 'ignore' });
    execFileSync('openssl', [
      'pkcs8', '-topk8', '-in', join(dir, 'key.pem'), '-v2', 'aes-256-cbc', '-v2prf', 'hmacWithSHA256',
      '-passout', 'pass:pem-passphrase', '-out', join(dir, 'enc.pem'),
    ], { stdio: 'ignore' });
    const pkcs8Pem = readFileSync(join(dir, 'key.pem'), 'utf8');
    const certPem = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const pfx = new Uint8Array(readFileSync(join(dir, 'client.pfx')));
    const encryptedPkcs8Pem = readFileSync(join(dir, 'enc.pem'), 'utf8');
    const der = new crypto.X509Certificate(certPem).raw;
    return {
      pkcs8Pem,
      certPem,
      pfx,
      pfxPassword: 'pfx-password',
      encryptedPkcs8Pem,
      pemPassphrase: 'pem-passphrase',
      certDer: new Uint8Array(der),
      x5t: crypto.createHash('sha1').update(der).digest('base64url'),
      x5tS256: crypto.createHash('sha256').update(der).digest('base64url'),
      x5c: [der.toString('base64')],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function rsaJwk(kid, extra = {}) {
  const { privateKey } = await jose.generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  return { ...(await jose.exportJWK(privateKey)), kid, use: 'sig', ...extra };
}

const publicOf = ({ d, p, q, dp, dq, qi, ...pub }) => pub;

/**
 * Keys for the OP and the clients. Generating RSA keys takes a moment; call once per test file.
 */
export async function makeFixtures() {
  const backend = makeRsaKeyAndCertificate('backend-service');
  const backendPrivateJwk = {
    ...(await jose.exportJWK(crypto.createPrivateKey(backend.pkcs8Pem))),
    kid: 'backend-key-1',
  };
  return {
    /** The OP's signing keys: the current set, and the key rotated in by `op.rotateKeys()`. */
    opKeys: [await rsaJwk('op-key-1'), { ...(await jose.exportJWK((await jose.generateKeyPair('ES256', { extractable: true })).privateKey)), kid: 'op-ec-1', use: 'sig' }],
    nextOpKey: await rsaJwk('op-key-2'),
    /** The backend service's key (private_key_jwt, JWT bearer): PKCS#8 PEM, certificate, JWK. */
    backend: { ...backend, privateJwk: backendPrivateJwk, publicJwk: publicOf(backendPrivateJwk), kid: backendPrivateJwk.kid },
    cookieKey: crypto.randomBytes(32).toString('base64url'),
    dpopNonceSecret: crypto.randomBytes(32),
  };
}

function clientsFor(fx, backchannelLogoutUri) {
  const backendJwks = {
    keys: [{ ...fx.backend.publicJwk, x5c: fx.backend.x5c, x5t: fx.backend.x5t, 'x5t#S256': fx.backend.x5tS256 }],
  };
  const common = {
    redirect_uris: [REDIRECT_URI],
    post_logout_redirect_uris: [POST_LOGOUT_REDIRECT_URI],
  };
  return [
    // 1. browser / Node app: public client, code + PKCE (S256), refresh, logout.
    {
      ...common,
      client_id: 'spa',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    },
    // Confidential clients, one per client authentication method.
    {
      ...common,
      client_id: 'web-basic',
      client_secret: 'web-basic-secret-0123456789abcdef0123456789',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
      response_types: ['code'],
      scope: `openid offline_access profile email ${RS_SCOPES}`,
    },
    {
      ...common,
      client_id: 'web-post',
      client_secret: 'web-post-secret-0123456789abcdef0123456789ab',
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    },
    // 3. backend services: private_key_jwt with RS256 / RS384, client credentials.
    {
      ...common,
      client_id: 'backend-rs256',
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'RS256',
      grant_types: ['client_credentials', 'authorization_code', 'refresh_token'],
      response_types: ['code'],
      scope: `openid offline_access ${RS_SCOPES}`,
      jwks: backendJwks,
    },
    {
      ...common,
      client_id: 'backend-rs384',
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'RS384',
      grant_types: ['client_credentials', JWT_BEARER],
      response_types: [],
      redirect_uris: [],
      post_logout_redirect_uris: [],
      scope: RS_SCOPES,
      jwks: backendJwks,
    },
    // JWT bearer grant (RFC 7523 §2.1) with a client secret; the assertion is checked against
    // the client's registered key.
    {
      client_id: 'jwt-bearer',
      client_secret: 'jwt-bearer-secret-0123456789abcdef0123456789',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: [JWT_BEARER],
      response_types: [],
      redirect_uris: [],
      scope: RS_SCOPES,
      jwks: backendJwks,
    },
    // 2. legacy implicit / hybrid flows (never the default).
    {
      ...common,
      client_id: 'legacy',
      client_secret: 'legacy-secret-0123456789abcdef0123456789abcd',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'implicit'],
      response_types: ['id_token', 'id_token token', 'code id_token', 'code id_token token', 'code token', 'code'],
    },
    // 4. resource server: authenticates to the introspection endpoint only.
    {
      client_id: 'resource-server',
      client_secret: 'resource-server-secret-0123456789abcdef012345',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: [],
      response_types: [],
      redirect_uris: [],
    },
    // OpenID Connect Back-Channel Logout: the OP POSTs a logout token to this client.
    {
      ...common,
      client_id: 'bcl-client',
      client_secret: 'bcl-client-secret-0123456789abcdef0123456789ab',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code'],
      response_types: ['code'],
      backchannel_logout_uri: backchannelLogoutUri,
      backchannel_logout_session_required: true,
    },
    // DPoP-bound tokens (the public client proves possession instead of a secret).
    {
      ...common,
      client_id: 'dpop-client',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      dpop_bound_access_tokens: true,
    },
  ];
}

function secretOf(clients, id) {
  return clients.find((c) => c.client_id === id)?.client_secret;
}

/** RFC 7523 §2.1 JWT bearer grant for oidc-provider's registerGrantType. */
function jwtBearerGrant(provider, issuer, state) {
  return async function jwtBearerHandler(ctx) {
    const { client, params } = ctx.oidc;
    if (!params.assertion) throw new opErrors.InvalidRequest('missing assertion');
    let payload;
    try {
      const keys = jose.createLocalJWKSet({ keys: client.jwks?.keys ?? [] });
      ({ payload } = await jose.jwtVerify(params.assertion, keys, {
        issuer: client.clientId,
        audience: issuer,
        algorithms: ['RS256', 'RS384', 'PS256', 'ES256'],
        requiredClaims: ['sub', 'exp', 'iat'],
        maxTokenAge: '10m',
      }));
    } catch (cause) {
      throw new opErrors.InvalidGrant(`invalid assertion: ${cause.message}`);
    }
    state.lastJwtBearerAssertion = { header: jose.decodeProtectedHeader(params.assertion), claims: payload };
    if (!USERS[payload.sub]) throw new opErrors.InvalidGrant('unknown subject');
    if (typeof payload.domain !== 'string') throw new opErrors.InvalidGrant('missing domain claim');
    const allowed = new Set((client.scope ?? '').split(' '));
    const scope = (params.scope ?? '').split(' ').filter((s) => s && allowed.has(s)).join(' ');

    const grant = new provider.Grant({ accountId: payload.sub, clientId: client.clientId });
    if (scope) grant.addOIDCScope(scope);
    const grantId = await grant.save();
    const token = new provider.AccessToken({
      accountId: payload.sub,
      client,
      grantId,
      gty: 'jwt_bearer',
      scope: scope || undefined,
    });
    ctx.oidc.jwtBearerDomain = payload.domain; // picked up by extraTokenClaims below
    ctx.oidc.entity('AccessToken', token);
    const value = await token.save();
    ctx.body = {
      access_token: value,
      expires_in: token.expiration,
      token_type: token.tokenType,
      scope: token.scope,
    };
  };
}

function makeProvider(issuer, fx, clients, jwks, state) {
  const provider = new Provider(issuer, {
    adapter: state.adapter,
    clients,
    // oidc-provider's outgoing requests refuse special-use addresses (SSRF protection, through an
    // undici dispatcher). The test's back-channel logout receiver is on 127.0.0.1 by design, so
    // requests to exactly that origin go without the dispatcher; anything else keeps it.
    fetch(url, options) {
      if (state.receiverOrigin && new URL(url).origin === state.receiverOrigin) {
        const { dispatcher, ...rest } = options;
        return globalThis.fetch(url, rest);
      }
      return globalThis.fetch(url, options);
    },
    jwks: { keys: jwks },
    cookies: { keys: [fx.cookieKey] },
    async findAccount(ctx, sub) {
      if (!USERS[sub]) return undefined;
      return {
        accountId: sub,
        async claims() {
          return { sub, ...USERS[sub] };
        },
      };
    },
    // The JWT bearer grant's `domain` claim travels with its access token (introspection shows it).
    extraTokenClaims(ctx, token) {
      return token.gty === 'jwt_bearer' && ctx?.oidc?.jwtBearerDomain
        ? { domain: ctx.oidc.jwtBearerDomain }
        : undefined;
    },
    claims: {
      openid: ['sub'],
      profile: ['name'],
      email: ['email', 'email_verified'],
      acr: null,
      sid: null,
      auth_time: null,
    },
    scopes: ['openid', 'offline_access', 'profile', 'email', 'api:read', 'system/*.read'],
    responseTypes: ['code', 'id_token', 'id_token token', 'code id_token', 'code token', 'code id_token token', 'none'],
    clientAuthMethods: ['none', 'client_secret_basic', 'client_secret_post', 'private_key_jwt'],
    pkce: { required: (ctx, client) => client.clientAuthMethod === 'none' },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      ClientCredentials: 600,
      IdToken: 600,
      Interaction: 600,
      Grant: 3600,
      Session: 3600,
      RefreshToken: 3600,
    },
    enabledJWA: {
      clientAuthSigningAlgValues: ['HS256', 'RS256', 'RS384', 'PS256', 'ES256'],
      dPoPSigningAlgValues: ['ES256', 'EdDSA', 'Ed25519', 'RS256', 'PS256'],
      idTokenSigningAlgValues: ['RS256', 'ES256'],
    },
    // x5t in a client assertion header must name the registered certificate (oidc-provider
    // itself selects keys by kid only; this makes the x5t path observable).
    async assertJwtClientAuthClaimsAndHeader(ctx, claims, header, client) {
      state.lastClientAssertion = { header, claims };
      if (header.x5t !== undefined) {
        const known = (client.jwks?.keys ?? []).some((k) => k.x5t === header.x5t);
        if (!known) throw new opErrors.InvalidClientAuth('unknown x5t');
      }
    },
    features: {
      devInteractions: { enabled: true },
      introspection: {
        enabled: true,
        allowedPolicy: (ctx, client, token) => client.clientAuthMethod !== 'none' || token.clientId === client.clientId,
      },
      revocation: {
        enabled: true,
        allowedPolicy: (ctx, client, token) => token.clientId === client.clientId,
      },
      clientCredentials: { enabled: true },
      userinfo: { enabled: true },
      pushedAuthorizationRequests: { enabled: true },
      registration: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      claimsParameter: { enabled: true },
      requestObjects: { enabled: true },
      backchannelLogout: { enabled: true },
      dPoP: {
        enabled: true,
        nonceSecret: fx.dpopNonceSecret,
        requireNonce: () => state.requireDpopNonce,
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: (ctx, client, oneOf) => oneOf ?? undefined,
        useGrantedResource: () => true,
        getResourceServerInfo(ctx, resourceIndicator) {
          if (resourceIndicator !== RESOURCE) throw new opErrors.InvalidTarget();
          return {
            scope: RS_SCOPES,
            audience: RESOURCE,
            accessTokenTTL: 600,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
  });
  provider.registerGrantType(JWT_BEARER, jwtBearerGrant(provider, issuer, state), ['assertion', 'scope']);
  provider.on('backchannel.error', (ctx, err) => state.errors.push({ name: 'backchannel.error', error: err?.message }));
  const record = (name) => (ctx, err) => state.errors.push({ name, error: err?.error, description: err?.error_description, detail: err?.error_detail });
  for (const ev of ['server_error', 'grant.error', 'authorization.error', 'introspection.error', 'revocation.error', 'userinfo.error', 'registration_create.error', 'pushed_authorization_request.error', 'end_session.error']) {
    provider.on(ev, record(ev));
  }
  // How the client authenticated, as the OP saw it on the wire (not only what is registered).
  provider.on('grant.success', (ctx) => {
    const basic = /^basic /i.test(ctx.headers.authorization ?? '');
    const body = ctx.oidc.body ?? {};
    let clientAuthMethod = 'none';
    if (basic) clientAuthMethod = 'client_secret_basic';
    else if (body.client_secret !== undefined) clientAuthMethod = 'client_secret_post';
    else if (body.client_assertion !== undefined) clientAuthMethod = 'private_key_jwt';
    state.lastGrant = {
      clientId: ctx.oidc.client?.clientId,
      grantType: body.grant_type,
      clientAuthMethod,
      dpop: ctx.headers.dpop !== undefined,
    };
  });
  return provider;
}

/**
 * Starts the OP. Returns { issuer, clients, secret(id), fx, rotateKeys(), login(url, opts),
 * fetch, state, close() }.
 */
export async function startOP(fx) {
  fx ??= await makeFixtures();
  const state = {
    adapter: createMemoryAdapter(15),
    requireDpopNonce: false,
    errors: [],
    lastClientAssertion: undefined,
    requests: [],
    /** Logout tokens the OP POSTed to bcl-client's backchannel_logout_uri (OIDC Back-Channel Logout §2.5). */
    logoutTokens: [],
  };
  // The RP's back-channel logout endpoint, on 127.0.0.1 too.
  const receiver = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const token = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('logout_token');
      if (req.method === 'POST' && token) state.logoutTokens.push(token);
      res.writeHead(token ? 200 : 400, { 'cache-control': 'no-store' });
      res.end();
    });
  });
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  state.receiverOrigin = `http://127.0.0.1:${receiver.address().port}`;
  const clients = clientsFor(fx, `${state.receiverOrigin}/backchannel-logout`);
  let handler = () => {};
  const server = http.createServer((req, res) => {
    state.requests.push(`${req.method} ${req.url.split('?')[0]}`);
    handler(req, res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  let jwks = fx.opKeys;
  let provider = makeProvider(issuer, fx, clients, jwks, state);
  handler = provider.callback();

  return {
    issuer,
    fx,
    state,
    clients: Object.fromEntries(clients.map((c) => [c.client_id, c])),
    secret: (id) => secretOf(clients, id),
    get provider() { return provider; },
    /** The OP's public JWK Set as currently served. */
    publicJwks: () => ({ keys: jwks.map(publicOf) }),
    /**
     * Key rotation at the OP: a new Provider instance (same storage — oidc-provider's memory
     * adapter is process-wide — same clients and cookie keys) whose JWKS has the new RSA key
     * first (used for signing from now on) and keeps the old keys (still published).
     * `retireOld` drops them entirely.
     */
    rotateKeys({ retireOld = false } = {}) {
      jwks = retireOld ? [fx.nextOpKey] : [fx.nextOpKey, ...fx.opKeys];
      provider = makeProvider(issuer, fx, clients, jwks, state);
      handler = provider.callback();
      return fx.nextOpKey.kid;
    },
    login: (url, opts) => login(issuer, url, opts),
    logout: (url, opts) => logout(issuer, url, opts),
    async close() {
      for (const s of [server, receiver]) {
        s.closeAllConnections?.();
        await new Promise((resolve) => s.close(resolve));
      }
    },
  };
}

// ---- the development login + consent forms, driven over HTTP ---------------------------------

class CookieJar {
  #cookies = new Map();

  store(res) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*expires=thu, 01 jan 1970/i.test(a)) || attrs.some((a) => /^\s*max-age=0\b/i.test(a));
      if (expired || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  header() {
    return [...this.#cookies].map(([n, v]) => `${n}=${v}`).join('; ');
  }
}

function parseForm(html) {
  const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/i.exec(html)
    ?? /<form[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) return undefined;
  const action = form[1].replaceAll('&amp;', '&');
  const fields = new URLSearchParams();
  for (const m of form[2].matchAll(/<input[^>]*>/gi)) {
    const name = /name="([^"]*)"/.exec(m[0])?.[1];
    const value = /value="([^"]*)"/.exec(m[0])?.[1] ?? '';
    if (name) fields.append(name, decodeHtml(value));
  }
  return { action, fields };
}

function decodeHtml(s) {
  return s.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&#x27;', "'")
    .replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&#x2F;', '/').replaceAll('&amp;', '&');
}

/**
 * Follows an authorization URL through oidc-provider's development login and consent forms
 * with plain fetch and a cookie jar. Stops at the first response aimed at the client:
 *   { type: 'redirect', url }            — a 303 to the redirect_uri (query or fragment),
 *   { type: 'form_post', action, body }  — the auto-submitting form_post page (body: string).
 * Options: user ('alice'), jar (reuse a session across logins, e.g. for SSO or logout).
 */
export async function login(issuer, authUrl, { user = 'alice', jar = new CookieJar(), maxSteps = 20 } = {}) {
  const origin = new URL(issuer).origin;
  let req = { url: String(authUrl), method: 'GET', body: undefined };
  for (let i = 0; i < maxSteps; i += 1) {
    const headers = { cookie: jar.header() };
    if (req.body) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(req.url, { method: req.method, body: req.body, headers, redirect: 'manual', signal: AbortSignal.timeout(15_000) });
    jar.store(res);
    if (res.status >= 300 && res.status < 400) {
      const loc = new URL(res.headers.get('location'), req.url);
      await res.arrayBuffer();
      if (loc.origin !== origin) return { type: 'redirect', url: loc.href, jar };
      req = { url: loc.href, method: 'GET' };
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) throw new Error(`OP answered ${res.status} at ${req.url}: ${html.slice(0, 500)}`);
    const form = parseForm(html);
    if (!form) throw new Error(`no form at ${req.url}: ${html.slice(0, 500)}`);
    const action = new URL(form.action, req.url);
    if (action.origin !== origin) {
      return { type: 'form_post', action: action.href, body: form.fields.toString(), jar };
    }
    const prompt = form.fields.get('prompt');
    if (prompt === 'login') {
      form.fields.set('login', user);
      form.fields.set('password', 'any password');
    } else if (prompt !== 'consent') {
      throw new Error(`unexpected form (prompt=${prompt}) at ${req.url}`);
    }
    req = { url: action.href, method: 'POST', body: form.fields.toString() };
  }
  throw new Error('too many steps through the login forms');
}

/**
 * Follows an end_session URL (RP-initiated logout) through the OP's confirmation form
 * (answering "yes, sign me out") and returns the URL the OP sends the browser to.
 */
export async function logout(issuer, endSessionUrl, { jar = new CookieJar(), maxSteps = 10 } = {}) {
  const origin = new URL(issuer).origin;
  let req = { url: String(endSessionUrl), method: 'GET', body: undefined };
  for (let i = 0; i < maxSteps; i += 1) {
    const headers = { cookie: jar.header() };
    if (req.body) headers['content-type'] = 'application/x-www-form-urlencoded';
    const res = await fetch(req.url, { method: req.method, body: req.body, headers, redirect: 'manual', signal: AbortSignal.timeout(15_000) });
    jar.store(res);
    if (res.status >= 300 && res.status < 400) {
      const loc = new URL(res.headers.get('location'), req.url);
      await res.arrayBuffer();
      if (loc.origin !== origin) return loc.href;
      req = { url: loc.href, method: 'GET' };
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) throw new Error(`OP answered ${res.status} at ${req.url}: ${html.slice(0, 500)}`);
    const form = parseForm(html);
    if (!form) return req.url; // the OP's own "signed out" page (no post_logout_redirect_uri)
    form.fields.set('logout', 'yes');
    req = { url: new URL(form.action, req.url).href, method: 'POST', body: form.fields.toString() };
  }
  throw new Error('too many steps through the logout form');
}

export { CookieJar };
