//! The front channel after the authorization request (§2, §3): the mire, the test FI pages
//! (password, or the test identity provider where the tester picks the identity),
//! cancellation, the provider session, and issuing the code (or the error) back to the callback.

use crate::Simulator;
use crate::authorize::encode;
use crate::config::{ClientConfig, IdentityProviderConfig};
use crate::keys::random_token;
use crate::levels;
use crate::pages::{self, PickIdentity, fi_login, fi_pick_identity, mire};
use crate::store::{CodeGrant, Interaction, ProviderSession};
use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use proconnect_types::{ErrorCode, Siret};
use serde::Deserialize;
use std::time::Duration;
use url::Url;

/// The provider's session cookie (12 hours).
pub const SESSION_COOKIE: &str = "ac_sim_session";
/// The cookie binding a browser to its pending interaction (`Y030110` without it).
pub const INTERACTION_COOKIE: &str = "ac_sim_interaction";
/// How long the agent has to get through the mire and the FI.
pub const INTERACTION_TTL: Duration = Duration::from_secs(600);

impl Simulator {
    /// The platform's error page, in the configured brand.
    pub(crate) fn error_page(&self, code: ErrorCode, detail: &str) -> Response {
        pages::error_page(self.config().brand(), code, detail)
    }

    /// A redirect to the FS callback with these parameters, plus `iss` (RFC 9207) under the
    /// `proconnect` contract.
    pub(crate) fn callback(&self, redirect_uri: &str, params: &[(&str, &str)]) -> Response {
        let Ok(mut url) = Url::parse(redirect_uri) else {
            return self.error_page(ErrorCode::Y030031, "redirect_uri invalide");
        };
        {
            let mut query = url.query_pairs_mut();
            query.extend_pairs(params);
            if self.config().contract.is_proconnect() {
                query.append_pair("iss", self.issuer());
            }
        }
        Redirect::to(url.as_str()).into_response()
    }

    /// Whether an agent of `idp`, having reached `level`, may sign in to `client`: the page to
    /// show if not.
    fn check_idp(&self, client: &ClientConfig, idp: &IdentityProviderConfig, level: &str) -> Result<(), Response> {
        if !client.allows_idp(&idp.idp_id) {
            return Err(self
                .error_page(ErrorCode::Y020023, "ce fournisseur de service n'accepte pas ce fournisseur d'identité"));
        }
        if !self.config().contract.is_proconnect() && level != "eidas1" {
            return Err(
                self.error_page(ErrorCode::Y020018, "le fournisseur d'identité a renvoyé un niveau autre que eidas1")
            );
        }
        if idp.private_sector && !client.accepts_private_sector {
            return Err(self.error_page(
                ErrorCode::Y500015,
                "ce fournisseur de service n'accepte pas les agents du secteur privé",
            ));
        }
        Ok(())
    }

    /// The provider session named by the browser's cookie, if still alive.
    pub(crate) fn session(&self, jar: &CookieJar) -> Option<ProviderSession> {
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

    /// Issues a code for a signed-in agent and sends the browser back to the FS; or
    /// `access_denied` when the level does not meet an essential request (unless the
    /// `ignore_essential_acr` fault is set).
    pub(crate) fn issue_code(&self, interaction: Interaction, session: ProviderSession) -> Response {
        let (Some(client), Some(idp)) =
            (self.config().client(&interaction.client_id), self.config().idp(&session.idp_id))
        else {
            return self.error_page(ErrorCode::Y020023, "fournisseur d'identité inconnu");
        };
        if let Err(page) = self.check_idp(client, idp, &session.acr) {
            return page;
        }
        let returned = levels::returned(self.config().contract, &session.acr);
        if !self.faults().ignore_essential_acr && !levels::satisfies(interaction.essential_acr.as_deref(), &returned) {
            return self.callback(
                &interaction.redirect_uri,
                &[
                    ("error", "access_denied"),
                    ("error_description", levels::LEVEL_NOT_MET),
                    ("state", &interaction.state),
                ],
            );
        }
        let code = random_token(32);
        let response =
            self.callback(&interaction.redirect_uri, &[("code", code.as_str()), ("state", &interaction.state)]);
        let created = self.clock().now();
        self.store().codes.insert(code, CodeGrant { interaction, session, created });
        response
    }

    /// The pending interaction `id`, which the browser must hold the cookie of.
    fn interaction(&self, jar: &CookieJar, id: &str) -> Result<Interaction, Response> {
        let brand = self.config().brand();
        if jar.get(INTERACTION_COOKIE).is_none_or(|c| c.value() != id) {
            return Err(self.error_page(ErrorCode::Y030110, &format!("cookie de session {} absent", brand.name())));
        }
        match self.store().interactions.get(id) {
            Some(interaction) if !self.clock().expired(interaction.created, INTERACTION_TTL) => Ok(interaction.clone()),
            _ => {
                Err(self
                    .error_page(ErrorCode::Y030110, "la demande de connexion a expiré ; recommencez depuis le service"))
            }
        }
    }

    /// The mire for an interaction, with an optional error.
    fn mire_for(&self, id: &str, interaction: &Interaction, email: &str, error: Option<&str>) -> Response {
        let client = self.config().client(&interaction.client_id);
        let (name, home) = client.map(|c| (c.name.as_str(), c.home_url.as_str())).unwrap_or_default();
        mire(self.config().brand(), id, name, home, email, error)
    }

    /// The test identity provider's page, pre-filled from the request and the FI's template.
    fn pick_page(
        &self,
        id: &str,
        idp: &IdentityProviderConfig,
        form: (&str, &str, &str),
        error: Option<&str>,
    ) -> Response {
        let (email, siret, acr) = form;
        let page = PickIdentity { interaction: id, idp_id: &idp.idp_id, idp_name: &idp.name, email, siret, acr };
        fi_pick_identity(self.config().brand(), &page, error)
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
        return sim.error_page(ErrorCode::Y020023, "ce fournisseur de service n'accepte pas ce fournisseur d'identité");
    }
    let agent = idp.agents.iter().find(|a| a.email.eq_ignore_ascii_case(email));
    let login = match agent {
        _ if idp.tester_picks_identity => email,
        Some(agent) => agent.login.as_str(),
        None => email.split('@').next().unwrap_or_default(),
    };
    Redirect::to(&format!("/interaction/{id}/fi/{}?login={}", idp.idp_id, encode(login))).into_response()
}

/// "Annuler la connexion": back to the FS with `access_denied`.
pub async fn cancel(State(sim): State<Simulator>, jar: CookieJar, Path(id): Path<String>) -> Response {
    let interaction = match sim.interaction(&jar, &id) {
        Ok(i) => i,
        Err(page) => return page,
    };
    sim.store().interactions.remove(&id);
    sim.callback(
        &interaction.redirect_uri,
        &[("error", "access_denied"), ("error_description", "User auth aborted"), ("state", &interaction.state)],
    )
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
            let login = query.login.as_deref().unwrap_or_default();
            if idp.tester_picks_identity {
                let email =
                    if login.is_empty() { interaction.login_hint.as_deref().unwrap_or_default() } else { login };
                let template = idp.agents.first().and_then(|a| a.claims.get("siret")).and_then(toml::Value::as_str);
                let siret = interaction.siret_hint.as_deref().or(template).unwrap_or_default();
                let acr = interaction.requested_acr.first().map_or(idp.acr.as_str(), String::as_str);
                return sim.pick_page(&id, idp, (email, siret, acr), None);
            }
            fi_login(sim.config().brand(), &id, &idp.idp_id, &idp.name, login, None)
        }
        _ => sim.error_page(ErrorCode::Y020023, "fournisseur d'identité inconnu ou non autorisé"),
    }
}

/// Either FI form: login and password, or (test identity provider) email, SIRET and level.
#[derive(Deserialize)]
pub struct FiForm {
    login: Option<String>,
    password: Option<String>,
    email: Option<String>,
    siret: Option<String>,
    acr: Option<String>,
}

/// The test FI authenticates the agent (password, or the tester's choice), then the platform
/// checks what the FI reported, opens its session and answers the FS.
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
        return sim.error_page(ErrorCode::Y020023, "fournisseur d'identité inconnu");
    };
    let (login, acr, siret) = if idp.tester_picks_identity {
        let email = form.email.unwrap_or_default().trim().to_owned();
        let siret = form.siret.unwrap_or_default().trim().to_owned();
        let acr = form.acr.filter(|a| !a.is_empty()).unwrap_or_else(|| idp.acr.clone());
        let at_domain = email.rsplit_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && idp.domains.iter().any(|d| d.eq_ignore_ascii_case(domain))
        });
        let error = if !at_domain {
            Some(format!("L'adresse doit se terminer par @{}.", idp.domains.join(" ou @")))
        } else if Siret::parse(&siret).is_err() {
            Some("Le SIRET doit faire 14 chiffres.".to_owned())
        } else {
            None
        };
        if let Some(error) = error {
            return sim.pick_page(&id, idp, (&email, &siret, &acr), Some(&error));
        }
        (email, acr, Some(siret))
    } else {
        let (login, password) = (form.login.unwrap_or_default(), form.password.unwrap_or_default());
        let Some(agent) = idp.agents.iter().find(|a| a.login == login && a.password == password) else {
            return fi_login(
                sim.config().brand(),
                &id,
                &idp.idp_id,
                &idp.name,
                &login,
                Some("Identifiant ou mot de passe incorrect."),
            );
        };
        (agent.login.clone(), agent.acr.clone().unwrap_or_else(|| idp.acr.clone()), None)
    };
    if let Err(page) = sim.check_idp(client, idp, &acr) {
        return page;
    }
    let session = ProviderSession {
        idp_id: idp.idp_id.clone(),
        login,
        acr,
        siret,
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
