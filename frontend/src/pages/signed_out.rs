//! `/deconnecte`: the signed-out confirmation.

use crate::config::use_brand;
use crate::i18n::{branded, text};
use crate::router;
use leptos::either::Either;
use leptos::prelude::*;

/// Confirms the sign-out; `?local=1` says the platform (ProConnect or AgentConnect, after the
/// configured brand) could not be reached.
#[component]
pub fn SignedOut() -> impl IntoView {
    let local = untrack(|| router::query("local")).is_some();
    let brand = use_brand();
    view! {
        <h1 id="signed-out">{text("Vous êtes déconnecté", "You are signed out")}</h1>
        {if local {
            Either::Left(view! { <p id="local-sign-out">{branded(
                brand,
                ("ProConnect n’a pas pu être joint : vous êtes déconnecté de ce service seulement. Fermez votre navigateur pour clore la session ProConnect.",
                 "ProConnect could not be reached: you are signed out of this service only. Close your browser to end the ProConnect session."),
                ("AgentConnect n’a pas pu être joint : vous êtes déconnecté de ce service seulement. Fermez votre navigateur pour clore la session AgentConnect.",
                 "AgentConnect could not be reached: you are signed out of this service only. Close your browser to end the AgentConnect session."),
            )}</p> })
        } else {
            Either::Right(view! { <p id="signed-out-everywhere">{branded(
                brand,
                ("Votre session sur ce service et sur ProConnect est terminée.",
                 "Your session on this service and on ProConnect has ended."),
                ("Votre session sur ce service et sur AgentConnect est terminée.",
                 "Your session on this service and on AgentConnect has ended."),
            )}</p> })
        }}
        <p><a class="fr-link" href="/">{text("Se reconnecter", "Sign in again")}</a></p>
    }
}
