//! The ProConnect (formerly AgentConnect) backend-for-frontend. It alone holds the `client_secret` and the tokens;
//! the SPA only ever sees a session cookie and the JSON of [`proconnect_types`].
//!
//! Two ways to use it:
//! - the whole service in one call: [`App::router`] (`/auth/*`, `/api/*`, `/compte`, the ops
//!   routes and the SPA, under the BFF's layer), which the `proconnect-bff` binary (package
//!   `proconnect-bff-server`) serves;
//! - embedded in an existing axum application: [`App::build`] gives a [`Bff`] whose `router` the
//!   application merges next to its own routes (under `paths.base`, e.g. `/compte/auth/login`),
//!   whose `layer` it applies over everything (so its handlers can take
//!   [`guard::SignedInAgent`], [`guard::MaybeAgent`], [`guard::RequireLevel`], and its mutations
//!   sit under [`csrf::CsrfLayer`]), and whose `ops` router and [`Bff::spa`] it mounts if it wants.
//!
//! Features: `sqlite` and `redis` add those session stores (memory is always there).

pub mod account;
pub mod api;
pub mod auth;
pub mod client_ip;
pub mod crypto;
pub mod csrf;
pub mod error;
pub mod guard;
pub mod layer;
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

pub use layer::BffLayer;
pub use state::{AppState, random_token};

use axum::Router;
use axum::routing::{any, get, post};
use settings::{SessionStoreSettings, Settings};
use std::sync::Arc;
use tower_sessions::SessionStore;
#[cfg(feature = "redis")]
use tower_sessions_redis_store::fred::prelude as redis;

/// The backend, ready to be served or embedded.
pub struct App {
    state: AppState,
    routes: Router<AppState>,
}

/// The BFF's parts, for an application that embeds it ([`App::build`]).
///
/// ```ignore
/// let bff = App::new(settings)?.build().await?;
/// let app = Router::new()
///     .route("/dossiers", get(list).post(create))
///     .route_layer(CsrfLayer)
///     .merge(bff.router)          // already under paths.base: merge, do not nest
///     .merge(bff.ops)             // or serve it on another listener
///     .fallback(your_fallback)    // or .merge(bff.spa())
///     .layer(bff.layer);
/// ```
pub struct Bff {
    /// `/auth/login`, `/auth/callback`, `/auth/logout`, `/auth/logout/callback`, `/api/me`,
    /// `/api/config`, `/compte` and a JSON 404 for any other `/api/…`, all under `paths.base`
    /// (plus the routes given to [`App::with_routes`]). No fallback: merge it (it already
    /// carries its prefix, which the redirect URIs follow).
    pub router: Router,
    /// The session, the BFF's state, error pages' support contact and the security headers:
    /// apply it over the whole application ([`BffLayer`]).
    pub layer: BffLayer,
    /// `/healthz`, `/readyz` and `/metrics`, to mount where the application wants (they read no
    /// session).
    pub ops: Router,
    /// The shared state (settings, relying party, metrics).
    pub state: AppState,
}

impl Bff {
    /// The SPA of `spa_dir` (Trunk's `dist`), with a fallback serving its `index.html` for
    /// client-side routes: merge it only if the application has no fallback of its own.
    pub fn spa(&self) -> Router {
        spa::router(&self.state.settings.spa_dir)
    }

    /// Everything on one listener, as [`App::routers`] returns it.
    fn into_routers(self) -> Routers {
        // The kit's SPA calls `/auth/*` and `/api/*` at the root: under `paths.base`, the
        // application serves its own pages (as `examples/axum-host` does).
        let spa = if self.state.settings.paths.base.is_empty() {
            self.spa()
        } else {
            tracing::warn!(base = %self.state.settings.paths.base, "paths.base is set: the SPA of spa_dir is not served");
            Router::new()
        };
        let (here, ops) = match self.state.settings.ops_listen {
            None => (self.ops, None),
            Some(_) => (ops::elsewhere().with_state(self.state.clone()), Some(self.ops)),
        };
        Routers { public: self.router.merge(here).merge(spa).layer(self.layer), ops }
    }
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

    /// Adds routes of the embedding application to the BFF's router (not prefixed), under its
    /// layer. Merging them next to [`Bff::router`] under [`Bff::layer`] does the same.
    pub fn with_routes(mut self, routes: Router<AppState>) -> Self {
        self.routes = self.routes.merge(routes);
        self
    }

    /// The shared state.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The whole service: `/auth/*`, `/api/*`, `/compte` (under `paths.base`), `/healthz`,
    /// `/readyz`, `/metrics` and the SPA as fallback, under the BFF's layer over the configured
    /// store. When `ops_listen` is set, `/healthz`, `/readyz` and `/metrics` answer 404 here:
    /// serve [`App::routers`]'s `ops` on it.
    pub async fn router(self) -> anyhow::Result<Router> {
        Ok(self.routers().await?.public)
    }

    /// The public router and, when `ops_listen` is set, the operators' router to serve on it.
    pub async fn routers(self) -> anyhow::Result<Routers> {
        Ok(self.build().await?.into_routers())
    }

    /// The BFF's parts over the configured session store, for an application that embeds it.
    pub async fn build(self) -> anyhow::Result<Bff> {
        let session = &self.state.settings.session;
        // Bounded, and each session leaves memory when it expires.
        let cache = memory_store::MemoryStore::new(session.cache_capacity);
        Ok(match session.store.clone() {
            SessionStoreSettings::Memory => self.build_with_store(cache),
            // SQLite means one instance, so the local cache sees every change: reads skip SQLite.
            #[cfg(feature = "sqlite")]
            SessionStoreSettings::Sqlite { path } => {
                self.build_with_store(memory_store::CopyInFront::new(cache, sqlite_store(&path).await?))
            }
            #[cfg(feature = "redis")]
            SessionStoreSettings::Redis { url } => {
                let ca_bundle = self.state.settings.ca_bundle.clone();
                let (pool, subscriber) = redis_clients(&url, ca_bundle.as_deref()).await?;
                if session.redis_local_copies {
                    let capacity = session.cache_capacity;
                    self.build_with_store(redis_cache::RedisCachedStore::new(
                        pool,
                        subscriber,
                        capacity,
                        redis_cache::COPY_MAX_AGE,
                    ))
                } else {
                    self.build_with_store(tower_sessions_redis_store::RedisStore::new(pool))
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

    /// [`App::routers`] over a session store of the caller's choice.
    pub fn routers_with_store<S: SessionStore + Clone>(self, store: S) -> Routers {
        self.build_with_store(store).into_routers()
    }

    /// [`App::build`] over a session store of the caller's choice. Within a Tokio runtime, also
    /// starts the provider's health checks and the rate limiter's pruning (both stop when the
    /// routers are dropped).
    pub fn build_with_store<S: SessionStore + Clone>(self, store: S) -> Bff {
        let settings = self.state.settings.clone();
        let readiness = Arc::new(ops::Readiness::new(store.clone()));
        ops::spawn_provider_monitor(&self.state, ops::PROVIDER_CHECK_INTERVAL);
        let limit = rate_limit::AuthRateLimit::new(settings.auth_rate_limit_per_minute);
        limit.spawn_pruning(rate_limit::PRUNE_INTERVAL);
        let client_ip = client_ip::ClientIpResolver::new(settings.trusted_proxies.clone(), settings.client_ip_header);
        let at = |route: &str| settings.paths.route(route);
        let auth = Router::new()
            .route(&at("/auth/login"), get(auth::login))
            .route(&at("/auth/callback"), get(auth::callback))
            .route(&at("/auth/logout"), post(auth::logout))
            .route(&at("/auth/logout/callback"), get(auth::logout_callback))
            .layer(axum::middleware::from_fn(move |request, next| {
                rate_limit::AuthRateLimit::check(limit.clone(), request, next)
            }))
            // Outside the limiter: it keys on the address this finds.
            .layer(axum::middleware::from_fn_with_state(client_ip, client_ip::ClientIpResolver::layer));
        let router = Router::new()
            .merge(auth)
            .merge(self.routes)
            .route(&at("/compte"), get(account::account))
            .route(&at("/api/me"), get(api::me))
            .route(&at("/api/config"), get(api::config))
            .route(&at("/api"), any(api::not_found))
            .route(&at("/api/"), any(api::not_found))
            .route(&at("/api/{*rest}"), any(api::not_found))
            .layer(axum::middleware::map_response(layer::no_store))
            .with_state(self.state.clone());
        Bff {
            router,
            layer: BffLayer::new(self.state.clone(), store),
            ops: ops::routes(readiness).with_state(self.state.clone()),
            state: self.state,
        }
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
