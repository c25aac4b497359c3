//! The DSFR header (with the language switch) and footer, named after the configured brand.

use crate::config::use_brand;
use crate::i18n::{Lang, Language, branded, text};
use leptos::prelude::*;

/// The DSFR header: Marianne block, service name ("Kit ProConnect" or "Kit AgentConnect", after
/// [`use_brand`]), language switch.
#[component]
pub fn Header() -> impl IntoView {
    let brand = use_brand();
    let language = use_context::<Language>();
    let switch = move |_| {
        if let Some(Language(lang)) = language {
            lang.update(|l| *l = if *l == Lang::Fr { Lang::En } else { Lang::Fr });
        }
    };
    view! {
        <header role="banner" class="fr-header">
            <div class="fr-header__body">
                <div class="fr-container">
                    <div class="fr-header__body-row">
                        <div class="fr-header__brand fr-enlarge-link">
                            <div class="fr-header__brand-top">
                                <div class="fr-header__logo">
                                    <p class="fr-logo">"République" <br/> "Française"</p>
                                </div>
                            </div>
                            <div class="fr-header__service">
                                <a href="/" title=branded(brand, ("Accueil - Kit ProConnect", "Home - ProConnect kit"),
                                                          ("Accueil - Kit AgentConnect", "Home - AgentConnect kit"))>
                                    <p class="fr-header__service-title" id="service-title">
                                        {branded(brand, ("Kit ProConnect", "ProConnect kit"), ("Kit AgentConnect", "AgentConnect kit"))}
                                    </p>
                                </a>
                                <p class="fr-header__service-tagline">
                                    {text("Démonstration d’une application monopage", "Single-page app demonstration")}
                                </p>
                            </div>
                        </div>
                        <div class="fr-header__tools">
                            <div class="fr-header__tools-links">
                                <button type="button" class="fr-btn fr-btn--tertiary-no-outline" id="language-switch" on:click=switch
                                        lang=text("en", "fr")>
                                    {text("English", "Français")}
                                </button>
                            </div>
                        </div>
                    </div>
                </div>
            </div>
        </header>
    }
}

/// The DSFR footer. Under ProConnect it names ProConnect only.
#[component]
pub fn Footer() -> impl IntoView {
    let brand = use_brand();
    view! {
        <footer class="fr-footer" role="contentinfo" id="footer">
            <div class="fr-container">
                <div class="fr-footer__body">
                    <div class="fr-footer__brand fr-enlarge-link">
                        <a href="/" title=text("Retour à l’accueil", "Back to home")>
                            <p class="fr-logo">"République" <br/> "Française"</p>
                        </a>
                    </div>
                    <div class="fr-footer__content">
                        <p class="fr-footer__content-desc">
                            {branded(
                                brand,
                                ("Kit libre pour intégrer ProConnect à une application monopage.",
                                 "Open-source kit to add ProConnect to a single-page app."),
                                ("Kit libre pour intégrer AgentConnect et ProConnect à une application monopage.",
                                 "Open-source kit to add AgentConnect and ProConnect to a single-page app."),
                            )}
                        </p>
                    </div>
                </div>
            </div>
        </footer>
    }
}
