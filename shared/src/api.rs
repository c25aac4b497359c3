//! The JSON the backend-for-frontend serves to the SPA.

use crate::{Acr, AgentClaims, Amr, Brand};
use serde::{Deserialize, Serialize};

/// `GET /api/me`: the signed-in agent. Never holds a token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Me {
    /// The agent's claims.
    pub claims: AgentClaims,
    /// The level of assurance from the ID token.
    pub acr: Option<Acr>,
    /// Authentication methods from the ID token.
    pub amr: Vec<Amr>,
    /// When the session ends at the latest (Unix seconds).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub expires_at: i64,
    /// The brand the kit is configured with.
    pub brand: Brand,
    /// Anti-forgery token to send in [`CSRF_HEADER`] with every state-changing call, or as the
    /// `csrf_token` field of the sign-out form (`POST /auth/logout`).
    pub csrf_token: String,
}

/// `GET /api/config`: what the SPA needs before sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
pub struct PublicConfig {
    /// Which button to show.
    pub brand: Brand,
    /// Where agents get help (an email address or a URL), shown on every error page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support: Option<String>,
}

/// Every error the backend answers with, as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
pub struct ApiError {
    /// A stable machine-readable name (`unauthenticated`, `csrf`, `insufficient_level`…).
    pub error: String,
    /// A sentence a person understands (English).
    pub message: String,
    /// The same sentence in French.
    #[serde(default)]
    pub message_fr: String,
    /// For `insufficient_level`: where to send the browser to sign in again at the required
    /// level (step-up), keeping the session.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step_up: Option<String>,
}

/// The header every state-changing call must carry (anti-forgery).
pub const CSRF_HEADER: &str = "x-csrf-token";
