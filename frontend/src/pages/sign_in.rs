//! The sign-in page: the official button first, then another method (demo). Under the legacy
//! AgentConnect brand, the 2024 checklist's intro sentence and "OU" divider.

use crate::components::{ConnectButton, Divider, SupportContact};
use crate::config::forced_brand;
use crate::i18n::{bilingual, text};
use crate::router;
use leptos::either::Either;
use leptos::prelude::*;
use proconnect_types::{Brand, CallbackError};

/// The notice `?notice=<CallbackError::name()>` explained (`#notice`): its title
/// (`#notice-title`), what happened (`#notice-happened`), what to do (`#notice-to-do`) and the
/// support contact when the agent needs help. An informational notice when the agent caused it
/// (cancelled, no session), a warning otherwise.
#[component]
pub fn SignInNotice(
    /// The notice's name, e.g. `access_denied.cancelled`, `login_required`, `access_denied`.
    #[prop(into)]
    name: String,
    /// The brand the texts name.
    brand: Brand,
    /// The support contact (an email address or a URL).
    #[prop(optional, into)]
    support: Signal<Option<String>>,
) -> impl IntoView {
    let error = CallbackError::from_name(&name);
    let explanation = error.explain(brand);
    let (class, role) = if error.is_users_choice() {
        ("fr-alert fr-alert--info fr-mb-3w", "status")
    } else {
        ("fr-alert fr-alert--warning fr-mb-3w", "alert")
    };
    let (title, happened, to_do) = (explanation.title, explanation.happened, explanation.to_do);
    view! {
        <div class=class id="notice" role=role data-notice=name>
            <h2 class="fr-alert__title" id="notice-title">{bilingual(title)}</h2>
            <p id="notice-happened">{bilingual(happened)}</p>
            <p id="notice-to-do">{bilingual(to_do)}</p>
            {explanation.contact_support.then(|| view! { <SupportContact contact=support/> })}
        </div>
    }
}

/// Sign-in page, with the notice `?notice=…` (a [`CallbackError::name`]) explained.
#[component]
pub fn SignIn(
    /// The configured brand (from `/api/config`); the demo's `?marque=` overrides it.
    #[prop(optional)]
    brand: Brand,
    /// The service's support contact (from `/api/config`).
    #[prop(optional, into)]
    support: Signal<Option<String>>,
) -> impl IntoView {
    let notice = || router::query("notice").filter(|n| !n.is_empty());
    let busy = RwSignal::new(false);
    let brand = forced_brand().unwrap_or(brand);
    let legacy = brand == Brand::AgentConnect;
    view! {
        <div class="fr-grid-row fr-grid-row--center">
            <div class="fr-col-12 fr-col-md-8 fr-col-lg-6">
                <h1>{text("Connexion", "Sign in")}</h1>
                {move || notice().map(|name| view! { <SignInNotice name brand support/> })}
                <h2 class="fr-h4">{text("Se connecter avec son compte professionnel", "Sign in with your work account")}</h2>
                {(!legacy).then(|| view! {
                    <p class="fr-text--sm" id="connect-audience">{text(
                        "Pour les agents publics et les professionnels, avec le compte de leur organisation.",
                        "For public servants and professionals, with their organisation’s account.")}</p>
                })}
                <div on:click=move |_| busy.set(true)>
                    <ConnectButton brand href="/auth/login" intro=legacy busy/>
                </div>
                {if legacy {
                    Either::Left(view! { <Divider/> })
                } else {
                    Either::Right(view! { <h2 class="fr-h4 fr-mt-4w" id="other-method-title">{text(
                        "Vous n’avez pas de compte professionnel ?", "No work account?")}</h2> })
                }}
                <form class="fr-mb-6w" id="other-method" on:submit=|ev| ev.prevent_default()>
                    <fieldset class="fr-fieldset">
                        <legend class="fr-fieldset__legend">
                            {text("Se connecter avec un identifiant local (démonstration, désactivé)",
                                       "Sign in with a local account (demonstration, disabled)")}
                        </legend>
                        <div class="fr-fieldset__element">
                            <div class="fr-input-group fr-input-group--disabled">
                                <label class="fr-label" for="local-email">{text("Adresse électronique", "Email address")}</label>
                                <input class="fr-input" id="local-email" type="email" autocomplete="email" disabled/>
                            </div>
                        </div>
                        <div class="fr-fieldset__element">
                            <button class="fr-btn fr-btn--secondary" type="submit" disabled>
                                {text("Se connecter", "Sign in")}
                            </button>
                        </div>
                    </fieldset>
                </form>
            </div>
        </div>
    }
}
