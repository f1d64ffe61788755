//! DPoP (RFC 9449) across the boundary: proof creation (§4.2) for `createDPoPHandle`, proof
//! verification (§4.3) for `verifyDPoPProof`, and `use_dpop_nonce` detection (§8, §9).

use serde::Deserialize;
use serde_json::Value;
use wasm_bindgen::prelude::*;

use super::keys::WasmKey;
use super::{JsResult, js, parse_opt_alg, rng, unix_time};
use crate::error::{Error, Result};
use crate::jwa::Alg;
use crate::oauth::dpop::{self, DpopProofRequest, DpopValidation};
use crate::oauth::http::HttpResponse;

/// `verifyDPoPProof` options, type-checked by `pkg/src/dpop.js`; unknown members are refused.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct VerifyOptions {
    htm: String,
    htu: String,
    access_token: Option<String>,
    nonce: Option<String>,
    /// `None`: every asymmetric algorithm. Names this crate does not implement are dropped; an
    /// explicit list left empty allows nothing.
    algorithms: Option<Vec<String>>,
    max_age: Option<u64>,
    #[serde(default)]
    clock_tolerance: u64,
}

fn verify_with(proof: &str, opts: &str, now: f64) -> Result<String> {
    let o: VerifyOptions = serde_json::from_str(opts)
        .map_err(|e| Error::InvalidArgValue(format!("invalid verifyDPoPProof options: {e}")))?;
    let mut v = DpopValidation::new(o.htm, o.htu, unix_time(now)?);
    v.access_token = o.access_token;
    v.nonce = o.nonce;
    v.clock_tolerance = o.clock_tolerance;
    if let Some(m) = o.max_age {
        v.max_age = m;
    }
    if let Some(names) = o.algorithms {
        let algs: Vec<Alg> = names.iter().filter_map(|n| n.parse().ok()).collect();
        if algs.is_empty() {
            return Err(Error::AlgNotAllowed(
                "no DPoP proof algorithm is allowed by the \"algorithms\" option".into(),
            ));
        }
        v.algorithms = algs;
    }
    let p = dpop::verify_proof(proof, &v)?;
    serde_json::to_string(&(&p.jkt, &p.header.raw, &p.claims))
        .map_err(|e| Error::Generic(format!("JSON serialization: {e}")))
}

/// Creates a DPoP proof JWT (RFC 9449 §4.2) with a private key; `alg` defaults to the key's
/// bound or only algorithm.
#[wasm_bindgen(js_name = dpopProof)]
pub fn dpop_proof(
    key: &WasmKey,
    alg: Option<String>,
    htm: &str,
    htu: &str,
    access_token: Option<String>,
    nonce: Option<String>,
    now: f64,
) -> JsResult<String> {
    let alg = js(parse_opt_alg(alg))?;
    let now = js(unix_time(now))?;
    let mut rng = js(rng())?;
    js(dpop::create_proof(
        &DpopProofRequest {
            key: &key.key,
            alg,
            htm,
            htu,
            access_token: access_token.as_deref(),
            nonce: nonce.as_deref(),
        },
        now,
        &mut rng,
    ))
}

/// The DPoP algorithm a key signs with (RFC 9449 §4.2): `alg`, else its bound or only one.
#[wasm_bindgen(js_name = dpopAlg)]
pub fn dpop_alg(key: &WasmKey, alg: Option<String>) -> JsResult<String> {
    let alg = js(parse_opt_alg(alg))?;
    let alg = js(dpop::proof_alg(&key.key, alg))?;
    js(key
        .key
        .check_usable(alg, crate::jwk::KeyOp::Sign)
        .map(|()| alg.as_str().to_owned()))
}

/// Verifies a DPoP proof (RFC 9449 §4.3); returns `[jkt, protectedHeader, claims]` as JSON.
#[wasm_bindgen(js_name = dpopVerify)]
pub fn dpop_verify(proof: &str, opts: &str, now: f64) -> JsResult<String> {
    js(verify_with(proof, opts, now))
}

/// Whether a response asks for a retry with a new DPoP nonce (RFC 9449 §8, §9). `headers_json`
/// is `[[name, value], ...]`.
#[wasm_bindgen(js_name = dpopIsUseNonceError)]
pub fn dpop_is_use_nonce_error(status: u16, headers_json: &str, body: &[u8]) -> JsResult<bool> {
    let headers = js(parse_headers(headers_json))?;
    Ok(dpop::is_use_dpop_nonce_error(&HttpResponse {
        status,
        headers,
        body: body.to_vec(),
    }))
}

fn parse_headers(json: &str) -> Result<Vec<(String, String)>> {
    let bad = || Error::InvalidArgValue("headers must be an array of [name, value] strings".into());
    let Value::Array(items) = crate::json::parse_value(json.as_bytes()).map_err(|_| bad())? else {
        return Err(bad());
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::Array(pair) => match pair.as_slice() {
                [Value::String(n), Value::String(v)] => Ok((n.clone(), v.clone())),
                _ => Err(bad()),
            },
            _ => Err(bad()),
        })
        .collect()
}
