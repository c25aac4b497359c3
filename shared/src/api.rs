//! The JSON the backend-for-frontend serves to the SPA.

use crate::{AgentClaims, Brand};
use serde::{Deserialize, Serialize};

/// `GET /api/me`: the signed-in agent. Never holds a token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Me {
    /// The agent's claims.
    pub claims: AgentClaims,
    /// The level of assurance from the ID token.
    pub acr: Option<String>,
    /// Authentication methods from the ID token, when requested.
    pub amr: Vec<String>,
    /// When the session ends at the latest (Unix seconds).
    pub expires_at: i64,
    /// The brand the kit is configured with.
    pub brand: Brand,
    /// Anti-forgery token to send in [`CSRF_HEADER`] with every state-changing call.
    pub csrf_token: String,
}

/// `POST /auth/logout`: where the browser goes next (AgentConnect's logout, or a local page).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogoutResponse {
    /// The URL to navigate to.
    pub redirect: String,
}

/// `GET /api/config`: what the SPA needs before sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicConfig {
    /// Which button to show.
    pub brand: Brand,
}

/// Every error the backend answers with, as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    /// A stable machine-readable name (`unauthenticated`, `csrf`…).
    pub error: String,
    /// A sentence a person understands.
    pub message: String,
}

/// The header every state-changing call must carry (anti-forgery).
pub const CSRF_HEADER: &str = "x-csrf-token";
