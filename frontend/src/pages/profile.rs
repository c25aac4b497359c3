//! The signed-in agent's profile: every claim labelled, missing ones shown as not provided.

use crate::api;
use crate::i18n::{lang, t};
use leptos::prelude::*;
use shared::Me;

fn claim_row(label: &'static str, label_en: &'static str, id: &'static str, value: Option<String>) -> impl IntoView {
    view! {
        <dt>{move || t(label, label_en)}</dt>
        {match value {
            Some(value) => view! { <dd id=id>{value}</dd> }.into_any(),
            None => view! { <dd id=id class="not-provided">{move || t("Non fourni", "Not provided")}</dd> }.into_any(),
        }}
    }
}

fn local_time(unix_seconds: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(unix_seconds as f64 * 1000.0));
    date.to_locale_string(lang().tag(), &wasm_bindgen::JsValue::UNDEFINED).into()
}

/// The profile page.
#[component]
pub fn Profile(
    /// The agent, from `/api/me`.
    me: Me,
) -> impl IntoView {
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let csrf = me.csrf_token.clone();
    let sign_out = move |_| {
        busy.set(true);
        let csrf = csrf.clone();
        leptos::task::spawn_local(async move {
            match api::logout(&csrf).await {
                Ok(redirect) => api::navigate(&redirect),
                Err(api::ApiFailure::SignedOut) => api::navigate("/"),
                Err(api::ApiFailure::Other(message)) => {
                    failure.set(Some(message));
                    busy.set(false);
                }
            }
        });
    };
    let c = me.claims;
    let full_name =
        format!("{} {}", c.given_name.clone().unwrap_or_default(), c.usual_name.clone().unwrap_or_default());
    let expires = me.expires_at;
    view! {
        <h1 id="welcome">{move || t("Bonjour", "Hello")}" "{full_name.trim().to_owned()}</h1>
        <p class="fr-text--lead">{move || t("Vous êtes connecté avec AgentConnect.", "You are signed in with AgentConnect.")}</p>
        <div class="fr-grid-row fr-grid-row--gutters">
            <div class="fr-col-12 fr-col-md-7">
                <h2 class="fr-h4">{move || t("Votre identité", "Your identity")}</h2>
                <dl class="claims" id="claims">
                    {claim_row("Prénom(s)", "Given name(s)", "claim-given-name", c.given_name)}
                    {claim_row("Nom d’usage", "Usual name", "claim-usual-name", c.usual_name)}
                    {claim_row("Adresse électronique", "Email", "claim-email", c.email)}
                    {claim_row("Identifiant chez le fournisseur", "Identifier at the provider", "claim-uid", c.uid)}
                    {claim_row("SIRET", "SIRET", "claim-siret", c.siret.map(|s| s.to_string()))}
                    {claim_row("SIREN", "SIREN", "claim-siren", c.siren.map(|s| s.to_string()))}
                    {claim_row("Service", "Organizational unit", "claim-organizational-unit", c.organizational_unit)}
                    {claim_row("Population", "Population", "claim-belonging-population", c.belonging_population)}
                    {claim_row("Téléphone", "Phone", "claim-phone", c.phone_number)}
                    {claim_row("Matricule Chorus DT", "Chorus DT number", "claim-chorusdt-matricule", c.chorusdt_matricule)}
                    {claim_row("Société Chorus DT", "Chorus DT company", "claim-chorusdt-societe", c.chorusdt_societe)}
                </dl>
            </div>
            <div class="fr-col-12 fr-col-md-5">
                <h2 class="fr-h4">{move || t("Votre connexion", "Your sign-in")}</h2>
                <dl class="claims" id="session">
                    {claim_row("Fournisseur d’identité", "Identity provider", "claim-idp", c.idp_id)}
                    {claim_row("Niveau (acr)", "Level (acr)", "claim-acr", me.acr)}
                    {claim_row("Méthodes (amr)", "Methods (amr)", "claim-amr", (!me.amr.is_empty()).then(|| me.amr.join(", ")))}
                    {claim_row("Identifiant (sub)", "Subject (sub)", "claim-sub", Some(c.sub))}
                    <dt>{move || t("Fin de session", "Session ends")}</dt>
                    <dd id="session-expiry">{move || local_time(expires)}</dd>
                </dl>
                {move || failure.get().map(|message| view! {
                    <div class="fr-alert fr-alert--error fr-alert--sm fr-mb-2w" role="alert"><p>{message}</p></div>
                })}
                <button class="fr-btn fr-btn--secondary" id="sign-out" on:click=sign_out disabled=move || busy.get()
                        aria-busy=move || busy.get().then_some("true")>
                    {move || if busy.get() { t("Déconnexion…", "Signing out…") } else { t("Se déconnecter", "Sign out") }}
                </button>
            </div>
        </div>
    }
}
