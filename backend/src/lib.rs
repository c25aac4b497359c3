//! The ProConnect (formerly AgentConnect) backend-for-frontend. It alone holds the `client_secret` and the tokens;
//! the SPA only ever sees a session cookie and the JSON of [`proconnect_types`].
//!
//! [`App::router`] returns an axum [`Router`] another application can nest or merge; the
//! `proconnect-bff` binary (package `proconnect-bff-server`) serves it with the SPA (and, for the
//! demo, the simulator).
//!
//! Features: `sqlite` and `redis` add those session stores (memory is always there).

pub mod account;
pub mod api;
pub mod auth;
pub mod client_ip;
pub mod crypto;
pub mod error;
pub mod guard;
#[cfg(test)]
mod layering;
pub mod memory_store;
pub mod metrics;
pub mod oidc;
pub mod ops;
pub mod pages;
pub mod rate_limit;
#[cfg(feature = "redis")]
pub mod redis_cache;
pub mod session;
pub mod settings;
pub mod spa;
#[cfg(feature = "sqlite")]
pub mod sqlite_store;
pub mod state;
pub mod tls;

pub use state::{AppState, random_token};

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use settings::{SessionStoreSettings, Settings};
use std::sync::Arc;
use tower_sessions::SessionStore;
#[cfg(feature = "redis")]
use tower_sessions_redis_store::fred::prelude as redis;

/// The backend, ready to be served or nested.
pub struct App {
    state: AppState,
    routes: Router<AppState>,
}

impl App {
    /// Validates the settings and prepares the relying party (no network call yet).
    pub fn new(settings: Settings) -> anyhow::Result<Self> {
        settings.validate()?;
        crypto::install_jwt_provider();
        let issuer = settings
            .issuer()
            .ok_or_else(|| anyhow::anyhow!("configuration: no issuer (set provider.issuer or a preset)"))?;
        let rp = oidc::RelyingParty::new(&settings, &issuer)?;
        let state = AppState {
            settings: Arc::new(settings),
            rp: Arc::new(rp),
            metrics: Arc::default(),
            clock: Default::default(),
        };
        Ok(App { state, routes: Router::new() })
    }

    /// Adds routes of the embedding application under the BFF's session and security layers,
    /// so that their handlers can use [`guard::SignedInAgent`] and [`guard::RequireLevel`].
    pub fn with_routes(mut self, routes: Router<AppState>) -> Self {
        self.routes = self.routes.merge(routes);
        self
    }

    /// The shared state.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// `/auth/*`, `/api/*`, `/healthz`, `/readyz`, `/metrics`, and the SPA, with the session
    /// layer over the configured store and the security headers. When `ops_listen` is set,
    /// `/healthz`, `/readyz` and `/metrics` answer 404 here: serve [`App::routers`]'s `ops` on it.
    pub async fn router(self) -> anyhow::Result<Router> {
        Ok(self.routers().await?.public)
    }

    /// The public router and, when `ops_listen` is set, the operators' router to serve on it.
    pub async fn routers(self) -> anyhow::Result<Routers> {
        let session = &self.state.settings.session;
        // Bounded, and each session leaves memory when it expires.
        let cache = memory_store::MemoryStore::new(session.cache_capacity);
        Ok(match session.store.clone() {
            SessionStoreSettings::Memory => self.routers_with_store(cache),
            // SQLite means one instance, so the local cache sees every change: reads skip SQLite.
            #[cfg(feature = "sqlite")]
            SessionStoreSettings::Sqlite { path } => {
                self.routers_with_store(memory_store::CopyInFront::new(cache, sqlite_store(&path).await?))
            }
            #[cfg(feature = "redis")]
            SessionStoreSettings::Redis { url } => {
                let ca_bundle = self.state.settings.ca_bundle.clone();
                let (pool, subscriber) = redis_clients(&url, ca_bundle.as_deref()).await?;
                if session.redis_local_copies {
                    let capacity = session.cache_capacity;
                    self.routers_with_store(redis_cache::RedisCachedStore::new(
                        pool,
                        subscriber,
                        capacity,
                        redis_cache::COPY_MAX_AGE,
                    ))
                } else {
                    self.routers_with_store(tower_sessions_redis_store::RedisStore::new(pool))
                }
            }
            // Refused by `Settings::validate` in `App::new`.
            #[allow(unreachable_patterns)]
            _ => anyhow::bail!("configuration: session.store is not built in (see proconnect-bff's features)"),
        })
    }

    /// The same router over a session store of the caller's choice (tests, custom stores).
    pub fn router_with_store<S: SessionStore + Clone>(self, store: S) -> Router {
        self.routers_with_store(store).public
    }

    /// [`App::routers`] over a session store of the caller's choice. Within a Tokio runtime, also
    /// starts the provider's health checks and the rate limiter's pruning (both stop when the
    /// routers are dropped).
    pub fn routers_with_store<S: SessionStore + Clone>(self, store: S) -> Routers {
        let settings = self.state.settings.clone();
        let secure = settings.secure_cookies();
        let readiness = Arc::new(ops::Readiness::new(store.clone()));
        ops::spawn_provider_monitor(&self.state, ops::PROVIDER_CHECK_INTERVAL);
        // The sign-out form's redirect goes to the provider's session/end: CSP's form-action
        // applies to a form's redirects too, so the provider's origin is allowed there.
        let provider = settings.issuer().map(|issuer| issuer.origin()).filter(url::Origin::is_tuple);
        let csp = content_security_policy(
            &spa::inline_script_hashes(&settings.spa_dir),
            &spa::inline_style_hashes(&settings.spa_dir),
            provider.map(|origin| origin.ascii_serialization()).as_deref(),
        );
        let limit = rate_limit::AuthRateLimit::new(settings.auth_rate_limit_per_minute);
        limit.spawn_pruning(rate_limit::PRUNE_INTERVAL);
        let client_ip = client_ip::ClientIpResolver::new(settings.trusted_proxies.clone(), settings.client_ip_header);
        let auth = Router::new()
            .route("/auth/login", get(auth::login))
            .route("/auth/callback", get(auth::callback))
            .route("/auth/logout", post(auth::logout))
            .route("/auth/logout/callback", get(auth::logout_callback))
            .layer(axum::middleware::from_fn(move |request, next| {
                rate_limit::AuthRateLimit::check(limit.clone(), request, next)
            }))
            // Outside the limiter: it keys on the address this finds.
            .layer(axum::middleware::from_fn_with_state(client_ip, client_ip::ClientIpResolver::layer));
        let support = pages::Support(settings.support.clone());
        let ops_routes = ops::routes(readiness);
        let (here, ops) = match settings.ops_listen {
            None => (ops_routes, None),
            Some(_) => (ops::elsewhere(), Some(ops_routes.with_state(self.state.clone()))),
        };
        let (cookie_name, persistent_cookie) = (session::cookie_name(secure), settings.session.persistent_cookie);
        let public = Router::new()
            .merge(auth)
            .merge(self.routes)
            .route("/compte", get(account::account))
            .route("/api/me", get(api::me))
            .route("/api/config", get(api::config))
            .route("/api", any(api::not_found))
            .route("/api/", any(api::not_found))
            .route("/api/{*rest}", any(api::not_found))
            .layer(axum::middleware::map_response(no_store))
            .merge(here)
            .with_state(self.state)
            .merge(spa::router(&settings.spa_dir))
            .layer(axum::middleware::map_response(move |response: Response| {
                let support = support.clone();
                async move { pages::with_support(&support, response) }
            }))
            .layer(session::layer(store, &settings.session, secure))
            // One layer around the session layer (each layer costs a boxed clone per request).
            .layer(axum::middleware::from_fn(move |request: axum::extract::Request, next: axum::middleware::Next| {
                let csp = csp.clone();
                async move {
                    // Browser navigations (/auth/*, the SPA) get a page; API calls get JSON.
                    let api = request.uri().path().starts_with("/api");
                    let mut response = next.run(request).await;
                    // A browser-session cookie unless `session.persistent_cookie` (the record keeps its expiry).
                    if !persistent_cookie {
                        response = session::without_lifetime(response, cookie_name);
                    }
                    security_headers(store_failure_is_503(api, response), &csp, secure)
                }
            }));
        Routers { public, ops }
    }
}

/// What [`App::routers`] returns.
pub struct Routers {
    /// Everything agents reach, and `/healthz`, `/readyz`, `/metrics` unless `ops` is set.
    pub public: Router,
    /// `/healthz`, `/readyz` and `/metrics`, to serve on `ops_listen` (`None` when it is unset).
    pub ops: Option<Router>,
}

/// The SQLite store (see [`sqlite_store`]), purging expired sessions every minute.
#[cfg(feature = "sqlite")]
async fn sqlite_store(path: &std::path::Path) -> anyhow::Result<sqlite_store::SqliteStore> {
    let store = sqlite_store::SqliteStore::open(path).await?;
    store.spawn_purge(std::time::Duration::from_secs(60));
    Ok(store)
}

/// Connects to Redis (failing clearly if it is unreachable at start) with a pool that reconnects
/// by itself and bounded command timeouts, so an outage is a quick 503 rather than a hang.
/// `rediss://` is TLS, trusting the public web's authorities and `ca_bundle`. Also returns a
/// client of its own (not connected yet) for the invalidations' subscription ([`redis_cache`]).
#[cfg(feature = "redis")]
pub(crate) async fn redis_clients(
    url: &str,
    ca_bundle: Option<&std::path::Path>,
) -> anyhow::Result<(redis::Pool, redis::Client)> {
    use redis::{Builder, ClientLike, Config, ReconnectPolicy};
    let shown = settings::without_credentials(url);
    let mut config =
        Config::from_url(url).map_err(|e| anyhow::anyhow!("session store: invalid Redis URL `{shown}`: {e}"))?;
    if let Some(tls) = config.tls.as_mut() {
        tls.connector = fred::types::config::TlsConnector::from(tls::client_config(ca_bundle)?);
    }
    let mut builder = Builder::from_config(config);
    builder
        .with_performance_config(|p| p.default_command_timeout = std::time::Duration::from_secs(2))
        .with_connection_config(|c| {
            c.connection_timeout = std::time::Duration::from_secs(2);
            c.max_command_attempts = 1;
        })
        .set_policy(ReconnectPolicy::new_constant(0, 250));
    let pool = builder.build_pool(4).map_err(|e| anyhow::anyhow!("session store: Redis at {shown}: {e}"))?;
    // Pub/sub takes a connection of its own.
    let subscriber = builder.build().map_err(|e| anyhow::anyhow!("session store: Redis at {shown}: {e}"))?;
    pool.connect();
    tokio::time::timeout(std::time::Duration::from_secs(5), pool.wait_for_connect())
        .await
        .map_err(|_| anyhow::anyhow!("session store: cannot reach Redis at {shown} (5 s)"))?
        .map_err(|e| anyhow::anyhow!("session store: cannot reach Redis at {shown}: {e}"))?;
    Ok((pool, subscriber))
}

/// tower-sessions answers a bare 500 when it cannot save: say what happened instead.
fn store_failure_is_503(api: bool, response: Response) -> Response {
    use axum::body::HttpBody;
    if response.status() == axum::http::StatusCode::INTERNAL_SERVER_ERROR
        && response.body().size_hint().exact() == Some(0)
    {
        let error = error::AppError::session_store("the session could not be saved");
        return if api { error.into_response() } else { error.page().into_response() };
    }
    response
}

async fn no_store(mut response: Response) -> Response {
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
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
