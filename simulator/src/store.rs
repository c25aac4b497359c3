//! In-memory state of the provider: pending interactions, codes, access tokens, sessions.

use shared::Scopes;
use std::collections::HashMap;
use std::time::Instant;

/// A validated authorization request waiting for the agent to sign in.
#[derive(Debug, Clone)]
pub struct Interaction {
    pub client_id: String,
    pub redirect_uri: String,
    pub scopes: Scopes,
    pub state: String,
    pub nonce: String,
    pub want_amr: bool,
    pub code_challenge: Option<String>,
    pub login_hint: Option<String>,
    pub created: Instant,
}

/// The provider's own session with the browser (12 hours).
#[derive(Debug, Clone)]
pub struct ProviderSession {
    pub idp_id: String,
    pub login: String,
    pub auth_time: i64,
    pub sid: String,
    pub created: Instant,
}

/// An issued authorization code.
#[derive(Debug, Clone)]
pub struct CodeGrant {
    pub interaction: Interaction,
    pub session: ProviderSession,
    pub created: Instant,
}

/// An issued access token.
#[derive(Debug, Clone)]
pub struct AccessGrant {
    pub client_id: String,
    pub scopes: Scopes,
    pub idp_id: String,
    pub login: String,
    pub created: Instant,
}

/// Everything the provider remembers.
#[derive(Default)]
pub struct Store {
    pub interactions: HashMap<String, Interaction>,
    pub codes: HashMap<String, CodeGrant>,
    pub access_tokens: HashMap<String, AccessGrant>,
    pub sessions: HashMap<String, ProviderSession>,
}
