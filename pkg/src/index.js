// The public API (jose's vocabulary). The entry points (browser.js, node.js, node-cjs.js)
// instantiate the wasm module, then re-export this.

import * as errors from './errors.js';

export { errors };
export { KeyObject, importJWK, importPKCS8, importSPKI, importX509, importPEM, exportJWK, exportSPKI, exportPKCS8, calculateJwkThumbprint, calculateX509Thumbprint, generateKeyPair, generateSecret } from './keys.js';
export { importPKCS12 } from './keys.js';
export { SignJWT, CompactSign } from './sign.js';
export { jwtVerify, compactVerify } from './verify.js';
export { createLocalJWKSet } from './jwks.js';
export { createRemoteJWKSet } from './remote-jwks.js';
export { decodeJwt, decodeProtectedHeader } from './decode.js';
export { createDPoPHandle, verifyDPoPProof } from './dpop.js';
export { Client } from './client.js';
export { generateCodeVerifier, calculatePKCECodeChallenge, generateState, generateNonce, validateIdToken, createClientAssertion, createJwtBearerAssertion, extractBearerToken, validateJwtAccessToken, wwwAuthenticate, validateLogoutToken } from './oauth.js';
