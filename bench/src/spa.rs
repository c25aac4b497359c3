//! The SPA: sizes of the release build in `dist/` and navigation → button visible in headless
//! Chromium (the `connect-button-visible` Performance mark the button sets).

use anyhow::{Context, bail};
use std::path::Path;
use std::time::{Duration, Instant};

/// One file of `dist/`: raw, gzip (-9) and brotli (-q 11) sizes, as `./x build-spa` writes them.
#[derive(Debug, Clone)]
pub struct FileSize {
    /// File name.
    pub name: String,
    /// `wasm`, `js` or `css`.
    pub kind: &'static str,
    /// Bytes.
    pub raw: u64,
    /// Bytes gzipped.
    pub gzip: u64,
    /// Bytes brotli-compressed.
    pub brotli: u64,
}

/// The wasm, js and css files of `dist/` with their precompressed siblings.
pub fn sizes(dist: &Path) -> anyhow::Result<Vec<FileSize>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dist).with_context(|| format!("{} is missing: run ./x build-spa", dist.display()))? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default().to_owned();
        let kind = match path.extension().and_then(|e| e.to_str()) {
            Some("wasm") => "wasm",
            Some("js") => "js",
            Some("css") => "css",
            _ => continue,
        };
        let size = |suffix: &str| -> anyhow::Result<u64> {
            let file = dist.join(format!("{name}{suffix}"));
            Ok(std::fs::metadata(&file)
                .with_context(|| format!("{} is missing: run ./x build-spa", file.display()))?
                .len())
        };
        files.push(FileSize { name: name.clone(), kind, raw: size("")?, gzip: size(".gz")?, brotli: size(".br")? });
    }
    files.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
    if !files.iter().any(|f| f.kind == "wasm") {
        bail!("no .wasm in {}: run ./x build-spa", dist.display());
    }
    Ok(files)
}

/// One page load, ms from navigation start.
#[derive(Debug, Clone, Copy, Default)]
pub struct Load {
    /// `connect-button-visible`.
    pub button: f64,
    /// `responseEnd` of the HTML document.
    pub html: f64,
    /// `responseEnd` of the last stylesheet.
    pub css: f64,
    /// `responseEnd` of the wasm.
    pub wasm: f64,
    /// `domContentLoadedEventEnd`.
    pub dom_content_loaded: f64,
    /// `first-contentful-paint`, if reported.
    pub first_paint: Option<f64>,
}

const TIMINGS: &str = "const n = performance.getEntriesByType('navigation')[0]; \
    const r = performance.getEntriesByType('resource'); \
    const end = (s) => Math.max(0, ...r.filter(e => e.name.includes(s)).map(e => e.responseEnd)); \
    const fcp = performance.getEntriesByName('first-contentful-paint')[0]; \
    return [end('.css'), end('.wasm'), n ? n.domContentLoadedEventEnd : 0, fcp ? fcp.startTime : null, n ? n.responseEnd : 0];";

/// Navigation → `connect-button-visible` (and where the time went), for `loads` loads of `url`
/// in one headless Chromium: the first with an empty cache, the others with the immutable
/// assets cached (each after `about:blank`, so none is a same-document or back-forward-cache
/// navigation).
pub async fn time_to_button(url: &str, loads: usize) -> anyhow::Result<Vec<Load>> {
    let browser = e2e::Browser::start().await?;
    let result = async {
        let mut times = Vec::with_capacity(loads);
        for i in 0..loads {
            browser.client.goto("about:blank").await?;
            browser.client.goto(&format!("{url}?bench={i}")).await?;
            let deadline = Instant::now() + Duration::from_secs(15);
            let visible = loop {
                let mark = browser
                    .js("return performance.getEntriesByName('connect-button-visible').map(e => e.startTime)[0] ?? null")
                    .await?;
                if let Some(ms) = mark.as_f64() {
                    break ms;
                }
                if Instant::now() > deadline {
                    bail!("no `connect-button-visible` mark within 15 s");
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            };
            let t = browser.js(TIMINGS).await?;
            let at = |i: usize| t.get(i).and_then(serde_json::Value::as_f64);
            times.push(Load {
                button: visible,
                html: at(4).unwrap_or(f64::NAN),
                css: at(0).unwrap_or(f64::NAN),
                wasm: at(1).unwrap_or(f64::NAN),
                dom_content_loaded: at(2).unwrap_or(f64::NAN),
                first_paint: at(3),
            });
        }
        anyhow::Ok(times)
    }
    .await;
    browser.close().await?;
    result
}
