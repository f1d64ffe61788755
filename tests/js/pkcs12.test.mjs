// importPKCS12 and importPKCS8 with a passphrase, against files made at test time by the openssl
// CLI: `openssl pkcs12 -export` (OpenSSL 3 default: AES-256-CBC + PBKDF2, HMAC-SHA256 MAC) and
// `-legacy` (3DES key, RC2-40 certificates, SHA-1 MAC), `openssl pkcs8 -topk8 -v2 ...`.
// Without openssl the whole suite is skipped, with the reason in the output.
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MISUSE, checkError, hasOpenssl, oidckit, openssl, tempDir, throwsCode } from './helpers.mjs';

const { importPKCS12, importPKCS8, importSPKI, exportPKCS8, SignJWT, jwtVerify, errors } = oidckit;

const PASSWORD = 's3cret pässword';
const MAC_FAILED = /wrong password or corrupt PKCS#12 \(MAC check failed\)/;
const SKIP = hasOpenssl() ? false : 'openssl CLI not installed: PKCS#12 / encrypted PKCS#8 files cannot be made';

const PKCS8_VARIANTS = {
  'aes-256-cbc, PBKDF2-HMAC-SHA256 (OpenSSL 3 default)': ['-v2', 'aes-256-cbc'],
  'aes-256-cbc, PBKDF2-HMAC-SHA1': ['-v2', 'aes-256-cbc', '-v2prf', 'hmacWithSHA1'],
  'aes-128-cbc, PBKDF2-HMAC-SHA256': ['-v2', 'aes-128-cbc'],
  'aes-192-cbc, PBKDF2-HMAC-SHA1': ['-v2', 'aes-192-cbc', '-v2prf', 'hmacWithSHA1'],
  'des-ede3-cbc, PBKDF2-HMAC-SHA256': ['-v2', 'des3'],
  'des-ede3-cbc, PBKDF2-HMAC-SHA1': ['-v2', 'des3', '-v2prf', 'hmacWithSHA1'],
};

describe('PKCS#12 and encrypted PKCS#8 made by openssl', { skip: SKIP }, () => {
  let tmp;
  const f = (name) => join(tmp.dir, name);
  const read = (name) => readFileSync(f(name));
  const text = (name) => readFileSync(f(name), 'utf8');
  const o = (args) => openssl(args.map((a) => (a.startsWith('@') ? f(a.slice(1)) : a)));
  /** `openssl x509 -fingerprint -sha1` as base64url (the x5t form). */
  const fingerprint = (pem) => {
    const out = o(['x509', '-in', `@${pem}`, '-noout', '-fingerprint', '-sha1']).toString().trim();
    return Buffer.from(out.split('=')[1].replace(/:/g, ''), 'hex').toString('base64url');
  };
  /** A certificate PEM normalised for comparison (one block, LF, trailing newline). */
  const pemOf = (name) => new crypto.X509Certificate(read(name)).toString();

  before(() => {
    tmp = tempDir('oidckit-pkcs12-');
    o(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', '@key.pem', '-out', '@self.pem', '-subj', '/CN=oidckit self-signed', '-days', '2']);
    o(['pkey', '-in', '@key.pem', '-pubout', '-out', '@key.pub']);
    o(['pkcs12', '-export', '-inkey', '@key.pem', '-in', '@self.pem', '-out', '@default.p12', '-passout', `pass:${PASSWORD}`]);
    o(['pkcs12', '-export', '-legacy', '-inkey', '@key.pem', '-in', '@self.pem', '-out', '@legacy.p12', '-passout', `pass:${PASSWORD}`]);
    // root -> intermediate -> leaf, the CA file in root-first order.
    writeFileSync(f('ca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=keyCertSign\n');
    o(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', '@root.key', '-out', '@root.pem', '-subj', '/CN=oidckit root', '-days', '2']);
    o(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', '@int.key', '-out', '@int.csr', '-subj', '/CN=oidckit intermediate']);
    o(['x509', '-req', '-in', '@int.csr', '-CA', '@root.pem', '-CAkey', '@root.key', '-set_serial', '2', '-extfile', '@ca.ext', '-days', '2', '-out', '@int.pem']);
    o(['req', '-new', '-key', '@key.pem', '-out', '@leaf.csr', '-subj', '/CN=oidckit client']);
    o(['x509', '-req', '-in', '@leaf.csr', '-CA', '@int.pem', '-CAkey', '@int.key', '-set_serial', '3', '-days', '2', '-out', '@leaf.pem']);
    writeFileSync(f('cas.pem'), text('root.pem') + text('int.pem'));
    o(['pkcs12', '-export', '-inkey', '@key.pem', '-in', '@leaf.pem', '-certfile', '@cas.pem', '-out', '@chain.p12', '-passout', 'pass:chain']);
    // EC P-256.
    o(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', '@ec.pem', '-out', '@ec-cert.pem', '-subj', '/CN=oidckit ec', '-days', '2']);
    o(['pkcs12', '-export', '-inkey', '@ec.pem', '-in', '@ec-cert.pem', '-out', '@ec.p12', '-passout', 'pass:ec']);
    o(['pkcs12', '-export', '-legacy', '-inkey', '@ec.pem', '-in', '@ec-cert.pem', '-out', '@ec-legacy.p12', '-passout', 'pass:ec']);
    // Encrypted PKCS#8.
    Object.values(PKCS8_VARIANTS).forEach((args, i) => {
      o(['pkcs8', '-topk8', '-in', '@key.pem', ...args, '-passout', 'pass:pkcs8 pw', '-out', `@enc${i}.pem`]);
    });
  });
  after(() => tmp?.cleanup());

  /** Signs an RS/PS/ES JWT with `privateKey`, verifies it with oidckit and with node:crypto's X.509. */
  function signsForCertificate({ privateKey, certificate, chain }, alg) {
    const jwt = new SignJWT({ sub: 'client-1' }).setProtectedHeader({ alg, x5t: privateKey.x5t }).setIssuedAt().setExpirationTime('5m').sign(privateKey);
    const { payload, protectedHeader } = jwtVerify(jwt, certificate, { algorithms: [alg] });
    assert.equal(payload.sub, 'client-1');
    assert.equal(protectedHeader.x5t, certificate.x5t);
    // Independently: node verifies the signature with the leaf certificate's key.
    const [h, p, s] = jwt.split('.');
    const nodeKey = new crypto.X509Certificate(chain[0]).publicKey;
    const hash = `sha${alg.slice(2)}`;
    const keyOpts = alg.startsWith('ES') ? { key: nodeKey, dsaEncoding: 'ieee-p1363' }
      : alg.startsWith('PS') ? { key: nodeKey, padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: crypto.constants.RSA_PSS_SALTLEN_DIGEST }
        : nodeKey;
    const ok = crypto.verify(hash, Buffer.from(`${h}.${p}`), keyOpts, Buffer.from(s, 'base64url'));
    assert.ok(ok, 'node:crypto verifies the signature with the certificate');
  }

  for (const file of ['default.p12', 'legacy.p12']) {
    it(`${file}: loads with the right password; key, certificate, x5t and chain are right`, () => {
      const result = importPKCS12(read(file), PASSWORD);
      const { privateKey, certificate, chain } = result;
      assert.deepEqual(Object.keys(result).sort(), ['certificate', 'chain', 'privateKey']);
      assert.equal(privateKey.type, 'private');
      assert.equal(privateKey.kty, 'RSA');
      assert.equal(privateKey.extractable, false);
      assert.equal(certificate.type, 'public');
      assert.equal(certificate.x5t, fingerprint('self.pem'));
      assert.equal(privateKey.x5t, certificate.x5t);
      assert.equal(typeof certificate['x5t#S256'], 'string');
      assert.deepEqual(chain.map((c) => new crypto.X509Certificate(c).toString()), [pemOf('self.pem')]);
      assert.match(chain[0], /^-----BEGIN CERTIFICATE-----\n/);
      // The certificate key is the openssl key's public half.
      const spki = importSPKI(text('key.pub'), 'RS256');
      const jwt = new SignJWT({}).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
      jwtVerify(jwt, spki);
      signsForCertificate(result, 'RS256');
      signsForCertificate(result, 'PS256');
    });

    it(`${file}: a wrong password throws errors.KeyInvalid with a clear message`, () => {
      for (const pw of ['wrong', '', 'S3cret pässword', 's3cret password']) {
        const err = throwsCode(() => importPKCS12(read(file), pw), 'ERR_KEY_INVALID');
        assert.ok(err instanceof errors.KeyInvalid);
        assert.match(err.message, MAC_FAILED);
      }
    });
  }

  it('the chain comes leaf first, then its issuers in order', () => {
    const { certificate, chain, privateKey } = importPKCS12(new Uint8Array(read('chain.p12')), 'chain');
    assert.deepEqual(
      chain.map((c) => new crypto.X509Certificate(c).toString()),
      [pemOf('leaf.pem'), pemOf('int.pem'), pemOf('root.pem')],
    );
    assert.equal(certificate.x5t, fingerprint('leaf.pem'));
    assert.equal(privateKey.x5t, fingerprint('leaf.pem'));
    signsForCertificate({ privateKey, certificate, chain }, 'RS256');
  });

  for (const file of ['ec.p12', 'ec-legacy.p12']) {
    it(`${file}: an EC P-256 key signs ES256`, () => {
      const result = importPKCS12(read(file), 'ec');
      assert.equal(result.privateKey.kty, 'EC');
      assert.equal(result.privateKey.crv, 'P-256');
      assert.equal(result.certificate.x5t, fingerprint('ec-cert.pem'));
      signsForCertificate(result, 'ES256');
    });
  }

  it('options: alg binds both keys, extractable allows export, ArrayBuffer input', () => {
    const bytes = read('default.p12');
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    const { privateKey, certificate } = importPKCS12(ab, PASSWORD, { alg: 'RS384', extractable: true });
    assert.equal(privateKey.alg, 'RS384');
    assert.equal(certificate.alg, 'RS384');
    assert.equal(privateKey.extractable, true);
    const exported = crypto.createPrivateKey(exportPKCS8(privateKey)).export({ format: 'jwk' });
    assert.deepEqual(exported, crypto.createPrivateKey(text('key.pem')).export({ format: 'jwk' }));
    throwsCode(() => new SignJWT({}).setProtectedHeader({ alg: 'RS256' }).sign(privateKey), ['ERR_JOSE_ALG_NOT_ALLOWED']);
    throwsCode(() => importPKCS12(bytes, PASSWORD, { alg: 'ES256' }), 'ERR_KEY_INVALID');
    throwsCode(() => exportPKCS8(importPKCS12(bytes, PASSWORD).privateKey), MISUSE);
  });

  it('argument misuse is a TypeError with a code', () => {
    const bytes = read('default.p12');
    throwsCode(() => importPKCS12('not bytes', PASSWORD), 'ERR_INVALID_ARG_TYPE');
    throwsCode(() => importPKCS12(bytes, undefined), 'ERR_INVALID_ARG_TYPE');
    throwsCode(() => importPKCS12(bytes, PASSWORD, { password: 'x' }), 'ERR_INVALID_ARG_VALUE');
    throwsCode(() => importPKCS12(bytes, PASSWORD, { extractable: 'yes' }), 'ERR_INVALID_ARG_TYPE');
    throwsCode(() => importPKCS12(bytes, PASSWORD, 'RS256'), 'ERR_INVALID_ARG_TYPE');
  });

  it('every truncation, garbage and a corrupted byte throw KeyInvalid (never crash the module)', () => {
    const bytes = new Uint8Array(read('default.p12'));
    for (let len = 0; len < bytes.length; len++) {
      throwsCode(() => importPKCS12(bytes.subarray(0, len), PASSWORD), 'ERR_KEY_INVALID');
    }
    throwsCode(() => importPKCS12(crypto.randomBytes(3000), PASSWORD), 'ERR_KEY_INVALID');
    throwsCode(() => importPKCS12(new Uint8Array(2 * 1024 * 1024), PASSWORD), 'ERR_KEY_INVALID');
    const corrupt = bytes.slice();
    corrupt[corrupt.length - 60] ^= 0x55; // inside the MAC'd content or the MAC itself
    throwsCode(() => importPKCS12(corrupt, PASSWORD), 'ERR_KEY_INVALID');
    // The module is still healthy afterwards.
    assert.equal(importPKCS12(bytes, PASSWORD).privateKey.type, 'private');
  });

  Object.keys(PKCS8_VARIANTS).forEach((name, i) => {
    it(`importPKCS8 ENCRYPTED PRIVATE KEY (${name}) with its passphrase`, () => {
      const pem = text(`enc${i}.pem`);
      assert.match(pem, /-----BEGIN ENCRYPTED PRIVATE KEY-----/);
      const key = importPKCS8(pem, 'RS256', { passphrase: 'pkcs8 pw', extractable: true });
      assert.equal(key.type, 'private');
      assert.equal(key.alg, 'RS256');
      const jwt = new SignJWT({ ok: true }).setProtectedHeader({ alg: 'RS256' }).sign(key);
      assert.equal(jwtVerify(jwt, importSPKI(text('key.pub'), 'RS256')).payload.ok, true);
      assert.deepEqual(
        crypto.createPrivateKey(exportPKCS8(key)).export({ format: 'jwk' }),
        crypto.createPrivateKey(text('key.pem')).export({ format: 'jwk' }),
      );
      for (const wrong of ['pkcs8 PW', '', 'pkcs8 pw ']) {
        const err = throwsCode(() => importPKCS8(pem, 'RS256', { passphrase: wrong }), 'ERR_KEY_INVALID');
        assert.match(err.message, /wrong passphrase|wrong password/);
      }
      const err = throwsCode(() => importPKCS8(pem, 'RS256'), 'ERR_KEY_INVALID');
      assert.match(err.message, /passphrase is required/);
    });
  });

  it('importPKCS8 options are checked; a plain key ignores the passphrase', () => {
    const pem = text('enc0.pem');
    throwsCode(() => importPKCS8(pem, 'RS256', { passphrase: 42 }), 'ERR_INVALID_ARG_TYPE');
    throwsCode(() => importPKCS8(pem, 'RS256', { password: 'pkcs8 pw' }), 'ERR_INVALID_ARG_VALUE');
    throwsCode(() => importPKCS8(pem, 'ES256', { passphrase: 'pkcs8 pw' }), 'ERR_KEY_INVALID');
    const plain = importPKCS8(text('key.pem'), 'RS256', { passphrase: 'unused' });
    assert.equal(plain.type, 'private');
    checkError(
      (() => { try { importPKCS8(pem, 'RS256', { passphrase: 'nope' }); } catch (e) { return e; } })(),
      'ERR_KEY_INVALID',
    );
  });
});
