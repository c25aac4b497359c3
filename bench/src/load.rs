//! The load generator: workers that each own their connections, loops bounded in count and
//! time, latencies in microseconds, and the CPU every process used meanwhile.

use crate::procs::{self, Proc, TICKS_PER_SECOND};
use anyhow::{Context, bail};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::SendRequest;
use reqwest::header::{HeaderValue, LOCATION};
use reqwest::{Client, StatusCode, redirect::Policy};
use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// One operation a worker repeats.
pub trait Op: Send + 'static {
    /// Does it once; an error is counted, and the worker carries on.
    fn run(&mut self) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// Bounds of one measured phase.
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    /// Stop starting new operations after this long.
    pub duration: Duration,
    /// Stop after this many operations in all.
    pub max_ops: u64,
}

/// What a phase measured.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// Operations completed successfully.
    pub ok: u64,
    /// Operations that failed.
    pub errors: u64,
    /// The first failure, to show.
    pub first_error: Option<String>,
    /// Failures counted by kind ([`error_kind`]).
    pub error_kinds: BTreeMap<String, u64>,
    /// Wall time of the phase.
    pub elapsed: Duration,
    /// Latencies of the successful operations, µs, sorted.
    pub latencies_us: Vec<u32>,
    /// CPU used during the phase, in cores (CPU seconds / wall seconds), per process.
    pub cpu: Vec<(String, f64)>,
    /// CPU used by everything else on the machine, in cores.
    pub other_cores: f64,
}

impl Outcome {
    /// Successful operations per second.
    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The `q` quantile of latency in milliseconds (nearest rank).
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let rank = ((q * self.latencies_us.len() as f64).ceil() as usize).clamp(1, self.latencies_us.len());
        f64::from(self.latencies_us[rank - 1]) / 1000.0
    }

    /// CPU milliseconds per successful operation used by the first watched process (the
    /// relying party): what it would cost with the machine to itself.
    pub fn first_cpu_ms_per_op(&self) -> f64 {
        self.cpu.first().map(|(_, cores)| cores / self.rate().max(1e-9) * 1000.0).unwrap_or(f64::NAN)
    }

    /// `backend 0.93, simulator 0.52, bench 0.41` style.
    pub fn cpu_summary(&self) -> String {
        self.cpu.iter().map(|(name, cores)| format!("{name} {cores:.2}")).collect::<Vec<_>>().join(", ")
    }
}

/// Runs `workers` (each one connection or virtual user) for the bounds; the workers are
/// handed back for the next phase. `watched` are the processes whose CPU is reported.
pub async fn phase<W: Op>(workers: Vec<W>, bounds: Bounds, watched: &[&Proc]) -> (Vec<W>, Outcome) {
    paced_phase(workers, bounds, None, watched).await
}

/// [`phase`], with the operations started at `per_second` (all workers together) when given:
/// operation k starts no earlier than k ÷ `per_second` after the start, and a late one starts as
/// soon as a worker is free. Latencies are measured from each operation's actual start.
pub async fn paced_phase<W: Op>(
    workers: Vec<W>,
    bounds: Bounds,
    per_second: Option<f64>,
    watched: &[&Proc],
) -> (Vec<W>, Outcome) {
    let started_ops = Arc::new(AtomicU64::new(0));
    let first_error = Arc::new(Mutex::new(None::<String>));
    let cpu_before: Vec<u64> = watched.iter().map(|p| p.cpu_ticks()).collect();
    let self_before = procs::cpu_ticks_of("self");
    let machine_before = procs::machine_busy_ticks();
    let start = Instant::now();
    let deadline = start + bounds.duration;
    let mut tasks = Vec::with_capacity(workers.len());
    for mut worker in workers {
        let started_ops = started_ops.clone();
        let first_error = first_error.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(1024);
            let mut errors = BTreeMap::<String, u64>::new();
            while Instant::now() < deadline {
                let k = started_ops.fetch_add(1, Ordering::Relaxed);
                if k >= bounds.max_ops {
                    break;
                }
                if let Some(rate) = per_second {
                    let slot = start + Duration::from_secs_f64(k as f64 / rate);
                    if slot >= deadline {
                        break;
                    }
                    tokio::time::sleep_until(slot.into()).await;
                }
                let t = Instant::now();
                match worker.run().await {
                    Ok(()) => latencies.push(t.elapsed().as_micros().min(u128::from(u32::MAX)) as u32),
                    Err(error) => {
                        let message = format!("{error:#}");
                        *errors.entry(error_kind(&message)).or_default() += 1;
                        {
                            let mut first = first_error.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                            if first.is_none() {
                                *first = Some(message);
                            }
                        }
                        // A failing target should not be hammered in a tight loop.
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                }
            }
            (worker, latencies, errors)
        }));
    }
    let mut workers = Vec::with_capacity(tasks.len());
    let mut outcome = Outcome::default();
    for task in tasks {
        if let Ok((worker, latencies, errors)) = task.await {
            workers.push(worker);
            outcome.latencies_us.extend(latencies);
            for (kind, n) in errors {
                outcome.errors += n;
                *outcome.error_kinds.entry(kind).or_default() += n;
            }
        }
    }
    outcome.elapsed = start.elapsed();
    let wall = outcome.elapsed.as_secs_f64().max(1e-9);
    let mut ours = 0u64;
    for (process, before) in watched.iter().zip(cpu_before) {
        let used = process.cpu_ticks().saturating_sub(before);
        ours += used;
        outcome.cpu.push((process.name.clone(), used as f64 / TICKS_PER_SECOND / wall));
    }
    let bench = procs::cpu_ticks_of("self").saturating_sub(self_before);
    ours += bench;
    outcome.cpu.push(("bench client".into(), bench as f64 / TICKS_PER_SECOND / wall));
    let machine = procs::machine_busy_ticks().saturating_sub(machine_before);
    outcome.other_cores = machine.saturating_sub(ours) as f64 / TICKS_PER_SECOND / wall;
    outcome.ok = outcome.latencies_us.len() as u64;
    outcome.latencies_us.sort_unstable();
    outcome.first_error = first_error.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take();
    (workers, outcome)
}

/// A failure's kind, for counting: the step (`POST mire`, `GET /api/me`…) when the message
/// names one, then the HTTP status, or timeout / refused / reset / closed, or the message's start
/// with its digits masked (no ids or ports, so that alike failures count together).
pub fn error_kind(message: &str) -> String {
    let (step, rest) = match message.split_once(": ") {
        Some((step, rest)) if step.starts_with("GET ") || step.starts_with("POST ") => (Some(step), rest),
        _ => (None, message),
    };
    let status = |text: &str| {
        let code = text.get(..3).filter(|c| c.bytes().all(|b| b.is_ascii_digit()))?;
        text.get(3..4).is_none_or(|after| after == " ").then(|| code.to_owned())
    };
    let lower = rest.to_ascii_lowercase();
    let what = if let Some(code) = status(rest).or_else(|| rest.split_once("got ").and_then(|(_, r)| status(r))) {
        format!("HTTP {code}")
    } else if lower.contains("timed out") || lower.contains("timeout") {
        "timeout".to_owned()
    } else if lower.contains("refused") {
        "connection refused".to_owned()
    } else if lower.contains("reset") {
        "connection reset".to_owned()
    } else if lower.contains("closed") || lower.contains("broken pipe") || lower.contains("incomplete") {
        "connection closed".to_owned()
    } else {
        let head: String = rest.chars().take_while(|c| !matches!(c, ':' | '(' | '?')).take(60).collect();
        head.trim().chars().map(|c| if c.is_ascii_digit() { '#' } else { c }).collect()
    };
    match step {
        Some(step) => format!("{step}: {what}"),
        None => what,
    }
}

/// A browser's cookie jar reduced to what this flow needs (name → value per `host:port`,
/// path `/`), which a virtual user empties to become a new one while keeping its connections.
#[derive(Default)]
pub struct UserJar(Mutex<Vec<(String, String, String)>>);

impl UserJar {
    fn with<T>(&self, f: impl FnOnce(&mut Vec<(String, String, String)>) -> T) -> T {
        f(&mut self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }

    /// Forgets every cookie.
    pub fn clear(&self) {
        self.with(Vec::clear);
    }

    /// The `Cookie` header value for `origin` (`host:port`).
    pub fn header_for(&self, origin: &str) -> Option<String> {
        self.with(|cookies| {
            let pairs: Vec<String> =
                cookies.iter().filter(|(o, _, _)| o == origin).map(|(_, n, v)| format!("{n}={v}")).collect();
            (!pairs.is_empty()).then(|| pairs.join("; "))
        })
    }
}

fn origin_of(url: &url::Url) -> String {
    format!("{}:{}", url.host_str().unwrap_or_default(), url.port_or_known_default().unwrap_or(0))
}

impl reqwest::cookie::CookieStore for UserJar {
    fn set_cookies(&self, headers: &mut dyn Iterator<Item = &HeaderValue>, url: &url::Url) {
        let origin = origin_of(url);
        self.with(|cookies| {
            for header in headers {
                let Ok(text) = header.to_str() else { continue };
                let mut parts = text.split(';');
                let Some((name, value)) = parts.next().and_then(|p| p.trim().split_once('=')) else { continue };
                let removed = parts.any(|a| {
                    let a = a.trim().to_ascii_lowercase();
                    a == "max-age=0" || a.starts_with("max-age=-") || a.starts_with("expires=thu, 01 jan 1970")
                });
                cookies.retain(|(o, n, _)| !(o == &origin && n == name));
                if !removed && !value.is_empty() {
                    cookies.push((origin.clone(), name.to_owned(), value.to_owned()));
                }
            }
        });
    }

    fn cookies(&self, url: &url::Url) -> Option<HeaderValue> {
        self.header_for(&origin_of(url)).and_then(|h| HeaderValue::from_str(&h).ok())
    }
}

/// A virtual user signing in from scratch again and again: each sign-in starts with an empty
/// jar (a new user) on the worker's keep-alive connections, steps every redirect, and ends
/// with `GET /api/me`.
pub struct SignInUser {
    client: Client,
    /// Its cookies.
    pub jar: Arc<UserJar>,
    rp: String,
    simulator: String,
}

impl SignInUser {
    /// A user of the relying party at `rp` (`http://127.0.0.1:port/`) and the provider at
    /// `simulator` (`http://127.0.0.1:port`).
    pub fn new(rp: &str, simulator: &str) -> anyhow::Result<Self> {
        let jar = Arc::new(UserJar::default());
        let client = Client::builder()
            .cookie_provider(jar.clone())
            .redirect(Policy::none())
            .pool_max_idle_per_host(4)
            .timeout(Duration::from_secs(30))
            .build()?;
        Ok(SignInUser { client, jar, rp: rp.to_owned(), simulator: simulator.to_owned() })
    }

    async fn step(&self, step: &str, request: reqwest::RequestBuilder) -> anyhow::Result<String> {
        let response = request.send().await.with_context(|| step.to_owned())?;
        let status = response.status();
        let location = response.headers().get(LOCATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = response.bytes().await?;
        match location {
            Some(location) if status == StatusCode::SEE_OTHER || status == StatusCode::FOUND => Ok(location),
            _ => bail!(
                "{step}: expected a redirect, got {status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(300)])
            ),
        }
    }

    fn absolute(&self, location: &str) -> String {
        if location.starts_with('/') { format!("{}{location}", self.simulator) } else { location.to_owned() }
    }

    /// The whole sign-in; the session cookie stays in the jar.
    pub async fn sign_in(&self) -> anyhow::Result<()> {
        self.jar.clear();
        let authorize = self.step("GET /auth/login", self.client.get(format!("{}auth/login", self.rp))).await?;
        let mire = self.step("GET authorize", self.client.get(&authorize)).await?;
        let mire = self.absolute(&mire);
        let fi = self.step("POST mire", self.client.post(&mire).form(&[("email", "test@fia1.fr")])).await?;
        let fi = self.absolute(fi.split('?').next().unwrap_or_default());
        let callback =
            self.step("POST FI", self.client.post(&fi).form(&[("login", "test"), ("password", "123")])).await?;
        if !callback.starts_with(&self.rp) {
            bail!("the provider did not return to the relying party: {callback}");
        }
        let home = self.step("GET /auth/callback", self.client.get(&callback)).await?;
        if home != "/" {
            bail!("callback redirected to {home}");
        }
        let me = self.client.get(format!("{}api/me", self.rp)).send().await.context("GET /api/me")?;
        let status = me.status();
        let body = me.bytes().await?;
        if status != StatusCode::OK || !body.windows(6).any(|w| w == b"\"sub\":") {
            bail!("GET /api/me: {status} {}", String::from_utf8_lossy(&body[..body.len().min(300)]));
        }
        Ok(())
    }

    /// The `Cookie` header the relying party expects, after [`SignInUser::sign_in`].
    pub fn rp_cookie(&self) -> Option<String> {
        let url = url::Url::parse(&self.rp).ok()?;
        self.jar.header_for(&origin_of(&url))
    }
}

impl Op for SignInUser {
    fn run(&mut self) -> impl Future<Output = anyhow::Result<()>> + Send {
        self.sign_in()
    }
}

/// One keep-alive HTTP/1.1 connection sending the same GET (hyper's client connection: far
/// less client CPU per request than reqwest, which matters on 2 cores shared with the server).
pub struct Getter {
    addr: SocketAddr,
    path: String,
    cookie: Option<HeaderValue>,
    expect: StatusCode,
    sender: Option<SendRequest<Empty<Bytes>>>,
}

impl Getter {
    /// `GET path` on `addr` with an optional `Cookie`, expecting `expect`.
    pub fn new(addr: SocketAddr, path: &str, cookie: Option<&str>, expect: StatusCode) -> anyhow::Result<Self> {
        let cookie = cookie.map(HeaderValue::from_str).transpose()?;
        Ok(Getter { addr, path: path.to_owned(), cookie, expect, sender: None })
    }

    async fn connect(&mut self) -> anyhow::Result<&mut SendRequest<Empty<Bytes>>> {
        if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
            let stream = TcpStream::connect(self.addr).await?;
            stream.set_nodelay(true)?;
            let (sender, connection) =
                hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
            tokio::spawn(connection);
            self.sender = Some(sender);
        }
        self.sender.as_mut().context("connected")
    }

    async fn get(&mut self) -> anyhow::Result<()> {
        let mut request = hyper::Request::get(self.path.as_str()).header(hyper::header::HOST, self.addr.to_string());
        if let Some(cookie) = &self.cookie {
            request = request.header(hyper::header::COOKIE, cookie.clone());
        }
        let request = request.body(Empty::<Bytes>::new())?;
        let expect = self.expect;
        let sender = self.connect().await?;
        sender.ready().await?;
        let response = match sender.send_request(request).await {
            Ok(response) => response,
            Err(error) => {
                self.sender = None;
                return Err(error.into());
            }
        };
        let status = response.status();
        let body = response.into_body().collect().await?.to_bytes();
        if status.as_u16() != expect.as_u16() {
            bail!("GET {}: {status} {}", self.path, String::from_utf8_lossy(&body[..body.len().min(300)]));
        }
        Ok(())
    }
}

impl Op for Getter {
    fn run(&mut self) -> impl Future<Output = anyhow::Result<()>> + Send {
        self.get()
    }
}

/// `n` signed-in users of the relying party (signed in `concurrency` at a time); their cookies.
pub async fn signed_in_cookies(rp: &str, simulator: &str, n: usize, concurrency: usize) -> anyhow::Result<Vec<String>> {
    let mut cookies = Vec::with_capacity(n);
    let mut users =
        (0..concurrency.min(n).max(1)).map(|_| SignInUser::new(rp, simulator)).collect::<anyhow::Result<Vec<_>>>()?;
    while cookies.len() < n {
        let wanted = (n - cookies.len()).min(users.len());
        let mut tasks = Vec::new();
        for user in users.drain(..wanted) {
            tasks.push(tokio::spawn(async move {
                let result = user.sign_in().await.and_then(|()| user.rp_cookie().context("no session cookie"));
                (user, result)
            }));
        }
        for task in tasks {
            let (user, cookie) = task.await?;
            cookies.push(cookie?);
            users.push(user);
        }
    }
    Ok(cookies)
}

/// The leanest client: one keep-alive connection, the request encoded once, the response read
/// by `Content-Length` (what the backend always sends on these paths). A third of the client
/// CPU of [`Getter`] per request, measured in BENCHMARKS.md; on 2 cores that is server time.
pub struct RawGetter {
    addr: SocketAddr,
    request: Vec<u8>,
    expect: u16,
    stream: Option<TcpStream>,
    buffer: Vec<u8>,
}

impl RawGetter {
    /// `GET path` on `addr` with an optional `Cookie`, expecting status `expect`.
    pub fn new(addr: SocketAddr, path: &str, cookie: Option<&str>, expect: StatusCode) -> Self {
        let cookie = cookie.map(|c| format!("Cookie: {c}\r\n")).unwrap_or_default();
        let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{cookie}\r\n").into_bytes();
        RawGetter { addr, request, expect: expect.as_u16(), stream: None, buffer: Vec::with_capacity(8192) }
    }

    async fn exchange(&mut self) -> anyhow::Result<()> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        if self.stream.is_none() {
            let stream = TcpStream::connect(self.addr).await?;
            stream.set_nodelay(true)?;
            self.stream = Some(stream);
        }
        let stream = self.stream.as_mut().context("connected")?;
        stream.write_all(&self.request).await?;
        self.buffer.clear();
        let (head_end, total) = loop {
            if stream.read_buf(&mut self.buffer).await? == 0 {
                bail!("connection closed by the server");
            }
            if let Some(end) = self.buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = std::str::from_utf8(&self.buffer[..end])?;
                let length = head
                    .split("\r\n")
                    .find_map(|line| {
                        let (name, value) = line.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length").then(|| value.trim().parse::<usize>().ok())?
                    })
                    .context("response without Content-Length")?;
                break (end + 4, end + 4 + length);
            }
        };
        while self.buffer.len() < total {
            if stream.read_buf(&mut self.buffer).await? == 0 {
                bail!("connection closed mid-body");
            }
        }
        let status: u16 = std::str::from_utf8(self.buffer.get(9..12).context("short status line")?)?.parse()?;
        if status != self.expect {
            let body = &self.buffer[head_end..total];
            bail!("{status} {}", String::from_utf8_lossy(&body[..body.len().min(300)]));
        }
        Ok(())
    }

    async fn get(&mut self) -> anyhow::Result<()> {
        let result = self.exchange().await;
        if result.is_err() {
            self.stream = None;
        }
        result
    }
}

impl Op for RawGetter {
    fn run(&mut self) -> impl Future<Output = anyhow::Result<()>> + Send {
        self.get()
    }
}

#[cfg(test)]
mod tests {
    use super::error_kind;

    #[test]
    fn alike_failures_share_a_kind() {
        assert_eq!(
            error_kind("POST mire: expected a redirect, got 500 Internal Server Error: oops"),
            "POST mire: HTTP 500"
        );
        assert_eq!(error_kind("401 {\"error\":\"unauthenticated\"}"), "HTTP 401");
        assert_eq!(
            error_kind(
                "GET /auth/login: error sending request for url (http://127.0.0.1:4242/auth/login): connection refused"
            ),
            "GET /auth/login: connection refused"
        );
        assert_eq!(error_kind("connection closed by the server"), "connection closed");
        assert_eq!(error_kind("callback redirected to /auth/error?code=42"), "callback redirected to /auth/error");
        assert_eq!(error_kind("session 12345 lost"), "session ##### lost");
    }
}
