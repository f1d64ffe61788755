// Shared by node-bench.mjs, first-verify.mjs and browser-bench.mjs: the claims, the algorithms
// and how oidckit is loaded. Run by hand only; nothing here is a test.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const HERE = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(HERE, '..');

export const ALGS = ['HS256', 'RS256', 'PS256', 'ES256', 'EdDSA'];

export const ISSUER = 'https://accounts.example.com';
export const AUDIENCE = 's6BhdRkqt3';

/** A typical OpenID Connect ID token payload (OIDC Core §2 / §5.1 claims), valid for one hour. */
export function idTokenClaims(now = Math.floor(Date.now() / 1000)) {
  return {
    iss: ISSUER,
    sub: '248289761001',
    aud: AUDIENCE,
    azp: AUDIENCE,
    exp: now + 3600,
    iat: now,
    auth_time: now - 120,
    nonce: 'n-0S6_WzA2Mj',
    at_hash: '77QmUPtjPfzWtF2AnpK9RQ',
    acr: 'urn:mace:incommon:iap:silver',
    amr: ['pwd', 'mfa'],
    sid: '08a5019c-17e1-4977-8f42-65a12843ea02',
    name: 'Jane Doe',
    given_name: 'Jane',
    family_name: 'Doe',
    preferred_username: 'j.doe',
    email: 'janedoe@example.com',
    email_verified: true,
    locale: 'en-US',
    picture: 'https://example.com/janedoe/me.jpg',
  };
}

/**
 * Loads oidckit. Order: $OIDCKIT_MODULE (a path or specifier), then `oidckit` installed in
 * bench/node_modules (e.g. `npm install --no-save ../pkg/oidckit-0.1.0.tgz`), then the built
 * ../pkg/dist/node.mjs. Returns { mod, from }.
 */
export async function loadOidckit() {
  const env = process.env.OIDCKIT_MODULE;
  if (env) {
    const spec = existsSync(env) ? pathToFileURL(resolve(env)).href : env;
    return { mod: await import(spec), from: env };
  }
  if (existsSync(resolve(HERE, 'node_modules/oidckit/package.json'))) {
    return { mod: await import('oidckit'), from: 'bench/node_modules/oidckit (packed tarball)' };
  }
  const dist = resolve(ROOT, 'pkg/dist/node.mjs');
  if (!existsSync(dist)) {
    throw new Error(`oidckit not built: ${dist} is missing. Run: bash scripts/build.sh`);
  }
  return { mod: await import(pathToFileURL(dist).href), from: 'pkg/dist/node.mjs' };
}

/** Median of a list of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
