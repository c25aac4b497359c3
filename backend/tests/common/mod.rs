//! The harness every integration test shares: the backend bound on `127.0.0.1:0` first, then the
//! simulator with a client registered for that port, then the backend served on the listener;
//! and a "browser" (reqwest with a cookie jar, no automatic redirects) that steps through the
//! mire and the FI so a test can stop or tamper at any step.

#![allow(dead_code, missing_docs)]

use anyhow::{Context, bail, ensure};
use proconnect_bff::settings::{SessionStoreSettings, Settings, SigningAlg, UserinfoAlg};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
#[allow(unused_imports)]
pub use testkit::{Answer, HttpAgent, RedisServer, is_removal};
use tokio::net::TcpListener;

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
    let mut settings = Settings {
        listen: addr,
        public_url: format!("http://{addr}/").parse()?,
        spa_dir: spa.path().to_owned(),
        ..Settings::default()
    };
    settings.session.store = SessionStoreSettings::Memory;
    Ok((listener, addr, spa, settings))
}

/// The backend and the simulator on loopback.
pub struct Kit {
    /// `http://127.0.0.1:<port>/`.
    pub url: String,
    /// The simulator (faults, key rotation).
    pub simulator: proconnect_simulator::Simulator,
    /// The TCP relay every client (browser and backend) reaches the simulator through.
    pub relay: Relay,
    /// The in-memory session store, when the test asked to look inside it.
    pub store: Option<tower_sessions::MemoryStore>,
    /// The settings the backend runs with.
    pub settings: Settings,
    /// The fake SPA directory (kept alive as long as the kit).
    pub spa: tempfile::TempDir,
    server: tokio::task::JoinHandle<()>,
}

/// Registers the same algorithm for ID tokens and userinfo.
pub fn set_alg(settings: &mut Settings, alg: SigningAlg) {
    settings.provider.id_token_signed_response_alg = alg;
    settings.provider.userinfo_signed_response_alg = UserinfoAlg::from(alg);
}

impl Kit {
    /// ES256, in-memory sessions.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(|_| {}).await
    }

    /// Lets the test adjust the settings (algorithm, store…) before anything starts.
    pub async fn start_with(configure: impl FnOnce(&mut Settings)) -> anyhow::Result<Self> {
        let (listener, addr, spa, mut settings) = loopback_settings().await?;
        configure(&mut settings);
        let (simulator, relay) = spawn_simulator(&mut settings).await?;
        let server = serve(listener, settings.clone()).await?;
        Ok(Kit { url: format!("http://{addr}/"), simulator, relay, store: None, settings, spa, server })
    }

    /// With routes of an embedding application added under the BFF's layers.
    pub async fn start_with_routes(
        configure: impl FnOnce(&mut Settings),
        routes: axum::Router<proconnect_bff::AppState>,
    ) -> anyhow::Result<Self> {
        let (listener, addr, spa, mut settings) = loopback_settings().await?;
        configure(&mut settings);
        let (simulator, relay) = spawn_simulator(&mut settings).await?;
        let router = proconnect_bff::App::new(settings.clone())?.with_routes(routes).router().await?;
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await;
        });
        Ok(Kit { url: format!("http://{addr}/"), simulator, relay, store: None, settings, spa, server })
    }

    /// Like [`Kit::start_with`], and returns the backend's shared state too (its relying party
    /// and metrics).
    pub async fn start_keeping_state(
        configure: impl FnOnce(&mut Settings),
    ) -> anyhow::Result<(Self, proconnect_bff::AppState)> {
        let (listener, addr, spa, mut settings) = loopback_settings().await?;
        configure(&mut settings);
        let (simulator, relay) = spawn_simulator(&mut settings).await?;
        let app = proconnect_bff::App::new(settings.clone())?;
        let state = app.state().clone();
        let router = app.router().await?;
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await;
        });
        Ok((Kit { url: format!("http://{addr}/"), simulator, relay, store: None, settings, spa, server }, state))
    }

    /// A kit whose backend runs elsewhere (a spawned binary) at `url`, with these settings,
    /// simulator and relay, so that the [`Browser`] steps work against it.
    pub fn around(
        url: String,
        simulator: proconnect_simulator::Simulator,
        relay: Relay,
        settings: Settings,
        spa: tempfile::TempDir,
    ) -> Self {
        Kit { url, simulator, relay, store: None, settings, spa, server: tokio::spawn(async {}) }
    }

    /// ES256 over a [`tower_sessions::MemoryStore`] the test can read (`kit.store`).
    pub async fn start_with_visible_store() -> anyhow::Result<Self> {
        Self::start_visible(|_| {}, |_| {}).await
    }

    /// Over a store the test can read, with its own settings and simulator configuration.
    pub async fn start_visible(
        configure: impl FnOnce(&mut Settings),
        configure_simulator: impl FnOnce(&mut proconnect_simulator::SimulatorConfig),
    ) -> anyhow::Result<Self> {
        let (listener, addr, spa, mut settings) = loopback_settings().await?;
        configure(&mut settings);
        let (simulator, relay) = spawn_simulator_with(&mut settings, configure_simulator).await?;
        let store = tower_sessions::MemoryStore::default();
        let router = proconnect_bff::App::new(settings.clone())?.router_with_store(store.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await;
        });
        Ok(Kit { url: format!("http://{addr}/"), simulator, relay, store: Some(store), settings, spa, server })
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

    /// One value of the session behind a browser's cookie, as the backend stores it (one JSON
    /// string per key).
    pub async fn session_value(&self, browser: &Browser, key: &str) -> anyhow::Result<serde_json::Value> {
        let record = self.session_record(browser).await?.context("a session record")?;
        let json = record.data.get(key).and_then(|v| v.as_str()).with_context(|| format!("`{key}` in the session"))?;
        Ok(serde_json::from_str(json)?)
    }

    /// A second backend instance with the same settings (same provider, same store) on another port.
    /// Its redirect URIs are not registered, so it serves `/api/me` and logout only.
    pub async fn another_backend(&self) -> anyhow::Result<(String, tokio::task::JoinHandle<()>)> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let server = serve(listener, self.settings.clone()).await?;
        Ok((format!("http://{addr}/"), server))
    }

    /// Stops the backend and serves a new one on the same address with the same settings.
    pub async fn restart_backend(&mut self) -> anyhow::Result<()> {
        self.server.abort();
        let _ = (&mut self.server).await;
        let listener = TcpListener::bind(self.settings.listen).await.context("rebinding the backend's port")?;
        self.server = serve(listener, self.settings.clone()).await?;
        Ok(())
    }

    /// The simulator's origin (`http://127.0.0.1:<port>`).
    pub fn simulator_origin(&self) -> String {
        format!("http://{}", self.relay.addr)
    }

    /// `url` joined to the backend's base.
    pub fn at(&self, path: &str) -> String {
        format!("{}{}", self.url, path.trim_start_matches('/'))
    }
}

impl Drop for Kit {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Starts the demo simulator with its client registered for this backend and its algorithms,
/// reachable only through a [`Relay`] (its issuer is the relay's address), so a test can cut it.
pub async fn spawn_simulator(settings: &mut Settings) -> anyhow::Result<(proconnect_simulator::Simulator, Relay)> {
    spawn_simulator_with(settings, |_| {}).await
}

/// The same, with the simulator's configuration adjusted first (key grace period, lifetimes…).
pub async fn spawn_simulator_with(
    settings: &mut Settings,
    configure: impl FnOnce(&mut proconnect_simulator::SimulatorConfig),
) -> anyhow::Result<(proconnect_simulator::Simulator, Relay)> {
    let mut config = proconnect_simulator::SimulatorConfig::demo();
    configure(&mut config);
    let client = config.clients.first_mut().context("the demo simulator has a client")?;
    client.redirect_uris = vec![settings.redirect_uri().to_string()];
    client.post_logout_redirect_uris = vec![settings.post_logout_redirect_uri().to_string()];
    client.home_url = settings.public_url.to_string();
    client.id_token_signed_response_alg = Some(settings.provider.id_token_signed_response_alg);
    client.userinfo_signed_response_alg = Some(settings.provider.userinfo_signed_response_alg);
    settings.provider.client_id = client.client_id.clone();
    settings.provider.client_secret = proconnect_bff::settings::Secret::new(client.client_secret.clone());
    let inner = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let relay = Relay::start(inner.local_addr()?).await?;
    let issuer = format!("http://{}/api/v2", relay.addr);
    let simulator = proconnect_simulator::Simulator::new(config, issuer.clone())?;
    let tap = relay.tap.clone();
    let app = simulator.router().layer(axum::middleware::from_fn(move |request, next| tap.clone().pass(request, next)));
    let task = tokio::spawn(async move {
        let _ = axum::serve(inner, app).await;
    });
    relay.tasks.lock().map_err(|_| anyhow::anyhow!("relay lock"))?.push(task);
    settings.provider.issuer = Some(issuer.parse()?);
    Ok((simulator, relay))
}

/// A loopback TCP relay in front of the simulator. [`Relay::cut`] closes every connection through
/// it and refuses new ones (the provider is "unreachable"); [`Relay::stall`] closes them and
/// accepts new ones that never get an answer (the provider hangs); [`Relay::restore`] reopens it.
pub struct Relay {
    /// Where clients connect.
    pub addr: SocketAddr,
    /// What reaches the simulator through it.
    pub tap: Tap,
    mode: Arc<std::sync::atomic::AtomicU8>,
    connections: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
    tasks: std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl Relay {
    const UP: u8 = 0;
    const CUT: u8 = 1;
    const STALLED: u8 = 2;

    async fn start(target: SocketAddr) -> anyhow::Result<Self> {
        use std::sync::atomic::Ordering;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let mode = Arc::new(std::sync::atomic::AtomicU8::new(Self::UP));
        let connections: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>> = Arc::default();
        let (flag, list) = (mode.clone(), connections.clone());
        let accept = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                let task = match flag.load(Ordering::SeqCst) {
                    Self::CUT => continue, // Dropped at once: the connection is reset.
                    // Held open, never read nor answered, until the relay is cut or dropped.
                    Self::STALLED => tokio::spawn(async move {
                        let _held = inbound;
                        std::future::pending::<()>().await;
                    }),
                    _ => tokio::spawn(async move {
                        if let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await {
                            let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                        }
                    }),
                };
                if let Ok(mut list) = list.lock() {
                    list.retain(|t| !t.is_finished());
                    list.push(task);
                }
            }
        });
        Ok(Relay { addr, tap: Tap::default(), mode, connections, tasks: std::sync::Mutex::new(vec![accept]) })
    }

    fn switch(&self, mode: u8) {
        self.mode.store(mode, std::sync::atomic::Ordering::SeqCst);
        if let Ok(mut list) = self.connections.lock() {
            list.drain(..).for_each(|t| t.abort());
        }
    }

    /// The provider becomes unreachable: open connections are closed, new ones dropped.
    pub fn cut(&self) {
        self.switch(Self::CUT);
    }

    /// The provider hangs: open connections are closed, new ones accepted and never answered.
    pub fn stall(&self) {
        self.switch(Self::STALLED);
    }

    /// The provider is reachable again.
    pub fn restore(&self) {
        self.mode.store(Self::UP, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.cut();
        if let Ok(mut tasks) = self.tasks.lock() {
            tasks.drain(..).for_each(|t| t.abort());
        }
    }
}

/// Every HTTP request that reaches the simulator (from the backend or a browser) is counted, and
/// the requests to one path can be held until released (a provider that takes its time).
#[derive(Clone)]
pub struct Tap(Arc<TapState>);

struct TapState {
    requests: std::sync::atomic::AtomicUsize,
    /// The path suffix whose requests wait, if any.
    hold: tokio::sync::watch::Sender<Option<String>>,
    /// How many requests were held so far.
    held: tokio::sync::watch::Sender<usize>,
}

impl Default for Tap {
    fn default() -> Self {
        Tap(Arc::new(TapState {
            requests: Default::default(),
            hold: tokio::sync::watch::Sender::new(None),
            held: tokio::sync::watch::Sender::new(0),
        }))
    }
}

impl Tap {
    /// How many requests reached the simulator so far.
    pub fn requests(&self) -> usize {
        self.0.requests.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// From now on, requests whose path ends with `suffix` wait for [`Tap::release`].
    pub fn hold(&self, suffix: &str) {
        self.0.hold.send_replace(Some(suffix.to_owned()));
    }

    /// Lets the held requests (and every later one) through.
    pub fn release(&self) {
        self.0.hold.send_replace(None);
    }

    /// Waits until `count` requests in all have been held.
    pub async fn held(&self, count: usize) -> anyhow::Result<()> {
        let mut held = self.0.held.subscribe();
        held.wait_for(|n| *n >= count).await?;
        Ok(())
    }

    async fn pass(self, request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
        self.0.requests.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let mut hold = self.0.hold.subscribe();
        let held = hold.borrow().as_deref().is_some_and(|suffix| request.uri().path().ends_with(suffix));
        if held {
            self.0.held.send_modify(|n| *n += 1);
            let _ = hold.wait_for(Option::is_none).await;
        }
        next.run(request).await
    }
}

/// Serves `App::new(settings)?.router().await?` on `listener`, with the peer address available.
pub async fn serve(listener: TcpListener, settings: Settings) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let router = proconnect_bff::App::new(settings)?.router().await?;
    Ok(tokio::spawn(async move {
        let _ = axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>()).await;
    }))
}

/// A browser without a browser, with the sign-in steps of this harness's kit.
pub struct Browser(HttpAgent);

impl std::ops::Deref for Browser {
    type Target = HttpAgent;
    fn deref(&self) -> &HttpAgent {
        &self.0
    }
}

impl Browser {
    pub fn new() -> Self {
        Browser(HttpAgent::new())
    }

    /// The value of the session cookie this jar holds for the kit.
    pub fn session_cookie(&self, kit: &Kit) -> Option<String> {
        self.cookies_for(&kit.url).split("; ").find_map(|pair| pair.strip_prefix("session=").map(str::to_owned))
    }

    /// `GET /auth/login` (with an optional query), returning the authorization URL.
    pub async fn start_login(&self, kit: &Kit, query: &str) -> anyhow::Result<String> {
        let answer = self.get(&kit.at(&format!("auth/login{query}"))).await?;
        let url = answer.next("/auth/login")?;
        ensure!(url.starts_with(&kit.simulator_origin()), "/auth/login goes to the provider: {url}");
        Ok(url)
    }

    /// Follows an authorization URL through the mire and the demo FI as the demo agent, and
    /// returns the backend's callback URL (not yet visited).
    pub async fn through_provider(&self, kit: &Kit, authorize: &str) -> anyhow::Result<String> {
        self.through_provider_as(kit, authorize, "test@fia1.fr", &[("login", "test"), ("password", "123")]).await
    }

    /// The same as another agent: `email` on the mire, then `fields` on the FI page (login and
    /// password, or the test FI's email, SIRET and level).
    pub async fn through_provider_as(
        &self,
        kit: &Kit,
        authorize: &str,
        email: &str,
        fields: &[(&str, &str)],
    ) -> anyhow::Result<String> {
        let next = self.get(authorize).await?.next("authorize")?;
        if next.starts_with(&kit.url) {
            return Ok(next); // The provider's session is still open (or it answered an error): straight back.
        }
        let origin = kit.simulator_origin();
        let fi = if next.contains("/fi/") {
            next // `prompt=login` with a provider session: straight to the same FI.
        } else {
            self.post_form(&format!("{origin}{next}"), &[("email", email)]).await?.next("mire")?
        };
        let fi = format!("{origin}{}", fi.split('?').next().unwrap_or_default());
        let callback = self.post_form(&fi, fields).await?.next("FI")?;
        if !callback.starts_with(&kit.url) {
            bail!("the provider did not come back to the backend: {callback}");
        }
        Ok(callback)
    }

    /// From `/auth/login` to the callback URL.
    pub async fn authorize(&self, kit: &Kit) -> anyhow::Result<String> {
        let authorize = self.start_login(kit, "").await?;
        self.through_provider(kit, &authorize).await
    }

    /// A whole sign-in; returns the callback's answer.
    pub async fn sign_in(&self, kit: &Kit) -> anyhow::Result<Answer> {
        let callback = self.authorize(kit).await?;
        self.get(&callback).await
    }

    /// `GET /api/me` at a backend's base URL.
    pub async fn me(&self, base: &str) -> anyhow::Result<Answer> {
        self.get(&format!("{base}api/me")).await
    }

    /// The CSRF token from `/api/me`.
    pub async fn csrf_token(&self, base: &str) -> anyhow::Result<String> {
        let me = self.me(base).await?;
        ensure!(me.status == 200, "signed in: {} {}", me.status, me.body);
        me.json()?["csrf_token"].as_str().map(str::to_owned).context("csrf_token in /api/me")
    }

    /// `POST /auth/logout` as the SPA's sign-out form sends it (the anti-forgery token as the
    /// `csrf_token` field, a same-origin navigation); the answer's redirect is not followed.
    pub async fn logout(&self, base: &str) -> anyhow::Result<Answer> {
        let token = self.csrf_token(base).await?;
        let response = self
            .client
            .post(format!("{base}auth/logout"))
            .header("sec-fetch-site", "same-origin")
            .form(&[("csrf_token", token)])
            .send()
            .await?;
        Answer::read(response).await
    }

    /// A whole sign-out through the provider: the form, `session/end`, and the callback, whose
    /// answer it returns.
    pub async fn sign_out(&self, base: &str) -> anyhow::Result<Answer> {
        let answer = self.logout(base).await?;
        ensure!(answer.status == 303, "logout: {} {}", answer.status, answer.body);
        let back = self.get(&answer.next("logout")?).await?.next("session/end")?;
        self.get(&back).await
    }
}

/// Serves a backend built from `settings` on a fresh loopback port (its `public_url` may differ:
/// only the configuration is under test). Returns the base URL to reach it.
pub async fn serve_elsewhere(settings: Settings) -> anyhow::Result<(String, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let addr = listener.local_addr()?;
    Ok((format!("http://{addr}/"), serve(listener, settings).await?))
}

/// URL-encodes a query value.
pub fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Everything logged on this thread while the guard lives (use a current-thread runtime so the
/// backend's and the simulator's tasks log on it too).
#[derive(Clone, Default)]
pub struct CapturedLogs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut all) = self.0.lock() {
            all.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLogs {
    /// Starts capturing events that pass `filter` (an `EnvFilter` directive).
    pub fn start(filter: &str) -> (Self, tracing::subscriber::DefaultGuard) {
        let captured = CapturedLogs::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        (captured, tracing::subscriber::set_default(subscriber))
    }

    /// What was logged so far.
    pub fn text(&self) -> anyhow::Result<String> {
        Ok(String::from_utf8_lossy(&self.0.lock().map_err(|_| anyhow::anyhow!("lock"))?).into_owned())
    }
}
