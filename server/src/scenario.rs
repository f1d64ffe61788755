//! Misbehaving on purpose: one scenario per relying-party negative test of `security.md` §4
//! (the OpenID Foundation RP certification tests and the extra FAPI checks). A client's
//! `scenario` (TOML, admin page, or `?scenario=` on the authorization request) makes the OP
//! issue that one defect; relying parties must refuse the result.
//!
//! OWNER: the scenarios helper. Contract used by the endpoints:
//! - [`Scenario::parse`] / [`Scenario::name`] / [`Scenario::ALL`];
//! - [`Scenario::before_sign`] and [`Scenario::after_sign`], called by `tokens::sign_jwt`;
//! - the non-JWT defects are queried by the endpoints with the predicates below
//!   (`discovery_issuer`, `authorization_response_iss`, `userinfo_sub`).

use oidckit::{Key, Object};

use crate::app::AppState;
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
}

/// What [`Scenario::before_sign`] decided beyond editing the header and claims.
#[derive(Debug, Default)]
pub struct SignPlan {
    /// Emit an unsecured JWT (`alg: none`, empty signature).
    pub unsigned: bool,
    /// Sign with this key instead of the active one (e.g. a key not in the JWKS).
    pub sign_with: Option<Key>,
}

/// A misbehaviour scenario.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Scenario {
    /// Behave correctly.
    #[default]
    None,
}

impl Scenario {
    /// Every scenario name (for the admin page and docs).
    pub const ALL: &'static [&'static str] = &["none"];

    /// Parses a scenario name.
    pub fn parse(name: &str) -> Result<Self, ServerError> {
        match name {
            "" | "none" => Ok(Self::None),
            other => Err(ServerError::Config(format!("unknown scenario {other:?}"))),
        }
    }

    /// The scenario's name.
    pub const fn name(&self) -> &'static str {
        match self {
            Self::None => "none",
        }
    }

    /// Applies the defect to a JWT's header and claims before signing.
    pub fn before_sign(
        &self,
        _state: &AppState,
        _kind: TokenKind,
        _header: &mut Object,
        _claims: &mut Object,
    ) -> Result<SignPlan, ServerError> {
        Ok(SignPlan::default())
    }

    /// Applies the defect to the compact token after signing (e.g. a flipped signature).
    pub fn after_sign(&self, _kind: TokenKind, token: String) -> String {
        token
    }
}
