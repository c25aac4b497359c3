//! In-memory state of the provider: pending interactions, codes, access tokens, sessions.
//! Instants come from the simulator's clock.

use shared::Scopes;
use std::collections::HashMap;
use std::time::{Duration, Instant};

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

/// A code already exchanged, remembered until it would have expired: presenting it again
/// revokes the access token it gave (RFC 6749 §4.1.2).
#[derive(Debug, Clone)]
pub struct ConsumedCode {
    pub access_token: String,
    pub created: Instant,
}

const EXPIRED_TOKEN_MEMORY: Duration = Duration::from_secs(3600);

/// How long each kind of record lives.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    pub interaction: Duration,
    pub code: Duration,
    pub access_token: Duration,
    pub session: Duration,
}

/// Everything the provider remembers.
#[derive(Default)]
pub struct Store {
    pub interactions: HashMap<String, Interaction>,
    pub codes: HashMap<String, CodeGrant>,
    pub consumed_codes: HashMap<String, ConsumedCode>,
    pub access_tokens: HashMap<String, AccessGrant>,
    pub sessions: HashMap<String, ProviderSession>,
}

impl Store {
    /// Forgets every record that has outlived its lifetime at `now`. Access tokens are kept an
    /// hour past their expiry, so that userinfo answers `Y030025` rather than "unknown token".
    pub fn prune(&mut self, now: Instant, lifetimes: Lifetimes) {
        let alive = |created: Instant, lifetime: Duration| now.saturating_duration_since(created) < lifetime;
        self.interactions.retain(|_, i| alive(i.created, lifetimes.interaction));
        self.codes.retain(|_, c| alive(c.created, lifetimes.code));
        self.consumed_codes.retain(|_, c| alive(c.created, lifetimes.code));
        self.access_tokens.retain(|_, a| alive(a.created, lifetimes.access_token + EXPIRED_TOKEN_MEMORY));
        self.sessions.retain(|_, s| alive(s.created, lifetimes.session));
    }
}
