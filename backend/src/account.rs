//! `GET /compte` (under `paths.base`): the signed-in agent's profile rendered by the server, for a browser that runs no
//! script (JavaScript disabled, or the Wasm blocked on the way). The static sign-in page in
//! `index.html` signs in with `return_to=/compte`; the SPA's own button returns to `/`, where the
//! SPA shows the full profile.

use crate::auth::current_agent;
use crate::error::PageError;
use crate::pages;
use crate::state::AppState;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use tower_sessions::Session;

/// The profile page (200, never cached: see the API's `no-store`), or `303` to `paths.home` (`/`)
/// when signed out.
pub async fn account(State(app): State<AppState>, session: Session) -> Result<Response, PageError> {
    let agent = current_agent(&session, &app).await?;
    Ok(match agent {
        Some(agent) => {
            let logout = app.settings.paths.route("/auth/logout");
            Html(pages::account(&agent, app.settings.brand, &logout)).into_response()
        }
        None => Redirect::to(&app.settings.paths.home).into_response(),
    })
}
