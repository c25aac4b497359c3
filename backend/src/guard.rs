//! Extractors for handlers — the BFF's own and those of an application that embeds it: the
//! signed-in agent, and the same agent at a required level (`RequireLevel<TwoFactor>`).

use crate::auth::current_agent;
use crate::error::AppError;
use crate::session::AgentSession;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use shared::LevelPolicy;
use std::marker::PhantomData;
use tower_sessions::Session;

/// The signed-in agent; 401 JSON when signed out.
pub struct SignedInAgent(pub AgentSession);

impl<S: Send + Sync> FromRequestParts<S> for SignedInAgent {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state).await.map_err(|(_, e)| AppError::session_store(e))?;
        current_agent(&session).await?.map(SignedInAgent).ok_or_else(AppError::unauthenticated)
    }
}

/// A level requirement for [`RequireLevel`].
pub trait Level {
    /// The levels accepted.
    fn policy() -> LevelPolicy;
}

/// A level in [`shared::Acr::TWO_FACTOR`].
pub struct TwoFactor;
impl Level for TwoFactor {
    fn policy() -> LevelPolicy {
        LevelPolicy::TwoFactor
    }
}

/// A certified company director.
pub struct CertificationDirigeant;
impl Level for CertificationDirigeant {
    fn policy() -> LevelPolicy {
        LevelPolicy::CertificationDirigeant
    }
}

/// The signed-in agent, at a level `L` accepts. Otherwise 401 when signed out, or 403
/// `insufficient_level` whose `step_up` is where the SPA sends the browser to sign in again at
/// that level, keeping the session (the SPA appends `&return_to=<its current path>`).
pub struct RequireLevel<L: Level>(pub AgentSession, pub PhantomData<L>);

impl<L: Level> RequireLevel<L> {
    /// The agent.
    pub fn agent(&self) -> &AgentSession {
        &self.0
    }
}

impl<L: Level, S: Send + Sync> FromRequestParts<S> for RequireLevel<L> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let SignedInAgent(agent) = SignedInAgent::from_request_parts(parts, state).await?;
        let policy = L::policy();
        if policy.allows(agent.acr.as_ref()) {
            return Ok(RequireLevel(agent, PhantomData));
        }
        let (fr, en) = policy.describe();
        let mut error = AppError::new(
            StatusCode::FORBIDDEN,
            "insufficient_level",
            format!("Cette action exige {fr} : reconnectez-vous à ce niveau."),
            format!("This action requires {en}: sign in again at that level."),
        );
        let acr: String = url::form_urlencoded::byte_serialize(policy.to_string().as_bytes()).collect();
        error.step_up = Some(format!("/auth/login?acr={acr}"));
        Err(error)
    }
}
