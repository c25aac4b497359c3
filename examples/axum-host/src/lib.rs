//! An existing axum application — a register of *dossiers* with its own state, JSON API and
//! fallback — that adds "S'identifier avec ProConnect" by embedding the BFF under `/compte`:
//! `/compte/auth/login`, `/compte/auth/callback`, `/compte/api/me`… Its `GET /api/dossiers` needs
//! a signed-in agent ([`SignedInAgent`]); its `POST /api/dossiers` also needs the anti-forgery
//! token ([`CsrfLayer`]); its home page greets the agent if there is one ([`MaybeAgent`]).

use axum::extract::State;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::get;
use axum::{Json, Router};
use proconnect_bff::App;
use proconnect_bff::csrf::CsrfLayer;
use proconnect_bff::error::AppError;
use proconnect_bff::guard::{MaybeAgent, SignedInAgent};
use proconnect_bff::settings::Settings;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Mutex};

/// Where this application puts the BFF (`paths.base`).
pub const BFF_BASE: &str = "/compte";

/// A dossier, owned by the agent who opened it.
#[derive(Debug, Clone, Serialize)]
pub struct Dossier {
    /// Its number, from 1.
    pub id: usize,
    /// What it is about.
    pub title: String,
    /// The `sub` of the agent who opened it.
    pub owner: String,
}

/// The body of `POST /api/dossiers`.
#[derive(Debug, Deserialize)]
pub struct NewDossier {
    /// What it is about: 1 to 200 characters.
    pub title: String,
}

/// The application's own state (the BFF needs nothing of it).
#[derive(Clone, Default)]
pub struct Register(Arc<Mutex<Vec<Dossier>>>);

fn poisoned() -> AppError {
    AppError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "register_unavailable",
        "Le registre des dossiers est indisponible.",
        "The register of dossiers is unavailable.",
    )
}

/// `GET /api/dossiers`: the signed-in agent's dossiers.
async fn list(
    State(register): State<Register>,
    SignedInAgent(agent): SignedInAgent,
) -> Result<Json<Vec<Dossier>>, AppError> {
    let dossiers = register.0.lock().map_err(|_| poisoned())?;
    Ok(Json(dossiers.iter().filter(|d| d.owner == agent.claims.sub).cloned().collect()))
}

/// `POST /api/dossiers` (under [`CsrfLayer`]): opens a dossier; 400 in French and English for a
/// body that is not `{"title": "…"}` with 1 to 200 characters.
async fn create(
    State(register): State<Register>,
    SignedInAgent(agent): SignedInAgent,
    body: Result<Json<NewDossier>, JsonRejection>,
) -> Result<(StatusCode, Json<Dossier>), AppError> {
    let invalid = || {
        AppError::new(
            StatusCode::BAD_REQUEST,
            "invalid_dossier",
            "Le corps doit être {\"title\": \"…\"} avec un titre de 1 à 200 caractères.",
            "The body must be {\"title\": \"…\"} with a title of 1 to 200 characters.",
        )
    };
    let Json(new) = body.map_err(|_| invalid())?;
    let title = new.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(invalid());
    }
    let mut dossiers = register.0.lock().map_err(|_| poisoned())?;
    let dossier = Dossier { id: dossiers.len() + 1, title: title.to_owned(), owner: agent.claims.sub };
    dossiers.push(dossier.clone());
    Ok((StatusCode::CREATED, Json(dossier)))
}

/// `GET /`: a greeting, or the way to sign in.
async fn home(MaybeAgent(agent): MaybeAgent) -> Html<String> {
    Html(match agent.and_then(|agent| agent.claims.given_name) {
        Some(name) => format!("<p>Bonjour {}</p>", proconnect_bff::pages::escape(&name)),
        None => format!("<p><a href=\"{BFF_BASE}/auth/login\">S’identifier avec ProConnect</a></p>"),
    })
}

/// Any other path: the application's own 404.
async fn not_found() -> AppError {
    AppError::new(StatusCode::NOT_FOUND, "not_found", "Il n’y a rien à cette adresse.", "There is nothing here.")
}

/// The whole application over `settings` (whose `paths.base` must be [`BFF_BASE`]): its
/// routes, the BFF's under `/compte`, `/ops/healthz`, `/ops/readyz`, `/ops/metrics`, its own
/// fallback, and the BFF's layer over all of them.
pub async fn app(settings: Settings) -> anyhow::Result<Router> {
    anyhow::ensure!(
        settings.paths.base == BFF_BASE,
        "paths.base is `{}`: this application embeds the BFF under `{BFF_BASE}`",
        settings.paths.base
    );
    let bff = App::new(settings)?.build().await?;
    Ok(Router::new()
        .route("/", get(home))
        .route("/api/dossiers", get(list).post(create))
        .route_layer(CsrfLayer)
        .with_state(Register::default())
        .merge(bff.router)
        .nest("/ops", bff.ops)
        .fallback(not_found)
        .layer(bff.layer))
}
