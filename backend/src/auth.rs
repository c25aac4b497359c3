//! Sign-in and sign-out: `/auth/login`, `/auth/callback`, `/auth/logout`, `/auth/logout/callback`
//! (under `paths.base`).

use crate::error::{AppError, PageError};
use crate::oidc::{Authorization, AuthorizationParams, SignIn};
use crate::pages::Page;
use crate::session::{
    self, AGENT, AgentSession, LOGIN_TTL_SECONDS, LOGINS, LOGOUT, LOGOUT_TTL_SECONDS, LoginTransaction,
    MAX_PENDING_LOGINS, PendingLogins, PendingLogout, SessionTokens, TOKENS, TOUCH_EVERY_SECONDS, TOUCHED_AT,
};
use crate::state::AppState;
use axum::Form;
use axum::extract::rejection::FormRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use proconnect_types::request::{PROMPTS, is_email, is_valid_prompt};
use proconnect_types::{AccessDenied, Acr, Bilingual, CSRF_HEADER, CallbackError, LevelPolicy, Siret};
use serde::Deserialize;
use std::time::Duration;
use subtle::ConstantTimeEq;
use tower_sessions::Session;
use url::Url;

/// Accepts only a same-origin absolute path (`/profil?x=1`): no scheme, no host, no `//`, no
/// backslash, no control character; refuses anything else. None or empty is `/`.
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
            "return_to doit être un chemin de ce site (par exemple /profil).",
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
    siret_hint: Option<String>,
    /// Levels required for this sign-in (step-up), written as a [`LevelPolicy`].
    acr: Option<String>,
}

fn invalid_parameter(fr: String, en: String) -> AppError {
    AppError::new(StatusCode::BAD_REQUEST, "invalid_parameter", fr, en)
}

fn bounded<'a>(name: &str, value: Option<&'a str>) -> Result<Option<&'a str>, AppError> {
    match value {
        Some(v) if v.len() > 256 || v.chars().any(char::is_control) => Err(invalid_parameter(
            format!("{name} est trop long ou contient des caractères de contrôle."),
            format!("{name} is too long or contains control characters."),
        )),
        other => Ok(other.filter(|v| !v.is_empty())),
    }
}

/// The levels one sign-in requires: the service's policy, or a stricter one asked for with
/// `acr` (step-up). A request weaker than the policy is refused.
pub fn required_level(policy: &LevelPolicy, requested: Option<&str>) -> Result<LevelPolicy, AppError> {
    let Some(requested) = requested.filter(|r| !r.is_empty()) else {
        return Ok(policy.clone());
    };
    let requested = LevelPolicy::parse(requested).map_err(|_| {
        invalid_parameter(
            "acr doit valoir any, two-factor, certification-dirigeant ou une liste de niveaux (eidas2 eidas3).".into(),
            "acr must be any, two-factor, certification-dirigeant or a list of levels (eidas2 eidas3).".into(),
        )
    })?;
    policy.tightened_by(&requested).ok_or_else(|| {
        let (fr, en) = policy.describe();
        invalid_parameter(
            format!("acr : ce service exige {fr} ; ce niveau ne suffit pas."),
            format!("acr: this service requires {en}; this level is not enough."),
        )
    })
}

/// `GET /auth/login`: starts a login transaction and redirects to ProConnect. With `acr`, a
/// signed-in agent signs in again at that level (step-up) and keeps their session.
pub async fn login(
    State(app): State<AppState>,
    session: Session,
    Query(query): Query<LoginQuery>,
) -> Result<Response, PageError> {
    let return_to = match query.return_to.as_deref().filter(|r| !r.is_empty()) {
        None => app.settings.paths.home.clone(),
        given => safe_return_to(given)?,
    };
    let mut prompt = match query.prompt.as_deref().filter(|p| !p.is_empty()) {
        None => None,
        Some(p) if p.len() <= 64 && is_valid_prompt(p, &PROMPTS) => Some(p),
        Some(_) => {
            return Err(invalid_parameter(
                "prompt doit valoir login, consent, none, select_organization ou update_userinfo.".into(),
                "prompt must be login, consent, none, select_organization or update_userinfo.".into(),
            )
            .page());
        }
    };
    let idp_hint = bounded("idp_hint", query.idp_hint.as_deref())?;
    let login_hint = bounded("login_hint", query.login_hint.as_deref())?;
    if login_hint.is_some_and(|hint| !is_email(hint)) {
        return Err(invalid_parameter(
            "login_hint doit être une adresse électronique.".into(),
            "login_hint must be an email address.".into(),
        )
        .page());
    }
    let siret_hint = match query.siret_hint.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(siret) => Some(Siret::parse(siret).map_err(|_| {
            invalid_parameter(
                "siret_hint doit compter exactement 14 chiffres.".into(),
                "siret_hint must be exactly 14 digits.".into(),
            )
            .page()
        })?),
    };
    let acr = bounded("acr", query.acr.as_deref())?;
    let required = required_level(&app.settings.policy.level, acr)?;
    let agent = current_agent(&session, &app).await.ok().flatten();
    // Step-up: the agent's current level does not satisfy the request, so the provider must
    // authenticate again rather than reuse its session.
    if prompt.is_none()
        && let Some(agent) = &agent
        && !required.allows(agent.acr.as_ref())
    {
        prompt = Some("login");
    }
    let now = app.clock.now();
    let params = AuthorizationParams {
        prompt,
        idp_hint,
        login_hint,
        siret_hint: siret_hint.as_ref().map(Siret::as_str),
        required: required.clone(),
    };
    let Authorization { url, state, nonce, pkce_verifier } = app.rp.authorization_request(params).await?;
    let transaction = LoginTransaction { nonce, pkce_verifier, return_to, required, created_at: now };
    let mut logins: PendingLogins = session::get(&session, LOGINS).await?.unwrap_or_default();
    logins.retain(|_, t| now - t.created_at < LOGIN_TTL_SECONDS);
    while logins.len() >= MAX_PENDING_LOGINS {
        let oldest = logins.iter().min_by_key(|(_, t)| t.created_at).map(|(s, _)| s.clone());
        if let Some(oldest) = oldest {
            logins.remove(&oldest);
        }
    }
    logins.insert(state, transaction);
    session::put(&session, LOGINS, &logins).await?;
    // Nobody signed in yet: the session lives as long as its login transactions, not the idle
    // timeout (a flood of sign-in starts then cannot crowd signed-in sessions out for an hour).
    if agent.is_none() {
        session::expire_in(&session, LOGIN_TTL_SECONDS);
    }
    app.metrics.sign_in_started();
    Ok(Redirect::to(url.as_str()).into_response())
}

/// Query of `GET /auth/callback` (§3).
#[derive(Debug, Deserialize)]
pub struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    /// RFC 9207: when present, must be the issuer.
    iss: Option<String>,
}

/// `GET /auth/callback`: checks `iss` and `state`, then exchanges the code, checks the level and
/// roles required, and opens the session (a step-up replaces the agent in the same session).
pub async fn callback(
    State(app): State<AppState>,
    session: Session,
    Query(query): Query<CallbackQuery>,
) -> Result<Response, PageError> {
    let started = std::time::Instant::now();
    let result = complete_sign_in(&app, &session, query).await;
    app.metrics.callback_took(started.elapsed());
    if let Err(error) = &result {
        app.metrics.sign_in_failed(error.name());
    }
    // A callback that opened no session leaves only what other tabs still wait for (their
    // pending logins, a sign-out's marker), expiring with them when it is saved again (an
    // untouched session is not rewritten); otherwise nothing at all. One that signed the agent
    // in has just stored them: no need to read them back.
    let signed_in = matches!(result, Ok(Completed::SignedIn(_)));
    if !signed_in && session::get::<AgentSession>(&session, AGENT).await.ok().flatten().is_none() {
        let pending =
            session::get::<PendingLogins>(&session, LOGINS).await.ok().flatten().is_some_and(|l| !l.is_empty());
        let logout = session::get::<PendingLogout>(&session, LOGOUT).await.ok().flatten().is_some();
        if pending || logout {
            if session.is_modified() {
                session::expire_in(&session, LOGIN_TTL_SECONDS.max(LOGOUT_TTL_SECONDS));
            }
        } else {
            let _ = session.flush().await;
        }
    }
    result.map(Completed::into_response)
}

/// How a callback ended without an error.
enum Completed {
    /// The agent is signed in (their session opened or, at step-up, replaced).
    SignedIn(Response),
    /// Nothing was opened (the agent cancelled at the provider).
    Other(Response),
}

impl Completed {
    fn into_response(self) -> Response {
        match self {
            Completed::SignedIn(response) | Completed::Other(response) => response,
        }
    }
}

async fn complete_sign_in(app: &AppState, session: &Session, query: CallbackQuery) -> Result<Completed, PageError> {
    let bad = |name: &'static str, fr: &str, en: &str| {
        tracing::warn!(reason = name, "callback refused");
        AppError::new(StatusCode::BAD_REQUEST, name, fr, en).page()
    };
    let Some(state) = query.state.filter(|s| !s.is_empty()) else {
        return Err(bad(
            "missing_state",
            "La réponse du fournisseur d’identité n’a pas de state : la connexion ne peut pas être vérifiée.",
            "The identity provider's response has no state: the sign-in cannot be checked.",
        ));
    };
    let mut logins: PendingLogins = session::get(session, LOGINS).await?.unwrap_or_default();
    let Some(transaction) = logins.remove(&state) else {
        return Err(bad(
            "invalid_state",
            "Aucune connexion commencée dans ce navigateur ne correspond à cette réponse (expirée, déjà utilisée ou venue d’ailleurs). Reconnectez-vous.",
            "No sign-in started in this browser matches this response (it expired, was already used, or came from elsewhere). Please sign in again.",
        ));
    };
    let saved = if logins.is_empty() {
        session.remove_value(LOGINS).await.map(|_| ())
    } else {
        session::put(session, LOGINS, &logins).await
    };
    saved?;
    // RFC 9207: `iss`, when present (or required by the provider's discovery), is the issuer.
    let iss_required = app.rp.sends_iss().await;
    if query.iss.as_deref().map_or(iss_required, |iss| iss != app.rp.issuer()) {
        return Err(bad(
            "invalid_iss",
            "Cette réponse ne vient pas du fournisseur d’identité de ce service (iss absent ou différent). Reconnectez-vous.",
            "This response does not come from this service's identity provider (iss missing or different). Please sign in again.",
        ));
    }
    if app.clock.now() - transaction.created_at >= LOGIN_TTL_SECONDS {
        return Err(bad(
            "login_expired",
            "Cette connexion a pris trop de temps et a expiré. Reconnectez-vous.",
            "This sign-in took too long and expired. Please sign in again.",
        ));
    }
    if let Some(error) = query.error {
        let error = CallbackError::parse(&error, query.error_description.as_deref().unwrap_or_default());
        // Bounded and escaped: these values come from the query string.
        tracing::info!(error = error.name(), description = ?query.error_description.as_deref().map(|d| d.chars().take(200).collect::<String>()), "provider returned an error");
        if error.is_users_choice() {
            app.metrics.sign_in_failed(error.name());
            let notice = format!("{}?notice={}", app.settings.paths.notice, encode(error.name()));
            return Ok(Completed::Other(Redirect::to(&notice).into_response()));
        }
        return Err(callback_error_page(&error, app.settings.brand).into());
    }
    let Some(code) = query.code.filter(|c| !c.is_empty()) else {
        return Err(bad(
            "missing_code",
            "La réponse du fournisseur d’identité n’a pas de code d’autorisation.",
            "The identity provider's response has no authorization code.",
        ));
    };
    let sign_in = app.rp.complete(code, &transaction.nonce, &transaction.pkce_verifier).await?;
    if let Err(refusal) = check_policy(app, &transaction.required, &sign_in, &transaction.return_to) {
        revoke_later(app, tokens_of(&sign_in));
        return Err(PageError::Page(refusal));
    }
    let tokens = tokens_of(&sign_in);
    let expires_at = app.clock.now() + app.settings.session.absolute_hours as i64 * 3600;
    let agent = AgentSession {
        claims: sign_in.claims,
        acr: sign_in.acr,
        amr: sign_in.amr,
        expires_at,
        csrf_token: crate::state::random_token(),
    };
    // A step-up replaces the agent's tokens: the old ones are revoked once the new ones are saved.
    let replaced: Option<SessionTokens> = session::get(session, TOKENS).await.ok().flatten();
    // Someone else signed in over this session (another account at step-up): nothing of the
    // previous agent's session carries over.
    let previous: Option<AgentSession> = session::get(session, AGENT).await.ok().flatten();
    if previous.is_some_and(|previous| previous.claims.sub != agent.claims.sub) {
        session.clear().await;
    }
    // A new session id at privilege change: no fixation.
    let opened = async {
        session.cycle_id().await?;
        session::put(session, AGENT, &agent).await?;
        session::put(session, TOKENS, &tokens).await?;
        session.insert(TOUCHED_AT, app.clock.now()).await
    };
    // Signed in: from now on the session lives until the idle timeout (the login's ten minutes no more).
    session::expire_when_idle(session, &app.settings.session);
    if let Err(error) = opened.await {
        revoke_later(app, tokens);
        return Err(AppError::session_store(error).page());
    }
    if let Some(old) = replaced {
        revoke_later(app, old);
    }
    tracing::info!(sub = %agent.claims.sub, acr = ?agent.acr.as_ref().map(Acr::as_str), "signed in");
    app.metrics.sign_in_succeeded();
    Ok(Completed::SignedIn(Redirect::to(&transaction.return_to).into_response()))
}

/// The page for an error the provider returned to the callback: 403 when the agent was refused,
/// 502 for the provider's own failure, 400 for a request it found invalid.
fn callback_error_page(error: &CallbackError, brand: proconnect_types::Brand) -> Page {
    let status = match error {
        CallbackError::AccessDenied(AccessDenied::TechnicalError)
        | CallbackError::ServerError
        | CallbackError::Other(_) => StatusCode::BAD_GATEWAY,
        CallbackError::AccessDenied(_) => StatusCode::FORBIDDEN,
        _ => StatusCode::BAD_REQUEST,
    };
    Page::explained(status, error.name(), error.explain(brand))
}

fn tokens_of(sign_in: &SignIn) -> SessionTokens {
    SessionTokens {
        id_token: sign_in.id_token.clone(),
        access_token: sign_in.access_token.clone(),
        refresh_token: sign_in.refresh_token.clone(),
    }
}

/// Checks the ID token's level against what this sign-in asked for and the service's policy as
/// it is now (it may have been raised since the sign-in started), then the agent's roles; the
/// refusal page says what is missing and what to do.
fn check_policy(app: &AppState, asked: &LevelPolicy, sign_in: &SignIn, return_to: &str) -> Result<(), Box<Page>> {
    let acr = sign_in.acr.as_ref();
    if let Some(required) = [asked, &app.settings.policy.level].into_iter().find(|policy| !policy.allows(acr)) {
        tracing::warn!(reason = "insufficient_level", acr = ?sign_in.acr.as_ref().map(Acr::as_str), required = %required, "sign-in refused");
        let retry = format!(
            "{}?acr={}&prompt=login&return_to={}",
            app.settings.paths.route("/auth/login"),
            encode(&required.to_string()),
            encode(return_to)
        );
        return Err(Box::new(Page::insufficient_level(required, sign_in.acr.as_ref(), app.settings.brand, retry)));
    }
    let roles = &app.settings.policy.roles;
    if !roles.allows(&sign_in.claims.roles) {
        tracing::warn!(reason = "roles_refused", sub = %sign_in.claims.sub, "sign-in refused");
        return Err(Box::new(Page::roles_refused(roles, &sign_in.claims)));
    }
    Ok(())
}

/// URL-encodes a query value.
pub fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Revokes tokens in the background (best effort, logged): a slow provider never holds up the
/// agent's page.
fn revoke_later(app: &AppState, tokens: SessionTokens) {
    let app = app.clone();
    tokio::spawn(async move { revoke_all(&app, &tokens.access_token, tokens.refresh_token.as_deref()).await });
}

/// Revokes an access token and a refresh token (both at once), best effort (logged).
async fn revoke_all(app: &AppState, access_token: &str, refresh_token: Option<&str>) {
    let revoke = async |token: &str, hint: &str| {
        if let Err(error) = app.rp.revoke(token, hint).await {
            tracing::info!(%error, hint, "token revocation failed");
        }
    };
    tokio::join!(revoke(access_token, "access_token"), async {
        if let Some(refresh_token) = refresh_token {
            revoke(refresh_token, "refresh_token").await;
        }
    });
}

/// The signed-in agent, if the session holds one that has not expired and whose level the
/// service's policy (`policy.level`) accepts — a session opened before the policy was raised
/// ends here. Saves the session when it was last saved [`TOUCH_EVERY_SECONDS`] ago or more, so
/// that its idle timeout counts from the agent's last activity at the cost of one write per
/// minute at most.
pub async fn current_agent(session: &Session, app: &AppState) -> Result<Option<AgentSession>, AppError> {
    let policy = &app.settings.policy.level;
    let agent: Option<AgentSession> = session::get(session, AGENT).await?;
    let now = app.clock.now();
    match agent {
        Some(agent) if agent.expires_at > now && policy.allows(agent.acr.as_ref()) => {
            let touched_at: i64 = session.get(TOUCHED_AT).await.ok().flatten().unwrap_or(0);
            if now - touched_at >= TOUCH_EVERY_SECONDS {
                session.insert(TOUCHED_AT, now).await?;
            }
            Ok(Some(agent))
        }
        Some(_) => {
            session.flush().await?;
            Ok(None)
        }
        None => Ok(None),
    }
}

/// Requires the anti-forgery header and refuses cross-site requests.
pub fn check_csrf(headers: &HeaderMap, agent: &AgentSession) -> Result<(), AppError> {
    check_csrf_or_field(headers, None, agent)
}

/// Requires the anti-forgery token, from the header or from a form's field (`field`), and
/// refuses cross-site requests (`Sec-Fetch-Site` other than `same-origin` or `none`).
pub fn check_csrf_or_field(headers: &HeaderMap, field: Option<&str>, agent: &AgentSession) -> Result<(), AppError> {
    let cross_site = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|site| site != "same-origin" && site != "none");
    let header = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let token_ok = [header, field].into_iter().flatten().any(|token| constant_time_eq(token, &agent.csrf_token));
    if cross_site || !token_ok {
        tracing::warn!(reason = "csrf", cross_site, "state-changing request refused");
        return Err(AppError::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "Cette requête a été refusée : elle ne venait pas de cette application.",
            "This request was refused: it did not come from this application.",
        ));
    }
    Ok(())
}

/// Compares secrets in time independent of where they differ (the length is not secret).
fn constant_time_eq(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// How long a sign-out waits for the provider (revocation; `session/end` discovery) before going
/// on without it.
pub const PROVIDER_AT_LOGOUT: Duration = Duration::from_secs(3);

/// The form of `POST /auth/logout`: the SPA's sign-out form sends the anti-forgery token as a
/// field (a script may send the [`CSRF_HEADER`] instead).
#[derive(Debug, Default, Deserialize)]
pub struct LogoutForm {
    csrf_token: Option<String>,
}

/// `POST /auth/logout`, a form navigation: ends the local session at once (agent and tokens
/// removed, a new session id), revokes the tokens at the provider (awaited at most
/// [`PROVIDER_AT_LOGOUT`], then logged and given up), and answers `303 See Other` to the
/// provider's `session/end` (keeping only a [`PendingLogout`] for ten minutes), or to
/// `paths.signed_out` (`/deconnecte`) with `?local=1` when the provider cannot be reached. No answer a script can read
/// carries a token: the ID token only travels in that redirect's `Location`.
pub async fn logout(
    State(app): State<AppState>,
    session: Session,
    headers: HeaderMap,
    form: Result<Form<LogoutForm>, FormRejection>,
) -> Result<Response, PageError> {
    let agent = current_agent(&session, &app).await?.ok_or_else(|| logout_refused(AppError::unauthenticated()))?;
    let field = form.ok().and_then(|Form(form)| form.csrf_token);
    check_csrf_or_field(&headers, field.as_deref(), &agent).map_err(logout_refused)?;
    let tokens: Option<SessionTokens> = session::get(&session, TOKENS).await?;
    // Signed out here first, whatever the provider does next: the old record is deleted now.
    session.clear().await;
    let ended = session.cycle_id().await;
    let state = crate::state::random_token();
    let (end_session, ()) =
        tokio::join!(end_session_url(&app, tokens.as_ref(), &state), revoke_within(&app, tokens.as_ref()));
    ended?;
    tracing::info!(sub = %agent.claims.sub, "signed out");
    let Some(url) = end_session else {
        session.flush().await?;
        return Ok(Redirect::to(&format!("{}?local=1", app.settings.paths.signed_out)).into_response());
    };
    session::put(&session, LOGOUT, &PendingLogout { state, created_at: app.clock.now() }).await?;
    session::expire_in(&session, LOGOUT_TTL_SECONDS);
    Ok(Redirect::to(url.as_str()).into_response())
}

/// The provider's `session/end` URL for these tokens, if it publishes one and answers within
/// [`PROVIDER_AT_LOGOUT`]; `None` (a local sign-out) otherwise.
async fn end_session_url(app: &AppState, tokens: Option<&SessionTokens>, state: &str) -> Option<Url> {
    // No ID token to send to the provider: sign out here only.
    let tokens = tokens?;
    let found = async {
        app.rp.reachable().await?;
        app.rp.end_session_url(&tokens.id_token, state).await
    };
    match tokio::time::timeout(PROVIDER_AT_LOGOUT, found).await {
        Ok(Ok(url)) => url,
        Ok(Err(error)) => {
            tracing::warn!(%error, "provider unreachable at logout: signing out locally");
            None
        }
        Err(_) => {
            tracing::warn!(seconds = PROVIDER_AT_LOGOUT.as_secs(), "provider too slow at logout: signing out locally");
            None
        }
    }
}

/// Revokes the tokens, waiting at most [`PROVIDER_AT_LOGOUT`].
async fn revoke_within(app: &AppState, tokens: Option<&SessionTokens>) {
    let Some(tokens) = tokens else { return };
    let revoked = revoke_all(app, &tokens.access_token, tokens.refresh_token.as_deref());
    if tokio::time::timeout(PROVIDER_AT_LOGOUT, revoked).await.is_err() {
        tracing::warn!(
            seconds = PROVIDER_AT_LOGOUT.as_secs(),
            "token revocation given up: the provider did not answer in time (the local sign-out stands)"
        );
    }
}

/// A refused sign-out as a page: what happened, that the agent is still signed in (or was not),
/// and the way back.
fn logout_refused(error: AppError) -> PageError {
    let title = if error.status == StatusCode::UNAUTHORIZED {
        Bilingual::new("Vous n’êtes pas connecté", "You are not signed in")
    } else {
        Bilingual::new("La déconnexion a été refusée", "The sign-out was refused")
    };
    let next = if error.status == StatusCode::UNAUTHORIZED {
        Bilingual::new(
            "Aucune session n’est ouverte dans ce navigateur : il n’y a rien à déconnecter.",
            "No session is open in this browser: there is nothing to sign out of.",
        )
    } else {
        Bilingual::new(
            "Vous êtes toujours connecté. Pour vous déconnecter, utilisez le bouton « Se déconnecter » du service.",
            "You are still signed in. To sign out, use the service's Sign out button.",
        )
    };
    PageError::Page(Box::new(Page {
        status: error.status,
        code: error.error,
        title,
        paragraphs: vec![Bilingual::new(error.message_fr, error.message), next],
        facts: Vec::new(),
        actions: vec![crate::pages::home()],
        contact_support: false,
    }))
}

/// Query of `GET /auth/logout/callback`.
#[derive(Debug, Deserialize)]
pub struct LogoutCallbackQuery {
    state: Option<String>,
}

/// `GET /auth/logout/callback`: the provider's return after `session/end`. The sign-out itself
/// happened at `POST /auth/logout`; this only checks `state` against the marker it left (at
/// most [`LOGOUT_TTL_SECONDS`] old), clears the marker and redirects to the signed-out page
/// (`paths.signed_out`).
pub async fn logout_callback(
    State(app): State<AppState>,
    session: Session,
    Query(query): Query<LogoutCallbackQuery>,
) -> Result<Response, PageError> {
    let marker: Option<PendingLogout> = session::get(&session, LOGOUT).await?;
    let matches = match (&marker, &query.state) {
        (Some(marker), Some(state)) => {
            constant_time_eq(&marker.state, state) && app.clock.now() - marker.created_at < LOGOUT_TTL_SECONDS
        }
        _ => false,
    };
    if !matches {
        tracing::warn!(reason = "invalid_logout_state", "logout callback refused");
        return Err(AppError::new(
            StatusCode::BAD_REQUEST,
            "invalid_logout_state",
            "Cette réponse de déconnexion ne correspond à aucune déconnexion commencée ici (ou elle a expiré).",
            "This sign-out response does not match a sign-out started here (or it expired).",
        )
        .page());
    }
    // Nothing else should be left, but an agent who signed in again meanwhile keeps their
    // session, and another tab's sign-in in progress its transaction.
    session.remove_value(LOGOUT).await?;
    if session::get::<AgentSession>(&session, AGENT).await.ok().flatten().is_none() {
        let pending =
            session::get::<PendingLogins>(&session, LOGINS).await.ok().flatten().is_some_and(|l| !l.is_empty());
        if pending {
            session::expire_in(&session, LOGIN_TTL_SECONDS);
        } else {
            session.flush().await?;
        }
    }
    Ok(Redirect::to(&app.settings.paths.signed_out).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sign_in_may_require_more_than_the_policy_never_less() {
        let any = LevelPolicy::Any;
        let two = LevelPolicy::TwoFactor;
        assert_eq!(required_level(&any, None).ok(), Some(any.clone()));
        assert_eq!(required_level(&any, Some("two-factor")).ok(), Some(two.clone()));
        assert_eq!(required_level(&two, Some("any")).ok(), Some(two.clone()));
        assert_eq!(required_level(&two, Some("eidas3")).ok(), Some(LevelPolicy::OneOf(vec![Acr::Eidas3])));
        let weaker = required_level(&two, Some("eidas1")).expect_err("eidas1 is below two-factor");
        assert_eq!(weaker.status, StatusCode::BAD_REQUEST);
        assert!(weaker.message_fr.contains("deux facteurs"), "{}", weaker.message_fr);
        assert!(required_level(&any, Some("eidas9")).is_err());
    }
}
