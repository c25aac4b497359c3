//! What the backend keeps in the server-side session, and the session layer.

use crate::oidc::LoginTransaction;
use crate::settings::{SessionSettings, SessionStoreSettings};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use shared::{Acr, AgentClaims, Amr};
use std::collections::BTreeMap;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer, SessionStore};

/// Session key of the pending login transactions, by `state`.
pub const LOGINS: &str = "logins";
/// Session key of the signed-in agent ([`AgentSession`]).
pub const AGENT: &str = "agent";
/// Session key of the signed-in agent's tokens ([`SessionTokens`]).
pub const TOKENS: &str = "tokens";
/// Session key of the last time (Unix seconds) the session was saved to extend its idle timeout.
pub const TOUCHED_AT: &str = "touched_at";
/// A signed-in session is saved again (pushing back its idle timeout) at most this often (seconds).
pub const TOUCH_EVERY_SECONDS: i64 = 60;
/// Session key of the pending logout `state`.
pub const LOGOUT_STATE: &str = "logout_state";
/// Pending login transactions kept per browser (several tabs at once).
pub const MAX_PENDING_LOGINS: usize = 8;
/// A login transaction older than this is refused (seconds).
pub const LOGIN_TTL_SECONDS: i64 = 600;

/// Pending logins by `state`.
pub type PendingLogins = BTreeMap<String, LoginTransaction>;

/// A signed-in agent: what `/api/me` reads on every call.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AgentSession {
    /// Verified claims.
    pub claims: AgentClaims,
    /// `acr` from the ID token: the level reached.
    pub acr: Option<Acr>,
    /// `amr` from the ID token.
    pub amr: Vec<Amr>,
    /// Absolute expiry (Unix seconds).
    pub expires_at: i64,
    /// Anti-forgery token the SPA echoes in a header.
    pub csrf_token: String,
}

/// The signed-in agent's tokens, read only at logout. No response ever carries them, and their
/// `Debug` shows none of them.
#[derive(Clone, Serialize, Deserialize)]
pub struct SessionTokens {
    /// For `id_token_hint` at logout.
    pub id_token: String,
    /// For revocation at logout.
    pub access_token: String,
    /// For revocation at logout, when the provider returned one. Never used to refresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

impl std::fmt::Debug for SessionTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionTokens { .. }")
    }
}

/// Stores `value` under `key` as one JSON string: the store then copies and keeps one string per
/// key instead of a tree of maps (BENCHMARKS.md, finding 6), and `get` parses only the keys it reads.
pub async fn put<T: Serialize>(session: &Session, key: &str, value: &T) -> Result<(), tower_sessions::session::Error> {
    let json = serde_json::to_string(value).map_err(tower_sessions::session::Error::SerdeJson)?;
    session.insert(key, json).await
}

/// Reads what [`put`] stored under `key`. A value in another format (written by an older
/// version) reads as absent, so such a session is simply signed out.
pub async fn get<T: DeserializeOwned>(
    session: &Session,
    key: &str,
) -> Result<Option<T>, tower_sessions::session::Error> {
    let Some(value) = session.get_value(key).await? else {
        return Ok(None);
    };
    let parsed = value.as_str().and_then(|json| serde_json::from_str(json).ok());
    if parsed.is_none() {
        tracing::warn!(key, "session value in an unknown format: ignored");
    }
    Ok(parsed)
}

/// The session cookie's name: `__Host-` prefixed whenever it can be `Secure`.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-session" } else { "session" }
}

/// The session layer over any store.
pub fn layer<S: SessionStore + Clone>(store: S, settings: &SessionSettings, secure: bool) -> SessionManagerLayer<S> {
    SessionManagerLayer::new(store)
        .with_name(cookie_name(secure))
        .with_secure(secure)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(time::Duration::minutes(settings.idle_timeout_minutes as i64)))
}

/// Whether the configured store is persistent (for the logs).
pub fn describe(settings: &SessionStoreSettings) -> String {
    match settings {
        SessionStoreSettings::Memory => "memory (lost on restart)".into(),
        SessionStoreSettings::Sqlite { path } => format!("SQLite file {}", path.display()),
        SessionStoreSettings::Redis { url } => format!("Redis at {}", crate::settings::without_credentials(url)),
    }
}
