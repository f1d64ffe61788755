//! The OP's JWK Set (RFC 7517 §5) at the `jwks_uri` (OpenID Connect Discovery 1.0 §3): the
//! public halves of the signing keys, never a private member.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;

use crate::app::AppState;
use crate::routes::{json_error, public_json};

/// `GET` handler.
pub async fn get(State(state): State<Arc<AppState>>) -> Response {
    let jwks = match state.keys.read() {
        Ok(ring) => ring.jwks(),
        Err(_) => {
            return json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "the key ring is unavailable",
            );
        }
    };
    match jwks {
        Ok(mut set) => {
            // Misbehaviour scenarios may publish extra keys (a decoy, a just-rotated key).
            crate::scenario::extend_jwks(&state, &mut set);
            public_json(Value::Object(set).to_string())
        }
        Err(e) => {
            tracing::error!(error = %e, "building the JWKS failed");
            json_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server_error",
                "the JWKS could not be built",
            )
        }
    }
}
