//! Extractors for handlers — the BFF's own and those of an application that embeds it: the
//! signed-in agent ([`SignedInAgent`]), maybe one ([`MaybeAgent`]), and the agent at a required
//! level (`RequireLevel<TwoFactor>`).
//!
//! They work whatever the router's state type is: they read the session and the BFF's
//! [`AppState`] from the request's extensions, which the BFF's layer
//! ([`Bff::layer`](crate::Bff::layer)) puts there. On a route outside that layer they answer a
//! 500 that says so. They do not check the anti-forgery header: put the state-changing routes
//! under [`CsrfLayer`](crate::csrf::CsrfLayer).

use crate::auth::current_agent;
use crate::error::AppError;
use crate::session::AgentSession;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use proconnect_types::LevelPolicy;
use std::marker::PhantomData;
use tower_sessions::Session;

/// The signed-in agent (at a level the service's `policy.level` accepts); 401 JSON when signed
/// out.
pub struct SignedInAgent(pub AgentSession);

/// The signed-in agent if there is one: `MaybeAgent(None)` when signed out, never a 401.
pub struct MaybeAgent(pub Option<AgentSession>);

/// The BFF's state and the session of this request, from the extensions the BFF's layer sets.
pub(crate) fn bff_of(parts: &Parts) -> Result<(AppState, Session), AppError> {
    let state = parts.extensions.get::<AppState>().cloned();
    let session = parts.extensions.get::<Session>().cloned();
    state.zip(session).ok_or_else(|| {
        // A route outside the BFF's layer: a wiring mistake, not an outage.
        tracing::error!("no BFF layer on this route: apply Bff::layer over it");
        AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "no_session_layer",
            "Erreur interne : cette route n’a pas de session (la couche du BFF manque).",
            "Internal error: this route has no session (the BFF's layer is missing).",
        )
    })
}

/// The agent of a request under the BFF's layer, if signed in.
pub(crate) async fn agent_of(parts: &Parts) -> Result<Option<AgentSession>, AppError> {
    let (app, session) = bff_of(parts)?;
    current_agent(&session, &app).await
}

impl<S: Send + Sync> FromRequestParts<S> for MaybeAgent {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        agent_of(parts).await.map(MaybeAgent)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for SignedInAgent {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        agent_of(parts).await?.map(SignedInAgent).ok_or_else(AppError::unauthenticated)
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
/// that level, keeping the session (the SPA appends `&return_to=<its current path>`; the URL is
/// under `paths.base`). `L` must lie within the service's `policy.level` (`/auth/login` refuses
/// a step-up below it).
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
        let login = bff_of(parts)?.0.settings.paths.route("/auth/login");
        error.step_up = Some(format!("{login}?acr={}", crate::auth::encode(&policy.to_string())));
        Err(error)
    }
}
