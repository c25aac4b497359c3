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
    let me = LocalResource::new(api::me);
    let config = config_resource();
    // `Either…`, not `.into_any()`: type erasure copies every static attribute of the page into
    // an `Arc<str>`, which costs code for each one.
    let loading =
        move || view! { <p class="fr-text--lead" aria-busy="true" id="loading">{text("Chargement…", "Loading…")}</p> };
    view! {
        <Suspense fallback=loading>
            {move || me.get().map(|result| match result {
                Ok(me) => EitherOf4::A(view! { <Profile me/> }),
                Err(ApiFailure::SignedOut) => EitherOf4::B(
                    config.get().map(|config| view! { <SignIn brand=config.brand support=config.support/> }),
                ),
                Err(ApiFailure::StepUp(_)) => EitherOf4::C(loading()),
                Err(ApiFailure::Other(message)) => EitherOf4::D(view! { <ErrorPage message/> }),
            })}
        </Suspense>
    }
}
