//! The error page: platform codes (`Y…`) and callback errors in plain words, in both languages,
//! with what to do and, when the agent needs help, the service's support contact.

use crate::components::SupportContact;
use crate::config::{use_brand, use_support};
use crate::i18n::{text, tr};
use crate::router;
use leptos::prelude::*;
use proconnect_types::{Bilingual, Brand, CallbackError, ErrorCode, Explanation};

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
    let code = code.unwrap_or_else(|| untrack(|| router::query("code")).unwrap_or_default());
    let code = code.trim().to_owned();
    let configured_brand = use_brand();
    let support = match support {
        Some(contact) => Signal::stored(Some(contact)),
        None => use_support(),
    };
    let has_code = !code.is_empty();
    // One reactive section, following the brand (once `/api/config` is loaded) and the language.
    let explained = {
        let code = code.clone();
        move || {
            let brand = brand.unwrap_or_else(|| configured_brand.get());
            let explanation = if has_code { explain(&code, brand) } else { service_failure() };
            view! {
                <h1 id="error-title">{tr(&explanation.title)}</h1>
                <p class="fr-text--lead" id="error-explanation">{tr(&explanation.happened)}</p>
                <p id="error-to-do">{tr(&explanation.to_do)}</p>
                {message.as_ref().map(|m| view! { <p id="error-detail">{tr(m)}</p> })}
                {explanation.contact_support.then(|| view! { <SupportContact contact=support/> })}
            }
        }
    };
    view! {
        {explained}
        {has_code.then(|| view! { <p>{text("Code erreur : ", "Error code: ")}<code id="error-code">{code.clone()}</code></p> })}
        <p><a class="fr-btn" id="error-back" href="/">{text("Retour à la connexion", "Back to sign-in")}</a></p>
    }
}

/// Any unknown path.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <h1>{text("Page introuvable", "Page not found")}</h1>
        <p><a class="fr-link" href="/">{text("Retour à l’accueil", "Back to home")}</a></p>
    }
}
