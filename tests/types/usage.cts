// A typed CommonJS consumer (`require` condition of the exports map), checked with tsc --strict.
import oidckit = require('oidckit');

const { publicKey, privateKey } = oidckit.generateKeyPair('EdDSA');
const token: string = new oidckit.SignJWT({ cjs: true }).setProtectedHeader({ alg: 'EdDSA' }).sign(privateKey);
const { payload } = oidckit.jwtVerify(token, publicKey, { algorithms: ['EdDSA'] });
const sub: string | undefined = payload.sub;
void sub;

function describeError(err: unknown): string {
  if (err instanceof oidckit.errors.JOSEError) return err.code;
  return 'other';
}
void describeError;

export const thumbprint: string = oidckit.calculateJwkThumbprint(oidckit.exportJWK(publicKey));
