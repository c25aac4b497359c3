//! The TypeScript example (examples/ts-spa: no Rust in the browser) against the real BFF: its
//! types are the ones the Rust types generate, and in headless Chromium it signs an agent in
//! through the simulator, shows them from `/api/me` (no serious axe-core violation), signs out
//! through its form, and shows an API error in French.

use anyhow::{Context, bail, ensure};
use e2e::{Browser, Kit, workspace_root};
use proconnect_bff::settings::SessionStoreSettings;
use std::path::PathBuf;
use testkit::RedisServer;

fn example_dir() -> PathBuf {
    workspace_root().join("examples/ts-spa")
}

#[test]
fn the_committed_typescript_types_are_the_ones_the_rust_types_generate() -> anyhow::Result<()> {
    let path = example_dir().join("src/generated/api.ts");
    let generated = proconnect_types::typescript::bindings();
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed != generated {
        let line = committed
            .lines()
            .zip(generated.lines())
            .position(|(a, b)| a != b)
            .map_or_else(|| "its length".to_owned(), |index| format!("line {}", index + 1));
        bail!(
            "{} differs from the Rust types of proconnect-types (first at {line}): regenerate it with `./x gen-ts` \
             and commit it.\n\
             {} ne correspond plus aux types Rust de proconnect-types : régénérez-le avec `./x gen-ts` et validez-le.",
            path.display(),
            path.display()
        );
    }
    Ok(())
}

/// The built example, or an error saying how to build it.
fn built_example() -> anyhow::Result<PathBuf> {
    let dist = example_dir().join("dist");
    if !dist.join("index.html").exists() {
        bail!(
            "the TypeScript example is not built: run `./x build-examples` (or `./x test`) first.\n\
             L’exemple TypeScript n’est pas construit : lancez d’abord `./x build-examples` (ou `./x test`)."
        );
    }
    Ok(dist)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_typescript_example_signs_an_agent_in_and_out_through_the_bff() -> anyhow::Result<()> {
    let dist = built_example()?;
    let kit = Kit::start_configured(|settings| settings.spa_dir = dist).await?;
    let browser = Browser::start().await?;
    let result = walk(&kit, &browser).await;
    browser.finish(result, "ts-example").await?;
    kit.assert_no_jwt_readable_by_script()
}

async fn walk(kit: &Kit, browser: &Browser) -> anyhow::Result<()> {
    let c = &browser.client;
    // Home, signed out: the example's own page (its bundle, not the Leptos SPA's Wasm), styled by
    // the DSFR stylesheet the CSP let through, with the ProConnect button linking to the BFF.
    c.goto(&kit.url).await?;
    let button = browser.wait("#connect-button").await?;
    let text = button.text().await?;
    ensure!(text.contains("S’identifier avec") && text.contains("ProConnect"), "button text: {text}");
    let href = button.attr("href").await?.unwrap_or_default();
    ensure!(href.starts_with("/auth/login"), "the button links to the BFF's /auth/login: {href}");
    let page = browser
        .js("return { script: [...document.scripts].map(s => s.getAttribute('src')).join(' '),
                      font: getComputedStyle(document.body).fontFamily,
                      wasm: [...document.querySelectorAll('link, script')].some(e => /wasm/.test(e.outerHTML)) }")
        .await?;
    ensure!(page["script"].as_str().is_some_and(|s| s.starts_with("/app-")), "the example's bundle: {page}");
    ensure!(page["wasm"] == false, "no Wasm on the example's page: {page}");
    ensure!(page["font"].as_str().is_some_and(|f| f.contains("Marianne")), "the DSFR stylesheet applies: {page}");
    let violations = browser.serious_accessibility_violations().await?;
    ensure!(violations.is_empty(), "axe-core on the home page: {violations:?}");
    browser.screenshot("ts-example-home").await?;

    // The simulator's mire and FI, back on the example signed in.
    browser.sign_in_as(kit, "test@fia1.fr", "123").await?;
    browser.wait("#profile").await?;
    assert_eq!(browser.text("#welcome").await?, "Bonjour Angela Claire Louise DUBOIS");
    assert_eq!(browser.text("#claim-given-name").await?, "Angela Claire Louise");
    assert_eq!(browser.text("#claim-usual-name").await?, "DUBOIS");
    assert_eq!(browser.text("#claim-email").await?, "test@fia1.fr");
    assert_eq!(browser.text("#claim-organization").await?, "Commune de Montpellier");
    assert_eq!(browser.text("#claim-siret").await?, "21340126800130");
    // The DSFR badge shows the level in capitals: its text as written is the wire value.
    assert_eq!(browser.js("return document.querySelector('#claim-acr').textContent").await?, "eidas1");
    assert_eq!(browser.js("return document.querySelector('#claim-level').textContent").await?, "eidas1 mot de passe");
    // The form carries the session's anti-forgery token, as /api/me gives it.
    let field = browser.js("return document.querySelector('form input[name=csrf_token]').value").await?;
    let token = browser.js("return fetch('/api/me').then(r => r.json()).then(me => me.csrf_token)").await?;
    ensure!(
        field.as_str().is_some_and(|f| !f.is_empty()) && field == token,
        "csrf_token field {field}, /api/me {token}"
    );
    let violations = browser.serious_accessibility_violations().await?;
    ensure!(violations.is_empty(), "axe-core on the profile: {violations:?}");
    browser.screenshot("ts-example-profile").await?;

    // Sign out: a form navigation through the provider's session/end, back signed out.
    browser.wait("#sign-out").await?.click().await?;
    browser.wait("#signed-out").await?;
    let url = c.current_url().await?;
    assert_eq!(url.path(), "/deconnecte", "back from the platform: {url}");
    browser.wait("#connect-button").await?;
    let me = browser.js("return fetch('/api/me').then(r => r.status)").await?;
    assert_eq!(me, 401, "signed out");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_typescript_example_shows_an_api_error_in_french() -> anyhow::Result<()> {
    let dist = built_example()?;
    let mut redis = RedisServer::start()?;
    let kit = Kit::start_configured(|settings| {
        settings.spa_dir = dist;
        settings.session.store = SessionStoreSettings::Redis { url: redis.url() };
    })
    .await?;
    let browser = Browser::start().await?;
    let result = async {
        browser.sign_in_as(&kit, "test@fia1.fr", "123").await?;
        browser.wait("#profile").await?;
        // The session store goes down: /api/me answers a 503 `ApiError`, which the page shows
        // in French (its `message_fr`), not as the signed-out page.
        redis.stop();
        browser.client.refresh().await?;
        let alert = browser.text("#api-error").await?;
        let error = browser.js("return fetch('/api/me').then(r => r.json())").await?;
        ensure!(error["error"] == "session_store_unavailable", "/api/me during the outage: {error}");
        let french = error["message_fr"].as_str().context("message_fr")?;
        ensure!(alert.contains(french), "the alert shows message_fr `{french}`: {alert}");
        ensure!(!alert.contains(error["message"].as_str().unwrap_or("?")), "not the English message: {alert}");
        browser.wait("#retry").await?;
        let button = browser.js("return document.getElementById('connect-button') === null").await?;
        ensure!(button == true, "no sign-in button while the service fails");
        browser.screenshot("ts-example-error").await?;
        Ok(())
    }
    .await;
    browser.finish(result, "ts-example-error").await
}
