//! `/`: the profile when signed in, the sign-in page otherwise (a 401 always leads here).

use super::{ErrorPage, Profile, SignIn};
use crate::api::{self, ApiFailure};
use crate::config::config_resource;
use crate::i18n::text;
use leptos::either::EitherOf4;
use leptos::prelude::*;

/// Loads `/api/me` and shows the profile or the sign-in page.
#[component]
pub fn Home() -> impl IntoView {
    // Both requests run at once: the sign-in page needs the configuration (shared with the
    // header and the error page), the profile needs /api/me.
    let me = api::load(api::me());
    let config = config_resource();
    // `Either…`, not `.into_any()`: type erasure copies every static attribute of the page into
    // an `Arc<str>`, which costs code for each one.
    let loading =
        || view! { <p class="fr-text--lead" aria-busy="true" id="loading">{text("Chargement…", "Loading…")}</p> };
    // The static sign-in page of index.html stays until this page has something else than the
    // loading text to show (then it gives way in the same frame: see `reveal`).
    Effect::new(move |_| {
        let ready = match me.get() {
            Some(Ok(_)) => true,
            Some(Err(ApiFailure::SignedOut | ApiFailure::Other(_))) => config.get().is_some(),
            _ => false,
        };
        if ready {
            crate::reveal();
        }
    });
    // The loading text stays until /api/me answers and, for the sign-in and error pages, until
    // /api/config does too (what a `<Suspense>` would do, without its code).
    move || match me.get() {
        Some(Ok(me)) => EitherOf4::A(view! { <Profile me/> }),
        Some(Err(ApiFailure::SignedOut)) => match config.get() {
            Some(config) => EitherOf4::B(view! { <SignIn brand=config.brand support=config.support/> }),
            None => EitherOf4::C(loading()),
        },
        Some(Err(ApiFailure::Other(message))) if config.get().is_some() => EitherOf4::D(view! { <ErrorPage message/> }),
        // Loading, or on the way to sign in again at a higher level (step-up).
        _ => EitherOf4::C(loading()),
    }
}
