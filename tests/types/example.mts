// A typed ESM consumer of the installed package, checked with
// `tsc --strict --module nodenext --noEmit` (scripts/test-js.sh). It must compile without errors;
// the `@ts-expect-error` lines must fail to compile (they prove the types are not `any`).
import {
  CompactSign,
  KeyObject,
  SignJWT,
  calculateJwkThumbprint,
  calculateX509Thumbprint,
  compactVerify,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  errors,
  exportJWK,
  exportPKCS8,
  exportSPKI,
  generateKeyPair,
  generateSecret,
  importJWK,
  importPEM,
  importPKCS8,
  importSPKI,
  importX509,
  jwtVerify,
} from 'oidckit';
import type * as Oidckit from 'oidckit';

// Key generation and the KeyObject's read-only properties.
const { publicKey, privateKey } = generateKeyPair('ES256', { extractable: true });
const kp: { publicKey: KeyObject; privateKey: KeyObject } = { publicKey, privateKey };
const kind: 'secret' | 'public' | 'private' = kp.publicKey.type;
const kty: string = publicKey.kty;
const crv: string | undefined = publicKey.crv;
const alg: string | undefined = publicKey.alg;
const kid: string | undefined = publicKey.kid;
const x5t: string | undefined = publicKey.x5t;
const x5tS256: string | undefined = publicKey['x5t#S256'];
const extractable: boolean = privateKey.extractable;
void [kind, kty, crv, alg, kid, x5t, x5tS256, extractable];

const rsa = generateKeyPair('RS256', { modulusLength: 2048 });
const secret: KeyObject = generateSecret('HS256', { extractable: false });

// Signing: the builder is chainable and sign() returns a string synchronously.
const token: string = new SignJWT({ scope: 'openid', n: 1 })
  .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: 'k1' })
  .setIssuer('https://op.example')
  .setSubject('user')
  .setAudience(['rp1', 'rp2'])
  .setJti('id')
  .setIssuedAt()
  .setNotBefore('0s')
  .setExpirationTime('2h')
  .sign(privateKey);

new SignJWT().setProtectedHeader({ alg: 'HS256' }).setExpirationTime(new Date()).setIssuedAt(1700000000).sign(secret);
new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).sign(new Uint8Array(32));

// Verification with every option; the result is typed.
const result = jwtVerify(token, publicKey, {
  algorithms: ['ES256'],
  issuer: ['https://op.example'],
  audience: 'rp1',
  subject: 'user',
  typ: 'JWT',
  clockTolerance: '30s',
  maxTokenAge: 3600,
  requiredClaims: ['jti'],
  currentDate: new Date(),
  crit: { 'urn:example': true },
});
const payload: Oidckit.JWTPayload = result.payload;
const iss: string | undefined = payload.iss;
const exp: number | undefined = payload.exp;
const aud: string | string[] | undefined = payload.aud;
const header: Oidckit.ProtectedHeaderParameters = result.protectedHeader;
const headerAlg: string | undefined = header.alg;
void [iss, exp, aud, headerAlg];

// Awaiting works too (jose code ports unchanged).
async function asJose(): Promise<string | undefined> {
  const { payload: p } = await jwtVerify(token, publicKey);
  return p.sub;
}
void asJose;

// JWK Sets.
const jwk: Oidckit.JWK = exportJWK(publicKey);
const jwks = createLocalJWKSet({ keys: [{ ...jwk, kid: 'k1' }] });
const selected: KeyObject = jwks({ alg: 'ES256', kid: 'k1' });
jwtVerify(token, jwks);
void selected;

// Imports and exports.
const fromJwk: KeyObject = importJWK(jwk, 'ES256');
const spki: string = exportSPKI(fromJwk);
const pkcs8: string = exportPKCS8(privateKey);
importSPKI(spki, 'ES256');
importPKCS8(pkcs8, 'ES256', { extractable: true });
importPEM(spki);
importX509('-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n', 'RS256');
importX509(new Uint8Array(0), 'RS256');
const tp: string = calculateJwkThumbprint(jwk, 'sha384');
const tp2: string = calculateJwkThumbprint(publicKey);
const xtp: string = calculateX509Thumbprint(new Uint8Array(0), 'sha1');
void [tp, tp2, xtp, rsa];

// JWS with a binary payload.
const jws: string = new CompactSign(new Uint8Array([1, 2])).setProtectedHeader({ alg: 'HS256' }).sign(secret);
const bytes: Uint8Array = compactVerify(jws, secret).payload;
void bytes;

// Decoding.
const claims: Oidckit.JWTPayload = decodeJwt(token);
const ph: Oidckit.ProtectedHeaderParameters = decodeProtectedHeader(token);
void [claims, ph];

// Errors: classes with codes and claim details.
try {
  jwtVerify(token, publicKey);
} catch (err) {
  if (err instanceof errors.JWTExpired) {
    const claim: string = err.claim;
    const reason: string = err.reason;
    const code: string = err.code;
    void [claim, reason, code];
  } else if (err instanceof errors.JWTClaimValidationFailed) {
    const claim: string = err.claim;
    void claim;
  } else if (err instanceof errors.JOSEError) {
    const code: string = err.code;
    const e: Error = err;
    void [code, e];
  }
}
const codes: string[] = [
  errors.JWSInvalid.code, errors.JWTInvalid.code, errors.JWKInvalid.code, errors.JWKSInvalid.code,
  errors.JWKSNoMatchingKey.code, errors.JWKSMultipleMatchingKeys.code, errors.KeyInvalid.code,
  errors.JWSSignatureVerificationFailed.code, errors.JOSEAlgNotAllowed.code, errors.JOSENotSupported.code,
];
void codes;

// The types reject misuse.
// @ts-expect-error: jwtVerify needs a token string
jwtVerify(42, publicKey);
// @ts-expect-error: unknown option key
jwtVerify(token, publicKey, { issuerr: 'x' });
// @ts-expect-error: clockTolerance is a number or a string
jwtVerify(token, publicKey, { clockTolerance: true });
// @ts-expect-error: the result is not a string
const notString: string = jwtVerify(token, publicKey);
void notString;
// @ts-expect-error: type is read-only
publicKey.type = 'private';
