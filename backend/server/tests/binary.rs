//! The `proconnect-bff` binary: without a platform it refuses to start. Under SIGTERM and Ctrl-C: it stops accepting connections, lets the
//! requests in flight finish, and exits 0; past `shutdown_grace_seconds`, it exits anyway. Under
//! `kill -9` on a SQLite file, no acknowledged sign-in is lost. The
//! binary runs with the simulator preset against this test's simulator on loopback, whose token
//! endpoint can hold requests so that sign-ins are in flight when the signal arrives.

use anyhow::{Context, bail, ensure};
use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use testkit::{Browser, Kit};
use tokio::io::{AsyncBufReadExt, BufReader};

/// The spawned binary, killed if the test fails, with everything it printed.
struct Binary {
    child: tokio::process::Child,
    pid: u32,
    output: Arc<Mutex<String>>,
    /// The tasks reading stdout and stderr: done at end of file.
    readers: Vec<tokio::task::JoinHandle<()>>,
    public: SocketAddr,
    ops: SocketAddr,
}

/// The simulator (behind its relay and tap) registered for a backend on a free port, and the
/// binary started with `grace` seconds of shutdown grace and a separate ops listener.
async fn start(grace: u64) -> anyhow::Result<(Kit, Binary)> {
    let (kit, binary, _) = start_with_store(grace, "kind = \"memory\"\n").await?;
    Ok((kit, binary))
}

/// [`start`] with this `[session.store]` section; also returns the configuration file.
async fn start_with_store(grace: u64, store: &str) -> anyhow::Result<(Kit, Binary, std::path::PathBuf)> {
    let (listener, public, spa, mut settings) = testkit::loopback_settings().await?;
    drop(listener);
    let ops = SocketAddr::from(([127, 0, 0, 1], testkit::free_port()?));
    let (simulator, relay) = testkit::spawn_simulator(&mut settings).await?;
    let issuer = settings.provider.issuer.clone().context("issuer")?;
    let config = format!(
        "listen = \"{public}\"\npublic_url = \"{}\"\nspa_dir = {:?}\nauth_rate_limit_per_minute = 0\n\
         ops_listen = \"{ops}\"\nshutdown_grace_seconds = {grace}\n\n\
         [provider]\npreset = \"simulator\"\nissuer = \"{issuer}\"\nclient_id = \"{}\"\nclient_secret = \"{}\"\n\n\
         [session.store]\n{store}",
        settings.public_url,
        spa.path(),
        settings.provider.client_id,
        settings.provider.client_secret.expose(),
    );
    let file = spa.path().join("backend.toml");
    std::fs::write(&file, config)?;
    let binary = Binary::spawn(&file, public, ops).await?;
    let url = format!("http://{public}/");
    Ok((Kit::around(url, simulator, relay, settings, Some(spa)), binary, file))
}

impl Binary {
    /// Starts the binary with this configuration file (listening on `public` and `ops`) and
    /// waits until it says it is ready.
    async fn spawn(file: &std::path::Path, public: SocketAddr, ops: SocketAddr) -> anyhow::Result<Self> {
        let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_proconnect-bff"));
        command
            .arg("--config")
            .arg(file)
            .env_remove("RUST_LOG")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("BFF_")) {
            command.env_remove(key);
        }
        let mut child = command.spawn().context("spawning the backend binary")?;
        let pid = child.id().context("a pid")?;
        let output = Arc::new(Mutex::new(String::new()));
        let (ready, mut is_ready) = tokio::sync::watch::channel(false);
        let stdout = child.stdout.take().context("stdout")?;
        let stderr = child.stderr.take().context("stderr")?;
        let mut readers = Vec::new();
        for (stream, ready) in
            [(Box::new(stdout) as Box<dyn tokio::io::AsyncRead + Unpin + Send>, Some(ready)), (Box::new(stderr), None)]
        {
            let output = output.clone();
            readers.push(tokio::spawn(async move {
                let mut lines = BufReader::new(stream).lines();
                while let Ok(Some(line)) = lines.next_line().await {
                    if line.contains("ProConnect kit ready")
                        && let Some(ready) = &ready
                    {
                        let _ = ready.send(true);
                    }
                    if let Ok(mut all) = output.lock() {
                        all.push_str(&line);
                        all.push('\n');
                    }
                }
            }));
        }
        let started = tokio::time::timeout(Duration::from_secs(60), is_ready.wait_for(|r| *r)).await;
        let binary = Binary { child, pid, output, readers, public, ops };
        if !matches!(started, Ok(Ok(_))) {
            bail!("the binary did not start:\n{}", binary.output());
        }
        Ok(binary)
    }

    fn output(&self) -> String {
        self.output.lock().map(|o| o.clone()).unwrap_or_default()
    }

    /// `kill -<signal> <pid>`.
    fn signal(&self, signal: &str) -> anyhow::Result<()> {
        let status = std::process::Command::new("kill").arg(format!("-{signal}")).arg(self.pid.to_string()).status()?;
        ensure!(status.success(), "kill -{signal} {}: {status}", self.pid);
        Ok(())
    }

    /// Waits until the public listener refuses connections (bounded).
    async fn refuses_connections(&self) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            match tokio::net::TcpStream::connect(self.public).await {
                Err(error) if error.kind() == std::io::ErrorKind::ConnectionRefused => return Ok(()),
                _ if tokio::time::Instant::now() > deadline => bail!("still accepting:\n{}", self.output()),
                _ => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    }

    /// Waits for the exit, at most `bound`, and for everything it printed.
    async fn exit_within(&mut self, bound: Duration) -> anyhow::Result<std::process::ExitStatus> {
        let status = match tokio::time::timeout(bound, self.child.wait()).await {
            Ok(status) => status?,
            Err(_) => bail!("still running {bound:?} after the signal:\n{}", self.output()),
        };
        for reader in self.readers.drain(..) {
            tokio::time::timeout(Duration::from_secs(10), reader).await.context("reading the output")??;
        }
        Ok(status)
    }
}

/// `GET` on a fresh connection (no pool), with a cookie header.
async fn get_fresh(url: &str, cookie: &str) -> reqwest::Result<reqwest::Response> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()?
        .get(url)
        .header("cookie", cookie)
        .send()
        .await
}

#[tokio::test]
async fn sigterm_during_sign_ins_lets_accepted_requests_finish_and_exits_0() -> anyhow::Result<()> {
    let (kit, mut binary) = start(10).await?;
    let kit = Arc::new(kit);
    // The ops endpoints are on their own listener only.
    let probe = Browser::new();
    ensure!(probe.get(&format!("http://{}/healthz", binary.ops)).await?.status == 200, "healthz on ops_listen");
    ensure!(probe.get(&kit.at("metrics")).await?.status == 404, "no /metrics on the public listener");

    // Load: clients walking the whole sign-in at once.
    let warm: Vec<_> = (0..4)
        .map(|_| {
            let kit = kit.clone();
            tokio::spawn(async move { Browser::new().sign_in(&kit).await.map(|a| a.status.as_u16()) })
        })
        .collect();
    for client in warm {
        ensure!(client.await?? == 303, "a sign-in through the binary");
    }
    ensure!(probe.get(&format!("http://{}/readyz", binary.ops)).await?.status == 200, "ready");

    // Six sign-ins whose callback is in flight (the provider holds the code exchange), and
    // three agents still at the provider when the signal arrives.
    kit.relay.tap.hold("/token");
    let mut in_flight = Vec::new();
    for _ in 0..6 {
        let kit = kit.clone();
        in_flight.push(tokio::spawn(async move {
            let browser = Browser::new();
            let callback = browser.authorize(&kit).await?;
            let answer = browser.get(&callback).await?;
            anyhow::Ok((answer, browser.session_cookie(&kit)))
        }));
    }
    let mut latecomers = Vec::new();
    for _ in 0..3 {
        let browser = Browser::new();
        let callback = browser.authorize(&kit).await?;
        let cookie = format!("session={}", browser.session_cookie(&kit).context("a login transaction")?);
        latecomers.push((callback, cookie));
    }
    tokio::time::timeout(Duration::from_secs(30), kit.relay.tap.held(6)).await.context("six callbacks held")??;

    binary.signal("TERM")?;
    binary.refuses_connections().await?;
    ensure!(binary.child.try_wait()?.is_none(), "still running while requests are in flight");
    // Not accepted: the connection is refused, no request is half-served.
    for (callback, cookie) in &latecomers {
        match get_fresh(callback, cookie).await {
            Err(error) if error.is_connect() => {}
            other => bail!("a callback after the signal: {other:?}"),
        }
    }
    kit.relay.tap.release();
    for client in in_flight {
        let (answer, cookie) = client.await??;
        ensure!(answer.status == 303, "an accepted callback completes: {} {}", answer.status, answer.body);
        ensure!(answer.location.as_deref() == Some("/"), "to the SPA: {:?}", answer.location);
        ensure!(cookie.is_some(), "signed in");
    }
    let status = binary.exit_within(Duration::from_secs(30)).await?;
    let output = binary.output();
    println!("{output}");
    ensure!(status.success(), "exit status {status}:\n{output}");
    ensure!(output.contains("shutting down") && output.contains("SIGTERM"), "the signal is logged:\n{output}");
    ensure!(output.contains("every request in flight finished"), "a clean stop:\n{output}");
    ensure!(!output.contains("grace period ended"), "within the grace period:\n{output}");
    Ok(())
}

#[tokio::test]
async fn past_the_grace_period_ctrl_c_exits_anyway_and_says_so() -> anyhow::Result<()> {
    let (kit, mut binary) = start(1).await?;
    let kit = Arc::new(kit);
    kit.relay.tap.hold("/token");
    let stuck = {
        let kit = kit.clone();
        tokio::spawn(async move {
            let browser = Browser::new();
            let callback = browser.authorize(&kit).await?;
            browser.get(&callback).await
        })
    };
    tokio::time::timeout(Duration::from_secs(30), kit.relay.tap.held(1)).await.context("one callback held")??;
    binary.signal("INT")?;
    // A generous bound: the grace period is 1 s and the request never finishes.
    let status = binary.exit_within(Duration::from_secs(20)).await?;
    let output = binary.output();
    println!("{output}");
    ensure!(status.success(), "exit status {status}:\n{output}");
    ensure!(output.contains("SIGINT") && output.contains("grace period ended"), "logged:\n{output}");
    ensure!(stuck.await?.is_err(), "the stuck request was cut, not answered");
    kit.relay.tap.release();
    Ok(())
}

/// `kill -9` while clients sign in on a SQLite file, then a restart on the same file: every
/// sign-in that was acknowledged (its 303 with the session cookie arrived) is still signed in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_sign_ins_on_sqlite_loses_no_acknowledged_sign_in() -> anyhow::Result<()> {
    use std::sync::atomic::{AtomicBool, Ordering};
    const CLIENTS: usize = 8;
    const BEFORE_THE_KILL: usize = 40;
    let dir = tempfile::tempdir()?;
    let store = format!("kind = \"sqlite\"\npath = {:?}\n", dir.path().join("sessions.sqlite"));
    let (kit, mut binary, config) = start_with_store(10, &store).await?;
    let kit = Arc::new(kit);
    let acknowledged = Arc::new(Mutex::new(Vec::new()));
    let (count, mut counted) = tokio::sync::watch::channel(0usize);
    let count = Arc::new(count);
    let killed = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (kit, acknowledged, count, killed) = (kit.clone(), acknowledged.clone(), count.clone(), killed.clone());
            tokio::spawn(async move {
                loop {
                    let browser = Browser::new();
                    match browser.sign_in(&kit).await {
                        Ok(done) if done.status == 303 && browser.session_cookie(&kit).is_some() => {
                            acknowledged.lock().map_err(|_| anyhow::anyhow!("poisoned"))?.push(browser);
                            count.send_modify(|n| *n += 1);
                        }
                        Ok(done) => bail!("a sign-in answered {} {}", done.status, done.body),
                        // Cut by the kill: not acknowledged, so nothing is owed.
                        Err(_) if killed.load(Ordering::SeqCst) => return anyhow::Ok(()),
                        Err(error) => return Err(error.context("a sign-in failed before the kill")),
                    }
                }
            })
        })
        .collect();
    tokio::time::timeout(Duration::from_secs(120), counted.wait_for(|n| *n >= BEFORE_THE_KILL))
        .await
        .context("sign-ins before the kill")??;
    killed.store(true, Ordering::SeqCst);
    binary.signal("KILL")?;
    let status = binary.exit_within(Duration::from_secs(30)).await?;
    ensure!(!status.success(), "killed: {status}");
    for client in clients {
        client.await??;
    }
    let signed_in = std::mem::take(&mut *acknowledged.lock().map_err(|_| anyhow::anyhow!("poisoned"))?);

    let restarted = Binary::spawn(&config, binary.public, binary.ops).await?;
    let mut lost = Vec::new();
    for browser in &signed_in {
        let me = browser.me(&kit.url).await?;
        if me.status != 200 {
            lost.push(format!("{} {}", me.status, me.body));
        }
    }
    println!("kill -9 after {} acknowledged sign-ins ({CLIENTS} clients): {} lost", signed_in.len(), lost.len());
    ensure!(signed_in.len() >= BEFORE_THE_KILL, "{} sign-ins", signed_in.len());
    ensure!(lost.is_empty(), "acknowledged sign-ins lost by the crash: {lost:?}\n{}", restarted.output());
    Ok(())
}

/// The production binary itself, started with nothing but its public URL, refuses to start and
/// names what is missing (no demo, no simulator).
#[test]
fn the_binary_without_a_platform_refuses_to_start() -> anyhow::Result<()> {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_proconnect-bff"))
        .env_clear()
        .env("BFF_PUBLIC_URL", "https://demarches.example.gouv.fr/")
        .env("BFF_LISTEN", "127.0.0.1:0")
        .output()?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    anyhow::ensure!(!output.status.success(), "it started: {stdout} {stderr}");
    anyhow::ensure!(stderr.contains("`provider.preset` is missing"), "{stderr}");
    anyhow::ensure!(!stdout.contains("simulator") && !stderr.contains("simulator:"), "no simulator: {stdout}");
    Ok(())
}
