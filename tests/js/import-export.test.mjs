// Key import in every format (JWK, PKCS#8, SPKI, PKCS#1, SEC1, X.509 PEM/DER), export round trips,
// thumbprints. Key material comes from openssl (run at test time) and node:crypto.
import assert from 'node:assert/strict';
import * as crypto from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  MISUSE, b64u, checkError, enc, fromB64u, hasOpenssl, hmacJws, nodeKeyPair, nodeVerifyCompact, oidckit, openssl,
  readVector, signDefault, tempDir, throwsCode,
} from './helpers.mjs';

const {
  importJWK, importPKCS8, importSPKI, importX509, importPEM, exportJWK, exportSPKI, exportPKCS8,
  calculateJwkThumbprint, calculateX509Thumbprint, jwtVerify,
} = oidckit;

/** Errors acceptable when a key does not fit the requested algorithm. */
const KEY_MISMATCH = ['ERR_KEY_INVALID', 'ERR_JOSE_ALG_NOT_ALLOWED', 'ERR_JOSE_NOT_SUPPORTED', 'ERR_JWK_INVALID', ...MISUSE];

/** Semantic equality of two public keys: compare their JWK form as node:crypto sees it. */
function sameKey(a, b) {
  const ja = crypto.createPublicKey(a).export({ format: 'jwk' });
  const jb = crypto.createPublicKey(b).export({ format: 'jwk' });
  assert.deepEqual(ja, jb);
}

const PUB_MEMBERS = { RSA: ['kty', 'n', 'e'], EC: ['kty', 'crv', 'x', 'y'], OKP: ['kty', 'crv', 'x'] };
const pick = (jwk, names) => Object.fromEntries(names.map((n) => [n, jwk[n]]));

describe('JWK import/export round trips', () => {
  for (const alg of ['RS256', 'PS384', 'ES256', 'ES384', 'ES512', 'EdDSA']) {
    it(`${alg}: node JWK → oidckit → JWK is identical`, () => {
      const n = nodeKeyPair(alg);
      const priv = importJWK(n.privateJwk, alg, { extractable: true });
      const pub = importJWK(n.publicJwk, alg);
      assert.equal(priv.type, 'private');
      assert.equal(pub.type, 'public');
      assert.equal(pub.alg, alg);
      const ePriv = exportJWK(priv);
      const ePub = exportJWK(pub);
      for (const [k, v] of Object.entries(n.privateJwk)) assert.equal(ePriv[k], v, `private member ${k}`);
      assert.deepEqual(pick(ePub, PUB_MEMBERS[n.publicJwk.kty]), pick(n.publicJwk, PUB_MEMBERS[n.publicJwk.kty]));
      assert.equal(ePub.d, undefined);
      // The exported JWK signs/verifies in node:crypto.
      const token = signDefault(alg, priv);
      assert.equal(nodeVerifyCompact(alg, token, crypto.createPublicKey({ key: ePub, format: 'jwk' })), true);
    });
  }

  it('oct JWK keeps k; kid/alg/use metadata survive', () => {
    const k = b64u(crypto.randomBytes(48));
    const key = importJWK({ kty: 'oct', k, kid: 'sym', alg: 'HS384', use: 'sig' }, undefined, { extractable: true });
    assert.equal(key.type, 'secret');
    assert.equal(key.kid, 'sym');
    assert.equal(key.alg, 'HS384');
    const out = exportJWK(key);
    assert.equal(out.k, k);
    assert.equal(out.kty, 'oct');
    assert.equal(out.kid, 'sym');
  });

  it('a JWK whose alg disagrees with the requested alg is refused', () => {
    const n = nodeKeyPair('ES256');
    throwsCode(() => importJWK({ ...n.publicJwk, alg: 'ES256' }, 'ES384'), KEY_MISMATCH);
    throwsCode(() => importJWK(n.publicJwk, 'RS256'), KEY_MISMATCH);
    throwsCode(() => importJWK(nodeKeyPair('ES384').publicJwk, 'ES256'), KEY_MISMATCH);
  });

  it('bad JWKs are refused with ERR_JWK_INVALID (or a key error)', () => {
    const ec = nodeKeyPair('ES256').publicJwk;
    const cases = [
      {},
      { kty: 'nope' },
      { kty: 'EC', crv: 'P-256', x: ec.x }, // missing y
      { ...ec, x: ec.x + '=' }, // padded base64url
      { ...ec, x: ec.x.replace(/.$/, '+') }, // non-url alphabet
      { ...ec, y: b64u(new Uint8Array(32)) }, // not on the curve
      { ...ec, crv: 'P-999' },
      { kty: 'RSA', n: 'AQAB' },
      { kty: 'oct' },
      { kty: 'oct', k: 5 },
      { kty: 'OKP', crv: 'Ed25519', x: b64u(new Uint8Array(31)) },
      { ...ec, kid: 5 },
      { ...ec, use: 'sig', key_ops: 7 },
    ];
    for (const jwk of cases) {
      throwsCode(() => importJWK(jwk, 'ES256'), ['ERR_JWK_INVALID', 'ERR_KEY_INVALID', 'ERR_JOSE_NOT_SUPPORTED', ...MISUSE]);
    }
    throwsCode(() => importJWK('{"kty":"oct"}', 'HS256'), [...MISUSE, 'ERR_JWK_INVALID']);
    throwsCode(() => importJWK(null, 'HS256'), [...MISUSE, 'ERR_JWK_INVALID']);
  });

  it('weak keys are refused: RSA < 2048 bits, HMAC secret shorter than the hash', () => {
    // PEM straight from the generator (see helpers.mjs nodeKeyPair for the Node 20 deadlock).
    const spki1024 = crypto.generateKeyPairSync('rsa', {
      modulusLength: 1024,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    }).publicKey;
    throwsCode(() => importJWK(crypto.createPublicKey(spki1024).export({ format: 'jwk' }), 'RS256'), 'ERR_KEY_INVALID');
    throwsCode(() => importSPKI(spki1024, 'RS256'), 'ERR_KEY_INVALID');
    // Short HMAC secrets (RFC 7518 §3.2): refused at import or, at the latest, at every use.
    for (const [alg, len] of [['HS256', 31], ['HS384', 47], ['HS512', 63]]) {
      const jwk = { kty: 'oct', k: b64u(new Uint8Array(len).fill(1)) };
      let key;
      try {
        key = importJWK(jwk, alg);
      } catch (err) {
        checkError(err, 'ERR_KEY_INVALID');
        continue;
      }
      throwsCode(() => signDefault(alg, key), 'ERR_KEY_INVALID');
      const token = hmacJws(alg, { alg }, {}, Buffer.from(jwk.k, 'base64url'));
      throwsCode(() => jwtVerify(token, key), 'ERR_KEY_INVALID');
      throwsCode(() => jwtVerify(token, new Uint8Array(len).fill(1)), 'ERR_KEY_INVALID');
      throwsCode(() => signDefault(alg, new Uint8Array(len)), 'ERR_KEY_INVALID');
    }
  });
});

describe('PEM / DER formats made by openssl', { skip: hasOpenssl() ? false : 'openssl not installed' }, () => {
  let tmp;
  const f = (name) => join(tmp.dir, name);
  const read = (name) => readFileSync(f(name), 'utf8');
  before(() => {
    tmp = tempDir('oidckit-openssl-');
  });
  after(() => tmp?.cleanup());

  it('PKCS#1 RSA PRIVATE KEY / RSA PUBLIC KEY via importPEM', () => {
    openssl(['genrsa', '-traditional', '-out', f('rsa1.pem'), '2048']);
    openssl(['rsa', '-in', f('rsa1.pem'), '-RSAPublicKey_out', '-out', f('rsa1.pub.pem')]);
    openssl(['rsa', '-in', f('rsa1.pem'), '-pubout', '-out', f('rsa1.spki.pem')]);
    const pkcs1 = read('rsa1.pem');
    const pkcs1Pub = read('rsa1.pub.pem');
    assert.match(pkcs1, /BEGIN RSA PRIVATE KEY/);
    assert.match(pkcs1Pub, /BEGIN RSA PUBLIC KEY/);
    const priv = importPEM(pkcs1, 'RS256', { extractable: true });
    const pub = importPEM(pkcs1Pub, 'RS256');
    assert.equal(priv.type, 'private');
    assert.equal(pub.type, 'public');
    assert.equal(pub.kty, 'RSA');
    const token = signDefault('RS256', priv);
    assert.equal(jwtVerify(token, pub).payload.sub, 'alice');
    assert.equal(nodeVerifyCompact('RS256', token, read('rsa1.spki.pem')), true);
    // Without an alg too.
    const pubNoAlg = importPEM(pkcs1Pub);
    assert.equal(jwtVerify(token, pubNoAlg, { algorithms: ['RS256'] }).payload.sub, 'alice');
    // Export to SPKI equals openssl's SPKI (semantically) and PKCS#8 re-imports.
    sameKey(exportSPKI(pub), read('rsa1.spki.pem'));
    const pk8 = exportPKCS8(priv);
    assert.match(pk8, /^-----BEGIN PRIVATE KEY-----\n/);
    sameKey(crypto.createPrivateKey(pk8), read('rsa1.spki.pem'));
  });

  for (const [curve, alg] of [['prime256v1', 'ES256'], ['secp384r1', 'ES384'], ['secp521r1', 'ES512']]) {
    it(`SEC1 EC PRIVATE KEY (${curve}) via importPEM, and PKCS#8/SPKI forms`, () => {
      openssl(['ecparam', '-name', curve, '-genkey', '-noout', '-out', f(`${curve}.pem`)]);
      openssl(['pkcs8', '-topk8', '-nocrypt', '-in', f(`${curve}.pem`), '-out', f(`${curve}.p8.pem`)]);
      openssl(['ec', '-in', f(`${curve}.pem`), '-pubout', '-out', f(`${curve}.pub.pem`)]);
      const sec1 = read(`${curve}.pem`);
      assert.match(sec1, /BEGIN EC PRIVATE KEY/);
      const fromSec1 = importPEM(sec1, alg, { extractable: true });
      const fromPk8 = importPKCS8(read(`${curve}.p8.pem`), alg, { extractable: true });
      const pub = importSPKI(read(`${curve}.pub.pem`), alg);
      assert.equal(fromSec1.crv, { ES256: 'P-256', ES384: 'P-384', ES512: 'P-521' }[alg]);
      assert.deepEqual(exportJWK(fromSec1), exportJWK(fromPk8));
      for (const priv of [fromSec1, fromPk8]) {
        const token = signDefault(alg, priv);
        assert.equal(jwtVerify(token, pub).payload.sub, 'alice');
        assert.equal(nodeVerifyCompact(alg, token, read(`${curve}.pub.pem`)), true);
      }
      sameKey(exportSPKI(pub), read(`${curve}.pub.pem`));
      sameKey(crypto.createPrivateKey(exportPKCS8(fromSec1)), read(`${curve}.pub.pem`));
      // importPEM also takes the PKCS#8 and SPKI labels.
      assert.equal(importPEM(read(`${curve}.p8.pem`), alg).type, 'private');
      assert.equal(importPEM(read(`${curve}.pub.pem`), alg).type, 'public');
    });
  }

  it('Ed25519 PKCS#8 / SPKI from openssl', () => {
    openssl(['genpkey', '-algorithm', 'ed25519', '-out', f('ed.pem')]);
    openssl(['pkey', '-in', f('ed.pem'), '-pubout', '-out', f('ed.pub.pem')]);
    const priv = importPKCS8(read('ed.pem'), 'EdDSA');
    const pub = importSPKI(read('ed.pub.pem'), 'EdDSA');
    assert.equal(pub.kty, 'OKP');
    assert.equal(pub.crv, 'Ed25519');
    const token = signDefault('EdDSA', priv);
    assert.equal(jwtVerify(token, pub).payload.sub, 'alice');
    assert.equal(nodeVerifyCompact('EdDSA', token, read('ed.pub.pem')), true);
  });

  const certs = [
    ['ec', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'ES256'],
    ['rsa', ['-newkey', 'rsa:2048'], 'RS256'],
    ['ed25519', ['-newkey', 'ed25519'], 'EdDSA'],
  ];
  for (const [name, newkey, alg] of certs) {
    it(`X.509 certificate (${name}) PEM and DER: importX509, x5t / x5t#S256 = openssl fingerprints`, () => {
      openssl(['req', '-x509', ...newkey, '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.crt`),
        '-days', '2', '-subj', `/CN=oidckit-${name}`]);
      openssl(['x509', '-in', f(`${name}.crt`), '-outform', 'DER', '-out', f(`${name}.der`)]);
      const pem = read(`${name}.crt`);
      const der = new Uint8Array(readFileSync(f(`${name}.der`)));
      const fp = (digest) => {
        const out = openssl(['x509', '-in', f(`${name}.crt`), '-noout', '-fingerprint', `-${digest}`]).toString();
        const hex = out.trim().split('=')[1].replace(/:/g, '');
        return Buffer.from(hex, 'hex').toString('base64url');
      };
      const x5t = fp('sha1');
      const x5tS256 = fp('sha256');

      const fromPem = importX509(pem, alg);
      const fromDer = importX509(der, alg);
      const fromAnyPem = importPEM(pem, alg);
      for (const k of [fromPem, fromDer, fromAnyPem]) {
        assert.equal(k.type, 'public');
        assert.equal(k.x5t, x5t, 'x5t');
        assert.equal(k['x5t#S256'], x5tS256, 'x5t#S256');
      }
      assert.equal(calculateX509Thumbprint(pem, 'sha1'), x5t);
      assert.equal(calculateX509Thumbprint(pem, 'sha256'), x5tS256);
      assert.equal(calculateX509Thumbprint(der, 'sha1'), x5t);
      assert.equal(calculateX509Thumbprint(der, 'sha256'), x5tS256);

      const priv = importPKCS8(read(`${name}.key`), alg);
      const token = signDefault(alg, priv);
      for (const k of [fromPem, fromDer, fromAnyPem]) assert.equal(jwtVerify(token, k).payload.sub, 'alice');
      // The certificate's key equals the private key's public half.
      openssl(['x509', '-in', f(`${name}.crt`), '-noout', '-pubkey', '-out', f(`${name}.cpub`)]);
      sameKey(exportSPKI(fromDer), read(`${name}.cpub`));
      // A mismatched alg is refused.
      throwsCode(() => importX509(pem, alg === 'ES256' ? 'RS256' : 'ES256'), KEY_MISMATCH);
    });
  }

  it('an old SHA-1-signed RSA certificate (node-jsonwebtoken test/pub.pem) imports', () => {
    const v = readVector('attacks/jwt_attack_regression_vectors.json').cases.find((c) => c.id === 'node-jsonwebtoken-wrong-alg');
    const k = importX509(v.verification_key_pem, 'RS256');
    assert.equal(k.kty, 'RSA');
    writeFileSync(f('old.crt'), v.verification_key_pem);
    const hex = openssl(['x509', '-in', f('old.crt'), '-noout', '-fingerprint', '-sha1']).toString().trim().split('=')[1].replace(/:/g, '');
    assert.equal(k.x5t, Buffer.from(hex, 'hex').toString('base64url'));
  });

  it('encrypted PKCS#8 is refused with a coded error', () => {
    openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-aes-128-cbc', '-pass', 'pass:pw', '-out', f('enc.pem')]);
    const pem = read('enc.pem');
    assert.match(pem, /ENCRYPTED PRIVATE KEY/);
    throwsCode(() => importPKCS8(pem, 'ES256'), ['ERR_KEY_INVALID', 'ERR_JOSE_NOT_SUPPORTED']);
    throwsCode(() => importPEM(pem, 'ES256'), ['ERR_KEY_INVALID', 'ERR_JOSE_NOT_SUPPORTED']);
  });

  it('an RSA-PSS-restricted key (id-RSASSA-PSS, RFC 4055) is not usable for RS256', () => {
    openssl(['genpkey', '-algorithm', 'RSA-PSS', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', f('pss.pem')]);
    openssl(['pkey', '-in', f('pss.pem'), '-pubout', '-out', f('pss.pub')]);
    throwsCode(() => importSPKI(read('pss.pub'), 'RS256'), ['ERR_KEY_INVALID', 'ERR_JOSE_NOT_SUPPORTED', 'ERR_JOSE_ALG_NOT_ALLOWED']);
    throwsCode(() => importPKCS8(read('pss.pem'), 'RS256'), ['ERR_KEY_INVALID', 'ERR_JOSE_NOT_SUPPORTED', 'ERR_JOSE_ALG_NOT_ALLOWED']);
  });

  it('Ed448, X25519 and DSA keys are not supported (coded errors)', () => {
    openssl(['genpkey', '-algorithm', 'ed448', '-out', f('ed448.pem')]);
    openssl(['pkey', '-in', f('ed448.pem'), '-pubout', '-out', f('ed448.pub')]);
    openssl(['genpkey', '-algorithm', 'x25519', '-out', f('x25519.pem')]);
    throwsCode(() => importPKCS8(read('ed448.pem'), 'EdDSA'), ['ERR_JOSE_NOT_SUPPORTED', 'ERR_KEY_INVALID']);
    throwsCode(() => importSPKI(read('ed448.pub'), 'EdDSA'), ['ERR_JOSE_NOT_SUPPORTED', 'ERR_KEY_INVALID']);
    throwsCode(() => importPEM(read('x25519.pem')), ['ERR_JOSE_NOT_SUPPORTED', 'ERR_KEY_INVALID']);
  });

  it('secp256k1 keys are not supported', () => {
    openssl(['ecparam', '-name', 'secp256k1', '-genkey', '-noout', '-out', f('k1.pem')]);
    openssl(['ec', '-in', f('k1.pem'), '-pubout', '-out', f('k1.pub.pem')]);
    throwsCode(() => importPEM(read('k1.pem')), ['ERR_JOSE_NOT_SUPPORTED', 'ERR_KEY_INVALID']);
    throwsCode(() => importSPKI(read('k1.pub.pem'), 'ES256'), ['ERR_JOSE_NOT_SUPPORTED', 'ERR_KEY_INVALID']);
  });
});

describe('bad PEM input', () => {
  const n = nodeKeyPair('ES256');
  const body = n.spki.split('\n').slice(1, -2).join('\n');
  const cases = {
    'empty string': '',
    garbage: 'not a pem at all',
    'missing END': `-----BEGIN PUBLIC KEY-----\n${body}\n`,
    'bad base64': '-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n',
    'truncated DER': `-----BEGIN PUBLIC KEY-----\n${body.slice(0, 40)}\n-----END PUBLIC KEY-----\n`,
    'unknown label': `-----BEGIN FOO BAR-----\n${body}\n-----END FOO BAR-----\n`,
    'mismatched labels': `-----BEGIN PUBLIC KEY-----\n${body}\n-----END PRIVATE KEY-----\n`,
    'private key given to importSPKI': n.pkcs8,
  };
  for (const [name, pem] of Object.entries(cases)) {
    it(name, () => {
      throwsCode(() => importSPKI(pem, 'ES256'), ['ERR_KEY_INVALID', ...MISUSE]);
      if (name !== 'private key given to importSPKI') {
        throwsCode(() => importPEM(pem, 'ES256'), ['ERR_KEY_INVALID', 'ERR_JOSE_NOT_SUPPORTED', ...MISUSE]);
      }
    });
  }
  it('a public key given to importPKCS8 is refused', () => {
    throwsCode(() => importPKCS8(n.spki, 'ES256'), ['ERR_KEY_INVALID', ...MISUSE]);
  });
  it('non-string PEM input is a TypeError', () => {
    throwsCode(() => importSPKI(42, 'ES256'), MISUSE);
    throwsCode(() => importPKCS8(enc.encode(n.pkcs8), 'ES256'), MISUSE);
    throwsCode(() => importSPKI(n.spki, 42), MISUSE);
  });
  it('importSPKI/importPKCS8 need an alg', () => {
    throwsCode(() => importSPKI(n.spki), [...MISUSE, 'ERR_JOSE_NOT_SUPPORTED']);
    throwsCode(() => importSPKI(n.spki, 'none'), [...MISUSE, 'ERR_JOSE_NOT_SUPPORTED', 'ERR_KEY_INVALID']);
  });
});

describe('calculateJwkThumbprint', () => {
  it('RFC 7638 §3.1 example (vector file)', () => {
    const ex = readVector('rfc/rfc7638_thumbprint.json').examples[0];
    assert.equal(calculateJwkThumbprint(ex.jwk), ex.thumbprint_b64u);
    assert.equal(calculateJwkThumbprint(ex.jwk, 'sha256'), ex.thumbprint_b64u);
    // From a KeyObject too.
    assert.equal(calculateJwkThumbprint(importJWK(ex.jwk, 'RS256')), ex.thumbprint_b64u);
    // Equals SHA-256 of the canonical required-member JSON.
    const h = crypto.createHash('sha256').update(ex.required_members_json).digest('base64url');
    assert.equal(h, ex.thumbprint_b64u);
    for (const d of ['sha384', 'sha512']) {
      const want = crypto.createHash(d).update(ex.required_members_json).digest('base64url');
      assert.equal(calculateJwkThumbprint(ex.jwk, d), want, d);
    }
  });

  it('RFC 8037 A.3 Ed25519 thumbprint', () => {
    const a3 = readVector('rfc/rfc8037_appendix_a.json').examples.find((e) => e.section.endsWith('A.3'));
    assert.equal(calculateJwkThumbprint(a3.jwk), a3.thumbprint_b64u);
  });

  it('private members and metadata do not change the thumbprint', () => {
    const n = nodeKeyPair('ES256');
    const t = calculateJwkThumbprint(n.publicJwk);
    assert.equal(calculateJwkThumbprint({ ...n.privateJwk, kid: 'x', use: 'sig', alg: 'ES256' }), t);
    assert.equal(calculateJwkThumbprint(importJWK(n.privateJwk, 'ES256')), t);
    const oct = { kty: 'oct', k: b64u(new Uint8Array(32).fill(3)) };
    const want = crypto.createHash('sha256').update(`{"k":"${oct.k}","kty":"oct"}`).digest('base64url');
    assert.equal(calculateJwkThumbprint(oct), want);
  });

  it('invalid input', () => {
    throwsCode(() => calculateJwkThumbprint({ kty: 'EC', crv: 'P-256' }), ['ERR_JWK_INVALID', ...MISUSE]);
    throwsCode(() => calculateJwkThumbprint({}), ['ERR_JWK_INVALID', ...MISUSE]);
    throwsCode(() => calculateJwkThumbprint(nodeKeyPair('ES256').publicJwk, 'md5'), MISUSE);
    throwsCode(() => calculateJwkThumbprint('x'), [...MISUSE, 'ERR_JWK_INVALID']);
  });
});

describe('calculateX509Thumbprint on bad input', () => {
  it('garbage certificate', () => {
    throwsCode(() => calculateX509Thumbprint('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', 'sha256'),
      ['ERR_KEY_INVALID', ...MISUSE]);
    throwsCode(() => calculateX509Thumbprint(new Uint8Array([1, 2, 3]), 'sha1'), ['ERR_KEY_INVALID', ...MISUSE]);
    throwsCode(() => calculateX509Thumbprint(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01]), 'md5'), MISUSE);
  });
  it('RFC 7517 B x5c certificate: thumbprint matches node:crypto', () => {
    const b = readVector('rfc/rfc7517_appendix_a_b_c.json').examples.find((e) => e.section.endsWith('B'));
    const der = fromB64u(b.jwk.x5c[0].replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, ''));
    const x = new crypto.X509Certificate(Buffer.from(der));
    const want256 = Buffer.from(x.fingerprint256.replace(/:/g, ''), 'hex').toString('base64url');
    const want1 = Buffer.from(x.fingerprint.replace(/:/g, ''), 'hex').toString('base64url');
    assert.equal(calculateX509Thumbprint(der, 'sha256'), want256);
    assert.equal(calculateX509Thumbprint(der, 'sha1'), want1);
    const k = importX509(der, 'RS256');
    assert.equal(exportJWK(k).n, b.jwk.n);
  });
});
