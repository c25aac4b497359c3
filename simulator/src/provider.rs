//! The router, and the back-channel endpoints under `/api/v2` other than token and userinfo:
//! discovery, JWKS, revocation (RFC 7009) and RP-initiated logout (§4).

use crate::Simulator;
use crate::config::{ClientConfig, SigningAlg};
use crate::faults::Forgery;
use crate::interaction::{self, INTERACTION_TTL, SESSION_COOKIE};
use crate::store::Lifetimes;
use crate::{authorize, token, userinfo};
use axum::extract::{RawForm, RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::Cookie;
use proconnect_types::{Acr, ErrorCode, Scope};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Duration;
use url::Url;

/// Every route of the simulator; anything else is `Y000404`.
pub fn router(sim: Simulator) -> Router {
    Router::new()
        .route("/api/v2/.well-known/openid-configuration", get(discovery))
        .route("/api/v2/jwks", get(jwks))
        .route("/api/v2/authorize", get(authorize::authorize_get).post(authorize::authorize_post))
        .route("/api/v2/token", post(token::token))
        .route("/api/v2/userinfo", get(userinfo::userinfo))
        .route("/api/v2/session/end", get(session_end))
        .route("/api/v2/token/revocation", post(revocation))
        .route("/interaction/{id}", get(interaction::mire_page).post(interaction::mire_submit))
        .route("/interaction/{id}/cancel", get(interaction::cancel))
        .route("/interaction/{id}/fi/{idp}", get(interaction::fi_page).post(interaction::fi_submit))
        .fallback(|State(sim): State<Simulator>| async move { sim.error_page(ErrorCode::Y000404, "route inconnue") })
        .with_state(sim)
}

impl Simulator {
    /// The configured lifetimes.
    pub(crate) fn lifetimes(&self) -> Lifetimes {
        let config = self.config();
        Lifetimes {
            interaction: INTERACTION_TTL,
            code: Duration::from_secs(config.code_ttl()),
            access_token: Duration::from_secs(config.access_token_ttl()),
            refresh_token: Duration::from_secs(config.refresh_token_ttl()),
            session: Duration::from_secs(config.session_hours.saturating_mul(3600)),
        }
    }

    /// Signs claims for a client with `alg` (its ID token's or its userinfo's), or forges the
    /// signature when a fault asks for it.
    pub(crate) fn sign(
        &self,
        client: &ClientConfig,
        alg: SigningAlg,
        claims: &Value,
        forgery: Option<Forgery>,
    ) -> anyhow::Result<String> {
        let keys = self.keys();
        match forgery {
            Some(forgery) => keys.forge(forgery, alg, claims),
            None => keys.sign(alg, &client.client_secret, claims),
        }
    }

    pub(crate) async fn injected_delay(&self) {
        if let Some(delay) = self.faults().delay {
            tokio::time::sleep(delay).await;
        }
    }
}

/// Discovery. Under `proconnect`: every supported level, the refresh grant, `private_key_jwt`
/// advertised (as the platform does; only `client_secret_post` works here), unsigned userinfo,
/// the extra `prompt` values and RFC 9207 `iss`.
async fn discovery(State(sim): State<Simulator>) -> Json<Value> {
    let issuer = sim.issuer();
    let config = sim.config();
    let proconnect = config.contract.is_proconnect();
    let offered = |s: &Scope| config.offers_scope(*s);
    let scopes: Vec<&str> = Scope::ALL.into_iter().filter(offered).map(Scope::as_str).collect();
    let mut claims: Vec<&str> =
        Scope::ALL.iter().filter(|s| offered(s)).flat_map(|s| s.claims().iter().copied()).collect();
    claims.extend(["iss", "aud", "exp", "iat", "nonce", "acr", "auth_time", "sid", "at_hash", "amr"]);
    let mut doc = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "end_session_endpoint": format!("{issuer}/session/end"),
        "revocation_endpoint": format!("{issuer}/token/revocation"),
        "jwks_uri": format!("{issuer}/jwks"),
        "scopes_supported": scopes,
        "claims_supported": claims,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "subject_types_supported": ["public"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_post"],
        "id_token_signing_alg_values_supported": ["ES256", "RS256", "HS256"],
        "code_challenge_methods_supported": ["S256"],
        "claims_parameter_supported": true,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
    });
    let extra = if proconnect {
        json!({
            "acr_values_supported": Acr::SUPPORTED.iter().map(Acr::as_str).collect::<Vec<_>>(),
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
            "userinfo_signing_alg_values_supported": ["ES256", "RS256", "HS256", "none"],
            "prompt_values_supported": proconnect_types::request::PROMPTS,
            "authorization_response_iss_parameter_supported": true,
        })
    } else {
        json!({
            "acr_values_supported": ["eidas1", "eidas2", "eidas3"],
            "grant_types_supported": ["authorization_code"],
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
            "userinfo_signing_alg_values_supported": ["ES256", "RS256", "HS256"],
            // One platform behind both brands: silent login is accepted whichever button the FS shows.
            "prompt_values_supported": proconnect_types::request::PROMPTS_2024,
        })
    };
    if let (Some(doc), Value::Object(extra)) = (doc.as_object_mut(), extra) {
        doc.extend(extra);
    }
    Json(doc)
}

async fn jwks(State(sim): State<Simulator>) -> Response {
    sim.injected_delay().await;
    let now = sim.clock().now();
    let jwks = sim.keys().jwks(now);
    ([(header::CACHE_CONTROL, "public, max-age=60")], Json(jwks)).into_response()
}

/// An RFC 6749 §5.2 error as JSON.
pub(crate) fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (status, [(header::CACHE_CONTROL, "no-store")], Json(json!({"error": error, "error_description": description})))
        .into_response()
}

/// A form body (`application/x-www-form-urlencoded`); a repeated parameter is refused (RFC 6749 §3.2).
pub(crate) fn parse_form(body: &[u8]) -> Result<HashMap<String, String>, Response> {
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

/// client_secret_post authentication; the secret is compared in constant time.
pub(crate) fn authenticate_client<'a>(
    sim: &'a Simulator,
    form: &HashMap<String, String>,
) -> Result<&'a ClientConfig, Response> {
    let client_id = form.get("client_id").map(String::as_str).unwrap_or_default();
    match sim.config().client(client_id) {
        Some(client)
            if form.get("client_secret").is_some_and(|s| {
                bool::from(subtle::ConstantTimeEq::ct_eq(s.as_bytes(), client.client_secret.as_bytes()))
            }) =>
        {
            Ok(client)
        }
        _ => Err(oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "client authentication failed (client_secret_post)",
        )),
    }
}

#[derive(Deserialize)]
struct EndSessionQuery {
    id_token_hint: Option<String>,
    client_id: Option<String>,
    state: Option<String>,
    post_logout_redirect_uri: Option<String>,
}

/// RP-initiated logout: a valid `id_token_hint` (under `proconnect`, `client_id` may replace
/// it), an exactly registered `post_logout_redirect_uri` (`Y030111`), `state` echoed; the
/// provider session ends.
async fn session_end(State(sim): State<Simulator>, jar: CookieJar, RawQuery(query): RawQuery) -> Response {
    let Ok(query) = serde_urlencoded::from_str::<EndSessionQuery>(query.as_deref().unwrap_or_default()) else {
        return sim.error_page(ErrorCode::Y000400, "paramètres de déconnexion invalides");
    };
    let client = match query.id_token_hint.filter(|h| !h.is_empty()) {
        Some(hint) => {
            let Some(client) = unverified_audience(&hint).and_then(|aud| sim.config().client(&aud)) else {
                return sim.error_page(ErrorCode::Y000400, "id_token_hint invalide");
            };
            let now = sim.clock().now();
            let verified = sim.keys().verify_own(&hint, client.id_token_alg(), &client.client_secret, now);
            if verified.is_none_or(|claims| claims.get("iss").and_then(Value::as_str) != Some(sim.issuer())) {
                return sim.error_page(ErrorCode::Y000400, "id_token_hint invalide (signature)");
            }
            client
        }
        None => match query.client_id.as_deref().filter(|_| sim.config().contract.is_proconnect()) {
            Some(id) => match sim.config().client(id) {
                Some(client) => client,
                None => return sim.error_page(ErrorCode::Y000400, "client_id inconnu"),
            },
            None => return sim.error_page(ErrorCode::Y000400, "id_token_hint manquant"),
        },
    };
    let Some(target) = query.post_logout_redirect_uri.filter(|uri| client.post_logout_redirect_uris.contains(uri))
    else {
        return sim.error_page(ErrorCode::Y030111, "post_logout_redirect_uri non enregistrée");
    };
    let Ok(mut url) = Url::parse(&target) else {
        return sim.error_page(ErrorCode::Y030111, "post_logout_redirect_uri invalide");
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

/// RFC 7009: revokes an access token or a refresh token (with the access token issued with it)
/// of the authenticated client; `token_type_hint` is not needed. Unknown tokens (and other
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
    if store.refresh_tokens.get(token).is_some_and(|grant| grant.client_id == client)
        && let Some(grant) = store.refresh_tokens.remove(token)
    {
        store.access_tokens.remove(&grant.access_token);
    }
    StatusCode::OK.into_response()
}
