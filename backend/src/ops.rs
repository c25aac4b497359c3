//! The operators' surface: `/healthz` (the process answers), `/readyz` (it can serve sign-ins),
//! `/metrics`, and the identity provider's health, checked in the background.
//!
//! Readiness does not follow the provider from minute to minute: an outage of the provider would
//! otherwise take every instance out of the load balancer at once, and anyone could make the
//! service call the provider by calling `/readyz`. Ready means discovery and keys were loaded once
//! and the session store answers; the answer is kept [`READINESS_CACHE`]. The provider's current
//! health is the `bff_provider_up` metric, checked every [`PROVIDER_CHECK_INTERVAL`] and logged
//! when it changes.

use crate::error::AppError;
use crate::metrics::Metrics;
use crate::oidc::RelyingParty;
use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};
use tower_sessions::SessionStore;

/// How long a `/readyz` answer is reused.
pub const READINESS_CACHE: Duration = Duration::from_secs(5);
/// How often the provider's health is checked (one discovery request each time).
pub const PROVIDER_CHECK_INTERVAL: Duration = Duration::from_secs(10);
/// A session store slower than this is not ready.
const STORE_PROBE_TIMEOUT: Duration = Duration::from_secs(2);

type Probe = Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + Sync>;

/// The `/readyz` check, with its cached answer.
pub struct Readiness {
    probe: Probe,
    last: tokio::sync::Mutex<Option<(Instant, Result<(), String>)>>,
}

impl Readiness {
    /// Readiness over this session store.
    pub fn new<S: SessionStore + Clone>(store: S) -> Self {
        let probe: Probe = Arc::new(move || {
            let store = store.clone();
            Box::pin(async move {
                // An id nobody holds: a read that reaches the store and finds nothing.
                let id = tower_sessions::session::Id::default();
                match tokio::time::timeout(STORE_PROBE_TIMEOUT, store.load(&id)).await {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(error)) => Err(format!("session store: {error}")),
                    Err(_) => Err(format!("session store: no answer within {STORE_PROBE_TIMEOUT:?}")),
                }
            })
        });
        Readiness { probe, last: tokio::sync::Mutex::new(None) }
    }

    /// Whether the service can take sign-ins: discovery and keys loaded (fetched here if they
    /// never were), and the session store answering. One check at a time, and its answer is
    /// reused for [`READINESS_CACHE`]; the reason of a failure goes to the logs when the answer
    /// changes, never to the caller.
    pub async fn check(&self, rp: &RelyingParty) -> Result<(), String> {
        let mut last = self.last.lock().await;
        if let Some((at, answer)) = last.as_ref()
            && at.elapsed() < READINESS_CACHE
        {
            return answer.clone();
        }
        let answer = match rp.ready().await {
            Ok(()) => (self.probe)().await,
            Err(error) => Err(error.to_string()),
        };
        let before = last.as_ref().map(|(_, answer)| answer.is_ok());
        match (&answer, before) {
            (Ok(()), Some(true)) | (Err(_), Some(false)) => {}
            (Ok(()), _) => tracing::info!("ready"),
            (Err(reason), _) => tracing::warn!(%reason, "not ready"),
        }
        *last = Some((Instant::now(), answer.clone()));
        answer
    }
}

/// `/readyz`: `ready`, or a 503 whose body says only that the service is not ready.
async fn readyz(readiness: Arc<Readiness>, app: AppState) -> Response {
    match readiness.check(&app.rp).await {
        Ok(()) => "ready".into_response(),
        Err(_) => AppError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            "Le service n’est pas prêt.",
            "The service is not ready.",
        )
        .into_response(),
    }
}

/// `/healthz`, `/readyz` and `/metrics`.
pub fn routes(readiness: Arc<Readiness>) -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(move |State(app): State<AppState>| readyz(readiness.clone(), app)))
        .route("/metrics", get(|State(app): State<AppState>| async move { app.metrics.render() }))
}

/// The same paths on the public listener when they are served on `ops_listen`: a 404, never the
/// SPA's `index.html`.
pub fn elsewhere() -> Router<AppState> {
    let not_here = || async {
        AppError::new(StatusCode::NOT_FOUND, "not_found", "Il n’y a rien à cette adresse.", "There is nothing here.")
    };
    Router::new().route("/healthz", get(not_here)).route("/readyz", get(not_here)).route("/metrics", get(not_here))
}

/// Checks that the provider answers now (one discovery request), records it in `metrics`
/// (`bff_provider_up`) and logs a change. Returns whether it answered.
pub async fn check_provider(rp: &RelyingParty, metrics: &Metrics) -> bool {
    let result = rp.reachable().await;
    let before = metrics.provider_checked(result.is_ok());
    match (&result, before) {
        (Ok(()), Some(true)) | (Err(_), Some(false)) => {}
        (Ok(()), _) => tracing::info!(issuer = rp.issuer(), "identity provider reachable"),
        (Err(error), _) => tracing::warn!(issuer = rp.issuer(), %error, "identity provider unreachable"),
    }
    result.is_ok()
}

/// Checks the provider at once, then every `every`, on the current Tokio runtime, until the
/// relying party is dropped. Does nothing outside a runtime.
pub fn spawn_provider_monitor(state: &AppState, every: Duration) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let (rp, metrics): (Weak<RelyingParty>, Weak<Metrics>) =
        (Arc::downgrade(&state.rp), Arc::downgrade(&state.metrics));
    runtime.spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let (Some(rp), Some(metrics)) = (rp.upgrade(), metrics.upgrade()) else {
                return;
            };
            check_provider(&rp, &metrics).await;
        }
    });
}
