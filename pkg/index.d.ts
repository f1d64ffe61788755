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
/** With a remote JWK Set (createRemoteJWKSet): always a Promise. */
export declare function jwtVerify<PayloadType = JWTPayload>(jwt: string | Uint8Array, key: RemoteJWKSet, options?: JWTVerifyOptions): Promise<JWTVerifyGetKeyResult<PayloadType>>;
export declare function jwtVerify<PayloadType = JWTPayload>(jwt: string | Uint8Array, getKey: GetKeyFunction, options?: JWTVerifyOptions): JWTVerifyGetKeyResult<PayloadType> | Promise<JWTVerifyGetKeyResult<PayloadType>>;

/** Verifies a compact JWS. */
export declare function compactVerify(jws: string | Uint8Array, key: KeyLike, options?: VerifyOptions): CompactVerifyResult;
export declare function compactVerify(jws: string | Uint8Array, key: JWKSFunction, options?: VerifyOptions): CompactVerifyGetKeyResult;
export declare function compactVerify(jws: string | Uint8Array, key: RemoteJWKSet, options?: VerifyOptions): Promise<CompactVerifyGetKeyResult>;
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

// ---- remote JWKS (issue 3)

/** An entry of the pluggable remote JWK Set cache (JSON-serialisable: a KV store may keep its JSON text). */
export interface RemoteJWKSetCacheEntry {
  /** When the set was fetched or revalidated (ms since the epoch). */
  uat: number;
  /** The JWK Set as served. */
  jwks: JSONWebKeySet;
  /** The response's ETag, sent back as If-None-Match (RFC 9110 §13.1.2). */
  etag?: string;
  /** The freshness lifetime the response's Cache-Control max-age granted (ms); else cacheMaxAge applies. */
  maxAge?: number;
}

/** A cache shared by remote JWK Sets (e.g. an edge KV store), keyed by the JWK Set URL. */
export interface RemoteJWKSetCache {
  get(key: string): RemoteJWKSetCacheEntry | undefined | null | Promise<RemoteJWKSetCacheEntry | undefined | null>;
  set(key: string, entry: RemoteJWKSetCacheEntry): void | Promise<void>;
}

/** Options of {@link createRemoteJWKSet} (jose's names, plus `fetch`, `cache`, `allowInsecureRequests`). */
export interface RemoteJWKSetOptions {
  /** Request timeout in ms (default 5000). */
  timeoutDuration?: number;
  /** Minimum time between a fetch and an unknown-`kid` refetch, in ms (default 30000). */
  cooldownDuration?: number;
  /** How long a fetched set is fresh, in ms (default 600000); a response's Cache-Control max-age replaces it (at most 24 h). */
  cacheMaxAge?: number;
  /** Extra request headers. */
  headers?: HeadersInit;
  /** The fetch implementation (default `globalThis.fetch`). */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
  /** A shared cache consulted before the network. */
  cache?: RemoteJWKSetCache;
  /** Allows `http:` for loopback hosts (127.0.0.0/8, [::1], localhost) only. */
  allowInsecureRequests?: boolean;
}

/** A function returned by {@link createRemoteJWKSet}; jwtVerify / compactVerify accept it and return a Promise. */
export interface RemoteJWKSet {
  (protectedHeader?: JWSHeaderParameters, token?: FlattenedToken): Promise<KeyObject>;
  /** Whether an unknown `kid` would currently wait for the cooldown instead of refetching. */
  readonly coolingDown: boolean;
  /** Whether the current set is within its freshness lifetime. */
  readonly fresh: boolean;
  /** Whether a fetch is in flight. */
  readonly reloading: boolean;
  /** Fetches the set now (conditionally, with the stored ETag). */
  reload(): Promise<void>;
  /** A copy of the current JWK Set, if one was loaded. */
  jwks(): JSONWebKeySet | undefined;
}

/** A JWK Set fetched from `url` (https; OIDC Discovery `jwks_uri`), cached and refetched on an unknown `kid` (jose's createRemoteJWKSet). */
export declare function createRemoteJWKSet(url: URL | string, options?: RemoteJWKSetOptions): RemoteJWKSet;

// ---- DPoP (issue 3)

/** A DPoP key pair in use (RFC 9449): makes proofs and remembers server nonces per origin. */
export interface DPoPHandle {
  /** The RFC 7638 SHA-256 thumbprint of the public key: `dpop_jkt` (§10) and the tokens' `cnf.jkt` (§6.1). */
  readonly jkt: string;
  /**
   * A DPoP proof JWT for one request (§4.2): `htm` the method, `htu` the URL (query and fragment are
   * dropped), `ath` when `accessToken` is given, and the nonce last received from `htu`'s origin.
   */
  proof(htm: string, htu: string | URL, accessToken?: string): string;
  /** Remembers the response's `DPoP-Nonce` header (§8.1) for `url`'s origin. */
  updateNonce(url: string | URL, response: { headers: Headers }): void;
  /**
   * Whether the response asks for a retry with the new nonce: a 400 whose JSON `body` has
   * `error` `use_dpop_nonce` (§8), or a 401 with `WWW-Authenticate: DPoP error="use_dpop_nonce"` (§9).
   */
  isUseDpopNonceError(response: { status: number; headers: Headers }, body?: unknown): boolean;
}

/** Options of {@link createDPoPHandle}. */
export interface DPoPHandleOptions {
  /** The proof algorithm, for an RSA key not bound to one (default: the key's `alg`, or ES256/ES384/ES512/EdDSA by curve). */
  alg?: string;
}

/** Creates a {@link DPoPHandle} for a private key and its public key (e.g. from generateKeyPair('ES256')). */
export declare function createDPoPHandle(
  keyPair: { privateKey: KeyObject; publicKey: KeyObject },
  options?: DPoPHandleOptions,
): DPoPHandle;

/** Options of {@link verifyDPoPProof} (RFC 9449 §4.3). */
export interface DPoPVerifyOptions {
  /** The request method (compared exactly). */
  htm: string;
  /** The request URL (query and fragment ignored; scheme, host, default port and percent-encoding normalised). */
  htu: string | URL;
  /** The access token presented with the proof (`Authorization: DPoP …`): the proof's `ath` must match. */
  accessToken?: string;
  /** The nonce the server expects in the proof (§8, §9). */
  nonce?: string;
  /** How old `iat` may be: seconds or a time span like '5m' (default 300). */
  maxAge?: number | string;
  /** Allowed clock skew: seconds or a time span like '30s' (at most 600). */
  clockTolerance?: number | string;
  /** The current time (default now). */
  currentDate?: Date;
  /** Allowed proof algorithms (default: every supported asymmetric one; never `none` or HS*). */
  algorithms?: string[];
}

/** The claims of a verified DPoP proof (RFC 9449 §4.2). */
export interface DPoPProofPayload extends JWTPayload {
  jti: string;
  htm: string;
  htu: string;
  iat: number;
  ath?: string;
  nonce?: string;
}

/** A verified DPoP proof. */
export interface DPoPVerifyResult {
  /** The RFC 7638 SHA-256 thumbprint of the proof's `jwk`: compare it with the access token's `cnf.jkt` (§6.1). */
  jkt: string;
  protectedHeader: ProtectedHeaderParameters & { typ: string; alg: string; jwk: JWK };
  payload: DPoPProofPayload;
}

/** Verifies a `DPoP` request header value (RFC 9449 §4.3); throws the jose error classes on failure. */
export declare function verifyDPoPProof(proof: string, options: DPoPVerifyOptions): DPoPVerifyResult;

// ---- keys: PKCS#12 (issue 3)

/** Options of `importPKCS8`: `passphrase` decrypts an `ENCRYPTED PRIVATE KEY` PEM. */
export interface PKCS8ImportOptions extends KeyImportOptions {
  /**
   * The passphrase of an `ENCRYPTED PRIVATE KEY` (PBES2: PBKDF2-HMAC-SHA1/SHA256
   * with AES-128/192/256-CBC or DES-EDE3-CBC). Required for an encrypted key; a wrong one throws
   * `errors.KeyInvalid`. Unused for a plain `PRIVATE KEY`.
   */
  passphrase?: string;
}
/** Imports a PKCS#8 PEM: `PRIVATE KEY`, or `ENCRYPTED PRIVATE KEY` with `options.passphrase`. */
export declare function importPKCS8(pkcs8: string, alg: string, options?: PKCS8ImportOptions): KeyObject;

/** Options of `importPKCS12`. */
export interface PKCS12ImportOptions {
  /** Binds both keys to this algorithm (it must match the key type). */
  alg?: string;
  /** Whether the private key may be exported later (default false). */
  extractable?: boolean;
}
/** The content of a PKCS#12 file. */
export interface PKCS12Contents {
  /** The private key (it carries the certificate's `x5t` and `x5t#S256`). */
  privateKey: KeyObject;
  /** The public key of the certificate matching the private key, with `x5t` and `x5t#S256`. */
  certificate: KeyObject;
  /** Every certificate of the file as PEM: the leaf first, then its issuers in order. */
  chain: string[];
}
/**
 * Imports a password-protected PKCS#12 (`.p12` / `.pfx`) file (RFC 7292): the OpenSSL 3 default
 * (AES-256-CBC, PBKDF2, HMAC-SHA256 MAC) and the legacy encodings (3DES / 40-bit RC2, SHA-1 MAC).
 * The MAC is verified first: a wrong password throws `errors.KeyInvalid` ("wrong password or
 * corrupt PKCS#12 (MAC check failed)"); so do files without a MAC, with several private keys,
 * or without a certificate for the key.
 */
export declare function importPKCS12(pkcs12: Uint8Array | ArrayBuffer, password: string, options?: PKCS12ImportOptions): PKCS12Contents;

// ---- OAuth / OpenID Connect (issue 3)

/** Claims of a validated ID Token (OpenID Connect Core 1.0 §2). */
export interface IDTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  nonce?: string;
  auth_time?: number;
  azp?: string;
  at_hash?: string;
  c_hash?: string;
  [claim: string]: unknown;
}

/** A token endpoint response (RFC 6749 §5.1), `token_type` lower-cased, plus `expires_at` (seconds). */
export interface TokenEndpointResponse {
  access_token: string;
  token_type: 'bearer' | 'dpop' | (string & {});
  expires_in?: number;
  /** Computed: the time (NumericDate seconds) `expires_in` ends. */
  expires_at?: number;
  refresh_token?: string;
  id_token?: string;
  scope?: string;
  [member: string]: unknown;
}

/** What handleCallback and refresh return. */
export interface CallbackResult {
  tokens: TokenEndpointResponse;
  /** The validated ID Token claims (undefined for a plain OAuth 2.0 flow). */
  claims?: IDTokenClaims;
}

/** Every request accepts these (HTTP is performed by the client; nothing else is async). */
export interface RequestOptions {
  /** A fetch implementation (default: globalThis.fetch, or the client's). */
  fetch?: typeof fetch;
  /** Aborts the request; the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Milliseconds (default 30000, or the client's `timeout`). */
  timeout?: number;
}

/** The server metadata (RFC 8414 §2, OpenID Connect Discovery 1.0 §3). */
export interface ServerMetadata {
  issuer: string;
  authorization_endpoint?: string;
  token_endpoint?: string;
  jwks_uri?: string;
  userinfo_endpoint?: string;
  end_session_endpoint?: string;
  introspection_endpoint?: string;
  revocation_endpoint?: string;
  registration_endpoint?: string;
  pushed_authorization_request_endpoint?: string;
  authorization_response_iss_parameter_supported?: boolean;
  [member: string]: unknown;
}

export type ClientAuthMethod = 'none' | 'client_secret_basic' | 'client_secret_post' | 'client_secret_jwt' | 'private_key_jwt';

/** Options of {@link Client}. */
export interface ClientOptions {
  clientId: string;
  clientSecret?: string;
  /** Default: client_secret_basic with a secret, private_key_jwt with a privateKey, else none. */
  tokenEndpointAuthMethod?: ClientAuthMethod;
  /** The client assertion algorithm (private_key_jwt: the key's alg by default; client_secret_jwt: HS256). */
  tokenEndpointAuthSigningAlg?: Algorithm | (string & {});
  /** The private key of private_key_jwt, JAR and the JWT bearer grant. */
  privateKey?: KeyObject;
  /** `kid` / `x5t` headers of the client assertion (default: the key's). */
  kid?: string;
  x5t?: string;
  redirectUri?: string;
  postLogoutRedirectUri?: string;
  /** The only accepted ID Token algorithm (default RS256). HS* only for confidential clients. */
  idTokenSignedResponseAlg?: Algorithm | (string & {});
  /** Set when UserInfo responses are signed: plain JSON is then refused. */
  userinfoSignedResponseAlg?: Algorithm | (string & {});
  /** Sign the authorization parameters into a Request Object (RFC 9101) with this algorithm. */
  requestObjectSigningAlg?: Algorithm | (string & {});
  /** DPoP (RFC 9449): proofs on token, UserInfo and resource requests. */
  dpop?: DPoPHandle;
  /** The OP's keys, instead of a remote set from `jwks_uri`. */
  jwks?: KeyObject | JSONWebKeySet | JWKSFunction | RemoteJWKSet;
  fetch?: typeof fetch;
  /** Milliseconds per HTTP request (default 30000). */
  timeout?: number;
  /** Allow http:// on loopback hosts (127.0.0.0/8, [::1], localhost) only, e.g. a local test OP. */
  allowInsecureRequests?: boolean;
  /** Seconds (or '30s'), at most 600. */
  clockTolerance?: number | string;
}

/** Protocol parameters of an authorization request (OpenID Connect Core 1.0 §3.1.2.1); extension parameters are passed through. */
export interface AuthorizationParameters {
  scope?: string;
  response_type?: 'code' | 'id_token' | 'id_token token' | 'code id_token' | 'code token' | 'code id_token token' | (string & {});
  response_mode?: 'query' | 'fragment' | 'form_post' | (string & {});
  redirect_uri?: string;
  state?: string;
  nonce?: string;
  prompt?: string;
  display?: string;
  max_age?: number;
  ui_locales?: string;
  id_token_hint?: string;
  login_hint?: string;
  acr_values?: string;
  claims?: Record<string, unknown> | string;
  [parameter: string]: string | number | boolean | Record<string, unknown> | undefined;
}

/** The authorization transaction: plain JSON, keep it (e.g. in sessionStorage) for handleCallback. Single use. */
export interface AuthorizationTransaction {
  url: string;
  state: string;
  nonce?: string;
  codeVerifier?: string;
  expectedIssuer?: string;
  issParameterSupported: boolean;
  clientId: string;
  redirectUri: string;
  responseType: string;
  responseMode?: string;
  maxAge?: number;
  /** Set once handleCallback used it. */
  consumed?: boolean;
}

/** Protocol parameters of a token request (RFC 6749 §3.2). */
export type GrantParameters = Record<string, string | number | boolean | undefined> | URLSearchParams;

/** Options of {@link Client.jwtBearer}: an assertion, or what to sign one with (RFC 7523 §2.1). */
export interface JwtBearerParameters {
  assertion?: string;
  subject?: string;
  issuer?: string;
  audience?: string;
  claims?: Record<string, unknown>;
  lifetime?: number | string;
  key?: KeyObject | Uint8Array;
  alg?: string;
  kid?: string;
  x5t?: string;
  [parameter: string]: unknown;
}

/** Parameters of the RP-initiated logout URL (RP-Initiated Logout 1.0 §2). */
export interface EndSessionParameters {
  id_token_hint?: string;
  post_logout_redirect_uri?: string;
  state?: string;
  logout_hint?: string;
  ui_locales?: string;
  client_id?: string;
}

export interface ProtectedResourceOptions extends RequestOptions {
  method?: string;
  headers?: HeadersInit;
  body?: BodyInit | null;
  accessToken?: string;
  tokenType?: string;
  tokenIn?: 'header' | 'body' | 'query';
}

/** The OAuth 2.0 / OpenID Connect relying party. Network calls are async, everything else sync. */
export declare class Client {
  /** Discovers the OP (the document's issuer must equal `issuer`). `algorithm: 'oauth2'` uses RFC 8414's location. */
  static discover(issuer: string | URL, clientOptions: ClientOptions, requestOptions?: RequestOptions & { algorithm?: 'oidc' | 'oauth2' }): Promise<Client>;
  /** Dynamic client registration (RFC 7591); returns a client for the registered credentials. */
  static register(
    issuerOrMetadata: string | URL | ServerMetadata,
    clientMetadata: Record<string, unknown>,
    options?: RequestOptions & { initialAccessToken?: string; clientOptions?: Partial<ClientOptions>; allowInsecureRequests?: boolean },
  ): Promise<Client>;
  constructor(metadata: ServerMetadata, clientOptions: ClientOptions);
  readonly metadata: Readonly<ServerMetadata>;
  /** The registration response (clients from Client.register). */
  readonly registration: Record<string, unknown> | undefined;
  /** The last token response. */
  readonly tokens: TokenEndpointResponse | undefined;
  /** The last validated ID Token claims. */
  readonly claims: IDTokenClaims | undefined;
  authorizationRequest(params?: AuthorizationParameters): AuthorizationTransaction;
  pushedAuthorizationRequest(params?: AuthorizationParameters, options?: RequestOptions): Promise<AuthorizationTransaction>;
  /** The redirect URL (query or fragment), the form_post body, or the fetch Request that arrived at the redirect URI. */
  handleCallback(urlOrFormBody: string | URL | URLSearchParams | Request, transaction: AuthorizationTransaction, options?: RequestOptions): Promise<CallbackResult>;
  refresh(refreshToken?: string, options?: RequestOptions & { scope?: string }): Promise<CallbackResult>;
  userinfo<T extends Record<string, unknown> = Record<string, unknown>>(
    accessToken?: string,
    options?: RequestOptions & { tokenType?: string; expectedSubject?: string },
  ): Promise<T & { sub: string }>;
  introspect(token: string, options?: RequestOptions & { tokenTypeHint?: string }): Promise<{ active: boolean; [member: string]: unknown }>;
  revoke(token: string, options?: RequestOptions & { tokenTypeHint?: string }): Promise<void>;
  clientCredentials(params?: GrantParameters, options?: RequestOptions): Promise<TokenEndpointResponse>;
  password(params: GrantParameters, options?: RequestOptions): Promise<TokenEndpointResponse>;
  jwtBearer(params: JwtBearerParameters, options?: RequestOptions): Promise<TokenEndpointResponse>;
  grant(grantType: string, params?: GrantParameters, options?: RequestOptions): Promise<TokenEndpointResponse>;
  endSessionUrl(params?: EndSessionParameters): string;
  fetchProtectedResource(url: string | URL, options?: ProtectedResourceOptions): Promise<Response>;
}

/** Keys accepted by the validators: a key, a JWK, a local or remote JWK Set, or a jose-style getKey function. */
export type ValidationKeys = KeyLike | JWKSFunction | RemoteJWKSet | GetKeyFunction;

export interface ValidateIdTokenOptions {
  issuer: string;
  /** This client's id (`audience` is an alias). */
  clientId?: string;
  audience?: string;
  /** Allowed algorithms (default ['RS256']). */
  algorithms?: string[];
  nonce?: string;
  maxAge?: number | string;
  requireAuthTime?: boolean;
  accessToken?: string;
  code?: string;
  requireAtHash?: boolean;
  requireCHash?: boolean;
  clockTolerance?: number | string;
  /** The oldest accepted `iat`, as an age in seconds or a jose-style string such as `'2h'` (default one day; OpenID Connect Core 1.0 §3.1.3.7 step 10). */
  maxTokenAge?: number | string;
  currentDate?: Date;
  /** The original ID Token's claims: OpenID Connect Core 1.0 §12.2 (refresh) or §3.3.3.6 (hybrid). */
  original?: JWTPayload;
  continuity?: 'refresh' | 'hybrid';
}

export interface TokenValidationResult<PayloadType = JWTPayload> {
  payload: PayloadType;
  protectedHeader: ProtectedHeaderParameters;
}

export declare function generateCodeVerifier(): string;
export declare function calculatePKCECodeChallenge(codeVerifier: string): string;
export declare function generateState(): string;
export declare function generateNonce(): string;

export declare function validateIdToken(idToken: string, keys: KeyLike | JWKSFunction, options: ValidateIdTokenOptions): TokenValidationResult<IDTokenClaims>;
export declare function validateIdToken(idToken: string, keys: RemoteJWKSet, options: ValidateIdTokenOptions): Promise<TokenValidationResult<IDTokenClaims>>;
export declare function validateIdToken(idToken: string, keys: GetKeyFunction, options: ValidateIdTokenOptions): TokenValidationResult<IDTokenClaims> | Promise<TokenValidationResult<IDTokenClaims>>;

export interface ClientAssertionOptions {
  clientId: string;
  /** The token endpoint URL. */
  audience: string;
  key: KeyObject | Uint8Array;
  alg?: string;
  kid?: string;
  x5t?: string;
  /** Seconds (default 60, at most 300) or a span like '2m'. */
  lifetime?: number | string;
  claims?: Record<string, unknown>;
}
export declare function createClientAssertion(options: ClientAssertionOptions): string;

export interface JwtBearerAssertionOptions extends Omit<ClientAssertionOptions, 'clientId'> {
  issuer: string;
  subject: string;
}
export declare function createJwtBearerAssertion(options: JwtBearerAssertionOptions): string;

/** A fetch Request, a Node IncomingMessage, or `{ headers, url?, body? }` (a form body as a string or URLSearchParams). */
export interface RequestLike {
  headers?: Headers | Record<string, string | string[] | undefined>;
  url?: string;
  body?: unknown;
}
export declare function extractBearerToken(requestLike: RequestLike | Request): string | undefined;

export interface WWWAuthenticateOptions {
  error?: 'invalid_request' | 'invalid_token' | 'insufficient_scope' | Error;
  description?: string;
  realm?: string;
  scope?: string;
}
export declare function wwwAuthenticate(options?: WWWAuthenticateOptions): string;

export interface ValidateJwtAccessTokenOptions {
  issuer: string;
  audience: string | string[];
  algorithms?: string[];
  requiredScopes?: string[];
  clockTolerance?: number | string;
  currentDate?: Date;
}
export interface JwtAccessTokenClaims extends JWTPayload {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  jti: string;
  client_id: string;
  scope?: string;
}
export declare function validateJwtAccessToken(token: string, keys: KeyLike | JWKSFunction, options: ValidateJwtAccessTokenOptions): TokenValidationResult<JwtAccessTokenClaims>;
export declare function validateJwtAccessToken(token: string, keys: RemoteJWKSet, options: ValidateJwtAccessTokenOptions): Promise<TokenValidationResult<JwtAccessTokenClaims>>;

export interface ValidateLogoutTokenOptions {
  issuer: string;
  clientId?: string;
  audience?: string;
  algorithms?: string[];
  clockTolerance?: number | string;
  /** The oldest accepted `iat`, as an age in seconds. */
  maxTokenAge?: number | string;
  currentDate?: Date;
}
export interface LogoutTokenClaims extends JWTPayload {
  iss: string;
  aud: string | string[];
  iat: number;
  jti: string;
  sub?: string;
  sid?: string;
  events: Record<string, unknown>;
}
export declare function validateLogoutToken(token: string, keys: KeyLike | JWKSFunction, options: ValidateLogoutTokenOptions): TokenValidationResult<LogoutTokenClaims>;
export declare function validateLogoutToken(token: string, keys: RemoteJWKSet, options: ValidateLogoutTokenOptions): Promise<TokenValidationResult<LogoutTokenClaims>>;
