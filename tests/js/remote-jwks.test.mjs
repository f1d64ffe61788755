// createRemoteJWKSet against real node:http servers on 127.0.0.1 (port 0, started and closed by
// each test): caching, refetch on an unknown kid, cooldown, collapsed concurrent misses,
// Cache-Control / ETag, timeout, redirects, size limit, strict JSON, key rotation, the pluggable
// cache, jku/x5u never followed, the injected fetch, URL policy.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkError, oidckit } from './helpers.mjs';

const { createRemoteJWKSet, generateKeyPair, exportJWK, SignJWT, jwtVerify, compactVerify, CompactSign, KeyObject, errors } = oidckit;

/** An ES256 key pair with its public JWK (kid set). */
function pair(kid, alg = 'ES256') {
  const kp = generateKeyPair(alg, { extractable: true });
  return { ...kp, kid, alg, jwk: { ...exportJWK(kp.publicKey), kid, alg, use: 'sig' } };
}

const sign = (p, claims = { sub: 'alice' }, header = {}) =>
  new SignJWT(claims).setProtectedHeader({ alg: p.alg, kid: p.kid, ...header }).setIssuedAt().setExpirationTime('5m').sign(p.privateKey);

/**
 * A JWKS server on 127.0.0.1:0. `handler(req, res)` answers (default: serves `state.jwks` as
 * JSON with `state.headers`). Every request is recorded in `requests`.
 */
async function server(handler) {
  const state = { jwks: { keys: [] }, headers: {}, requests: [] };
  const srv = createServer((req, res) => {
    state.requests.push({ method: req.method, url: req.url, headers: req.headers });
    if (handler) return handler(req, res, state);
    res.writeHead(200, { 'content-type': 'application/json', ...state.headers });
    res.end(JSON.stringify(state.jwks));
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address();
  state.url = (path = '/jwks') => `http://127.0.0.1:${port}${path}`;
  state.close = () =>
    new Promise((resolve) => {
      srv.closeAllConnections?.();
      srv.close(() => resolve());
    });
  return state;
}

/** Runs `fn(s)` with a fresh server, always closing it. */
async function withServer(handler, fn) {
  const s = await server(handler);
  try {
    return await fn(s);
  } finally {
    await s.close();
  }
}

const LOOPBACK = { allowInsecureRequests: true };

async function rejects(promise, codes, opts) {
  assert.ok(promise instanceof Promise, 'a remote JWK Set makes the call return a Promise');
  try {
    await promise;
  } catch (err) {
    return checkError(err, codes, opts);
  }
  assert.fail(`expected a rejection with ${codes}`);
}

describe('createRemoteJWKSet', () => {
  const a = pair('a');
  const b = pair('b');

  it('first fetch: GET with Accept JSON, verifies, exposes jose properties', () =>
    withServer(null, async (s) => {
      s.jwks = { keys: [a.jwk] };
      const jwks = createRemoteJWKSet(new URL(s.url()), LOOPBACK);
      assert.equal(typeof jwks, 'function');
      assert.equal(jwks.fresh, false);
      assert.equal(jwks.coolingDown, false);
      assert.equal(jwks.reloading, false);
      assert.equal(jwks.jwks(), undefined);
      const p = jwtVerify(sign(a, { sub: 'first' }), jwks);
      assert.ok(p instanceof Promise);
      const res = await p;
      assert.equal(res.payload.sub, 'first');
      assert.equal(res.protectedHeader.kid, 'a');
      assert.ok(res.key instanceof KeyObject);
      assert.equal(res.key.kid, 'a');
      assert.equal(s.requests.length, 1);
      assert.equal(s.requests[0].method, 'GET');
      assert.equal(s.requests[0].url, '/jwks');
      assert.match(s.requests[0].headers.accept, /application\/json/);
      assert.equal(s.requests[0].headers['if-none-match'], undefined);
      assert.equal(jwks.fresh, true);
      assert.equal(jwks.coolingDown, true);
      assert.deepEqual(jwks.jwks(), { keys: [a.jwk] });
      // Called directly, as jose's: a Promise of the selected KeyObject.
      const k = await jwks({ alg: 'ES256', kid: 'a' });
      assert.ok(k instanceof KeyObject);
      assert.equal(k.kid, 'a');
      await rejects(jwks({ alg: 'ES256', kid: 'nope' }), 'ERR_JWKS_NO_MATCHING_KEY');
    }));

  it('cache hit: further verifications do not refetch', () =>
    withServer(null, async (s) => {
      s.jwks = { keys: [a.jwk, b.jwk] };
      const jwks = createRemoteJWKSet(s.url(), LOOPBACK);
      for (let i = 0; i < 5; i++) {
        assert.equal((await jwtVerify(sign(i % 2 ? a : b), jwks)).payload.sub, 'alice');
      }
      assert.equal(s.requests.length, 1);
    }));

  it('unknown kid: one refetch, then the new key verifies', () =>
    withServer(null, async (s) => {
      s.jwks = { keys: [a.jwk] };
      const jwks = createRemoteJWKSet(s.url(), { ...LOOPBACK, cooldownDuration: 0 });
      await jwtVerify(sign(a), jwks);
      assert.equal(s.requests.length, 1);
      s.jwks = { keys: [a.jwk, b.jwk] };
      const res = await jwtVerify(sign(b, { sub: 'bob' }), jwks);
      assert.equal(res.payload.sub, 'bob');
      assert.equal(res.key.kid, 'b');
      assert.equal(s.requests.length, 2);
      // compactVerify uses the same path.
      const jws = new CompactSign(new TextEncoder().encode('hi')).setProtectedHeader({ alg: 'ES256', kid: 'b' }).sign(b.privateKey);
      const cv = await compactVerify(jws, jwks);
      assert.equal(new TextDecoder().decode(cv.payload), 'hi');
      assert.equal(s.requests.length, 2);
    }));

  it('cooldown: unknown kids do not cause refetch storms', () =>
    withServer(null, async (s) => {
      s.jwks = { keys: [a.jwk] };
      const jwks = createRemoteJWKSet(s.url(), LOOPBACK); // default cooldown 30 s
      const stranger = pair('stranger');
      for (let i = 0; i < 10; i++) {
        await rejects(jwtVerify(sign(stranger), jwks), 'ERR_JWKS_NO_MATCHING_KEY');
      }
      assert.equal(s.requests.length, 1, 'only the initial load');
      assert.equal(jwks.coolingDown, true);

      // A short cooldown: one refetch once it has passed, then quiet again.
      const short = createRemoteJWKSet(s.url('/short'), { ...LOOPBACK, cooldownDuration: 500 });
      await jwtVerify(sign(a), short);
      assert.equal(s.requests.length, 2);
      await rejects(jwtVerify(sign(stranger), short), 'ERR_JWKS_NO_MATCHING_KEY');
      assert.equal(s.requests.length, 2);
      await sleep(600);
      assert.equal(short.coolingDown, false);
      await rejects(jwtVerify(sign(stranger), short), 'ERR_JWKS_NO_MATCHING_KEY');
      assert.equal(s.requests.length, 3);
      for (let i = 0; i < 5; i++) await rejects(jwtVerify(sign(stranger), short), 'ERR_JWKS_NO_MATCHING_KEY');
      assert.equal(s.requests.length, 3);
    }));

  it('concurrent misses share exactly one fetch', () =>
    withServer(
      (req, res, st) => {
        setTimeout(() => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(st.jwks));
        }, 100);
      },
      async (s) => {
        s.jwks = { keys: [a.jwk] };
        const jwks = createRemoteJWKSet(s.url(), { ...LOOPBACK, cooldownDuration: 0 });
        const first = Array.from({ length: 20 }, () => jwtVerify(sign(a), jwks));
        await new Promise((r) => setImmediate(r));
        assert.equal(jwks.reloading, true);
        await Promise.all(first);
        assert.equal(s.requests.length, 1, 'cold start: 20 verifications, one fetch');
        assert.equal(jwks.reloading, false);

        s.jwks = { keys: [a.jwk, b.jwk] };
        const misses = await Promise.all(Array.from({ length: 20 }, () => jwtVerify(sign(b), jwks)));
        assert.ok(misses.every((r) => r.key.kid === 'b'));
        assert.equal(s.requests.length, 2, 'rotation: 20 unknown-kid verifications, one refetch');
      },
    ));

  it('Cache-Control max-age replaces cacheMaxAge', () =>
    withServer(null, async (s) => {
      s.jwks = { keys: [a.jwk] };
      // max-age=1 keeps the set fresh for 1 s although cacheMaxAge is 0.
      s.headers = { 'cache-control': 'public, max-age=1' };
      const short = createRemoteJWKSet(s.url('/one'), { ...LOOPBACK, cacheMaxAge: 0, cooldownDuration: 0 });
      await jwtVerify(sign(a), short);
      await jwtVerify(sign(a), short);
      assert.equal(short.fresh, true);
      assert.equal(s.requests.length, 1);
      await sleep(1100);
      assert.equal(short.fresh, false);
      await jwtVerify(sign(a), short);
      assert.equal(s.requests.length, 2);

      // max-age=3600 outlives a 20 ms cacheMaxAge.
      s.headers = { 'cache-control': 'max-age=3600' };
      const long = createRemoteJWKSet(s.url('/long'), { ...LOOPBACK, cacheMaxAge: 20 });
      await jwtVerify(sign(a), long);
      await sleep(60);
      assert.equal(long.fresh, true);
      await jwtVerify(sign(a), long);
      assert.equal(s.requests.length, 3);

      // no-store: stale at once, but never more often than the cooldown allows.
      s.headers = { 'cache-control': 'no-store' };
      const guarded = createRemoteJWKSet(s.url('/guarded'), LOOPBACK);
      for (let i = 0; i < 3; i++) await jwtVerify(sign(a), guarded);
      assert.equal(s.requests.length, 4, 'no-store is floored at the 30 s cooldown');
      const eager = createRemoteJWKSet(s.url('/eager'), { ...LOOPBACK, cooldownDuration: 0 });
      for (let i = 0; i < 3; i++) await jwtVerify(sign(a), eager);
      assert.equal(s.requests.length, 7, 'no-store with cooldown 0: every verification refetches');

      // Age is subtracted from max-age (RFC 9111 §4.2.3).
      s.headers = { 'cache-control': 'max-age=100', age: '100' };
      const aged = createRemoteJWKSet(s.url('/aged'), { ...LOOPBACK, cooldownDuration: 0 });
      await jwtVerify(sign(a), aged);
      assert.equal(aged.fresh, false);
      await jwtVerify(sign(a), aged);
      assert.equal(s.requests.length, 9);
    }));

  it('ETag: If-None-Match revalidates, 304 keeps the set', () =>
    withServer(
      (req, res, st) => {
        if (req.headers['if-none-match'] === '"v1"') {
          res.writeHead(304, { etag: '"v1"' });
          return res.end();
        }
        res.writeHead(200, { 'content-type': 'application/json', etag: '"v1"' });
        res.end(JSON.stringify(st.jwks));
      },
      async (s) => {
        s.jwks = { keys: [a.jwk] };
        const jwks = createRemoteJWKSet(s.url(), { ...LOOPBACK, cacheMaxAge: 0, cooldownDuration: 0 });
        await jwtVerify(sign(a), jwks);
        assert.equal(jwks.fresh, false);
        const res = await jwtVerify(sign(a, { sub: 'again' }), jwks);
        assert.equal(res.payload.sub, 'again');
        assert.equal(s.requests.length, 2);
        assert.equal(s.requests[1].headers['if-none-match'], '"v1"');
        await jwks.reload();
        assert.equal(s.requests.length, 3);
        assert.equal(s.requests[2].headers['if-none-match'], '"v1"');
        assert.deepEqual(jwks.jwks(), { keys: [a.jwk] });
      },
    ));

  it('304 without a stored ETag is refused', () =>
    withServer(
      (req, res) => {
        res.writeHead(304);
        res.end();
      },
      async (s) => {
        const jwks = createRemoteJWKSet(s.url(), LOOPBACK);
        await rejects(jwtVerify(sign(a), jwks), 'ERR_JOSE_GENERIC', { message: /200 OK/ });
      },
    ));

  it('timeout: a server that never answers, and an injected fetch that ignores the signal', () =>
    withServer(
      () => {}, // never responds
      async (s) => {
        const jwks = createRemoteJWKSet(s.url(), { ...LOOPBACK, timeoutDuration: 150 });
        const t0 = Date.now();
        const err = await rejects(jwtVerify(sign(a), jwks), 'ERR_JOSE_GENERIC', { message: /timed out/ });
        assert.ok(err instanceof errors.JOSEError);
        assert.ok(Date.now() - t0 < 3000);
        assert.equal(jwks.reloading, false);

        const stuck = createRemoteJWKSet('https://issuer.example/jwks', {
          timeoutDuration: 100,
          fetch: () => new Promise(() => {}),
        });
        await rejects(jwtVerify(sign(a), stuck), 'ERR_JOSE_GENERIC', { message: /timed out/ });
      },
    ));

  it('3xx responses are refused and never followed', () =>
    withServer(null, async (target) => {
      target.jwks = { keys: [a.jwk] };
      await withServer(
        (req, res) => {
          const same = req.url === '/same';
          res.writeHead(same ? 301 : 302, { location: same ? '/jwks' : target.url() });
          res.end();
        },
        async (s) => {
          for (const path of ['/other', '/same']) {
            const jwks = createRemoteJWKSet(s.url(path), LOOPBACK);
            await rejects(jwtVerify(sign(a), jwks), 'ERR_JOSE_GENERIC', { message: /redirect/ });
          }
          assert.equal(s.requests.length, 2);
          assert.equal(s.requests.filter((r) => r.url === '/jwks').length, 0);
          assert.equal(target.requests.length, 0, 'the redirect target was never contacted');
        },
      );
    }));

  it('bodies over 512 KiB are refused (with and without Content-Length)', () =>
    withServer(
      (req, res, st) => {
        const big = JSON.stringify({ keys: [a.jwk], pad: 'x'.repeat(600 * 1024) });
        if (req.url === '/chunked') {
          res.writeHead(200, { 'content-type': 'application/json' });
          for (let i = 0; i < big.length; i += 16384) res.write(big.slice(i, i + 16384));
          return res.end();
        }
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(big) });
        res.end(big);
      },
      async (s) => {
        for (const path of ['/sized', '/chunked']) {
          const jwks = createRemoteJWKSet(s.url(path), LOOPBACK);
          await rejects(jwtVerify(sign(a), jwks), 'ERR_JOSE_GENERIC', { message: /larger than 524288 bytes/ });
        }
      },
    ));

  it('malformed JSON, duplicate members, non-sets, bad UTF-8 and non-200 are refused', () =>
    withServer(
      (req, res) => {
        const bodies = {
          '/malformed': '{"keys": [',
          '/duplicate': `{"keys": [${JSON.stringify(a.jwk)}], "keys": []}`,
          '/duplicate-in-key': `{"keys": [${JSON.stringify(a.jwk).slice(0, -1)}, "kid": "other"}]}`,
          '/not-a-set': '{"foo": 1}',
          '/array': `[${JSON.stringify(a.jwk)}]`,
          '/utf8': Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]),
        };
        if (req.url === '/500') {
          res.writeHead(500, { 'content-type': 'application/json' });
          return res.end(JSON.stringify({ keys: [a.jwk] }));
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(bodies[req.url]);
      },
      async (s) => {
        for (const path of ['/malformed', '/duplicate', '/duplicate-in-key', '/not-a-set', '/array', '/utf8']) {
          const jwks = createRemoteJWKSet(s.url(path), LOOPBACK);
          const err = await rejects(jwtVerify(sign(a), jwks), 'ERR_JWKS_INVALID');
          assert.ok(err instanceof errors.JWKSInvalid, path);
          assert.equal(jwks.jwks(), undefined, `${path}: nothing was kept`);
        }
        const err = await rejects(jwtVerify(sign(a), createRemoteJWKSet(s.url('/500'), LOOPBACK)), 'ERR_JOSE_GENERIC');
        assert.match(err.message, /200 OK.*500/);
      },
    ));

  it('key rotation at the server: old tokens verify while their key is published', () =>
    withServer(null, async (s) => {
      const old = pair('2026-old');
      const next = pair('2026-new');
      s.jwks = { keys: [old.jwk] };
      const jwks = createRemoteJWKSet(s.url(), { ...LOOPBACK, cooldownDuration: 0 });
      const oldToken = sign(old, { sub: 'o' });
      assert.equal((await jwtVerify(oldToken, jwks)).payload.sub, 'o');

      // The OP publishes the new key next to the old one, then signs with the new key.
      s.jwks = { keys: [next.jwk, old.jwk] };
      const newToken = sign(next, { sub: 'n' });
      assert.equal((await jwtVerify(newToken, jwks)).payload.sub, 'n');
      assert.equal(s.requests.length, 2, 'the new kid triggered one reload');
      assert.equal((await jwtVerify(oldToken, jwks)).payload.sub, 'o');
      assert.equal(s.requests.length, 2, 'the old key is still in the set: no fetch');

      // The old key is retired: after the next reload the old token no longer verifies.
      s.jwks = { keys: [next.jwk] };
      await jwks.reload();
      await rejects(jwtVerify(oldToken, jwks), 'ERR_JWKS_NO_MATCHING_KEY');
      assert.equal((await jwtVerify(newToken, jwks)).payload.sub, 'n');
    }));

  it('several matching keys (no kid) are each tried', () =>
    withServer(null, async (s) => {
      const x = pair(undefined);
      const y = pair(undefined);
      s.jwks = { keys: [{ ...x.jwk, kid: undefined }, { ...y.jwk, kid: undefined }].map((k) => JSON.parse(JSON.stringify(k))) };
      const jwks = createRemoteJWKSet(s.url(), LOOPBACK);
      const token = new SignJWT({ sub: 'y' }).setProtectedHeader({ alg: 'ES256' }).sign(y.privateKey);
      assert.equal((await jwtVerify(token, jwks)).payload.sub, 'y');
      await rejects(jwks({ alg: 'ES256' }), 'ERR_JWKS_MULTIPLE_MATCHING_KEYS');
      assert.equal(s.requests.length, 1);
    }));

  it('pluggable cache: a second instance sharing an async Map cache does not fetch', () =>
    withServer(
      (req, res, st) => {
        res.writeHead(200, { 'content-type': 'application/json', etag: 'W/"e1"', 'cache-control': 'max-age=300' });
        res.end(JSON.stringify(st.jwks));
      },
      async (s) => {
        s.jwks = { keys: [a.jwk, b.jwk] };
        const store = new Map();
        const cache = {
          get: async (k) => (store.has(k) ? JSON.parse(store.get(k)) : undefined), // a KV store holds text
          set: async (k, v) => void store.set(k, JSON.stringify(v)),
        };
        const one = createRemoteJWKSet(s.url(), { ...LOOPBACK, cache });
        await jwtVerify(sign(a), one);
        assert.equal(s.requests.length, 1);
        const entry = JSON.parse(store.get(s.url()));
        assert.deepEqual(entry.jwks, s.jwks);
        assert.equal(entry.etag, 'W/"e1"');
        assert.equal(entry.maxAge, 300000);
        assert.equal(typeof entry.uat, 'number');

        const two = createRemoteJWKSet(s.url(), { ...LOOPBACK, cache });
        assert.equal((await jwtVerify(sign(b, { sub: 'two' }), two)).payload.sub, 'two');
        assert.equal(s.requests.length, 1, 'the second instance used the shared cache');
        assert.equal(two.fresh, true);

        // A stale cache entry is revalidated with its ETag.
        store.set(s.url(), JSON.stringify({ ...entry, uat: Date.now() - 400000 }));
        const three = createRemoteJWKSet(s.url(), { ...LOOPBACK, cache });
        await jwtVerify(sign(a), three);
        assert.equal(s.requests.length, 2);
        assert.equal(s.requests[1].headers['if-none-match'], 'W/"e1"');

        // A broken cache (or garbage in it) never fails verification: the network is used.
        const broken = { get: async () => { throw new Error('kv down'); }, set: () => { throw new Error('kv down'); } };
        await jwtVerify(sign(a), createRemoteJWKSet(s.url(), { ...LOOPBACK, cache: broken }));
        const junk = { get: () => ({ uat: Date.now(), jwks: { keys: 'no' } }), set: () => {} };
        await jwtVerify(sign(a), createRemoteJWKSet(s.url(), { ...LOOPBACK, cache: junk }));
        assert.equal(s.requests.length, 4);
      },
    ));

  it('jku and x5u are never followed', () =>
    withServer(null, async (attacker) => {
      const evil = pair('a'); // same kid as the legitimate key
      attacker.jwks = { keys: [evil.jwk] };
      await withServer(null, async (s) => {
        s.jwks = { keys: [a.jwk] };
        const jwks = createRemoteJWKSet(s.url(), { ...LOOPBACK, cooldownDuration: 0 });
        const hdr = { jku: attacker.url('/jku'), x5u: attacker.url('/x5u') };
        // A legitimate token carrying jku/x5u: verified with the configured set only.
        assert.equal((await jwtVerify(sign(a, { sub: 'ok' }, hdr), jwks)).payload.sub, 'ok');
        // A forged token pointing at the attacker's keys: refused.
        await rejects(jwtVerify(sign(evil, { sub: 'evil' }, hdr), jwks), 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
        await rejects(jwtVerify(sign({ ...evil, kid: 'evil' }, { sub: 'evil' }, hdr), jwks), 'ERR_JWKS_NO_MATCHING_KEY');
        await rejects(jwks({ alg: 'ES256', kid: 'x', ...hdr }), 'ERR_JWKS_NO_MATCHING_KEY');
        assert.equal(attacker.requests.length, 0, 'no request to jku / x5u');
        assert.ok(s.requests.every((r) => r.url === '/jwks'));
      });
    }));

  it('the injected fetch is used, with redirect manual, a signal and the headers', async () => {
    const calls = [];
    const fetch = async (url, init) => {
      calls.push({ url, init });
      return new Response(JSON.stringify({ keys: [a.jwk] }), { status: 200, headers: { 'content-type': 'application/jwk-set+json' } });
    };
    const jwks = createRemoteJWKSet('https://issuer.example/.well-known/jwks.json', {
      fetch,
      headers: { 'x-tenant': 't1', 'If-None-Match': 'ignored' },
    });
    assert.equal((await jwtVerify(sign(a), jwks)).payload.sub, 'alice');
    assert.equal(calls.length, 1);
    const { url, init } = calls[0];
    assert.equal(url, 'https://issuer.example/.well-known/jwks.json');
    assert.equal(init.method, 'GET');
    assert.equal(init.redirect, 'manual');
    assert.ok(init.signal instanceof AbortSignal);
    const h = new Headers(init.headers);
    assert.equal(h.get('x-tenant'), 't1');
    assert.match(h.get('accept'), /application\/json/);
    assert.equal(h.get('if-none-match'), null, 'a configured If-None-Match is never sent');

    // A fetch that throws (network error) becomes a JOSEError with the cause kept.
    const boom = new TypeError('fetch failed');
    const failing = createRemoteJWKSet('https://issuer.example/jwks', { fetch: async () => { throw boom; } });
    const err = await rejects(jwtVerify(sign(a), failing), 'ERR_JOSE_GENERIC', { message: /request failed/ });
    assert.equal(err.cause, boom);
  });

  it('a refused connection is a JOSEError', async () => {
    const s = await server(null);
    const url = s.url();
    await s.close();
    await rejects(jwtVerify(sign(a), createRemoteJWKSet(url, LOOPBACK)), 'ERR_JOSE_GENERIC');
  });

  it('claim failures are reported without a refetch; argument errors reject', () =>
    withServer(null, async (s) => {
      s.jwks = { keys: [a.jwk] };
      const jwks = createRemoteJWKSet(s.url(), { ...LOOPBACK, cooldownDuration: 0 });
      const expired = new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'ES256', kid: 'a' }).setExpirationTime(1000).sign(a.privateKey);
      const err = await rejects(jwtVerify(expired, jwks), 'ERR_JWT_EXPIRED');
      assert.equal(err.payload.sub, 'x');
      await rejects(jwtVerify(sign(a), jwks, { issuer: 'https://op.example' }), 'ERR_JWT_CLAIM_VALIDATION_FAILED', { claim: 'iss' });
      assert.equal(s.requests.length, 1);
      await rejects(jwtVerify(sign(a), jwks, { bogus: 1 }), 'ERR_INVALID_ARG_VALUE');
      await rejects(jwtVerify(42, jwks), 'ERR_JWS_INVALID');
      await rejects(compactVerify(sign(a), jwks, { issuer: 'x' }), 'ERR_INVALID_ARG_VALUE');
      await rejects(jwtVerify(sign(a), jwks, { algorithms: ['RS256'] }), 'ERR_JOSE_ALG_NOT_ALLOWED');
    }));

  it('URL policy: https only; http only for loopback with allowInsecureRequests', () => {
    const forbidden = (url, options) => {
      let err;
      try {
        createRemoteJWKSet(url, options);
      } catch (e) {
        err = e;
      }
      assert.ok(err instanceof errors.OperationProcessingError, `${url} must be refused`);
      assert.equal(err.code, 'OAUTH_HTTP_REQUEST_FORBIDDEN');
    };
    forbidden('http://127.0.0.1/jwks');
    forbidden('http://op.example/jwks', LOOPBACK);
    forbidden('http://10.0.0.1/jwks', LOOPBACK);
    forbidden('http://127.0.0.1.nip.io/jwks', LOOPBACK);
    forbidden('file:///etc/passwd', LOOPBACK);
    forbidden('data:application/json,{"keys":[]}', LOOPBACK);
    for (const ok of ['http://127.0.0.1:8080/jwks', 'http://localhost/jwks', 'http://[::1]/jwks', 'http://127.1.2.3/x']) {
      assert.equal(typeof createRemoteJWKSet(ok, LOOPBACK), 'function', ok);
    }
    assert.equal(typeof createRemoteJWKSet(new URL('https://op.example/jwks')), 'function');
    const misuse = (fn) => {
      assert.throws(fn, (e) => e instanceof TypeError && ['ERR_INVALID_ARG_VALUE', 'ERR_INVALID_ARG_TYPE'].includes(e.code));
    };
    misuse(() => createRemoteJWKSet('not a url'));
    misuse(() => createRemoteJWKSet(42));
    misuse(() => createRemoteJWKSet('https://user:pw@op.example/jwks'));
    misuse(() => createRemoteJWKSet('https://op.example/jwks', { cooldown: 1 }));
    misuse(() => createRemoteJWKSet('https://op.example/jwks', { cacheMaxAge: -1 }));
    misuse(() => createRemoteJWKSet('https://op.example/jwks', { cooldownDuration: Number.NaN }));
    misuse(() => createRemoteJWKSet('https://op.example/jwks', { timeoutDuration: 1.5 }));
    misuse(() => createRemoteJWKSet('https://op.example/jwks', { fetch: 'fetch' }));
    misuse(() => createRemoteJWKSet('https://op.example/jwks', { cache: new Map().keys() }));
    misuse(() => createRemoteJWKSet('https://op.example/jwks', { allowInsecureRequests: 'yes' }));
    misuse(() => createRemoteJWKSet('https://op.example/jwks', { headers: [['bad header', 'x']] }));
    // jose's cacheMaxAge: Infinity is accepted.
    assert.equal(typeof createRemoteJWKSet('https://op.example/jwks', { cacheMaxAge: Infinity }), 'function');
  });
});
