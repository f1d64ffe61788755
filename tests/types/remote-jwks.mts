// Types of createRemoteJWKSet (issue 3), checked with tsc --strict against the installed package.
import { compactVerify, createRemoteJWKSet, jwtVerify } from 'oidckit';
import type { JSONWebKeySet, KeyObject, RemoteJWKSet, RemoteJWKSetCache, RemoteJWKSetCacheEntry } from 'oidckit';

const store = new Map<string, string>();
const cache: RemoteJWKSetCache = {
  get: async (k) => {
    const v = store.get(k);
    return v === undefined ? undefined : (JSON.parse(v) as RemoteJWKSetCacheEntry);
  },
  set: async (k, entry) => {
    store.set(k, JSON.stringify(entry));
  },
};
const jwks: RemoteJWKSet = createRemoteJWKSet(new URL('https://op.example/jwks'), {
  timeoutDuration: 2000,
  cooldownDuration: 30_000,
  cacheMaxAge: 600_000,
  headers: { 'x-tenant': 't' },
  fetch: (url, init) => fetch(url, init),
  cache,
});
createRemoteJWKSet('http://127.0.0.1:8080/jwks', { allowInsecureRequests: true });
// @ts-expect-error unknown option
createRemoteJWKSet('https://op.example/jwks', { cooldown: 1 });

export async function check(token: string): Promise<string | undefined> {
  const flags: boolean[] = [jwks.coolingDown, jwks.fresh, jwks.reloading];
  await jwks.reload();
  const set: JSONWebKeySet | undefined = jwks.jwks();
  const key: KeyObject = await jwks({ alg: 'RS256', kid: 'k' });
  const { payload, key: used } = await jwtVerify<{ scope: string }>(token, jwks, { issuer: 'https://op.example' });
  const scope: string = payload.scope;
  const cv = await compactVerify(token, jwks);
  const bytes: Uint8Array = cv.payload;
  return `${flags.length}${set?.keys.length}${key.kid}${scope}${bytes.length}${used === undefined}`;
}
