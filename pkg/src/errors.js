// Error classes, jose-compatible (names, `code` static and instance, `claim`/`reason`/`payload`).
// Every failure thrown by this package is one of these or a TypeError carrying a Node-style
// `code` ('ERR_INVALID_ARG_VALUE' / 'ERR_INVALID_ARG_TYPE'); never a string or a plain object.

/** Base class of every oidckit error (jose's `JOSEError`). */
export class JOSEError extends Error {
  static code = 'ERR_JOSE_GENERIC';
  code = 'ERR_JOSE_GENERIC';
  constructor(message, options) {
    super(message, options);
    this.name = this.constructor.name;
    Error.captureStackTrace?.(this, this.constructor);
  }
}

/**
 * The shared shape of the two claim errors (jose's): `claim`, `reason` and the token's `payload`.
 * Each class gets its own base, so neither is an instance of the other.
 */
function claimError(errorCode) {
  return class extends JOSEError {
    static code = errorCode;
    code = errorCode;
    claim;
    reason;
    payload;
    constructor(message, payload, claim = 'unspecified', reason = 'unspecified') {
      super(message, { cause: { claim, reason, payload } });
      this.claim = claim;
      this.reason = reason;
      this.payload = payload;
    }
  };
}

/** A claim check failed (`iss`, `aud`, `sub`, `nbf`, `iat`, `typ`, required claims, claim types). */
export class JWTClaimValidationFailed extends claimError('ERR_JWT_CLAIM_VALIDATION_FAILED') {}

/** The `exp` claim (or `maxTokenAge` from `iat`) is in the past. */
export class JWTExpired extends claimError('ERR_JWT_EXPIRED') {}

/** The algorithm is not in the allow-list or not usable with the key. */
export class JOSEAlgNotAllowed extends JOSEError {
  static code = 'ERR_JOSE_ALG_NOT_ALLOWED';
  code = 'ERR_JOSE_ALG_NOT_ALLOWED';
}

/** The algorithm, key type or feature is not implemented. */
export class JOSENotSupported extends JOSEError {
  static code = 'ERR_JOSE_NOT_SUPPORTED';
  code = 'ERR_JOSE_NOT_SUPPORTED';
}

/** A JWS is malformed. */
export class JWSInvalid extends JOSEError {
  static code = 'ERR_JWS_INVALID';
  code = 'ERR_JWS_INVALID';
}

/** A JWT is malformed. */
export class JWTInvalid extends JOSEError {
  static code = 'ERR_JWT_INVALID';
  code = 'ERR_JWT_INVALID';
}

/** A JWK is malformed or inconsistent. */
export class JWKInvalid extends JOSEError {
  static code = 'ERR_JWK_INVALID';
  code = 'ERR_JWK_INVALID';
}

/** A JWK Set is malformed. */
export class JWKSInvalid extends JOSEError {
  static code = 'ERR_JWKS_INVALID';
  code = 'ERR_JWKS_INVALID';
}

/** No key of the JWK Set matches the token's header. */
export class JWKSNoMatchingKey extends JOSEError {
  static code = 'ERR_JWKS_NO_MATCHING_KEY';
  code = 'ERR_JWKS_NO_MATCHING_KEY';
  constructor(message = 'no applicable key found in the JSON Web Key Set', options) {
    super(message, options);
  }
}

/** Several keys of the JWK Set match the token's header. */
export class JWKSMultipleMatchingKeys extends JOSEError {
  static code = 'ERR_JWKS_MULTIPLE_MATCHING_KEYS';
  code = 'ERR_JWKS_MULTIPLE_MATCHING_KEYS';
  constructor(message = 'multiple matching keys found in the JSON Web Key Set', options) {
    super(message, options);
  }
}

/** The signature did not verify (deliberately without detail). */
export class JWSSignatureVerificationFailed extends JOSEError {
  static code = 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED';
  code = 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED';
  constructor(message = 'signature verification failed', options) {
    super(message, options);
  }
}

/** Key material is malformed, too weak, or of the wrong kind for the operation. */
export class KeyInvalid extends JOSEError {
  static code = 'ERR_KEY_INVALID';
  code = 'ERR_KEY_INVALID';
}

/**
 * An OAuth 2.0 / OpenID Connect protocol failure (oauth4webapi's `OperationProcessingError`):
 * `code` is one of the `OAUTH_*` codes.
 */
export class OperationProcessingError extends Error {
  code;
  constructor(message, code = 'OAUTH_INVALID_RESPONSE', options) {
    super(message, options);
    this.name = this.constructor.name;
    this.code = code;
    Error.captureStackTrace?.(this, this.constructor);
  }
}

/** An OAuth error body from an endpoint (RFC 6749 §5.2), its members kept verbatim. */
export class ResponseBodyError extends OperationProcessingError {
  error;
  error_description;
  error_uri;
  status;
  constructor(message, body = {}, code = 'OAUTH_RESPONSE_BODY_ERROR') {
    super(message, code, { cause: body });
    this.error = body.error;
    this.error_description = body.error_description;
    this.error_uri = body.error_uri;
    this.status = body.status;
  }
}

/** An OAuth error in the authorization response (RFC 6749 §4.1.2.1). */
export class AuthorizationResponseError extends ResponseBodyError {
  constructor(message, body = {}) {
    super(message, body, 'OAUTH_AUTHORIZATION_RESPONSE_ERROR');
  }
}

/** The protocol codes carried by OperationProcessingError (the Rust core's `Error::code`). */
export const OAUTH_CODES = [
  'OAUTH_RESPONSE_BODY_ERROR',
  'OAUTH_AUTHORIZATION_RESPONSE_ERROR',
  'OAUTH_INVALID_RESPONSE',
  'OAUTH_RESPONSE_IS_NOT_JSON',
  'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED',
  'OAUTH_MISSING_REQUIRED_PARAMETER',
  'OAUTH_HTTP_REQUEST_FORBIDDEN',
  'OAUTH_INVALID_REQUEST',
];

const CLASSES = {
  ERR_JOSE_GENERIC: JOSEError,
  ERR_JWS_INVALID: JWSInvalid,
  ERR_JWT_INVALID: JWTInvalid,
  ERR_JWK_INVALID: JWKInvalid,
  ERR_JWKS_INVALID: JWKSInvalid,
  ERR_JWKS_NO_MATCHING_KEY: JWKSNoMatchingKey,
  ERR_JWKS_MULTIPLE_MATCHING_KEYS: JWKSMultipleMatchingKeys,
  ERR_KEY_INVALID: KeyInvalid,
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: JWSSignatureVerificationFailed,
  ERR_JOSE_ALG_NOT_ALLOWED: JOSEAlgNotAllowed,
  ERR_JOSE_NOT_SUPPORTED: JOSENotSupported,
};

/** A TypeError with a Node-style `code` (argument misuse). */
export function typeError(message, code = 'ERR_INVALID_ARG_VALUE') {
  const err = new TypeError(message);
  err.code = code;
  Error.captureStackTrace?.(err, typeError);
  return err;
}

/** A TypeError for an argument of the wrong type. */
export const argType = (message) => typeError(message, 'ERR_INVALID_ARG_TYPE');

/**
 * Turns what the wasm module threw into the public error. The module throws an `Error` with a
 * `code` (and `claim`/`reason` for claim failures); `payload` is a function that returns the
 * token's claims for JWTExpired / JWTClaimValidationFailed (only called on that path).
 */
export function fromWasm(e, payload) {
  if (!(e instanceof Error) || e instanceof JOSEError || typeof e.code !== 'string') {
    return e;
  }
  const { code, message } = e;
  if (code === 'ERR_INVALID_ARG_VALUE' || code === 'ERR_INVALID_ARG_TYPE') {
    return typeError(message, code);
  }
  if (code === 'ERR_JWT_EXPIRED' || code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
    let claims;
    try {
      claims = payload?.();
    } catch {
      claims = undefined;
    }
    const Class = code === 'ERR_JWT_EXPIRED' ? JWTExpired : JWTClaimValidationFailed;
    return new Class(message, claims, e.claim, e.reason);
  }
  if (code === 'OAUTH_RESPONSE_BODY_ERROR' || code === 'OAUTH_AUTHORIZATION_RESPONSE_ERROR') {
    const body = { error: e.error, error_description: e.error_description, error_uri: e.error_uri, status: e.status };
    return code === 'OAUTH_RESPONSE_BODY_ERROR'
      ? new ResponseBodyError(message, body)
      : new AuthorizationResponseError(message, body);
  }
  if (OAUTH_CODES.includes(code)) {
    return new OperationProcessingError(message, code);
  }
  const Class = CLASSES[code];
  return Class ? new Class(message) : e;
}
