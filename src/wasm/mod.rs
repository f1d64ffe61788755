//! The WebAssembly binding (wasm-bindgen), the layer under the npm package's JavaScript API
//! (`pkg/src/*.js`).
//!
//! Rules of this boundary:
//! - no panic may reach it (with `panic = "abort"` a panic is a trap that kills the instance):
//!   every input is validated and every failure is a thrown JS `Error` carrying the stable
//!   [`Error::code`] (plus `claim` / `reason` for claim failures), which the JavaScript layer
//!   rethrows as the matching `errors.*` class;
//! - time comes from JavaScript (`now`, seconds since the epoch, as a number); the clock is
//!   never read here;
//! - randomness is the platform CSPRNG (`crypto.getRandomValues` through `getrandom`'s
//!   `wasm_js` backend), probed once so that a missing CSPRNG is an error, not a trap;
//! - JSON crosses the boundary as strings: `JSON.stringify` / `JSON.parse` on the JavaScript
//!   side, the crate's strict parser (duplicate members rejected) on this side.
#![deny(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use core::sync::atomic::{AtomicBool, Ordering};

use getrandom::SysRng;
use rand_core::UnwrapErr;
use wasm_bindgen::prelude::*;

use crate::UnixTime;
use crate::error::Error;
use crate::jwa::Alg;

mod dpop;
mod jose;
mod keys;
mod oauth;

/// Converts a crate [`Error`] into the JavaScript value thrown across the boundary: an `Error`
/// with `code` (and `claim` / `reason` for claim failures). The JavaScript layer maps `code` to
/// the `errors.*` class (or to a `TypeError` for `ERR_INVALID_ARG_*`).
pub(crate) fn to_js(err: Error) -> JsValue {
    let js = js_sys::Error::new(&err.to_string());
    let obj: &JsValue = js.as_ref();
    set(obj, "code", &JsValue::from_str(err.code()));
    if let Some(c) = err.claim_failure() {
        set(obj, "claim", &JsValue::from_str(&c.claim));
        set(obj, "reason", &JsValue::from_str(c.reason));
    }
    js.into()
}

fn set(obj: &JsValue, name: &str, value: &JsValue) {
    // Reflect.set on a fresh, extensible Error cannot fail; a failure would only lose detail.
    let _ = js_sys::Reflect::set(obj, &JsValue::from_str(name), value);
}

/// The result type of every exported function: failures become thrown JS errors.
pub(crate) type JsResult<T> = Result<T, JsValue>;

/// Maps a crate result to a [`JsResult`].
pub(crate) fn js<T>(r: crate::Result<T>) -> JsResult<T> {
    r.map_err(to_js)
}

static RNG_OK: AtomicBool = AtomicBool::new(false);

/// The CSPRNG. `UnwrapErr` would trap if the platform generator failed, so it is probed once
/// (a failing probe is [`Error::Generic`]; a generator that worked once keeps working).
pub(crate) fn rng() -> crate::Result<UnwrapErr<SysRng>> {
    if !RNG_OK.load(Ordering::Relaxed) {
        let mut probe = [0u8; 8];
        getrandom::fill(&mut probe).map_err(|e| {
            Error::Generic(format!("the platform random number generator failed: {e}"))
        })?;
        RNG_OK.store(true, Ordering::Relaxed);
    }
    Ok(UnwrapErr(SysRng))
}

/// Validates `now` (seconds since the Unix epoch, from `Date.now()` or `currentDate`).
pub(crate) fn unix_time(now: f64) -> crate::Result<UnixTime> {
    // 2^53: beyond that a JS number no longer holds every integer.
    const MAX: f64 = 9_007_199_254_740_992.0;
    if !now.is_finite() || now.abs() >= MAX {
        return Err(Error::InvalidArgValue(
            "the current time must be a finite number of seconds".into(),
        ));
    }
    Ok(now.floor() as UnixTime)
}

/// Parses an `alg` name (RFC 7518 §3.1); unknown names are [`Error::NotSupported`].
pub(crate) fn parse_alg(alg: &str) -> crate::Result<Alg> {
    alg.parse()
}

/// Parses an optional `alg` argument.
pub(crate) fn parse_opt_alg(alg: Option<String>) -> crate::Result<Option<Alg>> {
    alg.as_deref().map(parse_alg).transpose()
}

/// The crate version, for diagnostics.
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
