//! The sign-in page before and without the Wasm (issue 14): `index.html` carries the page's
//! static shell (header, title, the official button as a real link, the "Qu’est-ce que
//! ProConnect ?" link), the App replaces it without moving anything, the button is there when the
//! Wasm cannot load, and an agent signs in with JavaScript disabled, landing on the
//! server-rendered `/compte`.

use e2e::{Browser, Kit};
use serde_json::Value;

/// Where the sign-in page's parts are, read from the live page: `prefix` is `#shell` (the static
/// page) or `#app` (the App).
const MEASURE: &str = r#"
const root = document.querySelector(arguments[0]);
const box = (css) => { const r = root.querySelector(css).getBoundingClientRect();
                       return [r.left, r.top, r.width, r.height]; };
return { header: box('header'), title: box('h1'), button: box('a.fr-connect'),
         info: box('.connect-info a'), form: box('form'), footer: box('footer'),
         scroll: document.documentElement.scrollHeight };
"#;

/// Makes `kit`'s origin French (headless Chromium's own language is English): the static page
/// is only kept for the App's first page, which is in the browser's language.
async fn in_french(browser: &Browser, kit: &Kit) -> anyhow::Result<()> {
    browser.client.goto(&format!("{}deconnecte", kit.url)).await?;
    browser.client.execute("localStorage.setItem('lang', 'fr')", vec![]).await?;
    Ok(())
}

async fn measure(browser: &Browser, root: &str) -> anyhow::Result<Value> {
    Ok(browser.client.execute(MEASURE, vec![Value::from(root)]).await?)
}

/// A copy of `dist/` without the Wasm: the browser gets `index.html` in its place (the SPA's
/// fallback) and the App never starts, as when a proxy strips `application/wasm`.
fn dist_without_wasm() -> anyhow::Result<tempfile::TempDir> {
    let dir = tempfile::tempdir()?;
    copy_dir(&e2e::workspace_root().join("dist"), dir.path())?;
    for entry in std::fs::read_dir(dir.path())? {
        let path = entry?.path();
        if path.to_string_lossy().contains(".wasm") {
            std::fs::remove_file(path)?;
        }
    }
    Ok(dir)
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// The static page and the App put every part of the sign-in page at the same place: what proves
/// nothing jumps, since the swap replaces every node and the Layout Instability API counts no new
/// node as a shift (its empty list only says nothing that stays, such as the body, moved). Without
/// the Wasm the static page stays, its button a working link; where the App's first page differs
/// (another path, `?notice=`, `?marque=`), index.html's script (allowed by the CSP's hash) removes
/// the static page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_takes_over_the_static_sign_in_page_in_place() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let without_wasm = dist_without_wasm()?;
    let broken = Kit::start_configured(|s| s.spa_dir = without_wasm.path().to_owned()).await?;
    let browser = Browser::start().await?;
    let result = async {
        // Without the Wasm: the static page, whose button leads to the sign-in.
        in_french(&browser, &broken).await?;
        in_french(&browser, &kit).await?;
        browser.client.goto(&broken.url).await?;
        let button = browser.wait("#shell-connect-button").await?;
        assert!(button.is_displayed().await?, "the static button is shown");
        assert_eq!(button.attr("href").await?.as_deref(), Some("/auth/login?return_to=/compte"));
        let label = browser.js("return document.querySelector('#shell-connect-button').textContent").await?;
        assert_eq!(label, "S’identifier avec ProConnect");
        let info = browser.js("return document.querySelector('#shell .connect-info a').href").await?;
        assert_eq!(info, "https://www.proconnect.gouv.fr/");
        let shell = measure(&browser, "#shell").await?;
        println!("static page: {shell}");
        let paint = browser.js("return performance.getEntriesByType('paint').map(e => [e.name, e.startTime])").await?;
        println!("without the Wasm: paint entries {paint}");
        assert!(browser.js("return document.querySelector('#app').hidden").await? == true, "the App never started");
        let violations = browser.serious_accessibility_violations().await?;
        assert!(violations.is_empty(), "static page: accessibility violations: {violations:#?}");
        // Where the App's first page differs, index.html's inline script (its hash is in the CSP)
        // removed the static page; any other query keeps it.
        for (path, shown) in [("deconnecte", 0), ("?notice=access_denied.cancelled", 0), ("?marque=agentconnect", 0), ("?utm_source=x", 1)] {
            browser.client.goto(&format!("{}{path}", broken.url)).await?;
            browser.wait("#app").await?;
            let shells = browser.js("return document.querySelectorAll('#shell').length").await?;
            assert_eq!(shells, shown, "static sign-in page at /{path}");
        }

        // With the Wasm: the App's page, where the static one was.
        browser.client.goto(&kit.url).await?;
        browser.wait("#app:not([hidden]) #connect-button").await?;
        assert_eq!(
            browser.js("return document.querySelectorAll('#shell').length").await?,
            0,
            "the static page gave way"
        );
        let app = measure(&browser, "#app").await?;
        println!("App: {app}");
        assert_eq!(shell, app, "the App's sign-in page is where the static one was");
        let shifts =
            browser.js("return performance.getEntriesByType('layout-shift').map(e => [e.startTime, e.value])").await?;
        let timings = browser
            .js("return { paint: performance.getEntriesByType('paint').map(e => [e.name, e.startTime]),
                          appButton: performance.getEntriesByName('connect-button-visible').map(e => e.startTime)[0] }")
            .await?;
        println!("with the Wasm: {timings}, layout shifts {shifts}");
        assert_eq!(shifts, serde_json::json!([]), "no layout shift");

        // What the stylesheet fetched is served (a missing file would be the
        // SPA's index.html): the Marianne fonts and any icon.
        let fetched = browser
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 const urls = performance.getEntriesByType('resource')
                   .filter(e => e.initiatorType === 'css' || e.initiatorType === 'link')
                   .map(e => e.name).filter(u => !u.endsWith('.css') && !u.includes('/frontend-'));
                 Promise.all(urls.map(u => fetch(u).then(r => [u.replace(location.origin, ''), r.status, r.headers.get('content-type')])))
                   .then(done);",
                vec![],
            )
            .await?;
        println!("fetched by the CSS: {fetched}");
        let fetched = fetched.as_array().cloned().unwrap_or_default();
        assert!(fetched.iter().any(|f| f[0].as_str().is_some_and(|u| u.ends_with("Marianne-Regular.woff2"))), "{fetched:?}");
        for f in &fetched {
            assert!(f[1] == 200 && f[2].as_str().is_some_and(|t| !t.starts_with("text/html")), "not served: {f}");
        }
        anyhow::Ok(())
    }
    .await;
    browser.finish(result, "first-paint").await?;
    broken.assert_no_jwt_readable_by_script()?;
    kit.assert_no_jwt_readable_by_script()
}

/// JavaScript disabled: the static page's button, the simulator's server-rendered mire and FI,
/// then the server-rendered profile `/compte`, its sign-out form, and `/compte` sends a signed-out
/// browser back to the sign-in page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_signs_in_and_out_with_javascript_disabled() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let browser = Browser::start_without_javascript().await?;
    let result = async {
        let c = &browser.client;
        c.goto(&format!("{}deconnecte", kit.url)).await?;
        // index.html's script would have removed the static page here: no script runs.
        assert!(browser.wait("#shell-connect-button").await?.is_displayed().await?, "JavaScript is disabled");
        c.goto(&kit.url).await?;
        let button = browser.wait("#shell-connect-button").await?;
        assert!(button.is_displayed().await?, "the static button is shown");
        assert!(browser.wait("#app").await?.attr("hidden").await?.is_some(), "the App never starts");
        button.click().await?;
        browser.wait("input#email").await?.send_keys("test@fia1.fr").await?;
        browser.wait("form button[type=submit]").await?.click().await?;
        browser.wait("input#password").await?.send_keys("123").await?;
        browser.wait("#fi-submit").await?.click().await?;
        assert_eq!(browser.text("#account-email").await?, "test@fia1.fr");
        assert_eq!(c.current_url().await?.path(), "/compte");
        assert_eq!(browser.text("#account-name").await?, "Angela Claire Louise DUBOIS");
        assert!(browser.text("#account-acr").await?.starts_with("eidas1"), "the level");
        let english = browser.text("section[lang=en]").await?;
        assert!(english.contains("You are signed in with ProConnect."), "English: {english}");
        browser.screenshot("account-without-javascript").await?;

        browser.wait("#sign-out").await?.click().await?;
        browser.wait("#shell-connect-button").await?;
        assert_eq!(c.current_url().await?.path(), "/deconnecte", "back from the platform's sign-out");
        c.goto(&format!("{}compte", kit.url)).await?;
        browser.wait("#shell-connect-button").await?;
        assert_eq!(c.current_url().await?.path(), "/", "signed out: /compte leads to the sign-in page");
        anyhow::Ok(())
    }
    .await;
    browser.finish(result, "no-javascript").await?;
    kit.assert_no_jwt_readable_by_script()
}
