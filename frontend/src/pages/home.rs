//! `/`: the profile when signed in, the sign-in page otherwise (a 401 always leads here).

use super::{ErrorPage, Profile, SignIn};
use crate::api::{self, ApiFailure};
use crate::i18n::t;
use leptos::prelude::*;

/// Loads `/api/me` and shows the profile or the sign-in page.
#[component]
pub fn Home() -> impl IntoView {
    // Both requests start at once: the sign-in page needs the brand, the profile needs /api/me.
    let me = LocalResource::new(api::me);
    let brand = LocalResource::new(api::brand);
    view! {
        <Suspense fallback=move || view! {
            <p class="fr-text--lead" aria-busy="true" id="loading">{move || t("Chargement…", "Loading…")}</p>
        }>
            {move || me.get().map(|result| match result {
                Ok(me) => view! { <Profile me/> }.into_any(),
                Err(ApiFailure::SignedOut) => {
                    brand.get().map(|brand| view! { <SignIn brand/> }).into_any()
                }
                Err(ApiFailure::Other(message)) => view! { <ErrorPage message/> }.into_any(),
            })}
        </Suspense>
    }
}
