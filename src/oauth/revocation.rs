//! Token revocation (RFC 7009), sans-IO: [`revocation_request`] builds the request of §2.1
//! and [`process_revocation_response`] checks the response of §2.2.

use rand_core::CryptoRng;

use crate::UnixTime;
use crate::error::{Error, Result};
use crate::oauth::client_auth::ClientAuth;
use crate::oauth::http::{
    Endpoint, HttpRequest, HttpResponse, check_oauth_error, parse_json_object,
};
use crate::oauth::introspection::token_form_request;

/// Builds a revocation request (RFC 7009 §2.1): `POST` to the (https) endpoint with the
/// `token` and the optional `token_type_hint` (`access_token` or `refresh_token`, RFC 7009
/// §2.1, §4.1.2) as an `application/x-www-form-urlencoded` body, authenticated with `auth`
/// (public clients send their `client_id` with [`ClientAuth::None`], RFC 7009 §5). An empty
/// token or hint is [`Error::InvalidArgValue`].
pub fn revocation_request<'e, R: CryptoRng + ?Sized>(
    endpoint: impl Into<Endpoint<'e>>,
    token: &str,
    token_type_hint: Option<&str>,
    auth: &ClientAuth,
    now: UnixTime,
    rng: &mut R,
) -> Result<HttpRequest> {
    token_form_request(endpoint.into(), token, token_type_hint, auth, now, rng)
}

/// Processes a revocation response (RFC 7009 §2.2, §2.2.1): 200 means the token was revoked
/// or was already invalid, whatever the body (RFC 7009 §2.2: the client ignores it). A status
/// with an OAuth error body (RFC 6749 §5.2, e.g. `unsupported_token_type`) is
/// [`Error::OAuthResponseBodyError`]; any other status (e.g. 503 with `Retry-After`, §2.2.1)
/// is [`Error::OAuthInvalidResponse`].
pub fn process_revocation_response(resp: &HttpResponse) -> Result<()> {
    if resp.status == 200 {
        return Ok(());
    }
    if let Ok(obj) = parse_json_object(resp) {
        check_oauth_error(resp, &obj)?;
    }
    Err(Error::OAuthInvalidResponse(format!(
        "the revocation endpoint answered with HTTP status {} instead of 200 (RFC 7009 §2.2)",
        resp.status
    )))
}
