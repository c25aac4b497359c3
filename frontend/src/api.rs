//! The BFF's JSON API, typed by the `shared` crate. The only module that talks to the server.

use gloo_net::http::Request;
use shared::{Bilingual, Brand, CSRF_HEADER, LogoutResponse, Me, PublicConfig};

/// What can go wrong calling the API.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiFailure {
    /// 401: not signed in (go to the sign-in page).
    SignedOut,
    /// 403 `insufficient_level`: the browser is already on its way to this step-up address
    /// (sign in again at the required level, keeping the session).
    StepUp(String),
    /// Anything else, with a message in both languages.
    Other(Bilingual),
}

impl ApiFailure {
    /// A failure whose message is the same in both languages (network errors, HTTP statuses).
    fn plain(message: impl Into<String>) -> Self {
        let message = message.into();
        ApiFailure::Other(Bilingual::new(message.clone(), message))
    }
}

/// Whether `url` is a path on this origin (`/auth/login?…`), never another site (`//evil`, `https:`).
pub fn is_local_path(url: &str) -> bool {
    url.starts_with('/') && !url.starts_with("//") && !url.starts_with("/\\")
}

/// Reads the backend's JSON error into an [`ApiFailure`] (no side effect): an `insufficient_level`
/// answer with a local `step_up` address becomes [`ApiFailure::StepUp`].
pub fn failure_from(status: u16, error: Option<shared::ApiError>) -> ApiFailure {
    if status == 401 {
        return ApiFailure::SignedOut;
    }
    let Some(error) = error else { return ApiFailure::plain(format!("HTTP {status}")) };
    if error.error == "insufficient_level"
        && let Some(step_up) = error.step_up.filter(|url| is_local_path(url))
    {
        return ApiFailure::StepUp(step_up);
    }
    let fr = if error.message_fr.is_empty() { error.message.clone() } else { error.message_fr };
    ApiFailure::Other(Bilingual::new(fr, error.message))
}

/// The failure an error response means; a step-up answer sends the browser to sign in again.
async fn error_message(response: gloo_net::http::Response) -> ApiFailure {
    let status = response.status();
    let failure = failure_from(status, response.json::<shared::ApiError>().await.ok());
    if let ApiFailure::StepUp(url) = &failure {
        navigate(url);
    }
    failure
}

/// `GET /api/me`.
pub async fn me() -> Result<Me, ApiFailure> {
    let response = Request::get("/api/me").send().await.map_err(|e| ApiFailure::plain(e.to_string()))?;
    if !response.ok() {
        return Err(error_message(response).await);
    }
    response.json().await.map_err(|e| ApiFailure::plain(e.to_string()))
}

/// `GET /api/config`: the brand and the support contact. When the backend cannot say, ProConnect
/// (the default brand) and no support contact.
pub async fn config() -> PublicConfig {
    let config = async { Request::get("/api/config").send().await.ok()?.json::<PublicConfig>().await.ok() };
    config.await.unwrap_or(PublicConfig { brand: Brand::default(), support: None })
}

/// The configured brand (`GET /api/config`); ProConnect if the backend cannot say.
pub async fn brand() -> Brand {
    config().await.brand
}

/// `POST /auth/logout` with the anti-forgery header; returns where to navigate.
pub async fn logout(csrf_token: &str) -> Result<String, ApiFailure> {
    let response = Request::post("/auth/logout")
        .header(CSRF_HEADER, csrf_token)
        .send()
        .await
        .map_err(|e| ApiFailure::plain(e.to_string()))?;
    if !response.ok() {
        return Err(error_message(response).await);
    }
    let body: LogoutResponse = response.json().await.map_err(|e| ApiFailure::plain(e.to_string()))?;
    Ok(body.redirect)
}

/// Sends the browser to `url` (a full navigation: sign-in and sign-out leave the SPA).
pub fn navigate(url: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_href(url);
    }
}
