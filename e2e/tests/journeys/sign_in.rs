//! The walking skeleton in a real browser (contract §2–§4): the SPA's button → /auth/login →
//! the simulator's mire and FI → /auth/callback → the profile shows the agent → the sign-out
//! form → the platform's session/end → signed out; and no answer let a script read a JWT.

use e2e::{Browser, Kit};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_signs_in_sees_their_profile_and_signs_out() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let browser = Browser::start().await?;
    let result = walk(&kit, &browser).await;
    browser.finish(result, "sign-in").await?;
    kit.assert_no_jwt_readable_by_script()
}

async fn walk(kit: &Kit, browser: &Browser) -> anyhow::Result<()> {
    let c = &browser.client;
    // The SPA's button, the simulator's mire and FI, back on the SPA signed in.
    browser.sign_in(kit).await?;
    let welcome = browser.text("#welcome").await?;
    assert!(welcome.contains("Angela Claire Louise DUBOIS"), "welcome: {welcome}");
    assert_eq!(browser.text("#claim-given-name").await?, "Angela Claire Louise");
    assert_eq!(browser.text("#claim-usual-name").await?, "DUBOIS");
    assert_eq!(browser.text("#claim-email").await?, "test@fia1.fr");
    assert_eq!(browser.text("#claim-acr").await?, "eidas1");
    browser.screenshot("profile").await?;

    // Sign out: the form posts to the backend, which ends the session and sends the browser
    // through the platform's session/end and back.
    browser.wait("#sign-out").await?.click().await?;
    browser.wait("#signed-out").await?;
    let url = c.current_url().await?;
    assert_eq!((url.path(), url.query()), ("/deconnecte", None), "back from the platform: {url}");
    let me = browser.js("return fetch('/api/me').then(r => r.status)").await?;
    assert_eq!(me, 401, "signed out");
    c.goto(&kit.url).await?;
    browser.wait("#connect-button").await?;
    Ok(())
}
