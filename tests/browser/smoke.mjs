// Browser smoke test: serves the installed package's dist/ and a tiny page from a local static
// server (127.0.0.1, free port), drives Debian's Chromium with playwright-core, reads the page's
// results from the DOM, and saves a screenshot to test-artifacts/browser-smoke.png.
//
// Environment (set by scripts/test-js.sh; defaults work from the repository):
//   OIDCKIT_PKG_DIR     folder of the installed package (has dist/); default: nearest
//                       node_modules/oidckit above this file, else <repo>/pkg
//   OIDCKIT_REPO_ROOT   repository root (for ../shared/vectors and test-artifacts/)
//   CHROMIUM_PATH       default /usr/bin/chromium
// Exit codes: 0 pass or skipped (with a printed reason), 1 failure.
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(process.env.OIDCKIT_REPO_ROOT ?? join(here, '..', '..'));
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TIMEOUT_MS = 30_000;

function findPkgDir() {
  if (process.env.OIDCKIT_PKG_DIR) return resolve(process.env.OIDCKIT_PKG_DIR);
  for (let d = here; ; d = dirname(d)) {
    const candidate = join(d, 'node_modules', 'oidckit');
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(d) === d) break;
  }
  return join(repoRoot, 'pkg');
}

const log = (...a) => console.log('[browser-smoke]', ...a);

if (!existsSync(chromiumPath)) {
  log(`SKIPPED: no Chromium at ${chromiumPath} (install Debian's "chromium" package or set CHROMIUM_PATH)`);
  process.exit(0);
}

let chromium;
try {
  ({ chromium } = await import('playwright-core'));
} catch (err) {
  log(`FAIL: playwright-core is not installed next to this script (${err.message})`);
  process.exit(1);
}

const pkgDir = findPkgDir();
const distDir = join(pkgDir, 'dist');
if (!existsSync(join(distDir, 'browser.js'))) {
  log(`FAIL: ${join(distDir, 'browser.js')} not found (run scripts/build.sh)`);
  process.exit(1);
}

// The pre-made RS256 token: RFC 7515 A.2 (from the shared vectors), with a JWKS holding its public
// key and an unrelated EC key.
const vectorsDir = resolve(process.env.OIDCKIT_VECTORS_DIR ?? join(repoRoot, '..', 'shared', 'vectors'));
const a2 = JSON.parse(readFileSync(join(vectorsDir, 'rfc', 'rfc7515_appendix_a.json'), 'utf8'))
  .examples.find((e) => e.section === 'RFC 7515 Appendix A.2');
const a3 = JSON.parse(readFileSync(join(vectorsDir, 'rfc', 'rfc7515_appendix_a.json'), 'utf8'))
  .examples.find((e) => e.section === 'RFC 7515 Appendix A.3');
const fixture = JSON.stringify({
  token: a2.compact,
  currentDate: 1300819000,
  jwks: {
    keys: [
      { kty: 'EC', crv: a3.jwk.crv, x: a3.jwk.x, y: a3.jwk.y, kid: 'ec' },
      { kty: 'RSA', n: a2.jwk.n, e: a2.jwk.e, use: 'sig' },
    ],
  },
});

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.map': 'application/json',
  '.ts': 'text/plain; charset=utf-8',
};

/** Resolves a URL path inside `root`, refusing anything that escapes it. */
function inside(root, rel) {
  const p = resolve(root, `.${rel}`);
  return p === root || p.startsWith(root + sep) ? p : null;
}

const requests = [];
const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  const path = decodeURIComponent(url.pathname);
  requests.push(`${req.method} ${path}`);
  let file = null;
  if (path === '/' || path === '/index.html') file = join(here, 'index.html');
  else if (path === '/page.mjs') file = join(here, 'page.mjs');
  else if (path === '/fixture.json') {
    res.writeHead(200, { 'content-type': MIME['.json'], 'cache-control': 'no-store' });
    res.end(fixture);
    return;
  } else if (path.startsWith('/dist/')) file = inside(distDir, path.slice('/dist'.length));
  if (!file || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
    return;
  }
  res.writeHead(200, {
    'content-type': MIME[extname(file)] ?? 'application/octet-stream',
    'cache-control': 'no-store',
  });
  res.end(readFileSync(file));
});

await new Promise((r) => server.listen(0, '127.0.0.1', r));
const { port } = server.address();
const base = `http://127.0.0.1:${port}/`;
log(`serving ${distDir} at ${base}`);

// A hard watchdog: whatever happens, this process ends.
const watchdog = setTimeout(() => {
  log('FAIL: watchdog fired (120 s)');
  process.exit(1);
}, 120_000);
watchdog.unref();

let browser;
let failed = false;
const pageErrors = [];
try {
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
    timeout: TIMEOUT_MS,
  });
  const page = await browser.newPage({ viewport: { width: 1000, height: 520 } });
  page.setDefaultTimeout(TIMEOUT_MS);
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') pageErrors.push(`console.${m.type()}: ${m.text()}`);
  });
  page.on('requestfailed', (r) => pageErrors.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`));

  // Any uncaught error in the page (e.g. the module failing to load) ends the wait at once.
  let onPageError;
  const pageFailed = new Promise((_, reject) => {
    onPageError = (e) => reject(new Error(`uncaught error in the page: ${e.message}`));
    page.on('pageerror', onPageError);
  });
  pageFailed.catch(() => {});
  await page.goto(base, { waitUntil: 'load', timeout: TIMEOUT_MS });
  try {
    await Promise.race([
      page.waitForSelector('#status[data-status="done"]', { timeout: TIMEOUT_MS, state: 'attached' }),
      pageFailed,
    ]);
  } catch (err) {
    const status = await page.textContent('#status', { timeout: 5_000 }).catch(() => '?');
    throw new Error(err.message.startsWith('uncaught')
      ? err.message
      : `page did not finish within ${TIMEOUT_MS} ms (status: ${status})`);
  } finally {
    page.off('pageerror', onPageError);
    const out = join(repoRoot, 'test-artifacts');
    mkdirSync(out, { recursive: true });
    await page.screenshot({ path: join(out, 'browser-smoke.png'), fullPage: true, timeout: TIMEOUT_MS });
    log(`screenshot: ${join(out, 'browser-smoke.png')}`);
  }
  const checks = JSON.parse(await page.textContent('#result'));
  const names = Object.keys(checks);
  for (const [name, c] of Object.entries(checks)) log(`${c.pass ? 'ok  ' : 'FAIL'} ${name}${c.detail ? ` — ${c.detail}` : ''}`);
  const expected = ['ES256 sign → verify', 'HS256 sign → verify', 'RS256 pre-made token (RFC 7515 A.2) verifies against a JWKS',
    'tampered RS256 token is rejected with a coded error', 'expired RS256 token (real clock) is rejected'];
  for (const name of expected) {
    if (!names.includes(name)) throw new Error(`missing check: ${name}`);
  }
  if (!Object.values(checks).every((c) => c.pass)) throw new Error('a check failed in the page');
  const wasmReq = requests.filter((r) => r.endsWith('.wasm'));
  log(`requests: ${requests.join(', ')}`);
  if (wasmReq.length === 0) log('note: no separate .wasm request (inlined module?)');
} catch (err) {
  failed = true;
  log(`FAIL: ${err.message}`);
  for (const e of pageErrors) log(`  ${e}`);
  log(`  requests: ${requests.join(', ')}`);
} finally {
  await browser?.close().catch(() => {});
  server.closeAllConnections?.();
  await new Promise((r) => server.close(r));
}
if (!failed && pageErrors.length) log(`page warnings:\n  ${pageErrors.join('\n  ')}`);
log(failed ? 'RESULT: FAIL' : 'RESULT: PASS');
process.exit(failed ? 1 : 0);
