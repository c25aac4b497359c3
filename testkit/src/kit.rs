//! The kit on loopback: the BFF bound on `127.0.0.1:0` first, then the simulator with a client
//! registered for that port (reached through a [`Relay`]), then the BFF served on the listener.

use crate::Browser;
use crate::proxy::RecordingProxy;
use crate::relay::Relay;
use anyhow::{Context, bail};
use proconnect_bff::settings::{SessionStoreSettings, Settings, SigningAlg, UserinfoAlg};
use proconnect_simulator::{Simulator, SimulatorConfig};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A temporary SPA `dist/` with fake files: an index, a hashed Wasm file, precompressed copies.
pub fn fake_spa() -> anyhow::Result<tempfile::TempDir> {
    let dir = tempfile::tempdir()?;
    let index = "<!doctype html><html><head><title>SPA</title><style>body{color:#161616}</style><script type=\"module\">import init from '/frontend-0123456789abcdef.js';init();</script></head><body>index</body></html>";
    std::fs::write(dir.path().join("index.html"), index)?;
    std::fs::write(dir.path().join("frontend-0123456789abcdef_bg.wasm"), b"\0asm\x01\0\0\0")?;
    std::fs::write(dir.path().join("frontend-0123456789abcdef.js"), "export default function init() {}")?;
    std::fs::write(dir.path().join("frontend-0123456789abcdef.js.br"), b"brotli bytes")?;
    std::fs::write(dir.path().join("frontend-0123456789abcdef.js.gz"), b"gzip bytes")?;
    std::fs::write(dir.path().join("robots.txt"), "User-agent: *\n")?;
    Ok(dir)
}

/// A listener on a free loopback port, a fake SPA, and default settings for them with sessions
/// in memory.
pub async fn loopback_settings() -> anyhow::Result<(TcpListener, SocketAddr, tempfile::TempDir, Settings)> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let addr = listener.local_addr()?;
    let spa = fake_spa()?;
    let settings = settings_for(addr, addr, spa.path().to_owned())?;
    Ok((listener, addr, spa, settings))
}

/// Default settings for a BFF listening on `listen`, reached at `public`, serving `spa_dir`, with
/// sessions in memory.
fn settings_for(listen: SocketAddr, public: SocketAddr, spa_dir: PathBuf) -> anyhow::Result<Settings> {
    let mut settings =
        Settings { listen, public_url: format!("http://{public}/").parse()?, spa_dir, ..Settings::default() };
    settings.session.store = SessionStoreSettings::Memory;
    Ok(settings)
}

/// Registers the same algorithm for ID tokens and userinfo.
pub fn set_alg(settings: &mut Settings, alg: SigningAlg) {
    settings.provider.id_token_signed_response_alg = alg;
    settings.provider.userinfo_signed_response_alg = UserinfoAlg::from(alg);
}

/// Serves `router` on `listener`, with the peer address available, until the task is aborted.
pub fn serve_router(listener: TcpListener, router: axum::Router) -> JoinHandle<()> {
    tokio::spawn(async move {
        let _ = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await;
    })
}

/// Serves `App::new(settings)?.router().await?` on `listener`.
pub async fn serve(listener: TcpListener, settings: Settings) -> anyhow::Result<JoinHandle<()>> {
    Ok(serve_router(listener, proconnect_bff::App::new(settings)?.router().await?))
}

/// Serves a BFF built from `settings` on a fresh loopback port (its `public_url` may differ:
/// another instance behind the same address, or only the configuration under test). Returns the
/// base URL to reach it.
pub async fn serve_elsewhere(settings: Settings) -> anyhow::Result<(String, JoinHandle<()>)> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let addr = listener.local_addr()?;
    Ok((format!("http://{addr}/"), serve(listener, settings).await?))
}

/// Starts the demo simulator with its client registered for this BFF and its algorithms,
/// reachable only through a [`Relay`] (its issuer is the relay's address), so a test can cut it.
pub async fn spawn_simulator(settings: &mut Settings) -> anyhow::Result<(Simulator, Relay)> {
    spawn_simulator_with(settings, |_| {}).await
}

/// The same, with the simulator's configuration adjusted first (key grace period, lifetimes…).
pub async fn spawn_simulator_with(
    settings: &mut Settings,
    configure: impl FnOnce(&mut SimulatorConfig),
) -> anyhow::Result<(Simulator, Relay)> {
    let mut config = SimulatorConfig::demo();
    configure(&mut config);
    proconnect_bff_server::demo::register_client(&mut config, settings)?;
    let client = config.clients.first_mut().context("the demo simulator has a client")?;
    client.id_token_signed_response_alg = Some(settings.provider.id_token_signed_response_alg);
    client.userinfo_signed_response_alg = Some(settings.provider.userinfo_signed_response_alg);
    let inner = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let relay = Relay::start(inner.local_addr()?).await?;
    let issuer = format!("http://{}/api/v2", relay.addr);
    let simulator = Simulator::new(config, issuer.clone())?;
    let tap = relay.tap.clone();
    let app = simulator.router().layer(axum::middleware::from_fn(move |request, next| tap.clone().pass(request, next)));
    let task = tokio::spawn(async move {
        let _ = axum::serve(inner, app).await;
    });
    relay.tasks.lock().map_err(|_| anyhow::anyhow!("relay lock"))?.push(task);
    settings.provider.issuer = Some(issuer.parse()?);
    Ok((simulator, relay))
}

/// The BFF and the simulator on loopback, stopped when dropped.
pub struct Kit {
    /// The BFF's public base URL, `http://127.0.0.1:<port>/` (the proxy's, behind one).
    pub url: String,
    /// The simulator (faults, key rotation).
    pub simulator: Simulator,
    /// The TCP relay every client (browser and BFF) reaches the simulator through.
    pub relay: Relay,
    /// The in-memory session store, when the test asked to look inside it.
    pub store: Option<tower_sessions::MemoryStore>,
    /// The settings the BFF runs with (`listen` is its own address, behind a proxy or not).
    pub settings: Settings,
    /// Between the browser and the BFF, when started with [`Kit::start_behind_proxy`].
    pub proxy: Option<RecordingProxy>,
    /// The fake SPA directory, kept as long as the kit.
    _spa: Option<tempfile::TempDir>,
    server: JoinHandle<()>,
}

impl Kit {
    /// ES256, in-memory sessions, a fake SPA.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(|_| {}).await
    }

    /// Lets the test adjust the settings (algorithm, store…) before anything starts.
    pub async fn start_with(configure: impl FnOnce(&mut Settings)) -> anyhow::Result<Self> {
        let (listener, mut kit) = Self::prepare(configure, |_| {}).await?;
        kit.server = serve(listener, kit.settings.clone()).await?;
        Ok(kit)
    }

    /// With routes of an embedding application added under the BFF's layers.
    pub async fn start_with_routes(
        configure: impl FnOnce(&mut Settings),
        routes: axum::Router<proconnect_bff::AppState>,
    ) -> anyhow::Result<Self> {
        let (listener, mut kit) = Self::prepare(configure, |_| {}).await?;
        let router = proconnect_bff::App::new(kit.settings.clone())?.with_routes(routes).router().await?;
        kit.server = serve_router(listener, router);
        Ok(kit)
    }

    /// Like [`Kit::start_with`], and returns the BFF's shared state too (its relying party and
    /// metrics).
    pub async fn start_keeping_state(
        configure: impl FnOnce(&mut Settings),
    ) -> anyhow::Result<(Self, proconnect_bff::AppState)> {
        let (listener, mut kit) = Self::prepare(configure, |_| {}).await?;
        let app = proconnect_bff::App::new(kit.settings.clone())?;
        let state = app.state().clone();
        kit.server = serve_router(listener, app.router().await?);
        Ok((kit, state))
    }

    /// ES256 over a [`tower_sessions::MemoryStore`] the test can read (`kit.store`).
    pub async fn start_with_visible_store() -> anyhow::Result<Self> {
        Self::start_visible(|_| {}, |_| {}).await
    }

    /// Over a store the test can read, with its own settings and simulator configuration.
    pub async fn start_visible(
        configure: impl FnOnce(&mut Settings),
        configure_simulator: impl FnOnce(&mut SimulatorConfig),
    ) -> anyhow::Result<Self> {
        let (listener, mut kit) = Self::prepare(configure, configure_simulator).await?;
        let store = tower_sessions::MemoryStore::default();
        let router = proconnect_bff::App::new(kit.settings.clone())?.router_with_store(store.clone());
        kit.server = serve_router(listener, router);
        kit.store = Some(store);
        Ok(kit)
    }

    /// The BFF serving `spa_dir` (a built SPA) behind a [`RecordingProxy`], whose address is the
    /// public one: every answer a browser gets from the BFF's origin is scanned for a JWT.
    pub async fn start_behind_proxy(spa_dir: PathBuf, configure: impl FnOnce(&mut Settings)) -> anyhow::Result<Self> {
        let public = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = public.local_addr()?;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let mut settings = settings_for(listener.local_addr()?, addr, spa_dir)?;
        configure(&mut settings);
        let (simulator, relay) = spawn_simulator(&mut settings).await?;
        let proxy = RecordingProxy::start(public, settings.listen)?;
        let server = serve(listener, settings.clone()).await?;
        let mut kit = Kit::around(format!("http://{addr}/"), simulator, relay, settings, None);
        kit.proxy = Some(proxy);
        kit.server = server;
        Ok(kit)
    }

    /// A kit whose BFF runs elsewhere (a spawned binary) at `url`, with these settings, simulator
    /// and relay, so that the [`Browser`] steps work against it.
    pub fn around(
        url: String,
        simulator: Simulator,
        relay: Relay,
        settings: Settings,
        spa: Option<tempfile::TempDir>,
    ) -> Self {
        Kit { url, simulator, relay, store: None, settings, proxy: None, _spa: spa, server: tokio::spawn(async {}) }
    }

    /// The listener and the kit with the simulator started, before the BFF is served.
    async fn prepare(
        configure: impl FnOnce(&mut Settings),
        configure_simulator: impl FnOnce(&mut SimulatorConfig),
    ) -> anyhow::Result<(TcpListener, Self)> {
        let (listener, addr, spa, mut settings) = loopback_settings().await?;
        configure(&mut settings);
        let (simulator, relay) = spawn_simulator_with(&mut settings, configure_simulator).await?;
        Ok((listener, Kit::around(format!("http://{addr}/"), simulator, relay, settings, Some(spa))))
    }

    /// The server-side session record behind a browser's cookie (needs [`Kit::start_with_visible_store`]).
    pub async fn session_record(&self, browser: &Browser) -> anyhow::Result<Option<tower_sessions::session::Record>> {
        let Some(cookie) = browser.session_cookie(self) else {
            return Ok(None);
        };
        self.record_of(&cookie).await
    }

    /// The server-side session record of a session id (a cookie's value), if the store still
    /// holds it (needs [`Kit::start_with_visible_store`]).
    pub async fn record_of(&self, id: &str) -> anyhow::Result<Option<tower_sessions::session::Record>> {
        use tower_sessions::SessionStore;
        let store = self.store.as_ref().context("start the kit with start_with_visible_store")?;
        let id: tower_sessions::session::Id = id.parse().map_err(|e| anyhow::anyhow!("session id: {e:?}"))?;
        Ok(store.load(&id).await?)
    }

    /// One value of the session behind a browser's cookie, as the BFF stores it (one JSON string
    /// per key).
    pub async fn session_value(&self, browser: &Browser, key: &str) -> anyhow::Result<serde_json::Value> {
        let record = self.session_record(browser).await?.context("a session record")?;
        let json = record.data.get(key).and_then(|v| v.as_str()).with_context(|| format!("`{key}` in the session"))?;
        Ok(serde_json::from_str(json)?)
    }

    /// A second BFF instance with the same settings (same provider, same store, same public URL,
    /// as behind a load balancer) on another port; returns its base URL and task. Its own address
    /// is not a registered redirect URI, so it serves `/api/me` and logout only.
    pub async fn another_backend(&self) -> anyhow::Result<(String, JoinHandle<()>)> {
        serve_elsewhere(self.settings.clone()).await
    }

    /// Stops the BFF and serves a new one on the same address with the same settings (a restart:
    /// what survives depends on the session store).
    pub async fn restart_backend(&mut self) -> anyhow::Result<()> {
        self.server.abort();
        let _ = (&mut self.server).await;
        let listener = TcpListener::bind(self.settings.listen).await.context("rebinding the backend's port")?;
        self.server = serve(listener, self.settings.clone()).await?;
        Ok(())
    }

    /// The simulator's origin (`http://127.0.0.1:<port>`, the relay's).
    pub fn simulator_origin(&self) -> String {
        format!("http://{}", self.relay.addr)
    }

    /// `path` joined to the BFF's base URL.
    pub fn at(&self, path: &str) -> String {
        format!("{}{}", self.url, path.trim_start_matches('/'))
    }

    /// Fails if any answer of the BFF's origin so far let a page's script read a JWT (see
    /// [`RecordingProxy`]), or if nothing went through the proxy (needs
    /// [`Kit::start_behind_proxy`]). Every browser journey ends with it.
    pub fn assert_no_jwt_readable_by_script(&self) -> anyhow::Result<()> {
        let Some(proxy) = &self.proxy else {
            bail!("this kit has no recording proxy: start it with Kit::start_behind_proxy");
        };
        let answers = proxy.no_jwt_readable_by_script()?;
        println!("recording proxy: {answers} answers scanned, no JWT readable by a script");
        Ok(())
    }
}

impl Drop for Kit {
    fn drop(&mut self) {
        self.server.abort();
    }
}
