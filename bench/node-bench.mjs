// Side-by-side benchmark, in ONE Node process: oidckit (Rust → wasm) vs jose vs fast-jwt.
// Run by hand (never in CI, never as a test):
//   bash scripts/build.sh && cd bench && npm ci && node node-bench.mjs
// Env: BENCH_SECONDS (per measurement, default 1), BENCH_WARMUP_SECONDS (default 0.3),
//      BENCH_ALGS (comma list, default HS256,RS256,PS256,ES256,EdDSA),
//      BENCH_ROUNDS (interleaved rounds per figure, median kept; default 3),
//      BENCH_MEM_ITERATIONS (default 1000000), OIDCKIT_MODULE (see common.mjs).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gzipSync, constants as zc } from 'node:zlib';
import { createSigner, createVerifier } from 'fast-jwt';
import * as jose from 'jose';
import { ALGS, AUDIENCE, HERE, ISSUER, ROOT, idTokenClaims, loadOidckit, median } from './common.mjs';

const RUN_MS = Number(process.env.BENCH_SECONDS ?? 1) * 1000;
const WARMUP_MS = Number(process.env.BENCH_WARMUP_SECONDS ?? 0.3) * 1000;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MEM_ITERATIONS = Number(process.env.BENCH_MEM_ITERATIONS ?? 1_000_000);
const algs = (process.env.BENCH_ALGS ?? ALGS.join(',')).split(',').filter(Boolean);

// Capture the wasm instance(s) oidckit creates, to read its linear memory size. Installed before
// oidckit is imported (dynamically, below). jose and fast-jwt use no wasm.
const wasmInstances = [];
{
  const Orig = WebAssembly.Instance;
  WebAssembly.Instance = new Proxy(Orig, {
    construct(target, args, newTarget) {
      const inst = Reflect.construct(target, args, newTarget);
      wasmInstances.push(inst);
      return inst;
    },
  });
  const origInstantiate = WebAssembly.instantiate;
  WebAssembly.instantiate = async (...args) => {
    const r = await origInstantiate(...args);
    wasmInstances.push(r instanceof Orig ? r : r.instance);
    return r;
  };
  const origStreaming = WebAssembly.instantiateStreaming;
  if (origStreaming) {
    WebAssembly.instantiateStreaming = async (...args) => {
      const r = await origStreaming(...args);
      wasmInstances.push(r.instance);
      return r;
    };
  }
}

setFlagsFromString('--expose-gc');
const gc = globalThis.gc ?? runInNewContext('gc');

const { mod: oidckit, from: oidckitFrom } = await loadOidckit();

function wasmMemoryBytes() {
  let total = 0;
  let found = false;
  for (const inst of wasmInstances) {
    for (const v of Object.values(inst.exports)) {
      if (v instanceof WebAssembly.Memory) {
        total += v.buffer.byteLength;
        found = true;
      }
    }
  }
  return found ? total : undefined;
}

let sink; // keeps results alive so nothing is optimised away
const isThenable = (x) => x !== null && typeof x === 'object' && typeof x.then === 'function';

/** Runs fn repeatedly for `ms`, doubling the batch size while batches are short. */
async function runFor(fn, isAsync, ms) {
  let n = 0;
  let batch = 1;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    if (isAsync) for (let i = 0; i < batch; i++) sink = await fn();
    else for (let i = 0; i < batch; i++) sink = fn();
    n += batch;
    const t = performance.now();
    if (t - now < 5 && batch < 1 << 16) batch *= 2;
    now = t;
  }
  return { n, ms: now - start };
}

/** ops/s of fn (sync or async, detected from its first result) after a warm-up. */
async function opsPerSecond(fn) {
  const isAsync = isThenable(fn());
  if (isAsync) await fn();
  await runFor(fn, isAsync, WARMUP_MS);
  const { n, ms } = await runFor(fn, isAsync, RUN_MS);
  return (n * 1000) / ms;
}

async function setup(alg) {
  const claims = idTokenClaims();
  const header = { alg, kid: `bench-${alg}`, typ: 'JWT' };
  const opts = { algorithms: [alg], issuer: ISSUER, audience: AUDIENCE };
  const s = { alg, claims, header, opts };
  if (alg.startsWith('HS')) {
    const secret = await jose.generateSecret(alg, { extractable: true });
    const jwk = await jose.exportJWK(secret);
    s.jose = { sign: secret, verify: secret };
    s.publicJwk = jwk;
    s.oidckit = { sign: await oidckit.importJWK(jwk, alg), verify: await oidckit.importJWK(jwk, alg) };
    const raw = Buffer.from(jwk.k, 'base64url');
    s.fast = { signKey: raw, verifyKey: raw };
  } else {
    const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true });
    const priv = await jose.exportJWK(privateKey);
    const pub = await jose.exportJWK(publicKey);
    s.jose = { sign: privateKey, verify: publicKey };
    s.publicJwk = pub;
    s.oidckit = { sign: await oidckit.importJWK(priv, alg), verify: await oidckit.importJWK(pub, alg) };
    s.fast = { signKey: await jose.exportPKCS8(privateKey), verifyKey: await jose.exportSPKI(publicKey) };
  }
  s.token = await new jose.SignJWT(claims).setProtectedHeader(header).sign(s.jose.sign);
  try {
    const sign = createSigner({ key: s.fast.signKey, algorithm: alg, kid: header.kid, noTimestamp: true });
    const verify = createVerifier({ key: s.fast.verifyKey, algorithms: [alg], allowedIss: ISSUER, allowedAud: AUDIENCE });
    verify(s.token);
    s.fastjwt = { sign, verify };
  } catch (e) {
    s.fastjwt = undefined;
    s.fastError = e.message;
  }
  return s;
}

/** Every library must accept every other library's token before anything is timed. */
async function crossCheck(s) {
  const tokens = {
    jose: s.token,
    oidckit: await new oidckit.SignJWT(s.claims).setProtectedHeader(s.header).sign(s.oidckit.sign),
  };
  if (s.fastjwt) tokens['fast-jwt'] = s.fastjwt.sign(s.claims);
  for (const [by, t] of Object.entries(tokens)) {
    const a = await oidckit.jwtVerify(t, s.oidckit.verify, s.opts);
    const b = await jose.jwtVerify(t, s.jose.verify, s.opts);
    if (a.payload.sub !== s.claims.sub || b.payload.sub !== s.claims.sub) throw new Error(`${s.alg}: ${by} token mismatch`);
    if (s.fastjwt && s.fastjwt.verify(t).sub !== s.claims.sub) throw new Error(`${s.alg}: fast-jwt rejects ${by} token`);
  }
}

const fmt = (x) => (x === undefined ? 'n/a' : Math.round(x).toLocaleString('en-US'));
const kib = (b) => `${(b / 1024).toFixed(1)} KiB`;
const mib = (b) => `${(b / 1048576).toFixed(1)} MiB`;

console.log(`# oidckit benchmark — Node ${process.version}, ${process.platform}/${process.arch}`);
console.log(`oidckit from ${oidckitFrom}; jose ${readPkgVersion('jose')}; fast-jwt ${readPkgVersion('fast-jwt')}`);
console.log(`each figure: median of ${ROUNDS} interleaved runs of ${RUN_MS / 1000} s, each after ${WARMUP_MS / 1000} s warm-up; same token, keys and claims for all libraries`);
console.log('oidckit: synchronous calls; jose: awaited (WebCrypto); fast-jwt: synchronous (node:crypto), cache off\n');

/** Measures each library ROUNDS times, interleaved (a b c a b c ...), and keeps the median. */
async function compare(fns) {
  const samples = Object.fromEntries(Object.keys(fns).map((k) => [k, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [k, fn] of Object.entries(fns)) if (fn) samples[k].push(await opsPerSecond(fn));
  }
  return Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, xs.length ? median(xs) : undefined]));
}

const rows = [];
for (const alg of algs) {
  const s = await setup(alg);
  await crossCheck(s);
  rows.push({
    alg,
    op: 'verify',
    ...(await compare({
      oidckit: () => oidckit.jwtVerify(s.token, s.oidckit.verify, s.opts),
      jose: () => jose.jwtVerify(s.token, s.jose.verify, s.opts),
      fast: s.fastjwt && (() => s.fastjwt.verify(s.token)),
    })),
  });
  rows.push({
    alg,
    op: 'sign',
    ...(await compare({
      oidckit: () => new oidckit.SignJWT(s.claims).setProtectedHeader(s.header).sign(s.oidckit.sign),
      jose: () => new jose.SignJWT(s.claims).setProtectedHeader(s.header).sign(s.jose.sign),
      fast: s.fastjwt && (() => s.fastjwt.sign(s.claims)),
    })),
  });
  if (s.fastError) console.log(`fast-jwt ${alg}: not supported here (${s.fastError})`);
  process.stderr.write(`  ${alg} done\n`);
}

console.log('| alg | op | oidckit ops/s | jose ops/s | fast-jwt ops/s | oidckit/jose |');
console.log('|---|---|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${r.alg} | ${r.op} | ${fmt(r.oidckit)} | ${fmt(r.jose)} | ${fmt(r.fast)} | ${(r.oidckit / r.jose).toFixed(2)}× |`);
}

// ---- .wasm size ----
console.log('\n## Package size');
const wasmDirs = [resolve(HERE, 'node_modules/oidckit/dist'), resolve(ROOT, 'pkg/dist')];
const wasmDir = oidckitFrom.includes('node_modules') ? wasmDirs[0] : wasmDirs.find((d) => existsSync(d));
const wasmFiles = wasmDir && existsSync(wasmDir) ? readdirSync(wasmDir).filter((f) => f.endsWith('.wasm')) : [];
if (wasmFiles.length === 0) console.log('no .wasm found next to the loaded module');
for (const f of wasmFiles) {
  const buf = readFileSync(join(wasmDir, f));
  const gz = gzipSync(buf, { level: 9 });
  console.log(`${f}: ${buf.length.toLocaleString('en-US')} bytes raw (${kib(buf.length)}), ` +
    `${gz.length.toLocaleString('en-US')} bytes gzip -9 (${kib(gz.length)})`);
}

// ---- import → first verify, fresh child process, median of 5 ----
console.log('\n## Cold start: import → first verified JWT (fresh `node` process each, median of 5)');
{
  const s = await setup('RS256');
  for (const lib of ['oidckit', 'jose']) {
    const runs = [];
    for (let i = 0; i < 5; i++) {
      const r = spawnSync(process.execPath, ['first-verify.mjs', lib, 'RS256', s.token, JSON.stringify(s.publicJwk)], {
        cwd: HERE,
        env: process.env,
        encoding: 'utf8',
      });
      if (r.status !== 0) throw new Error(`first-verify ${lib} failed: ${r.stderr}`);
      runs.push(JSON.parse(r.stdout.trim().split('\n').pop()));
    }
    const m = (k) => median(runs.map((x) => x[k])).toFixed(1);
    console.log(`${lib} (RS256): import ${m('importMs')} ms + importJWK/first jwtVerify ${m('firstVerifyMs')} ms ` +
      `= ${m('totalMs')} ms (process start → verified: ${m('sinceProcessStartMs')} ms)`);
  }
}

// ---- memory: 10^6 HS256 verifications ----
console.log(`\n## Memory: ${MEM_ITERATIONS.toLocaleString('en-US')} oidckit HS256 jwtVerify calls`);
{
  const s = await setup('HS256');
  const key = s.oidckit.verify;
  const probe = oidckit.jwtVerify(s.token, key, s.opts);
  if (isThenable(probe)) throw new Error('oidckit.jwtVerify returned a Promise: the memory check expects the synchronous API');
  const snap = () => {
    gc();
    gc();
    const m = process.memoryUsage();
    return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, wasm: wasmMemoryBytes() };
  };
  const secret = Buffer.from(s.publicJwk.k, 'base64url');
  for (let i = 0; i < 10_000; i++) {
    sink = oidckit.jwtVerify(s.token, key, s.opts);
    sink = oidckit.jwtVerify(s.token, new Uint8Array(secret), s.opts);
  }
  const before = snap();
  const t0 = performance.now();
  for (let i = 0; i < MEM_ITERATIONS; i++) sink = oidckit.jwtVerify(s.token, key, s.opts);
  const secs = (performance.now() - t0) / 1000;
  // The Uint8Array-secret path builds a key per call: check it too (a tenth of the calls).
  for (let i = 0; i < MEM_ITERATIONS / 10; i++) sink = oidckit.jwtVerify(s.token, new Uint8Array(secret), s.opts);
  const after = snap();
  const d = (k) => after[k] - before[k];
  console.log(`took ${secs.toFixed(1)} s (${fmt(MEM_ITERATIONS / secs)} ops/s), plus ${(MEM_ITERATIONS / 10).toLocaleString('en-US')} calls with a Uint8Array secret`);
  console.log('| | before | after | delta |');
  console.log('|---|---:|---:|---:|');
  for (const k of ['rss', 'heapUsed', 'external', 'wasm']) {
    if (before[k] === undefined) {
      console.log(`| ${k} memory | n/a | n/a | (no exported WebAssembly.Memory seen) |`);
      continue;
    }
    console.log(`| ${k}${k === 'wasm' ? ' memory' : ''} | ${mib(before[k])} | ${mib(after[k])} | ${d(k) >= 0 ? '+' : ''}${mib(d(k))} |`);
  }
  const flat = (before.wasm === undefined || d('wasm') === 0) && d('heapUsed') < 4 * 1048576 && d('rss') < 48 * 1048576;
  console.log(`memory: ${flat ? 'flat — OK' : 'GROWING — investigate'} (criteria: wasm memory unchanged, heap < +4 MiB, RSS < +48 MiB)`);
}

function readPkgVersion(name) {
  try {
    return JSON.parse(readFileSync(resolve(HERE, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}
