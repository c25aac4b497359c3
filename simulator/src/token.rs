//! The token endpoint (§3): the authorization code grant and, under `proconnect`, the refresh
//! token grant; the ID token.
//!
//! Refresh tokens (ProConnect): issued with every code exchange when `refresh_token_ttl` is not
//! 0; they work until that long after the sign-in (2 h by default), whatever the refreshes in
//! between. They **rotate**: each refresh answers a new refresh token and the one presented stops
//! working. A refresh gives a new access token and a new ID token (same `sub`, `sid`,
//! `auth_time`, `acr`, `amr` when requested at sign-in; no `nonce`, as OpenID Connect Core §12.2
//! advises).

use crate::Simulator;
use crate::config::ClientConfig;
use crate::identity::{identity, subject};
use crate::keys::{at_hash, pkce_s256, random_token};
use crate::levels;
use crate::provider::{authenticate_client, oauth_error, parse_form};
use crate::store::{AccessGrant, ConsumedCode, ProviderSession, RefreshGrant};
use axum::extract::{RawForm, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use proconnect_types::Scopes;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::time::Instant;

pub async fn token(State(sim): State<Simulator>, RawForm(body): RawForm) -> Response {
    let faults = sim.faults();
    sim.injected_delay().await;
    if let Some(status) = faults.token_status {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return (status, "simulated failure").into_response();
    }
    if faults.token_invalid_json {
        return ([(header::CONTENT_TYPE, "application/json")], "{\"access_token\": \"unterminated").into_response();
    }
    let response = match grant(&sim, &body) {
        Ok(response) => response,
        Err(response) => return response,
    };
    let headers = [(header::CONTENT_TYPE, "application/json"), (header::CACHE_CONTROL, "no-store")];
    match faults.token_body_padding {
        Some(padding) => (headers, format!("{}{response}", " ".repeat(padding))).into_response(),
        None => (headers, response.to_string()).into_response(),
    }
}

fn invalid_grant(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", description)
}

/// Dispatches on `grant_type` after authenticating the client.
fn grant(sim: &Simulator, body: &[u8]) -> Result<Value, Response> {
    let form = parse_form(body)?;
    let client = authenticate_client(sim, &form)?;
    let refresh = sim.config().refresh_token_ttl() > 0;
    match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => exchange_code(sim, client, &form),
        Some("refresh_token") if refresh => refresh_tokens(sim, client, &form),
        None => Err(oauth_error(StatusCode::BAD_REQUEST, "invalid_request", "missing grant_type")),
        Some(_) => Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            if refresh {
                "only authorization_code and refresh_token are supported"
            } else {
                "only authorization_code is supported"
            },
        )),
    }
}

/// What a sign-in grants, for minting tokens from a code or a refresh token.
struct Minting<'a> {
    client: &'a ClientConfig,
    scopes: &'a Scopes,
    session: &'a ProviderSession,
    want_amr: bool,
    /// The `acr` the FS receives.
    acr: &'a str,
    nonce: Option<&'a str>,
}

/// A new access token (stored) and its ID token.
fn mint(sim: &Simulator, m: &Minting<'_>) -> Result<(String, String), Response> {
    let Some(agent) = identity(sim.config(), m.session) else {
        return Err(invalid_grant("the agent no longer exists"));
    };
    let faults = sim.faults();
    let access_token = random_token(32);
    let now = sim.clock().unix();
    let ttl = sim.config().access_token_ttl();
    let mut claims = Map::new();
    claims.insert("iss".into(), json!(sim.issuer()));
    claims.insert("sub".into(), json!(subject(&m.client.client_id, &agent.idp.idp_id, &agent.uid)));
    claims.insert("aud".into(), json!(m.client.client_id));
    claims.insert("exp".into(), json!(now.saturating_add_unsigned(ttl)));
    claims.insert("iat".into(), json!(now));
    if let Some(nonce) = m.nonce {
        claims.insert("nonce".into(), json!(nonce));
    }
    claims.insert("acr".into(), json!(m.acr));
    claims.insert("auth_time".into(), json!(m.session.auth_time));
    claims.insert("sid".into(), json!(m.session.sid));
    claims.insert("at_hash".into(), json!(at_hash(&access_token)));
    if m.want_amr {
        claims.insert("amr".into(), json!(agent.amr));
    }
    for (name, value) in &faults.id_token_overrides {
        match value {
            Value::Null => claims.remove(name),
            value => claims.insert(name.clone(), value.clone()),
        };
    }
    let id_token = sim
        .sign(m.client, m.client.id_token_alg(), &Value::Object(claims), faults.id_token_forgery())
        .map_err(|error| oauth_error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", &error.to_string()))?;
    let created = sim.clock().now();
    let mut store = sim.store();
    store.prune(created, sim.lifetimes());
    store.access_tokens.insert(
        access_token.clone(),
        AccessGrant {
            client_id: m.client.client_id.clone(),
            scopes: m.scopes.clone(),
            session: m.session.clone(),
            created,
        },
    );
    Ok((access_token, id_token))
}

/// A new refresh token for this sign-in (its lifetime runs from `since`), or `None` when the
/// contract issues none.
fn new_refresh_token(sim: &Simulator, m: &Minting<'_>, access_token: &str, since: Instant) -> Option<String> {
    if sim.config().refresh_token_ttl() == 0 {
        return None;
    }
    let token = random_token(32);
    sim.store().refresh_tokens.insert(
        token.clone(),
        RefreshGrant {
            client_id: m.client.client_id.clone(),
            scopes: m.scopes.clone(),
            session: m.session.clone(),
            want_amr: m.want_amr,
            acr: m.acr.to_owned(),
            access_token: access_token.to_owned(),
            created: since,
        },
    );
    Some(token)
}

fn token_response(
    sim: &Simulator,
    access_token: &str,
    id_token: &str,
    scopes: &Scopes,
    refresh: Option<&str>,
) -> Value {
    let mut response = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": sim.config().access_token_ttl(),
        "id_token": id_token,
        "scope": scopes.to_string(),
    });
    if let Some(refresh) = refresh {
        response["refresh_token"] = json!(refresh);
    }
    response
}

/// The authorization code grant: the code is single-use, short-lived, and bound to the client,
/// the `redirect_uri` and the PKCE challenge of its request.
fn exchange_code(sim: &Simulator, client: &ClientConfig, form: &HashMap<String, String>) -> Result<Value, Response> {
    let code = form.get("code").cloned().unwrap_or_default();
    let grant = {
        let mut store = sim.store();
        if let Some(consumed) = store.consumed_codes.remove(&code) {
            // A replayed code: the tokens it gave are revoked too.
            store.access_tokens.remove(&consumed.access_token);
            if let Some(refresh) = &consumed.refresh_token {
                store.refresh_tokens.remove(refresh);
            }
            return Err(invalid_grant("the code has already been used"));
        }
        store.codes.remove(&code)
    };
    let Some(grant) = grant else {
        return Err(invalid_grant("unknown, expired or already used code"));
    };
    if sim.clock().expired(grant.created, sim.lifetimes().code) {
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
    let acr = levels::returned(sim.config().contract, &grant.session.acr);
    let minting = Minting {
        client,
        scopes: &grant.interaction.scopes,
        session: &grant.session,
        want_amr: grant.interaction.want_amr,
        acr: &acr,
        nonce: Some(&grant.interaction.nonce),
    };
    let (access_token, id_token) = mint(sim, &minting)?;
    let refresh = new_refresh_token(sim, &minting, &access_token, sim.clock().now());
    sim.store().consumed_codes.insert(
        code,
        ConsumedCode { access_token: access_token.clone(), refresh_token: refresh.clone(), created: grant.created },
    );
    Ok(token_response(sim, &access_token, &id_token, &grant.interaction.scopes, refresh.as_deref()))
}

/// The refresh token grant (ProConnect): rotates the refresh token, answers a new access token
/// and ID token. An optional `scope` may narrow (never widen) the new access token's scopes.
fn refresh_tokens(sim: &Simulator, client: &ClientConfig, form: &HashMap<String, String>) -> Result<Value, Response> {
    let token = form.get("refresh_token").cloned().unwrap_or_default();
    let grant = {
        let mut store = sim.store();
        match store.refresh_tokens.get(&token) {
            Some(grant) if grant.client_id == client.client_id => store.refresh_tokens.remove(&token),
            _ => None,
        }
    };
    let Some(grant) = grant else {
        return Err(invalid_grant("unknown, revoked, rotated or other client's refresh token"));
    };
    if sim.clock().expired(grant.created, sim.lifetimes().refresh_token) {
        return Err(invalid_grant("the refresh token has expired"));
    }
    let scopes = match form.get("scope") {
        None => grant.scopes.clone(),
        Some(scope) => match Scopes::parse(scope) {
            Ok(scopes) if scopes.0.iter().all(|s| grant.scopes.contains(*s)) => scopes,
            _ => return Err(oauth_error(StatusCode::BAD_REQUEST, "invalid_scope", "scope wider than the grant")),
        },
    };
    let minting = Minting {
        client,
        scopes: &scopes,
        session: &grant.session,
        want_amr: grant.want_amr,
        acr: &grant.acr,
        nonce: None,
    };
    let (access_token, id_token) = mint(sim, &minting)?;
    let original = Minting { scopes: &grant.scopes, ..minting };
    let refresh = new_refresh_token(sim, &original, &access_token, grant.created);
    Ok(token_response(sim, &access_token, &id_token, &scopes, refresh.as_deref()))
}
