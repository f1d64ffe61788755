//! (being written by helper H3; see /work/notes/issue4-contract.md)

use std::sync::Arc;

use axum::Router;

use crate::app::AppState;

/// This module's routes, under the issuer path `prefix` (`""` for an issuer at the root).
pub fn routes(_prefix: &str) -> Router<Arc<AppState>> {
    Router::new()
}
