//! `/deconnecte`: the signed-out confirmation.

use crate::i18n::t;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// Confirms the sign-out; `?local=1` says AgentConnect could not be reached.
#[component]
pub fn SignedOut() -> impl IntoView {
    let local = use_query_map().get_untracked().get("local").is_some();
    view! {
        <h1 id="signed-out">{move || t("Vous êtes déconnecté", "You are signed out")}</h1>
        {if local {
            view! { <p id="local-sign-out">{move || t(
                "AgentConnect n’a pas pu être joint : vous êtes déconnecté de ce service seulement. Fermez votre navigateur pour clore la session AgentConnect.",
                "AgentConnect could not be reached: you are signed out of this service only. Close your browser to end the AgentConnect session.")}</p> }.into_any()
        } else {
            view! { <p>{move || t("Votre session sur ce service et sur AgentConnect est terminée.",
                                  "Your session on this service and on AgentConnect has ended.")}</p> }.into_any()
        }}
        <p><a class="fr-link" href="/">{move || t("Se reconnecter", "Sign in again")}</a></p>
    }
}
