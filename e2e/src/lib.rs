//! Harness for the end-to-end tests: testkit's kit (simulator + backend) serving the built SPA
//! behind a [`testkit::RecordingProxy`] that checks no answer lets a script read a JWT, and
//! headless Chromium driven through a chromedriver that the harness starts on a free port and
//! always stops.

/// The HTTP agent of the journeys that need no browser: testkit's, which walks the provider's
/// pages request by request.
pub mod http {
    pub use testkit::{Answer, Browser as HttpAgent};
}

use anyhow::{Context, bail};
use fantoccini::{Client, ClientBuilder, Locator};
use proconnect_bff::settings::Settings;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use tokio::process::{Child, Command};

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Where tests save screenshots.
pub fn screenshot_dir() -> PathBuf {
    let dir = workspace_root().join("target/e2e-screenshots");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

/// The kit running on loopback for a browser: [`testkit::Kit`] serving the built SPA (`dist/`)
/// behind a recording proxy, so that every journey can end with
/// [`testkit::Kit::assert_no_jwt_readable_by_script`].
pub struct Kit(testkit::Kit);

impl std::ops::Deref for Kit {
    type Target = testkit::Kit;
    fn deref(&self) -> &testkit::Kit {
        &self.0
    }
}

impl std::ops::DerefMut for Kit {
    fn deref_mut(&mut self) -> &mut testkit::Kit {
        &mut self.0
    }
}

impl Kit {
    /// Starts the simulator (demo configuration) and the backend with in-memory sessions.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_configured(|_| {}).await
    }

    /// Same, letting the test adjust the backend's settings first (store, timeouts…).
    pub async fn start_configured(configure: impl FnOnce(&mut Settings)) -> anyhow::Result<Self> {
        let spa_dir = workspace_root().join("dist");
        if !spa_dir.join("index.html").exists() {
            bail!("the SPA is not built: run `./x build-spa` (or `./x test`) first");
        }
        Ok(Kit(testkit::Kit::start_behind_proxy(spa_dir, configure).await?))
    }
}

/// Headless Chromium through a chromedriver owned by this value.
pub struct Browser {
    /// The WebDriver client.
    pub client: Client,
    driver: Child,
    _profile: TempDir,
}

/// The browser's profile directory; when dropped (even after a failed assertion), the Chromium
/// processes using it are killed, since chromedriver leaves them behind when it is killed.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::process::Command::new("pkill")
            .args(["-f", "--"])
            .arg(format!("--user-data-dir={}", self.0.display()))
            .status();
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Browser {
    /// Starts chromedriver (`$CHROMEDRIVER` or `/usr/bin/chromedriver`) on a free loopback port
    /// and opens a headless Chromium session with a fresh profile.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(1280, 900, 1).await
    }

    /// Same, with a window size and a device scale factor (3 to compare with the 3× references).
    pub async fn start_with(width: u32, height: u32, scale: u32) -> anyhow::Result<Self> {
        Self::launch(width, height, scale, true, None).await
    }

    /// Headless Chromium with JavaScript disabled (Chromium's content setting: pages run no
    /// script; WebDriver's own commands still work).
    pub async fn start_without_javascript() -> anyhow::Result<Self> {
        Self::launch(1280, 900, 1, false, None).await
    }

    /// Headless Chromium in French (`--lang`, `--accept-lang` and the `intl.accept_languages` pref
    /// `fr-FR,fr`: `navigator.language` is `fr-FR` and the static
    /// sign-in page of `index.html` is kept for a French browser), with or without JavaScript.
    pub async fn start_french(javascript: bool) -> anyhow::Result<Self> {
        Self::launch(1280, 900, 1, javascript, Some("fr-FR")).await
    }

    async fn launch(width: u32, height: u32, scale: u32, javascript: bool, lang: Option<&str>) -> anyhow::Result<Self> {
        let chromedriver = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let port = testkit::free_port()?;
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("cannot start {chromedriver} (run ./x setup)"))?;
        let profile = TempDir(std::env::temp_dir().join(format!("kit-chromium-{port}-{}", std::process::id())));
        std::fs::create_dir_all(&profile.0)?;
        let caps = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--hide-scrollbars", format!("--force-device-scale-factor={scale}"),
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.0.display()),
                ]
            }
        });
        // Chromium will not open a window narrower than 500 px: emulate narrow screens.
        let mut caps = caps;
        let mut prefs = serde_json::Map::new();
        if !javascript {
            prefs.insert("profile.managed_default_content_settings.javascript".into(), 2.into());
        }
        if let Some(lang) = lang {
            // Headless Chromium ignores `--lang` for `navigator.language`: `--accept-lang` sets it.
            let languages = format!("{lang},{}", lang.split('-').next().unwrap_or(lang));
            if let Some(args) = caps["goog:chromeOptions"]["args"].as_array_mut() {
                args.push(format!("--lang={lang}").into());
                args.push(format!("--accept-lang={languages}").into());
            }
            prefs.insert("intl.accept_languages".into(), languages.into());
        }
        if !prefs.is_empty() {
            caps["goog:chromeOptions"]["prefs"] = prefs.into();
        }
        if width < 500 {
            caps["goog:chromeOptions"]["mobileEmulation"] =
                serde_json::json!({ "deviceMetrics": { "width": width, "height": height, "pixelRatio": scale } });
        }
        let caps = match caps {
            serde_json::Value::Object(map) => map,
            _ => unreachable!("a JSON object"),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(client) => break client,
                // chromedriver is not listening yet: poll until its port opens.
                Err(_) if Instant::now() < deadline => tokio::time::sleep(Duration::from_millis(50)).await,
                Err(error) => bail!("chromedriver did not start: {error}"),
            }
        };
        Ok(Browser { client, driver, _profile: profile })
    }

    /// Waits (up to 15 s) for an element matching `css`.
    pub async fn wait(&self, css: &str) -> anyhow::Result<fantoccini::elements::Element> {
        self.client
            .wait()
            .at_most(Duration::from_secs(15))
            .for_element(Locator::Css(css))
            .await
            .with_context(|| format!("element `{css}` did not appear within 15 s"))
    }

    /// Text of the element matching `css`, once it appears.
    pub async fn text(&self, css: &str) -> anyhow::Result<String> {
        Ok(self.wait(css).await?.text().await?)
    }

    /// Runs a script and returns its JSON result.
    pub async fn js(&self, script: &str) -> anyhow::Result<serde_json::Value> {
        Ok(self.client.execute(script, vec![]).await?)
    }

    /// Signs in through the SPA's button, the simulator's mire and its FI (demo agent `test`).
    pub async fn sign_in(&self, kit: &Kit) -> anyhow::Result<()> {
        self.sign_in_as(kit, "test@fia1.fr", "123").await?;
        self.wait("#welcome").await?;
        Ok(())
    }

    /// Clicks the SPA's button, types `email` on the mire and `password` on the FI page (whose
    /// login the mire prefilled), and submits; the caller waits for where it should land.
    pub async fn sign_in_as(&self, kit: &Kit, email: &str, password: &str) -> anyhow::Result<()> {
        self.client.goto(&kit.url).await?;
        self.wait("#connect-button").await?.click().await?;
        self.wait("input#email").await?.send_keys(email).await?;
        self.wait("form button[type=submit]").await?.click().await?;
        self.wait("input#password").await?.send_keys(password).await?;
        self.wait("#fi-submit").await?.click().await?;
        Ok(())
    }

    /// On the simulator's test identity provider page (`…@test.proconnect.gouv.fr`), picks the
    /// level `acr` and submits.
    pub async fn pick_level(&self, acr: &str) -> anyhow::Result<()> {
        self.wait("select#acr").await?;
        self.client.execute(&format!("document.querySelector('select#acr').value = '{acr}'"), vec![]).await?;
        self.wait("#fi-submit").await?.click().await?;
        Ok(())
    }

    /// Runs axe-core (from the `axe-core` npm package installed by the SPA build) on the current
    /// page and returns its serious and critical violations as `id (impact): nodes`.
    pub async fn serious_accessibility_violations(&self) -> anyhow::Result<Vec<String>> {
        let axe = std::fs::read_to_string(workspace_root().join("frontend/node_modules/axe-core/axe.min.js"))
            .context("axe-core is missing: run ./x build-spa")?;
        self.client.execute(&axe, vec![]).await?;
        let found = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { resultTypes: ['violations'] }).then(r => done(r.violations
                   .filter(v => v.impact === 'serious' || v.impact === 'critical')
                   .map(v => `${v.id} (${v.impact}): ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)));",
                vec![],
            )
            .await?;
        Ok(serde_json::from_value(found)?)
    }

    /// Saves a PNG screenshot under `target/e2e-screenshots/<name>.png`.
    pub async fn screenshot(&self, name: &str) -> anyhow::Result<PathBuf> {
        let png = self.client.screenshot().await?;
        let path = screenshot_dir().join(format!("{name}.png"));
        std::fs::write(&path, png)?;
        Ok(path)
    }

    /// Ends a journey: on failure saves `<name>-failure.png` (see [`Browser::screenshot`]), then
    /// closes the browser either way and returns the journey's result.
    pub async fn finish<T>(self, result: anyhow::Result<T>, name: &str) -> anyhow::Result<T> {
        if result.is_err() {
            let _ = self.screenshot(&format!("{name}-failure")).await;
        }
        self.close().await?;
        result
    }

    /// Closes the browser session and stops chromedriver (and Chromium, see `Drop`).
    pub async fn close(mut self) -> anyhow::Result<()> {
        let result = self.client.clone().close().await;
        let _ = self.driver.kill().await;
        result.map_err(Into::into)
    }
}
