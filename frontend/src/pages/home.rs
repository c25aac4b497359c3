//! `/`: the profile when signed in, the sign-in page otherwise (a 401 always leads here).

use super::{ErrorPage, Profile, SignIn};
use crate::api::{self, ApiFailure};
use crate::config::config_resource;
use crate::i18n::t;
use leptos::prelude::*;

/// Loads `/api/me` and shows the profile or the sign-in page.
#[component]
pub fn Home() -> impl IntoView {
    // Both requests run at once: the sign-in page needs the configuration (shared with the
    // header and the error page), the profile needs /api/me.
    let me = LocalResource::new(api::me);
    let config = config_resource();
    let loading = move || view! { <p class="fr-text--lead" aria-busy="true" id="loading">{move || t("Chargement…", "Loading…")}</p> };
    view! {
        <Suspense fallback=loading>
            {move || me.get().map(|result| match result {
                Ok(me) => view! { <Profile me/> }.into_any(),
                Err(ApiFailure::SignedOut) => config
                    .get()
                    .map(|config| view! { <SignIn brand=config.brand support=config.support/> })
                    .into_any(),
                Err(ApiFailure::StepUp(_)) => loading().into_any(),
                Err(ApiFailure::Other(message)) => view! { <ErrorPage message/> }.into_any(),
            })}
        </Suspense>
    }
}
