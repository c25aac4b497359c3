//! Sign-in and sign-out: `/auth/login`, `/auth/callback`, `/auth/logout`, `/auth/logout/callback`.

use crate::AppState;
use crate::error::{AppError, PageError};
use crate::oidc::OidcError;
use crate::session::{
    self, AGENT, AgentSession, LOGIN_TTL_SECONDS, LOGINS, LOGOUT_STATE, MAX_PENDING_LOGINS, PendingLogins,
    SessionTokens, TOKENS, TOUCH_EVERY_SECONDS, TOUCHED_AT,
};
use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use shared::{CSRF_HEADER, LogoutResponse};
use tower_sessions::Session;

/// Unix seconds now.
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// Accepts only a same-origin absolute path (`/profil?x=1`): no scheme, no host, no `//`, no
/// backslash, no control character. Anything else becomes `/`.
pub fn safe_return_to(candidate: Option<&str>) -> Result<String, AppError> {
    let Some(path) = candidate.filter(|p| !p.is_empty()) else {
        return Ok("/".into());
    };
    let valid = path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
        && path.len() <= 512
        && !path.to_ascii_lowercase().contains("%5c")
        && !path.to_ascii_lowercase().starts_with("/%2f");
    if valid {
        Ok(path.to_owned())
    } else {
        Err(AppError::new(
            StatusCode::BAD_REQUEST,
            "invalid_return_to",
            "return_to must be a path on this site (e.g. /profil).",
        ))
    }
}

/// Query of `GET /auth/login`.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    return_to: Option<String>,
    prompt: Option<String>,
    idp_hint: Option<String>,
    login_hint: Option<String>,
}

fn bounded<'a>(name: &str, value: Option<&'a str>) -> Result<Option<&'a str>, AppError> {
    match value {
        Some(v) if v.len() > 256 || v.chars().any(char::is_control) => Err(AppError::new(
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
            format!("{name} is too long or contains control characters."),
        )),
        other => Ok(other.filter(|v| !v.is_empty())),
    }
}

/// `GET /auth/login`: starts a login transaction and redirects to AgentConnect.
pub async fn login(
    State(app): State<AppState>,
    session: Session,
    Query(query): Query<LoginQuery>,
) -> Result<Response, PageError> {
    let return_to = safe_return_to(query.return_to.as_deref()).map_err(AppError::page)?;
    let prompt = match query.prompt.as_deref() {
        None | Some("") => None,
        Some(p @ ("login" | "none")) => Some(p),
        Some(_) => {
            return Err(
                AppError::new(StatusCode::BAD_REQUEST, "invalid_prompt", "prompt must be `login` or `none`.").page()
            );
        }
    };
    let idp_hint = bounded("idp_hint", query.idp_hint.as_deref()).map_err(AppError::page)?;
    let login_hint = bounded("login_hint", query.login_hint.as_deref()).map_err(AppError::page)?;
    let now = now();
    let (url, state, transaction) = app
        .rp
        .authorization_request(prompt, idp_hint, login_hint, return_to, now)
        .await
        .map_err(|e| provider_error(e).page())?;
    let mut logins: PendingLogins =
        session::get(&session, LOGINS).await.map_err(|e| AppError::session_store(e).page())?.unwrap_or_default();
    logins.retain(|_, t| now - t.created_at < LOGIN_TTL_SECONDS);
    while logins.len() >= MAX_PENDING_LOGINS {
        let oldest = logins.iter().min_by_key(|(_, t)| t.created_at).map(|(s, _)| s.clone());
        if let Some(oldest) = oldest {
            logins.remove(&oldest);
        }
    }
    logins.insert(state, transaction);
    session::put(&session, LOGINS, &logins).await.map_err(|e| AppError::session_store(e).page())?;
    app.metrics.sign_in_started();
    Ok(Redirect::to(url.as_str()).into_response())
}

fn provider_error(error: OidcError) -> AppError {
    const UNVERIFIED: &str =
        "AgentConnect's answer could not be verified, so you were not signed in. Please sign in again.";
    let (status, name, message) = match &error {
        OidcError::Provider(_) => (
            StatusCode::BAD_GATEWAY,
            "provider_unavailable",
            "AgentConnect could not be reached or answered badly. Please try again.",
        ),
        OidcError::TokenRejected(_) => (
            StatusCode::BAD_REQUEST,
            "code_rejected",
            "AgentConnect refused this sign-in (the link may have been used already or expired). Please sign in again.",
        ),
        OidcError::IdToken(_) => (StatusCode::UNAUTHORIZED, "invalid_id_token", UNVERIFIED),
        OidcError::Userinfo(_) => (StatusCode::UNAUTHORIZED, "invalid_userinfo", UNVERIFIED),
    };
    tracing::warn!(reason = name, detail = %error, "sign-in refused");
    AppError::new(status, name, message)
}

/// Query of `GET /auth/callback` (§3).
#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /auth/callback`: checks `state`, then exchanges the code and opens the session.
pub async fn callback(
    State(app): State<AppState>,
    session: Session,
    Query(query): Query<CallbackQuery>,
) -> Result<Response, PageError> {
    let started = std::time::Instant::now();
    let result = complete_sign_in(&app, &session, query).await;
    app.metrics.callback_took(started.elapsed());
    if let Err(error) = &result {
        app.metrics.sign_in_failed(error.0.error);
        // Leave nothing behind a failed sign-in but the other tabs' pending logins.
        let pending =
            session::get::<PendingLogins>(&session, LOGINS).await.ok().flatten().is_some_and(|l| !l.is_empty());
        let agent = session::get::<AgentSession>(&session, AGENT).await.ok().flatten().is_some();
        if !pending && !agent {
            let _ = session.flush().await;
        }
    }
    result
}

async fn complete_sign_in(app: &AppState, session: &Session, query: CallbackQuery) -> Result<Response, PageError> {
    let bad = |name: &'static str, message: &str| {
        tracing::warn!(reason = name, "callback refused");
        AppError::new(StatusCode::BAD_REQUEST, name, message).page()
    };
    let Some(state) = query.state.filter(|s| !s.is_empty()) else {
        return Err(bad(
            "missing_state",
            "The response from AgentConnect has no state: the sign-in cannot be checked.",
        ));
    };
    let mut logins: PendingLogins =
        session::get(session, LOGINS).await.map_err(|e| AppError::session_store(e).page())?.unwrap_or_default();
    let Some(transaction) = logins.remove(&state) else {
        return Err(bad(
            "invalid_state",
            "No sign-in started in this browser matches this response (it expired, was already used, or came from elsewhere). Please sign in again.",
        ));
    };
    let saved = if logins.is_empty() {
        session.remove_value(LOGINS).await.map(|_| ())
    } else {
        session::put(session, LOGINS, &logins).await
    };
    saved.map_err(|e| AppError::session_store(e).page())?;
    if now() - transaction.created_at >= LOGIN_TTL_SECONDS {
        return Err(bad("login_expired", "This sign-in took too long and expired. Please sign in again."));
    }
    if let Some(error) = query.error {
        tracing::info!(error = %error, "provider returned an error");
        if error == "access_denied" || error == "login_required" {
            app.metrics.sign_in_failed(if error == "access_denied" { "access_denied" } else { "login_required" });
            return Ok(Redirect::to(&format!("/?notice={error}")).into_response());
        }
        let description = query.error_description.unwrap_or_default();
        return Err(AppError::new(
            StatusCode::BAD_REQUEST,
            "provider_error",
            format!("AgentConnect reported an error: {error} {description}"),
        )
        .page());
    }
    let Some(code) = query.code.filter(|c| !c.is_empty()) else {
        return Err(bad("missing_code", "The response from AgentConnect has no authorization code."));
    };
    let sign_in = app.rp.complete(code, &transaction).await.map_err(|e| provider_error(e).page())?;
    let expires_at = now() + app.settings.session.absolute_hours as i64 * 3600;
    let agent = AgentSession {
        claims: sign_in.claims,
        acr: sign_in.acr,
        amr: sign_in.amr,
        expires_at,
        csrf_token: crate::random_token(),
    };
    let tokens = SessionTokens { id_token: sign_in.id_token, access_token: sign_in.access_token };
    // A new session id at privilege change: no fixation.
    let opened = async {
        session.cycle_id().await?;
        session::put(session, AGENT, &agent).await?;
        session::put(session, TOKENS, &tokens).await?;
        session.insert(TOUCHED_AT, now()).await
    };
    opened.await.map_err(|e| AppError::session_store(e).page())?;
    tracing::info!(sub = %agent.claims.sub, "signed in");
    app.metrics.sign_in_succeeded();
    Ok(Redirect::to(&transaction.return_to).into_response())
}

/// The signed-in agent, if the session holds one that has not expired. Saves the session when
/// it was last saved [`TOUCH_EVERY_SECONDS`] ago or more, so that its idle timeout counts from
/// the agent's last activity at the cost of one write per minute at most.
pub async fn current_agent(session: &Session) -> Result<Option<AgentSession>, AppError> {
    let agent: Option<AgentSession> = session::get(session, AGENT).await.map_err(AppError::session_store)?;
    let now = now();
    match agent {
        Some(agent) if agent.expires_at > now => {
            let touched_at: i64 = session.get(TOUCHED_AT).await.ok().flatten().unwrap_or(0);
            if now - touched_at >= TOUCH_EVERY_SECONDS {
                session.insert(TOUCHED_AT, now).await.map_err(AppError::session_store)?;
            }
            Ok(Some(agent))
        }
        Some(_) => {
            session.flush().await.map_err(AppError::session_store)?;
            Ok(None)
        }
        None => Ok(None),
    }
}

/// Requires the anti-forgery header and refuses cross-site requests.
pub fn check_csrf(headers: &HeaderMap, agent: &AgentSession) -> Result<(), AppError> {
    let cross_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|site| site != "same-origin" && site != "none");
    let token_ok = headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|token| constant_time_eq(token.as_bytes(), agent.csrf_token.as_bytes()));
    if cross_site || !token_ok {
        tracing::warn!(reason = "csrf", cross_site, "state-changing request refused");
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "This request was refused: it did not come from this application.",
        ));
    }
    Ok(())
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `POST /auth/logout`: answers where to send the browser for RP-initiated logout.
pub async fn logout(
    State(app): State<AppState>,
    session: Session,
    headers: HeaderMap,
) -> Result<Json<LogoutResponse>, AppError> {
    let agent = current_agent(&session).await?.ok_or_else(AppError::unauthenticated)?;
    check_csrf(&headers, &agent)?;
    let tokens: Option<SessionTokens> = session::get(&session, TOKENS).await.map_err(AppError::session_store)?;
    let state = crate::random_token();
    let end_session = match tokens {
        Some(tokens) => match app.rp.reachable().await {
            Ok(()) => app.rp.end_session_url(&tokens.id_token, &state).await,
            Err(error) => Err(error),
        },
        // No ID token to send to the provider: sign out here only.
        None => Ok(None),
    };
    match end_session {
        Ok(Some(url)) => {
            session.insert(LOGOUT_STATE, &state).await.map_err(AppError::session_store)?;
            Ok(Json(LogoutResponse { redirect: url.to_string() }))
        }
        result => {
            if let Err(error) = result {
                tracing::warn!(%error, "provider unreachable at logout: signing out locally");
            }
            session.flush().await.map_err(AppError::session_store)?;
            Ok(Json(LogoutResponse { redirect: "/deconnecte?local=1".into() }))
        }
    }
}

/// Query of `GET /auth/logout/callback`.
#[derive(Debug, Deserialize)]
pub struct LogoutCallbackQuery {
    state: Option<String>,
}

/// `GET /auth/logout/callback`: checks `state`, revokes the access token, ends the session.
pub async fn logout_callback(
    State(app): State<AppState>,
    session: Session,
    Query(query): Query<LogoutCallbackQuery>,
) -> Result<Response, PageError> {
    let expected: Option<String> = session.get(LOGOUT_STATE).await.map_err(|e| AppError::session_store(e).page())?;
    match (expected, query.state) {
        (Some(expected), Some(state)) if constant_time_eq(expected.as_bytes(), state.as_bytes()) => {}
        _ => {
            tracing::warn!(reason = "invalid_logout_state", "logout callback refused");
            return Err(AppError::new(
                StatusCode::BAD_REQUEST,
                "invalid_logout_state",
                "This sign-out response does not match a sign-out started here.",
            )
            .page());
        }
    }
    if let Ok(Some(tokens)) = session::get::<SessionTokens>(&session, TOKENS).await
        && let Err(error) = app.rp.revoke(&tokens.access_token).await
    {
        tracing::info!(%error, "access token revocation failed (it expires within 60 s anyway)");
    }
    session.flush().await.map_err(|e| AppError::session_store(e).page())?;
    Ok(Redirect::to("/deconnecte").into_response())
}
