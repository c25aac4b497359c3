//! What the backend keeps in the server-side session, and the session layer.

use crate::settings::{SessionSettings, SessionStoreSettings};
use axum::http::HeaderValue;
use axum::http::header::SET_COOKIE;
use axum::response::Response;
use proconnect_types::{Acr, AgentClaims, Amr, LevelPolicy};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use tower_sessions::cookie::{Cookie, SameSite};
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
/// Session key of the marker a sign-out leaves for the provider's return ([`PendingLogout`]).
pub const LOGOUT: &str = "logout";
/// Pending login transactions kept per browser (several tabs at once).
pub const MAX_PENDING_LOGINS: usize = 8;
/// A login transaction older than this is refused (seconds); a session holding nothing else
/// expires with it.
pub const LOGIN_TTL_SECONDS: i64 = 600;
/// How long the provider has to send the browser back after a sign-out (seconds); the session
/// holding only the marker expires with it.
pub const LOGOUT_TTL_SECONDS: i64 = 600;

/// The sessions' clock, in Unix seconds: the system's, which tests move forward
/// ([`Clock::advance`]) to test the login's and the session's lifetimes without waiting. Clones
/// share it.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    offset: std::sync::Arc<std::sync::atomic::AtomicI64>,
}

impl Clock {
    /// Unix seconds now (the system clock, plus what tests advanced).
    pub fn now(&self) -> i64 {
        let system =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
        system + self.offset.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Moves this clock (and its clones) `seconds` forward.
    pub fn advance(&self, seconds: i64) {
        self.offset.fetch_add(seconds, std::sync::atomic::Ordering::Relaxed);
    }
}

/// Pending logins by `state`.
pub type PendingLogins = BTreeMap<String, LoginTransaction>;

/// A login transaction, kept in the session from `/auth/login` to the callback: the secrets of
/// its authorization request and what the web layer does afterwards.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginTransaction {
    /// `nonce` sent in the request.
    pub nonce: String,
    /// PKCE verifier.
    pub pkce_verifier: String,
    /// Where to send the agent afterwards (validated same-origin path).
    pub return_to: String,
    /// The levels this sign-in requires: the returned `acr` is checked against them.
    #[serde(default)]
    pub required: LevelPolicy,
    /// Unix seconds.
    pub created_at: i64,
}

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

/// What a sign-out leaves in the (otherwise empty) session until the provider sends the browser
/// back to `/auth/logout/callback`: only the `state` sent to `session/end`, never a token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingLogout {
    /// The `state` sent to the provider.
    pub state: String,
    /// When the sign-out happened (Unix seconds).
    pub created_at: i64,
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

/// The idle timeout: a session saved now expires after this long without activity.
fn idle(settings: &SessionSettings) -> Expiry {
    Expiry::OnInactivity(time::Duration::minutes(settings.idle_timeout_minutes as i64))
}

/// The session layer over any store. Every save gives the record the idle timeout, unless the
/// handler chose another expiry for this request ([`expire_in`]).
pub fn layer<S: SessionStore + Clone>(store: S, settings: &SessionSettings, secure: bool) -> SessionManagerLayer<S> {
    SessionManagerLayer::new(store)
        .with_name(cookie_name(secure))
        .with_secure(secure)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(idle(settings))
}

/// Saves the session with `seconds` to live instead of the idle timeout: a session holding only a
/// pending login or a sign-out's marker dies with it. The expiry applies to this request's save
/// only (tower-sessions does not store it), so a later save without this call restores the idle
/// timeout. Never `set_expiry(None)`: tower-sessions would keep such a record two weeks.
pub fn expire_in(session: &Session, seconds: i64) {
    session.set_expiry(Some(Expiry::OnInactivity(time::Duration::seconds(seconds))));
}

/// Saves the session with the configured idle timeout (at sign-in).
pub fn expire_when_idle(session: &Session, settings: &SessionSettings) {
    session.set_expiry(Some(idle(settings)));
}

/// Makes the session cookie last as long as the browser session: removes `Max-Age` and
/// `Expires` from the `Set-Cookie` that saves session `name` (tower-sessions derives them from
/// the record's expiry, which stays as it is in the store, so the idle and absolute timeouts
/// still hold server-side). Other cookies, and the removal cookie (`Max-Age=0`), are left alone.
pub fn without_lifetime(mut response: Response, name: &str) -> Response {
    let headers = response.headers_mut();
    if !headers.contains_key(SET_COOKIE) {
        return response;
    }
    let cookies: Vec<HeaderValue> = headers.get_all(SET_COOKIE).iter().cloned().collect();
    headers.remove(SET_COOKIE);
    for value in cookies {
        let rewritten = browser_session_cookie(&value, name);
        headers.append(SET_COOKIE, rewritten.unwrap_or(value));
    }
    response
}

/// `value` without `Max-Age` and `Expires` if it sets cookie `name` (and does not remove it).
fn browser_session_cookie(value: &HeaderValue, name: &str) -> Option<HeaderValue> {
    let mut cookie = Cookie::parse(value.to_str().ok()?).ok()?;
    let removal = cookie.max_age().is_some_and(|age| age <= time::Duration::ZERO);
    if cookie.name() != name || removal {
        return None;
    }
    cookie.set_max_age(None);
    cookie.unset_expires();
    HeaderValue::from_str(&cookie.to_string()).ok()
}

/// Whether the configured store is persistent (for the logs).
pub fn describe(settings: &SessionStoreSettings) -> String {
    match settings {
        SessionStoreSettings::Memory => "memory (lost on restart)".into(),
        SessionStoreSettings::Sqlite { path } => format!("SQLite file {}", path.display()),
        SessionStoreSettings::Redis { url } => format!("Redis at {}", crate::settings::without_credentials(url)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set_cookies(values: &[&str]) -> Vec<String> {
        let mut response = Response::default();
        for value in values {
            response.headers_mut().append(SET_COOKIE, HeaderValue::from_str(value).expect("a header value"));
        }
        let response = without_lifetime(response, "session");
        response.headers().get_all(SET_COOKIE).iter().map(|v| v.to_str().unwrap_or_default().to_owned()).collect()
    }

    #[test]
    fn the_session_cookie_loses_max_age_and_expires_and_nothing_else() {
        let saved = "session=abc; HttpOnly; SameSite=Lax; Path=/; Max-Age=3600; Expires=Thu, 01 Jan 2099 00:00:00 GMT";
        let [rewritten] = &set_cookies(&[saved])[..] else { panic!("one cookie") };
        let lower = rewritten.to_ascii_lowercase();
        assert!(!lower.contains("max-age") && !lower.contains("expires"), "{rewritten}");
        for kept in ["session=abc", "HttpOnly", "SameSite=Lax", "Path=/"] {
            assert!(rewritten.contains(kept), "{kept} kept: {rewritten}");
        }
    }

    /// The stored session is a boundary: sessions written by a running deployment must still read
    /// after an upgrade (otherwise every agent is signed out, and pending sign-ins fail). These
    /// are the values as this version writes them; a change to the session's types must keep
    /// reading them (new fields with `#[serde(default)]`), or say so in the release notes.
    #[test]
    fn sessions_stored_by_this_version_still_read() {
        let logins: PendingLogins = serde_json::from_str(
            r#"{"st-1":{"nonce":"n-1","pkce_verifier":"v-1","return_to":"/dossiers?x=1","required":"two-factor","created_at":1764600000}}"#,
        )
        .expect("pending logins");
        let login = &logins["st-1"];
        assert_eq!((login.nonce.as_str(), login.return_to.as_str()), ("n-1", "/dossiers?x=1"));
        assert_eq!((login.required.clone(), login.created_at), (LevelPolicy::TwoFactor, 1764600000));

        let agent: AgentSession = serde_json::from_str(
            r#"{"claims":{"sub":"abc","given_name":"Angela","usual_name":"Dupont","email":"angela@fia1.fr","siret":"21340126800130","organization_label":"Mairie","roles":["agent"]},"acr":"eidas1-mfa","amr":["pwd","mfa"],"expires_at":1764643200,"csrf_token":"t-1"}"#,
        )
        .expect("the signed-in agent");
        assert_eq!(agent.claims.sub, "abc");
        assert_eq!(agent.claims.siret.as_ref().map(|s| s.as_str()), Some("21340126800130"));
        assert_eq!(agent.acr.as_ref().map(|a| a.as_str()), Some("eidas1-mfa"));
        assert_eq!((agent.amr.len(), agent.expires_at, agent.csrf_token.as_str()), (2, 1764643200, "t-1"));

        let tokens: SessionTokens =
            serde_json::from_str(r#"{"id_token":"h.p.s","access_token":"at"}"#).expect("the tokens");
        assert_eq!((tokens.id_token.as_str(), tokens.refresh_token), ("h.p.s", None));
        let logout: PendingLogout =
            serde_json::from_str(r#"{"state":"lo-1","created_at":1764600000}"#).expect("a sign-out's marker");
        assert_eq!(logout.state, "lo-1");
    }

    #[test]
    fn the_removal_cookie_and_other_cookies_are_left_alone() {
        let removal = "session=; HttpOnly; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT";
        let other = "theme=dark; Max-Age=60";
        assert_eq!(set_cookies(&[removal, other]), [removal, other]);
    }
}
