// Child process of node-bench.mjs: time from `import` of a library to its first verified JWT.
// Usage: node first-verify.mjs <oidckit|jose> <alg> <token> <public-jwk-json>
// Prints one JSON line: { importMs, firstVerifyMs, totalMs, sinceProcessStartMs }.
// No static imports, so that the clock starts before any library code is loaded.
const [lib, alg, token, jwkJson] = process.argv.slice(2);
const t0 = performance.now();
let mod;
if (lib === 'oidckit') {
  const { loadOidckit } = await import('./common.mjs');
  mod = (await loadOidckit()).mod;
} else if (lib === 'jose') {
  mod = await import('jose');
} else {
  throw new Error(`unknown library ${lib}`);
}
const t1 = performance.now();
const key = await mod.importJWK(JSON.parse(jwkJson), alg);
const { payload } = await mod.jwtVerify(token, key, { algorithms: [alg] });
const t2 = performance.now();
if (typeof payload.sub !== 'string') throw new Error('verification returned no payload');
console.log(
  JSON.stringify({ importMs: t1 - t0, firstVerifyMs: t2 - t1, totalMs: t2 - t0, sinceProcessStartMs: t2 }),
);
