//! The "OU" separator between the AgentConnect button and other sign-in methods (contract §8).

use leptos::prelude::*;

/// A horizontal divider reading "OU".
#[component]
pub fn Divider() -> impl IntoView {
    view! { <p class="connect-divider" id="connect-divider" role="separator" aria-label="OU">"OU"</p> }
}
