//! The OpenID Provider endpoints under `/api/v2` and the interaction pages.

use crate::config::{AgentConfig, ClientConfig, IdentityProviderConfig, SigningAlg};
use crate::keys::{at_hash, pkce_s256, random_token};
use crate::pages::{error_page, fi_login, mire};
use crate::store::{AccessGrant, CodeGrant, Interaction, ProviderSession};
use crate::Simulator;
use axum::extract::{Form, Path, RawForm, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use shared::{Brand, ErrorCode, Scope, Scopes};
use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use url::Url;

const SESSION_COOKIE: &str = "ac_sim_session";
const INTERACTION_COOKIE: &str = "ac_sim_interaction";
const MIN_RANDOM_LEN: usize = 32;
const AUTHORIZE_PARAMS: [&str; 13] = [
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "acr_values",
    "state",
    "nonce",
    "claims",
    "prompt",
    "idp_hint",
    "login_hint",
    "code_challenge",
    "code_challenge_method",
];

pub fn router(sim: Simulator) -> Router {
    Router::new()
        .route("/api/v2/.well-known/openid-configuration", get(discovery))
        .route("/api/v2/jwks", get(jwks))
        .route("/api/v2/authorize", get(authorize_get).post(authorize_post))
        .route("/api/v2/token", post(token))
        .route("/api/v2/userinfo", get(userinfo))
        .route("/api/v2/session/end", get(session_end))
        .route("/api/v2/token/revocation", post(revocation))
        .route("/interaction/{id}", get(mire_page).post(mire_submit))
        .route("/interaction/{id}/cancel", get(cancel))
        .route("/interaction/{id}/fi/{idp}", get(fi_page).post(fi_submit))
        .fallback(|| async { error_page(ErrorCode::Y000404, "route inconnue") })
        .with_state(sim)
}

fn now_unix() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

async fn discovery(State(sim): State<Simulator>) -> Json<Value> {
    let issuer = sim.issuer();
    let proconnect = sim.config().brand == Brand::ProConnect;
    let scopes: Vec<&str> = Scope::ALL
        .into_iter()
        .filter(|s| proconnect || *s != Scope::Custom)
        .map(Scope::as_str)
        .collect();
    let mut claims: Vec<&str> = Scope::ALL.iter().flat_map(|s| s.claims().iter().copied()).collect();
    claims.extend(["iss", "aud", "exp", "iat", "nonce", "acr", "auth_time", "sid", "at_hash", "amr"]);
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "end_session_endpoint": format!("{issuer}/session/end"),
        "revocation_endpoint": format!("{issuer}/token/revocation"),
        "jwks_uri": format!("{issuer}/jwks"),
        "scopes_supported": scopes,
        "claims_supported": claims,
        "acr_values_supported": ["eidas1", "eidas2", "eidas3"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "token_endpoint_auth_methods_supported": ["client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_post"],
        "id_token_signing_alg_values_supported": ["ES256", "RS256", "HS256"],
        "userinfo_signing_alg_values_supported": ["ES256", "RS256", "HS256"],
        "code_challenge_methods_supported": ["S256"],
        "claims_parameter_supported": true,
        "request_parameter_supported": false,
        "prompt_values_supported": if proconnect { json!(["login", "none", "consent"]) } else { json!(["login", "consent"]) },
    }))
}

async fn jwks(State(sim): State<Simulator>) -> Response {
    if let Some(delay) = sim.faults().delay {
        tokio::time::sleep(delay).await;
    }
    let jwks = sim.0.keys.read().expect("key ring lock").jwks();
    ([(header::CACHE_CONTROL, "public, max-age=60")], Json(jwks)).into_response()
}

fn parse_params(raw: Option<&str>) -> Result<HashMap<String, String>, String> {
    let mut params = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        if !AUTHORIZE_PARAMS.contains(&name.as_ref()) {
            return Err(format!("paramètre inconnu : {name}"));
        }
        if params.insert(name.to_string(), value.to_string()).is_some() {
            return Err(format!("paramètre répété : {name}"));
        }
    }
    Ok(params)
}

async fn authorize_get(State(sim): State<Simulator>, jar: CookieJar, RawQuery(query): RawQuery) -> Response {
    authorize(sim, jar, query.as_deref()).await
}

async fn authorize_post(State(sim): State<Simulator>, jar: CookieJar, RawForm(body): RawForm) -> Response {
    authorize(sim, jar, std::str::from_utf8(&body).ok()).await
}

/// An error sent back to the FS callback (§3).
fn callback_error(redirect_uri: &str, error: &str, description: &str, state: &str) -> Response {
    match Url::parse(redirect_uri) {
        Ok(mut url) => {
            url.query_pairs_mut()
                .append_pair("error", error)
                .append_pair("error_description", description)
                .append_pair("state", state);
            Redirect::to(url.as_str()).into_response()
        }
        Err(_) => error_page(ErrorCode::Y030031, "redirect_uri invalide"),
    }
}

async fn authorize(sim: Simulator, jar: CookieJar, raw: Option<&str>) -> Response {
    let params = match parse_params(raw) {
        Ok(params) => params,
        Err(detail) => return error_page(ErrorCode::Y000400, &detail),
    };
    for required in ["response_type", "client_id", "redirect_uri", "scope", "acr_values", "state", "nonce"] {
        if params.get(required).is_none_or(|v| v.is_empty()) {
            return error_page(ErrorCode::Y000400, &format!("paramètre obligatoire manquant : {required}"));
        }
    }
    let get = |name: &str| params.get(name).cloned().unwrap_or_default();
    let Some(client) = sim.config().client(&get("client_id")).cloned() else {
        return error_page(ErrorCode::Y000400, "client_id inconnu");
    };
    let redirect_uri = get("redirect_uri");
    if !client.redirect_uris.contains(&redirect_uri) {
        return error_page(ErrorCode::Y030031, "redirect_uri non enregistrée pour ce fournisseur de service");
    }
    if get("response_type") != "code" {
        return error_page(ErrorCode::Y000400, "response_type doit valoir code");
    }
    if get("acr_values") != "eidas1" {
        return error_page(ErrorCode::Y000400, "acr_values doit valoir eidas1");
    }
    for name in ["state", "nonce"] {
        if get(name).chars().count() < MIN_RANDOM_LEN {
            return error_page(ErrorCode::Y000400, &format!("{name} doit faire au moins {MIN_RANDOM_LEN} caractères"));
        }
    }
    let state = get("state");
    let want_amr = match params.get("claims") {
        None => false,
        Some(claims) => match serde_json::from_str::<Value>(claims) {
            Ok(value) if value.is_object() => value.pointer("/id_token/amr").is_some(),
            _ => return error_page(ErrorCode::Y000400, "claims doit être un objet JSON"),
        },
    };
    let code_challenge = match (params.get("code_challenge"), params.get("code_challenge_method").map(String::as_str)) {
        (None, None) => None,
        (Some(challenge), Some("S256")) if challenge.len() >= 43 => Some(challenge.clone()),
        _ => return error_page(ErrorCode::Y000400, "PKCE : code_challenge (S256) invalide"),
    };
    let prompt: Vec<&str> = params.get("prompt").map(|p| p.split(' ').collect()).unwrap_or_default();
    if prompt.iter().any(|p| !["login", "none", "consent"].contains(p)) || (prompt.contains(&"none") && prompt.len() > 1) {
        return error_page(ErrorCode::Y000400, "prompt invalide");
    }
    let scopes = match Scopes::parse(&get("scope")) {
        Ok(scopes) if scopes.contains(Scope::Openid) && scopes.0.iter().all(|s| client.scopes.contains(s)) => scopes,
        _ => return callback_error(&redirect_uri, "invalid_scope", "scope non autorisé pour ce fournisseur de service", &state),
    };
    let interaction = Interaction {
        client_id: client.client_id.clone(),
        redirect_uri: redirect_uri.clone(),
        scopes,
        state: state.clone(),
        nonce: get("nonce"),
        want_amr,
        code_challenge,
        login_hint: params.get("login_hint").cloned(),
        created: Instant::now(),
    };
    let session = sim.session(&jar);
    if prompt.contains(&"none") {
        return match session {
            Some(session) => sim.issue_code(interaction, session),
            None => callback_error(&redirect_uri, "login_required", "End-User authentication is required", &state),
        };
    }
    if let Some(session) = session.filter(|_| !prompt.contains(&"login")) {
        return sim.issue_code(interaction, session);
    }
    let id = random_token(24);
    sim.0.store.lock().expect("store lock").interactions.insert(id.clone(), interaction);
    let next = match params.get("idp_hint").and_then(|hint| sim.config().idp(hint)) {
        Some(idp) => format!("/interaction/{id}/fi/{}", idp.idp_id),
        None => format!("/interaction/{id}"),
    };
    let cookie = Cookie::build((INTERACTION_COOKIE, id)).path("/").http_only(true).same_site(SameSite::Lax);
    (jar.add(cookie), Redirect::to(&next)).into_response()
}

impl Simulator {
    fn session(&self, jar: &CookieJar) -> Option<ProviderSession> {
        let id = jar.get(SESSION_COOKIE)?.value().to_owned();
        let mut store = self.0.store.lock().expect("store lock");
        let lifetime = Duration::from_secs(self.config().session_hours * 3600);
        match store.sessions.get(&id) {
            Some(session) if session.created.elapsed() < lifetime => Some(session.clone()),
            Some(_) => {
                store.sessions.remove(&id);
                None
            }
            None => None,
        }
    }

    /// Issues a code for a signed-in agent and sends the browser back to the FS.
    fn issue_code(&self, interaction: Interaction, session: ProviderSession) -> Response {
        let Some(idp) = self.config().idp(&session.idp_id) else {
            return error_page(ErrorCode::Y020023, "fournisseur d'identité inconnu");
        };
        if idp.acr != "eidas1" {
            return error_page(ErrorCode::Y020018, "le fournisseur d'identité a renvoyé un niveau autre que eidas1");
        }
        let code = random_token(32);
        let mut url = match Url::parse(&interaction.redirect_uri) {
            Ok(url) => url,
            Err(_) => return error_page(ErrorCode::Y030031, "redirect_uri invalide"),
        };
        url.query_pairs_mut().append_pair("code", &code).append_pair("state", &interaction.state);
        self.0.store.lock().expect("store lock").codes.insert(
            code,
            CodeGrant { interaction, session, created: Instant::now() },
        );
        Redirect::to(url.as_str()).into_response()
    }

    fn interaction(&self, jar: &CookieJar, id: &str) -> Result<Interaction, Response> {
        if jar.get(INTERACTION_COOKIE).is_none_or(|c| c.value() != id) {
            return Err(error_page(ErrorCode::Y030110, "cookie de session AgentConnect absent"));
        }
        let store = self.0.store.lock().expect("store lock");
        match store.interactions.get(id) {
            Some(interaction) if interaction.created.elapsed() < Duration::from_secs(600) => Ok(interaction.clone()),
            _ => Err(error_page(ErrorCode::Y030110, "la demande de connexion a expiré ; recommencez depuis le service")),
        }
    }

    fn client_of(&self, interaction: &Interaction) -> Option<&ClientConfig> {
        self.config().client(&interaction.client_id)
    }
}

async fn mire_page(State(sim): State<Simulator>, jar: CookieJar, Path(id): Path<String>) -> Response {
    let interaction = match sim.interaction(&jar, &id) {
        Ok(i) => i,
        Err(page) => return page,
    };
    let client = sim.client_of(&interaction).cloned();
    let (name, home) = client.map(|c| (c.name, c.home_url)).unwrap_or_default();
    mire(&id, &name, &home, interaction.login_hint.as_deref().unwrap_or_default(), None)
}

#[derive(Deserialize)]
struct MireForm {
    email: String,
}

async fn mire_submit(State(sim): State<Simulator>, jar: CookieJar, Path(id): Path<String>, Form(form): Form<MireForm>) -> Response {
    let interaction = match sim.interaction(&jar, &id) {
        Ok(i) => i,
        Err(page) => return page,
    };
    match sim.config().idp_for_email(form.email.trim()) {
        Some(idp) => {
            let login = form.email.trim().split('@').next().unwrap_or_default();
            let login = idp.agents.iter().find(|a| a.email.eq_ignore_ascii_case(form.email.trim())).map_or(login, |a| a.login.as_str());
            let mut url = format!("/interaction/{id}/fi/{}", idp.idp_id);
            url.push_str(&format!("?login={}", url::form_urlencoded::byte_serialize(login.as_bytes()).collect::<String>()));
            Redirect::to(&url).into_response()
        }
        None => {
            let client = sim.client_of(&interaction).cloned();
            let (name, home) = client.map(|c| (c.name, c.home_url)).unwrap_or_default();
            mire(&id, &name, &home, &form.email, Some("Aucun fournisseur d'identité ne correspond à ce domaine."))
        }
    }
}

async fn cancel(State(sim): State<Simulator>, jar: CookieJar, Path(id): Path<String>) -> Response {
    let interaction = match sim.interaction(&jar, &id) {
        Ok(i) => i,
        Err(page) => return page,
    };
    sim.0.store.lock().expect("store lock").interactions.remove(&id);
    callback_error(&interaction.redirect_uri, "access_denied", "User auth aborted", &interaction.state)
}

#[derive(Deserialize)]
struct FiQuery {
    login: Option<String>,
}

async fn fi_page(
    State(sim): State<Simulator>,
    jar: CookieJar,
    Path((id, idp_id)): Path<(String, String)>,
    axum::extract::Query(query): axum::extract::Query<FiQuery>,
) -> Response {
    if let Err(page) = sim.interaction(&jar, &id) {
        return page;
    }
    match sim.config().idp(&idp_id) {
        Some(idp) => fi_login(&id, &idp.idp_id, &idp.name, query.login.as_deref().unwrap_or_default(), None),
        None => error_page(ErrorCode::Y020023, "fournisseur d'identité inconnu"),
    }
}

#[derive(Deserialize)]
struct FiForm {
    login: String,
    password: String,
}

async fn fi_submit(
    State(sim): State<Simulator>,
    jar: CookieJar,
    Path((id, idp_id)): Path<(String, String)>,
    Form(form): Form<FiForm>,
) -> Response {
    let interaction = match sim.interaction(&jar, &id) {
        Ok(i) => i,
        Err(page) => return page,
    };
    let Some(idp) = sim.config().idp(&idp_id) else {
        return error_page(ErrorCode::Y020023, "fournisseur d'identité inconnu");
    };
    let Some(agent) = idp.agents.iter().find(|a| a.login == form.login && a.password == form.password) else {
        return fi_login(&id, &idp.idp_id, &idp.name, &form.login, Some("Identifiant ou mot de passe incorrect."));
    };
    let session = ProviderSession {
        idp_id: idp.idp_id.clone(),
        login: agent.login.clone(),
        auth_time: now_unix(),
        sid: random_token(24),
        created: Instant::now(),
    };
    let session_id = random_token(32);
    {
        let mut store = sim.0.store.lock().expect("store lock");
        store.interactions.remove(&id);
        store.sessions.insert(session_id.clone(), session.clone());
    }
    let max_age = time_duration(sim.config().session_hours * 3600);
    let cookie = Cookie::build((SESSION_COOKIE, session_id)).path("/").http_only(true).same_site(SameSite::Lax).max_age(max_age);
    let jar = jar.add(cookie).remove(Cookie::build(INTERACTION_COOKIE).path("/"));
    (jar, sim.issue_code(interaction, session)).into_response()
}

fn time_duration(seconds: u64) -> time::Duration {
    time::Duration::seconds(seconds as i64)
}

/// A token-endpoint error as RFC 6749 §5.2 JSON.
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], Json(json!({"error": error, "error_description": description}))).into_response()
}

fn authenticate_client<'a>(sim: &'a Simulator, form: &HashMap<String, String>) -> Result<&'a ClientConfig, Response> {
    let client_id = form.get("client_id").map(String::as_str).unwrap_or_default();
    match sim.config().client(client_id) {
        Some(client) if form.get("client_secret").is_some_and(|s| *s == client.client_secret) => Ok(client),
        _ => Err(oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "client authentication failed (client_secret_post)")),
    }
}

fn agent<'a>(sim: &'a Simulator, idp_id: &str, login: &str) -> Option<(&'a IdentityProviderConfig, &'a AgentConfig)> {
    let idp = sim.config().idp(idp_id)?;
    Some((idp, idp.agents.iter().find(|a| a.login == login)?))
}

/// `sub`: opaque, different for every FS and every FI.
fn subject(client_id: &str, idp_id: &str, uid: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("{client_id}\u{0}{idp_id}\u{0}{uid}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

async fn token(State(sim): State<Simulator>, Form(form): Form<HashMap<String, String>>) -> Response {
    let faults = sim.faults();
    if let Some(delay) = faults.delay {
        tokio::time::sleep(delay).await;
    }
    if let Some(status) = faults.token_status {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return (status, "simulated failure").into_response();
    }
    let client = match authenticate_client(&sim, &form) {
        Ok(client) => client,
        Err(response) => return response,
    };
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "only authorization_code is supported");
    }
    let code = form.get("code").cloned().unwrap_or_default();
    // Single use: removed whatever happens next.
    let grant = sim.0.store.lock().expect("store lock").codes.remove(&code);
    let Some(grant) = grant else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "unknown, expired or already used code");
    };
    if grant.created.elapsed() > Duration::from_secs(sim.config().code_ttl_seconds) {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "the code has expired (30 seconds)");
    }
    if grant.interaction.client_id != client.client_id {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "the code was issued to another client");
    }
    if form.get("redirect_uri") != Some(&grant.interaction.redirect_uri) {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "redirect_uri differs from the authorization request");
    }
    match (&grant.interaction.code_challenge, form.get("code_verifier")) {
        (None, None) => {}
        (Some(challenge), Some(verifier)) if pkce_s256(verifier) == *challenge => {}
        _ => return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "PKCE verification failed"),
    }
    let Some((idp, agent)) = agent(&sim, &grant.session.idp_id, &grant.session.login) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "the agent no longer exists");
    };
    let access_token = random_token(32);
    let now = now_unix();
    let ttl = sim.config().access_token_ttl_seconds;
    let mut claims = Map::new();
    claims.insert("iss".into(), json!(sim.issuer()));
    claims.insert("sub".into(), json!(subject(&client.client_id, &idp.idp_id, &agent.uid)));
    claims.insert("aud".into(), json!(client.client_id));
    claims.insert("exp".into(), json!(now + ttl as i64));
    claims.insert("iat".into(), json!(now));
    claims.insert("nonce".into(), json!(grant.interaction.nonce));
    claims.insert("acr".into(), json!(idp.acr));
    claims.insert("auth_time".into(), json!(grant.session.auth_time));
    claims.insert("sid".into(), json!(grant.session.sid));
    claims.insert("at_hash".into(), json!(at_hash(&access_token)));
    if grant.interaction.want_amr {
        claims.insert("amr".into(), json!(agent.amr));
    }
    for (name, value) in &faults.id_token_overrides {
        match value {
            Value::Null => claims.remove(name),
            value => claims.insert(name.clone(), value.clone()),
        };
    }
    let id_token = match sim.sign(client, &Value::Object(claims), faults.id_token_unknown_key) {
        Ok(token) => token,
        Err(error) => return oauth_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", &error.to_string()),
    };
    sim.0.store.lock().expect("store lock").access_tokens.insert(
        access_token.clone(),
        AccessGrant {
            client_id: client.client_id.clone(),
            scopes: grant.interaction.scopes.clone(),
            idp_id: idp.idp_id.clone(),
            login: agent.login.clone(),
            created: Instant::now(),
        },
    );
    (
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({"access_token": access_token, "token_type": "Bearer", "expires_in": ttl, "id_token": id_token, "scope": grant.interaction.scopes.to_string()})),
    )
        .into_response()
}

impl Simulator {
    fn sign(&self, client: &ClientConfig, claims: &Value, unknown_key: bool) -> anyhow::Result<String> {
        if unknown_key {
            let alg = if client.alg == SigningAlg::HS256 { SigningAlg::ES256 } else { client.alg };
            let (key, kid) = crate::keys::rogue_key(alg)?;
            let mut header = jsonwebtoken::Header::new(crate::keys::algorithm(alg));
            header.kid = Some(kid);
            return Ok(jsonwebtoken::encode(&header, claims, &key)?);
        }
        self.0.keys.read().expect("key ring lock").sign(client.alg, &client.client_secret, claims)
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ")
}

async fn userinfo(State(sim): State<Simulator>, headers: HeaderMap) -> Response {
    let faults = sim.faults();
    if let Some(delay) = faults.delay {
        tokio::time::sleep(delay).await;
    }
    let unauthorized = |error: &str, description: &str| {
        let mut response = oauth_error(StatusCode::UNAUTHORIZED, error, description);
        if let Ok(value) = format!("Bearer error=\"{error}\"").parse() {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
        }
        response
    };
    let Some(token) = bearer(&headers) else {
        return unauthorized("invalid_request", "missing Bearer access token");
    };
    let grant = sim.0.store.lock().expect("store lock").access_tokens.get(token).cloned();
    let Some(grant) = grant else {
        return unauthorized("invalid_token", "unknown or revoked access token");
    };
    if grant.created.elapsed() > Duration::from_secs(sim.config().access_token_ttl_seconds) {
        return unauthorized("invalid_token", "Y030025: access token expired");
    }
    let (Some(client), Some((idp, agent))) = (sim.config().client(&grant.client_id), agent(&sim, &grant.idp_id, &grant.login)) else {
        return unauthorized("invalid_token", "the client or agent no longer exists");
    };
    let now = now_unix();
    let mut claims = Map::new();
    claims.insert("iss".into(), json!(sim.issuer()));
    claims.insert("aud".into(), json!(client.client_id));
    claims.insert("iat".into(), json!(now));
    claims.insert("exp".into(), json!(now + sim.config().access_token_ttl_seconds as i64));
    for scope in &grant.scopes.0 {
        for name in scope.claims() {
            let value = match *name {
                "sub" => Some(json!(faults.userinfo_sub.clone().unwrap_or_else(|| subject(&client.client_id, &idp.idp_id, &agent.uid)))),
                "email" => Some(json!(agent.email)),
                "uid" => Some(json!(agent.uid)),
                "idp_id" => Some(json!(idp.idp_id)),
                "idp_acr" => Some(json!(idp.acr)),
                other => agent.claims.get(other).and_then(|v| serde_json::to_value(v).ok()),
            };
            if let Some(value) = value {
                claims.insert((*name).to_owned(), value);
            }
        }
    }
    match sim.sign(client, &Value::Object(claims), faults.userinfo_unknown_key) {
        Ok(jwt) => ([(header::CONTENT_TYPE, "application/jwt"), (header::CACHE_CONTROL, "no-store")], jwt).into_response(),
        Err(error) => oauth_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", &error.to_string()),
    }
}

#[derive(Deserialize)]
struct EndSessionQuery {
    id_token_hint: Option<String>,
    state: Option<String>,
    post_logout_redirect_uri: Option<String>,
}

async fn session_end(State(sim): State<Simulator>, jar: CookieJar, RawQuery(query): RawQuery) -> Response {
    let Ok(query) = serde_urlencoded::from_str::<EndSessionQuery>(query.as_deref().unwrap_or_default()) else {
        return error_page(ErrorCode::Y000400, "paramètres de déconnexion invalides");
    };
    let Some(hint) = query.id_token_hint.filter(|h| !h.is_empty()) else {
        return error_page(ErrorCode::Y000400, "id_token_hint manquant");
    };
    let client = unverified_audience(&hint).and_then(|aud| sim.config().client(&aud));
    let Some(client) = client else {
        return error_page(ErrorCode::Y000400, "id_token_hint invalide");
    };
    if sim.0.keys.read().expect("key ring lock").verify_own(&hint, client.alg, &client.client_secret).is_none() {
        return error_page(ErrorCode::Y000400, "id_token_hint invalide (signature)");
    }
    let Some(target) = query.post_logout_redirect_uri.filter(|uri| client.post_logout_redirect_uris.contains(uri)) else {
        return error_page(ErrorCode::Y030111, "post_logout_redirect_uri non enregistrée");
    };
    let Ok(mut url) = Url::parse(&target) else {
        return error_page(ErrorCode::Y030111, "post_logout_redirect_uri invalide");
    };
    if let Some(state) = query.state {
        url.query_pairs_mut().append_pair("state", &state);
    }
    if let Some(cookie) = jar.get(SESSION_COOKIE) {
        sim.0.store.lock().expect("store lock").sessions.remove(cookie.value());
    }
    (jar.remove(Cookie::build(SESSION_COOKIE).path("/")), Redirect::to(url.as_str())).into_response()
}

/// The `aud` of a JWT before verification (to find which client's key verifies it).
fn unverified_audience(token: &str) -> Option<String> {
    use base64::Engine;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).ok()?;
    let claims: Value = serde_json::from_slice(&bytes).ok()?;
    match claims.get("aud")? {
        Value::String(aud) => Some(aud.clone()),
        Value::Array(auds) => auds.first()?.as_str().map(str::to_owned),
        _ => None,
    }
}

/// RFC 7009: revokes an access token; unknown tokens are not an error.
async fn revocation(State(sim): State<Simulator>, Form(form): Form<HashMap<String, String>>) -> Response {
    let client = match authenticate_client(&sim, &form) {
        Ok(client) => client.client_id.clone(),
        Err(response) => return response,
    };
    let Some(token) = form.get("token") else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "missing token");
    };
    let mut store = sim.0.store.lock().expect("store lock");
    if store.access_tokens.get(token).is_some_and(|grant| grant.client_id == client) {
        store.access_tokens.remove(token);
    }
    StatusCode::OK.into_response()
}
