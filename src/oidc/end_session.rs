//! RP-Initiated Logout requests (OpenID Connect RP-Initiated Logout 1.0 §2): the URL of the
//! OP's `end_session_endpoint` the RP redirects the End-User's user agent to.
//!
//! The `state` value, when used, is generated and stored by the caller (for example with
//! [`crate::oauth::pkce`]) and compared on the post-logout redirect (§3).

use crate::error::{Error, Result};
use crate::oauth::http;

/// The parameters of a logout request (RP-Initiated Logout 1.0 §2). Every one is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndSessionParams {
    /// `id_token_hint`: an ID Token previously issued to this RP (§2, RECOMMENDED).
    pub id_token_hint: Option<String>,
    /// `logout_hint`: a hint about the End-User that is logging out (§2).
    pub logout_hint: Option<String>,
    /// `client_id`: this RP's client identifier (§2), needed with `post_logout_redirect_uri`
    /// when there is no `id_token_hint`.
    pub client_id: Option<String>,
    /// `post_logout_redirect_uri`: where the OP redirects after logout, exactly as registered
    /// (§2, §3); it may not carry a fragment.
    pub post_logout_redirect_uri: Option<String>,
    /// `state`: an opaque value returned on the post-logout redirect (§2, §3), made by the
    /// caller.
    pub state: Option<String>,
    /// `ui_locales`: the End-User's preferred languages, space-separated BCP 47 tags (§2).
    pub ui_locales: Option<String>,
}

fn bad(message: impl Into<String>) -> Error {
    Error::InvalidArgValue(message.into())
}

/// The logout request URL (OpenID Connect RP-Initiated Logout 1.0 §2): `endpoint` (the OP's
/// `end_session_endpoint`, Discovery §2.1; its own query kept) plus the given parameters,
/// `application/x-www-form-urlencoded` (RFC 6749 Appendix B), for a GET redirect.
///
/// `endpoint` is checked with [`http::check_url`]: https, or http on a loopback host when
/// `allow_insecure_loopback` is set. Refused with [`Error::InvalidArgValue`]: an empty
/// parameter value, a `post_logout_redirect_uri` with a fragment or without an
/// `id_token_hint` or `client_id` to identify the client it is registered for (§2), and a
/// parameter the endpoint's query already has.
pub fn end_session_url(
    endpoint: &str,
    allow_insecure_loopback: bool,
    params: &EndSessionParams,
) -> Result<String> {
    http::check_url(endpoint, allow_insecure_loopback)?;
    let all: [(&str, Option<&str>); 6] = [
        ("id_token_hint", params.id_token_hint.as_deref()),
        ("logout_hint", params.logout_hint.as_deref()),
        ("client_id", params.client_id.as_deref()),
        (
            "post_logout_redirect_uri",
            params.post_logout_redirect_uri.as_deref(),
        ),
        ("state", params.state.as_deref()),
        ("ui_locales", params.ui_locales.as_deref()),
    ];
    let pairs: Vec<(&str, &str)> = all.iter().filter_map(|(n, v)| v.map(|v| (*n, v))).collect();
    if let Some((n, _)) = pairs.iter().find(|(_, v)| v.is_empty()) {
        return Err(bad(format!("the {n} parameter must not be empty")));
    }
    if let Some(uri) = &params.post_logout_redirect_uri {
        if uri.contains('#') {
            return Err(bad(
                "post_logout_redirect_uri must not contain a fragment (RP-Initiated Logout 1.0 §2)",
            ));
        }
        if params.id_token_hint.is_none() && params.client_id.is_none() {
            return Err(bad(
                "post_logout_redirect_uri needs id_token_hint or client_id (RP-Initiated Logout 1.0 §2)",
            ));
        }
    }

    let (path, existing) = match endpoint.split_once('?') {
        Some((p, q)) => (p, q),
        None => (endpoint, ""),
    };
    let existing_pairs = http::form_decode(existing)?;
    if let Some((n, _)) = existing_pairs
        .iter()
        .find(|(n, _)| pairs.iter().any(|(p, _)| p == n))
    {
        return Err(bad(format!(
            "the end_session_endpoint's query already has {n:?}"
        )));
    }
    let query = http::form_urlencode(&pairs);
    Ok(match (existing.is_empty(), query.is_empty()) {
        (_, true) => endpoint.to_owned(),
        (true, false) => format!("{path}?{query}"),
        (false, false) => format!("{path}?{existing}&{query}"),
    })
}
