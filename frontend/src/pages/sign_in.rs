//! The sign-in page: the official button first, the "OU" divider, then another method (demo).

use crate::components::{ConnectButton, Divider};
use crate::i18n::t;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use shared::Brand;

/// The brand forced by the demo's `?marque=agentconnect|proconnect`, if any.
fn forced_brand() -> Option<Brand> {
    match use_query_map().get_untracked().get("marque").as_deref() {
        Some("proconnect") => Some(Brand::ProConnect),
        Some("agentconnect") => Some(Brand::AgentConnect),
        _ => None,
    }
}

/// Sign-in page, with the notice `?notice=access_denied|login_required` explained.
#[component]
pub fn SignIn(
    /// The configured brand (from `/api/config`); the demo's `?marque=` overrides it.
    #[prop(optional)]
    brand: Brand,
) -> impl IntoView {
    let query = use_query_map();
    let notice = move || query.get().get("notice");
    let busy = RwSignal::new(false);
    let brand = forced_brand().unwrap_or(brand);
    view! {
        <div class="fr-grid-row fr-grid-row--center">
            <div class="fr-col-12 fr-col-md-8 fr-col-lg-6">
                <h1>{move || t("Connexion", "Sign in")}</h1>
                {move || notice().map(|notice| {
                    let text = match notice.as_str() {
                        "access_denied" => t("Vous avez annulé la connexion. Vous pouvez réessayer quand vous le souhaitez.",
                                             "You cancelled the sign-in. You can try again whenever you like."),
                        "login_required" => t("Aucune session AgentConnect n’est ouverte : identifiez-vous ci-dessous.",
                                              "No AgentConnect session is open: please sign in below."),
                        _ => t("La connexion n’a pas abouti. Veuillez réessayer.", "The sign-in did not complete. Please try again."),
                    };
                    view! { <div class="fr-alert fr-alert--info fr-alert--sm fr-mb-3w" id="notice" role="status"><p>{text}</p></div> }
                })}
                <h2 class="fr-h4">{move || t("Se connecter avec son compte professionnel", "Sign in with your work account")}</h2>
                <div on:click=move |_| busy.set(true)>
                    <ConnectButton brand href="/auth/login" intro=true busy/>
                </div>
                <Divider/>
                <form class="fr-mb-6w" id="other-method" on:submit=|ev| ev.prevent_default()>
                    <fieldset class="fr-fieldset">
                        <legend class="fr-fieldset__legend">
                            {move || t("Se connecter avec un identifiant local (démonstration, désactivé)",
                                       "Sign in with a local account (demonstration, disabled)")}
                        </legend>
                        <div class="fr-fieldset__element">
                            <div class="fr-input-group fr-input-group--disabled">
                                <label class="fr-label" for="local-email">{move || t("Adresse électronique", "Email address")}</label>
                                <input class="fr-input" id="local-email" type="email" autocomplete="email" disabled/>
                            </div>
                        </div>
                        <div class="fr-fieldset__element">
                            <button class="fr-btn fr-btn--secondary" type="submit" disabled>
                                {move || t("Se connecter", "Sign in")}
                            </button>
                        </div>
                    </fieldset>
                </form>
            </div>
        </div>
    }
}
