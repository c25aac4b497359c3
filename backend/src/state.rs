//! The state every handler shares, and the one helper they all use to make secrets.

use crate::{metrics, oidc, session::Clock, settings::Settings};
use std::sync::Arc;

/// State shared by every handler.
#[derive(Clone)]
pub struct AppState {
    /// The validated configuration.
    pub settings: Arc<Settings>,
    /// The relying party.
    pub rp: Arc<oidc::RelyingParty>,
    /// Counters for `/metrics`.
    pub metrics: Arc<metrics::Metrics>,
    /// The sessions' clock (tests move it).
    pub clock: Clock,
}

/// A random URL-safe token of 32 bytes from the OS CSPRNG.
pub fn random_token() -> String {
    use base64::Engine;
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}
