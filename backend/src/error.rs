//! One error type for every failure, mapped to an HTTP status and a message a person understands
//! in French and English: JSON for API calls, a page for browser navigations.

use crate::oidc::OidcError;
use crate::pages::{Page, home};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use proconnect_types::{ApiError, Bilingual};

/// A failure, with its status, a stable name and a message in both languages.
#[derive(Debug, Clone)]
pub struct AppError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable name (`unauthenticated`, `invalid_state`…).
    pub error: &'static str,
    /// A sentence for the user, in English.
    pub message: String,
    /// The same sentence in French.
    pub message_fr: String,
    /// For `insufficient_level`: where the browser signs in again at the required level.
    pub step_up: Option<String>,
}

impl AppError {
    /// Builds an error from its French and English messages.
    pub fn new(status: StatusCode, error: &'static str, fr: impl Into<String>, en: impl Into<String>) -> Self {
        AppError { status, error, message: en.into(), message_fr: fr.into(), step_up: None }
    }

    /// 401: not signed in.
    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", "Vous n’êtes pas connecté.", "You are not signed in.")
    }

    /// 503: the session store is unavailable.
    pub fn session_store(error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "session store unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "session_store_unavailable",
            "Les sessions sont momentanément indisponibles. Réessayez dans un instant.",
            "Sessions are temporarily unavailable. Please try again in a moment.",
        )
    }

    /// Renders as an HTML page (for browser navigations such as the callback).
    pub fn page(self) -> PageError {
        PageError::Failure(self)
    }
}

/// A session store failure: 503 ([`AppError::session_store`]).
impl From<tower_sessions::session::Error> for AppError {
    fn from(error: tower_sessions::session::Error) -> Self {
        AppError::session_store(error)
    }
}

/// The provider failed or its answer failed verification: 502, 400 or 401, said so in French
/// and English (the detail only in the logs).
impl From<OidcError> for AppError {
    fn from(error: OidcError) -> Self {
        const UNVERIFIED: (&str, &str) = (
            "La réponse du fournisseur d’identité n’a pas pu être vérifiée : vous n’êtes pas connecté. Reconnectez-vous.",
            "The identity provider's answer could not be verified, so you were not signed in. Please sign in again.",
        );
        let (status, name, (fr, en)) = match &error {
            OidcError::Provider(_) => (
                StatusCode::BAD_GATEWAY,
                "provider_unavailable",
                (
                    "Le fournisseur d’identité est injoignable ou a mal répondu. Réessayez dans un instant.",
                    "The identity provider could not be reached or answered badly. Please try again.",
                ),
            ),
            OidcError::TokenRejected(_) => (
                StatusCode::BAD_REQUEST,
                "code_rejected",
                (
                    "Le fournisseur d’identité a refusé cette connexion (le lien a peut-être déjà servi ou expiré). Reconnectez-vous.",
                    "The identity provider refused this sign-in (the link may have been used already or expired). Please sign in again.",
                ),
            ),
            OidcError::IdToken(_) => (StatusCode::UNAUTHORIZED, "invalid_id_token", UNVERIFIED),
            OidcError::Userinfo(_) => (StatusCode::UNAUTHORIZED, "invalid_userinfo", UNVERIFIED),
        };
        tracing::warn!(reason = name, detail = %error, "sign-in refused");
        AppError::new(status, name, fr, en)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = ApiError {
            error: self.error.to_owned(),
            message: self.message,
            message_fr: self.message_fr,
            step_up: self.step_up,
        };
        (self.status, axum::Json(body)).into_response()
    }
}

/// An [`AppError`] rendered as a page with a way back, or a page of its own (a refusal).
#[derive(Debug)]
pub enum PageError {
    /// A failure, on the generic page.
    Failure(AppError),
    /// A page saying exactly what happened.
    Page(Box<Page>),
}

impl PageError {
    /// The stable name, for metrics and logs.
    pub fn name(&self) -> &'static str {
        match self {
            PageError::Failure(error) => error.error,
            PageError::Page(page) => page.code,
        }
    }
}

impl From<AppError> for PageError {
    fn from(error: AppError) -> Self {
        error.page()
    }
}

impl From<OidcError> for PageError {
    fn from(error: OidcError) -> Self {
        AppError::from(error).page()
    }
}

impl From<tower_sessions::session::Error> for PageError {
    fn from(error: tower_sessions::session::Error) -> Self {
        AppError::session_store(error).page()
    }
}

impl From<Page> for PageError {
    fn from(page: Page) -> Self {
        PageError::Page(Box::new(page))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::Page(page) => page.into_response(),
            PageError::Failure(AppError { status, error, message, message_fr, .. }) => Page {
                status,
                code: error,
                title: Bilingual::new("La connexion n’a pas abouti", "The sign-in did not complete"),
                paragraphs: vec![Bilingual::new(message_fr, message)],
                facts: Vec::new(),
                actions: vec![home()],
                contact_support: status.is_server_error(),
            }
            .into_response(),
        }
    }
}
