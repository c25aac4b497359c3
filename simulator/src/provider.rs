//! The router, and the back-channel endpoints under `/api/v2`: discovery, JWKS, token (§3),
//! userinfo (§3), revocation (RFC 7009) and RP-initiated logout (§4).

use crate::Simulator;
use crate::authorize::{self, INTERACTION_TTL, SESSION_COOKIE};
use crate::config::{AgentConfig, ClientConfig, IdentityProviderConfig};
use crate::faults::Forgery;
use crate::keys::{at_hash, pkce_s256, random_token};
use crate::pages::error_page;
use crate::store::{AccessGrant, ConsumedCode, Lifetimes};
use axum::extract::{RawForm, RawQuery, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::Cookie;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use shared::{Brand, ErrorCode, Scope};
use std::collections::HashMap;
use std::time::Duration;
use url::Url;

/// Every route of the simulator; anything else is `Y000404`.
pub fn router(sim: Simulator) -> Router {
    Router::new()
        .route("/api/v2/.well-known/openid-configuration", get(discovery))
        .route("/api/v2/jwks", get(jwks))
        .route("/api/v2/authorize", get(authorize::authorize_get).post(authorize::authorize_post))
        .route("/api/v2/token", post(token))
        .route("/api/v2/userinfo", get(userinfo))
        .route("/api/v2/session/end", get(session_end))
        .route("/api/v2/token/revocation", post(revocation))
        .route("/interaction/{id}", get(authorize::mire_page).post(authorize::mire_submit))
        .route("/interaction/{id}/cancel", get(authorize::cancel))
        .route("/interaction/{id}/fi/{idp}", get(authorize::fi_page).post(authorize::fi_submit))
        .fallback(|| async { error_page(ErrorCode::Y000404, "route inconnue") })
        .with_state(sim)
}

impl Simulator {
    /// The configured lifetimes.
    pub(crate) fn lifetimes(&self) -> Lifetimes {
        let config = self.config();
        Lifetimes {
            interaction: INTERACTION_TTL,
            code: Duration::from_secs(config.code_ttl_seconds),
            access_token: Duration::from_secs(config.access_token_ttl_seconds),
            session: Duration::from_secs(config.session_hours.saturating_mul(3600)),
        }
    }

    /// Signs claims for a client, or forges the signature when a fault asks for it.
    fn sign(&self, client: &ClientConfig, claims: &Value, forgery: Option<Forgery>) -> anyhow::Result<String> {
        let keys = self.keys();
        match forgery {
            Some(forgery) => keys.forge(forgery, client.alg, claims),
            None => keys.sign(client.alg, &client.client_secret, claims),
        }
    }

    async fn injected_delay(&self) {
        if let Some(delay) = self.faults().delay {
            tokio::time::sleep(delay).await;
        }
    }
}

async fn discovery(State(sim): State<Simulator>) -> Json<Value> {
    let issuer = sim.issuer();
    let proconnect = sim.config().brand == Brand::ProConnect;
    let offered = |s: &Scope| proconnect || *s != Scope::Custom;
    let scopes: Vec<&str> = Scope::ALL.into_iter().filter(offered).map(Scope::as_str).collect();
    let mut claims: Vec<&str> =
        Scope::ALL.iter().filter(|s| offered(s)).flat_map(|s| s.claims().iter().copied()).collect();
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
        "request_uri_parameter_supported": false,
        // One platform behind both brands: silent login is accepted whichever button the FS shows.
        "prompt_values_supported": ["login", "none", "consent"],
    }))
}

async fn jwks(State(sim): State<Simulator>) -> Response {
    sim.injected_delay().await;
    let now = sim.clock().now();
    let jwks = sim.keys().jwks(now);
    ([(header::CACHE_CONTROL, "public, max-age=60")], Json(jwks)).into_response()
}

/// An RFC 6749 §5.2 error as JSON.
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], Json(json!({"error": error, "error_description": description})))
        .into_response()
}

/// A form body (`application/x-www-form-urlencoded`); a repeated parameter is refused (RFC 6749 §3.2).
fn parse_form(body: &[u8]) -> Result<HashMap<String, String>, Response> {
    let mut form = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(body) {
        if form.insert(name.to_string(), value.to_string()).is_some() {
            return Err(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                &format!("repeated parameter: {name}"),
            ));
        }
    }
    Ok(form)
}

/// client_secret_post authentication.
fn authenticate_client<'a>(sim: &'a Simulator, form: &HashMap<String, String>) -> Result<&'a ClientConfig, Response> {
    let client_id = form.get("client_id").map(String::as_str).unwrap_or_default();
    match sim.config().client(client_id) {
        Some(client) if form.get("client_secret").is_some_and(|s| *s == client.client_secret) => Ok(client),
        _ => Err(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed (client_secret_post)",
        )),
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

async fn token(State(sim): State<Simulator>, RawForm(body): RawForm) -> Response {
    let faults = sim.faults();
    sim.injected_delay().await;
    if let Some(status) = faults.token_status {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return (status, "simulated failure").into_response();
    }
    if faults.token_invalid_json {
        return ([(header::CONTENT_TYPE, "application/json")], "{\"access_token\": \"unterminated").into_response();
    }
    let response = match exchange_code(&sim, &body) {
        Ok(response) => response,
        Err(response) => return response,
    };
    let headers = [(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")];
    match faults.token_body_padding {
        Some(padding) => (headers, format!("{}{response}", " ".repeat(padding))).into_response(),
        None => (headers, response.to_string()).into_response(),
    }
}

/// The authorization code grant: the code is single-use, short-lived, and bound to the client,
/// the `redirect_uri` and the PKCE challenge of its request.
fn exchange_code(sim: &Simulator, body: &[u8]) -> Result<Value, Response> {
    let form = parse_form(body)?;
    let client = authenticate_client(sim, &form)?;
    let invalid_grant = |description: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description);
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {}
        None => return Err(oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "missing grant_type")),
        Some(_) => {
            return Err(oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "only authorization_code is supported",
            ));
        }
    }
    let code = form.get("code").cloned().unwrap_or_default();
    let lifetimes = sim.lifetimes();
    let grant = {
        let mut store = sim.store();
        if let Some(consumed) = store.consumed_codes.remove(&code) {
            // A replayed code: the token it gave is revoked too.
            store.access_tokens.remove(&consumed.access_token);
            return Err(invalid_grant("the code has already been used"));
        }
        store.codes.remove(&code)
    };
    let Some(grant) = grant else {
        return Err(invalid_grant("unknown, expired or already used code"));
    };
    if sim.clock().expired(grant.created, lifetimes.code) {
        return Err(invalid_grant("the code has expired"));
    }
    if grant.interaction.client_id != client.client_id {
        return Err(invalid_grant("the code was issued to another client"));
    }
    if form.get("redirect_uri") != Some(&grant.interaction.redirect_uri) {
        return Err(invalid_grant("redirect_uri differs from the authorization request"));
    }
    match (&grant.interaction.code_challenge, form.get("code_verifier")) {
        (None, None) => {}
        (Some(challenge), Some(verifier)) if pkce_s256(verifier) == *challenge => {}
        _ => return Err(invalid_grant("PKCE verification failed")),
    }
    let Some((idp, agent)) = agent(sim, &grant.session.idp_id, &grant.session.login) else {
        return Err(invalid_grant("the agent no longer exists"));
    };
    let faults = sim.faults();
    let access_token = random_token(32);
    let now = sim.clock().unix();
    let ttl = sim.config().access_token_ttl_seconds;
    let mut claims = Map::new();
    claims.insert("iss".into(), json!(sim.issuer()));
    claims.insert("sub".into(), json!(subject(&client.client_id, &idp.idp_id, &agent.uid)));
    claims.insert("aud".into(), json!(client.client_id));
    claims.insert("exp".into(), json!(now.saturating_add_unsigned(ttl)));
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
    let id_token = sim
        .sign(client, &Value::Object(claims), faults.id_token_forgery())
        .map_err(|error| oauth_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", &error.to_string()))?;
    let created = sim.clock().now();
    {
        let mut store = sim.store();
        store.prune(created, lifetimes);
        store.consumed_codes.insert(code, ConsumedCode { access_token: access_token.clone(), created: grant.created });
        store.access_tokens.insert(
            access_token.clone(),
            AccessGrant {
                client_id: client.client_id.clone(),
                scopes: grant.interaction.scopes.clone(),
                idp_id: idp.idp_id.clone(),
                login: agent.login.clone(),
                created,
            },
        );
    }
    Ok(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": ttl,
        "id_token": id_token,
        "scope": grant.interaction.scopes.to_string(),
    }))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ")
}

/// An RFC 6750 error at userinfo.
fn unauthorized(error: &str, description: &str) -> Response {
    let mut response = oauth_error(StatusCode::UNAUTHORIZED, error, description);
    if let Ok(value) = format!("Bearer error=\"{error}\"").parse() {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// Userinfo: a JWT signed like the ID token, holding `sub` and the granted scopes' claims (the
/// ones the agent's directory has), plus `iss`, `aud`, `iat` and `exp`.
async fn userinfo(State(sim): State<Simulator>, headers: HeaderMap) -> Response {
    let faults = sim.faults();
    sim.injected_delay().await;
    let Some(token) = bearer(&headers) else {
        return unauthorized("invalid_request", "missing Bearer access token");
    };
    let grant = sim.store().access_tokens.get(token).cloned();
    let Some(grant) = grant else {
        return unauthorized("invalid_token", "unknown or revoked access token");
    };
    if sim.clock().expired(grant.created, sim.lifetimes().access_token) {
        return unauthorized("invalid_token", "Y030025: access token expired");
    }
    let (Some(client), Some((idp, agent))) =
        (sim.config().client(&grant.client_id), agent(&sim, &grant.idp_id, &grant.login))
    else {
        return unauthorized("invalid_token", "the client or agent no longer exists");
    };
    let now = sim.clock().unix();
    let mut claims = Map::new();
    claims.insert("iss".into(), json!(sim.issuer()));
    claims.insert("aud".into(), json!(client.client_id));
    claims.insert("iat".into(), json!(now));
    claims.insert("exp".into(), json!(now.saturating_add_unsigned(sim.config().access_token_ttl_seconds)));
    for scope in &grant.scopes.0 {
        for name in scope.claims() {
            let value = match *name {
                "sub" => Some(json!(faults.userinfo_sub.clone().unwrap_or_else(|| subject(
                    &client.client_id,
                    &idp.idp_id,
                    &agent.uid
                )))),
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
    if faults.userinfo_not_jwt {
        return ([(header::CACHE_CONTROL, "no-store")], Json(Value::Object(claims))).into_response();
    }
    match sim.sign(client, &Value::Object(claims), faults.userinfo_forgery()) {
        Ok(jwt) => {
            ([(header::CONTENT_TYPE, "application/jwt"), (header::CACHE_CONTROL, "no-store")], jwt).into_response()
        }
        Err(error) => oauth_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", &error.to_string()),
    }
}

#[derive(Deserialize)]
struct EndSessionQuery {
    id_token_hint: Option<String>,
    state: Option<String>,
    post_logout_redirect_uri: Option<String>,
}

/// RP-initiated logout: a valid `id_token_hint`, an exactly registered
/// `post_logout_redirect_uri` (`Y030111`), `state` echoed; the provider session ends.
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
    let now = sim.clock().now();
    let verified = sim.keys().verify_own(&hint, client.alg, &client.client_secret, now);
    if verified.is_none_or(|claims| claims.get("iss").and_then(Value::as_str) != Some(sim.issuer())) {
        return error_page(ErrorCode::Y000400, "id_token_hint invalide (signature)");
    }
    let Some(target) = query.post_logout_redirect_uri.filter(|uri| client.post_logout_redirect_uris.contains(uri))
    else {
        return error_page(ErrorCode::Y030111, "post_logout_redirect_uri non enregistrée");
    };
    let Ok(mut url) = Url::parse(&target) else {
        return error_page(ErrorCode::Y030111, "post_logout_redirect_uri invalide");
    };
    if let Some(state) = query.state {
        url.query_pairs_mut().append_pair("state", &state);
    }
    if let Some(cookie) = jar.get(SESSION_COOKIE) {
        sim.store().sessions.remove(cookie.value());
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

/// RFC 7009: revokes an access token of the authenticated client; unknown tokens (and other
/// clients' tokens) are not an error and stay as they are.
async fn revocation(State(sim): State<Simulator>, RawForm(body): RawForm) -> Response {
    let form = match parse_form(&body) {
        Ok(form) => form,
        Err(response) => return response,
    };
    let client = match authenticate_client(&sim, &form) {
        Ok(client) => client.client_id.clone(),
        Err(response) => return response,
    };
    let Some(token) = form.get("token") else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "missing token");
    };
    let mut store = sim.store();
    if store.access_tokens.get(token).is_some_and(|grant| grant.client_id == client) {
        store.access_tokens.remove(token);
    }
    StatusCode::OK.into_response()
}
