//! The sign-in page as a browser gets it (issue 14): bytes on the wire per resource type, the
//! button's first paint with JavaScript on and off, the App's button (time to interactive), and
//! Lighthouse's audit (performance and accessibility, mobile profile).

use anyhow::{Context, bail};
use serde_json::Value;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::process::Command;

/// One resource the page loaded (the document itself included).
#[derive(Debug, Clone)]
pub struct Resource {
    /// Its URL, as Chromium's Resource Timing names it.
    pub url: String,
    /// One of [`KINDS`].
    pub kind: &'static str,
    /// Body bytes when fetched again with `Accept-Encoding: br`, as the backend serves them.
    pub brotli: u64,
    /// The `Content-Encoding` of that answer (`identity` when none).
    pub encoding: String,
    /// Chromium's `encodedBodySize` (it asks for `gzip, deflate, br, zstd` on 127.0.0.1 too).
    pub chromium_encoded: u64,
    /// Chromium's `decodedBodySize`.
    pub decoded: u64,
}

/// One page load, ms from navigation start.
#[derive(Debug, Clone, Copy, Default)]
pub struct Paint {
    /// The HTML's first byte (`responseStart` of the navigation entry): what precedes it is the
    /// browser's navigation (a renderer for the new site, the request), not the page.
    pub html_first_byte: Option<f64>,
    /// `first-contentful-paint`: the page's first frame, which holds the button (see BENCHMARKS.md).
    pub first_paint: Option<f64>,
    /// `connect-button-visible`: the App's own button (JavaScript on only).
    pub interactive: Option<f64>,
}

/// Lighthouse's figures, or why it did not run.
#[derive(Debug, Clone)]
pub enum Lighthouse {
    /// It ran: the median of each figure over its runs.
    Ran {
        /// Its version.
        version: String,
        /// How many runs the medians are of.
        runs: usize,
        /// The lowest and highest performance score of the runs.
        performance_range: (f64, f64),
        /// Performance score, 0–100.
        performance: f64,
        /// Accessibility score, 0–100.
        accessibility: f64,
        /// First contentful paint (simulated mobile), ms.
        fcp_ms: f64,
        /// Largest contentful paint (simulated mobile), ms.
        lcp_ms: f64,
        /// Total blocking time, ms.
        tbt_ms: f64,
        /// Cumulative layout shift.
        cls: f64,
        /// `total-byte-weight`: bytes transferred.
        total_bytes: f64,
        /// Its run warnings.
        warnings: Vec<String>,
    },
    /// It could not run here: why.
    Unavailable(String),
}

/// Everything the section measured.
#[derive(Debug, Clone)]
pub struct Page {
    /// What the page loads with JavaScript on, until the App's button and the fonts are there.
    pub resources: Vec<Resource>,
    /// What it loads with JavaScript off, until the page, its fonts and images are loaded.
    pub without_js: Vec<Resource>,
    /// Loads with JavaScript on (the first with an empty cache).
    pub js_on: Vec<Paint>,
    /// Loads with JavaScript off (the first with an empty cache).
    pub js_off: Vec<Paint>,
    /// Loads of [`FLOOR_PAGE`] in the same browser, JavaScript off: this machine's floor.
    pub floor: Vec<Paint>,
    /// The browser's `navigator.language` (French, so that the static page shows).
    pub language: String,
    /// Lighthouse.
    pub lighthouse: Lighthouse,
}

/// The resource types, in the report's order.
pub const KINDS: [&str; 8] = ["HTML", "CSS", "fonts", "Wasm", "JS", "images", "API (JSON)", "other"];

fn kind_of(url: &str, initiator: &str) -> &'static str {
    if initiator == "navigation" {
        return "HTML";
    }
    let path = url.split(['?', '#']).next().unwrap_or(url);
    if path.contains("/api/") {
        return "API (JSON)";
    }
    let ext = path.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    match ext.as_str() {
        "html" => "HTML",
        "css" => "CSS",
        "woff2" | "woff" | "ttf" | "otf" => "fonts",
        "wasm" => "Wasm",
        "js" | "mjs" => "JS",
        "svg" | "png" | "jpg" | "jpeg" | "gif" | "webp" | "avif" | "ico" => "images",
        _ => "other",
    }
}

/// Every entry of the navigation and Resource Timing buffers: name, initiator, encoded and
/// decoded body sizes.
const ENTRIES: &str =
    "return [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
    .map(e => [e.name, e.initiatorType || 'navigation', e.encodedBodySize, e.decodedBodySize]);";

/// True once the page, its fonts and its images are loaded.
const SETTLED: &str = "return document.readyState === 'complete' && document.fonts.status === 'loaded';";

const FIRST_PAINT: &str =
    "return performance.getEntriesByName('first-contentful-paint').map(e => e.startTime)[0] ?? null;";

const HTML_FIRST_BYTE: &str = "return performance.getEntriesByType('navigation').map(e => e.responseStart)[0] ?? null;";

const BUTTON_MARK: &str =
    "return performance.getEntriesByName('connect-button-visible').map(e => e.startTime)[0] ?? null;";

/// Polls `script` until it returns something other than `null`/`false`, up to 15 s.
async fn poll(browser: &e2e::Browser, script: &str, what: &str) -> anyhow::Result<Value> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let value = browser.js(script).await?;
        if !value.is_null() && value != Value::Bool(false) {
            return Ok(value);
        }
        if Instant::now() > deadline {
            bail!("{what} within 15 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `loads` loads of `url` in one French headless Chromium with or without JavaScript, each from
/// `about:blank` (the first with an empty cache); returns the paints and, of the first load, the
/// Resource Timing entries (url, initiator, encoded, decoded) and `navigator.language`.
async fn loads(url: &str, javascript: bool, loads: usize) -> anyhow::Result<(Vec<Paint>, Vec<Value>, String)> {
    let browser = e2e::Browser::start_french(javascript).await?;
    let result = async {
        let mut paints = Vec::with_capacity(loads);
        let mut entries = Vec::new();
        let mut language = String::new();
        for i in 0..loads {
            browser.client.goto("about:blank").await?;
            browser.client.goto(&format!("{url}?bench={i}")).await?;
            let interactive = if javascript {
                Some(
                    poll(&browser, BUTTON_MARK, "no `connect-button-visible` mark").await?.as_f64().unwrap_or(f64::NAN),
                )
            } else {
                let button = browser
                    .js("const b = document.getElementById('shell-connect-button'); \
                         return b ? b.getBoundingClientRect().bottom <= innerHeight : null;")
                    .await?;
                if button != Value::Bool(true) {
                    bail!("without JavaScript, the static page's button is missing or below the fold: {button}");
                }
                None
            };
            poll(&browser, SETTLED, "the page, its fonts and images did not finish loading").await?;
            // The paint entry can lag behind the load (a smoke run once missed it with
            // JavaScript off): polled for up to 3 s, "—" in the report if it never comes.
            let deadline = Instant::now() + Duration::from_secs(3);
            let first_paint = loop {
                let fcp = browser.js(FIRST_PAINT).await?.as_f64();
                if fcp.is_some() || Instant::now() > deadline {
                    break fcp;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            };
            let html_first_byte = browser.js(HTML_FIRST_BYTE).await?.as_f64();
            eprintln!(
                "    load {i} (JavaScript {}): HTML's first byte {html_first_byte:?} ms, first paint {first_paint:?} ms, App's button {interactive:?} ms",
                if javascript { "on" } else { "off" }
            );
            paints.push(Paint { html_first_byte, first_paint, interactive });
            if i == 0 {
                entries = browser.js(ENTRIES).await?.as_array().cloned().unwrap_or_default();
                language = browser.js("return navigator.language").await?.as_str().unwrap_or_default().to_owned();
            }
        }
        anyhow::Ok((paints, entries, language))
    }
    .await;
    browser.close().await?;
    result
}

/// Fetches each entry again with `Accept-Encoding: br` (reqwest decodes nothing here: it has no
/// compression feature) and counts the body bytes as served.
async fn on_the_wire(entries: &[Value]) -> anyhow::Result<Vec<Resource>> {
    let client = reqwest::Client::builder().build()?;
    let mut resources = Vec::new();
    for entry in entries {
        let field = |i: usize| entry.get(i).cloned().unwrap_or(Value::Null);
        let url = field(0).as_str().unwrap_or_default().to_owned();
        // A URL listed twice (with JavaScript off, the module preload and the module script)
        // crossed the wire once.
        // `/favicon.ico` is listed or not depending on when the entries are read (Chromium asks
        // for it late): left out, so that the totals do not flicker.
        if !url.starts_with("http")
            || url.ends_with("/favicon.ico")
            || resources.iter().any(|r: &Resource| r.url == url)
        {
            continue;
        }
        let initiator = field(1).as_str().unwrap_or_default().to_owned();
        let answer = client.get(&url).header("Accept-Encoding", "br").send().await?;
        // `/api/me` answers 401 without a session, as it did to the page: its bytes count all the same.
        let encoding =
            answer.headers().get("content-encoding").and_then(|v| v.to_str().ok()).unwrap_or("identity").to_owned();
        let body = answer.bytes().await?;
        resources.push(Resource {
            kind: kind_of(&url, &initiator),
            url,
            brotli: body.len() as u64,
            encoding,
            chromium_encoded: field(2).as_u64().unwrap_or(0),
            decoded: field(3).as_u64().unwrap_or(0),
        });
    }
    Ok(resources)
}

/// The section: bytes and paints in headless Chromium, then Lighthouse, against the backend at
/// `url`; `n` loads per mode; Lighthouse's report goes to `run_dir`.
pub async fn measure(url: &str, n: usize, root: &Path, run_dir: &Path) -> anyhow::Result<Page> {
    let (js_on, entries, language) = loads(url, true, n).await?;
    if !language.starts_with("fr") {
        bail!("the bench's Chromium is not French (navigator.language = {language:?}): the static page would not show");
    }
    let resources = on_the_wire(&entries).await?;
    for r in &resources {
        eprintln!("    {:>6} {:>9} B {:<8} {}", r.kind, r.brotli, r.encoding, r.url);
    }
    let (js_off, entries_off, _) = loads(url, false, n).await?;
    let without_js = on_the_wire(&entries_off).await?;
    for r in &without_js {
        eprintln!("    {:>6} {:>9} B {:<8} {} (JavaScript off)", r.kind, r.brotli, r.encoding, r.url);
    }
    let (floor_url, server) = serve_floor_page().await?;
    let floor = loads(&floor_url, false, n).await;
    server.abort();
    let floor = floor?.0;
    let lighthouse = lighthouse(url, root, run_dir).await;
    Ok(Page { resources, without_js, js_on, js_off, floor, language, lighthouse })
}

/// The least a page can be: one link with the static page's id, no CSS, no font, no image, no
/// script. Its first paint is what this browser on this machine takes for any page.
pub const FLOOR_PAGE: &str = "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\"><title>Kit ProConnect</title></head>\
     <body><p><a id=\"shell-connect-button\" href=\"/auth/login\">S’identifier avec ProConnect</a></p></body></html>";

/// Serves [`FLOOR_PAGE`] on a free loopback port (one answer per connection, whatever the
/// request); returns its URL and the server's task.
async fn serve_floor_page() -> anyhow::Result<(String, tokio::task::JoinHandle<()>)> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0)).await?;
    let url = format!("http://{}/", listener.local_addr()?);
    let answer = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nCache-Control: no-store\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{FLOOR_PAGE}",
        FLOOR_PAGE.len()
    );
    let server = tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut request = Vec::with_capacity(2048);
                let mut buffer = [0u8; 2048];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => request.extend_from_slice(&buffer[..n]),
                    }
                }
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    Ok((url, server))
}

/// How many times Lighthouse runs: its score moves by several points from one run to the next
/// (89–97 on the same build), so the report gives the median of each figure and the range.
const LIGHTHOUSE_RUNS: usize = 5;

/// Installs Lighthouse (`npm ci` from `bench/lighthouse`'s lock file into
/// `target/bench-lighthouse`) when missing, runs it [`LIGHTHOUSE_RUNS`] times on `url` and reads
/// its JSON reports; any failure becomes [`Lighthouse::Unavailable`] with the reason.
async fn lighthouse(url: &str, root: &Path, run_dir: &Path) -> Lighthouse {
    let mut runs = Vec::new();
    let mut failure = String::new();
    for run in 0..LIGHTHOUSE_RUNS {
        match run_lighthouse(url, root, run_dir).await {
            Ok(figures) => runs.push(figures),
            // A run can fail on a loaded machine (NO_NAVSTART: the trace missed the navigation):
            // the others still count; Lighthouse is unavailable only if none ran.
            Err(error) => {
                failure = format!("{error:#}");
                eprintln!("    Lighthouse did not run: {failure}");
            }
        }
        let _ = std::fs::rename(run_dir.join("lighthouse.json"), run_dir.join(format!("lighthouse-{run}.json")));
    }
    if runs.is_empty() { Lighthouse::Unavailable(failure) } else { median_of(runs) }
}

/// Each figure's median over the runs (all [`Lighthouse::Ran`]).
fn median_of(runs: Vec<Lighthouse>) -> Lighthouse {
    let mut version = String::from("?");
    let mut warnings = Vec::new();
    let mut figures = Vec::new();
    for run in runs {
        if let Lighthouse::Ran {
            version: v,
            warnings: w,
            performance,
            accessibility,
            fcp_ms,
            lcp_ms,
            tbt_ms,
            cls,
            total_bytes,
            ..
        } = run
        {
            (version, warnings) = (v, w);
            figures.push([performance, accessibility, fcp_ms, lcp_ms, tbt_ms, cls, total_bytes]);
        }
    }
    let median =
        |i: usize| crate::report::median(&figures.iter().map(|f| f[i]).filter(|v| !v.is_nan()).collect::<Vec<_>>());
    let scores = figures.iter().map(|f| f[0]);
    Lighthouse::Ran {
        version,
        runs: figures.len(),
        performance_range: (scores.clone().fold(f64::INFINITY, f64::min), scores.fold(0.0, f64::max)),
        performance: median(0),
        accessibility: median(1),
        fcp_ms: median(2),
        lcp_ms: median(3),
        tbt_ms: median(4),
        cls: median(5),
        total_bytes: median(6),
        warnings,
    }
}

async fn run_lighthouse(url: &str, root: &Path, run_dir: &Path) -> anyhow::Result<Lighthouse> {
    let dir =
        crate::npm_ci(&root.join("bench/lighthouse"), &root.join("target/bench-lighthouse"), &[], "lighthouse").await?;
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let report = run_dir.join("lighthouse.json");
    let _ = std::fs::remove_file(&report);
    eprintln!("    Lighthouse (mobile profile, simulated throttling) on {url}");
    let output = tokio::time::timeout(
        Duration::from_secs(240),
        Command::new("node")
            .arg(dir.join("node_modules/lighthouse/cli/index.js"))
            .arg(url)
            .args(["--output=json", "--only-categories=performance,accessibility", "--quiet"])
            .arg(format!("--output-path={}", report.display()))
            .arg("--chrome-flags=--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage --lang=fr-FR --accept-lang=fr-FR,fr")
            .env("CHROME_PATH", chromium)
            .current_dir(&dir)
            .output(),
    )
    .await
    .context("Lighthouse took more than 4 minutes")?
    .context("cannot start node")?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(3).collect();
        bail!("lighthouse exited with {}: {}", output.status, tail.into_iter().rev().collect::<Vec<_>>().join(" / "));
    }
    let json: Value = serde_json::from_slice(&std::fs::read(&report).context("no Lighthouse report")?)?;
    if let Some(error) = json.get("runtimeError").and_then(|e| e.get("message")).and_then(Value::as_str) {
        bail!("Lighthouse's runtime error: {error}");
    }
    let score = |category: &str| json["categories"][category]["score"].as_f64().map(|s| s * 100.0);
    let audit = |id: &str| json["audits"][id]["numericValue"].as_f64().unwrap_or(f64::NAN);
    let performance = score("performance").context("no performance score (the page did not load?)")?;
    eprintln!(
        "    Lighthouse: performance {performance:.0}, FCP {:.0} ms, LCP {:.0} ms, TBT {:.0} ms",
        audit("first-contentful-paint"),
        audit("largest-contentful-paint"),
        audit("total-blocking-time")
    );
    Ok(Lighthouse::Ran {
        version: json["lighthouseVersion"].as_str().unwrap_or("?").to_owned(),
        runs: 1,
        performance_range: (performance, performance),
        performance,
        accessibility: score("accessibility").context("no accessibility score")?,
        fcp_ms: audit("first-contentful-paint"),
        lcp_ms: audit("largest-contentful-paint"),
        tbt_ms: audit("total-blocking-time"),
        cls: audit("cumulative-layout-shift"),
        total_bytes: audit("total-byte-weight"),
        warnings: json["runWarnings"]
            .as_array()
            .map(|w| w.iter().filter_map(Value::as_str).map(str::to_owned).collect())
            .unwrap_or_default(),
    })
}
