// A small leak check: 10^5 verifications with keys created and dropped (half freed explicitly,
// half left to the FinalizationRegistry), including failing verifications. Asserts that the JS heap,
// the wasm linear memory (when reachable) and the RSS stay within a bound. No timing assertions.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import v8 from 'node:v8';
import vm from 'node:vm';

// Capture the package's WebAssembly.Memory as it is instantiated: wrap the instantiation entry
// points BEFORE the package is first imported (each test file runs in its own process), then
// restore them. The package itself is imported by name, as everywhere else.
let capturedMemory = null;
const capture = (instance) => {
  for (const v of Object.values(instance?.exports ?? {})) if (v instanceof WebAssembly.Memory) capturedMemory ??= v;
  return instance;
};
const OrigInstance = WebAssembly.Instance;
const origInstantiate = WebAssembly.instantiate;
const origInstantiateStreaming = WebAssembly.instantiateStreaming;
function PatchedInstance(module, imports) {
  return capture(new OrigInstance(module, imports));
}
PatchedInstance.prototype = OrigInstance.prototype;
WebAssembly.Instance = PatchedInstance;
WebAssembly.instantiate = async (...args) => {
  const r = await origInstantiate(...args);
  capture(r instanceof OrigInstance ? r : r.instance);
  return r;
};
if (origInstantiateStreaming) {
  WebAssembly.instantiateStreaming = async (...args) => {
    const r = await origInstantiateStreaming(...args);
    capture(r.instance);
    return r;
  };
}
const { b64u, hmacJws, nodeKeyPair, oidckit } = await import('./helpers.mjs');
WebAssembly.Instance = OrigInstance;
WebAssembly.instantiate = origInstantiate;
if (origInstantiateStreaming) WebAssembly.instantiateStreaming = origInstantiateStreaming;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
const MiB = 1024 * 1024;

/** The package's WebAssembly.Memory: captured at instantiation, else searched on the module. */
function findWasmMemory() {
  if (capturedMemory) return capturedMemory;
  for (const k of ['memory', '__wasm', 'wasm', '__wbindgen_memory']) {
    const v = oidckit[k];
    if (v instanceof WebAssembly.Memory) return v;
    if (v?.memory instanceof WebAssembly.Memory) return v.memory;
  }
  return null;
}

const settle = async () => {
  for (let i = 0; i < 3; i += 1) {
    gc();
    // Let FinalizationRegistry callbacks run.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('memory', () => {
  it('10^5 verifications with keys created and dropped do not grow memory', { timeout: 300_000 }, async (t) => {
    const memory = findWasmMemory();
    t.diagnostic(memory ? `wasm memory captured at instantiation: ${(memory.buffer.byteLength / MiB).toFixed(1)} MiB` : 'wasm memory not reachable: checking heap + RSS only');
    const secretBytes = new Uint8Array(32).fill(3);
    const jwkOct = { kty: 'oct', k: b64u(secretBytes) };
    const hsToken = hmacJws('HS256', { alg: 'HS256' }, { sub: 'm' }, secretBytes);
    const badToken = `${hsToken.slice(0, -2)}AA`;
    const ec = nodeKeyPair('ES256');
    const ecPriv = oidckit.importPKCS8(ec.pkcs8, 'ES256');
    const esToken = new oidckit.SignJWT({ sub: 'e' }).setProtectedHeader({ alg: 'ES256' }).sign(ecPriv);

    const TOTAL = 100_000;
    const BATCH = 10_000;
    let ok = 0;
    let failed = 0;
    let baseline = null;
    for (let done = 0; done < TOTAL; done += BATCH) {
      for (let i = 0; i < BATCH; i += 1) {
        const n = done + i;
        let key;
        let token = hsToken;
        if (n % 100 === 0) {
          key = oidckit.importJWK(ec.publicJwk, 'ES256');
          token = esToken;
        } else if (n % 3 === 0) {
          key = secretBytes; // Uint8Array path
        } else {
          key = oidckit.importJWK(jwkOct, 'HS256');
        }
        if (n % 10 === 5) token = badToken;
        try {
          oidckit.jwtVerify(token, key);
          ok += 1;
        } catch (err) {
          assert.equal(err.code, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
          failed += 1;
        }
        if (key !== secretBytes && n % 2 === 0) key.free();
      }
      await settle();
      if (done + BATCH === 2 * BATCH) {
        // Baseline after warm-up (two batches).
        baseline = { ...process.memoryUsage(), wasm: memory ? memory.buffer.byteLength : 0 };
      }
    }
    await settle();
    const end = { ...process.memoryUsage(), wasm: memory ? memory.buffer.byteLength : 0 };
    const growth = {
      heapUsed: (end.heapUsed - baseline.heapUsed) / MiB,
      rss: (end.rss - baseline.rss) / MiB,
      wasm: (end.wasm - baseline.wasm) / MiB,
    };
    t.diagnostic(`verified ${ok}, rejected ${failed}; growth after warm-up: heap ${growth.heapUsed.toFixed(1)} MiB, ` +
      `rss ${growth.rss.toFixed(1)} MiB, wasm ${growth.wasm.toFixed(1)} MiB (wasm total ${(end.wasm / MiB).toFixed(1)} MiB)`);
    assert.equal(ok + failed, TOTAL);
    assert.equal(failed, TOTAL / 10);
    // 80 000 further iterations leaking even 100 bytes each would be 8 MB.
    assert.ok(growth.heapUsed < 8, `JS heap grew by ${growth.heapUsed.toFixed(1)} MiB`);
    if (memory) assert.ok(growth.wasm < 4, `wasm memory grew by ${growth.wasm.toFixed(1)} MiB`);
    assert.ok(growth.rss < 48, `RSS grew by ${growth.rss.toFixed(1)} MiB`);
  });
});
