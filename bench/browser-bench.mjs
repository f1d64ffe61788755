// Browser side-by-side benchmark: oidckit's browser build (dist/browser.js + .wasm) vs jose's
// WebCrypto build in headless Chromium (Debian's /usr/bin/chromium via playwright-core).
// Run by hand: bash scripts/build.sh && cd bench && npm ci && node browser-bench.mjs
// Env: BENCH_SECONDS (default 1), BENCH_WARMUP_SECONDS (0.3), BENCH_ROUNDS (3), BENCH_ALGS,
//      CHROMIUM_PATH (default /usr/bin/chromium), OIDCKIT_PKG_DIR (folder with dist/).
// The static server listens on 127.0.0.1 only, on a free port, and stops when the run ends.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { chromium } from 'playwright-core';
import { ALGS, HERE, ROOT } from './common.mjs';

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const pkgDir = resolve(
  process.env.OIDCKIT_PKG_DIR ??
    (existsSync(join(HERE, 'node_modules/oidckit/dist')) ? join(HERE, 'node_modules/oidckit') : join(ROOT, 'pkg')),
);
const distDir = join(pkgDir, 'dist');
const joseDir = join(HERE, 'node_modules/jose/dist/webapi');
if (!existsSync(join(distDir, 'browser.js'))) {
  console.error(`browser-bench: ${distDir}/browser.js is missing. Run: bash scripts/build.sh`);
  process.exit(1);
}
if (!existsSync(chromiumPath)) {
  console.log(`browser-bench: SKIPPED (no Chromium at ${chromiumPath}; apt-get install chromium)`);
  process.exit(0);
}

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
};

function inside(root, rel) {
  const p = resolve(root, `.${rel}`);
  return p === root || p.startsWith(root + sep) ? p : null;
}

const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://127.0.0.1').pathname);
  let file = null;
  if (path === '/' || path === '/index.html') {
    res.writeHead(200, { 'content-type': MIME['.html'] });
    res.end('<!doctype html><meta charset="utf-8"><title>oidckit bench</title><body>running…<script type="module" src="/browser-page.mjs"></script>');
    return;
  }
  if (path === '/browser-page.mjs') file = join(HERE, 'browser-page.mjs');
  else if (path.startsWith('/dist/')) file = inside(distDir, path.slice('/dist'.length));
  else if (path.startsWith('/jose/')) file = inside(joseDir, path.slice('/jose'.length));
  if (!file || !existsSync(file) || !statSync(file).isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
    return;
  }
  res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
  res.end(readFileSync(file));
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const { port } = server.address();

const q = new URLSearchParams({
  seconds: process.env.BENCH_SECONDS ?? '1',
  warmup: process.env.BENCH_WARMUP_SECONDS ?? '0.3',
  rounds: process.env.BENCH_ROUNDS ?? '3',
  algs: process.env.BENCH_ALGS ?? ALGS.join(','),
});
const watchdog = setTimeout(() => {
  console.error('browser-bench: watchdog fired (15 min)');
  process.exit(1);
}, 15 * 60_000);
watchdog.unref();

let browser;
let code = 0;
try {
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage();
  // A page error (failed import, exception in the page) ends the run at once.
  const pageFailed = new Promise((_, reject) => page.on('pageerror', (e) => reject(new Error(`page error: ${e.message}`))));
  await page.goto(`http://127.0.0.1:${port}/?${q}`);
  await Promise.race([
    page.waitForFunction(() => window.__benchResult, null, { timeout: 14 * 60_000, polling: 500 }),
    pageFailed,
  ]);
  const r = await page.evaluate(() => window.__benchResult);
  const fmt = (x) => Math.round(x).toLocaleString('en-US');
  console.log(`# oidckit browser benchmark — ${r.userAgent}`);
  console.log(`each figure: median of ${q.get('rounds')} interleaved runs of ${q.get('seconds')} s; oidckit sync, jose awaited (WebCrypto)`);
  console.log(`import of dist/browser.js (fetch + compile + instantiate .wasm): ${r.importMs.toFixed(1)} ms\n`);
  console.log('| alg | op | oidckit ops/s | jose ops/s | oidckit/jose |');
  console.log('|---|---|---:|---:|---:|');
  for (const row of r.rows) {
    console.log(`| ${row.alg} | ${row.op} | ${fmt(row.oidckit)} | ${fmt(row.jose)} | ${(row.oidckit / row.jose).toFixed(2)}× |`);
  }
  for (const [alg, why] of Object.entries(r.skipped)) console.log(`${alg}: not measured (${why})`);
} catch (e) {
  console.error(`browser-bench: FAILED: ${e.message}`);
  code = 1;
} finally {
  await browser?.close();
  server.close();
}
process.exit(code);
