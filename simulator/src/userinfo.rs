//! Userinfo (§3, §5): the granted scopes' claims the agent's directory holds, signed with the
//! client's userinfo algorithm (`application/jwt`, with `iss`, `aud`, `iat`, `exp`), or plain
//! `application/json` when the client registered `"none"` (ProConnect). `custom` is `{}` when the
//! directory has none.

use crate::Simulator;
use crate::identity::{identity, subject};
use crate::provider::oauth_error;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

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

pub async fn userinfo(State(sim): State<Simulator>, headers: HeaderMap) -> Response {
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
    let (Some(client), Some(agent)) = (sim.config().client(&grant.client_id), identity(sim.config(), &grant.session))
    else {
        return unauthorized("invalid_token", "the client or agent no longer exists");
    };
    let mut claims = Map::new();
    for scope in &grant.scopes.0 {
        for name in scope.claims() {
            let value = match *name {
                "sub" => Some(json!(faults.userinfo_sub.clone().unwrap_or_else(|| subject(
                    &client.client_id,
                    &agent.idp.idp_id,
                    &agent.uid
                )))),
                "email" => Some(json!(agent.email)),
                "uid" => Some(json!(agent.uid)),
                "idp_id" => Some(json!(agent.idp.idp_id)),
                "idp_acr" => Some(json!(grant.session.acr)),
                "custom" => Some(agent.claims.get("custom").cloned().unwrap_or_else(|| json!({}))),
                other => agent.claims.get(other).cloned(),
            };
            if let Some(value) = value {
                claims.insert((*name).to_owned(), value);
            }
        }
    }
    let Some(alg) = client.userinfo_alg().signing() else {
        return ([(header::CACHE_CONTROL, "no-store")], Json(Value::Object(claims))).into_response();
    };
    let now = sim.clock().unix();
    claims.insert("iss".into(), json!(sim.issuer()));
    claims.insert("aud".into(), json!(client.client_id));
    claims.insert("iat".into(), json!(now));
    claims.insert("exp".into(), json!(now.saturating_add_unsigned(sim.config().access_token_ttl())));
    if faults.userinfo_not_jwt {
        return ([(header::CACHE_CONTROL, "no-store")], Json(Value::Object(claims))).into_response();
    }
    match sim.sign(client, alg, &Value::Object(claims), faults.userinfo_forgery()) {
        Ok(jwt) => {
            ([(header::CONTENT_TYPE, "application/jwt"), (header::CACHE_CONTROL, "no-store")], jwt).into_response()
        }
        Err(error) => oauth_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", &error.to_string()),
    }
}
