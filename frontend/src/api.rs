//! The BFF's JSON API, typed by `proconnect-types`. The only module that talks to the server.

use crate::json;
use leptos::prelude::{ReadSignal, Set, signal};
use proconnect_types::{Bilingual, Brand, Me, PublicConfig};
use std::pin::Pin;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::Response;

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
pub fn failure_from(status: u16, error: Option<proconnect_types::ApiError>) -> ApiFailure {
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

/// An answer from the server: its status and its body as the browser parsed it (`None` when
/// it is not JSON).
struct Answer {
    ok: bool,
    status: u16,
    body: Option<JsValue>,
}

/// The server could not be reached.
fn unreachable() -> ApiFailure {
    ApiFailure::Other(Bilingual::new("Le serveur n’a pas pu être joint.", "The server could not be reached."))
}

/// The server's answer is not the JSON expected.
fn unreadable() -> ApiFailure {
    ApiFailure::Other(Bilingual::new("La réponse du serveur est illisible.", "The server’s answer could not be read."))
}

/// `GET path`, its body read as JSON. Every call goes through this one function, so the code
/// for sending and reading exists once in the Wasm, not once per call: the future is boxed, so
/// that the compiler cannot copy it into each caller's future.
fn send(path: &'static str) -> Pin<Box<dyn Future<Output = Result<Answer, ApiFailure>>>> {
    Box::pin(async move {
        let window = web_sys::window().ok_or_else(unreachable)?;
        let response: Response =
            JsFuture::from(window.fetch_with_str(path)).await.map_err(|_| unreachable())?.unchecked_into();
        let body = match response.json() {
            Ok(json) => JsFuture::from(json).await.ok(),
            Err(_) => None,
        };
        Ok(Answer { ok: response.ok(), status: response.status(), body })
    })
}

impl Answer {
    /// The body of a successful answer, or the failure an error answer means; a step-up answer
    /// sends the browser to sign in again.
    fn success(self) -> Result<JsValue, ApiFailure> {
        if self.ok {
            return self.body.ok_or_else(unreadable);
        }
        let failure = failure_from(self.status, self.body.and_then(json::api_error));
        if let ApiFailure::StepUp(url) = &failure {
            navigate(url);
        }
        Err(failure)
    }
}

/// `GET /api/me`.
pub async fn me() -> Result<Me, ApiFailure> {
    json::me(send("/api/me").await?.success()?).ok_or_else(unreadable)
}

/// `GET /api/config`: the brand and the support contact. When the backend cannot say, ProConnect
/// (the default brand) and no support contact.
pub async fn config() -> PublicConfig {
    let answer = send("/api/config").await.ok();
    let config = answer.and_then(|answer| answer.body).and_then(json::public_config);
    config.unwrap_or(PublicConfig { brand: Brand::default(), support: None })
}

/// The configured brand (`GET /api/config`); ProConnect if the backend cannot say.
pub async fn brand() -> Brand {
    config().await.brand
}

/// A signal that holds `None` until `future` finishes, then its output: what a `LocalResource`
/// gives these pages (they need no `<Suspense>`), without its asynchronous machinery in the Wasm.
pub fn load<T: Send + Sync + 'static>(future: impl Future<Output = T> + 'static) -> ReadSignal<Option<T>> {
    let (value, set_value) = signal(None);
    leptos::task::spawn_local(async move { set_value.set(Some(future.await)) });
    value
}

/// Sends the browser to `url` (a full navigation: sign-in and sign-out leave the SPA).
pub fn navigate(url: &str) {
    if let Some(window) = web_sys::window() {
        let _ = window.location().set_href(url);
    }
}
