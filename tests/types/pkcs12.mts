// Types of importPKCS12 and importPKCS8's passphrase (issue 3), checked with tsc --strict against
// the installed package.
import { exportPKCS8, importPKCS12, importPKCS8 } from 'oidckit';
import type { KeyObject, PKCS12Contents, PKCS12ImportOptions, PKCS8ImportOptions } from 'oidckit';

export function load(p12: Uint8Array, ab: ArrayBuffer, pem: string): string[] {
  const opts: PKCS12ImportOptions = { alg: 'RS256', extractable: false };
  const { privateKey, certificate, chain }: PKCS12Contents = importPKCS12(p12, 'password', opts);
  const k: KeyObject = importPKCS12(ab, '').privateKey;
  const x5t: string | undefined = certificate.x5t;
  const p8: PKCS8ImportOptions = { passphrase: 'pw', extractable: true };
  const enc: KeyObject = importPKCS8(pem, 'RS256', p8);
  importPKCS8(pem, 'ES256', { extractable: true });
  // @ts-expect-error the password is required
  importPKCS12(p12);
  // @ts-expect-error the password is a string
  importPKCS12(p12, 42);
  // @ts-expect-error unknown option
  importPKCS12(p12, 'pw', { passphrase: 'x' });
  // @ts-expect-error the passphrase is a string
  importPKCS8(pem, 'RS256', { passphrase: 1 });
  return [...chain, exportPKCS8(privateKey), String(k.type), String(x5t), enc.type];
}
