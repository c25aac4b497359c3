//! The official AgentConnect / ProConnect button (contract §8), with the "Qu'est-ce que…" link
//! 8 px below it and the optional intro sentence.

use leptos::prelude::*;
use shared::Brand;

/// The intro sentence the contract asks for when other sign-in methods coexist.
pub const INTRO: &str = "AgentConnect vous permet d’accéder à de nombreux services en ligne en utilisant l’un de vos comptes professionnels existants.";

/// The official sign-in button for `brand`, leading to `href` (usually `/auth/login`).
///
/// - AgentConnect: the official 206×60 artwork (`#000091`, hover `#1212ff`).
/// - ProConnect: the DSFR `fr-connect--pro` button.
///
/// Both have the accessible name "S’identifier avec <brand>", a visible keyboard focus (DSFR),
/// and the information link opening the official site in a new window. Set `intro` when other
/// sign-in methods sit beside it; `busy` shows a loading, disabled state.
#[component]
pub fn ConnectButton(
    /// Which brand to show.
    brand: Brand,
    /// Where the button leads.
    #[prop(into)]
    href: String,
    /// Show the intro sentence above the button.
    #[prop(optional)]
    intro: bool,
    /// Loading / disabled state.
    #[prop(optional, into)]
    busy: Signal<bool>,
) -> impl IntoView {
    let name = brand.name();
    let (info_text, info_url) = match brand {
        Brand::AgentConnect => ("Qu’est-ce qu’AgentConnect ?", brand.info_url()),
        Brand::ProConnect => ("Qu’est-ce que ProConnect ?", brand.info_url()),
    };
    let intro_text = match brand {
        Brand::AgentConnect => INTRO.to_owned(),
        Brand::ProConnect => INTRO.replace("AgentConnect", "ProConnect"),
    };
    let button = match brand {
        Brand::AgentConnect => view! {
            <a class="agentconnect-button" id="connect-button" href=href rel="external" aria-disabled=move || busy.get().then_some("true")
               aria-busy=move || busy.get().then_some("true")>
                <span class="fr-sr-only">"S’identifier avec AgentConnect"</span>
            </a>
        }
        .into_any(),
        Brand::ProConnect => view! {
            <a class="fr-connect fr-connect--pro" id="connect-button" href=href rel="external" aria-disabled=move || busy.get().then_some("true")
               aria-busy=move || busy.get().then_some("true")>
                <span class="fr-connect__login">"S’identifier avec"</span>" "
                <span class="fr-connect__brand">"ProConnect"</span>
            </a>
        }
        .into_any(),
    };
    // Lets tests and benchmarks read "navigation → button visible" from the Performance API.
    Effect::new(|_| {
        if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
            let _ = performance.mark("connect-button-visible");
        }
    });
    view! {
        <div class=format!("fr-connect-group connect-group {}-group", name.to_lowercase())>
            {intro.then(|| view! { <p class="fr-text--md fr-mb-2w connect-intro">{intro_text}</p> })}
            {button}
            <p class="connect-info">
                <a id="connect-info-link" href=info_url target="_blank" rel="noopener"
                   title=format!("{info_text} - nouvelle fenêtre")>{info_text}</a>
            </p>
        </div>
    }
}
