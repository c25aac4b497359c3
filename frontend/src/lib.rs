//! The Leptos SPA of the AgentConnect kit, and components other Leptos apps can reuse:
//! [`components::ConnectButton`] (the official AgentConnect / ProConnect button with its
//! "Qu'est-ce que…" link), [`components::Divider`] (the "OU" separator) and the pages.

pub mod api;
pub mod components;
pub mod i18n;
pub mod pages;

use components::{Footer, Header};
use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

/// The whole application: header, routes, footer.
#[component]
pub fn App() -> impl IntoView {
    i18n::provide_language();
    view! {
        <Router>
            <Header/>
            <main id="contenu" class="fr-container fr-py-6w" tabindex="-1">
                <Routes fallback=pages::NotFound>
                    <Route path=path!("/") view=pages::Home/>
                    <Route path=path!("/deconnecte") view=pages::SignedOut/>
                    <Route path=path!("/erreur") view=|| view! { <pages::ErrorPage/> }/>
                </Routes>
            </main>
            <Footer/>
        </Router>
    }
}
