//! The error page: AgentConnect codes and callback errors in plain words, with a way forward.

use crate::i18n::t;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use shared::ErrorCode;

/// A plain-language explanation of an AgentConnect code or an OIDC error name.
pub fn explain(code: &str) -> (&'static str, &'static str) {
    match ErrorCode::parse(code) {
        Some(ErrorCode::Y030031 | ErrorCode::Y030111 | ErrorCode::Y04A586) => (
            "Ce service est mal configuré auprès d’AgentConnect. Prévenez son équipe technique.",
            "This service is misconfigured with AgentConnect. Please tell its technical team.",
        ),
        Some(ErrorCode::Y030025 | ErrorCode::Y030110) => (
            "Votre session AgentConnect a expiré. Reconnectez-vous.",
            "Your AgentConnect session has expired. Please sign in again.",
        ),
        Some(ErrorCode::Y020023 | ErrorCode::Y500015) => (
            "Votre compte professionnel n’est pas autorisé sur ce service.",
            "Your work account is not allowed on this service.",
        ),
        Some(ErrorCode::Y020018) => (
            "Votre fournisseur d’identité n’a pas fourni le niveau de sécurité attendu.",
            "Your identity provider did not provide the expected security level.",
        ),
        _ => (
            "La connexion n’a pas abouti. Réessayez dans un instant.",
            "The sign-in did not complete. Please try again in a moment.",
        ),
    }
}

/// `/erreur?code=…`, or an API failure's message.
#[component]
pub fn ErrorPage(
    /// A message to show instead of the query's code.
    #[prop(optional, into)]
    message: Option<String>,
) -> impl IntoView {
    let code = use_query_map().get_untracked().get("code").unwrap_or_default();
    let (fr, en) = explain(&code);
    view! {
        <h1 id="error-title">{move || t("Une erreur est survenue", "Something went wrong")}</h1>
        <p id="error-explanation">{move || t(fr, en)}</p>
        {message.map(|m| view! { <p id="error-detail">{m}</p> })}
        {(!code.is_empty()).then(|| view! { <p>{move || t("Code erreur : ", "Error code: ")}<code id="error-code">{code.clone()}</code></p> })}
        <p><a class="fr-btn" href="/">{move || t("Retour à la connexion", "Back to sign-in")}</a></p>
    }
}

/// Any unknown path.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <h1>{move || t("Page introuvable", "Page not found")}</h1>
        <p><a class="fr-link" href="/">{move || t("Retour à l’accueil", "Back to home")}</a></p>
    }
}
