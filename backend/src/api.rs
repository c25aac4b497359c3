//! The JSON API the SPA calls.

use crate::auth::current_agent;
use crate::error::AppError;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use proconnect_types::{Me, PublicConfig};
use tower_sessions::Session;

/// `GET /api/me`: the signed-in agent's claims and session expiry; 401 when signed out.
pub async fn me(State(app): State<AppState>, session: Session) -> Result<Json<Me>, AppError> {
    let agent = current_agent(&session, &app).await?.ok_or_else(AppError::unauthenticated)?;
    Ok(Json(Me {
        claims: agent.claims,
        acr: agent.acr,
        amr: agent.amr,
        expires_at: agent.expires_at,
        brand: app.settings.brand,
        csrf_token: agent.csrf_token,
    }))
}

/// `GET /api/config`: the brand and the support contact to show, before sign-in.
pub async fn config(State(app): State<AppState>) -> Json<PublicConfig> {
    Json(PublicConfig { brand: app.settings.brand, support: app.settings.support.clone() })
}

/// Any other `/api/…` path: a JSON 404, never the SPA.
pub async fn not_found() -> AppError {
    AppError::new(
        axum::http::StatusCode::NOT_FOUND,
        "not_found",
        "Ce point d’accès de l’API n’existe pas.",
        "There is no such API endpoint.",
    )
}
