//! Misbehaving on purpose: one scenario per relying-party negative test of `security.md` §4
//! (the OpenID Foundation RP certification tests, the `-refresh-token-invalid-*` modules, the
//! back-channel logout RP tests and the extra FAPI checks). A scenario makes the OP issue that
//! one defect; relying parties must refuse the result (two scenarios are positive ones the RP
//! must survive: `key-rotated`, and `kid-absent-multi` where trying each key is allowed).
//!
//! Where a scenario comes from ([`resolve`]): the authorization request's `scenario` parameter
//! (carried with the grant) > the client's `scenario` (TOML, admin page, `POST /scenario`
//! with a `client_id`) > the global switch (the `scenario` setting, `POST /scenario` without
//! a `client_id`; the only source for `discovery-issuer-mismatch`, since discovery is not per
//! client).
//!
//! Contract used by the endpoints:
//! - [`Scenario::parse`] / [`Scenario::name`] / [`Scenario::ALL`] / [`Scenario::description`] /
//!   [`Scenario::expected_rp_error`];
//! - [`Scenario::before_sign`] and [`Scenario::after_sign`], called by `tokens::sign_jwt`;
//! - the non-JWT defects: [`Scenario::authorization_response_iss`] (RFC 9207 `iss`, asked by
//!   the authorization endpoint), [`Scenario::userinfo_sub`] (UserInfo), and
//!   [`discovery_issuer`] (the discovery document's `issuer`);
//! - [`extend_jwks`]: the extra public keys some scenarios publish (a decoy key for
//!   `kid-absent-multi`, the just-rotated keys of `key-rotated`, the other-algorithm key of
//!   `logout-wrong-alg`), merged into the JWKS by `routes/jwks.rs`.

use std::sync::Mutex;

use oidckit::jwk::{GenerateOptions, ThumbprintHash};
use oidckit::oidc::id_token::token_hash;
use oidckit::{Alg, Key, Object};
use rand_core::UnwrapErr;
use serde_json::Value;

use crate::app::AppState;
use crate::config::ClientConfig;
use crate::error::ServerError;

/// What a JWT is (selects `typ` and which scenarios touch it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// An ID Token (OpenID Connect Core 1.0 §2).
    IdToken,
    /// A refreshed ID Token (OpenID Connect Core 1.0 §12.2).
    RefreshedIdToken,
    /// A JWT access token (RFC 9068).
    AccessToken,
    /// A signed UserInfo response (OpenID Connect Core 1.0 §5.3.2).
    UserInfo,
    /// A Logout Token (OpenID Connect Back-Channel Logout 1.0 §2.4).
    LogoutToken,
}

impl TokenKind {
    /// The `typ` header for this kind, if any.
    pub const fn typ(self) -> Option<&'static str> {
        match self {
            Self::AccessToken => Some("at+jwt"),
            Self::LogoutToken => Some("logout+jwt"),
            Self::IdToken | Self::RefreshedIdToken | Self::UserInfo => None,
        }
    }

    /// An ID Token, first issued or refreshed (OpenID Connect Core 1.0 §2, §12.2): the ID Token
    /// defects apply to both, since a refreshed ID Token is validated like the first one
    /// (§12.2).
    const fn is_id_token(self) -> bool {
        matches!(self, Self::IdToken | Self::RefreshedIdToken)
    }
}

/// What [`Scenario::before_sign`] decided beyond editing the header and claims.
#[derive(Debug, Default)]
pub struct SignPlan {
    /// Emit an unsecured JWT (`alg: none`, empty signature).
    pub unsigned: bool,
    /// Sign with this key instead of the active one (e.g. a key not in the JWKS).
    pub sign_with: Option<Key>,
}

/// Declares the scenarios once: variant, kebab-case name, one-line description, and the core
/// error code (`oidckit::Error::code`) a relying party built on the core raises ("" when the
/// RP must, or may, accept).
macro_rules! scenarios {
    ($( $variant:ident => $name:literal, $description:literal, $error:literal; )+) => {
        /// A misbehaviour scenario (one per relying-party negative test of `security.md` §4).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub enum Scenario {
            /// Behave correctly.
            #[default]
            None,
            $( #[doc = $description] $variant, )+
        }

        impl Scenario {
            /// Every scenario name (for the admin page, the scenario switch and docs), `none`
            /// first.
            pub const ALL: &'static [&'static str] = &["none", $($name),+];

            /// Every scenario, [`Scenario::None`] first, in the order of [`Scenario::ALL`].
            pub const VARIANTS: &'static [Scenario] = &[Scenario::None, $(Scenario::$variant),+];

            /// Parses a scenario name (`""` and `"none"`: [`Scenario::None`]).
            pub fn parse(name: &str) -> Result<Self, ServerError> {
                match name {
                    "" | "none" => Ok(Self::None),
                    $( $name => Ok(Self::$variant), )+
                    other => Err(ServerError::Config(format!(
                        "unknown scenario {other:?} (known: {})",
                        Self::ALL.join(", ")
                    ))),
                }
            }

            /// The scenario's kebab-case name.
            pub const fn name(&self) -> &'static str {
                match self {
                    Self::None => "none",
                    $( Self::$variant => $name, )+
                }
            }

            /// A one-line human description of the defect.
            pub const fn description(&self) -> &'static str {
                match self {
                    Self::None => "Behave correctly.",
                    $( Self::$variant => $description, )+
                }
            }

            /// The error code (`oidckit::Error::code`, `src/error.rs`) the core's relying-party
            /// engine raises when it meets the defect; `""` when the RP accepts (`none`, the
            /// positive scenario `key-rotated`, and `kid-absent-multi`, where trying each key
            /// is allowed and is what the core does).
            pub const fn expected_rp_error(&self) -> &'static str {
                match self {
                    Self::None => "",
                    $( Self::$variant => $error, )+
                }
            }
        }
    };
}

scenarios! {
    BadSignature => "bad-signature",
        "ID Token with an invalid signature (a flipped bit; rp-id_token-bad-sig-rs256).",
        "ERR_JWS_SIGNATURE_VERIFICATION_FAILED";
    AlgNone => "alg-none",
        "Unsigned ID Token, `alg: none` (rp-id_token-sig-none without registering none; FAPI invalid-null-alg).",
        "ERR_JOSE_ALG_NOT_ALLOWED";
    WrongIss => "wrong-iss",
        "ID Token whose `iss` is another issuer (rp-id_token-issuer-mismatch).",
        "ERR_JWT_CLAIM_VALIDATION_FAILED";
    WrongAud => "wrong-aud",
        "ID Token whose `aud` is another client (rp-id_token-aud, oidcc-client-test-invalid-aud).",
        "ERR_JWT_CLAIM_VALIDATION_FAILED";
    MissingAud => "missing-aud",
        "ID Token without `aud` (oidcc-client-test-missing-aud).",
        "ERR_JWT_CLAIM_VALIDATION_FAILED";
    MultiAudNoAzp => "multi-aud-no-azp",
        "ID Token with two audiences and no `azp` (FAPI invalid-secondary-aud).",
        "ERR_JWT_CLAIM_VALIDATION_FAILED";
    Expired => "expired",
        "ID Token whose `exp` passed ten minutes ago (FAPI invalid-expired-exp).",
        "ERR_JWT_EXPIRED";
    IatFarPast => "iat-far-past",
        "ID Token issued a week ago, `exp` still ahead (FAPI iat-is-week-in-past): an RP bounding the `iat` age refuses it.",
        "ERR_JWT_EXPIRED";
    MissingIat => "missing-iat",
        "ID Token without `iat` (rp-id_token-iat).",
        "ERR_JWT_CLAIM_VALIDATION_FAILED";
    MissingSub => "missing-sub",
        "ID Token without `sub` (rp-id_token-sub).",
        "ERR_JWT_CLAIM_VALIDATION_FAILED";
    WrongNonce => "wrong-nonce",
        "ID Token whose `nonce` is not the one sent (rp-nonce-invalid).",
        "ERR_JWT_CLAIM_VALIDATION_FAILED";
    BadAtHash => "bad-at-hash",
        "ID Token whose `at_hash` does not match the access token (rp-id_token-bad-at_hash).",
        "ERR_JWT_CLAIM_VALIDATION_FAILED";
    MissingAtHash => "missing-at-hash",
        "ID Token without `at_hash` next to an access token from the authorization endpoint (rp-id_token-missing-at_hash).",
        "ERR_JWT_CLAIM_VALIDATION_FAILED";
    BadCHash => "bad-c-hash",
        "ID Token whose `c_hash` does not match the code (rp-id_token-bad-c_hash).",
        "ERR_JWT_CLAIM_VALIDATION_FAILED";
    MissingCHash => "missing-c-hash",
        "ID Token without `c_hash` in the hybrid flow (rp-id_token-missing-c_hash).",
        "ERR_JWT_CLAIM_VALIDATION_FAILED";
    KidAbsentMulti => "kid-absent-multi",
        "ID Token without `kid` while the JWKS has several keys for its alg (rp-id_token-kid-absent-multiple-jwks): reject, or try each key and accept (the core tries each).",
        "";
    KeyRotated => "key-rotated",
        "POSITIVE: the OP rotates to a new key just before signing (rp-key-rotation-op-sign-key-native): the RP must refetch the JWKS on the unknown kid and accept.",
        "";
    UnknownKid => "unknown-kid",
        "ID Token signed with a key that is not in the JWKS, even after a refetch.",
        "ERR_JWKS_NO_MATCHING_KEY";
    UserinfoOtherSub => "userinfo-other-sub",
        "UserInfo response whose `sub` is not the ID Token's (rp-userinfo-bad-sub-claim).",
        "OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED";
    DiscoveryIssuerMismatch => "discovery-issuer-mismatch",
        "Discovery document whose `issuer` is not the issuer it is served for (rp-discovery-issuer-not-matching-config; global switch only).",
        "OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED";
    MissingIssParam => "missing-iss-param",
        "Authorization response without the RFC 9207 `iss` parameter although discovery announces it (FAPI remove-authorization-response-iss).",
        "OAUTH_MISSING_REQUIRED_PARAMETER";
    WrongIssParam => "wrong-iss-param",
        "Authorization response whose RFC 9207 `iss` parameter is another issuer (FAPI invalid-authorization-response-iss).",
        "OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED";
    RefreshOtherSub => "refresh-other-sub",
        "Refreshed ID Token whose `sub` differs from the original's (oidcc-client-test-refresh-token-invalid-sub).",
        "OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED";
    RefreshOtherIss => "refresh-other-iss",
        "Refreshed ID Token whose `iss` is another issuer (oidcc-client-test-refresh-token-invalid-issuer).",
        "ERR_JWT_CLAIM_VALIDATION_FAILED";
    LogoutAlgNone => "logout-alg-none",
        "Unsigned Logout Token, `alg: none` (rp-backchannel-rpinitlogout-lt-alg-none).",
        "ERR_JOSE_ALG_NOT_ALLOWED";
    LogoutNoEvent => "logout-no-event",
        "Logout Token without the `events` claim (rp-backchannel-rpinitlogout-lt-no-event).",
        "ERR_JWT_CLAIM_VALIDATION_FAILED";
    LogoutWithNonce => "logout-with-nonce",
        "Logout Token carrying a `nonce` (rp-backchannel-rpinitlogout-lt-with-nonce).",
        "ERR_JWT_CLAIM_VALIDATION_FAILED";
    LogoutWrongAlg => "logout-wrong-alg",
        "Logout Token signed with another algorithm than the client's (a published key; rp-backchannel-rpinitlogout-lt-wrong-alg).",
        "ERR_JOSE_ALG_NOT_ALLOWED";
    LogoutWrongAud => "logout-wrong-aud",
        "Logout Token whose `aud` is another client (rp-backchannel-rpinitlogout-lt-wrong-aud).",
        "ERR_JWT_CLAIM_VALIDATION_FAILED";
    LogoutWrongIss => "logout-wrong-iss",
        "Logout Token whose `iss` is another issuer (rp-backchannel-rpinitlogout-lt-wrong-issuer).",
        "ERR_JWT_CLAIM_VALIDATION_FAILED";
    LogoutWrongEvent => "logout-wrong-event",
        "Logout Token whose `events` names another event than back-channel logout (rp-backchannel-rpinitlogout-lt-wrong-event).",
        "ERR_JWT_CLAIM_VALIDATION_FAILED";
}

/// The name of the global scenario switch in the settings table (`Store::setting`).
pub const GLOBAL_SETTING: &str = "scenario";
/// The settings entry holding the extra public keys published by scenarios (a JSON object
/// `{"static": [jwk, ...], "rotated": [jwk, ...]}`).
const JWKS_SETTING: &str = "scenario.jwks";
/// How many just-rotated keys of `key-rotated` stay published (tokens in flight keep
/// verifying; older ones are dropped).
const ROTATED_KEPT: usize = 3;
/// The `events` member `logout-wrong-event` uses instead of the back-channel logout event.
const OTHER_EVENT: &str = "http://schemas.openid.net/event/frontchannel-logout";

/// Serializes the read-modify-write of the scenario keys (never held across an `.await`).
static KEYS_LOCK: Mutex<()> = Mutex::new(());

/// Another issuer than `issuer`, for the issuer-mismatch defects: the same origin with an
/// extra path segment, so it looks plausible but never compares equal (RFC 9207 §2.4, OpenID
/// Connect Core 1.0 §3.1.3.7 step 2).
pub fn other_issuer(issuer: &str) -> String {
    format!("{}/other-issuer", issuer.trim_end_matches('/'))
}

/// Another subject than `sub` (idempotent: applying it twice keeps one suffix).
fn other_sub(sub: &str) -> String {
    if sub.ends_with("-other") {
        sub.to_owned()
    } else {
        format!("{sub}-other")
    }
}

/// The scenario in force (the contract's precedence): the authorization request's `scenario`
/// parameter (`request_override`, carried in `AuthorizationData.scenario`) > the client's
/// configured `scenario` > the global switch (the [`GLOBAL_SETTING`] setting). An unknown name
/// at one level falls through to the next; a store failure reads as no global scenario.
pub fn resolve(
    state: &AppState,
    client: &ClientConfig,
    request_override: Option<&str>,
) -> Scenario {
    [request_override, client.scenario.as_deref()]
        .into_iter()
        .flatten()
        .find_map(|s| Scenario::parse(s).ok())
        .unwrap_or_else(|| global(state))
}

/// The global scenario switch (the [`GLOBAL_SETTING`] setting); [`Scenario::None`] when unset,
/// unknown or unreadable.
pub fn global(state: &AppState) -> Scenario {
    match state.store.setting(GLOBAL_SETTING) {
        Ok(Some(name)) => Scenario::parse(&name).unwrap_or_default(),
        Ok(None) => Scenario::None,
        Err(e) => {
            tracing::warn!(error = %e, "reading the global scenario failed");
            Scenario::None
        }
    }
}

/// Sets the global scenario switch (and prepares what it needs: the decoy key of
/// `kid-absent-multi` must be in the JWKS before relying parties fetch it).
pub fn set_global(state: &AppState, scenario: Scenario) -> Result<(), ServerError> {
    prepare(state, scenario)?;
    state.store.set_setting(GLOBAL_SETTING, scenario.name())
}

/// Publishes ahead of time what a scenario's tokens will need in the JWKS, so that relying
/// parties that fetch the JWKS before the first token already see it (`kid-absent-multi`: the
/// decoy key of the server's algorithm). Called when a scenario is switched on.
pub fn prepare(state: &AppState, scenario: Scenario) -> Result<(), ServerError> {
    if scenario == Scenario::KidAbsentMulti {
        stored_key(state, "decoy", state.signing_alg, true)?;
    }
    Ok(())
}

/// The `issuer` the discovery document carries (OpenID Connect Discovery 1.0 §3, RFC 8414
/// §3.3): the real one, or another under the global `discovery-issuer-mismatch`.
pub fn discovery_issuer(state: &AppState) -> Option<String> {
    (global(state) == Scenario::DiscoveryIssuerMismatch).then(|| other_issuer(&state.issuer))
}

/// Appends the public keys published by scenarios to a JWK Set (RFC 7517 §5) built from the
/// key ring. Nothing when no scenario ever needed one (one settings read).
pub fn extend_jwks(state: &AppState, set: &mut Object) {
    let extra = match state.store.setting(JWKS_SETTING) {
        Ok(Some(json)) => serde_json::from_str::<Object>(&json).unwrap_or_default(),
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, "reading the scenario keys failed");
            return;
        }
    };
    if let Some(Value::Array(keys)) = set.get_mut("keys") {
        for group in ["rotated", "static"] {
            if let Some(Value::Array(more)) = extra.get(group) {
                keys.extend(more.iter().cloned());
            }
        }
    }
}

/// A fresh signing key for `alg` named by its RFC 7638 §3 thumbprint (`kid`, RFC 7517 §4.5),
/// marked `use: "sig"`.
fn generate_key(alg: Alg) -> Result<Key, ServerError> {
    let mut rng = UnwrapErr(getrandom::SysRng);
    let opts = GenerateOptions {
        extractable: true,
        ..GenerateOptions::default()
    };
    let mut key = Key::generate(alg, &mut rng, opts)
        .map_err(|e| ServerError::Keys(format!("generating a scenario {alg} key: {e}")))?;
    let kid = key
        .thumbprint(ThumbprintHash::Sha256)
        .map_err(|e| ServerError::Keys(format!("thumbprint: {e}")))?;
    key.meta.kid = Some(kid);
    key.meta.use_ = Some("sig".to_owned());
    Ok(key)
}

fn public_jwk(key: &Key) -> Result<Value, ServerError> {
    key.to_public_jwk()
        .map(Value::Object)
        .map_err(|e| ServerError::Keys(format!("public JWK of a scenario key: {e}")))
}

/// Adds `jwk` to the published scenario keys, in `group` (`static` or `rotated`; the rotated
/// group keeps the newest [`ROTATED_KEPT`]). The caller holds [`KEYS_LOCK`].
fn publish(state: &AppState, group: &str, jwk: Value) -> Result<(), ServerError> {
    let mut extra: Object = state
        .store
        .setting(JWKS_SETTING)?
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default();
    let list = extra
        .entry(group.to_owned())
        .or_insert_with(|| Value::Array(Vec::new()));
    if !list.is_array() {
        *list = Value::Array(Vec::new());
    }
    if let Value::Array(keys) = list {
        keys.push(jwk);
        if group == "rotated" && keys.len() > ROTATED_KEPT {
            let excess = keys.len() - ROTATED_KEPT;
            keys.drain(..excess);
        }
    }
    state
        .store
        .set_setting(JWKS_SETTING, &Value::Object(extra).to_string())
}

/// The persistent scenario key `purpose` for `alg` (generated and stored on first use;
/// published in the JWKS when `published`).
fn stored_key(
    state: &AppState,
    purpose: &str,
    alg: Alg,
    published: bool,
) -> Result<Key, ServerError> {
    let name = format!("scenario.key.{purpose}.{}", alg.as_str());
    let _guard = KEYS_LOCK
        .lock()
        .map_err(|_| ServerError::Keys("the scenario key lock is poisoned".into()))?;
    if let Some(json) = state.store.setting(&name)? {
        return Key::from_jwk_json(&json, Some(alg))
            .map_err(|e| ServerError::Keys(format!("stored scenario key {name}: {e}")));
    }
    let key = generate_key(alg)?;
    let private = key
        .to_jwk()
        .map_err(|e| ServerError::Keys(format!("exporting a scenario key: {e}")))?;
    if published {
        publish(state, "static", public_jwk(&key)?)?;
    }
    state
        .store
        .set_setting(&name, &Value::Object(private).to_string())?;
    Ok(key)
}

/// A new key for `alg`, published at once among the rotated scenario keys (`key-rotated`).
fn rotated_key(state: &AppState, alg: Alg) -> Result<Key, ServerError> {
    let key = generate_key(alg)?;
    let _guard = KEYS_LOCK
        .lock()
        .map_err(|_| ServerError::Keys("the scenario key lock is poisoned".into()))?;
    publish(state, "rotated", public_jwk(&key)?)?;
    Ok(key)
}

fn header_alg(header: &Object) -> Result<Alg, ServerError> {
    header
        .get("alg")
        .and_then(Value::as_str)
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| ServerError::Keys("a JWT header without a usable alg".into()))
}

/// Signs with `key` from now on: its `kid` and algorithm go to the header.
fn sign_with(header: &mut Object, key: Key, alg: Alg) -> SignPlan {
    header.insert("alg".into(), Value::from(alg.as_str()));
    match &key.meta.kid {
        Some(kid) => header.insert("kid".into(), Value::from(kid.as_str())),
        None => header.remove("kid"),
    };
    SignPlan {
        unsigned: false,
        sign_with: Some(key),
    }
}

/// The unsecured-JWT plan (RFC 7519 §6.1): `alg: none`, no `kid`, empty signature.
fn unsigned(header: &mut Object) -> SignPlan {
    header.insert("alg".into(), Value::from("none"));
    header.remove("kid");
    SignPlan {
        unsigned: true,
        sign_with: None,
    }
}

/// A hash of the right length for `alg` that matches nothing the client holds.
fn wrong_hash(alg: Alg, current: Option<&Value>) -> Value {
    let seed = current.and_then(Value::as_str).unwrap_or("absent");
    Value::from(token_hash(alg, &format!("oidckit-wrong-{seed}")))
}

impl Scenario {
    /// Whether an RP must accept what this scenario produces (`none`, `key-rotated`), or may
    /// (`kid-absent-multi`): [`Scenario::expected_rp_error`] is empty.
    pub const fn rp_accepts(&self) -> bool {
        self.expected_rp_error().is_empty()
    }

    /// Applies the defect to a JWT's header and claims before signing. Each defect touches only
    /// the token kinds it concerns: the ID Token defects both first and refreshed ID Tokens
    /// (OpenID Connect Core 1.0 §12.2 validates them alike), `refresh-*` refreshed ID Tokens
    /// only, `logout-*` Logout Tokens only, `userinfo-other-sub` signed UserInfo; access tokens
    /// never (the OP's own resource endpoints must keep working).
    pub fn before_sign(
        &self,
        state: &AppState,
        kind: TokenKind,
        header: &mut Object,
        claims: &mut Object,
    ) -> Result<SignPlan, ServerError> {
        let id = kind.is_id_token();
        let logout = kind == TokenKind::LogoutToken;
        let now = crate::app::now();
        match self {
            Self::AlgNone if id => return Ok(unsigned(header)),
            Self::LogoutAlgNone if logout => return Ok(unsigned(header)),
            Self::WrongIss if id => {
                claims.insert("iss".into(), Value::from(other_issuer(&state.issuer)));
            }
            Self::RefreshOtherIss if kind == TokenKind::RefreshedIdToken => {
                claims.insert("iss".into(), Value::from(other_issuer(&state.issuer)));
            }
            Self::LogoutWrongIss if logout => {
                claims.insert("iss".into(), Value::from(other_issuer(&state.issuer)));
            }
            Self::WrongAud if id => {
                claims.insert("aud".into(), Value::from("another-client"));
                claims.remove("azp");
            }
            Self::LogoutWrongAud if logout => {
                claims.insert("aud".into(), Value::from("another-client"));
            }
            Self::MissingAud if id => {
                claims.remove("aud");
            }
            Self::MultiAudNoAzp if id => {
                let aud = claims.get("aud").cloned().unwrap_or(Value::Null);
                let mut list = match aud {
                    Value::Array(a) => a,
                    Value::Null => Vec::new(),
                    one => vec![one],
                };
                list.push(Value::from("another-audience"));
                claims.insert("aud".into(), Value::Array(list));
                claims.remove("azp");
            }
            Self::Expired if id => {
                let exp = now - 600;
                claims.insert("exp".into(), Value::from(exp));
                claims.insert("iat".into(), Value::from(exp - 3600));
            }
            Self::IatFarPast if id => {
                claims.insert("iat".into(), Value::from(now - 7 * 86_400));
            }
            Self::MissingIat if id => {
                claims.remove("iat");
            }
            Self::MissingSub if id => {
                claims.remove("sub");
            }
            Self::RefreshOtherSub if kind == TokenKind::RefreshedIdToken => {
                let sub = claims.get("sub").and_then(Value::as_str).unwrap_or("");
                claims.insert("sub".into(), Value::from(other_sub(sub)));
            }
            Self::UserinfoOtherSub if kind == TokenKind::UserInfo => {
                let sub = claims.get("sub").and_then(Value::as_str).unwrap_or("");
                claims.insert("sub".into(), Value::from(other_sub(sub)));
            }
            Self::WrongNonce if id => {
                let nonce = format!("wrong-{}", crate::tokens::random_handle());
                claims.insert("nonce".into(), Value::from(nonce));
            }
            Self::BadAtHash if id => {
                let alg = header_alg(header)?;
                let wrong = wrong_hash(alg, claims.get("at_hash"));
                claims.insert("at_hash".into(), wrong);
            }
            Self::MissingAtHash if id => {
                claims.remove("at_hash");
            }
            Self::BadCHash if id => {
                let alg = header_alg(header)?;
                let wrong = wrong_hash(alg, claims.get("c_hash"));
                claims.insert("c_hash".into(), wrong);
            }
            Self::MissingCHash if id => {
                claims.remove("c_hash");
            }
            Self::KidAbsentMulti if id => {
                // A second key for the same algorithm in the JWKS, so that the `kid`-less
                // token matches several keys (rp-id_token-kid-absent-multiple-jwks).
                stored_key(state, "decoy", header_alg(header)?, true)?;
                header.remove("kid");
            }
            Self::KeyRotated if id => {
                let alg = header_alg(header)?;
                return Ok(sign_with(header, rotated_key(state, alg)?, alg));
            }
            Self::UnknownKid if id => {
                let alg = header_alg(header)?;
                return Ok(sign_with(
                    header,
                    stored_key(state, "unpublished", alg, false)?,
                    alg,
                ));
            }
            Self::LogoutNoEvent if logout => {
                claims.remove("events");
            }
            Self::LogoutWithNonce if logout => {
                let nonce = crate::tokens::random_handle();
                claims.insert("nonce".into(), Value::from(nonce));
            }
            Self::LogoutWrongEvent if logout => {
                let mut events = Object::new();
                events.insert(OTHER_EVENT.into(), Value::Object(Object::new()));
                claims.insert("events".into(), Value::Object(events));
            }
            Self::LogoutWrongAlg if logout => {
                // A published key of another algorithm than the one the client registered:
                // only the algorithm is wrong.
                let alg = match header_alg(header)? {
                    Alg::Es256 => Alg::EdDsa,
                    _ => Alg::Es256,
                };
                return Ok(sign_with(
                    header,
                    stored_key(state, "other-alg", alg, true)?,
                    alg,
                ));
            }
            _ => {}
        }
        Ok(SignPlan::default())
    }

    /// Applies the defect to the compact token after signing: `bad-signature` flips one bit of
    /// an ID Token's signature (RFC 7515 §5.2 step 8 must then fail).
    pub fn after_sign(&self, kind: TokenKind, token: String) -> String {
        if *self == Self::BadSignature && kind.is_id_token() {
            return flip_signature_bit(&token).unwrap_or(token);
        }
        token
    }

    /// The RFC 9207 `iss` authorization response parameter for `issuer`: `None` means omit it
    /// (`missing-iss-param`), `wrong-iss-param` gives another issuer.
    pub fn authorization_response_iss(&self, issuer: &str) -> Option<String> {
        match self {
            Self::MissingIssParam => None,
            Self::WrongIssParam => Some(other_issuer(issuer)),
            _ => Some(issuer.to_owned()),
        }
    }

    /// The `sub` a UserInfo response carries for the user `sub` (OpenID Connect Core 1.0
    /// §5.3.2): another one under `userinfo-other-sub`.
    pub fn userinfo_sub(&self, sub: &str) -> String {
        if *self == Self::UserinfoOtherSub {
            other_sub(sub)
        } else {
            sub.to_owned()
        }
    }
}

/// `token` with the first bit of its signature flipped (the signature segment decoded,
/// changed, re-encoded: changing a base64url character could touch only padding bits).
fn flip_signature_bit(token: &str) -> Option<String> {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let (signing_input, signature) = token.rsplit_once('.')?;
    let mut bytes = URL_SAFE_NO_PAD.decode(signature).ok()?;
    let first = bytes.first_mut()?;
    *first ^= 0x01;
    Some(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(bytes)))
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
    use oidckit::oidc::logout_token::BACKCHANNEL_LOGOUT_EVENT;
    use serde_json::json;

    const ISS: &str = "http://op.test";

    fn state(alg: &str) -> AppState {
        let mut config = Config::embedded_default().unwrap();
        config.server.id_token_signing_alg = alg.into();
        let store = Store::open(&Storage::InMemory).unwrap();
        let mut rng = UnwrapErr(getrandom::SysRng);
        AppState::new(config, ISS.into(), store, 1000, &mut rng).unwrap()
    }

    fn obj(v: Value) -> Object {
        serde_json::from_value(v).unwrap()
    }

    fn header(kind: TokenKind) -> Object {
        let mut h = obj(json!({"alg": "ES256", "kid": "active-kid"}));
        if let Some(typ) = kind.typ() {
            h.insert("typ".into(), Value::from(typ));
        }
        h
    }

    fn claims(kind: TokenKind) -> Object {
        let now = crate::app::now();
        let mut c = obj(json!({
            "iss": ISS, "sub": "alice", "aud": "client-1", "azp": "client-1",
            "exp": now + 3600, "iat": now, "auth_time": now, "nonce": "n-0",
            "at_hash": token_hash(Alg::Es256, "at"), "c_hash": token_hash(Alg::Es256, "code"),
        }));
        if kind == TokenKind::LogoutToken {
            c = obj(json!({
                "iss": ISS, "sub": "alice", "aud": "client-1", "iat": now, "exp": now + 120,
                "jti": "j", "sid": "s",
                "events": {BACKCHANNEL_LOGOUT_EVENT: {}},
            }));
        }
        c
    }

    /// Runs `before_sign` for `kind`; returns the edited header, claims and plan.
    fn edit(st: &AppState, s: Scenario, kind: TokenKind) -> (Object, Object, SignPlan) {
        let mut h = header(kind);
        let mut c = claims(kind);
        let plan = s.before_sign(st, kind, &mut h, &mut c).unwrap();
        (h, c, plan)
    }

    const KINDS: [TokenKind; 5] = [
        TokenKind::IdToken,
        TokenKind::RefreshedIdToken,
        TokenKind::AccessToken,
        TokenKind::UserInfo,
        TokenKind::LogoutToken,
    ];

    #[test]
    fn names_parse_round_trip_and_are_documented() {
        assert_eq!(Scenario::ALL.len(), 32);
        assert_eq!(Scenario::VARIANTS.len(), Scenario::ALL.len());
        for (name, s) in Scenario::ALL.iter().zip(Scenario::VARIANTS) {
            assert_eq!(s.name(), *name);
            assert_eq!(Scenario::parse(name).unwrap(), *s);
            assert!(s.description().ends_with('.'), "{name}");
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-' || b.is_ascii_digit()),
                "{name} is not kebab-case"
            );
        }
        assert_eq!(Scenario::parse("").unwrap(), Scenario::None);
        let err = Scenario::parse("no-such").unwrap_err().to_string();
        assert!(
            err.contains("no-such") && err.contains("bad-signature"),
            "{err}"
        );
        // The contract's list, in full.
        for name in [
            "bad-signature",
            "alg-none",
            "wrong-iss",
            "wrong-aud",
            "missing-aud",
            "multi-aud-no-azp",
            "expired",
            "iat-far-past",
            "missing-iat",
            "missing-sub",
            "wrong-nonce",
            "bad-at-hash",
            "missing-at-hash",
            "bad-c-hash",
            "missing-c-hash",
            "kid-absent-multi",
            "key-rotated",
            "unknown-kid",
            "userinfo-other-sub",
            "discovery-issuer-mismatch",
            "missing-iss-param",
            "wrong-iss-param",
            "refresh-other-sub",
            "refresh-other-iss",
            "logout-alg-none",
            "logout-no-event",
            "logout-with-nonce",
            "logout-wrong-alg",
            "logout-wrong-aud",
            "logout-wrong-iss",
            "logout-wrong-event",
        ] {
            assert!(Scenario::parse(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn expected_errors_are_core_codes() {
        let codes = [
            "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
            "ERR_JOSE_ALG_NOT_ALLOWED",
            "ERR_JWT_CLAIM_VALIDATION_FAILED",
            "ERR_JWT_EXPIRED",
            "ERR_JWKS_NO_MATCHING_KEY",
            "OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED",
            "OAUTH_MISSING_REQUIRED_PARAMETER",
        ];
        for s in Scenario::VARIANTS {
            let e = s.expected_rp_error();
            assert!(e.is_empty() || codes.contains(&e), "{}: {e}", s.name());
        }
        let accepted: Vec<_> = Scenario::VARIANTS
            .iter()
            .filter(|s| s.rp_accepts())
            .map(|s| s.name())
            .collect();
        assert_eq!(accepted, ["none", "kid-absent-multi", "key-rotated"]);
        assert!(Scenario::KeyRotated.description().starts_with("POSITIVE"));
    }

    #[test]
    fn none_changes_nothing_for_any_kind() {
        let st = state("ES256");
        for kind in KINDS {
            let (h, c, plan) = edit(&st, Scenario::None, kind);
            assert_eq!(h, header(kind));
            assert_eq!(c.len(), claims(kind).len());
            assert!(!plan.unsigned && plan.sign_with.is_none());
            assert_eq!(Scenario::None.after_sign(kind, "a.b.c".into()), "a.b.c");
        }
    }

    /// Every scenario leaves the kinds it does not concern untouched (access tokens always).
    #[test]
    fn defects_touch_only_their_kinds() {
        let st = state("ES256");
        for s in Scenario::VARIANTS {
            for kind in KINDS {
                let concerned = match s {
                    Scenario::RefreshOtherSub | Scenario::RefreshOtherIss => {
                        kind == TokenKind::RefreshedIdToken
                    }
                    Scenario::UserinfoOtherSub => kind == TokenKind::UserInfo,
                    Scenario::None
                    | Scenario::DiscoveryIssuerMismatch
                    | Scenario::MissingIssParam
                    | Scenario::WrongIssParam => false,
                    Scenario::BadSignature => false, // after_sign only
                    other if other.name().starts_with("logout-") => kind == TokenKind::LogoutToken,
                    _ => kind.is_id_token(),
                };
                let (h, c, plan) = edit(&st, *s, kind);
                let changed = h != header(kind)
                    || c != claims_without_times(kind, &c)
                    || plan.unsigned
                    || plan.sign_with.is_some();
                assert_eq!(changed, concerned, "{} on {kind:?}", s.name());
            }
        }
    }

    /// `claims(kind)` with the time claims taken from `got` where the scenario did not change
    /// them (the fixture reads the clock).
    fn claims_without_times(kind: TokenKind, got: &Object) -> Object {
        let mut c = claims(kind);
        for t in ["exp", "iat", "auth_time"] {
            if let (Some(a), Some(b)) = (
                c.get(t).and_then(Value::as_i64),
                got.get(t).and_then(Value::as_i64),
            ) && (a - b).abs() <= 2
            {
                c.insert(t.into(), got[t].clone());
            }
        }
        c
    }

    #[test]
    fn claim_edits() {
        let st = state("ES256");
        let id = TokenKind::IdToken;
        let now = crate::app::now();
        let other = format!("{ISS}/other-issuer");

        let (_, c, _) = edit(&st, Scenario::WrongIss, id);
        assert_eq!(c["iss"], other);
        let (_, c, _) = edit(&st, Scenario::WrongAud, id);
        assert_eq!(c["aud"], "another-client");
        assert!(!c.contains_key("azp"));
        let (_, c, _) = edit(&st, Scenario::MissingAud, id);
        assert!(!c.contains_key("aud"));
        let (_, c, _) = edit(&st, Scenario::MultiAudNoAzp, id);
        assert_eq!(c["aud"], json!(["client-1", "another-audience"]));
        assert!(!c.contains_key("azp"));
        let (_, c, _) = edit(&st, Scenario::Expired, id);
        let exp = c["exp"].as_i64().unwrap();
        assert!(exp <= now - 599 && exp >= now - 610, "{exp}");
        assert!(c["iat"].as_i64().unwrap() < exp);
        let (_, c, _) = edit(&st, Scenario::IatFarPast, id);
        assert!(c["iat"].as_i64().unwrap() <= now - 7 * 86_400 + 5);
        assert!(c["exp"].as_i64().unwrap() > now);
        let (_, c, _) = edit(&st, Scenario::MissingIat, id);
        assert!(!c.contains_key("iat"));
        let (_, c, _) = edit(&st, Scenario::MissingSub, id);
        assert!(!c.contains_key("sub"));
        let (_, c, _) = edit(&st, Scenario::WrongNonce, id);
        assert_ne!(c["nonce"], "n-0");
        assert!(c["nonce"].as_str().unwrap().starts_with("wrong-"));
        let (_, c, _) = edit(&st, Scenario::BadAtHash, id);
        assert_ne!(c["at_hash"], token_hash(Alg::Es256, "at"));
        assert_eq!(c["at_hash"].as_str().unwrap().len(), 22);
        assert_eq!(c["c_hash"], token_hash(Alg::Es256, "code"));
        let (_, c, _) = edit(&st, Scenario::MissingAtHash, id);
        assert!(!c.contains_key("at_hash") && c.contains_key("c_hash"));
        let (_, c, _) = edit(&st, Scenario::BadCHash, id);
        assert_ne!(c["c_hash"], token_hash(Alg::Es256, "code"));
        assert_eq!(c["at_hash"], token_hash(Alg::Es256, "at"));
        let (_, c, _) = edit(&st, Scenario::MissingCHash, id);
        assert!(!c.contains_key("c_hash") && c.contains_key("at_hash"));

        let refreshed = TokenKind::RefreshedIdToken;
        let (_, c, _) = edit(&st, Scenario::RefreshOtherSub, refreshed);
        assert_eq!(c["sub"], "alice-other");
        let (_, c, _) = edit(&st, Scenario::RefreshOtherIss, refreshed);
        assert_eq!(c["iss"], other);
        let (_, c, _) = edit(&st, Scenario::UserinfoOtherSub, TokenKind::UserInfo);
        assert_eq!(c["sub"], "alice-other");
        // Idempotent: the UserInfo endpoint may already have applied userinfo_sub.
        assert_eq!(other_sub("alice-other"), "alice-other");
    }

    #[test]
    fn logout_token_edits() {
        let st = state("ES256");
        let lt = TokenKind::LogoutToken;
        let (_, c, _) = edit(&st, Scenario::LogoutNoEvent, lt);
        assert!(!c.contains_key("events"));
        let (_, c, _) = edit(&st, Scenario::LogoutWithNonce, lt);
        assert!(c["nonce"].is_string());
        let (_, c, _) = edit(&st, Scenario::LogoutWrongAud, lt);
        assert_eq!(c["aud"], "another-client");
        let (_, c, _) = edit(&st, Scenario::LogoutWrongIss, lt);
        assert_eq!(c["iss"], format!("{ISS}/other-issuer"));
        let (_, c, _) = edit(&st, Scenario::LogoutWrongEvent, lt);
        assert!(c["events"].get(BACKCHANNEL_LOGOUT_EVENT).is_none());
        assert!(c["events"].get(OTHER_EVENT).is_some());
        let (h, _, plan) = edit(&st, Scenario::LogoutAlgNone, lt);
        assert!(plan.unsigned);
        assert_eq!(h["alg"], "none");
        assert_eq!(h["typ"], "logout+jwt");
        assert!(!h.contains_key("kid"));
        // ES256 server: the other algorithm is EdDSA, and its key is published.
        let (h, _, plan) = edit(&st, Scenario::LogoutWrongAlg, lt);
        assert_eq!(h["alg"], "EdDSA");
        let key = plan.sign_with.unwrap();
        assert_eq!(h["kid"].as_str(), key.meta.kid.as_deref());
        assert!(published_kids(&st).contains(&h["kid"].as_str().unwrap().to_owned()));
    }

    fn published_kids(st: &AppState) -> Vec<String> {
        let mut set = st.keys.read().unwrap().jwks().unwrap();
        extend_jwks(st, &mut set);
        set["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn key_scenarios() {
        let st = state("ES256");
        let id = TokenKind::IdToken;
        let before = published_kids(&st);
        assert_eq!(before.len(), 1);

        let (h, _, plan) = edit(&st, Scenario::AlgNone, id);
        assert!(plan.unsigned);
        assert_eq!(h["alg"], "none");
        assert!(!h.contains_key("kid"));

        // kid-absent-multi: no kid, and a second ES256 key is published (once).
        let (h, _, plan) = edit(&st, Scenario::KidAbsentMulti, id);
        assert!(!h.contains_key("kid") && plan.sign_with.is_none() && !plan.unsigned);
        let after = published_kids(&st);
        assert_eq!(after.len(), 2);
        edit(&st, Scenario::KidAbsentMulti, id);
        assert_eq!(published_kids(&st), after);

        // unknown-kid: a stable key that is never published.
        let (h, _, plan) = edit(&st, Scenario::UnknownKid, id);
        let kid = h["kid"].as_str().unwrap().to_owned();
        assert_eq!(
            plan.sign_with.unwrap().meta.kid.as_deref(),
            Some(kid.as_str())
        );
        assert!(!published_kids(&st).contains(&kid));
        let (h2, _, _) = edit(&st, Scenario::UnknownKid, id);
        assert_eq!(h2["kid"], kid.as_str());

        // key-rotated: a new published key each time; the newest three stay.
        let mut rotated = Vec::new();
        for _ in 0..4 {
            let (h, _, plan) = edit(&st, Scenario::KeyRotated, id);
            let kid = h["kid"].as_str().unwrap().to_owned();
            assert_eq!(h["alg"], "ES256");
            assert_eq!(
                plan.sign_with.unwrap().meta.kid.as_deref(),
                Some(kid.as_str())
            );
            assert_ne!(kid, "active-kid");
            assert!(published_kids(&st).contains(&kid));
            rotated.push(kid);
        }
        let kids = published_kids(&st);
        assert!(!kids.contains(&rotated[0]));
        assert_eq!(kids.len(), 1 + 1 + ROTATED_KEPT);
    }

    #[test]
    fn bad_signature_flips_a_bit_of_id_tokens_only() {
        let token = "aGVhZGVy.cGF5bG9hZA.AAECAwQF";
        let bad = Scenario::BadSignature.after_sign(TokenKind::IdToken, token.into());
        assert_eq!(bad, "aGVhZGVy.cGF5bG9hZA.AQECAwQF");
        let bad = Scenario::BadSignature.after_sign(TokenKind::RefreshedIdToken, token.into());
        assert_ne!(bad, token);
        for kind in [
            TokenKind::AccessToken,
            TokenKind::UserInfo,
            TokenKind::LogoutToken,
        ] {
            assert_eq!(Scenario::BadSignature.after_sign(kind, token.into()), token);
        }
        // Not a JWS: left as is.
        assert_eq!(
            Scenario::BadSignature.after_sign(TokenKind::IdToken, "x.".into()),
            "x."
        );
    }

    #[test]
    fn non_jwt_hooks() {
        assert_eq!(
            Scenario::None.authorization_response_iss(ISS).as_deref(),
            Some(ISS)
        );
        assert_eq!(
            Scenario::MissingIssParam.authorization_response_iss(ISS),
            None
        );
        assert_eq!(
            Scenario::WrongIssParam
                .authorization_response_iss(ISS)
                .unwrap(),
            format!("{ISS}/other-issuer")
        );
        assert_eq!(
            Scenario::WrongIss
                .authorization_response_iss(ISS)
                .as_deref(),
            Some(ISS)
        );
        assert_eq!(Scenario::UserinfoOtherSub.userinfo_sub("bob"), "bob-other");
        assert_eq!(Scenario::WrongIss.userinfo_sub("bob"), "bob");
    }

    #[test]
    fn precedence_request_then_client_then_global() {
        let st = state("ES256");
        let mut client = st.config.clients[0].clone();
        client.scenario = None;
        assert_eq!(resolve(&st, &client, None), Scenario::None);
        assert_eq!(global(&st), Scenario::None);
        assert_eq!(discovery_issuer(&st), None);

        set_global(&st, Scenario::WrongAud).unwrap();
        assert_eq!(resolve(&st, &client, None), Scenario::WrongAud);
        client.scenario = Some("wrong-iss".into());
        assert_eq!(resolve(&st, &client, None), Scenario::WrongIss);
        assert_eq!(resolve(&st, &client, Some("expired")), Scenario::Expired);
        // An explicit "none" on the request wins too; unknown names fall through.
        assert_eq!(resolve(&st, &client, Some("none")), Scenario::None);
        assert_eq!(resolve(&st, &client, Some("bogus")), Scenario::WrongIss);
        client.scenario = Some("bogus".into());
        assert_eq!(resolve(&st, &client, None), Scenario::WrongAud);

        set_global(&st, Scenario::DiscoveryIssuerMismatch).unwrap();
        assert_eq!(
            discovery_issuer(&st).unwrap(),
            format!("{ISS}/other-issuer")
        );
        set_global(&st, Scenario::None).unwrap();
        assert_eq!(discovery_issuer(&st), None);

        // Switching kid-absent-multi on publishes the decoy at once.
        assert_eq!(published_kids(&st).len(), 1);
        set_global(&st, Scenario::KidAbsentMulti).unwrap();
        assert_eq!(published_kids(&st).len(), 2);
    }

    #[test]
    fn tokens_signed_through_sign_jwt_carry_the_defects() {
        use oidckit::JwkSet;
        let st = state("ES256");
        let claims = claims(TokenKind::IdToken);
        let token = crate::tokens::sign_jwt(
            &st,
            TokenKind::IdToken,
            Alg::Es256,
            claims.clone(),
            &Scenario::AlgNone,
        )
        .unwrap();
        assert!(token.ends_with('.'));
        let h = oidckit::jws::decode_protected_header(&token).unwrap();
        assert_eq!(h["alg"], "none");

        let token = crate::tokens::sign_jwt(
            &st,
            TokenKind::IdToken,
            Alg::Es256,
            claims,
            &Scenario::KeyRotated,
        )
        .unwrap();
        let mut set = st.keys.read().unwrap().jwks().unwrap();
        extend_jwks(&st, &mut set);
        let jwks = JwkSet::from_object(&set).unwrap();
        let v = oidckit::jwt::Validation {
            algorithms: vec![Alg::Es256],
            ..oidckit::jwt::Validation::new(crate::app::now())
        };
        oidckit::jwt::verify(&token, &jwks, &v).unwrap();
    }
}
