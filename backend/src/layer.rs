//! The layer the BFF puts over its own routes and an embedding application puts over all of its
//! routes: the session, the BFF's state in the request's extensions (for the extractors of
//! [`guard`](crate::guard) and the [`CsrfLayer`](crate::csrf::CsrfLayer)), the service's support
//! contact on error pages, and the security headers (CSP, `nosniff`, `no-referrer`,
//! `X-Frame-Options`, COOP, and HSTS over https).

use crate::error::AppError;
use crate::pages;
use crate::session;
use crate::settings::Settings;
use crate::spa;
use crate::state::AppState;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use std::convert::Infallible;
use std::sync::Arc;
use tower::util::BoxCloneSyncService;
use tower::{Layer, Service, ServiceBuilder};
use tower_sessions::SessionStore;

/// A service under the layer, its type erased (the store's type does not show in [`BffLayer`]).
type Boxed = BoxCloneSyncService<Request, Response, Infallible>;

/// The BFF's layer (see the module): apply it over every route that reads the session, the
/// host's own included (`router.layer(bff.layer)`), once, outermost of the routes that need it.
#[derive(Clone)]
pub struct BffLayer {
    wrap: Arc<dyn Fn(Boxed) -> Boxed + Send + Sync>,
}

impl std::fmt::Debug for BffLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BffLayer")
    }
}

impl BffLayer {
    /// The layer over `store`, for the BFF whose state is `state`.
    pub(crate) fn new<S: SessionStore + Clone>(state: AppState, store: S) -> Self {
        let settings = state.settings.clone();
        let secure = settings.secure_cookies();
        let csp = content_security_policy_for(&settings);
        let support = pages::Support { contact: settings.support.clone(), home: settings.paths.home.clone() };
        let sessions = session::layer(store, &settings.session, secure);
        let (cookie_name, persistent_cookie) = (session::cookie_name(secure), settings.session.persistent_cookie);
        let api = settings.paths.route("/api");
        let api_dir = format!("{api}/");
        let wrap = move |inner: Boxed| -> Boxed {
            let (csp, support, api, api_dir) = (csp.clone(), support.clone(), api.clone(), api_dir.clone());
            // One layer around the session layer (each layer costs a boxed clone per request).
            let headers = move |request: Request, next: Next| {
                let csp = csp.clone();
                // Browser navigations (/auth/*, the SPA) get a page; API calls get JSON.
                let path = request.uri().path();
                let json = path == api || path.starts_with(&api_dir);
                async move {
                    let mut response = next.run(request).await;
                    // A browser-session cookie unless `session.persistent_cookie` (the record keeps its expiry).
                    if !persistent_cookie {
                        response = session::without_lifetime(response, cookie_name);
                    }
                    security_headers(store_failure_is_503(json, response), &csp, secure)
                }
            };
            let service = ServiceBuilder::new()
                .layer(middleware::from_fn(headers))
                .layer(sessions.clone())
                .layer(axum::Extension(state.clone()))
                .layer(middleware::map_response(move |mut response: Response| {
                    let support = support.clone();
                    // Inside the session layer: what a handler answered, not the session layer.
                    response.extensions_mut().insert(FromHandler);
                    async move { pages::with_support(&support, response) }
                }))
                .service(inner);
            Boxed::new(service)
        };
        BffLayer { wrap: Arc::new(wrap) }
    }
}

impl<S> Layer<S> for BffLayer
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + Sync + 'static,
    S::Future: Send + 'static,
{
    type Service = BoxCloneSyncService<Request, Response, Infallible>;

    fn layer(&self, inner: S) -> Self::Service {
        (self.wrap)(Boxed::new(inner))
    }
}

/// Marks a response a handler (the BFF's or the host's) produced, inside the session layer.
#[derive(Clone, Copy)]
struct FromHandler;

/// tower-sessions answers a bare 500 when it cannot save: say what happened instead. A handler's
/// own empty 500 (a host's `StatusCode::INTERNAL_SERVER_ERROR`) is left as it is.
fn store_failure_is_503(json: bool, response: Response) -> Response {
    use axum::body::HttpBody;
    if response.status() == axum::http::StatusCode::INTERNAL_SERVER_ERROR
        && response.extensions().get::<FromHandler>().is_none()
        && response.body().size_hint().exact() == Some(0)
    {
        let error = AppError::session_store("the session could not be saved");
        return if json { error.into_response() } else { error.page().into_response() };
    }
    response
}

/// `Cache-Control: no-store`, for every answer that depends on the session.
pub(crate) async fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The CSP for these settings: the SPA's inline scripts and styles by hash, and the provider's
/// origin in `form-action`.
fn content_security_policy_for(settings: &Settings) -> HeaderValue {
    // The sign-out form's redirect goes to the provider's session/end: CSP's form-action
    // applies to a form's redirects too, so the provider's origin is allowed there.
    let provider = settings.issuer().map(|issuer| issuer.origin()).filter(url::Origin::is_tuple);
    content_security_policy(
        &spa::inline_script_hashes(&settings.spa_dir),
        &spa::inline_style_hashes(&settings.spa_dir),
        provider.map(|origin| origin.ascii_serialization()).as_deref(),
    )
}

fn content_security_policy(
    script_hashes: &[String],
    style_hashes: &[String],
    provider_origin: Option<&str>,
) -> HeaderValue {
    let policy = format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' {}; style-src 'self' {}; img-src 'self' data:; \
         font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'{}; frame-ancestors 'none'",
        script_hashes.join(" "),
        style_hashes.join(" "),
        // Only what an origin's serialisation holds: nothing that could end the directive.
        provider_origin
            .filter(|o| o.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '/' | '-')))
            .map(|origin| format!(" {origin}"))
            .unwrap_or_default()
    );
    HeaderValue::from_str(&policy).expect("CSP is ASCII")
}

fn security_headers(mut response: Response, csp: &HeaderValue, secure: bool) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, csp.clone());
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    if secure {
        headers
            .insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=63072000; includeSubDomains"));
    }
    response
}
