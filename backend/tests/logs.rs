//! The logs never hold a token, the client secret, the authorization code, the CSRF token, the
//! session id, or any claim beyond `sub`: a whole sign-in, a refused one and a logout are run
//! with every event captured (backend at TRACE, everything else at DEBUG).

use anyhow::{Context, ensure};
use testkit::{Browser, Kit};

// A current-thread runtime: the thread-local subscriber sees the backend's and simulator's tasks.
#[tokio::test(flavor = "current_thread")]
async fn logs_carry_no_secret_and_no_claim_beyond_sub() -> anyhow::Result<()> {
    let (captured, _guard) = testkit::CapturedLogs::start("debug,proconnect_bff=trace");

    let kit = Kit::start_with_visible_store().await?;
    let browser = Browser::new();
    let callback = browser.authorize(&kit).await?;
    let code = url::Url::parse(&callback)?
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .context("code")?;
    ensure!(browser.get(&callback).await?.status == 303, "sign-in");
    let agent = kit.session_value(&browser, "agent").await?;
    let tokens = kit.session_value(&browser, "tokens").await?;
    let secrets = [
        ("client secret", kit.settings.provider.client_secret.expose().to_owned()),
        ("access token", tokens["access_token"].as_str().unwrap_or_default().to_owned()),
        ("ID token", tokens["id_token"].as_str().unwrap_or_default().to_owned()),
        ("CSRF token", agent["csrf_token"].as_str().unwrap_or_default().to_owned()),
        ("authorization code", code),
        ("session id", browser.session_cookie(&kit).unwrap_or_default()),
    ];
    let sub = agent["claims"]["sub"].as_str().unwrap_or_default().to_owned();
    let me = browser.me(&kit.url).await?;
    ensure!(me.status == 200, "me");
    // A refused sign-in whose error messages talk about claims.
    let other = Browser::new();
    let callback = other.authorize(&kit).await?;
    kit.simulator
        .set_faults(proconnect_simulator::Faults { userinfo_sub: Some("someone-else".into()), ..Default::default() });
    ensure!(other.get(&callback).await?.status == 401, "refused");
    kit.simulator.set_faults(proconnect_simulator::Faults::default());
    ensure!(browser.sign_out(&kit.url).await?.status == 303, "logout");

    let logs = captured.text()?;
    ensure!(logs.contains("signed in") && logs.contains(&sub), "the sign-in is logged with its sub:\n{logs}");
    for (what, secret) in &secrets {
        ensure!(secret.len() >= 16, "{what} was found");
        ensure!(!logs.contains(secret.as_str()), "the logs hold the {what}:\n{logs}");
    }
    for claim in ["test@fia1.fr", "Angela", "DUBOIS", "21340126800130", "test-uid-1", "+33 1 23"] {
        ensure!(!logs.contains(claim), "the logs hold the claim {claim}:\n{logs}");
    }
    ensure!(!logs.contains("eyJ"), "the logs hold a JWT:\n{logs}");
    Ok(())
}

/// What the provider's callback carries is logged escaped and bounded: a forged `error` or
/// `error_description` cannot add a line to the logs nor fill them.
#[tokio::test(flavor = "current_thread")]
async fn callback_errors_cannot_forge_log_lines() -> anyhow::Result<()> {
    let (captured, _guard) = testkit::CapturedLogs::start("proconnect_bff=info");
    let kit = Kit::start().await?;
    let browser = Browser::new();
    let authorize: url::Url = browser.start_login(&kit, "").await?.parse()?;
    let state = authorize.query_pairs().find(|(k, _)| k == "state").map(|(_, v)| v.into_owned()).context("state")?;
    let forged = "x\nFORGED INFO backend: signed in sub=admin\n";
    let long = format!("{forged}{}", "y".repeat(6_000));
    let url = format!(
        "{}?state={}&iss={}&error={}&error_description={}",
        kit.at("auth/callback"),
        testkit::encode(&state),
        testkit::encode(
            kit.settings.provider.issuer.as_ref().map(|i| i.as_str().trim_end_matches('/')).unwrap_or_default()
        ),
        testkit::encode(forged),
        testkit::encode(&long)
    );
    let answer = browser.get(&url).await?;
    ensure!(answer.status.is_client_error() || answer.status.is_server_error(), "refused: {}", answer.status);
    let logs = captured.text()?;
    ensure!(logs.contains("provider returned an error"), "the error is logged:\n{logs}");
    ensure!(!logs.lines().any(|line| line.starts_with("FORGED")), "a forged line:\n{logs}");
    ensure!(!logs.contains(&"y".repeat(300)), "the description is bounded: {} bytes logged", logs.len());
    Ok(())
}
