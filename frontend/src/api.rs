//! The BFF's JSON API, typed by the `shared` crate. The only module that talks to the server.

use gloo_net::http::Request;
use shared::{Brand, CSRF_HEADER, LogoutResponse, Me, PublicConfig};

/// What can go wrong calling the API.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiFailure {
    /// 401: not signed in (go to the sign-in page).
    SignedOut,
    /// Anything else, with a message.
    Other(String),
}

async fn error_message(response: gloo_net::http::Response) -> ApiFailure {
    if response.status() == 401 {
        return ApiFailure::SignedOut;
    }
    match response.json::<shared::ApiError>().await {
        Ok(error) => ApiFailure::Other(error.message),
        Err(_) => ApiFailure::Other(format!("HTTP {}", response.status())),
    }
}

/// `GET /api/me`.
pub async fn me() -> Result<Me, ApiFailure> {
    let response = Request::get("/api/me").send().await.map_err(|e| ApiFailure::Other(e.to_string()))?;
    if !response.ok() {
        return Err(error_message(response).await);
    }
    response.json().await.map_err(|e| ApiFailure::Other(e.to_string()))
}

/// The configured brand (`GET /api/config`); AgentConnect if the backend cannot say.
pub async fn brand() -> Brand {
    let config = async { Request::get("/api/config").send().await.ok()?.json::<PublicConfig>().await.ok() };
    config.await.map(|c| c.brand).unwrap_or_default()
}

/// `POST /auth/logout` with the anti-forgery header; returns where to navigate.
pub async fn logout(csrf_token: &str) -> Result<String, ApiFailure> {
    let response = Request::post("/auth/logout")
        .header(CSRF_HEADER, csrf_token)
        .send()
        .await
        .map_err(|e| ApiFailure::Other(e.to_string()))?;
    if !response.ok() {
        return Err(error_message(response).await);
    }
    let body: LogoutResponse = response.json().await.map_err(|e| ApiFailure::Other(e.to_string()))?;
    Ok(body.redirect)
}

/// Sends the browser to `url` (a full navigation: sign-in and sign-out leave the SPA).
pub fn navigate(url: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_href(url);
    }
}
