// A short tour of oidckit in Node: generate keys, sign JWTs, verify them, and see a real error.
// Run after `bash scripts/build.sh`; in your own project: `import { ... } from 'oidckit'`.
import {
  SignJWT,
  jwtVerify,
  generateKeyPair,
  generateSecret,
  exportJWK,
  createLocalJWKSet,
  calculateJwkThumbprint,
  errors,
} from '../pkg/dist/node.mjs';

const issuer = 'https://op.example';
const audience = 'demo-client';

for (const alg of ['ES256', 'EdDSA', 'RS256', 'PS256']) {
  const { publicKey, privateKey } = generateKeyPair(alg);
  const jwk = { ...exportJWK(publicKey), alg, use: 'sig' };
  jwk.kid = calculateJwkThumbprint(jwk);
  const jwks = createLocalJWKSet({ keys: [jwk] });

  const t0 = performance.now();
  const token = new SignJWT({ email: 'alice@example.com' })
    .setProtectedHeader({ alg, kid: jwk.kid, typ: 'JWT' })
    .setIssuer(issuer)
    .setSubject('alice')
    .setAudience(audience)
    .setIssuedAt()
    .setExpirationTime('10m')
    .sign(privateKey);
  const { payload, protectedHeader } = jwtVerify(token, jwks, { issuer, audience, algorithms: [alg] });
  const ms = (performance.now() - t0).toFixed(1);
  console.log(`${alg.padEnd(6)} signed + verified in ${ms} ms: sub=${payload.sub} kid=${protectedHeader.kid.slice(0, 12)}…`);
}

const secret = generateSecret('HS256');
const token = new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(0).sign(secret);
try {
  jwtVerify(token, secret);
} catch (err) {
  console.log(`expired token refused: ${err instanceof errors.JWTExpired} ${err.code} (claim ${err.claim})`);
}
console.log('oidckit works.');
