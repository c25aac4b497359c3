//! The BFF's JSON API, typed by the `shared` crate. The only module that talks to the server.

use gloo_net::http::{Request, RequestBuilder};
use serde::de::DeserializeOwned;
use shared::{Bilingual, Brand, Me, PublicConfig};
use std::pin::Pin;

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

/// An answer from the server: its status and its body (an error when it could not be read).
struct Answer {
    ok: bool,
    status: u16,
    body: Result<String, gloo_net::Error>,
}

/// Sends `request` and reads the answer's body. Every call goes through this one function, so
/// gloo's code for sending and reading exists once in the Wasm, not once per call: the future is
/// boxed, so that the compiler cannot copy it into each caller's future.
fn send(request: RequestBuilder) -> Pin<Box<dyn Future<Output = Result<Answer, ApiFailure>>>> {
    Box::pin(async move {
        let response = request.send().await.map_err(|e| ApiFailure::plain(e.to_string()))?;
        Ok(Answer { ok: response.ok(), status: response.status(), body: response.text().await })
    })
}

impl Answer {
    /// The body of a successful answer, or the failure an error answer means; a step-up answer
    /// sends the browser to sign in again.
    fn success(self) -> Result<String, ApiFailure> {
        if self.ok {
            return self.body.map_err(|e| ApiFailure::plain(e.to_string()));
        }
        let error = self.body.ok().and_then(|body| serde_json::from_str(&body).ok());
        let failure = failure_from(self.status, error);
        if let ApiFailure::StepUp(url) = &failure {
            navigate(url);
        }
        Err(failure)
    }
}

/// Reads a successful answer's JSON body.
fn parse<T: DeserializeOwned>(body: &str) -> Result<T, ApiFailure> {
    serde_json::from_str(body).map_err(|e| ApiFailure::plain(e.to_string()))
}

/// `GET /api/me`.
pub async fn me() -> Result<Me, ApiFailure> {
    parse(&send(Request::get("/api/me")).await?.success()?)
}

/// `GET /api/config`: the brand and the support contact. When the backend cannot say, ProConnect
/// (the default brand) and no support contact.
pub async fn config() -> PublicConfig {
    let answer = send(Request::get("/api/config")).await.ok();
    let config = answer.and_then(|answer| answer.body.ok()).and_then(|body| serde_json::from_str(&body).ok());
    config.unwrap_or(PublicConfig { brand: Brand::default(), support: None })
}

/// The configured brand (`GET /api/config`); ProConnect if the backend cannot say.
pub async fn brand() -> Brand {
    config().await.brand
}

/// Sends the browser to `url` (a full navigation: sign-in and sign-out leave the SPA).
pub fn navigate(url: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_href(url);
    }
}
