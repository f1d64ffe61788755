// Types of the DPoP helpers (issue 3), checked with tsc --strict against the installed package.
import { createDPoPHandle, generateKeyPair, verifyDPoPProof } from 'oidckit';
import type { DPoPHandle, DPoPProofPayload } from 'oidckit';

const keyPair = generateKeyPair('ES256');
const handle: DPoPHandle = createDPoPHandle(keyPair, { alg: 'ES256' });
const jkt: string = handle.jkt;
const proof: string = handle.proof('POST', new URL('https://as.example/token'), 'access-token');
handle.updateNonce('https://as.example/token', { headers: new Headers({ 'dpop-nonce': 'n' }) });
const retry: boolean = handle.isUseDpopNonceError({ status: 400, headers: new Headers() }, { error: 'use_dpop_nonce' });

const verified = verifyDPoPProof(proof, {
  htm: 'POST',
  htu: 'https://as.example/token',
  accessToken: 'access-token',
  maxAge: '5m',
  clockTolerance: 30,
  algorithms: ['ES256'],
});
const payload: DPoPProofPayload = verified.payload;
const sameKey: boolean = verified.jkt === jkt;
console.log(payload.htm, payload.ath, sameKey, retry);
