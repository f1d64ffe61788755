//! Back-channel logout notifications (OpenID Connect Back-Channel Logout 1.0): when a session
//! ends, every client with a grant in it and a registered `backchannel_logout_uri` receives a
//! Logout Token (§2.4) in a form POST (§2.5).

use oidckit::Object;
use serde_json::{Value, json};

use crate::app::AppState;
use crate::config::ClientConfig;
use crate::error::ServerError;
use crate::scenario::TokenKind;
use crate::session::Session;

/// The `events` member of a Logout Token (§2.4).
pub const LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";
/// Logout Token lifetime, seconds (§2.4 recommends a short one).
pub const LOGOUT_TOKEN_LIFETIME: i64 = 120;

/// The claims of a Logout Token (§2.4): `iss`, `aud`, `iat`, `exp`, `jti`, `events`, `sub` and
/// `sid`; never a `nonce` (§2.4: "A nonce Claim MUST NOT be present").
pub fn logout_claims(
    state: &AppState,
    client: &ClientConfig,
    session: &Session,
    now: i64,
) -> Object {
    let mut c = Object::new();
    c.insert("iss".into(), Value::from(state.issuer.as_str()));
    c.insert("aud".into(), Value::from(client.client_id.as_str()));
    c.insert("iat".into(), Value::from(now));
    c.insert("exp".into(), Value::from(now + LOGOUT_TOKEN_LIFETIME));
    c.insert("jti".into(), Value::from(crate::tokens::random_handle()));
    c.insert("events".into(), json!({ LOGOUT_EVENT: {} }));
    c.insert("sub".into(), Value::from(session.username.as_str()));
    c.insert("sid".into(), Value::from(session.id.as_str()));
    c
}

/// Mints a Logout Token for `client` (signed like its ID Tokens, §2.4, through
/// `tokens::sign_jwt` with `typ: logout+jwt` and the client's scenario).
pub fn mint_logout_token(
    state: &AppState,
    client: &ClientConfig,
    session: &Session,
    now: i64,
) -> Result<String, ServerError> {
    let alg = crate::claims::id_token_alg(state, client);
    let scenario = crate::scenario::resolve(state, client, None);
    crate::tokens::sign_jwt(
        state,
        TokenKind::LogoutToken,
        alg,
        logout_claims(state, client, session, now),
        &scenario,
    )
}

/// Ends session `session` (a logout: RP-initiated, or another user signing in in the same
/// browser): the session row, the grants made in it that are not `offline_access`
/// ([`Store::revoke_session_grants`](crate::store::Store)), and the back-channel notifications
/// (§2.5). `false` when the session was already over (nothing is sent again).
pub async fn end_session(state: &AppState, session: &Session, now: i64) -> bool {
    match state.store.end_session(&session.id, now) {
        Ok(true) => {}
        Ok(false) => return false,
        Err(e) => {
            tracing::error!(error = %e, "ending the session failed");
            return false;
        }
    }
    tracing::info!(target: "oidckit_server::logout", outcome = "ended", "session ended");
    notify(state, session, now).await;
    if let Err(e) = state.store.revoke_session_grants(&session.id, now) {
        tracing::error!(error = %e, "revoking the session's grants failed");
    }
    true
}

/// What a notification did, per client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notified {
    /// The client notified.
    pub client_id: String,
    /// The HTTP status it answered, or why it could not be reached.
    pub outcome: Result<u16, String>,
}

/// Notifies every client with a grant in `session` that has a `backchannel_logout_uri` (§2.5),
/// concurrently; waits for all (each call has `outbound`'s time limit).
pub async fn notify(state: &AppState, session: &Session, now: i64) -> Vec<Notified> {
    let ids = match state.store.session_clients(&session.id) {
        Ok(ids) => ids,
        Err(e) => {
            tracing::error!(error = %e, "listing the session's clients failed");
            return Vec::new();
        }
    };
    let mut tasks = Vec::new();
    for id in ids {
        let client = match state.store.client(&id) {
            Ok(Some(c)) => c.config,
            _ => continue,
        };
        let Some(uri) = client.backchannel_logout_uri.clone() else {
            continue;
        };
        let token = match mint_logout_token(state, &client, session, now) {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(error = %e, client = %id, "minting a logout token failed");
                continue;
            }
        };
        let body = oidckit::oauth::http::form_urlencode(&[("logout_token", token.as_str())]);
        tasks.push((
            id,
            tokio::spawn(async move { crate::outbound::post_form(&uri, body).await }),
        ));
    }
    let mut out = Vec::new();
    for (client_id, task) in tasks {
        let outcome = match task.await {
            Ok(Ok(res)) => Ok(res.status),
            Ok(Err(e)) => Err(e),
            Err(e) => Err(format!("the notification task failed: {e}")),
        };
        tracing::info!(
            target: "oidckit_server::backchannel",
            client = %client_id,
            outcome = ?outcome,
            "back-channel logout"
        );
        out.push(Notified { client_id, outcome });
    }
    out
}
