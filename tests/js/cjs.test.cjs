// CommonJS consumers: require('oidckit') is synchronous and needs no init call.
'use strict';

const assert = require('node:assert/strict');
const { describe, it } = require('node:test');

const oidckit = require('oidckit');

describe('require("oidckit")', () => {
  it('exposes the API synchronously', () => {
    for (const name of ['SignJWT', 'CompactSign', 'jwtVerify', 'compactVerify', 'importJWK', 'importPKCS8',
      'importSPKI', 'importX509', 'importPEM', 'exportJWK', 'exportSPKI', 'exportPKCS8', 'calculateJwkThumbprint',
      'calculateX509Thumbprint', 'generateKeyPair', 'generateSecret', 'createLocalJWKSet', 'decodeJwt',
      'decodeProtectedHeader', 'KeyObject']) {
      assert.equal(typeof oidckit[name], 'function', name);
    }
    assert.equal(typeof oidckit.errors, 'object');
    assert.equal(typeof oidckit.then, 'undefined', 'the CJS export is not a Promise');
  });

  it('signs and verifies (ES256, HS256) right after require', () => {
    const { publicKey, privateKey } = oidckit.generateKeyPair('ES256');
    const token = new oidckit.SignJWT({ cjs: true }).setProtectedHeader({ alg: 'ES256' }).setIssuedAt().sign(privateKey);
    assert.equal(oidckit.jwtVerify(token, publicKey).payload.cjs, true);
    const secret = oidckit.generateSecret('HS256');
    const t2 = new oidckit.SignJWT({ n: 2 }).setProtectedHeader({ alg: 'HS256' }).sign(secret);
    assert.equal(oidckit.jwtVerify(t2, secret).payload.n, 2);
  });

  it('errors are the exported classes', () => {
    const secret = new Uint8Array(32);
    const token = new oidckit.SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(10).sign(secret);
    assert.throws(() => oidckit.jwtVerify(token, secret), (err) => {
      assert.ok(err instanceof oidckit.errors.JWTExpired);
      assert.ok(err instanceof oidckit.errors.JOSEError);
      assert.ok(err instanceof Error);
      assert.equal(err.code, 'ERR_JWT_EXPIRED');
      assert.equal(err.claim, 'exp');
      return true;
    });
  });

  it('the CJS and ESM builds interoperate (same token format, same thumbprints)', async () => {
    const esm = await import('oidckit');
    const { publicKey, privateKey } = oidckit.generateKeyPair('EdDSA', { extractable: true });
    const token = new oidckit.SignJWT({ x: 1 }).setProtectedHeader({ alg: 'EdDSA' }).sign(privateKey);
    const pub = esm.importJWK(oidckit.exportJWK(publicKey), 'EdDSA');
    assert.equal(esm.jwtVerify(token, pub).payload.x, 1);
    assert.equal(esm.calculateJwkThumbprint(oidckit.exportJWK(publicKey)), oidckit.calculateJwkThumbprint(publicKey));
  });
});
