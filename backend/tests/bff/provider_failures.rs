//! Contract §3: every check the FS makes on the provider's answers. Each failure (forced with the
//! simulator's faults) gives a clear error page with the right status, and leaves no session.
//! Also: a key rotation is followed by one JWKS refetch, and an unreachable provider is a 502.

use anyhow::ensure;
use proconnect_simulator::Faults;
use serde_json::json;
use testkit::{Browser, Kit};

fn overrides(claims: serde_json::Value) -> Faults {
    Faults { id_token_overrides: claims.as_object().cloned().unwrap_or_default(), ..Faults::default() }
}

/// Signs in with `faults` injected and checks the answer; returns it for the report.
async fn refused(kit: &Kit, what: &str, faults: Faults, status: u16, name: &str) -> anyhow::Result<()> {
    let browser = Browser::new();
    let callback = browser.authorize(kit).await?;
    kit.simulator.set_faults(faults);
    let answer = browser.get(&callback).await?;
    kit.simulator.set_faults(Faults::default());
    println!("{what}: HTTP {} {name} — {}", answer.status.as_u16(), page_message(&answer.body));
    answer.expect_error(status, name).map_err(|e| e.context(what.to_owned()))?;
    ensure!(answer.header("content-type").is_some_and(|t| t.starts_with("text/html")), "{what}: an error page");
    ensure!(answer.body.contains("href=\"/\""), "{what}: the page offers a way back");
    ensure!(!answer.body.contains("eyJ"), "{what}: the page shows no token");
    ensure!(browser.me(&kit.url).await?.status == 401, "{what}: no session after a refused sign-in");
    Ok(())
}

fn page_message(body: &str) -> &str {
    body.split("id=\"error-message\">").nth(1).and_then(|rest| rest.split("</p>").next()).unwrap_or(body)
}

#[tokio::test]
async fn every_verification_failure_is_a_clear_refusal_without_a_session() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let cases = [
        (
            "ID token signed by an unknown key",
            Faults { id_token_unknown_key: true, ..Faults::default() },
            401,
            "invalid_id_token",
        ),
        ("wrong iss", overrides(json!({"iss": "https://evil.example/api/v2"})), 401, "invalid_id_token"),
        ("wrong aud", overrides(json!({"aud": "another-fs"})), 401, "invalid_id_token"),
        (
            "wrong nonce",
            overrides(json!({"nonce": "a-nonce-from-another-login-0123456789abcdef"})),
            401,
            "invalid_id_token",
        ),
        ("expired ID token", overrides(json!({"exp": 1_000_000_000})), 401, "invalid_id_token"),
        ("at_hash of another token", overrides(json!({"at_hash": "AAAAAAAAAAAAAAAAAAAAAA"})), 401, "invalid_id_token"),
        (
            "userinfo sub mismatch",
            Faults { userinfo_sub: Some("someone-else".into()), ..Faults::default() },
            401,
            "invalid_userinfo",
        ),
        (
            "userinfo signed by an unknown key",
            Faults { userinfo_unknown_key: true, ..Faults::default() },
            401,
            "invalid_userinfo",
        ),
        ("token endpoint 500", Faults { token_status: Some(500), ..Faults::default() }, 502, "provider_unavailable"),
        (
            "token endpoint 400 without JSON",
            Faults { token_status: Some(400), ..Faults::default() },
            502,
            "provider_unavailable",
        ),
    ];
    for (what, faults, status, name) in cases {
        refused(&kit, what, faults, status, name).await?;
    }
    // Nothing is left broken: the next sign-in works.
    let browser = Browser::new();
    ensure!(browser.sign_in(&kit).await?.status == 303, "a clean sign-in after the failures");
    Ok(())
}

#[tokio::test]
async fn a_key_rotation_is_followed_by_one_jwks_refetch() -> anyhow::Result<()> {
    for alg in [proconnect_bff::settings::SigningAlg::ES256, proconnect_bff::settings::SigningAlg::RS256] {
        let kit = Kit::start_with(|s| testkit::set_alg(s, alg)).await?;
        let first = Browser::new();
        ensure!(first.sign_in(&kit).await?.status == 303, "{alg:?}: first sign-in");
        kit.simulator.rotate_keys()?;
        let second = Browser::new();
        let answer = second.sign_in(&kit).await?;
        ensure!(answer.status == 303, "{alg:?}: sign-in with the new key: {} {}", answer.status, answer.body);
        ensure!(second.me(&kit.url).await?.status == 200, "{alg:?}: signed in after rotation");
    }
    Ok(())
}

#[tokio::test]
async fn an_unreachable_provider_is_a_502_page() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let browser = Browser::new();
    // Never reached: discovery fails at /auth/login.
    kit.relay.cut();
    let answer = browser.get(&kit.at("auth/login")).await?;
    println!("provider unreachable at /auth/login: HTTP {} — {}", answer.status.as_u16(), page_message(&answer.body));
    answer.expect_error(502, "provider_unavailable")?;
    ensure!(answer.body.contains("could not be reached"), "{}", answer.body);
    // Cut between the provider's redirect and the code exchange.
    kit.relay.restore();
    let callback = browser.authorize(&kit).await?;
    kit.relay.cut();
    let answer = browser.get(&callback).await?;
    println!("provider unreachable at the callback: HTTP {} — {}", answer.status.as_u16(), page_message(&answer.body));
    answer.expect_error(502, "provider_unavailable")?;
    ensure!(browser.me(&kit.url).await?.status == 401, "no session");
    // Back by itself.
    kit.relay.restore();
    ensure!(Browser::new().sign_in(&kit).await?.status == 303, "the provider is back");
    Ok(())
}
