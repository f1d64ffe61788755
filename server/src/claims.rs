//! Claims about the end-user: which claims a scope releases (OpenID Connect Core 1.0 §5.4), the
//! individual claims of the `claims` request parameter (§5.5), and ID Token minting (§2,
//! §3.1.3.6, §3.2.2.10, §3.3.2.11).

use oidckit::oidc::id_token::token_hash;
use oidckit::{Alg, Object};
use serde_json::Value;

use crate::app::AppState;
use crate::config::{ClientConfig, UserConfig};
use crate::error::ServerError;
use crate::grant::AuthorizationData;
use crate::scenario::TokenKind;

/// The `profile` scope's claims (OpenID Connect Core 1.0 §5.4).
pub const PROFILE_CLAIMS: &[&str] = &[
    "name",
    "family_name",
    "given_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "updated_at",
];
/// The `email` scope's claims (§5.4).
pub const EMAIL_CLAIMS: &[&str] = &["email", "email_verified"];
/// The `phone` scope's claims (§5.4).
pub const PHONE_CLAIMS: &[&str] = &["phone_number", "phone_number_verified"];
/// The `address` scope's claims (§5.4).
pub const ADDRESS_CLAIMS: &[&str] = &["address"];

/// Claims the OP sets itself and a user's stored claims never override (§2, §5.1).
const PROTOCOL_CLAIMS: &[&str] = &[
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "nbf",
    "jti",
    "auth_time",
    "nonce",
    "acr",
    "amr",
    "azp",
    "sid",
    "at_hash",
    "c_hash",
    "s_hash",
    "cnf",
    "events",
];

fn is_standard(name: &str) -> bool {
    PROFILE_CLAIMS.contains(&name)
        || EMAIL_CLAIMS.contains(&name)
        || PHONE_CLAIMS.contains(&name)
        || ADDRESS_CLAIMS.contains(&name)
        || PROTOCOL_CLAIMS.contains(&name)
}

/// The user claims `scope` releases (OpenID Connect Core 1.0 §5.4): `profile`, `email`,
/// `phone`, `address`. Custom claims (such as `domain`) go with `profile`.
pub fn scope_claims(user: &UserConfig, scope: &str) -> Object {
    let mut out = Object::new();
    for s in scope.split(' ') {
        let names: &[&str] = match s {
            "profile" => PROFILE_CLAIMS,
            "email" => EMAIL_CLAIMS,
            "phone" => PHONE_CLAIMS,
            "address" => ADDRESS_CLAIMS,
            _ => continue,
        };
        for name in names {
            if let Some(v) = user.claims.get(*name) {
                out.insert((*name).to_owned(), v.clone());
            }
        }
        if s == "profile" {
            for (name, v) in &user.claims {
                if !is_standard(name) {
                    out.insert(name.clone(), v.clone());
                }
            }
        }
    }
    out
}

/// The claims requested individually in one member (`userinfo` or `id_token`) of a §5.5
/// `claims` request, that the user has. Protocol claims (`sub`, `auth_time`, ...) are not
/// taken from the user's stored claims.
pub fn individual_claims(user: &UserConfig, member: Option<&Value>) -> Object {
    let mut out = Object::new();
    let Some(Value::Object(requested)) = member else {
        return out;
    };
    for name in requested.keys() {
        if PROTOCOL_CLAIMS.contains(&name.as_str()) {
            continue;
        }
        if let Some(v) = user.claims.get(name) {
            out.insert(name.clone(), v.clone());
        }
    }
    out
}

/// The UserInfo claims (OpenID Connect Core 1.0 §5.3.2): `sub` (the username), the claims the
/// `scope` releases (§5.4), and those of the `userinfo` member of the `claims` request (§5.5).
pub fn userinfo_claims(user: &UserConfig, scope: &str, claims_request: Option<&Object>) -> Object {
    let mut out = Object::new();
    out.insert("sub".into(), Value::from(user.username.as_str()));
    out.extend(scope_claims(user, scope));
    out.extend(individual_claims(
        user,
        claims_request.and_then(|c| c.get("userinfo")),
    ));
    out
}

/// The algorithm a client's ID Tokens are signed with: its `id_token_signed_response_alg`
/// (OpenID Connect Dynamic Client Registration 1.0 §2) when the OP has a key for it, else the
/// server's.
pub fn id_token_alg(state: &AppState, client: &ClientConfig) -> Alg {
    client
        .id_token_signed_response_alg
        .as_deref()
        .and_then(|a| a.parse::<Alg>().ok())
        .filter(|a| state.keys.read().is_ok_and(|k| k.active(*a).is_some()))
        .unwrap_or(state.signing_alg)
}

/// Mints an ID Token (OpenID Connect Core 1.0 §2): `iss`, `sub`, `aud` = the client, `exp`
/// (now + the access token lifetime), `iat`, `auth_time` (always), `nonce` (when requested),
/// `sid` (Back-Channel Logout 1.0 §2.1), `azp`, `at_hash` (§3.2.2.10, §3.3.2.11) and `c_hash`
/// (§3.3.2.11) when an access token / code is returned alongside. The scope's claims go in only
/// when no access token is issued (§5.4), plus the `id_token` member of the `claims` request
/// (§5.5). Signed through [`crate::tokens::sign_jwt`] with the scenario in force.
#[allow(clippy::too_many_arguments)]
pub fn mint_id_token(
    state: &AppState,
    client: &ClientConfig,
    user: &UserConfig,
    data: &AuthorizationData,
    access_token: Option<&str>,
    code: Option<&str>,
    kind: TokenKind,
    now: i64,
) -> Result<String, ServerError> {
    let alg = id_token_alg(state, client);
    let mut claims = Object::new();
    if access_token.is_none() {
        claims.extend(scope_claims(user, &data.scope));
    }
    claims.extend(individual_claims(
        user,
        data.claims.as_ref().and_then(|c| c.get("id_token")),
    ));
    let lifetime = i64::try_from(state.config.lifetimes.access_token).unwrap_or(3600);
    claims.insert("iss".into(), Value::from(state.issuer.as_str()));
    claims.insert("sub".into(), Value::from(user.username.as_str()));
    claims.insert("aud".into(), Value::from(client.client_id.as_str()));
    claims.insert("exp".into(), Value::from(now.saturating_add(lifetime)));
    claims.insert("iat".into(), Value::from(now));
    claims.insert("auth_time".into(), Value::from(data.auth_time));
    if let Some(nonce) = &data.nonce {
        claims.insert("nonce".into(), Value::from(nonce.as_str()));
    }
    if let Some(sid) = &data.session_id {
        claims.insert("sid".into(), Value::from(sid.as_str()));
    }
    claims.insert("azp".into(), Value::from(client.client_id.as_str()));
    if let Some(at) = access_token {
        claims.insert("at_hash".into(), Value::from(token_hash(alg, at)));
    }
    if let Some(c) = code {
        claims.insert("c_hash".into(), Value::from(token_hash(alg, c)));
    }
    let scenario = state.scenario_for(client, data.scenario.as_deref());
    crate::tokens::sign_jwt(state, kind, alg, claims, &scenario)
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )]
    use super::*;
    use crate::config::Config;
    use crate::store::{Storage, Store};
    use oidckit::JwkSet;
    use oidckit::jwt::{Validation, verify};
    use rand_core::UnwrapErr;
    use serde_json::json;

    fn state() -> AppState {
        let mut config = Config::embedded_default().unwrap();
        config.server.id_token_signing_alg = "ES256".into();
        let store = Store::open(&Storage::InMemory).unwrap();
        let mut rng = UnwrapErr(getrandom::SysRng);
        AppState::new(config, "http://op.test".into(), store, 1000, &mut rng).unwrap()
    }

    fn alice(st: &AppState) -> UserConfig {
        st.config
            .users
            .iter()
            .find(|u| u.username == "alice")
            .unwrap()
            .clone()
    }

    fn obj(v: Value) -> Object {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn scopes_release_their_claims_and_custom_claims_go_with_profile() {
        let st = state();
        let u = alice(&st);
        let c = userinfo_claims(&u, "openid", None);
        assert_eq!(Value::Object(c), json!({"sub": "alice"}));
        let c = userinfo_claims(&u, "openid email", None);
        assert_eq!(
            Value::Object(c),
            json!({"sub": "alice", "email": "alice@example.com", "email_verified": true})
        );
        let c = userinfo_claims(&u, "openid profile", None);
        assert_eq!(c["name"], "Alice Liddell");
        assert_eq!(c["domain"], "example.com");
        assert!(c.get("email").is_none());
        let c = userinfo_claims(&u, "openid phone address", None);
        assert_eq!(c["phone_number"], "+1 555 0100");
        assert_eq!(c["address"]["locality"], "Oxford");
        assert!(c.get("name").is_none());
    }

    #[test]
    fn the_claims_request_adds_individual_claims_per_member() {
        let st = state();
        let u = alice(&st);
        let req = obj(json!({
            "userinfo": {"email": {"essential": true}, "sub": {"value": "bob"}, "nope": null},
            "id_token": {"name": null}
        }));
        let c = userinfo_claims(&u, "openid", Some(&req));
        assert_eq!(
            Value::Object(c),
            json!({"sub": "alice", "email": "alice@example.com"})
        );
    }

    fn verify_id_token(st: &AppState, token: &str) -> Object {
        let jwks = JwkSet::from_object(&st.keys.read().unwrap().jwks().unwrap()).unwrap();
        let v = Validation {
            issuer: vec!["http://op.test".into()],
            audience: vec!["oidckit-demo-spa".into()],
            ..Validation::new(2000)
        };
        verify(token, &jwks, &v).unwrap().claims
    }

    #[test]
    fn id_tokens_carry_the_protocol_claims_and_hashes() {
        let st = state();
        let u = alice(&st);
        let client = st
            .config
            .clients
            .iter()
            .find(|c| c.client_id == "oidckit-demo-spa")
            .unwrap()
            .clone();
        let data = AuthorizationData {
            client_id: client.client_id.clone(),
            username: "alice".into(),
            scope: "openid email".into(),
            nonce: Some("n-1".into()),
            auth_time: 1900,
            session_id: Some("sid-1".into()),
            claims: Some(obj(json!({"id_token": {"domain": null}}))),
            ..Default::default()
        };
        let t = mint_id_token(
            &st,
            &client,
            &u,
            &data,
            None,
            None,
            TokenKind::IdToken,
            2000,
        )
        .unwrap();
        let c = verify_id_token(&st, &t);
        assert_eq!(c["iss"], "http://op.test");
        assert_eq!(c["sub"], "alice");
        assert_eq!(c["aud"], "oidckit-demo-spa");
        assert_eq!(c["azp"], "oidckit-demo-spa");
        assert_eq!(c["iat"], 2000);
        assert_eq!(c["exp"], 5600);
        assert_eq!(c["auth_time"], 1900);
        assert_eq!(c["nonce"], "n-1");
        assert_eq!(c["sid"], "sid-1");
        assert_eq!(c["email"], "alice@example.com");
        assert_eq!(c["domain"], "example.com");
        assert!(c.get("at_hash").is_none() && c.get("c_hash").is_none());

        // With an access token: no scope claims, at_hash and c_hash present.
        let t = mint_id_token(
            &st,
            &client,
            &u,
            &data,
            Some("the-at"),
            Some("the-code"),
            TokenKind::IdToken,
            2000,
        )
        .unwrap();
        let c = verify_id_token(&st, &t);
        assert!(c.get("email").is_none());
        assert_eq!(c["domain"], "example.com");
        assert_eq!(c["at_hash"], token_hash(Alg::Es256, "the-at").as_str());
        assert_eq!(c["c_hash"], token_hash(Alg::Es256, "the-code").as_str());
    }
}
