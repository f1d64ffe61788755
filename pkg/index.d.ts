/**
 * oidckit: JWT / JOSE in pure Rust compiled to WebAssembly, with jose's API.
 *
 * Everything local is synchronous (`await` on a result still works, so jose code ports
 * unchanged). No init() call is needed in any runtime.
 */

/** Signature and MAC algorithms (RFC 7518 §3.1, RFC 8037 §3.1). There is no `none`. */
export type Algorithm =
  | 'HS256'
  | 'HS384'
  | 'HS512'
  | 'RS256'
  | 'RS384'
  | 'RS512'
  | 'PS256'
  | 'PS384'
  | 'PS512'
  | 'ES256'
  | 'ES384'
  | 'ES512'
  | 'EdDSA';

/** Every error code thrown by this package (the Rust core's `Error::ALL_CODES`). */
export type ErrorCode =
  | 'ERR_JWS_INVALID'
  | 'ERR_JWT_INVALID'
  | 'ERR_JWK_INVALID'
  | 'ERR_JWKS_INVALID'
  | 'ERR_JWKS_NO_MATCHING_KEY'
  | 'ERR_JWKS_MULTIPLE_MATCHING_KEYS'
  | 'ERR_KEY_INVALID'
  | 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED'
  | 'ERR_JOSE_ALG_NOT_ALLOWED'
  | 'ERR_JOSE_NOT_SUPPORTED'
  | 'ERR_JWT_EXPIRED'
  | 'ERR_JWT_CLAIM_VALIDATION_FAILED'
  | 'ERR_INVALID_ARG_VALUE'
  | 'ERR_INVALID_ARG_TYPE'
  | 'ERR_JOSE_GENERIC'
  | 'OAUTH_RESPONSE_BODY_ERROR'
  | 'OAUTH_AUTHORIZATION_RESPONSE_ERROR'
  | 'OAUTH_INVALID_RESPONSE'
  | 'OAUTH_RESPONSE_IS_NOT_JSON'
  | 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED'
  | 'OAUTH_MISSING_REQUIRED_PARAMETER'
  | 'OAUTH_HTTP_REQUEST_FORBIDDEN'
  | 'OAUTH_INVALID_REQUEST';

/** A JSON Web Key (RFC 7517 §4, RFC 7518 §6, RFC 8037 §2). */
export interface JWK {
  kty?: string;
  alg?: string;
  kid?: string;
  use?: string;
  key_ops?: string[];
  ext?: boolean;
  crv?: string;
  x?: string;
  y?: string;
  d?: string;
  n?: string;
  e?: string;
  p?: string;
  q?: string;
  dp?: string;
  dq?: string;
  qi?: string;
  k?: string;
  x5c?: string[];
  x5t?: string;
  'x5t#S256'?: string;
  x5u?: string;
  [propName: string]: unknown;
}

/** A JWK Set (RFC 7517 §5). */
export interface JSONWebKeySet {
  keys: JWK[];
}

/** JWS Protected Header parameters (RFC 7515 §4.1). */
export interface JWSHeaderParameters {
  alg?: string;
  kid?: string;
  typ?: string;
  cty?: string;
  crit?: string[];
  b64?: boolean;
  jku?: string;
  jwk?: JWK;
  x5u?: string;
  x5c?: string[];
  x5t?: string;
  'x5t#S256'?: string;
  [propName: string]: unknown;
}

/** A protected header as decoded from a token. */
export interface ProtectedHeaderParameters extends JWSHeaderParameters {}

/** A JWT Claims Set (RFC 7519 §4). */
export interface JWTPayload {
  iss?: string;
  sub?: string;
  aud?: string | string[];
  jti?: string;
  nbf?: number;
  exp?: number;
  iat?: number;
  [propName: string]: unknown;
}

/** A parsed key held by the WebAssembly module; freed when garbage-collected or by `free()`. */
export declare class KeyObject {
  private constructor();
  /** 'secret' (HMAC), 'public' or 'private'. */
  readonly type: 'secret' | 'public' | 'private';
  /** The JWK `kty`. */
  readonly kty: 'oct' | 'RSA' | 'EC' | 'OKP';
  /** The JWK `crv` of EC and OKP keys. */
  readonly crv: 'P-256' | 'P-384' | 'P-521' | 'Ed25519' | undefined;
  /** The algorithm the key is bound to, if any. */
  readonly alg: Algorithm | undefined;
  /** The key ID, if any. */
  readonly kid: string | undefined;
  /** base64url SHA-1 thumbprint of the certificate the key came from. */
  readonly x5t: string | undefined;
  /** base64url SHA-256 thumbprint of the certificate the key came from. */
  readonly 'x5t#S256': string | undefined;
  /** Whether private or secret material may be exported. */
  readonly extractable: boolean;
  /** Releases the key now; the object is unusable afterwards. */
  free(): void;
}

/** A function returned by {@link createLocalJWKSet}. */
export interface JWKSFunction {
  (protectedHeader?: JWSHeaderParameters, token?: FlattenedToken): KeyObject;
  /** A copy of the JWK Set. */
  jwks(): JSONWebKeySet;
}

/** The token parts given to a key-resolving function. */
export interface FlattenedToken {
  payload: string;
  signature: string;
  protected?: string;
  header?: JWSHeaderParameters;
}

/** A jose-style key-resolving function (may be async). */
export type GetKeyFunction = (
  protectedHeader: ProtectedHeaderParameters,
  token: FlattenedToken,
) => KeyLike | Promise<KeyLike>;

/** What sign and verify accept as a key: a KeyObject, an HMAC secret, or a JWK. */
export type KeyLike = KeyObject | Uint8Array | JWK;

/** Options of the import functions. */
export interface KeyImportOptions {
  /** Whether private or secret material may be exported later (default false for private keys). */
  extractable?: boolean;
}

/** Options of {@link generateKeyPair}. */
export interface GenerateKeyPairOptions {
  extractable?: boolean;
  /** RSA modulus length in bits (default 2048, minimum 2048). */
  modulusLength?: number;
}

/** Options of {@link generateSecret}. */
export interface GenerateSecretOptions {
  extractable?: boolean;
}

/** Options of {@link compactVerify}. */
export interface VerifyOptions {
  /** Allowed algorithms (RFC 8725 §3.1); default: the key's bound alg or its family's algs. */
  algorithms?: string[];
  /** Recognized `crit` extension parameters: `{ name: true }`. */
  crit?: { [propName: string]: boolean };
}

/** Options of {@link jwtVerify}. */
export interface JWTVerifyOptions extends VerifyOptions {
  /** Expected `iss` (exact match; one of). */
  issuer?: string | string[];
  /** Expected audience: `aud` must contain one of these. */
  audience?: string | string[];
  /** Expected `sub`. */
  subject?: string;
  /** Expected `typ` header (media type comparison, `application/` optional). */
  typ?: string;
  /** Clock skew allowed, in seconds or a span like '30s' (at most 600 s). */
  clockTolerance?: number | string;
  /** Maximum age from `iat`, in seconds or a span like '1h' (`iat` becomes required). */
  maxTokenAge?: number | string;
  /** Claims that must be present. */
  requiredClaims?: string[];
  /** The time to validate at (default: now). */
  currentDate?: Date;
}

export interface JWTVerifyResult<PayloadType = JWTPayload> {
  payload: PayloadType & JWTPayload;
  protectedHeader: ProtectedHeaderParameters;
}

export interface JWTVerifyGetKeyResult<PayloadType = JWTPayload> extends JWTVerifyResult<PayloadType> {
  key: KeyLike;
}

export interface CompactVerifyResult {
  payload: Uint8Array;
  protectedHeader: ProtectedHeaderParameters;
}

export interface CompactVerifyGetKeyResult extends CompactVerifyResult {
  key: KeyLike;
}

/** Imports a JWK (RFC 7517). */
export declare function importJWK(jwk: JWK, alg?: string, options?: KeyImportOptions): KeyObject;
/** Imports a PKCS#8 `PRIVATE KEY` PEM. */
export declare function importPKCS8(pkcs8: string, alg: string, options?: KeyImportOptions): KeyObject;
/** Imports an SPKI `PUBLIC KEY` PEM. */
export declare function importSPKI(spki: string, alg: string, options?: KeyImportOptions): KeyObject;
/** Imports the public key of an X.509 certificate (PEM text or DER bytes). */
export declare function importX509(x509: string | Uint8Array, alg: string, options?: KeyImportOptions): KeyObject;
/** Imports a PEM of any supported label (PRIVATE KEY, RSA PRIVATE KEY, EC PRIVATE KEY, PUBLIC KEY, RSA PUBLIC KEY, CERTIFICATE). */
export declare function importPEM(pem: string, alg?: string, options?: KeyImportOptions): KeyObject;

/** Exports a key as a JWK (private or secret members only when extractable). */
export declare function exportJWK(key: KeyLike): JWK;
/** Exports the public key as an SPKI PEM. */
export declare function exportSPKI(key: KeyLike): string;
/** Exports an extractable private key as a PKCS#8 PEM. */
export declare function exportPKCS8(key: KeyLike): string;

/** RFC 7638 thumbprint (base64url). */
export declare function calculateJwkThumbprint(jwk: JWK | KeyObject, digestAlgorithm?: 'sha256' | 'sha384' | 'sha512'): string;
/** base64url thumbprint of an X.509 certificate (as `x5t` / `x5t#S256`). */
export declare function calculateX509Thumbprint(cert: string | Uint8Array, digestAlgorithm?: 'sha1' | 'sha256'): string;

/** Generates a key pair (RS*, PS*, ES*, EdDSA). */
export declare function generateKeyPair(alg: string, options?: GenerateKeyPairOptions): { publicKey: KeyObject; privateKey: KeyObject };
/** Generates an HMAC secret (HS256, HS384, HS512). */
export declare function generateSecret(alg: 'HS256' | 'HS384' | 'HS512' | (string & {}), options?: GenerateSecretOptions): KeyObject;

/** Builds and signs a JWT. */
export declare class SignJWT {
  constructor(payload?: JWTPayload);
  setProtectedHeader(protectedHeader: JWSHeaderParameters & { alg: string }): this;
  setIssuer(issuer: string): this;
  setSubject(subject: string): this;
  setAudience(audience: string | string[]): this;
  setJti(jwtId: string): this;
  /** A number (NumericDate seconds), a Date, or a span relative to now ('2h', '-5m'). */
  setNotBefore(input: number | string | Date): this;
  /** Now when omitted; otherwise as setNotBefore. */
  setIssuedAt(input?: number | string | Date): this;
  /** A number (NumericDate seconds), a Date, or a span relative to now ('2h', '30 minutes'). */
  setExpirationTime(input: number | string | Date): this;
  /** Signs; returns the compact JWT. */
  sign(key: KeyLike): string;
}

/** Builds and signs a compact JWS. */
export declare class CompactSign {
  constructor(payload: Uint8Array);
  setProtectedHeader(protectedHeader: JWSHeaderParameters & { alg: string }): this;
  sign(key: KeyLike): string;
}

/** Verifies a JWT's signature and claims. */
export declare function jwtVerify<PayloadType = JWTPayload>(jwt: string | Uint8Array, key: KeyLike, options?: JWTVerifyOptions): JWTVerifyResult<PayloadType>;
export declare function jwtVerify<PayloadType = JWTPayload>(jwt: string | Uint8Array, key: JWKSFunction, options?: JWTVerifyOptions): JWTVerifyGetKeyResult<PayloadType>;
export declare function jwtVerify<PayloadType = JWTPayload>(jwt: string | Uint8Array, getKey: GetKeyFunction, options?: JWTVerifyOptions): JWTVerifyGetKeyResult<PayloadType> | Promise<JWTVerifyGetKeyResult<PayloadType>>;

/** Verifies a compact JWS. */
export declare function compactVerify(jws: string | Uint8Array, key: KeyLike, options?: VerifyOptions): CompactVerifyResult;
export declare function compactVerify(jws: string | Uint8Array, key: JWKSFunction, options?: VerifyOptions): CompactVerifyGetKeyResult;
export declare function compactVerify(jws: string | Uint8Array, getKey: GetKeyFunction, options?: VerifyOptions): CompactVerifyGetKeyResult | Promise<CompactVerifyGetKeyResult>;

/** Parses a JWK Set once; the function selects a key like jose's and can be given to jwtVerify / compactVerify. */
export declare function createLocalJWKSet(jwks: JSONWebKeySet): JWKSFunction;

/** The claims of a JWT, NOT verified. */
export declare function decodeJwt<PayloadType = JWTPayload>(jwt: string): PayloadType & JWTPayload;
/** The protected header of a compact JWS/JWE, NOT verified. */
export declare function decodeProtectedHeader(token: string): ProtectedHeaderParameters;

/** Error classes (jose's names and codes). */
export declare namespace errors {
  class JOSEError extends Error {
    static code: ErrorCode;
    code: ErrorCode;
    constructor(message?: string, options?: { cause?: unknown });
  }
  class JWTClaimValidationFailed extends JOSEError {
    static code: 'ERR_JWT_CLAIM_VALIDATION_FAILED';
    code: 'ERR_JWT_CLAIM_VALIDATION_FAILED';
    /** The claim that failed, e.g. 'aud'. */
    claim: string;
    /** 'missing', 'invalid' or 'check_failed'. */
    reason: string;
    /** The (verified) claims. */
    payload: JWTPayload;
    constructor(message: string, payload: JWTPayload, claim?: string, reason?: string);
  }
  class JWTExpired extends JOSEError {
    static code: 'ERR_JWT_EXPIRED';
    code: 'ERR_JWT_EXPIRED';
    claim: string;
    reason: string;
    payload: JWTPayload;
    constructor(message: string, payload: JWTPayload, claim?: string, reason?: string);
  }
  class JOSEAlgNotAllowed extends JOSEError {
    static code: 'ERR_JOSE_ALG_NOT_ALLOWED';
    code: 'ERR_JOSE_ALG_NOT_ALLOWED';
  }
  class JOSENotSupported extends JOSEError {
    static code: 'ERR_JOSE_NOT_SUPPORTED';
    code: 'ERR_JOSE_NOT_SUPPORTED';
  }
  class JWSInvalid extends JOSEError {
    static code: 'ERR_JWS_INVALID';
    code: 'ERR_JWS_INVALID';
  }
  class JWTInvalid extends JOSEError {
    static code: 'ERR_JWT_INVALID';
    code: 'ERR_JWT_INVALID';
  }
  class JWKInvalid extends JOSEError {
    static code: 'ERR_JWK_INVALID';
    code: 'ERR_JWK_INVALID';
  }
  class JWKSInvalid extends JOSEError {
    static code: 'ERR_JWKS_INVALID';
    code: 'ERR_JWKS_INVALID';
  }
  class JWKSNoMatchingKey extends JOSEError {
    static code: 'ERR_JWKS_NO_MATCHING_KEY';
    code: 'ERR_JWKS_NO_MATCHING_KEY';
  }
  class JWKSMultipleMatchingKeys extends JOSEError {
    static code: 'ERR_JWKS_MULTIPLE_MATCHING_KEYS';
    code: 'ERR_JWKS_MULTIPLE_MATCHING_KEYS';
  }
  class JWSSignatureVerificationFailed extends JOSEError {
    static code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED';
    code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED';
  }
  class KeyInvalid extends JOSEError {
    static code: 'ERR_KEY_INVALID';
    code: 'ERR_KEY_INVALID';
  }
  /** An OAuth 2.0 / OpenID Connect protocol failure; `code` is an `OAUTH_*` code. */
  class OperationProcessingError extends Error {
    code: ErrorCode;
    constructor(message?: string, code?: ErrorCode, options?: { cause?: unknown });
  }
  /** An OAuth error body from an endpoint (RFC 6749 §5.2). */
  class ResponseBodyError extends OperationProcessingError {
    error: string;
    error_description?: string;
    error_uri?: string;
    status?: number;
  }
  /** An OAuth error in the authorization response (RFC 6749 §4.1.2.1). */
  class AuthorizationResponseError extends ResponseBodyError {}
}
