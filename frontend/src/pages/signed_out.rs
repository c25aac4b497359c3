//! `/deconnecte`: the signed-out confirmation.

use crate::config::use_brand;
use crate::i18n::t;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// Confirms the sign-out; `?local=1` says the platform (ProConnect or AgentConnect, after the
/// configured brand) could not be reached.
#[component]
pub fn SignedOut() -> impl IntoView {
    let local = use_query_map().get_untracked().get("local").is_some();
    let brand = use_brand();
    view! {
        <h1 id="signed-out">{move || t("Vous êtes déconnecté", "You are signed out")}</h1>
        {if local {
            view! { <p id="local-sign-out">{move || {
                let b = brand.get().name();
                t(&format!("{b} n’a pas pu être joint : vous êtes déconnecté de ce service seulement. Fermez votre navigateur pour clore la session {b}."),
                  &format!("{b} could not be reached: you are signed out of this service only. Close your browser to end the {b} session.")).to_owned()
            }}</p> }.into_any()
        } else {
            view! { <p id="signed-out-everywhere">{move || {
                let b = brand.get().name();
                t(&format!("Votre session sur ce service et sur {b} est terminée."),
                  &format!("Your session on this service and on {b} has ended.")).to_owned()
            }}</p> }.into_any()
        }}
        <p><a class="fr-link" href="/">{move || t("Se reconnecter", "Sign in again")}</a></p>
    }
}
