//! The official ProConnect / AgentConnect button, with the "Qu’est-ce que…" link 8 px below it
//! and the optional intro sentence.

use leptos::either::Either;
use leptos::prelude::*;
use proconnect_types::Brand;

/// The intro sentence the 2024 AgentConnect checklist asks for when other sign-in methods coexist.
pub const INTRO: &str = "AgentConnect vous permet d’accéder à de nombreux services en ligne en utilisant l’un de vos comptes professionnels existants.";

/// [`INTRO`] naming ProConnect.
const PRO_INTRO: &str = "ProConnect vous permet d’accéder à de nombreux services en ligne en utilisant l’un de vos comptes professionnels existants.";

/// The official sign-in button for `brand`, leading to `href` (usually `/auth/login`).
///
/// - ProConnect (today's brand): the DSFR `fr-connect fr-connect--pro` button, 214×56 px,
///   `#000091`, hover `#1212ff` (`style.css` pins the box and colours), and below it the link
///   [`Brand::info_text`] to [`Brand::info_url`] with `title` [`Brand::info_title`] and
///   `rel="noopener noreferrer"`, as ProConnect's documentation asks.
/// - AgentConnect (legacy): the official 206×60 artwork (`#000091`, hover `#1212ff`) and the 2024
///   checklist's link "Qu’est-ce qu’AgentConnect ?" (`rel="noopener"`).
///
/// Both have the accessible name "S’identifier avec <brand>", a visible keyboard focus (DSFR),
/// and the information link opening the official site in a new window. Set `intro` to show the
/// intro sentence above the button (the 2024 AgentConnect checklist's, with the brand's name);
/// `busy` shows a loading, disabled state.
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
    let (info_text, info_title) = (brand.info_text(), brand.info_title());
    // The 2024 checklist asked for `noopener`; ProConnect's documentation for both.
    let info_rel = match brand {
        Brand::AgentConnect => "noopener",
        Brand::ProConnect => "noopener noreferrer",
    };
    let (group_class, intro_text) = match brand {
        Brand::AgentConnect => ("fr-connect-group connect-group agentconnect-group", INTRO),
        Brand::ProConnect => ("fr-connect-group connect-group proconnect-group", PRO_INTRO),
    };
    let button = match brand {
        Brand::AgentConnect => Either::Left(view! {
            <a class="agentconnect-button" id="connect-button" href=href rel="external" aria-disabled=move || busy.get().then_some("true")
               aria-busy=move || busy.get().then_some("true")>
                <span class="fr-sr-only">"S’identifier avec AgentConnect"</span>
            </a>
        }),
        Brand::ProConnect => Either::Right(view! {
            <a class="fr-connect fr-connect--pro" id="connect-button" href=href rel="external" aria-disabled=move || busy.get().then_some("true")
               aria-busy=move || busy.get().then_some("true")>
                <span class="fr-connect__login">"S’identifier avec"</span>" "
                <span class="fr-connect__brand">"ProConnect"</span>
            </a>
        }),
    };
    // Lets tests and benchmarks read "navigation → button visible" from the Performance API.
    Effect::new(|_| {
        if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
            let _ = performance.mark("connect-button-visible");
        }
    });
    view! {
        <div class=group_class>
            {intro.then(|| view! { <p class="fr-text--md fr-mb-2w connect-intro">{intro_text}</p> })}
            {button}
            <p class="connect-info">
                <a id="connect-info-link" href=brand.info_url() target="_blank" rel=info_rel
                   title=info_title>{info_text}</a>
            </p>
        </div>
    }
}
