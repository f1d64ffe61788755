// The Rust dev OpenID Provider (`oidckit-server`, issue 4) for the JavaScript tests: starts the
// binary with the test configuration (tests/js/devserver/config.toml, filled at run time) on
// 127.0.0.1 port 0 with in-memory state, waits until discovery answers, stops it at the end
// (and when the Node process exits), and drives its login and consent pages over HTTP with a
// cookie jar (no browser).
//
// Not a test file itself (test-js.sh runs tests/js/*.test.mjs only). The binary comes from
// env OIDCKIT_SERVER_BIN, else <repo>/target/debug/oidckit-server (scripts/test-js.sh builds it
// with `cargo build -p oidckit-server` when missing).
import * as crypto from 'node:crypto';
import * as http from 'node:http';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Redirect URIs registered for the test clients. Nothing listens there: redirects are read, never followed. */
export const REDIRECT_URI = 'http://127.0.0.1:5999/cb';
export const POST_LOGOUT_REDIRECT_URI = 'http://127.0.0.1:5999/logged-out';
export const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
export const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange';

/** The users of config.toml and their passwords. */
export const USERS = {
  alice: { password: 'alice-demo-password', name: 'Alice Liddell', email: 'alice@example.com' },
  bob: { password: 'bob-demo-password', name: 'Bob Builder', email: 'bob@example.org' },
};

/** Client secrets of config.toml (public clients and key-authenticated clients have none). */
export const SECRETS = {
  'web-basic': 'web-basic-secret-0123456789abcdef0123456789',
  'web-post': 'web-post-secret-0123456789abcdef0123456789ab',
  'backend-far': 'backend-far-secret-0123456789abcdef012345678',
  legacy: 'legacy-secret-0123456789abcdef0123456789abcd',
  'resource-server': 'resource-server-secret-0123456789abcdef012345',
  'bcl-client': 'bcl-client-secret-0123456789abcdef0123456789ab',
  'web-jwt': 'web-jwt-secret-0123456789abcdef0123456789abcdef',
  'signed-userinfo': 'signed-userinfo-secret-0123456789abcdef01234',
};
export const SCENARIO_SECRET = 'scenario-client-secret-0123456789abcdef0123';

/** The misbehaviour scenarios of the contract (server/src/scenario.rs), one `scn-<name>` client each. */
export const SCENARIOS = [
  'bad-signature', 'alg-none', 'wrong-iss', 'wrong-aud', 'missing-aud', 'multi-aud-no-azp',
  'expired', 'iat-far-past', 'missing-iat', 'missing-sub', 'wrong-nonce', 'bad-at-hash',
  'missing-at-hash', 'bad-c-hash', 'missing-c-hash', 'kid-absent-multi', 'key-rotated',
  'unknown-kid', 'userinfo-other-sub', 'discovery-issuer-mismatch', 'missing-iss-param',
  'wrong-iss-param', 'refresh-other-sub', 'refresh-other-iss',
  'logout-alg-none', 'logout-no-event', 'logout-with-nonce', 'logout-wrong-alg',
  'logout-wrong-aud', 'logout-wrong-iss', 'logout-wrong-event',
];

const START_TIMEOUT_MS = 30_000;
const REQUEST_TIMEOUT_MS = 15_000;

/** The repository root: set by scripts/test-js.sh, else two levels above tests/js. */
export function repoRoot() {
  if (process.env.OIDCKIT_REPO_ROOT) return resolve(process.env.OIDCKIT_REPO_ROOT);
  return resolve(HERE, '..', '..', '..');
}

/** The server binary: env OIDCKIT_SERVER_BIN, else <repo>/target/debug/oidckit-server. */
export function serverBinary() {
  const bin = process.env.OIDCKIT_SERVER_BIN
    ? resolve(process.env.OIDCKIT_SERVER_BIN)
    : join(repoRoot(), 'target', 'debug', 'oidckit-server');
  if (!existsSync(bin)) {
    throw new Error(`oidckit-server binary not found at ${bin}: run \`cargo build -p oidckit-server\` or set OIDCKIT_SERVER_BIN`);
  }
  return bin;
}

/** A self-signed X.509 certificate (PEM) for a PKCS#8 key, made by openssl; undefined without openssl. */
function selfSignedCertificate(pkcs8, cn) {
  const dir = mkdtempSync(join(tmpdir(), 'oidckit-cert-'));
  try {
    writeFileSync(join(dir, 'key.pem'), pkcs8, { mode: 0o600 });
    execFileSync('openssl', ['req', '-x509', '-new', '-key', join(dir, 'key.pem'), '-sha256', '-days', '2',
      '-subj', `/CN=${cn}`, '-out', join(dir, 'cert.pem')], { stdio: 'ignore', timeout: 15_000 });
    return readFileSync(join(dir, 'cert.pem'), 'utf8');
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The backend clients' key pair (RS256), generated per run by node:crypto, with a self-signed
 * certificate for it (`certificate`, undefined when openssl is missing).
 */
export function makeBackendKey(kid = 'backend-key-1') {
  const pem = crypto.generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const publicJwk = { ...crypto.createPublicKey(pem.publicKey).export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  return { kid, pkcs8: pem.privateKey, spki: pem.publicKey, publicJwk, certificate: selfSignedCertificate(pem.privateKey, 'backend-cert') };
}

/** JSON → a TOML inline value (inline tables, arrays, basic strings). */
function tomlInline(v) {
  if (Array.isArray(v)) return `[${v.map(tomlInline).join(', ')}]`;
  if (v !== null && typeof v === 'object') {
    return `{ ${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)} = ${tomlInline(x)}`).join(', ')} }`;
  }
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

/** One `scn-<name>` client: confidential (client_secret_basic), every response type. */
function scenarioClient(name, receiverUrl) {
  const lines = [
    '',
    '[[clients]]',
    `client_id = "scn-${name}"`,
    `client_secret = "${SCENARIO_SECRET}"`,
    `client_name = "scenario ${name}"`,
    'type = "confidential"',
    `redirect_uris = ["${REDIRECT_URI}"]`,
    `post_logout_redirect_uris = ["${POST_LOGOUT_REDIRECT_URI}"]`,
    'grant_types = ["authorization_code", "refresh_token", "implicit"]',
    'response_types = ["code", "id_token", "id_token token", "code id_token", "code token", "code id_token token"]',
    'token_endpoint_auth_method = "client_secret_basic"',
    'scope = "openid profile email offline_access"',
    `scenario = "${name}"`,
  ];
  if (name.startsWith('logout-')) {
    lines.push(`backchannel_logout_uri = "${receiverUrl}"`, 'backchannel_logout_session_required = true');
  }
  return `${lines.join('\n')}\n`;
}

/** The filled test configuration. */
export function renderConfig({ backend, receiverUrl, jwksUrl, scenarios = SCENARIOS, server = {}, extraToml = '' }) {
  let template = readFileSync(join(HERE, 'config.toml'), 'utf8');
  // `[server]` settings replaced or added (e.g. { access_token_format: 'opaque' }).
  for (const [k, v] of Object.entries(server)) {
    const line = `${k} = ${tomlInline(v)}`;
    const re = new RegExp(`^${k} = .*$`, 'm');
    template = re.test(template) ? template.replace(re, line) : template.replace('[server]\n', `[server]\n${line}\n`);
  }
  let text = template
    .replaceAll('@REDIRECT_URI@', REDIRECT_URI)
    .replaceAll('@POST_LOGOUT_REDIRECT_URI@', POST_LOGOUT_REDIRECT_URI)
    .replaceAll('@BACKCHANNEL_LOGOUT_URI@', receiverUrl)
    .replaceAll('@BACKEND_PUBLIC_KEY_PEM@', backend.spki)
    .replaceAll('@BACKEND_JWKS_INLINE@', tomlInline({ keys: [backend.publicJwk] }));
  // Key registrations by JWKS URL (served by the test's receiver) and by X.509 certificate.
  text += `
[[clients]]
client_id = "backend-jwks-uri"
client_name = "JS test backend (private_key_jwt, jwks_uri)"
type = "confidential"
grant_types = ["client_credentials"]
token_endpoint_auth_method = "private_key_jwt"
token_endpoint_auth_signing_alg = "RS256"
scope = "api:read"
jwks_uri = "${jwksUrl}"
`;
  if (backend.certificate) {
    text += `
[[clients]]
client_id = "backend-cert"
client_name = "JS test backend (private_key_jwt, X.509 certificate)"
type = "confidential"
grant_types = ["client_credentials"]
token_endpoint_auth_method = "private_key_jwt"
token_endpoint_auth_signing_alg = "RS256"
scope = "api:read"
public_key_pem = """
${backend.certificate}"""
`;
  }
  for (const name of scenarios) text += scenarioClient(name, receiverUrl);
  return `${text}\n${extraToml}`;
}

/** Spawns the binary once; resolves { proc, issuer, listening } when the banner is printed. */
function spawnOnce(bin, configPath, logs, adminPassword) {
  return new Promise((resolvePromise, reject) => {
    const proc = spawn(bin, ['--config', configPath, '--in-memory', '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? 'info', OIDCKIT_ADMIN_PASSWORD: adminPassword },
    });
    let stdout = '';
    let done = false;
    const finish = (err, value) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolvePromise(value);
    };
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      finish(new Error(`oidckit-server printed no "listening" line within ${START_TIMEOUT_MS} ms\nstdout: ${stdout}\nstderr: ${logs.stderr.slice(-2000)}`));
    }, START_TIMEOUT_MS);
    proc.stdout.setEncoding('utf8');
    proc.stderr.setEncoding('utf8');
    proc.stdout.on('data', (chunk) => {
      stdout += chunk;
      logs.stdout += chunk;
      const listening = /listening\s+(https?:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
      const issuer = /issuer\s+(\S+)/.exec(stdout)?.[1];
      if (listening && issuer) finish(null, { proc, listening, issuer });
    });
    let partial = '';
    proc.stderr.on('data', (chunk) => {
      logs.stderr += chunk;
      if (logs.stderr.length > 1 << 20) logs.stderr = logs.stderr.slice(-(1 << 19));
      // Lines that show a server fault: a 5xx answer, a panic, an ERROR log line.
      const lines = (partial + chunk).split('\n');
      partial = lines.pop();
      for (const line of lines) {
        if (/\bstatus=5\d\d\b|panicked|\bERROR\b/.test(line)) logs.faults.push(line.replace(/\x1b\[[0-9;]*m/g, ''));
      }
    });
    proc.on('error', (e) => finish(e));
    proc.on('exit', (code, signal) => {
      logs.exit = { code, signal };
      finish(new Error(`oidckit-server exited (${code ?? signal}) before listening\nstdout: ${stdout}\nstderr: ${logs.stderr.slice(-2000)}`));
    });
  });
}

async function waitForDiscovery(issuer) {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  let last;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return await res.json();
      last = `HTTP ${res.status}`;
    } catch (e) {
      last = e.message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`discovery at ${url} did not answer within ${START_TIMEOUT_MS} ms (${last})`);
}

const running = new Set();
let exitHookInstalled = false;
function installExitHook() {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const p of running) {
      try { p.kill('SIGKILL'); } catch { /* already gone */ }
    }
  });
}

/**
 * Starts the server (`server`: `[server]` settings to override; `extraToml`: appended to the
 * configuration, e.g. a `[paths]` table). Returns { issuer, discovery, backend, logoutTokens, logs, droppedScenarios,
 * scenarios, login(url, opts), logout(url, opts), stop() }.
 * A scenario name the server's configuration refuses (`unknown scenario "…"`) is dropped and the
 * start retried; `droppedScenarios` lists those (tests skip them, saying why).
 */
export async function startServer({ scenarios = SCENARIOS, server = {}, extraToml = '' } = {}) {
  const bin = serverBinary();
  const backend = makeBackendKey();
  const logoutTokens = [];
  const jwksFetches = [];
  const receiver = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/jwks') {
      // The backend-jwks-uri client's key set (RFC 7591 §2 jwks_uri).
      jwksFetches.push(Date.now());
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [backend.publicJwk] }));
      return;
    }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const token = new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get('logout_token');
      if (req.method === 'POST' && token) logoutTokens.push(token);
      res.writeHead(token ? 200 : 400, { 'cache-control': 'no-store' });
      res.end();
    });
  });
  await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
  const receiverUrl = `http://127.0.0.1:${receiver.address().port}/backchannel-logout`;
  const jwksUrl = `http://127.0.0.1:${receiver.address().port}/jwks`;

  const dir = mkdtempSync(join(tmpdir(), 'oidckit-devserver-'));
  const adminPassword = crypto.randomBytes(18).toString('base64url');
  const configPath = join(dir, 'config.toml');
  /** stdout, stderr, exit; `faults`: stderr lines with a 5xx status, a panic or an ERROR level. */
  const logs = { stdout: '', stderr: '', exit: undefined, faults: [] };
  let remaining = [...scenarios];
  const dropped = [];
  let started;
  for (let attempt = 0; attempt <= scenarios.length; attempt += 1) {
    writeFileSync(configPath, renderConfig({ backend, receiverUrl, jwksUrl, scenarios: remaining, server, extraToml }));
    logs.stderr = '';
    logs.faults = [];
    try {
      started = await spawnOnce(bin, configPath, logs, adminPassword);
      break;
    } catch (e) {
      const unknown = /unknown scenario \\?"([^"\\]+)\\?"/.exec(e.message)?.[1];
      if (unknown && remaining.includes(unknown)) {
        remaining = remaining.filter((s) => s !== unknown);
        dropped.push(unknown);
        continue;
      }
      receiver.close();
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }
  if (!started) throw new Error('oidckit-server did not start');
  const { proc, issuer } = started;
  running.add(proc);
  installExitHook();
  let discovery;
  try {
    discovery = await waitForDiscovery(issuer);
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  }

  const stop = async () => {
    running.delete(proc);
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(t);
    }
    receiver.closeAllConnections?.();
    await new Promise((r) => receiver.close(r));
    rmSync(dir, { recursive: true, force: true });
  };

  return {
    issuer,
    discovery,
    backend,
    receiverUrl,
    jwksUrl,
    jwksFetches,
    logoutTokens,
    logs,
    scenarios: remaining,
    droppedScenarios: dropped,
    configText: () => readFileSync(configPath, 'utf8'),
    adminPassword,
    login: (url, opts) => login(issuer, url, opts),
    logout: (url, opts) => logout(issuer, url, opts),
    admin: () => adminSession(issuer, adminPassword),
    stop,
  };
}

// ---- the login and consent pages, driven over HTTP ----------------------------------------

export class CookieJar {
  #cookies = new Map();

  /** Every Set-Cookie line received, attributes included. */
  lines = [];

  store(res) {
    for (const line of res.headers.getSetCookie()) {
      this.lines.push(line);
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq < 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*expires=thu, 01 jan 1970/i.test(a)) || attrs.some((a) => /^\s*max-age=0\b/i.test(a));
      if (expired || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  get(name) {
    return this.#cookies.get(name);
  }

  header() {
    return [...this.#cookies].map(([n, v]) => `${n}=${v}`).join('; ');
  }
}

export function decodeHtml(s) {
  return s
    .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d)))
    .replaceAll('&quot;', '"').replaceAll('&apos;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

function attr(tag, name) {
  const m = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s"'>]+))`, 'i').exec(tag);
  if (!m) return undefined;
  return decodeHtml(m[1] ?? m[2] ?? m[3] ?? '');
}

/** Every <form> of a page: { method, action, fields (hidden/text/password inputs), inputs (all, with types) }. */
export function parseForms(html) {
  const forms = [];
  for (const m of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const open = `<form ${m[1]}>`;
    const fields = new URLSearchParams();
    const inputs = [];
    for (const t of m[2].matchAll(/<(input|button)\b[^>]*>/gi)) {
      const tag = t[0];
      const name = attr(tag, 'name');
      const type = (attr(tag, 'type') ?? (t[1].toLowerCase() === 'button' ? 'submit' : 'text')).toLowerCase();
      const value = attr(tag, 'value') ?? '';
      inputs.push({ name, type, value });
      if (!name) continue;
      if (type === 'submit' || type === 'button' || type === 'image' || type === 'reset') continue;
      if ((type === 'checkbox' || type === 'radio') && !/\schecked\b/i.test(tag)) continue;
      fields.append(name, value);
    }
    forms.push({ method: (attr(open, 'method') ?? 'get').toLowerCase(), action: attr(open, 'action') ?? '', fields, inputs });
  }
  return forms;
}

async function fetchStep(req, jar, extraHeaders = {}) {
  const headers = { cookie: jar.header(), accept: 'text/html', ...extraHeaders };
  if (req.body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
  const res = await fetch(req.url, {
    method: req.method, body: req.body, headers, redirect: 'manual', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  jar.store(res);
  return res;
}

/**
 * Follows an authorization URL through the server's login and consent pages (plain fetch, a
 * cookie jar). Stops at the first response aimed at the client:
 *   { type: 'redirect', url, jar }            a 3xx whose Location leaves the OP's origin,
 *   { type: 'form_post', action, body, jar }  a page whose form posts to another origin.
 * Options: user ('alice'), password (the user's), decision ('allow' | 'deny'), jar (reuse a
 * session), steps (an array the visited pages are pushed to: 'login', 'consent'), pages (an
 * array of { step, html, headers } for those pages).
 */
export async function login(issuer, authUrl, {
  user = 'alice', password, decision = 'allow', jar = new CookieJar(), maxSteps = 12, steps = [], pages = [],
} = {}) {
  const origin = new URL(issuer).origin;
  let req = { url: String(authUrl), method: 'GET', body: undefined };
  let loggedIn = false;
  for (let i = 0; i < maxSteps; i += 1) {
    const res = await fetchStep(req, jar);
    if (res.status >= 300 && res.status < 400) {
      const loc = new URL(res.headers.get('location'), req.url);
      await res.arrayBuffer();
      if (loc.origin !== origin) return { type: 'redirect', url: loc.href, status: res.status, jar };
      req = { url: loc.href, method: 'GET', body: undefined };
      continue;
    }
    const html = await res.text();
    const forms = parseForms(html).filter((f) => f.method === 'post');
    const out = forms.find((f) => f.action && new URL(f.action, req.url).origin !== origin);
    if (out) return { type: 'form_post', action: new URL(out.action, req.url).href, body: out.fields.toString(), status: res.status, html, jar };
    if (res.status !== 200) {
      const err = new Error(`OP answered ${res.status} at ${req.url}: ${html.replace(/\s+/g, ' ').slice(0, 600)}`);
      err.status = res.status;
      err.html = html;
      throw err;
    }
    const loginForm = forms.find((f) => f.inputs.some((x) => x.type === 'password') || /\/login(?:[?#]|$)/.test(f.action));
    const consentForm = forms.find((f) => /\/consent(?:[?#]|$)/.test(f.action) || f.inputs.some((x) => x.name === 'decision'));
    if (loginForm) {
      if (loggedIn) throw new Error(`the login page came back after posting the credentials of ${user}: ${html.replace(/\s+/g, ' ').slice(0, 600)}`);
      steps.push('login');
      pages.push({ step: 'login', html, headers: res.headers });
      const fields = new URLSearchParams(loginForm.fields);
      fields.set('username', user);
      fields.set('password', password ?? USERS[user]?.password ?? '');
      req = { url: new URL(loginForm.action || req.url, req.url).href, method: 'POST', body: fields.toString() };
      loggedIn = true;
      continue;
    }
    if (consentForm) {
      steps.push('consent');
      pages.push({ step: 'consent', html, headers: res.headers });
      const fields = new URLSearchParams(consentForm.fields);
      fields.set('decision', decision);
      req = { url: new URL(consentForm.action || req.url, req.url).href, method: 'POST', body: fields.toString() };
      continue;
    }
    throw new Error(`no login, consent or form_post form at ${req.url}: ${html.replace(/\s+/g, ' ').slice(0, 600)}`);
  }
  throw new Error(`more than ${maxSteps} steps through the login and consent pages`);
}

/**
 * Follows an end-session URL: redirects within the OP, a confirmation form when one is shown
 * (its first submit, or `logout=yes`), until a redirect leaves the OP (returned as { type:
 * 'redirect', url }) or a page without a form is reached ({ type: 'page', url, html }).
 */
export async function logout(issuer, endSessionUrl, { jar = new CookieJar(), maxSteps = 8 } = {}) {
  const origin = new URL(issuer).origin;
  let req = { url: String(endSessionUrl), method: 'GET', body: undefined };
  for (let i = 0; i < maxSteps; i += 1) {
    const res = await fetchStep(req, jar);
    if (res.status >= 300 && res.status < 400) {
      const loc = new URL(res.headers.get('location'), req.url);
      await res.arrayBuffer();
      if (loc.origin !== origin) return { type: 'redirect', url: loc.href, jar };
      req = { url: loc.href, method: 'GET', body: undefined };
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) throw new Error(`OP answered ${res.status} at ${req.url}: ${html.replace(/\s+/g, ' ').slice(0, 600)}`);
    const form = parseForms(html).find((f) => f.method === 'post');
    if (!form) return { type: 'page', url: req.url, html, jar };
    const fields = new URLSearchParams(form.fields);
    const submit = form.inputs.find((x) => x.type === 'submit' && x.name);
    if (submit) fields.set(submit.name, submit.value);
    req = { url: new URL(form.action || req.url, req.url).href, method: 'POST', body: fields.toString() };
  }
  throw new Error(`more than ${maxSteps} steps through the logout pages`);
}

/**
 * Signs in to the admin page (`/admin`, the password given by env OIDCKIT_ADMIN_PASSWORD) with
 * a cookie jar. Returns { jar, page(path) → html, submit(path, action, extra) }: `submit` loads
 * the page at `path`, takes the form posting to `action` (whose hidden inputs carry the CSRF
 * token), sets `extra` fields and posts it; resolves { status, location, html }.
 */
export async function adminSession(issuer, password) {
  const jar = new CookieJar();
  const base = issuer.replace(/\/$/, '');
  const origin = new URL(issuer).origin;
  const send = async (path, form) => {
    const res = await fetchStep({ url: `${base}${path}`, method: form ? 'POST' : 'GET', body: form?.toString() }, jar, { origin });
    const html = await res.text();
    return { status: res.status, location: res.headers.get('location'), html };
  };
  const signIn = await send('/admin/login', new URLSearchParams({ password }));
  if (!(signIn.status === 303 || signIn.status === 302 || signIn.status === 200) || !jar.header()) {
    throw new Error(`admin sign-in failed: ${signIn.status} ${signIn.html.replace(/\s+/g, ' ').slice(0, 300)}`);
  }
  return {
    jar,
    page: async (path) => {
      const r = await send(path);
      if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.html.slice(0, 300)}`);
      return r.html;
    },
    submit: async (path, action, extra = {}, pick = () => true) => {
      const r = await send(path);
      if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.html.slice(0, 300)}`);
      const form = parseForms(r.html).find((f) => f.method === 'post' && f.action.endsWith(action) && pick(f));
      if (!form) throw new Error(`no form posting to ${action} on ${path}`);
      const fields = new URLSearchParams(form.fields);
      for (const [k, v] of Object.entries(extra)) fields.set(k, v);
      return send(new URL(form.action, `${base}${path}`).pathname, fields);
    },
  };
}
