//! Extractors for handlers — the BFF's own and those of an application that embeds it (added with
//! [`App::with_routes`](crate::App::with_routes)): the signed-in agent, and the same agent at a
//! required level (`RequireLevel<TwoFactor>`).
//!
//! They do not check the anti-forgery header: a state-changing handler also calls
//! [`check_csrf`](crate::auth::check_csrf) with the agent.

use crate::auth::current_agent;
use crate::error::AppError;
use crate::session::AgentSession;
use crate::state::AppState;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::StatusCode;
use axum::http::request::Parts;
use proconnect_types::LevelPolicy;
use std::marker::PhantomData;
use tower_sessions::Session;

/// The signed-in agent (at a level the service's `policy.level` accepts); 401 JSON when signed
/// out.
pub struct SignedInAgent(pub AgentSession);

impl<S: Send + Sync> FromRequestParts<S> for SignedInAgent
where
    AppState: FromRef<S>,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state).await.map_err(|(_, e)| {
            // A route outside the session layer: a wiring mistake, not an outage.
            tracing::error!(error = e, "no session on this route: add it with App::with_routes");
            AppError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "no_session_layer",
                "Erreur interne : cette route n’a pas de session.",
                "Internal error: this route has no session.",
            )
        })?;
        let app = AppState::from_ref(state);
        current_agent(&session, &app).await?.map(SignedInAgent).ok_or_else(AppError::unauthenticated)
    }
}

/// A level requirement for [`RequireLevel`].
pub trait Level {
    /// The levels accepted.
    fn policy() -> LevelPolicy;
}

/// A level in [`proconnect_types::Acr::TWO_FACTOR`].
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
/// that level, keeping the session (the SPA appends `&return_to=<its current path>`). `L` must
/// lie within the service's `policy.level` (`/auth/login` refuses a step-up below it).
pub struct RequireLevel<L: Level>(pub AgentSession, pub PhantomData<L>);

impl<L: Level> RequireLevel<L> {
    /// The agent.
    pub fn agent(&self) -> &AgentSession {
        &self.0
    }
}

impl<L: Level, S: Send + Sync> FromRequestParts<S> for RequireLevel<L>
where
    AppState: FromRef<S>,
{
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
        error.step_up = Some(format!("/auth/login?acr={}", crate::auth::encode(&policy.to_string())));
        Err(error)
    }
}
