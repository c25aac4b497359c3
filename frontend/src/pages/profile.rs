//! The signed-in agent's profile: every claim labelled, missing ones shown as not provided; the
//! level (`acr`) in plain words, whether it proves a second factor, and a way to step up.

use crate::api;
use crate::i18n::{lang, t, text};
use leptos::either::Either;
use leptos::prelude::*;
use proconnect_types::{Acr, Brand, Me};

/// Where to re-authenticate at a two-factor level and come back to `return_to` (a path on this
/// site), keeping the session: `/auth/login?acr=two-factor&return_to=…`.
pub fn step_up_href(return_to: &str) -> String {
    let return_to = if api::is_local_path(return_to) { return_to } else { "/" };
    "/auth/login?acr=two-factor&return_to=".to_owned() + &String::from(js_sys::encode_uri_component(return_to))
}

/// The level row: `#claim-acr` holds the short name alone (`eidas1-mfa`), `#claim-acr-description`
/// what it means, then `#claim-two-factor` says whether it proves a second factor
/// (`data-two-factor="true|false"`).
fn level_rows(acr: Option<Acr>) -> impl IntoView {
    let two_factor = acr.as_ref().is_some_and(Acr::is_two_factor);
    let level = match acr {
        Some(acr) => {
            let (fr, en) = acr.describe();
            Either::Left(view! {
                <dd>
                    <span id="claim-acr" title=acr.as_str().to_owned()>{acr.short_name().to_owned()}</span>" — "
                    <span id="claim-acr-description">{text(fr, en)}</span>
                </dd>
            })
        }
        None => Either::Right(
            view! { <dd><span id="claim-acr" class="not-provided">{text("Non fourni", "Not provided")}</span></dd> },
        ),
    };
    view! {
        <dt>{text("Niveau (acr)", "Level (acr)")}</dt>
        {level}
        <dt>{text("Second facteur", "Second factor")}</dt>
        <dd id="claim-two-factor" data-two-factor=if two_factor { "true" } else { "false" }>
            {if two_factor {
                Either::Left(view! { <span class="fr-badge fr-badge--success fr-badge--sm">{text("Oui, connexion à deux facteurs", "Yes, two-factor sign-in")}</span> })
            } else {
                Either::Right(view! { <span class="fr-badge fr-badge--sm">{text("Non", "No")}</span> })
            }}
        </dd>
    }
}

/// A claim's row: its label (French, English), the `id` of its value, and the value if provided.
type Claim = (&'static str, &'static str, &'static str, Option<String>);

/// The rows of `claims`, one view type for all of them (so Leptos's code for a row exists once).
fn claim_rows(claims: Vec<Claim>) -> impl IntoView {
    claims
        .into_iter()
        .map(|(label, label_en, id, value)| {
            view! {
                <dt>{text(label, label_en)}</dt>
                {match value {
                    Some(value) => Either::Left(view! { <dd id=id>{value}</dd> }),
                    None => Either::Right(view! { <dd id=id class="not-provided">{text("Non fourni", "Not provided")}</dd> }),
                }}
            }
        })
        .collect_view()
}

fn local_time(unix_seconds: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(unix_seconds as f64 * 1000.0));
    date.to_locale_string(lang().tag(), &wasm_bindgen::JsValue::UNDEFINED).into()
}

/// The profile page: identity claims (`#claims`: `#claim-given-name`, `#claim-email`,
/// `#claim-organization-label`, `#claim-roles`…), the sign-in (`#session`: `#claim-idp`,
/// `#claim-acr`, `#claim-acr-description`, `#claim-two-factor`, `#claim-amr`, `#claim-sub`,
/// `#session-expiry`), under ProConnect a step-up link (`#step-up`) when the level is not
/// two-factor, and the sign-out button (`#sign-out`): a form posted to `/auth/logout` with the
/// anti-forgery token as a hidden field, so the browser follows the server's redirect to the
/// platform's sign-out and no script ever sees where it leads.
#[component]
pub fn Profile(
    /// The agent, from `/api/me`.
    me: Me,
) -> impl IntoView {
    let busy = RwSignal::new(false);
    let brand = me.brand;
    let two_factor = me.acr.as_ref().is_some_and(Acr::is_two_factor);
    let c = me.claims;
    let roles = (!c.roles.is_empty()).then(|| c.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", "));
    let amr = (!me.amr.is_empty()).then(|| me.amr.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", "));
    let full_name = c.given_name.clone().unwrap_or_default() + " " + c.usual_name.as_deref().unwrap_or_default();
    let expires = me.expires_at;
    view! {
        <h1 id="welcome">{text("Bonjour", "Hello")}" "{full_name.trim().to_owned()}</h1>
        <p class="fr-text--lead" id="signed-in-with">{match brand {
            Brand::ProConnect => text("Vous êtes connecté avec ProConnect.", "You are signed in with ProConnect."),
            Brand::AgentConnect => text("Vous êtes connecté avec AgentConnect.", "You are signed in with AgentConnect."),
        }}</p>
        // Step-up (ProConnect only: the 2024 AgentConnect platform knows no two-factor level).
        {(brand == Brand::ProConnect && !two_factor).then(|| view! {
            <div class="fr-callout fr-mb-4w" id="step-up-callout">
                <p class="fr-callout__text" id="step-up-explanation">{text(
                    "Votre connexion n’utilise pas de second facteur. Si une démarche demande une connexion plus sûre, reconnectez-vous avec un second facteur (application d’authentification, clé de sécurité…) : vous restez connecté.",
                    "Your sign-in does not use a second factor. If a task needs a stronger sign-in, sign in again with a second factor (authenticator app, security key…): you stay signed in.")}</p>
                <a class="fr-btn" id="step-up" rel="external" href=step_up_href(&crate::router::path())>
                    {text("Se reconnecter avec un second facteur", "Sign in again with a second factor")}
                </a>
            </div>
        })}
        <div class="fr-grid-row fr-grid-row--gutters">
            <div class="fr-col-12 fr-col-md-7">
                <h2 class="fr-h4">{text("Votre identité", "Your identity")}</h2>
                <dl class="claims" id="claims">
                    {claim_rows(vec![
                        ("Prénom(s)", "Given name(s)", "claim-given-name", c.given_name),
                        ("Nom d’usage", "Usual name", "claim-usual-name", c.usual_name),
                        ("Adresse électronique", "Email", "claim-email", c.email),
                        ("Identifiant chez le fournisseur", "Identifier at the provider", "claim-uid", c.uid),
                        ("Organisation", "Organisation", "claim-organization-label", c.organization_label),
                        ("SIRET", "SIRET", "claim-siret", c.siret.map(|s| s.as_str().to_owned())),
                        ("SIREN", "SIREN", "claim-siren", c.siren.map(|s| s.as_str().to_owned())),
                        ("Service", "Organizational unit", "claim-organizational-unit", c.organizational_unit),
                        ("Population", "Population", "claim-belonging-population", c.belonging_population),
                        ("Téléphone", "Phone", "claim-phone", c.phone_number),
                        ("Matricule Chorus DT", "Chorus DT number", "claim-chorusdt-matricule", c.chorusdt_matricule),
                        ("Société Chorus DT", "Chorus DT company", "claim-chorusdt-societe", c.chorusdt_societe),
                    ])}
                    <dt>{text("Rôles", "Roles")}</dt>
                    {match roles {
                        Some(roles) => Either::Left(view! { <dd id="claim-roles">{roles}</dd> }),
                        None => Either::Right(view! { <dd id="claim-roles" class="not-provided">{text("Aucun", "None")}</dd> }),
                    }}
                </dl>
            </div>
            <div class="fr-col-12 fr-col-md-5">
                <h2 class="fr-h4">{text("Votre connexion", "Your sign-in")}</h2>
                <dl class="claims" id="session">
                    {claim_rows(vec![("Fournisseur d’identité", "Identity provider", "claim-idp", c.idp_id)])}
                    {level_rows(me.acr)}
                    {claim_rows(vec![
                        ("Méthodes (amr)", "Methods (amr)", "claim-amr", amr),
                        ("Identifiant (sub)", "Subject (sub)", "claim-sub", Some(c.sub)),
                    ])}
                    <dt>{text("Fin de session", "Session ends")}</dt>
                    <dd id="session-expiry">{move || local_time(expires)}</dd>
                </dl>
                <form method="post" action="/auth/logout" id="sign-out-form" on:submit=move |_| busy.set(true)>
                    <input type="hidden" name="csrf_token" value=me.csrf_token/>
                    <button type="submit" class="fr-btn fr-btn--secondary" id="sign-out" disabled=move || busy.get()
                            aria-busy=move || busy.get().then_some("true")>
                        {move || if busy.get() { t("Déconnexion…", "Signing out…") } else { t("Se déconnecter", "Sign out") }}
                    </button>
                </form>
            </div>
        </div>
    }
}
