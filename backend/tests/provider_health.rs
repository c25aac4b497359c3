//! The provider's health as operations see it: a metric and one log line per change, never an
//! unready instance. Alone in its test binary: its log assertions need the callsites' interest
//! decided while this test's subscriber is installed (`tracing` caches it process-wide, and
//! other tests' kits log the same lines from their own threads).

use anyhow::ensure;
use testkit::{Browser, Kit};

// A current-thread runtime: the thread-local subscriber sees the backend's tasks.
#[tokio::test(flavor = "current_thread")]
async fn a_provider_outage_is_a_metric_and_a_log_line_not_an_unready_instance() -> anyhow::Result<()> {
    let (captured, _guard) = testkit::CapturedLogs::start("proconnect_bff=info");
    let (kit, state) = Kit::start_keeping_state(|_| {}).await?;
    let browser = Browser::new();
    ensure!(browser.get(&kit.at("readyz")).await?.status == 200, "ready");
    ensure!(proconnect_bff::ops::check_provider(&state.rp, &state.metrics).await, "the provider answers");
    let metrics = browser.get(&kit.at("metrics")).await?.body;
    ensure!(metrics.lines().any(|l| l == "bff_provider_up 1"), "{metrics}");
    ensure!(metrics.lines().any(|l| l.starts_with("bff_provider_check_age_seconds ")), "{metrics}");

    kit.relay.cut();
    ensure!(!proconnect_bff::ops::check_provider(&state.rp, &state.metrics).await, "the provider is down");
    ensure!(!proconnect_bff::ops::check_provider(&state.rp, &state.metrics).await, "still down");
    let metrics = browser.get(&kit.at("metrics")).await?.body;
    ensure!(metrics.lines().any(|l| l == "bff_provider_up 0"), "{metrics}");
    // A fresh readiness check (no cached answer) during the outage: still ready.
    let readiness = proconnect_bff::ops::Readiness::new(tower_sessions::MemoryStore::default());
    ensure!(readiness.check(&state.rp).await.is_ok(), "ready although the provider is down");
    ensure!(browser.get(&kit.at("healthz")).await?.status == 200, "alive");

    kit.relay.restore();
    ensure!(proconnect_bff::ops::check_provider(&state.rp, &state.metrics).await, "back");
    let metrics = browser.get(&kit.at("metrics")).await?.body;
    ensure!(metrics.lines().any(|l| l == "bff_provider_up 1"), "{metrics}");
    let logs = captured.text()?;
    let down = logs.lines().filter(|l| l.contains("identity provider unreachable")).count();
    ensure!(down == 1, "one line when it went down, none while it stayed down ({down}):\n{logs}");
    let last = logs.lines().rev().find(|l| l.contains("identity provider")).unwrap_or_default();
    ensure!(last.contains("identity provider reachable"), "its return is logged:\n{logs}");
    Ok(())
}
