//! `bench` (run it with `./x bench`): measures the kit through real HTTP on 127.0.0.1 and writes
//! the results into `BENCHMARKS.md`.
//!
//! The backend is the release `proconnect-bff` binary, started as a separate process per
//! configuration (so its memory and CPU are its own); the simulator is this binary started again
//! as `bench simulator …`, another process; the reference Node relying party and `redis-server`
//! are processes too. Every loop stops by itself, bounded in count and in time.
//!
//! `bench [--smoke] [--only a,b] [--seconds S] [--levels N,N] [--client raw|hyper] [--out FILE]`; sections: sizes, crypto,
//! ready, signin, node, aged, me, memory, browser, page (the sign-in page: bytes per resource type, first paint
//! with JavaScript on and off, Lighthouse). `--smoke` runs each (and a few seconds of soak) for a fraction of a
//! second and writes `target/bench/smoke.md`. `bench --soak [--soak-minutes M]` runs only the soak (10 minutes per
//! store unless M) and rewrites only its own part of `BENCHMARKS.md`.

mod crypto;
mod load;
mod page;
mod procs;
mod report;
mod soak;
mod spa;

use anyhow::{Context, bail};
use load::{Bounds, Getter, Outcome, RawGetter, SignInUser, phase};
use procs::{Proc, free_port};
use reqwest::StatusCode;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::process::Command;

/// How much of everything to do.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    /// Smoke mode (numbers meaningless, only proves each measurement runs).
    pub smoke: bool,
    /// Concurrency levels of the sign-in runs.
    pub sign_in_levels: &'static [usize],
    /// Warm-up before each measured phase.
    pub warmup: Duration,
    /// Each measured sign-in phase.
    pub sign_in: Bounds,
    /// Connections of the `/api/me` runs.
    pub me_connections: usize,
    /// Each measured `/api/me` phase.
    pub me: Bounds,
    /// Sessions created for the memory measurement.
    pub memory_sessions: u64,
    /// Signed-in sessions created for the memory measurement.
    pub memory_signed_in: u64,
    /// Starts of the backend for the start-up time.
    pub starts: usize,
    /// Page loads in Chromium.
    pub loads: usize,
    /// Sign-ins served by the simulator before the "aged simulator" measurement.
    pub aged_sign_ins: u64,
    /// Soak: the sign-in levels whose best rate is the peak (half of which the soak holds).
    pub soak_peak_levels: &'static [usize],
    /// Soak: each peak phase.
    pub soak_peak: Bounds,
    /// Soak: periods per store (one line of its table each).
    pub soak_periods: u32,
    /// Soak: one period.
    pub soak_period: Duration,
    /// Soak: virtual users signing in (paced: a free one starts the next scheduled sign-in).
    pub soak_users: usize,
    /// Soak: signed-in agents sending `GET /api/me`, one keep-alive connection each.
    pub soak_me_connections: usize,
    /// Soak: `GET /api/me` per second, all agents together.
    pub soak_me_rate: f64,
}

const FULL: Scale = Scale {
    smoke: false,
    sign_in_levels: &[1, 8, 32, 128],
    warmup: Duration::from_millis(1500),
    sign_in: Bounds { duration: Duration::from_secs(8), max_ops: 100_000 },
    me_connections: 256,
    me: Bounds { duration: Duration::from_secs(10), max_ops: 3_000_000 },
    memory_sessions: 100_000,
    memory_signed_in: 10_000,
    starts: 15,
    loads: 9,
    aged_sign_ins: 20_000,
    soak_peak_levels: &[32, 128],
    soak_peak: Bounds { duration: Duration::from_secs(5), max_ops: 100_000 },
    soak_periods: 10,
    soak_period: Duration::from_secs(60),
    soak_users: 64,
    soak_me_connections: 16,
    soak_me_rate: 2_000.0,
};

const SMOKE: Scale = Scale {
    smoke: true,
    sign_in_levels: &[1, 8],
    warmup: Duration::from_millis(100),
    sign_in: Bounds { duration: Duration::from_millis(300), max_ops: 2_000 },
    me_connections: 16,
    me: Bounds { duration: Duration::from_millis(300), max_ops: 100_000 },
    memory_sessions: 2_000,
    memory_signed_in: 100,
    starts: 2,
    loads: 2,
    aged_sign_ins: 200,
    soak_peak_levels: &[8],
    soak_peak: Bounds { duration: Duration::from_millis(300), max_ops: 2_000 },
    soak_periods: 3,
    soak_period: Duration::from_secs(1),
    soak_users: 8,
    soak_me_connections: 4,
    soak_me_rate: 200.0,
};

/// `soak` runs only when asked (`--soak`, `--only soak`) or with `--smoke`.
const SECTIONS: [&str; 11] =
    ["sizes", "crypto", "ready", "signin", "node", "aged", "me", "memory", "browser", "page", "soak"];

/// The demo client every relying party here uses.
const CLIENT_ID: &str = "demo-fs";

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    if args.first().map(String::as_str) == Some("simulator") {
        return runtime.block_on(simulator_child(&args[1..]));
    }
    let mut smoke = false;
    let mut only: Option<Vec<String>> = None;
    let mut out: Option<PathBuf> = None;
    let mut seconds: Option<f64> = None;
    let mut levels: Option<Vec<usize>> = None;
    let mut client = Client::Raw;
    let mut soak_minutes: Option<u32> = None;
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--smoke" => smoke = true,
            "--only" => {
                only = Some(rest.next().context("--only needs a list")?.split(',').map(str::to_owned).collect())
            }
            "--out" => out = Some(rest.next().context("--out needs a file")?.into()),
            "--client" => {
                client = match rest.next().map(String::as_str) {
                    Some("raw") => Client::Raw,
                    Some("hyper") => Client::Hyper,
                    _ => bail!("--client raw|hyper"),
                }
            }
            "--soak" => only = Some(vec!["soak".into()]),
            "--soak-minutes" => {
                let minutes = rest.next().context("--soak-minutes needs a number")?.parse::<u32>()?;
                soak_minutes = Some(minutes.max(1));
            }
            "--seconds" => seconds = Some(rest.next().context("--seconds needs a number")?.parse::<f64>()?),
            "--levels" => {
                let list = rest.next().context("--levels needs a list of user counts")?;
                levels = Some(list.split(',').map(str::parse).collect::<Result<_, _>>().context("--levels 1,8,32")?);
            }
            other => bail!(
                "unknown argument `{other}` (bench [--smoke] [--soak] [--soak-minutes M] [--only {}] [--seconds S] [--levels N,N] [--client raw|hyper] [--out FILE])",
                SECTIONS.join(",")
            ),
        }
    }
    if let Some(unknown) = only.iter().flatten().find(|s| !SECTIONS.contains(&s.as_str())) {
        bail!("unknown section `{unknown}` (known: {})", SECTIONS.join(", "));
    }
    let root = workspace_root()?;
    let out =
        out.unwrap_or_else(|| if smoke { root.join("target/bench/smoke.md") } else { root.join("BENCHMARKS.md") });
    let mut scale = if smoke { SMOKE } else { FULL };
    if let Some(seconds) = seconds {
        // For profiling: longer (or shorter) measured phases, same bounds on counts.
        scale.sign_in = Bounds { duration: Duration::from_secs_f64(seconds), max_ops: 10_000_000 };
        scale.me = Bounds { duration: Duration::from_secs_f64(seconds), max_ops: 100_000_000 };
    }
    if let Some(levels) = levels {
        // For comparisons: only these sign-in concurrency levels.
        scale.sign_in_levels = Vec::leak(levels);
    }
    if let Some(minutes) = soak_minutes {
        scale.soak_periods = minutes;
        scale.soak_period = Duration::from_secs(60);
    }
    // `--soak-minutes M` alone means the soak.
    let only = if soak_minutes.is_some() && only.is_none() && !smoke { Some(vec!["soak".into()]) } else { only };
    runtime.block_on(run(Run { root, scale, only, out, client }))
}

/// The workspace root (where `Cargo.toml` has `[workspace]`), from the current directory up.
fn workspace_root() -> anyhow::Result<PathBuf> {
    let mut dir = std::env::current_dir()?;
    loop {
        if std::fs::read_to_string(dir.join("Cargo.toml")).is_ok_and(|t| t.contains("[workspace]")) {
            return Ok(dir);
        }
        if !dir.pop() {
            bail!("run bench from the workspace (./x bench)");
        }
    }
}

/// `bench simulator --redirect http://127.0.0.1:P/ …`: the demo simulator on an ephemeral
/// loopback port, registered for each relying party given; prints `SIMULATOR <addr>`, stops
/// when its parent kills it.
async fn simulator_child(args: &[String]) -> anyhow::Result<()> {
    let bases: Vec<&String> = args.iter().skip_while(|a| *a != "--redirect").skip(1).step_by(2).collect();
    let mut config = proconnect_simulator::SimulatorConfig::demo();
    let client = config.clients.first_mut().context("the demo configuration has no client")?;
    client.redirect_uris = bases.iter().map(|b| format!("{b}auth/callback")).collect();
    client.post_logout_redirect_uris = bases.iter().map(|b| format!("{b}auth/logout/callback")).collect();
    client.home_url = bases.first().map(|b| (*b).clone()).unwrap_or_default();
    let running = proconnect_simulator::Simulator::spawn(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0))).await?;
    println!("SIMULATOR {}", running.addr);
    // The parent kills this process; bounded anyway.
    tokio::time::sleep(Duration::from_secs(4 * 3600)).await;
    Ok(())
}

/// One invocation.
struct Run {
    root: PathBuf,
    scale: Scale,
    only: Option<Vec<String>>,
    out: PathBuf,
    client: Client,
}

impl Run {
    fn wants(&self, section: &str) -> bool {
        match &self.only {
            Some(only) => only.iter().any(|s| s == section),
            None => section != "soak" || self.scale.smoke,
        }
    }
}

/// Where a backend keeps its sessions.
#[derive(Clone, Debug)]
pub enum Store {
    /// `memory`.
    Memory,
    /// `sqlite` (the shipped default), a fresh file.
    Sqlite,
    /// `redis` on this port.
    Redis(u16),
}

impl Store {
    /// Its name in the tables.
    pub fn name(&self) -> &'static str {
        match self {
            Store::Memory => "memory",
            Store::Sqlite => "sqlite",
            Store::Redis(_) => "redis",
        }
    }
}

/// What every measurement shares: the run directory, the simulator, the ports registered with it.
struct Lab {
    dir: PathBuf,
    root: PathBuf,
    backend_exe: PathBuf,
    simulator: Option<Proc>,
    simulator_origin: String,
    issuer: String,
    client_secret: String,
    backend_port: u16,
    node_port: u16,
    starts: u32,
    simulator_starts: u32,
}

/// A relying party under test.
enum Rp {
    /// The release backend with this store.
    Rust(Store),
    /// The reference Node relying party.
    Node,
}

impl Lab {
    async fn open(root: &Path) -> anyhow::Result<Self> {
        let dir = procs::run_dir(root)?;
        let exe = std::env::current_exe()?;
        let backend_exe = exe.with_file_name("proconnect-bff");
        if !backend_exe.exists() {
            // `cargo build -p bench --release` alone does not build the backend binary.
            eprintln!("==> cargo build --release -p proconnect-bff-server (its binary is missing)");
            let built = Command::new("cargo")
                .args(["build", "--release", "--quiet", "-p", "proconnect-bff-server"])
                .current_dir(root)
                .status()
                .await?;
            if !built.success() || !backend_exe.exists() {
                bail!(
                    "{} is missing: build it with `cargo build --release -p proconnect-bff-server` (./x bench does)",
                    backend_exe.display()
                );
            }
        }
        let client_secret = proconnect_simulator::SimulatorConfig::demo()
            .clients
            .first()
            .map(|c| c.client_secret.clone())
            .context("demo client")?;
        let mut lab = Lab {
            dir,
            root: root.to_owned(),
            backend_exe,
            simulator: None,
            simulator_origin: String::new(),
            issuer: String::new(),
            client_secret,
            backend_port: free_port()?,
            node_port: free_port()?,
            starts: 0,
            simulator_starts: 0,
        };
        lab.restart_simulator().await?;
        Ok(lab)
    }

    /// Replaces the simulator with a fresh one (empty store: its records slow it down as they
    /// accumulate, see BENCHMARKS.md). Relying parties started before keep the old issuer.
    async fn restart_simulator(&mut self) -> anyhow::Result<()> {
        if let Some(old) = self.simulator.take() {
            old.stop().await;
        }
        self.simulator_starts += 1;
        let mut command = Command::new(std::env::current_exe()?);
        command.arg("simulator");
        for port in [self.backend_port, self.node_port] {
            command.arg("--redirect").arg(format!("http://127.0.0.1:{port}/"));
        }
        let log = self.dir.join(format!("simulator-{}.log", self.simulator_starts));
        let mut simulator = Proc::spawn("simulator", command, &log, &["SIMULATOR "])?;
        let (line, _) = simulator.wait_line(Duration::from_secs(30)).await?;
        let addr: SocketAddr = line.trim_start_matches("SIMULATOR ").trim().parse()?;
        self.simulator_origin = format!("http://{addr}");
        self.issuer = format!("http://{addr}/api/v2");
        self.simulator = Some(simulator);
        Ok(())
    }

    fn simulator(&self) -> anyhow::Result<&Proc> {
        self.simulator.as_ref().context("no simulator running")
    }

    /// Starts a relying party on its registered port.
    async fn start_rp(&mut self, rp: &Rp) -> anyhow::Result<(Proc, String)> {
        Ok(match rp {
            Rp::Rust(store) => (self.backend(store, self.backend_port).await?.0, self.backend_url()),
            Rp::Node => (self.node().await?, format!("http://127.0.0.1:{}/", self.node_port)),
        })
    }

    fn backend_url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.backend_port)
    }

    /// Starts the release backend on `port` with `store`; returns it once `/healthz` answers,
    /// with spawn → `ProConnect kit ready` printed and spawn → first 200 on `/healthz`.
    async fn backend(&mut self, store: &Store, port: u16) -> anyhow::Result<(Proc, Duration, Duration)> {
        self.starts += 1;
        let n = self.starts;
        let store_toml = match store {
            Store::Memory => "kind = \"memory\"".to_owned(),
            Store::Sqlite => format!("kind = \"sqlite\"\npath = {:?}", self.dir.join(format!("sessions-{n}.sqlite"))),
            Store::Redis(port) => format!("kind = \"redis\"\nurl = \"redis://127.0.0.1:{port}/0\""),
        };
        // With Redis the backend reads through its local copies (off by default: GUIDE §5).
        let session_toml =
            if matches!(store, Store::Redis(_)) { "[session]\nredis_local_copies = true\n\n" } else { "" };
        let config = format!(
            "listen = \"127.0.0.1:{port}\"\npublic_url = \"http://127.0.0.1:{port}/\"\nspa_dir = {:?}\n\
             auth_rate_limit_per_minute = 0\n\n[provider]\npreset = \"simulator\"\nissuer = \"{}\"\nclient_id = \"{CLIENT_ID}\"\n\
             client_secret = \"{}\"\n\n{session_toml}[session.store]\n{store_toml}\n",
            self.root.join("dist"),
            self.issuer,
            self.client_secret,
        );
        let file = self.dir.join(format!("backend-{n}.toml"));
        std::fs::write(&file, config)?;
        let mut command = Command::new(&self.backend_exe);
        command.arg("--config").arg(&file).env_remove("RUST_LOG").current_dir(&self.root);
        for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("BFF_")) {
            command.env_remove(key);
        }
        let spawned = Instant::now();
        let mut process =
            Proc::spawn("backend", command, &self.dir.join(format!("backend-{n}.log")), &["ProConnect kit ready"])?;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        let healthy = procs::wait_http_ok(addr, "/healthz", Duration::from_millis(1), Duration::from_secs(20)).await;
        let healthy = match healthy {
            Ok(at) => at,
            Err(error) => {
                let _ = process.wait_line(Duration::from_millis(10)).await?;
                return Err(error);
            }
        };
        let (_, printed) = process.wait_line(Duration::from_secs(5)).await?;
        Ok((process, printed.duration_since(spawned), healthy.duration_since(spawned)))
    }

    /// Installs (once, `npm ci` from the committed lock file) and starts the Node relying party.
    async fn node(&mut self) -> anyhow::Result<Proc> {
        let dir = npm_ci(
            &self.root.join("bench/node"),
            &self.root.join("target/bench-node"),
            &["server.js"],
            "express, express-session, openid-client 6",
        )
        .await?;
        let mut command = Command::new("node");
        command
            .arg("server.js")
            .current_dir(&dir)
            .env("NODE_ENV", "production")
            .env("PORT", self.node_port.to_string())
            .env("ISSUER", &self.issuer)
            .env("CLIENT_ID", CLIENT_ID)
            .env("CLIENT_SECRET", &self.client_secret);
        let mut process = Proc::spawn("node rp", command, &self.dir.join("node.log"), &["node rp ready"])?;
        process.wait_line(Duration::from_secs(30)).await?;
        Ok(process)
    }
}

/// Copies `package.json`, `package-lock.json` and `files` from `source` into `dir` and runs
/// `npm ci` there when its `node_modules` is missing or was installed from another lock file;
/// returns `dir`. Only the bench installs these (not `./x setup` nor `./x test`).
pub async fn npm_ci(source: &Path, dir: &Path, files: &[&str], what: &str) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let lock = std::fs::read(source.join("package-lock.json"))?;
    let installed = std::fs::read(dir.join("package-lock.json")).ok();
    for file in ["package.json", "package-lock.json"].iter().chain(files) {
        std::fs::copy(source.join(file), dir.join(file))?;
    }
    if installed.as_deref() != Some(lock.as_slice()) || !dir.join("node_modules").exists() {
        eprintln!("==> npm ci in {} ({what})", dir.display());
        let status = tokio::time::timeout(
            Duration::from_secs(300),
            Command::new("npm").args(["ci", "--no-audit", "--no-fund", "--loglevel=error"]).current_dir(dir).status(),
        )
        .await
        .context("npm ci took more than 5 minutes")??;
        if !status.success() {
            bail!("npm ci failed in {}", dir.display());
        }
    }
    Ok(dir.to_owned())
}

/// `redis-server` on a free loopback port, nothing persisted; stopped when dropped.
async fn redis(dir: &Path) -> anyhow::Result<(Proc, u16)> {
    let port = free_port()?;
    let mut command = Command::new("/usr/bin/redis-server");
    command.args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
    let process = Proc::spawn("redis", command, &dir.join("redis.log"), &[])?;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        if let Ok(mut stream) = tokio::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port)).await {
            let mut answer = [0u8; 5];
            if stream.write_all(b"PING\r\n").await.is_ok()
                && stream.read_exact(&mut answer).await.is_ok()
                && &answer == b"+PONG"
            {
                return Ok((process, port));
            }
        }
        if Instant::now() > deadline {
            bail!("redis-server did not start on port {port}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Sign-in throughput of `rp` at each concurrency level, each level on a fresh simulator and
/// a fresh relying party.
async fn sign_ins(lab: &mut Lab, rp: &Rp, scale: Scale) -> anyhow::Result<Vec<(usize, Outcome)>> {
    let mut results = Vec::new();
    for &level in scale.sign_in_levels {
        lab.restart_simulator().await?;
        let (process, url) = lab.start_rp(rp).await?;
        let outcome = sign_in_phase(lab, &process, &url, level, scale.warmup, scale.sign_in).await?;
        process.stop().await;
        print_outcome(&format!("{level:>4} users"), "sign-ins/s", &outcome);
        results.push((level, outcome));
    }
    Ok(results)
}

/// `level` virtual users signing in against the relying party at `url`: a warm-up, then the
/// measured phase.
async fn sign_in_phase(
    lab: &Lab,
    rp: &Proc,
    url: &str,
    level: usize,
    warmup: Duration,
    bounds: Bounds,
) -> anyhow::Result<Outcome> {
    let watched = [rp, lab.simulator()?];
    let users = (0..level).map(|_| SignInUser::new(url, &lab.simulator_origin)).collect::<anyhow::Result<Vec<_>>>()?;
    let (users, _) = phase(users, Bounds { duration: warmup, max_ops: bounds.max_ops }, &watched).await;
    let (_, outcome) = phase(users, bounds, &watched).await;
    Ok(outcome)
}

fn print_outcome(label: &str, unit: &str, outcome: &Outcome) {
    eprintln!(
        "    {label}: {:>8.0} {unit}  p50 {:>7.2} ms  p99 {:>7.2} ms  errors {}  cpu: {}  other {:.2}",
        outcome.rate(),
        outcome.quantile_ms(0.5),
        outcome.quantile_ms(0.99),
        outcome.errors,
        outcome.cpu_summary(),
        outcome.other_cores
    );
    if let Some(error) = &outcome.first_error {
        eprintln!("          first error: {error}");
    }
}

/// Sign-ins per second at 8 users on a fresh simulator, then again after `aged` more sign-ins
/// on the same simulator (the provider's records accumulate).
async fn aged_simulator(lab: &mut Lab, scale: Scale, aged: u64) -> anyhow::Result<report::Aged> {
    lab.restart_simulator().await?;
    let (backend, url) = lab.start_rp(&Rp::Rust(Store::Memory)).await?;
    let fresh = sign_in_phase(lab, &backend, &url, 8, scale.warmup, scale.sign_in).await?;
    print_outcome("fresh simulator, 8 users", "sign-ins/s", &fresh);
    let users = (0..32).map(|_| SignInUser::new(&url, &lab.simulator_origin)).collect::<anyhow::Result<Vec<_>>>()?;
    let (_, filling) = phase(users, Bounds { duration: Duration::from_secs(120), max_ops: aged }, &[&backend]).await;
    let before = fresh.ok + filling.ok + filling.errors;
    let after = sign_in_phase(lab, &backend, &url, 8, scale.warmup, scale.sign_in).await?;
    print_outcome(&format!("after {before} sign-ins, 8 users"), "sign-ins/s", &after);
    backend.stop().await;
    Ok(report::Aged { fresh, earlier_sign_ins: before, after })
}

/// `/api/me` at `scale.me_connections` concurrent connections, each with its own signed-in session.
async fn api_me(lab: &Lab, backend: &Proc, extra: &[&Proc], scale: Scale, client: Client) -> anyhow::Result<Outcome> {
    let url = lab.backend_url();
    let cookies = load::signed_in_cookies(&url, &lab.simulator_origin, scale.me_connections, 32).await?;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, lab.backend_port));
    let mut watched = vec![backend];
    watched.extend_from_slice(extra);
    let warmup = Bounds { duration: scale.warmup, max_ops: scale.me.max_ops };
    Ok(match client {
        Client::Raw => {
            let getters: Vec<RawGetter> =
                cookies.iter().map(|c| RawGetter::new(addr, "/api/me", Some(c), StatusCode::OK)).collect();
            let (getters, _) = phase(getters, warmup, &watched).await;
            phase(getters, scale.me, &watched).await.1
        }
        Client::Hyper => {
            let getters = cookies
                .iter()
                .map(|c| Getter::new(addr, "/api/me", Some(c), StatusCode::OK))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let (getters, _) = phase(getters, warmup, &watched).await;
            phase(getters, scale.me, &watched).await.1
        }
    })
}

/// The HTTP client of the `/api/me` and memory runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Client {
    /// [`RawGetter`] (default).
    Raw,
    /// [`Getter`] (hyper), for comparison.
    Hyper,
}

/// RSS growth of a fresh backend over `n` sessions made by `GET /auth/login` (a login
/// transaction each) or, with `signed_in`, by complete sign-ins.
async fn memory(
    lab: &mut Lab,
    store: &Store,
    n: u64,
    signed_in: bool,
    server: Option<&Proc>,
) -> anyhow::Result<report::Memory> {
    let (backend, _, _) = lab.backend(store, lab.backend_port).await?;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, lab.backend_port));
    let url = lab.backend_url();
    let long = Duration::from_secs(600);
    let mut server_before = None;
    let (before, after, made, rate) = if signed_in {
        let users =
            (0..32).map(|_| SignInUser::new(&url, &lab.simulator_origin)).collect::<anyhow::Result<Vec<_>>>()?;
        let (users, _) = phase(users, Bounds { duration: long, max_ops: (n / 20).max(50) }, &[&backend]).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let before = backend.rss_kib()?;
        let (_, outcome) = phase(users, Bounds { duration: long, max_ops: n }, &[&backend]).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        (before, backend.rss_kib()?, outcome.ok, outcome.rate())
    } else {
        let getters: Vec<RawGetter> =
            (0..64).map(|_| RawGetter::new(addr, "/auth/login", None, StatusCode::SEE_OTHER)).collect();
        let (getters, _) = phase(getters, Bounds { duration: long, max_ops: (n / 20).max(100) }, &[&backend]).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        let before = backend.rss_kib()?;
        server_before = server.map(Proc::rss_kib).transpose()?;
        let (_, outcome) = phase(getters, Bounds { duration: long, max_ops: n }, &[&backend]).await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        (before, backend.rss_kib()?, outcome.ok, outcome.rate())
    };
    let server_rss_kib = match (server_before, server.map(Proc::rss_kib).transpose()?) {
        (Some(before), Some(after)) => Some((before, after)),
        _ => None,
    };
    let file_bytes = match store {
        Store::Sqlite => std::fs::read_dir(&lab.dir)?
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with(&format!("sessions-{}.sqlite", lab.starts)))
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.len())
            .sum::<u64>()
            .into(),
        _ => None,
    };
    backend.stop().await;
    Ok(report::Memory {
        store: store.name(),
        signed_in,
        sessions: made,
        rss_before_kib: before,
        rss_after_kib: after,
        file_bytes,
        server_rss_kib,
        rate,
    })
}

async fn run(run: Run) -> anyhow::Result<()> {
    let scale = run.scale;
    let mut results = report::Results {
        machine: report::Machine::probe(&run.root),
        smoke: scale.smoke,
        me_connections: scale.me_connections,
        ..Default::default()
    };
    eprintln!("==> {}", results.machine.one_line());

    if run.wants("sizes") {
        results.sizes = spa::sizes(&run.root.join("dist"))?;
    }

    if run.wants("crypto") {
        let (max, within) =
            if scale.smoke { (200, Duration::from_millis(100)) } else { (5_000, Duration::from_secs(3)) };
        let es256 = crypto::es256(max, within)?;
        eprintln!("==> ES256: {es256:?}");
        results.es256 = Some(es256);
    }

    let mut lab = Lab::open(&run.root).await?;

    if run.wants("ready") {
        for store in [Store::Memory, Store::Sqlite] {
            let mut printed = Vec::new();
            let mut healthy = Vec::new();
            for _ in 0..scale.starts {
                let port = free_port()?;
                let (backend, p, h) = lab.backend(&store, port).await?;
                backend.stop().await;
                printed.push(p.as_secs_f64() * 1000.0);
                healthy.push(h.as_secs_f64() * 1000.0);
            }
            eprintln!("==> start → ready ({}): healthz median {:.1} ms", store.name(), report::median(&healthy));
            results.ready.push(report::Ready { store: store.name(), printed_ms: printed, healthy_ms: healthy });
        }
    }

    if run.wants("signin") {
        for store in [Store::Memory, Store::Sqlite] {
            eprintln!("==> sign-ins, Rust backend, {} sessions", store.name());
            let outcomes = sign_ins(&mut lab, &Rp::Rust(store.clone()), scale).await?;
            results.sign_ins.push(report::SignIns { rp: "Rust backend", store: store.name(), outcomes });
        }
    }

    if run.wants("node") {
        eprintln!("==> sign-ins, reference Node relying party (express-session memory store)");
        let outcomes = sign_ins(&mut lab, &Rp::Node, scale).await?;
        results.sign_ins.push(report::SignIns { rp: "Node (express + openid-client 6)", store: "memory", outcomes });
    }

    if run.wants("aged") {
        eprintln!("==> sign-ins on a simulator that has served many (Rust backend, memory sessions)");
        results.aged = Some(aged_simulator(&mut lab, scale, scale.aged_sign_ins).await?);
    }

    if run.wants("me") {
        let mut redis_server = None;
        let mut stores = vec![Store::Memory, Store::Sqlite];
        match redis(&lab.dir).await {
            Ok((process, port)) => {
                stores.push(Store::Redis(port));
                redis_server = Some(process);
            }
            Err(error) => eprintln!("==> no Redis measurement: {error:#}"),
        }
        for store in stores {
            eprintln!("==> /api/me, {} sessions, {} connections", store.name(), scale.me_connections);
            let (backend, _, _) = lab.backend(&store, lab.backend_port).await?;
            let extra: Vec<&Proc> = redis_server.iter().filter(|_| matches!(store, Store::Redis(_))).collect();
            let outcome = api_me(&lab, &backend, &extra, scale, run.client).await?;
            backend.stop().await;
            print_outcome(&format!("{} connections", scale.me_connections), "req/s", &outcome);
            results.me.push((store.name(), outcome));
        }
        if let Some(process) = redis_server {
            process.stop().await;
        }
    }

    if run.wants("memory") {
        for (store, signed_in, n) in [
            (Store::Memory, false, scale.memory_sessions),
            (Store::Memory, true, scale.memory_signed_in),
            // SQLite keeps sessions on disk (its RSS is a bounded page cache), and each is a
            // committed transaction: a fifth of the count keeps the run short.
            (Store::Sqlite, false, scale.memory_sessions / 5),
        ] {
            eprintln!(
                "==> memory: {n} {} sessions, {}",
                if signed_in { "signed-in" } else { "login-transaction" },
                store.name()
            );
            if signed_in {
                lab.restart_simulator().await?;
            }
            let measured = memory(&mut lab, &store, n, signed_in, None).await?;
            eprintln!("    {:.0} bytes/session RSS", measured.bytes_per_session());
            results.memory.push(measured);
        }
        match redis(&lab.dir).await {
            Ok((server, port)) => {
                eprintln!("==> memory: {} login-transaction sessions, redis", scale.memory_sessions);
                let measured = memory(&mut lab, &Store::Redis(port), scale.memory_sessions, false, Some(&server)).await;
                server.stop().await;
                let measured = measured?;
                eprintln!("    {:.0} bytes/session RSS of the backend", measured.bytes_per_session());
                results.memory.push(measured);
            }
            Err(error) => eprintln!("==> no Redis measurement: {error:#}"),
        }
    }

    if run.wants("browser") {
        eprintln!("==> navigation → button visible, headless Chromium");
        let (backend, _, _) = lab.backend(&Store::Memory, lab.backend_port).await?;
        let times = spa::time_to_button(&lab.backend_url(), scale.loads).await;
        backend.stop().await;
        results.loads = times?;
    }

    if run.wants("page") {
        eprintln!("==> the sign-in page: bytes on the wire, first paint with JavaScript on and off, Lighthouse");
        let (backend, _, _) = lab.backend(&Store::Memory, lab.backend_port).await?;
        let measured = page::measure(&lab.backend_url(), scale.loads, &run.root, &lab.dir).await;
        backend.stop().await;
        let measured = measured?;
        eprintln!("{}", report::page_summary(&measured));
        results.page = Some(measured);
    }

    let soaked = if run.wants("soak") {
        let machine = report::Machine::probe(&run.root);
        let stores = soak::soak(&mut lab, scale).await?;
        Some(report::Soak { machine, scale, stores, finished_load: report::loadavg() })
    } else {
        None
    };

    if let Some(simulator) = lab.simulator.take() {
        simulator.stop().await;
    }
    results.finished_load = report::loadavg();
    if SECTIONS.iter().any(|s| *s != "soak" && run.wants(s)) {
        println!("{}", report::table(&results));
        report::write(&run.out, &results)?;
    }
    if let Some(soaked) = soaked {
        println!("{}", report::soak_table(&soaked));
        report::write_soak(&run.out, &soaked)?;
    }
    eprintln!("==> written: {}", run.out.display());
    Ok(())
}
