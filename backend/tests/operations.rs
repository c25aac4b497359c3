//! What operators rely on: `/healthz`, `/readyz` (provider discovery and the session store),
//! Prometheus `/metrics` (sign-ins by outcome and reason, a latency histogram) and the 429 of the
//! per-IP rate limit on `/auth/*`.

mod common;

use anyhow::ensure;
use common::{Browser, Kit};

#[tokio::test]
async fn readyz_checks_the_provider() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let browser = Browser::new();
    ensure!(browser.get(&kit.at("healthz")).await?.status == 200, "alive");
    let ready = browser.get(&kit.at("readyz")).await?;
    ensure!(ready.status == 200, "ready: {} {}", ready.status, ready.body);
    kit.relay.cut();
    let ready = browser.get(&kit.at("readyz")).await?;
    println!("provider unreachable, /readyz: HTTP {} {}", ready.status.as_u16(), ready.body);
    ensure!(ready.status == 503 && ready.json()?["error"] == "not_ready", "{} {}", ready.status, ready.body);
    ensure!(
        browser.get(&kit.at("healthz")).await?.status == 200,
        "still alive: liveness does not depend on the provider"
    );
    kit.relay.restore();
    let ready = browser.get(&kit.at("readyz")).await?;
    ensure!(ready.status == 200, "ready again: {} {}", ready.status, ready.body);
    Ok(())
}

#[tokio::test]
async fn metrics_count_sign_ins_by_outcome_and_reason_with_a_latency_histogram() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let browser = Browser::new();
    ensure!(browser.sign_in(&kit).await?.status == 303, "a success");
    ensure!(Browser::new().get(&kit.at("auth/callback?state=nope&code=x")).await?.status == 400, "a failure");
    let metrics = browser.get(&kit.at("metrics")).await?;
    ensure!(metrics.status == 200, "{}", metrics.status);
    let text = metrics.body;
    for line in [
        "bff_sign_ins_total{outcome=\"started\",reason=\"\"} 1",
        "bff_sign_ins_total{outcome=\"success\",reason=\"\"} 1",
        "bff_sign_ins_total{outcome=\"failure\",reason=\"invalid_state\"} 1",
    ] {
        ensure!(text.lines().any(|l| l == line), "missing `{line}` in\n{text}");
    }
    ensure!(text.contains("# TYPE") && text.contains(" histogram"), "a histogram is declared:\n{text}");
    ensure!(text.lines().any(|l| l.contains("_bucket{") && l.contains("le=\"+Inf\"")), "histogram buckets:\n{text}");
    ensure!(
        text.lines().any(|l| l.contains("_count")) && text.lines().any(|l| l.contains("_sum")),
        "count and sum:\n{text}"
    );
    ensure!(text.lines().any(|l| l == "bff_callback_duration_seconds_count 2"), "both callbacks timed:\n{text}");
    ensure!(!text.contains("test@fia1.fr") && !text.contains("eyJ"), "metrics carry no personal data or token");
    Ok(())
}

#[tokio::test]
async fn auth_endpoints_are_rate_limited_per_ip_with_a_clear_429() -> anyhow::Result<()> {
    let kit = Kit::start_with(|s| s.auth_rate_limit_per_minute = 12).await?;
    let browser = Browser::new();
    let mut statuses = Vec::new();
    let mut limited = None;
    for _ in 0..10 {
        let answer = browser.get(&kit.at("auth/login")).await?;
        statuses.push(answer.status.as_u16());
        if answer.status == 429 {
            limited = Some(answer);
            break;
        }
    }
    let limited = limited.ok_or_else(|| anyhow::anyhow!("never limited: {statuses:?}"))?;
    println!("rate limited: HTTP 429 after {statuses:?}, Retry-After {:?}", limited.header("retry-after"));
    ensure!(
        limited.body.contains("rate_limited") && limited.body.contains("Too many sign-in attempts"),
        "{}",
        limited.body
    );
    ensure!(limited.header("retry-after").is_some_and(|s| s.parse::<u64>().is_ok_and(|n| n >= 1)), "Retry-After");
    // The API and the SPA are not limited.
    for path in ["api/me", "", "healthz"] {
        let answer = browser.get(&kit.at(path)).await?;
        ensure!(answer.status != 429, "/{path} is not rate limited");
    }
    Ok(())
}
