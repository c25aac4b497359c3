//! The authorization endpoint (§2): the request checked under the configured contract, then the
//! browser sent to the mire, to an FI page, or straight back to the callback (existing session,
//! `prompt=none`, or an error the platform returns there).
//!
//! `agentconnect-2024`: every required parameter including `acr_values=eidas1`, no unknown or
//! repeated parameter, `prompt` among `login`, `consent`, `none`; everything malformed is the
//! `Y000400` page, an unknown `idp_hint` the `Y020023` page.
//! `proconnect`: `acr_values` optional (voluntary), unknown parameters ignored (OpenID Connect
//! Core §3.1.2.1; `sp_name` among them), `siret_hint` (14 digits) and `login_hint` (an email)
//! checked, `prompt` also `select_organization` and `update_userinfo` with an invalid one back
//! to the callback as `invalid_request`, an unknown `idp_hint` as `idp_hint_not_found`, and an
//! essential `acr` claim request honoured.

use crate::Simulator;
use crate::config::Contract;
use crate::interaction::INTERACTION_COOKIE;
use crate::keys::random_token;
use crate::levels::{self, ClaimsRequest};
use crate::store::Interaction;
use axum::extract::{RawForm, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use axum_extra::extract::cookie::{Cookie, SameSite};
use proconnect_types::request::{PROMPTS, PROMPTS_2024, is_email, is_valid_prompt};
use proconnect_types::{ErrorCode, Scope, Scopes, Siret};
use std::collections::HashMap;

/// Minimum length of `state` and `nonce`.
const MIN_RANDOM_LEN: usize = 32;
const REQUIRED_2024: [&str; 7] =
    ["response_type", "client_id", "redirect_uri", "scope", "acr_values", "state", "nonce"];
const OPTIONAL_2024: [&str; 6] =
    ["claims", "prompt", "idp_hint", "login_hint", "code_challenge", "code_challenge_method"];
const REQUIRED: [&str; 6] = ["response_type", "client_id", "redirect_uri", "scope", "state", "nonce"];
/// The parameters; a repeated one is always refused, an unknown one only under the 2024 contract.
fn parse_params(raw: Option<&str>, contract: Contract) -> Result<HashMap<String, String>, String> {
    let mut params = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()) {
        let known = REQUIRED_2024.contains(&name.as_ref()) || OPTIONAL_2024.contains(&name.as_ref());
        if contract == Contract::AgentConnect2024 && !known {
            return Err(format!("paramètre inconnu : {name}"));
        }
        if params.insert(name.to_string(), value.to_string()).is_some() {
            return Err(format!("paramètre répété : {name}"));
        }
    }
    Ok(params)
}

pub async fn authorize_get(State(sim): State<Simulator>, jar: CookieJar, RawQuery(query): RawQuery) -> Response {
    sim.authorize(jar, query.as_deref())
}

pub async fn authorize_post(State(sim): State<Simulator>, jar: CookieJar, RawForm(body): RawForm) -> Response {
    match std::str::from_utf8(&body) {
        Ok(body) => sim.authorize(jar, Some(body)),
        Err(_) => sim.error_page(ErrorCode::Y000400, "corps de requête invalide"),
    }
}

impl Simulator {
    /// The authorization request, checked in the platform's order: malformed requests get the
    /// error page; once the client and its `redirect_uri` are known, a refused scope, an invalid
    /// `prompt` (ProConnect), an unknown `idp_hint` (ProConnect) or a failed silent login go
    /// back to the callback.
    fn authorize(&self, jar: CookieJar, raw: Option<&str>) -> Response {
        let config = self.config();
        let contract = config.contract;
        let proconnect = contract.is_proconnect();
        let params = match parse_params(raw, contract) {
            Ok(params) => params,
            Err(detail) => return self.error_page(ErrorCode::Y000400, &detail),
        };
        let required: &[&str] = if proconnect { &REQUIRED } else { &REQUIRED_2024 };
        if let Some(missing) = required.iter().find(|name| params.get(**name).is_none_or(String::is_empty)) {
            return self.error_page(ErrorCode::Y000400, &format!("paramètre obligatoire manquant : {missing}"));
        }
        let get = |name: &str| params.get(name).cloned().unwrap_or_default();
        let Some(client) = config.client(&get("client_id")) else {
            return self.error_page(ErrorCode::Y000400, "client_id inconnu");
        };
        let redirect_uri = get("redirect_uri");
        if !client.redirect_uris.contains(&redirect_uri) {
            return self.error_page(ErrorCode::Y030031, "redirect_uri non enregistrée pour ce fournisseur de service");
        }
        if let Some(problem) = client.production_problem().filter(|_| config.production) {
            return self.error_page(ErrorCode::Y04A586, &problem);
        }
        if get("response_type") != "code" {
            return self.error_page(ErrorCode::Y000400, "response_type doit valoir code");
        }
        let acr_values: Vec<String> =
            get("acr_values").split(' ').filter(|v| !v.is_empty()).map(str::to_owned).collect();
        if !proconnect && acr_values != ["eidas1"] {
            return self.error_page(ErrorCode::Y000400, "acr_values doit valoir eidas1");
        }
        for name in ["state", "nonce"] {
            if get(name).chars().count() < MIN_RANDOM_LEN {
                return self.error_page(
                    ErrorCode::Y000400,
                    &format!("{name} doit faire au moins {MIN_RANDOM_LEN} caractères"),
                );
            }
        }
        let state = get("state");
        let mut claims = match params.get("claims").map(|raw| levels::parse_claims(raw)) {
            None => ClaimsRequest::default(),
            Some(Ok(claims)) => claims,
            Some(Err(detail)) => return self.error_page(ErrorCode::Y000400, detail),
        };
        if !proconnect {
            // The 2024 platform reads only `amr` from `claims`.
            claims = ClaimsRequest { want_amr: claims.want_amr, ..ClaimsRequest::default() };
        }
        let code_challenge =
            match (params.get("code_challenge"), params.get("code_challenge_method").map(String::as_str)) {
                (None, None) => None,
                (Some(challenge), Some("S256")) if (43..=128).contains(&challenge.len()) => Some(challenge.clone()),
                _ => return self.error_page(ErrorCode::Y000400, "PKCE : code_challenge (S256) invalide"),
            };
        let prompt: Vec<&str> = params.get("prompt").map(|p| p.split(' ').collect()).unwrap_or_default();
        let allowed: &[&str] = if proconnect { &PROMPTS } else { &PROMPTS_2024 };
        if params.get("prompt").is_some_and(|p| !is_valid_prompt(p, allowed)) {
            return match proconnect {
                true => self.callback(
                    &redirect_uri,
                    &[("error", "invalid_request"), ("error_description", "invalid prompt"), ("state", &state)],
                ),
                false => self.error_page(ErrorCode::Y000400, "prompt invalide"),
            };
        }
        let login_hint = params.get("login_hint").filter(|hint| !hint.is_empty()).cloned();
        let siret_hint = params.get("siret_hint").filter(|hint| !hint.is_empty()).cloned();
        if proconnect {
            if login_hint.as_deref().is_some_and(|hint| !is_email(hint)) {
                return self.error_page(ErrorCode::Y000400, "login_hint doit être une adresse électronique");
            }
            if siret_hint.as_deref().is_some_and(|hint| Siret::parse(hint).is_err()) {
                return self.error_page(ErrorCode::Y000400, "siret_hint doit faire 14 chiffres");
            }
        }
        let scopes = match Scopes::parse(&get("scope")) {
            Ok(scopes)
                if scopes.contains(Scope::Openid)
                    && scopes.0.iter().all(|s| client.scopes.contains(s) && config.offers_scope(*s)) =>
            {
                scopes
            }
            _ => {
                return self.callback(
                    &redirect_uri,
                    &[
                        ("error", "invalid_scope"),
                        ("error_description", "scope non autorisé pour ce fournisseur de service"),
                        ("state", &state),
                    ],
                );
            }
        };
        let hinted = match params.get("idp_hint") {
            None => None,
            Some(hint) => match config.idp(hint).filter(|idp| client.allows_idp(&idp.idp_id)) {
                Some(idp) => Some(idp),
                None if proconnect => {
                    return self.callback(
                        &redirect_uri,
                        &[
                            ("error", "idp_hint_not_found"),
                            ("error_description", "the identity provider in idp_hint is unknown or not allowed"),
                            ("state", &state),
                        ],
                    );
                }
                None => {
                    return self.error_page(
                        ErrorCode::Y020023,
                        &format!("fournisseur d'identité inconnu ou non autorisé : {hint}"),
                    );
                }
            },
        };
        let mut requested_acr = levels::supported(&claims.named_acr);
        requested_acr.extend(levels::supported(&acr_values));
        let interaction = Interaction {
            client_id: client.client_id.clone(),
            redirect_uri: redirect_uri.clone(),
            scopes,
            state: state.clone(),
            nonce: get("nonce"),
            want_amr: claims.want_amr,
            essential_acr: claims.essential_acr,
            requested_acr,
            code_challenge,
            login_hint,
            siret_hint,
            created: self.clock().now(),
        };
        let session = self.session(&jar);
        // A session whose level does not meet an essential request needs the FI again (step-up).
        let level_met = |session: &crate::store::ProviderSession| {
            self.faults().ignore_essential_acr
                || levels::satisfies(interaction.essential_acr.as_deref(), &levels::returned(contract, &session.acr))
        };
        if prompt.contains(&"none") {
            return match session {
                Some(session) if level_met(&session) => self.issue_code(interaction, session),
                _ => self.callback(
                    &redirect_uri,
                    &[
                        ("error", "login_required"),
                        ("error_description", "End-User authentication is required"),
                        ("state", &state),
                    ],
                ),
            };
        }
        let again = ["login", "select_organization", "update_userinfo"];
        if let Some(session) = session.clone().filter(|s| !prompt.iter().any(|p| again.contains(p)) && level_met(s)) {
            return self.issue_code(interaction, session);
        }
        let id = random_token(24);
        let url = match (&session, hinted) {
            // Re-authentication (`prompt=login`, a higher level…): the FI of the session.
            (Some(session), _) => format!("/interaction/{id}/fi/{}?login={}", session.idp_id, encode(&session.login)),
            (None, Some(idp)) => match &interaction.login_hint {
                Some(hint) if idp.tester_picks_identity => {
                    format!("/interaction/{id}/fi/{}?login={}", idp.idp_id, encode(hint))
                }
                _ => format!("/interaction/{id}/fi/{}", idp.idp_id),
            },
            (None, None) => format!("/interaction/{id}"),
        };
        {
            let mut store = self.store();
            store.prune(self.clock().now(), self.lifetimes());
            store.interactions.insert(id.clone(), interaction);
        }
        let cookie = Cookie::build((INTERACTION_COOKIE, id)).path("/").http_only(true).same_site(SameSite::Lax);
        (jar.add(cookie), Redirect::to(&url)).into_response()
    }
}

/// Form-encodes a query value.
pub fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
