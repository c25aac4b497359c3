//! The front channel of sign-in (§2, §3): the strict authorization endpoint, the mire, the test
//! FI pages, cancellation, and issuing the code back to the FS callback.

use crate::Simulator;
use crate::config::{ClientConfig, IdentityProviderConfig};
use crate::keys::random_token;
use crate::pages::{error_page, fi_login, mire};
use crate::store::{CodeGrant, Interaction, ProviderSession};
use axum::extract::{Form, Path, Query, RawForm, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use serde::Deserialize;
use serde_json::Value;
use shared::{Brand, ErrorCode, Scope, Scopes};
use std::collections::HashMap;
use std::time::Duration;
use url::Url;

/// The provider's session cookie (12 hours).
pub const SESSION_COOKIE: &str = "ac_sim_session";
/// The cookie binding a browser to its pending interaction (`Y030110` without it).
const INTERACTION_COOKIE: &str = "ac_sim_interaction";
/// Minimum length of `state` and `nonce`.
const MIN_RANDOM_LEN: usize = 32;
/// How long the agent has to get through the mire and the FI.
pub const INTERACTION_TTL: Duration = Duration::from_secs(600);
const REQUIRED_PARAMS: [&str; 7] =
    ["response_type", "client_id", "redirect_uri", "scope", "acr_values", "state", "nonce"];
const OPTIONAL_PARAMS: [&str; 6] =
    ["claims", "prompt", "idp_hint", "login_hint", "code_challenge", "code_challenge_method"];

/// Parses the request's parameters, refusing unknown and repeated ones.
fn parse_params(raw: Option<&str>) -> Result<HashMap<String, String>, String> {
    let mut params = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        if !REQUIRED_PARAMS.contains(&name.as_ref()) && !OPTIONAL_PARAMS.contains(&name.as_ref()) {
            return Err(format!("paramètre inconnu : {name}"));
        }
        if params.insert(name.to_string(), value.to_string()).is_some() {
            return Err(format!("paramètre répété : {name}"));
        }
    }
    Ok(params)
}

pub async fn authorize_get(State(sim): State<Simulator>, jar: CookieJar, RawQuery(query): RawQuery) -> Response {
    authorize(&sim, jar, query.as_deref())
}

pub async fn authorize_post(State(sim): State<Simulator>, jar: CookieJar, RawForm(body): RawForm) -> Response {
    match std::str::from_utf8(&body) {
        Ok(body) => authorize(&sim, jar, Some(body)),
        Err(_) => error_page(ErrorCode::Y000400, "corps de requête invalide"),
    }
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

/// The authorization request, checked in the platform's order: malformed requests get the error
/// page, a refused scope or a failed silent login goes back to the callback.
fn authorize(sim: &Simulator, jar: CookieJar, raw: Option<&str>) -> Response {
    let params = match parse_params(raw) {
        Ok(params) => params,
        Err(detail) => return error_page(ErrorCode::Y000400, &detail),
    };
    if let Some(missing) = REQUIRED_PARAMS.iter().find(|name| params.get(**name).is_none_or(String::is_empty)) {
        return error_page(ErrorCode::Y000400, &format!("paramètre obligatoire manquant : {missing}"));
    }
    let get = |name: &str| params.get(name).cloned().unwrap_or_default();
    let Some(client) = sim.config().client(&get("client_id")) else {
        return error_page(ErrorCode::Y000400, "client_id inconnu");
    };
    let redirect_uri = get("redirect_uri");
    if !client.redirect_uris.contains(&redirect_uri) {
        return error_page(ErrorCode::Y030031, "redirect_uri non enregistrée pour ce fournisseur de service");
    }
    if let Some(problem) = client.production_problem().filter(|_| sim.config().production) {
        return error_page(ErrorCode::Y04A586, &problem);
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
        (Some(challenge), Some("S256")) if (43..=128).contains(&challenge.len()) => Some(challenge.clone()),
        _ => return error_page(ErrorCode::Y000400, "PKCE : code_challenge (S256) invalide"),
    };
    let prompt: Vec<&str> = params.get("prompt").map(|p| p.split(' ').collect()).unwrap_or_default();
    if prompt.iter().any(|p| !["login", "none", "consent"].contains(p))
        || (prompt.contains(&"none") && prompt.len() > 1)
    {
        return error_page(ErrorCode::Y000400, "prompt invalide");
    }
    let proconnect = sim.config().brand == Brand::ProConnect;
    let scopes = match Scopes::parse(&get("scope")) {
        Ok(scopes)
            if scopes.contains(Scope::Openid)
                && scopes.0.iter().all(|s| client.scopes.contains(s) && (proconnect || *s != Scope::Custom)) =>
        {
            scopes
        }
        _ => {
            return callback_error(
                &redirect_uri,
                "invalid_scope",
                "scope non autorisé pour ce fournisseur de service",
                &state,
            );
        }
    };
    let hinted = match params.get("idp_hint") {
        None => None,
        Some(hint) => match sim.config().idp(hint).filter(|idp| client.allows_idp(&idp.idp_id)) {
            Some(idp) => Some(idp),
            None => {
                return error_page(
                    ErrorCode::Y020023,
                    &format!("fournisseur d'identité inconnu ou non autorisé : {hint}"),
                );
            }
        },
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
        created: sim.clock().now(),
    };
    let session = sim.session(&jar);
    if prompt.contains(&"none") {
        return match session {
            Some(session) => sim.issue_code(interaction, session),
            None => callback_error(&redirect_uri, "login_required", "End-User authentication is required", &state),
        };
    }
    if let Some(session) = session.clone().filter(|_| !prompt.contains(&"login")) {
        return sim.issue_code(interaction, session);
    }
    let id = random_token(24);
    let url = match (&session, hinted) {
        // `prompt=login` with a session: re-authenticate at the same FI.
        (Some(session), _) => format!("/interaction/{id}/fi/{}?login={}", session.idp_id, encode(&session.login)),
        (None, Some(idp)) => format!("/interaction/{id}/fi/{}", idp.idp_id),
        (None, None) => format!("/interaction/{id}"),
    };
    {
        let mut store = sim.store();
        store.prune(sim.clock().now(), sim.lifetimes());
        store.interactions.insert(id.clone(), interaction);
    }
    let cookie = Cookie::build((INTERACTION_COOKIE, id)).path("/").http_only(true).same_site(SameSite::Lax);
    (jar.add(cookie), Redirect::to(&url)).into_response()
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Whether an agent of `idp` may sign in to `client`: the page to show if not.
pub fn check_idp(client: &ClientConfig, idp: &IdentityProviderConfig) -> Result<(), Response> {
    if !client.allows_idp(&idp.idp_id) {
        return Err(error_page(
            ErrorCode::Y020023,
            "ce fournisseur de service n'accepte pas ce fournisseur d'identité",
        ));
    }
    if idp.acr != "eidas1" {
        return Err(error_page(ErrorCode::Y020018, "le fournisseur d'identité a renvoyé un niveau autre que eidas1"));
    }
    if idp.private_sector && !client.accepts_private_sector {
        return Err(error_page(
            ErrorCode::Y500015,
            "ce fournisseur de service n'accepte pas les agents du secteur privé",
        ));
    }
    Ok(())
}

impl Simulator {
    /// The provider session named by the browser's cookie, if still alive.
    fn session(&self, jar: &CookieJar) -> Option<ProviderSession> {
        let id = jar.get(SESSION_COOKIE)?.value().to_owned();
        let lifetime = self.lifetimes().session;
        let mut store = self.store();
        match store.sessions.get(&id) {
            Some(session) if !self.clock().expired(session.created, lifetime) => Some(session.clone()),
            Some(_) => {
                store.sessions.remove(&id);
                None
            }
            None => None,
        }
    }

    /// Issues a code for a signed-in agent and sends the browser back to the FS.
    fn issue_code(&self, interaction: Interaction, session: ProviderSession) -> Response {
        let (Some(client), Some(idp)) =
            (self.config().client(&interaction.client_id), self.config().idp(&session.idp_id))
        else {
            return error_page(ErrorCode::Y020023, "fournisseur d'identité inconnu");
        };
        if let Err(page) = check_idp(client, idp) {
            return page;
        }
        let mut url = match Url::parse(&interaction.redirect_uri) {
            Ok(url) => url,
            Err(_) => return error_page(ErrorCode::Y030031, "redirect_uri invalide"),
        };
        let code = random_token(32);
        url.query_pairs_mut().append_pair("code", &code).append_pair("state", &interaction.state);
        let created = self.clock().now();
        self.store().codes.insert(code, CodeGrant { interaction, session, created });
        Redirect::to(url.as_str()).into_response()
    }

    /// The pending interaction `id`, which the browser must hold the cookie of.
    fn interaction(&self, jar: &CookieJar, id: &str) -> Result<Interaction, Response> {
        if jar.get(INTERACTION_COOKIE).is_none_or(|c| c.value() != id) {
            return Err(error_page(ErrorCode::Y030110, "cookie de session AgentConnect absent"));
        }
        match self.store().interactions.get(id) {
            Some(interaction) if !self.clock().expired(interaction.created, INTERACTION_TTL) => Ok(interaction.clone()),
            _ => {
                Err(error_page(ErrorCode::Y030110, "la demande de connexion a expiré ; recommencez depuis le service"))
            }
        }
    }

    /// The mire for an interaction, with an optional error.
    fn mire_for(&self, id: &str, interaction: &Interaction, email: &str, error: Option<&str>) -> Response {
        let client = self.config().client(&interaction.client_id);
        let (name, home) = client.map(|c| (c.name.as_str(), c.home_url.as_str())).unwrap_or_default();
        mire(id, name, home, email, error)
    }
}

pub async fn mire_page(State(sim): State<Simulator>, jar: CookieJar, Path(id): Path<String>) -> Response {
    match sim.interaction(&jar, &id) {
        Ok(interaction) => sim.mire_for(&id, &interaction, interaction.login_hint.as_deref().unwrap_or_default(), None),
        Err(page) => page,
    }
}

#[derive(Deserialize)]
pub struct MireForm {
    email: String,
}

/// The mire routes the email's domain to its FI.
pub async fn mire_submit(
    State(sim): State<Simulator>,
    jar: CookieJar,
    Path(id): Path<String>,
    Form(form): Form<MireForm>,
) -> Response {
    let interaction = match sim.interaction(&jar, &id) {
        Ok(i) => i,
        Err(page) => return page,
    };
    let email = form.email.trim();
    let Some(idp) = sim.config().idp_for_email(email) else {
        return sim.mire_for(
            &id,
            &interaction,
            email,
            Some("Aucun fournisseur d'identité ne correspond à ce domaine."),
        );
    };
    if sim.config().client(&interaction.client_id).is_some_and(|client| !client.allows_idp(&idp.idp_id)) {
        return error_page(ErrorCode::Y020023, "ce fournisseur de service n'accepte pas ce fournisseur d'identité");
    }
    let agent = idp.agents.iter().find(|a| a.email.eq_ignore_ascii_case(email));
    let login = agent.map_or_else(|| email.split('@').next().unwrap_or_default(), |a| a.login.as_str());
    Redirect::to(&format!("/interaction/{id}/fi/{}?login={}", idp.idp_id, encode(login))).into_response()
}

/// "Annuler la connexion": back to the FS with `access_denied`.
pub async fn cancel(State(sim): State<Simulator>, jar: CookieJar, Path(id): Path<String>) -> Response {
    let interaction = match sim.interaction(&jar, &id) {
        Ok(i) => i,
        Err(page) => return page,
    };
    sim.store().interactions.remove(&id);
    callback_error(&interaction.redirect_uri, "access_denied", "User auth aborted", &interaction.state)
}

#[derive(Deserialize)]
pub struct FiQuery {
    login: Option<String>,
}

pub async fn fi_page(
    State(sim): State<Simulator>,
    jar: CookieJar,
    Path((id, idp_id)): Path<(String, String)>,
    Query(query): Query<FiQuery>,
) -> Response {
    let interaction = match sim.interaction(&jar, &id) {
        Ok(i) => i,
        Err(page) => return page,
    };
    let client = sim.config().client(&interaction.client_id);
    match sim.config().idp(&idp_id) {
        Some(idp) if client.is_some_and(|c| c.allows_idp(&idp.idp_id)) => {
            fi_login(&id, &idp.idp_id, &idp.name, query.login.as_deref().unwrap_or_default(), None)
        }
        _ => error_page(ErrorCode::Y020023, "fournisseur d'identité inconnu ou non autorisé"),
    }
}

#[derive(Deserialize)]
pub struct FiForm {
    login: String,
    password: String,
}

/// The test FI checks the password, then AC checks what the FI reported and opens its session.
pub async fn fi_submit(
    State(sim): State<Simulator>,
    jar: CookieJar,
    Path((id, idp_id)): Path<(String, String)>,
    Form(form): Form<FiForm>,
) -> Response {
    let interaction = match sim.interaction(&jar, &id) {
        Ok(i) => i,
        Err(page) => return page,
    };
    let (Some(client), Some(idp)) = (sim.config().client(&interaction.client_id), sim.config().idp(&idp_id)) else {
        return error_page(ErrorCode::Y020023, "fournisseur d'identité inconnu");
    };
    let Some(agent) = idp.agents.iter().find(|a| a.login == form.login && a.password == form.password) else {
        return fi_login(&id, &idp.idp_id, &idp.name, &form.login, Some("Identifiant ou mot de passe incorrect."));
    };
    if let Err(page) = check_idp(client, idp) {
        return page;
    }
    let session = ProviderSession {
        idp_id: idp.idp_id.clone(),
        login: agent.login.clone(),
        auth_time: sim.clock().unix(),
        sid: random_token(24),
        created: sim.clock().now(),
    };
    let session_id = random_token(32);
    {
        let mut store = sim.store();
        store.interactions.remove(&id);
        store.sessions.insert(session_id.clone(), session.clone());
    }
    let max_age = time::Duration::seconds(i64::try_from(sim.lifetimes().session.as_secs()).unwrap_or(i64::MAX));
    let cookie =
        Cookie::build((SESSION_COOKIE, session_id)).path("/").http_only(true).same_site(SameSite::Lax).max_age(max_age);
    let jar = jar.add(cookie).remove(Cookie::build(INTERACTION_COOKIE).path("/"));
    (jar, sim.issue_code(interaction, session)).into_response()
}
