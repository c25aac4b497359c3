//! Every page of the SPA in both languages: an axe-core audit (no serious or critical violation),
//! a screenshot under target/e2e-screenshots/, the layout at 320 px, the sign-in notices, and
//! the time from navigation to the button being visible (Performance API).

use e2e::{Browser, Kit};

async fn set_language(browser: &Browser, kit: &Kit, lang: &str) -> anyhow::Result<()> {
    browser.client.goto(&kit.url).await?;
    browser.wait("#language-switch").await?;
    browser.client.execute(&format!("localStorage.setItem('lang', '{lang}')"), vec![]).await?;
    Ok(())
}

async fn audit(browser: &Browser, name: &str) -> anyhow::Result<()> {
    browser.screenshot(name).await?;
    let violations = browser.serious_accessibility_violations().await?;
    assert!(violations.is_empty(), "{name}: accessibility violations: {violations:#?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_in_both_languages_is_accessible() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let browser = Browser::start().await?;
    let result = async {
        for lang in ["fr", "en"] {
            set_language(&browser, &kit, lang).await?;
            for (path, ready, name) in [
                ("", "#connect-button", "sign-in"),
                ("?marque=agentconnect", "#connect-button", "sign-in-agentconnect"),
                ("?notice=access_denied.cancelled", "#notice", "sign-in-cancelled"),
                ("deconnecte", "#signed-out", "signed-out"),
                ("deconnecte?local=1", "#local-sign-out", "signed-out-locally"),
                ("erreur?code=Y030031", "#error-code", "error"),
                ("nulle-part", "h1", "not-found"),
            ] {
                browser.client.goto(&format!("{}{path}", kit.url)).await?;
                browser.wait(ready).await?;
                let html_lang = browser.js("return document.documentElement.lang").await?;
                assert_eq!(html_lang, lang, "{name}: <html lang>");
                audit(&browser, &format!("page-{name}-{lang}")).await?;
            }
            browser.sign_in(&kit).await?;
            audit(&browser, &format!("page-profile-{lang}")).await?;
            browser.wait("#sign-out").await?.click().await?;
            browser.wait("#signed-out").await?;
        }
        let title = browser.text("h1").await?;
        assert_eq!(title, "You are signed out", "English after the switch");
        // The audit itself can fail: an image without a text alternative is reported.
        browser.client.execute("document.body.insertAdjacentHTML('beforeend', '<img src=\"/x.png\">')", vec![]).await?;
        assert!(!browser.serious_accessibility_violations().await?.is_empty(), "axe-core reports a missing alt");
        anyhow::Ok(())
    }
    .await;
    browser.close().await?;
    result?;
    kit.assert_no_jwt_readable_by_script()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_page_fits_320_px_and_reports_time_to_button() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let browser = Browser::start_with(320, 800, 1).await?;
    let result = async {
        browser.client.goto(&kit.url).await?;
        browser.wait("#connect-button").await?;
        let size = browser.js("return [window.innerWidth, document.documentElement.scrollWidth]").await?;
        assert_eq!(size[0], 320, "viewport width");
        assert!(size[1].as_f64().is_some_and(|w| w <= 320.0), "horizontal scroll at 320 px: {size}");
        browser.screenshot("page-sign-in-320px").await?;
        // Fresh navigation, then the mark the button sets when it is rendered.
        browser.client.goto(&format!("{}?mesure=1", kit.url)).await?;
        browser.wait("#connect-button").await?;
        let visible = browser.js("return performance.getEntriesByName('connect-button-visible')[0].startTime").await?;
        let visible = visible.as_f64().ok_or_else(|| anyhow::anyhow!("no performance mark: {visible}"))?;
        println!("navigation → button visible: {visible:.0} ms (debug backend, headless Chromium)");
        assert!(visible > 0.0);
        anyhow::Ok(())
    }
    .await;
    browser.close().await?;
    result?;
    kit.assert_no_jwt_readable_by_script()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_on_the_mire_returns_to_sign_in_with_a_message() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let browser = Browser::start().await?;
    let result = async {
        set_language(&browser, &kit, "fr").await?;
        browser.client.goto(&kit.url).await?;
        browser.wait("#connect-button").await?.click().await?;
        browser.wait("#cancel").await?.click().await?;
        let notice = browser.text("#notice").await?;
        assert!(notice.contains("annulé"), "notice: {notice}");
        browser.wait("#connect-button").await?;
        anyhow::Ok(())
    }
    .await;
    browser.close().await?;
    result?;
    kit.assert_no_jwt_readable_by_script()
}
