//! The Leptos SPA of the ProConnect kit (AgentConnect remains as a legacy brand), and components
//! other Leptos apps can reuse: [`components::ConnectButton`] (the official ProConnect /
//! AgentConnect button with its "Qu’est-ce que…" link), [`components::Divider`] (the legacy "OU"
//! separator), [`components::SupportContact`] and the pages.

pub mod api;
pub mod components;
pub mod config;
pub mod i18n;
pub mod json;
pub mod pages;
pub mod router;

use components::{Footer, Header};
use leptos::either::EitherOf4;
use leptos::prelude::*;
use proconnect_types::Brand;
use router::Router;

/// Shows the App in place of `index.html`'s static sign-in page: removes `#shell` and unhides
/// `#app` in the same task, so the browser never paints one without the other (same markup, no
/// layout shift). The home page calls it once its first page (not "Loading…") is rendered, every
/// other page at once. Does nothing on a page without them (tests, another app).
pub fn reveal() {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    if let Some(shell) = document.get_element_by_id("shell") {
        shell.remove();
    }
    if let Some(app) = document.get_element_by_id("app") {
        let _ = app.remove_attribute("hidden");
    }
}

/// The kit's pages as a route group another Leptos app mounts in its own layout, inside
/// [`router::Router`] (with [`config::provide_config`] and [`i18n::provide_language`] above):
/// the sign-in or profile page at `/`, the signed-out page at `/deconnecte`, the error page at
/// `/erreur` (one trailing slash accepted), and the host's `fallback` at any other path.
#[component]
pub fn KitPages<F, V>(
    /// What the host shows at a path that is not one of the kit's pages.
    fallback: F,
) -> impl IntoView
where
    F: Fn() -> V + Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    move || {
        let path = router::path();
        match path.strip_suffix('/').filter(|path| !path.is_empty()).unwrap_or(&path) {
            "/" => EitherOf4::A(view! { <pages::Home/> }),
            "/deconnecte" => EitherOf4::B(view! { <pages::SignedOut/> }),
            "/erreur" => EitherOf4::C(view! { <pages::ErrorPage/> }),
            _ => EitherOf4::D(fallback()),
        }
    }
}

/// The whole application: header, routes, footer. Loads `/api/config` once for every page.
#[component]
pub fn App() -> impl IntoView {
    // Only the home page keeps the static sign-in page until it is ready (index.html's script
    // already removed it anywhere else).
    Effect::new(|_| {
        let document = web_sys::window().and_then(|w| w.document());
        let at_home =
            document.as_ref().and_then(|d| d.location()).and_then(|l| l.pathname().ok()).as_deref() == Some("/");
        if !at_home || document.and_then(|d| d.get_element_by_id("shell")).is_none() {
            reveal();
        }
    });
    i18n::provide_language();
    config::provide_config();
    let brand = config::use_brand();
    // The window's title names the configured brand (ProConnect until the configuration says otherwise).
    Effect::new(move |_| {
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            document.set_title(match brand.get() {
                Brand::ProConnect => "Kit ProConnect",
                Brand::AgentConnect => "Kit AgentConnect",
            });
        }
    });
    view! {
        <Router>
            <Header/>
            <main id="contenu" class="fr-container fr-py-6w" tabindex="-1">
                <KitPages fallback=|| view! { <pages::NotFound/> }/>
            </main>
            <Footer/>
        </Router>
    }
}
