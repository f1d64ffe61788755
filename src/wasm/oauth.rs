//! The OAuth 2.0 / OpenID Connect engine across the boundary (`pkg/src/client.js`,
//! `pkg/src/oauth.js`): the sans-IO request builders and response processors of
//! [`crate::oauth`] and [`crate::oidc`], as a few JSON-in / JSON-out functions.
//!
//! Conventions (see `mod.rs`): an HTTP request leaves as JSON
//! `{ "method", "url", "headers": [[name, value], ...], "body": string | null }` for
//! `pkg/src/http.js` to send; a response comes back as `(status, headersJson, body)`, the
//! headers as `[[name, value], ...]`. Keys are [`WasmKey`] / [`WasmJwkSet`] handles, time is
//! `now` in seconds. Failures are thrown errors with the stable `code`, plus `error`,
//! `error_description`, `error_uri` and `status` for OAuth error bodies (RFC 6749 §5.2,
//! §4.1.2.1), which `fromWasm` turns into `ResponseBodyError` / `AuthorizationResponseError`.

use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::prelude::*;

use super::keys::{WasmJwkSet, WasmKey};
use super::{JsResult, parse_alg, rng, to_js, unix_time};
use crate::error::{Error, Result};
use crate::json::{self, Object};
use crate::jwa::Alg;
use crate::jws::KeySource;
use crate::oauth::authorize::{
    AuthorizationEndpoint, AuthorizationRequest, Transaction, start_authorization,
};
use crate::oauth::callback::{CallbackInput, parse_callback, validate_authorization_response_for};
use crate::oauth::client_auth::{
    ClientAssertion, ClientAuth, JwtBearerAssertion, create_client_assertion,
    create_jwt_bearer_assertion,
};
use crate::oauth::discovery::{
    DiscoveryAlgorithm, DiscoveryOptions, ServerMetadata, discovery_request,
    process_discovery_response,
};
use crate::oauth::http::{Endpoint, HttpRequest, HttpResponse};
use crate::oauth::{access_token, bearer, introspection, jar, par, pkce, registration, revocation};
use crate::oauth::{token, token::TokenResponse};
use crate::oidc::{end_session, id_token, logout_token, userinfo};

// ---- plumbing ---------------------------------------------------------------------------

/// [`to_js`] plus the OAuth error body members (RFC 6749 §5.2, §4.1.2.1).
fn to_js_oauth(err: Error) -> JsValue {
    let body = err.oauth_error().cloned();
    let js = to_js(err);
    if let Some(b) = body {
        let put = |name: &str, value: JsValue| {
            // Reflect.set on a fresh Error cannot fail; a failure would only lose detail.
            let _ = js_sys::Reflect::set(&js, &JsValue::from_str(name), &value);
        };
        put("error", JsValue::from_str(&b.error));
        if let Some(d) = &b.error_description {
            put("error_description", JsValue::from_str(d));
        }
        if let Some(u) = &b.error_uri {
            put("error_uri", JsValue::from_str(u));
        }
        if let Some(s) = b.status {
            put("status", JsValue::from(s));
        }
    }
    js
}

fn oj<T>(r: Result<T>) -> JsResult<T> {
    r.map_err(to_js_oauth)
}

fn bad(msg: impl Into<String>) -> Error {
    Error::InvalidArgValue(msg.into())
}

fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::Generic(format!("JSON serialization: {e}")))
}

/// Caller options: a strict JSON object (duplicate members refused) whose members are all in
/// `allowed`; `null` counts as absent. Read by hand rather than with serde derives, which cost
/// several KB of wasm each.
struct Opts(Object);

impl Opts {
    fn parse(json: &str, what: &str, allowed: &[&str]) -> Result<Self> {
        let o = object(json, what)?;
        if let Some(k) = o.keys().find(|k| !allowed.contains(&k.as_str())) {
            return Err(bad(format!("unknown {what} member {k:?}")));
        }
        Ok(Self(o))
    }

    fn take(&mut self, name: &str) -> Option<Value> {
        self.0.remove(name).filter(|v| !v.is_null())
    }

    fn str(&mut self, name: &str) -> Result<Option<String>> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(bad(format!("\"{name}\" must be a string"))),
        }
    }

    fn req(&mut self, name: &str) -> Result<String> {
        self.str(name)?
            .ok_or_else(|| bad(format!("\"{name}\" is required")))
    }

    fn u64(&mut self, name: &str) -> Result<Option<u64>> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_u64()
                .map(Some)
                .ok_or_else(|| bad(format!("\"{name}\" must be a non-negative integer"))),
            Some(_) => Err(bad(format!("\"{name}\" must be a number"))),
        }
    }

    fn flag(&mut self, name: &str) -> Result<bool> {
        match self.take(name) {
            None => Ok(false),
            Some(Value::Bool(b)) => Ok(b),
            Some(_) => Err(bad(format!("\"{name}\" must be a boolean"))),
        }
    }

    fn strs(&mut self, name: &str) -> Result<Vec<String>> {
        match self.take(name) {
            None => Ok(Vec::new()),
            Some(Value::Array(a)) => a
                .into_iter()
                .map(|v| match v {
                    Value::String(s) => Ok(s),
                    _ => Err(bad(format!("\"{name}\" must be an array of strings"))),
                })
                .collect(),
            Some(_) => Err(bad(format!("\"{name}\" must be an array of strings"))),
        }
    }

    fn object(&mut self, name: &str) -> Result<Option<Object>> {
        match self.take(name) {
            None => Ok(None),
            Some(Value::Object(o)) => Ok(Some(o)),
            Some(_) => Err(bad(format!("\"{name}\" must be an object"))),
        }
    }

    fn pairs(&mut self, name: &str) -> Result<Vec<(String, String)>> {
        match self.take(name) {
            None => Ok(Vec::new()),
            Some(v) => pairs_of(v, name),
        }
    }
}

/// `[[name, value], ...]` (strings) as pairs.
fn pairs_of(v: Value, what: &str) -> Result<Vec<(String, String)>> {
    let err = || {
        bad(format!(
            "{what} must be an array of [name, value] string pairs"
        ))
    };
    let Value::Array(items) = v else {
        return Err(err());
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::Array(pair) => match <[Value; 2]>::try_from(pair) {
                Ok([Value::String(n), Value::String(v)]) => Ok((n, v)),
                _ => Err(err()),
            },
            _ => Err(err()),
        })
        .collect()
}

/// Parses `[[name, value], ...]` JSON text.
fn parse_pairs(json: &str, what: &str) -> Result<Vec<(String, String)>> {
    let v = json::parse_value(json.as_bytes()).map_err(|e| bad(format!("invalid {what}: {e}")))?;
    pairs_of(v, what)
}

fn pairs_value(pairs: &[(String, String)]) -> Value {
    Value::Array(
        pairs
            .iter()
            .map(|(n, v)| Value::Array(vec![Value::String(n.clone()), Value::String(v.clone())]))
            .collect(),
    )
}

fn opt_value<T: Into<Value>>(v: Option<T>) -> Value {
    v.map_or(Value::Null, Into::into)
}

fn object(json: &str, what: &str) -> Result<Object> {
    json::parse_object_with(json.as_bytes(), what, Error::InvalidArgValue)
}

fn endpoint(url: &str, allow_insecure: bool) -> Endpoint<'_> {
    Endpoint {
        url,
        allow_insecure_loopback: allow_insecure,
    }
}

/// The HTTP response handed over by `http.js`.
fn response(status: u16, headers: &str, body: &[u8]) -> Result<HttpResponse> {
    let headers = parse_pairs(headers, "response headers")?;
    Ok(HttpResponse {
        status,
        headers,
        body: body.to_vec(),
    })
}

fn request_json(req: &HttpRequest) -> Result<String> {
    let mut o = Object::new();
    o.insert("method".into(), req.method.as_str().into());
    o.insert("url".into(), req.url.as_str().into());
    o.insert("headers".into(), pairs_value(&req.headers));
    o.insert("body".into(), opt_value(req.body.as_deref()));
    to_json(&o)
}

fn algs(names: Vec<String>) -> Result<Vec<Alg>> {
    names.iter().map(|n| parse_alg(n)).collect()
}

// ---- PKCE, state, nonce (RFC 7636, RFC 6749 §10.12, OIDC Core §15.5.2) -------------------

/// A fresh value from the platform CSPRNG: `kind` is `verifier` (RFC 7636 §4.1), `state`
/// (RFC 6749 §10.12) or `nonce` (OpenID Connect Core 1.0 §15.5.2).
#[wasm_bindgen(js_name = oauthRandom)]
pub fn oauth_random(kind: &str) -> JsResult<String> {
    let mut r = oj(rng())?;
    match kind {
        "verifier" => Ok(pkce::generate_code_verifier(&mut r)),
        "state" => Ok(pkce::generate_state(&mut r)),
        "nonce" => Ok(pkce::generate_nonce(&mut r)),
        other => oj(Err(bad(format!("unknown random value kind {other:?}")))),
    }
}

/// The S256 code challenge of a verifier (RFC 7636 §4.2).
#[wasm_bindgen(js_name = oauthCodeChallenge)]
pub fn oauth_code_challenge(verifier: &str) -> JsResult<String> {
    oj(pkce::code_challenge_s256(verifier))
}

// ---- discovery (OpenID Connect Discovery 1.0 §4, RFC 8414 §3) ------------------------------

fn discovery_options(oauth2: bool, allow_insecure: bool) -> DiscoveryOptions {
    DiscoveryOptions {
        algorithm: if oauth2 {
            DiscoveryAlgorithm::Oauth2
        } else {
            DiscoveryAlgorithm::Oidc
        },
        allow_insecure_loopback: allow_insecure,
    }
}

/// The discovery request for `issuer` (OpenID Connect Discovery 1.0 §4.1, RFC 8414 §3.1).
#[wasm_bindgen(js_name = oauthDiscoveryRequest)]
pub fn oauth_discovery_request(
    issuer: &str,
    oauth2: bool,
    allow_insecure: bool,
) -> JsResult<String> {
    let req = oj(discovery_request(
        issuer,
        &discovery_options(oauth2, allow_insecure),
    ))?;
    oj(request_json(&req))
}

/// Processes the discovery response (OpenID Connect Discovery 1.0 §4.3, RFC 8414 §3.3: the
/// `issuer` must equal `expected_issuer`); returns the metadata document as JSON.
#[wasm_bindgen(js_name = oauthDiscoveryResponse)]
pub fn oauth_discovery_response(
    expected_issuer: &str,
    oauth2: bool,
    allow_insecure: bool,
    status: u16,
    headers: &str,
    body: &[u8],
) -> JsResult<String> {
    let resp = oj(response(status, headers, body))?;
    let m = oj(process_discovery_response(
        expected_issuer,
        &resp,
        &discovery_options(oauth2, allow_insecure),
    ))?;
    oj(to_json(m.raw()))
}

fn metadata(json: &str, allow_insecure: bool) -> Result<ServerMetadata> {
    let raw = object(json, "the server metadata")?;
    let issuer = match raw.get("issuer") {
        Some(Value::String(s)) => s.clone(),
        _ => {
            return Err(bad(
                "the server metadata needs a string \"issuer\" (RFC 8414 §2)",
            ));
        }
    };
    ServerMetadata::from_object(raw, &issuer, &discovery_options(false, allow_insecure))
}

/// Validates caller-supplied server metadata (RFC 8414 §2) like a discovered document.
#[wasm_bindgen(js_name = oauthCheckMetadata)]
pub fn oauth_check_metadata(json: &str, allow_insecure: bool) -> JsResult<()> {
    oj(metadata(json, allow_insecure)).map(|_| ())
}

// ---- authorization requests (RFC 6749 §4.1.1, OIDC Core §3.1.2.1, RFC 9101, RFC 9126) -----

struct AuthorizeIn {
    client_id: String,
    redirect_uri: String,
    scope: Option<String>,
    response_type: Option<String>,
    response_mode: Option<String>,
    state: Option<String>,
    nonce: Option<String>,
    prompt: Option<String>,
    display: Option<String>,
    max_age: Option<u64>,
    ui_locales: Option<String>,
    id_token_hint: Option<String>,
    login_hint: Option<String>,
    acr_values: Option<String>,
    claims: Option<Object>,
    extra: Vec<(String, String)>,
}

impl AuthorizeIn {
    fn parse(json: &str) -> Result<Self> {
        let mut o = Opts::parse(
            json,
            "authorization parameters",
            &[
                "client_id",
                "redirect_uri",
                "scope",
                "response_type",
                "response_mode",
                "state",
                "nonce",
                "prompt",
                "display",
                "max_age",
                "ui_locales",
                "id_token_hint",
                "login_hint",
                "acr_values",
                "claims",
                "extra",
            ],
        )?;
        Ok(Self {
            client_id: o.req("client_id")?,
            redirect_uri: o.req("redirect_uri")?,
            scope: o.str("scope")?,
            response_type: o.str("response_type")?,
            response_mode: o.str("response_mode")?,
            state: o.str("state")?,
            nonce: o.str("nonce")?,
            prompt: o.str("prompt")?,
            display: o.str("display")?,
            max_age: o.u64("max_age")?,
            ui_locales: o.str("ui_locales")?,
            id_token_hint: o.str("id_token_hint")?,
            login_hint: o.str("login_hint")?,
            acr_values: o.str("acr_values")?,
            claims: o.object("claims")?,
            extra: o.pairs("extra")?,
        })
    }
}

/// The transaction as JSON (its field names, RFC 6749 §4.1.1 / RFC 7636 §4.1 values).
fn transaction_value(t: &Transaction) -> Value {
    let mut o = Object::new();
    o.insert("state".into(), t.state.as_str().into());
    o.insert("nonce".into(), opt_value(t.nonce.as_deref()));
    o.insert(
        "code_verifier".into(),
        opt_value(t.code_verifier.as_deref()),
    );
    o.insert(
        "expected_issuer".into(),
        opt_value(t.expected_issuer.as_deref()),
    );
    o.insert(
        "iss_parameter_supported".into(),
        t.iss_parameter_supported.into(),
    );
    o.insert("client_id".into(), t.client_id.as_str().into());
    o.insert("redirect_uri".into(), t.redirect_uri.as_str().into());
    o.insert("response_type".into(), t.response_type.as_str().into());
    o.insert(
        "response_mode".into(),
        opt_value(t.response_mode.as_deref()),
    );
    o.insert("max_age".into(), opt_value(t.max_age));
    Value::Object(o)
}

/// Starts an authorization at the metadata's `authorization_endpoint` (RFC 6749 §4.1.1,
/// OpenID Connect Core 1.0 §3.1.2.1, RFC 7636 §4.1–4.3): fresh `state`, `nonce` and PKCE
/// verifier unless given. Returns `{ url, pairs, transaction }`.
#[wasm_bindgen(js_name = oauthStartAuthorization)]
pub fn oauth_start_authorization(
    metadata_json: &str,
    params_json: &str,
    allow_insecure: bool,
) -> JsResult<String> {
    oj(start_authorization_inner(
        metadata_json,
        params_json,
        allow_insecure,
    ))
}

fn start_authorization_inner(
    metadata_json: &str,
    params_json: &str,
    allow_insecure: bool,
) -> Result<String> {
    let m = metadata(metadata_json, allow_insecure)?;
    let p = AuthorizeIn::parse(params_json)?;
    let mut req = AuthorizationRequest::new(p.client_id, p.redirect_uri);
    if let Some(s) = p.scope {
        req.scope = s;
    }
    if let Some(t) = p.response_type {
        req.response_type = t;
    }
    req.response_mode = p.response_mode;
    req.state = p.state;
    req.nonce = p.nonce;
    req.prompt = p.prompt;
    req.display = p.display;
    req.max_age = p.max_age;
    req.ui_locales = p.ui_locales;
    req.id_token_hint = p.id_token_hint;
    req.login_hint = p.login_hint;
    req.acr_values = p.acr_values;
    req.claims = p.claims;
    req.extra = p.extra;
    let template = req.clone();
    let (url, tx) = start_authorization(&mut rng()?, AuthorizationEndpoint::Metadata(&m), req)?;
    // The same parameters as the URL, for JAR / PAR.
    let mut sent = template;
    sent.state = Some(tx.state.clone());
    sent.nonce.clone_from(&tx.nonce);
    sent.code_challenge = match &tx.code_verifier {
        Some(v) => Some(pkce::code_challenge_s256(v)?),
        None => None,
    };
    let pairs = jar::authorization_request_pairs(&sent)?;
    let mut o = Object::new();
    o.insert("url".into(), url.into());
    o.insert("pairs".into(), pairs_value(&pairs));
    o.insert("transaction".into(), transaction_value(&tx));
    to_json(&o)
}

/// Signs a Request Object (RFC 9101 §4) over `pairs` (`[[name, value], ...]`).
#[wasm_bindgen(js_name = oauthRequestObject)]
pub fn oauth_request_object(
    pairs_json: &str,
    client_id: &str,
    audience: &str,
    key: &WasmKey,
    alg: &str,
    lifetime: Option<u32>,
    now: f64,
) -> JsResult<String> {
    let run = || -> Result<String> {
        let pairs = parse_pairs(pairs_json, "authorization parameters")?;
        jar::create_request_object(
            &pairs,
            &jar::RequestObjectOptions {
                client_id,
                audience,
                key: &key.key,
                alg: parse_alg(alg)?,
                lifetime: lifetime.map(u64::from),
            },
            unix_time(now)?,
            &mut rng()?,
        )
    };
    oj(run())
}

/// The authorization URL with a `request` (RFC 9101 §5.1) or `request_uri` (RFC 9101 §5.2,
/// RFC 9126 §4) parameter.
#[wasm_bindgen(js_name = oauthAuthorizationUrlWith)]
pub fn oauth_authorization_url_with(
    endpoint_url: &str,
    client_id: &str,
    name: &str,
    value: &str,
    allow_insecure: bool,
) -> JsResult<String> {
    let ep = endpoint(endpoint_url, allow_insecure);
    oj(match name {
        "request" => jar::authorization_url_with_request(ep, client_id, value),
        "request_uri" => jar::authorization_url_with_request_uri(ep, client_id, value),
        other => Err(bad(format!("unknown parameter {other:?}"))),
    })
}

// ---- callback (RFC 6749 §4.1.2, RFC 9207, Form Post Response Mode) ----------------------

/// Parses and validates an authorization response (`mode`: `query`, `fragment` or
/// `form_post`): RFC 9207 `iss`, `state`, the OAuth error parameters (RFC 6749 §4.1.2.1).
/// `expects_id_token`: the `response_type` contains `id_token`, whose ID Token (validated by
/// the caller) may then stand in for a missing `iss`.
#[wasm_bindgen(js_name = oauthCallback)]
pub fn oauth_callback(
    input: &str,
    mode: &str,
    expected_state: &str,
    expected_issuer: &str,
    iss_parameter_supported: bool,
    expects_id_token: bool,
) -> JsResult<String> {
    let run = || -> Result<String> {
        let input = match mode {
            "query" => CallbackInput::Query(input),
            "fragment" => CallbackInput::Fragment(input),
            "form_post" => CallbackInput::FormPost(input),
            other => return Err(bad(format!("unknown response mode {other:?}"))),
        };
        let params = parse_callback(input)?;
        let r = validate_authorization_response_for(
            &params,
            expected_state,
            expected_issuer,
            iss_parameter_supported,
            expects_id_token,
        )?;
        let mut o = Object::new();
        o.insert("code".into(), opt_value(r.code));
        o.insert("id_token".into(), opt_value(r.id_token));
        o.insert("access_token".into(), opt_value(r.access_token));
        o.insert("token_type".into(), opt_value(r.token_type));
        o.insert("expires_in".into(), opt_value(r.expires_in));
        o.insert("scope".into(), opt_value(r.scope));
        o.insert("state".into(), r.state.into());
        o.insert("iss".into(), opt_value(r.iss));
        o.insert("session_state".into(), opt_value(r.session_state));
        o.insert("extra".into(), pairs_value(&r.extra));
        to_json(&o)
    };
    oj(run())
}

// ---- client authentication (RFC 6749 §2.3, OIDC Core §9, RFC 7523 §2.2) -------------------

struct AuthIn {
    method: String,
    client_id: String,
    client_secret: Option<String>,
    alg: Option<String>,
    kid: Option<String>,
    x5t: Option<String>,
}

impl AuthIn {
    fn parse(json: &str) -> Result<Self> {
        let mut o = Opts::parse(
            json,
            "client authentication",
            &["method", "clientId", "clientSecret", "alg", "kid", "x5t"],
        )?;
        Ok(Self {
            method: o.req("method")?,
            client_id: o.req("clientId")?,
            client_secret: o.str("clientSecret")?,
            alg: o.str("alg")?,
            kid: o.str("kid")?,
            x5t: o.str("x5t")?,
        })
    }
}

/// A client's token-endpoint authentication (OpenID Connect Core 1.0 §9), built once per
/// client from `{ method, clientId, clientSecret?, alg?, kid?, x5t? }` (and the private key for
/// `private_key_jwt`) and reused by every request builder.
#[wasm_bindgen]
pub struct WasmClientAuth {
    auth: ClientAuth,
}

#[wasm_bindgen]
impl WasmClientAuth {
    /// A method without a key: `none`, `client_secret_basic`, `client_secret_post`,
    /// `client_secret_jwt` (RFC 6749 §2.3.1, OpenID Connect Core 1.0 §9).
    #[wasm_bindgen(constructor)]
    pub fn new(json: &str) -> JsResult<WasmClientAuth> {
        Ok(WasmClientAuth {
            auth: oj(client_auth(json, None))?,
        })
    }

    /// `private_key_jwt` with `key` (RFC 7523 §2.2, OpenID Connect Core 1.0 §9).
    #[wasm_bindgen(js_name = withKey)]
    pub fn with_key(json: &str, key: &WasmKey) -> JsResult<WasmClientAuth> {
        Ok(WasmClientAuth {
            auth: oj(client_auth(json, Some(key)))?,
        })
    }
}

fn client_auth(json: &str, key: Option<&WasmKey>) -> Result<ClientAuth> {
    let a = AuthIn::parse(json)?;
    let secret = |a: &AuthIn| {
        a.client_secret.clone().ok_or_else(|| {
            bad(format!(
                "{} needs the client secret (RFC 6749 §2.3.1)",
                a.method
            ))
        })
    };
    Ok(match a.method.as_str() {
        "none" => ClientAuth::None {
            client_id: a.client_id,
        },
        "client_secret_basic" => ClientAuth::ClientSecretBasic {
            secret: secret(&a)?,
            client_id: a.client_id,
        },
        "client_secret_post" => ClientAuth::ClientSecretPost {
            secret: secret(&a)?,
            client_id: a.client_id,
        },
        "client_secret_jwt" => ClientAuth::ClientSecretJwt {
            secret: secret(&a)?,
            alg: a.alg.as_deref().map_or(Ok(Alg::Hs256), parse_alg)?,
            client_id: a.client_id,
        },
        "private_key_jwt" => {
            let key = key
                .ok_or_else(|| bad("private_key_jwt needs a private key (OIDC Core §9)"))?
                .key
                .clone();
            let alg = match (a.alg.as_deref(), key.meta.alg) {
                (Some(name), _) => parse_alg(name)?,
                (None, Some(alg)) => alg,
                (None, None) => {
                    return Err(bad(
                        "private_key_jwt needs the signing algorithm (tokenEndpointAuthSigningAlg)",
                    ));
                }
            };
            ClientAuth::PrivateKeyJwt {
                client_id: a.client_id,
                key,
                alg,
                kid: a.kid,
                x5t: a.x5t,
            }
        }
        other => {
            return Err(Error::NotSupported(format!(
                "unsupported token_endpoint_auth_method {other:?} (OIDC Core §9)"
            )));
        }
    })
}

// ---- token endpoint (RFC 6749 §3.2, §4.1.3, §4.3, §4.4, §6; RFC 7523 §2.1; RFC 8693) --------

/// Builds a token request for `grant_type` with `params` (`[[name, value], ...]`), the
/// dedicated builder (and its checks) when the parameters are the grant's own, else the
/// generic one (RFC 6749 §4.5) after the grant's checks.
#[wasm_bindgen(js_name = oauthTokenRequest)]
pub fn oauth_token_request(
    endpoint_url: &str,
    grant_type: &str,
    params_json: &str,
    client: &WasmClientAuth,
    allow_insecure: bool,
    now: f64,
) -> JsResult<String> {
    let run = || -> Result<String> {
        let params = parse_pairs(params_json, "token request parameters")?;
        let auth = &client.auth;
        let ep = endpoint(endpoint_url, allow_insecure);
        let now = unix_time(now)?;
        let mut r = rng()?;
        let get = |name: &str| {
            params
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let only = |names: &[&str]| params.iter().all(|(n, _)| names.contains(&n.as_str()));
        let required = |name: &str| {
            get(name).ok_or_else(|| {
                bad(format!(
                    "the {grant_type} grant needs the \"{name}\" parameter"
                ))
            })
        };
        let req = match grant_type {
            "authorization_code" if only(&["code", "redirect_uri", "code_verifier"]) => {
                token::authorization_code_request(
                    ep,
                    required("code")?,
                    required("redirect_uri")?,
                    required("code_verifier")?,
                    auth,
                    now,
                    &mut r,
                )?
            }
            "refresh_token" if only(&["refresh_token", "scope"]) => token::refresh_token_request(
                ep,
                required("refresh_token")?,
                get("scope"),
                auth,
                now,
                &mut r,
            )?,
            "client_credentials" if only(&["scope"]) => {
                token::client_credentials_request(ep, get("scope"), auth, now, &mut r)?
            }
            "password" if only(&["username", "password", "scope"]) => token::password_request(
                ep,
                required("username")?,
                required("password")?,
                get("scope"),
                auth,
                now,
                &mut r,
            )?,
            token::GRANT_TYPE_JWT_BEARER if only(&["assertion", "scope"]) => {
                token::jwt_bearer_request(
                    ep,
                    required("assertion")?,
                    get("scope"),
                    auth,
                    now,
                    &mut r,
                )?
            }
            _ => {
                // Extra parameters (e.g. `resource`, RFC 8707): the grant's own checks first.
                match grant_type {
                    "authorization_code" => pkce::check_code_verifier(required("code_verifier")?)?,
                    "client_credentials" if matches!(auth, ClientAuth::None { .. }) => {
                        return Err(bad(
                            "the client credentials grant needs client authentication (RFC 6749 §4.4)",
                        ));
                    }
                    _ => {}
                }
                let pairs: Vec<(&str, &str)> = params
                    .iter()
                    .map(|(n, v)| (n.as_str(), v.as_str()))
                    .collect();
                token::generic_grant_request(ep, grant_type, &pairs, auth, now, &mut r)?
            }
        };
        request_json(&req)
    };
    oj(run())
}

/// Builds an introspection (RFC 7662 §2.1, `kind` = `introspection`) or revocation (RFC 7009
/// §2.1, `kind` = `revocation`) request.
#[wasm_bindgen(js_name = oauthTokenFormRequest)]
#[allow(clippy::too_many_arguments)]
pub fn oauth_token_form_request(
    kind: &str,
    endpoint_url: &str,
    token_value: &str,
    token_type_hint: Option<String>,
    client: &WasmClientAuth,
    allow_insecure: bool,
    now: f64,
) -> JsResult<String> {
    let run = || -> Result<String> {
        let auth = &client.auth;
        let ep = endpoint(endpoint_url, allow_insecure);
        let hint = token_type_hint.as_deref();
        let (now, mut r) = (unix_time(now)?, rng()?);
        let req = match kind {
            "introspection" => {
                introspection::introspection_request(ep, token_value, hint, auth, now, &mut r)?
            }
            "revocation" => {
                revocation::revocation_request(ep, token_value, hint, auth, now, &mut r)?
            }
            other => return Err(bad(format!("unknown request kind {other:?}"))),
        };
        request_json(&req)
    };
    oj(run())
}

/// Builds a pushed authorization request (RFC 9126 §2.1) with `pairs` (`[[name, value], ...]`).
#[wasm_bindgen(js_name = oauthParRequest)]
pub fn oauth_par_request(
    endpoint_url: &str,
    pairs_json: &str,
    client: &WasmClientAuth,
    allow_insecure: bool,
    now: f64,
) -> JsResult<String> {
    let run = || -> Result<String> {
        let pairs = parse_pairs(pairs_json, "authorization parameters")?;
        let auth = &client.auth;
        let req = par::par_request(
            endpoint(endpoint_url, allow_insecure),
            &pairs,
            auth,
            unix_time(now)?,
            &mut rng()?,
        )?;
        request_json(&req)
    };
    oj(run())
}

/// Builds a dynamic client registration request (RFC 7591 §3.1).
#[wasm_bindgen(js_name = oauthRegistrationRequest)]
pub fn oauth_registration_request(
    endpoint_url: &str,
    metadata_json: &str,
    initial_access_token: Option<String>,
    allow_insecure: bool,
) -> JsResult<String> {
    let run = || -> Result<String> {
        let m = object(metadata_json, "the client metadata")?;
        let req = registration::registration_request(
            endpoint(endpoint_url, allow_insecure),
            &m,
            initial_access_token.as_deref(),
        )?;
        request_json(&req)
    };
    oj(run())
}

fn token_json(t: TokenResponse) -> Result<String> {
    let mut raw = t.raw;
    raw.insert("token_type".into(), Value::String(t.token_type));
    to_json(&raw)
}

/// Processes a response: `kind` is `token` (RFC 6749 §5.1; `token_type` lower-cased),
/// `introspection` (RFC 7662 §2.2), `revocation` (RFC 7009 §2.2; `null`), `par` (RFC 9126
/// §2.2) or `registration` (RFC 7591 §3.2.1). Returns the JSON body.
#[wasm_bindgen(js_name = oauthProcessResponse)]
pub fn oauth_process_response(
    kind: &str,
    status: u16,
    headers: &str,
    body: &[u8],
) -> JsResult<String> {
    let run = || -> Result<String> {
        let resp = response(status, headers, body)?;
        match kind {
            "token" => token_json(token::process_token_response(&resp)?),
            "introspection" => to_json(&introspection::process_introspection_response(&resp)?.raw),
            "revocation" => {
                revocation::process_revocation_response(&resp)?;
                Ok("null".into())
            }
            "par" => {
                let p = par::process_par_response(&resp)?;
                let mut o = Object::new();
                o.insert("request_uri".into(), Value::String(p.request_uri));
                o.insert("expires_in".into(), Value::from(p.expires_in));
                to_json(&o)
            }
            "registration" => to_json(&registration::process_registration_response(&resp)?.raw),
            other => Err(bad(format!("unknown response kind {other:?}"))),
        }
    };
    oj(run())
}

// ---- ID Tokens (OIDC Core §3.1.3.7, §3.2.2.11, §3.3.2.12, §12.2) -------------------------

struct IdTokenIn {
    issuer: String,
    client_id: String,
    algorithms: Vec<String>,
    nonce: Option<String>,
    max_age: Option<u64>,
    require_auth_time: bool,
    access_token: Option<String>,
    code: Option<String>,
    require_at_hash: bool,
    require_c_hash: bool,
    clock_tolerance: u64,
    max_token_age: Option<u64>,
    /// The claims of the ID Token this one must continue (OIDC Core §12.2, §3.3.3.6).
    original: Option<Object>,
    /// `refresh` (default) or `hybrid`.
    continuity: Option<String>,
}

impl IdTokenIn {
    fn parse(json: &str) -> Result<Self> {
        let mut o = Opts::parse(
            json,
            "ID Token validation options",
            &[
                "issuer",
                "clientId",
                "algorithms",
                "nonce",
                "maxAge",
                "requireAuthTime",
                "accessToken",
                "code",
                "requireAtHash",
                "requireCHash",
                "clockTolerance",
                "maxTokenAge",
                "original",
                "continuity",
            ],
        )?;
        Ok(Self {
            issuer: o.req("issuer")?,
            client_id: o.req("clientId")?,
            algorithms: o.strs("algorithms")?,
            nonce: o.str("nonce")?,
            max_age: o.u64("maxAge")?,
            require_auth_time: o.flag("requireAuthTime")?,
            access_token: o.str("accessToken")?,
            code: o.str("code")?,
            require_at_hash: o.flag("requireAtHash")?,
            require_c_hash: o.flag("requireCHash")?,
            clock_tolerance: o.u64("clockTolerance")?.unwrap_or(0),
            max_token_age: o.u64("maxTokenAge")?,
            original: o.object("original")?,
            continuity: o.str("continuity")?,
        })
    }
}

/// Validates an ID Token with a key or a JWK Set (exactly one given); returns
/// `[protectedHeader, claims]`. Options: `issuer`, `clientId`, `algorithms` (default RS256),
/// `nonce`, `maxAge`, `requireAuthTime`, `accessToken`, `code`, `requireAtHash`,
/// `requireCHash`, `clockTolerance`, `maxTokenAge` (oldest accepted `iat`, default one day),
/// and `original` (+ `continuity`: `refresh` | `hybrid`) for
/// OpenID Connect Core 1.0 §12.2 / §3.3.3.6.
#[wasm_bindgen(js_name = oauthValidateIdToken)]
pub fn oauth_validate_id_token(
    token_value: &str,
    key: &WasmKey,
    opts_json: &str,
    now: f64,
) -> JsResult<String> {
    oj(validate_id_token_with(
        token_value,
        &key.key,
        opts_json,
        now,
    ))
}

/// [`oauth_validate_id_token`] with a JWK Set (RFC 7517 §5).
#[wasm_bindgen(js_name = oauthValidateIdTokenSet)]
pub fn oauth_validate_id_token_set(
    token_value: &str,
    set: &WasmJwkSet,
    opts_json: &str,
    now: f64,
) -> JsResult<String> {
    oj(validate_id_token_with(
        token_value,
        &set.set,
        opts_json,
        now,
    ))
}

fn validate_id_token_with(
    token_value: &str,
    keys: &dyn KeySource,
    opts_json: &str,
    now: f64,
) -> Result<String> {
    let o = IdTokenIn::parse(opts_json)?;
    let v = id_token::IdTokenValidation {
        algorithms: algs(o.algorithms)?,
        nonce: o.nonce,
        max_age: o.max_age,
        require_auth_time: o.require_auth_time,
        access_token: o.access_token,
        code: o.code,
        require_at_hash: o.require_at_hash,
        require_c_hash: o.require_c_hash,
        clock_tolerance: o.clock_tolerance,
        max_token_age: o
            .max_token_age
            .unwrap_or(id_token::DEFAULT_ID_TOKEN_MAX_AGE),
        ..id_token::IdTokenValidation::new(o.issuer, o.client_id, unix_time(now)?)
    };
    let verified = id_token::validate_id_token(token_value, keys, &v)?;
    if let Some(original) = &o.original {
        let kind = match o.continuity.as_deref() {
            None | Some("refresh") => id_token::Continuity::Refresh,
            Some("hybrid") => id_token::Continuity::Hybrid,
            Some(other) => return Err(bad(format!("unknown continuity {other:?}"))),
        };
        id_token::check_id_token_continuity(original, &verified.claims, kind)?;
    }
    to_json(&(&verified.header.raw, &verified.claims))
}

// ---- UserInfo (OIDC Core §5.3) --------------------------------------------------------------

/// Builds a UserInfo request (OpenID Connect Core 1.0 §5.3.1).
#[wasm_bindgen(js_name = oauthUserinfoRequest)]
pub fn oauth_userinfo_request(
    endpoint_url: &str,
    access_token: &str,
    token_type: &str,
    allow_insecure: bool,
) -> JsResult<String> {
    let run = || -> Result<String> {
        let req = userinfo::userinfo_request(
            endpoint(endpoint_url, allow_insecure),
            access_token,
            token_type,
        )?;
        request_json(&req)
    };
    oj(run())
}

struct UserinfoIn {
    issuer: Option<String>,
    client_id: Option<String>,
    algorithms: Vec<String>,
    require_signed: bool,
}

impl UserinfoIn {
    fn parse(json: &str) -> Result<Self> {
        let mut o = Opts::parse(
            json,
            "UserInfo options",
            &["issuer", "clientId", "algorithms", "requireSigned"],
        )?;
        Ok(Self {
            issuer: o.str("issuer")?,
            client_id: o.str("clientId")?,
            algorithms: o.strs("algorithms")?,
            require_signed: o.flag("requireSigned")?,
        })
    }
}

/// Processes a UserInfo response (OpenID Connect Core 1.0 §5.3.2): plain JSON or a JWT
/// verified with the key or set given; `sub` must equal `expected_sub`. Returns the claims.
#[wasm_bindgen(js_name = oauthUserinfoResponse)]
pub fn oauth_userinfo_response(
    status: u16,
    headers: &str,
    body: &[u8],
    expected_sub: &str,
    opts_json: &str,
    now: f64,
) -> JsResult<String> {
    oj(userinfo_with(
        status,
        headers,
        body,
        expected_sub,
        opts_json,
        None,
        now,
    ))
}

/// [`oauth_userinfo_response`] with the key of a signed response.
#[wasm_bindgen(js_name = oauthUserinfoResponseKey)]
#[allow(clippy::too_many_arguments)]
pub fn oauth_userinfo_response_key(
    status: u16,
    headers: &str,
    body: &[u8],
    expected_sub: &str,
    opts_json: &str,
    key: &WasmKey,
    now: f64,
) -> JsResult<String> {
    oj(userinfo_with(
        status,
        headers,
        body,
        expected_sub,
        opts_json,
        Some(&key.key),
        now,
    ))
}

/// [`oauth_userinfo_response`] with the JWK Set of a signed response.
#[wasm_bindgen(js_name = oauthUserinfoResponseSet)]
#[allow(clippy::too_many_arguments)]
pub fn oauth_userinfo_response_set(
    status: u16,
    headers: &str,
    body: &[u8],
    expected_sub: &str,
    opts_json: &str,
    set: &WasmJwkSet,
    now: f64,
) -> JsResult<String> {
    oj(userinfo_with(
        status,
        headers,
        body,
        expected_sub,
        opts_json,
        Some(&set.set),
        now,
    ))
}

fn userinfo_with(
    status: u16,
    headers: &str,
    body: &[u8],
    expected_sub: &str,
    opts_json: &str,
    ks: Option<&dyn KeySource>,
    now: f64,
) -> Result<String> {
    let resp = response(status, headers, body)?;
    let o = UserinfoIn::parse(opts_json)?;
    let v = userinfo::UserinfoValidation {
        issuer: o.issuer,
        client_id: o.client_id,
        algorithms: algs(o.algorithms)?,
        require_signed: o.require_signed,
        now: unix_time(now)?,
    };
    to_json(&userinfo::process_userinfo_response(
        &resp,
        expected_sub,
        ks,
        &v,
    )?)
}

// ---- RP-initiated logout, back-channel logout -----------------------------------------------

/// The end-session URL (OpenID Connect RP-Initiated Logout 1.0 §2).
#[wasm_bindgen(js_name = oauthEndSessionUrl)]
pub fn oauth_end_session_url(
    endpoint_url: &str,
    allow_insecure: bool,
    params_json: &str,
) -> JsResult<String> {
    let run = || -> Result<String> {
        let mut p = Opts::parse(
            params_json,
            "end-session parameters",
            &[
                "id_token_hint",
                "logout_hint",
                "client_id",
                "post_logout_redirect_uri",
                "state",
                "ui_locales",
            ],
        )?;
        end_session::end_session_url(
            endpoint_url,
            allow_insecure,
            &end_session::EndSessionParams {
                id_token_hint: p.str("id_token_hint")?,
                logout_hint: p.str("logout_hint")?,
                client_id: p.str("client_id")?,
                post_logout_redirect_uri: p.str("post_logout_redirect_uri")?,
                state: p.str("state")?,
                ui_locales: p.str("ui_locales")?,
            },
        )
    };
    oj(run())
}

/// Validates a back-channel Logout Token (OpenID Connect Back-Channel Logout 1.0 §2.4, §2.6);
/// returns its claims.
#[wasm_bindgen(js_name = oauthValidateLogoutToken)]
pub fn oauth_validate_logout_token(
    token_value: &str,
    key: &WasmKey,
    opts_json: &str,
    now: f64,
) -> JsResult<String> {
    oj(logout_token_with(token_value, &key.key, opts_json, now))
}

/// [`oauth_validate_logout_token`] with a JWK Set (RFC 7517 §5).
#[wasm_bindgen(js_name = oauthValidateLogoutTokenSet)]
pub fn oauth_validate_logout_token_set(
    token_value: &str,
    set: &WasmJwkSet,
    opts_json: &str,
    now: f64,
) -> JsResult<String> {
    oj(logout_token_with(token_value, &set.set, opts_json, now))
}

fn logout_token_with(
    token_value: &str,
    keys: &dyn KeySource,
    opts_json: &str,
    now: f64,
) -> Result<String> {
    let mut o = Opts::parse(
        opts_json,
        "logout token options",
        &[
            "issuer",
            "clientId",
            "algorithms",
            "clockTolerance",
            "maxAgeOfIat",
        ],
    )?;
    let v = logout_token::LogoutTokenValidation {
        issuer: o.req("issuer")?,
        client_id: o.req("clientId")?,
        algorithms: algs(o.strs("algorithms")?)?,
        clock_tolerance: o.u64("clockTolerance")?.unwrap_or(0),
        now: unix_time(now)?,
        max_age_of_iat: o.u64("maxAgeOfIat")?,
    };
    let t = logout_token::validate_logout_token(token_value, keys, &v)?;
    to_json(&t.raw)
}

// ---- assertions (RFC 7523 §2.1, §2.2) -------------------------------------------------------

struct AssertionIn {
    /// `client`: a client assertion (iss = sub = clientId); `bearer`: a JWT bearer grant
    /// assertion (issuer, subject).
    kind: String,
    client_id: Option<String>,
    issuer: Option<String>,
    subject: Option<String>,
    audience: String,
    alg: Option<String>,
    kid: Option<String>,
    x5t: Option<String>,
    lifetime: Option<u64>,
    claims: Option<Object>,
}

impl AssertionIn {
    fn parse(json: &str) -> Result<Self> {
        let mut o = Opts::parse(
            json,
            "assertion options",
            &[
                "kind", "clientId", "issuer", "subject", "audience", "alg", "kid", "x5t",
                "lifetime", "claims",
            ],
        )?;
        Ok(Self {
            kind: o.req("kind")?,
            client_id: o.str("clientId")?,
            issuer: o.str("issuer")?,
            subject: o.str("subject")?,
            audience: o.req("audience")?,
            alg: o.str("alg")?,
            kid: o.str("kid")?,
            x5t: o.str("x5t")?,
            lifetime: o.u64("lifetime")?,
            claims: o.object("claims")?,
        })
    }
}

/// Signs a client assertion (RFC 7523 §2.2, OpenID Connect Core 1.0 §9) or a JWT bearer grant
/// assertion (RFC 7523 §2.1).
#[wasm_bindgen(js_name = oauthAssertion)]
pub fn oauth_assertion(opts_json: &str, key: &WasmKey, now: f64) -> JsResult<String> {
    let run = || -> Result<String> {
        let o = AssertionIn::parse(opts_json)?;
        let alg = match (o.alg.as_deref(), key.key.meta.alg) {
            (Some(name), _) => parse_alg(name)?,
            (None, Some(alg)) => alg,
            (None, None) => return Err(bad("the assertion needs \"alg\"")),
        };
        let claims = o.claims.unwrap_or_default();
        let (now, mut r) = (unix_time(now)?, rng()?);
        match o.kind.as_str() {
            "client" => {
                let client_id = o
                    .client_id
                    .ok_or_else(|| bad("a client assertion needs \"clientId\""))?;
                create_client_assertion(
                    &ClientAssertion {
                        client_id: &client_id,
                        audience: &o.audience,
                        key: &key.key,
                        alg,
                        kid: o.kid.as_deref(),
                        x5t: o.x5t.as_deref(),
                        lifetime: o.lifetime,
                        claims,
                    },
                    now,
                    &mut r,
                )
            }
            "bearer" => {
                let (Some(issuer), Some(subject)) = (o.issuer, o.subject) else {
                    return Err(bad(
                        "a JWT bearer assertion needs \"issuer\" and \"subject\"",
                    ));
                };
                create_jwt_bearer_assertion(
                    &JwtBearerAssertion {
                        issuer: &issuer,
                        subject: &subject,
                        audience: &o.audience,
                        key: &key.key,
                        alg,
                        kid: o.kid.as_deref(),
                        x5t: o.x5t.as_deref(),
                        lifetime: o.lifetime,
                        claims,
                    },
                    now,
                    &mut r,
                )
            }
            other => Err(bad(format!("unknown assertion kind {other:?}"))),
        }
    };
    oj(run())
}

// ---- resource servers (RFC 6750, RFC 9068) --------------------------------------------------

/// Extracts the bearer token of a request (RFC 6750 §2.1–2.3); `undefined` when there is none,
/// an error when there are several.
#[wasm_bindgen(js_name = oauthExtractBearer)]
pub fn oauth_extract_bearer(
    authorization: Option<String>,
    form_body: Option<String>,
    query: Option<String>,
) -> JsResult<Option<String>> {
    oj(bearer::extract_bearer_token(
        authorization.as_deref(),
        form_body.as_deref(),
        query.as_deref(),
    ))
}

/// A `WWW-Authenticate` value (RFC 6750 §3): `error` is `invalid_request`, `invalid_token`,
/// `insufficient_scope` or absent.
#[wasm_bindgen(js_name = oauthWwwAuthenticate)]
pub fn oauth_www_authenticate(
    error: Option<String>,
    description: Option<String>,
    realm: Option<String>,
    scope: Option<String>,
) -> JsResult<String> {
    let error = match error.as_deref() {
        None => None,
        Some("invalid_request") => Some(bearer::BearerError::InvalidRequest),
        Some("invalid_token") => Some(bearer::BearerError::InvalidToken),
        Some("insufficient_scope") => Some(bearer::BearerError::InsufficientScope),
        Some(other) => return oj(Err(bad(format!("unknown bearer error {other:?}")))),
    };
    Ok(bearer::www_authenticate(
        error,
        description.as_deref(),
        realm.as_deref(),
        scope.as_deref(),
    ))
}

/// Validates a JWT access token (RFC 9068 §4); returns its claims.
#[wasm_bindgen(js_name = oauthValidateAccessToken)]
pub fn oauth_validate_access_token(
    token_value: &str,
    key: &WasmKey,
    opts_json: &str,
    now: f64,
) -> JsResult<String> {
    oj(access_token_with(token_value, &key.key, opts_json, now))
}

/// [`oauth_validate_access_token`] with a JWK Set (RFC 7517 §5).
#[wasm_bindgen(js_name = oauthValidateAccessTokenSet)]
pub fn oauth_validate_access_token_set(
    token_value: &str,
    set: &WasmJwkSet,
    opts_json: &str,
    now: f64,
) -> JsResult<String> {
    oj(access_token_with(token_value, &set.set, opts_json, now))
}

fn access_token_with(
    token_value: &str,
    keys: &dyn KeySource,
    opts_json: &str,
    now: f64,
) -> Result<String> {
    let mut o = Opts::parse(
        opts_json,
        "access token options",
        &[
            "issuer",
            "audience",
            "algorithms",
            "requiredScopes",
            "clockTolerance",
        ],
    )?;
    let v = access_token::AccessTokenValidation {
        issuer: o.req("issuer")?,
        audience: o.strs("audience")?,
        algorithms: algs(o.strs("algorithms")?)?,
        required_scopes: o.strs("requiredScopes")?,
        clock_tolerance: o.u64("clockTolerance")?.unwrap_or(0),
        now: unix_time(now)?,
    };
    let c = access_token::validate_jwt_access_token(token_value, keys, &v)?;
    to_json(&c.raw)
}
