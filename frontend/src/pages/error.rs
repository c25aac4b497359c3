//! The error page: platform codes (`Y…`) and callback errors in plain words, in both languages,
//! with what to do and, when the agent needs help, the service's support contact.

use crate::components::SupportContact;
use crate::config::{use_brand, use_support};
use crate::i18n::{t, tr};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use shared::{Bilingual, Brand, CallbackError, ErrorCode, Explanation};

/// What to tell the agent about `code`: a platform code (`Y030031`…), a callback error name
/// (`access_denied.level_not_met`, `login_required`…, see [`CallbackError::name`]); any other
/// name reads as an error from the provider.
pub fn explain(code: &str, brand: Brand) -> Explanation {
    match ErrorCode::parse(code.trim()) {
        Some(code) => code.explain(brand),
        None => CallbackError::from_name(code.trim()).explain(brand),
    }
}

/// What to tell the agent when this service (not the platform) failed, e.g. its API did not answer.
pub fn service_failure() -> Explanation {
    Explanation {
        title: Bilingual::new("Une erreur est survenue", "Something went wrong"),
        happened: Bilingual::new("Ce service n’a pas pu répondre.", "This service could not answer."),
        to_do: Bilingual::new(
            "Réessayez dans un instant. Si le problème persiste, contactez le support du service.",
            "Try again in a moment. If it happens again, contact the service’s support.",
        ),
        contact_support: true,
    }
}

/// `/erreur?code=…`, or an API failure's message. Shows the explanation's title (`#error-title`),
/// what happened (`#error-explanation`), what to do (`#error-to-do`), the code (`#error-code`),
/// the failure's detail (`#error-detail`) and, when the agent should get help, the support
/// contact (`#support-contact`).
#[component]
pub fn ErrorPage(
    /// A message to show (an API failure's), in both languages.
    #[prop(optional)]
    message: Option<Bilingual>,
    /// The code to explain; read from the address's `?code=` when absent.
    #[prop(optional, into)]
    code: Option<String>,
    /// The brand; from `/api/config` (see [`use_brand`]) when absent.
    #[prop(optional)]
    brand: Option<Brand>,
    /// The support contact; from `/api/config` (see [`use_support`]) when absent.
    #[prop(optional, into)]
    support: Option<String>,
) -> impl IntoView {
    let code = code.unwrap_or_else(|| use_query_map().get_untracked().get("code").unwrap_or_default());
    let code = code.trim().to_owned();
    let configured_brand = use_brand();
    let brand = Signal::derive(move || brand.unwrap_or_else(|| configured_brand.get()));
    let support = match support {
        Some(contact) => Signal::stored(Some(contact)),
        None => use_support(),
    };
    let has_code = !code.is_empty();
    let explanation = {
        let code = code.clone();
        Memo::new(move |_| if has_code { explain(&code, brand.get()) } else { service_failure() })
    };
    view! {
        <h1 id="error-title">{move || tr(&explanation.read().title)}</h1>
        <p class="fr-text--lead" id="error-explanation">{move || tr(&explanation.read().happened)}</p>
        <p id="error-to-do">{move || tr(&explanation.read().to_do)}</p>
        {message.map(|m| view! { <p id="error-detail">{move || tr(&m)}</p> })}
        {move || explanation.read().contact_support.then(|| view! { <SupportContact contact=support/> })}
        {has_code.then(|| view! { <p>{move || t("Code erreur : ", "Error code: ")}<code id="error-code">{code.clone()}</code></p> })}
        <p><a class="fr-btn" id="error-back" href="/">{move || t("Retour à la connexion", "Back to sign-in")}</a></p>
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
