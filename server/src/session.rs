//! End-user sessions at the OP (the `oidckit_session` cookie, OpenID Connect Core 1.0 §3.1.2.3
//! "authenticate the End-User"), remembered consent per (user, client) (§3.1.2.4), and
//! interactions: the server-side state of a login / consent / logout confirmation page.
//!
//! Cookies hold random handles; the store keeps their SHA-256 (`tokens::handle_hash`). The
//! session id (the `sid` claim of OpenID Connect Back-Channel Logout 1.0 §2.1) is a separate
//! value, so an ID Token never reveals a cookie.
//!
//! An interaction is bound to the browser that started it by the `oidckit_interaction` cookie
//! (SameSite=Lax, so a cross-site form post does not carry it) and to its page by a CSRF token
//! in a hidden input: a login or consent post needs all three (interaction id, CSRF token,
//! cookie) to match.

use axum::http::{HeaderMap, HeaderValue, header};
use rusqlite::{OptionalExtension as _, params};

use crate::app::AppState;
use crate::error::ServerError;
use crate::store::Store;
use crate::tokens::{handle_hash, random_handle};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "oidckit_session";
/// The browser-binding cookie of interactions.
pub const INTERACTION_COOKIE: &str = "oidckit_interaction";
/// How long a login or consent page stays usable, in seconds.
pub const INTERACTION_LIFETIME: i64 = 3600;

/// An active OP session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The session id (`sid`).
    pub id: String,
    /// The signed-in user.
    pub username: String,
    /// When the user authenticated (`auth_time`, OpenID Connect Core 1.0 §2).
    pub auth_time: i64,
    /// When the session ends by itself.
    pub expires_at: i64,
}

/// A pending interaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interaction {
    /// The request it serves, JSON (the validated authorization or logout request).
    pub request: String,
    /// The user, once signed in during this interaction.
    pub username: Option<String>,
    /// The session created by that sign-in.
    pub session_id: Option<String>,
    /// When that sign-in happened.
    pub auth_time: Option<i64>,
}

/// The value of cookie `name` in the request's `Cookie` headers (RFC 6265 §5.4), if any.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim_matches('"').to_owned())
        .filter(|v| !v.is_empty())
}

/// The cookie path: the issuer's path, or `/`.
pub fn cookie_path(state: &AppState) -> String {
    let p = crate::routes::discovery::issuer_path(&state.issuer);
    if p.is_empty() { "/".into() } else { p.into() }
}

/// A `Set-Cookie` value (RFC 6265 §4.1): HttpOnly, SameSite=Lax, the issuer path, `Secure` for
/// an https issuer; `max_age` `None` makes a browser-session cookie, `Some(0)` deletes it.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
    let mut c = format!(
        "{name}={value}; Path={}; HttpOnly; SameSite=Lax",
        cookie_path(state)
    );
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if state.issuer.starts_with("https://") {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static("x=; Max-Age=0"))
}

/// Whether `v` looks like one of our handles (base64url, 43 characters).
pub fn is_handle(v: &str) -> bool {
    v.len() == 43
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The browser-binding value of the request (its `oidckit_interaction` cookie), or a new one
/// with the `Set-Cookie` header to send.
pub fn browser_binding(state: &AppState, headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    match cookie_value(headers, INTERACTION_COOKIE).filter(|v| is_handle(v)) {
        Some(v) => (v, None),
        None => {
            let v = random_handle();
            let c = set_cookie(state, INTERACTION_COOKIE, &v, None);
            (v, Some(c))
        }
    }
}

/// The active session of the request's `oidckit_session` cookie.
pub fn current_session(
    state: &AppState,
    headers: &HeaderMap,
    now: i64,
) -> Result<Option<Session>, ServerError> {
    match cookie_value(headers, SESSION_COOKIE).filter(|v| is_handle(v)) {
        Some(c) => state.store.session_by_cookie(&c, now),
        None => Ok(None),
    }
}

fn scope_set(scope: &str) -> std::collections::BTreeSet<&str> {
    scope.split(' ').filter(|s| !s.is_empty()).collect()
}

impl Store {
    /// Starts a session for `username` (authenticated at `now`), lasting `lifetime` seconds.
    /// Returns the session and its cookie value.
    pub fn create_session(
        &self,
        username: &str,
        now: i64,
        lifetime: i64,
    ) -> Result<(Session, String), ServerError> {
        let session = Session {
            id: random_handle(),
            username: username.to_owned(),
            auth_time: now,
            expires_at: now.saturating_add(lifetime),
        };
        let cookie = random_handle();
        self.conn()?.execute(
            "INSERT INTO sessions (id, username, auth_time, expires_at, cookie_hash)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                session.id,
                session.username,
                session.auth_time,
                session.expires_at,
                handle_hash(&cookie)
            ],
        )?;
        Ok((session, cookie))
    }

    fn session_where(
        &self,
        clause: &str,
        arg: &str,
        now: i64,
    ) -> Result<Option<Session>, ServerError> {
        let conn = self.conn()?;
        let sql = format!(
            "SELECT id, username, auth_time, expires_at FROM sessions
             WHERE {clause} = ?1 AND ended_at IS NULL AND expires_at > ?2"
        );
        Ok(conn
            .query_row(&sql, params![arg, now], |r| {
                Ok(Session {
                    id: r.get(0)?,
                    username: r.get(1)?,
                    auth_time: r.get(2)?,
                    expires_at: r.get(3)?,
                })
            })
            .optional()?)
    }

    /// The active session whose cookie is `cookie`.
    pub fn session_by_cookie(
        &self,
        cookie: &str,
        now: i64,
    ) -> Result<Option<Session>, ServerError> {
        self.session_where("cookie_hash", &handle_hash(cookie), now)
    }

    /// The active session with id `sid`.
    pub fn session(&self, sid: &str, now: i64) -> Result<Option<Session>, ServerError> {
        self.session_where("id", sid, now)
    }

    /// Records a new authentication in session `sid` (OpenID Connect Core 1.0 §3.1.2.1
    /// `prompt=login`, `max_age`): `auth_time` = `now`, and the session lasts `lifetime` from
    /// now. The session id (`sid`) stays.
    pub fn reauthenticate_session(
        &self,
        sid: &str,
        now: i64,
        lifetime: i64,
    ) -> Result<Session, ServerError> {
        self.conn()?.execute(
            "UPDATE sessions SET auth_time = ?2, expires_at = ?3 WHERE id = ?1",
            params![sid, now, now.saturating_add(lifetime)],
        )?;
        self.session(sid, now)?
            .ok_or_else(|| ServerError::Store("the session ended during sign-in".into()))
    }

    /// Ends a session; `false` when it was not active.
    pub fn end_session(&self, sid: &str, now: i64) -> Result<bool, ServerError> {
        Ok(self.conn()?.execute(
            "UPDATE sessions SET ended_at = ?2 WHERE id = ?1 AND ended_at IS NULL",
            params![sid, now],
        )? > 0)
    }

    /// The clients with a grant in session `sid` (Back-Channel Logout 1.0 §2.7: the RPs to
    /// notify), by `client_id`.
    pub fn session_clients(&self, sid: &str) -> Result<Vec<String>, ServerError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare(
            "SELECT DISTINCT client_id FROM grants WHERE session_id = ?1 ORDER BY client_id",
        )?;
        let rows = stmt.query_map([sid], |r| r.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Revokes the grants made in session `sid` (and everything issued under them), except
    /// those with the `offline_access` scope, which outlive the session (OpenID Connect Core
    /// 1.0 §11; node oidc-provider's `persistsLogout`). Returns how many were revoked.
    pub fn revoke_session_grants(&self, sid: &str, now: i64) -> Result<usize, ServerError> {
        let ids: Vec<(String, String)> = {
            let conn = self.conn()?;
            let mut stmt = conn.prepare(
                "SELECT id, scope FROM grants WHERE session_id = ?1 AND revoked_at IS NULL",
            )?;
            let rows = stmt.query_map([sid], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        let mut n = 0;
        for (id, scope) in ids {
            if !scope.split(' ').any(|s| s == "offline_access") {
                self.revoke_grant(&id, now)?;
                n += 1;
            }
        }
        Ok(n)
    }

    /// Whether `username` already consented to every scope of `scope` for `client_id`.
    pub fn consent_covers(
        &self,
        username: &str,
        client_id: &str,
        scope: &str,
    ) -> Result<bool, ServerError> {
        let stored: Option<String> = self
            .conn()?
            .query_row(
                "SELECT scope FROM consents WHERE username = ?1 AND client_id = ?2",
                params![username, client_id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(stored.is_some_and(|s| scope_set(scope).is_subset(&scope_set(&s))))
    }

    /// Remembers consent to `scope` (added to what was consented before).
    pub fn remember_consent(
        &self,
        username: &str,
        client_id: &str,
        scope: &str,
    ) -> Result<(), ServerError> {
        let conn = self.conn()?;
        let old: Option<String> = conn
            .query_row(
                "SELECT scope FROM consents WHERE username = ?1 AND client_id = ?2",
                params![username, client_id],
                |r| r.get(0),
            )
            .optional()?;
        let mut all = old.as_deref().map(scope_set).unwrap_or_default();
        all.extend(scope_set(scope));
        let joined = all.into_iter().collect::<Vec<_>>().join(" ");
        conn.execute(
            "INSERT INTO consents (username, client_id, scope) VALUES (?1, ?2, ?3)
             ON CONFLICT (username, client_id) DO UPDATE SET scope = ?3",
            params![username, client_id, joined],
        )?;
        Ok(())
    }

    /// Forgets a user's consents (all clients).
    pub fn forget_consents(&self, username: &str) -> Result<(), ServerError> {
        self.conn()?
            .execute("DELETE FROM consents WHERE username = ?1", [username])?;
        Ok(())
    }

    /// Starts an interaction of `kind` bound to the browser value `browser`; returns its id
    /// and CSRF token. Expired interactions are purged on the way.
    pub fn create_interaction(
        &self,
        kind: &str,
        browser: &str,
        request: &str,
        now: i64,
    ) -> Result<(String, String), ServerError> {
        let id = random_handle();
        let csrf = random_handle();
        let conn = self.conn()?;
        conn.execute("DELETE FROM interactions WHERE expires_at <= ?1", [now])?;
        conn.execute(
            "INSERT INTO interactions (id_hash, kind, browser_hash, csrf_hash, request, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                handle_hash(&id),
                kind,
                handle_hash(browser),
                handle_hash(&csrf),
                request,
                now.saturating_add(INTERACTION_LIFETIME)
            ],
        )?;
        Ok((id, csrf))
    }

    /// The live interaction `id` of `kind`, when `browser` and `csrf` match it.
    pub fn interaction(
        &self,
        id: &str,
        kind: &str,
        browser: &str,
        csrf: &str,
        now: i64,
    ) -> Result<Option<Interaction>, ServerError> {
        Ok(self
            .conn()?
            .query_row(
                "SELECT request, username, session_id, auth_time FROM interactions
                 WHERE id_hash = ?1 AND kind = ?2 AND browser_hash = ?3 AND csrf_hash = ?4
                   AND expires_at > ?5",
                params![
                    handle_hash(id),
                    kind,
                    handle_hash(browser),
                    handle_hash(csrf),
                    now
                ],
                |r| {
                    Ok(Interaction {
                        request: r.get(0)?,
                        username: r.get(1)?,
                        session_id: r.get(2)?,
                        auth_time: r.get(3)?,
                    })
                },
            )
            .optional()?)
    }

    /// Records the sign-in that happened during interaction `id`.
    pub fn interaction_signed_in(&self, id: &str, session: &Session) -> Result<(), ServerError> {
        self.conn()?.execute(
            "UPDATE interactions SET username = ?2, session_id = ?3, auth_time = ?4
             WHERE id_hash = ?1",
            params![
                handle_hash(id),
                session.username,
                session.id,
                session.auth_time
            ],
        )?;
        Ok(())
    }

    /// Ends interaction `id` (it cannot be posted again).
    pub fn delete_interaction(&self, id: &str) -> Result<bool, ServerError> {
        Ok(self.conn()?.execute(
            "DELETE FROM interactions WHERE id_hash = ?1",
            [handle_hash(id)],
        )? > 0)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
    use super::*;
    use crate::store::Storage;

    #[test]
    fn sessions_are_found_by_cookie_until_ended_or_expired() {
        let s = Store::open(&Storage::InMemory).unwrap();
        let (sess, cookie) = s.create_session("alice", 100, 50).unwrap();
        assert_ne!(sess.id, cookie);
        assert_eq!(
            s.session_by_cookie(&cookie, 120).unwrap(),
            Some(sess.clone())
        );
        assert_eq!(s.session_by_cookie(&sess.id, 120).unwrap(), None);
        assert_eq!(s.session_by_cookie(&cookie, 150).unwrap(), None);
        assert!(s.end_session(&sess.id, 130).unwrap());
        assert!(!s.end_session(&sess.id, 131).unwrap());
        assert_eq!(s.session(&sess.id, 132).unwrap(), None);
    }

    #[test]
    fn consent_accumulates_and_covers_subsets() {
        let s = Store::open(&Storage::InMemory).unwrap();
        assert!(!s.consent_covers("a", "c", "openid").unwrap());
        s.remember_consent("a", "c", "openid email").unwrap();
        assert!(s.consent_covers("a", "c", "email openid").unwrap());
        assert!(!s.consent_covers("a", "c", "openid profile").unwrap());
        s.remember_consent("a", "c", "profile").unwrap();
        assert!(s.consent_covers("a", "c", "openid profile email").unwrap());
        assert!(!s.consent_covers("a", "other", "openid").unwrap());
        s.forget_consents("a").unwrap();
        assert!(!s.consent_covers("a", "c", "openid").unwrap());
    }

    #[test]
    fn interactions_need_id_browser_and_csrf() {
        let s = Store::open(&Storage::InMemory).unwrap();
        let (id, csrf) = s.create_interaction("authorize", "b", "{}", 100).unwrap();
        assert!(
            s.interaction(&id, "authorize", "b", &csrf, 101)
                .unwrap()
                .is_some()
        );
        assert!(
            s.interaction(&id, "authorize", "x", &csrf, 101)
                .unwrap()
                .is_none()
        );
        assert!(
            s.interaction(&id, "authorize", "b", "x", 101)
                .unwrap()
                .is_none()
        );
        assert!(
            s.interaction(&id, "logout", "b", &csrf, 101)
                .unwrap()
                .is_none()
        );
        assert!(
            s.interaction(&id, "authorize", "b", &csrf, 100 + INTERACTION_LIFETIME)
                .unwrap()
                .is_none()
        );
        let (sess, _) = s.create_session("alice", 100, 50).unwrap();
        s.interaction_signed_in(&id, &sess).unwrap();
        let i = s
            .interaction(&id, "authorize", "b", &csrf, 101)
            .unwrap()
            .unwrap();
        assert_eq!(i.username.as_deref(), Some("alice"));
        assert_eq!(i.session_id.as_deref(), Some(sess.id.as_str()));
        assert!(s.delete_interaction(&id).unwrap());
        assert!(
            s.interaction(&id, "authorize", "b", &csrf, 101)
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn cookies_are_parsed() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; oidckit_session=xyz"),
        );
        h.append(header::COOKIE, HeaderValue::from_static("b=2"));
        assert_eq!(cookie_value(&h, SESSION_COOKIE).as_deref(), Some("xyz"));
        assert_eq!(cookie_value(&h, "b").as_deref(), Some("2"));
        assert_eq!(cookie_value(&h, "c"), None);
    }
}
