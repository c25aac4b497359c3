//! The anti-forgery guard for an embedding application's state-changing routes: a layer that lets
//! `GET`, `HEAD`, `OPTIONS` and `TRACE` through and, for any other method, requires a signed-in
//! agent (401 JSON otherwise) whose anti-forgery token is in the `x-csrf-token` header and a
//! request that is not cross-site (403 JSON `csrf` otherwise), as [`check_csrf`] checks them.
//!
//! ```ignore
//! Router::new()
//!     .route("/api/dossiers", get(list).post(create))
//!     .route_layer(CsrfLayer) // the whole router must also be under `Bff::layer`
//! ```

use crate::auth::check_csrf;
use crate::error::AppError;
use crate::guard::agent_of;
use axum::extract::Request;
use axum::http::Method;
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use tower::{Layer, Service};

/// Refuses state-changing requests without the session's anti-forgery token (see the module).
/// Needs the BFF's layer outside it (`Bff::layer`): without it, a state-changing request gets a
/// 500 that says so.
#[derive(Debug, Clone, Copy, Default)]
pub struct CsrfLayer;

impl<S> Layer<S> for CsrfLayer {
    type Service = Csrf<S>;

    fn layer(&self, inner: S) -> Csrf<S> {
        Csrf { inner }
    }
}

/// The service [`CsrfLayer`] wraps around a route.
#[derive(Debug, Clone)]
pub struct Csrf<S> {
    inner: S,
}

/// Whether a method may change nothing (RFC 9110's safe methods): it needs no token.
fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE)
}

/// The refusal of a state-changing request, if it is refused.
async fn refusal(request: Request) -> Result<Request, AppError> {
    let (parts, body) = request.into_parts();
    let agent = agent_of(&parts).await?.ok_or_else(AppError::unauthenticated)?;
    check_csrf(&parts.headers, &agent)?;
    Ok(Request::from_parts(parts, body))
}

impl<S> Service<Request> for Csrf<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // The service that was polled ready serves this request; a clone stays for the next.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        Box::pin(async move {
            if is_safe(request.method()) {
                return inner.call(request).await;
            }
            match refusal(request).await {
                Ok(request) => inner.call(request).await,
                Err(error) => Ok(error.into_response()),
            }
        })
    }
}
