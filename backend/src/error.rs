//! One error type for every failure, mapped to an HTTP status and a message a person understands:
//! JSON for API calls, a small page for browser navigations.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use shared::ApiError;

/// A failure, with its status, a stable name and a human message.
#[derive(Debug, Clone)]
pub struct AppError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable machine-readable name (`unauthenticated`, `invalid_state`…).
    pub error: &'static str,
    /// A sentence for the user.
    pub message: String,
}

impl AppError {
    /// Builds an error.
    pub fn new(status: StatusCode, error: &'static str, message: impl Into<String>) -> Self {
        AppError { status, error, message: message.into() }
    }

    /// 401: not signed in.
    pub fn unauthenticated() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", "You are not signed in.")
    }

    /// 503: the session store is unavailable.
    pub fn session_store(error: impl std::fmt::Display) -> Self {
        tracing::error!(%error, "session store unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "session_store_unavailable",
            "Sessions are temporarily unavailable. Please try again in a moment.",
        )
    }

    /// Renders as an HTML page (for browser navigations such as the callback).
    pub fn page(self) -> PageError {
        PageError(self)
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let body = ApiError { error: self.error.to_owned(), message: self.message };
        (self.status, axum::Json(body)).into_response()
    }
}

/// An [`AppError`] rendered as a page with a way back to sign-in.
#[derive(Debug)]
pub struct PageError(pub AppError);

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let AppError { status, error, message } = self.0;
        let html = format!(
            "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>Erreur de connexion</title></head>\
             <body><main><h1>La connexion n'a pas abouti</h1>\
             <p lang=\"en\" id=\"error-message\">{message}</p><p>Code : <code id=\"error-code\">{error}</code> (HTTP {status})</p>\
             <p><a href=\"/\">Retour à l'accueil pour réessayer</a></p></main></body></html>",
            message = html_escape(&message),
            status = status.as_u16()
        );
        (status, Html(html)).into_response()
    }
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
