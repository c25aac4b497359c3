//! The hostile-provider and browser-attack catalogue (RFC 9700, RFC 10017's BFF section, the
//! OpenID RP conformance tests): each scenario must end on a clear error with the right status,
//! with no session and no session cookie left, and a log line naming the reason.
//!
//! Scenarios run one after the other in one test, against a fresh kit each, so the captured log
//! belongs to the scenario; the report lists every failing scenario at once.

use e2e::Kit;
use e2e::http::{Answer, HttpAgent};
use proconnect_simulator::Faults;
use proconnect_simulator::faults::Forgery;
use serde_json::{Value, json};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use testkit::CapturedLogs;

/// Everything the backend logs in this test binary (the global subscriber).
fn logs() -> CapturedLogs {
    static LOGS: OnceLock<CapturedLogs> = OnceLock::new();
    LOGS.get_or_init(|| CapturedLogs::global("proconnect_bff=info")).clone()
}

fn take_logs() -> String {
    logs().take().expect("log buffer")
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

fn overrides(value: Value) -> Faults {
    Faults { id_token_overrides: value.as_object().cloned().unwrap_or_default(), ..Faults::default() }
}

/// Whether the browser holds a session cookie of the backend.
fn has_session_cookie(kit: &Kit, agent: &HttpAgent) -> bool {
    agent.cookies_for(&kit.url).split("; ").any(|c| c.starts_with("session="))
}

/// Asserts the outcome every refused sign-in must have: the status, a page naming the reason,
/// no signed-in session, no session cookie set by the refusal (a cookie the browser already had
/// for its own pending sign-in may stay: `had_cookie`), and a log line naming the reason.
async fn assert_refused(
    kit: &Kit,
    agent: &HttpAgent,
    answer: &Answer,
    status: u16,
    reason: &str,
) -> anyhow::Result<()> {
    assert_refused_keeping(kit, agent, answer, status, reason, false).await
}

async fn assert_refused_keeping(
    kit: &Kit,
    agent: &HttpAgent,
    answer: &Answer,
    status: u16,
    reason: &str,
    had_cookie: bool,
) -> anyhow::Result<()> {
    anyhow::ensure!(answer.status.as_u16() == status, "status {} (expected {status}): {}", answer.status, answer.body);
    anyhow::ensure!(answer.body.contains(reason), "the page does not name `{reason}`: {}", answer.body);
    anyhow::ensure!(answer.body.contains("<p"), "not an HTML page a person can read: {}", answer.body);
    let created = answer.set_cookies.iter().find(|c| c.starts_with("session=") && !c.contains("Max-Age=0"));
    anyhow::ensure!(created.is_none(), "the refusal set a session cookie: {created:?}");
    let me = agent.get(&format!("{}api/me", kit.url)).await?;
    anyhow::ensure!(me.status == 401, "a session exists: /api/me answered {}", me.status);
    anyhow::ensure!(
        had_cookie || !has_session_cookie(kit, agent),
        "a session cookie is left: {}",
        agent.cookies_for(&kit.url)
    );
    let log = take_logs();
    anyhow::ensure!(log.contains(reason), "no log line names `{reason}`:\n{log}");
    Ok(())
}

/// A provider fault during an otherwise normal sign-in.
async fn provider_fault(faults: Faults, status: u16, reason: &str) -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    kit.simulator.set_faults(faults);
    let agent = HttpAgent::new();
    take_logs();
    let answer = agent.sign_in(&kit).await?;
    assert_refused(&kit, &agent, &answer, status, reason).await
}

type Scenario = (&'static str, std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>>>>);

fn provider_scenarios() -> Vec<Scenario> {
    let t = now();
    vec![
        (
            "ID token signed by a key absent from the JWKS (even after one refetch)",
            Box::pin(provider_fault(
                Faults { id_token_unknown_key: true, ..Faults::default() },
                401,
                "invalid_id_token",
            )),
        ),
        (
            "wrong iss",
            Box::pin(provider_fault(overrides(json!({"iss": "https://evil.example/api/v2"})), 401, "invalid_id_token")),
        ),
        ("wrong aud", Box::pin(provider_fault(overrides(json!({"aud": "another-service"})), 401, "invalid_id_token"))),
        (
            "aud array with another client and no azp",
            Box::pin(provider_fault(
                overrides(json!({"aud": ["demo-fs", "another-service"]})),
                401,
                "invalid_id_token",
            )),
        ),
        ("expired ID token", Box::pin(provider_fault(overrides(json!({"exp": t - 3600})), 401, "invalid_id_token"))),
        (
            "iat far in the future",
            Box::pin(provider_fault(overrides(json!({"iat": t + 3600, "exp": t + 7200})), 401, "invalid_id_token")),
        ),
        ("missing nonce", Box::pin(provider_fault(overrides(json!({"nonce": null})), 401, "invalid_id_token"))),
        ("wrong nonce", Box::pin(provider_fault(overrides(json!({"nonce": "x".repeat(43)})), 401, "invalid_id_token"))),
        (
            "userinfo sub differs from the ID token's",
            Box::pin(provider_fault(
                Faults { userinfo_sub: Some("someone-else".into()), ..Faults::default() },
                401,
                "invalid_userinfo",
            )),
        ),
        (
            "userinfo signed by another key",
            Box::pin(provider_fault(
                Faults { userinfo_unknown_key: true, ..Faults::default() },
                401,
                "invalid_userinfo",
            )),
        ),
        (
            "token endpoint answers 500",
            Box::pin(provider_fault(
                Faults { token_status: Some(500), ..Faults::default() },
                502,
                "provider_unavailable",
            )),
        ),
        (
            "ID token signed by another key under the published kid",
            Box::pin(provider_fault(
                Faults { id_token_forgery: Some(Forgery::SpoofedKid), ..Faults::default() },
                401,
                "invalid_id_token",
            )),
        ),
        (
            "userinfo signed by another key under the published kid",
            Box::pin(provider_fault(
                Faults { userinfo_forgery: Some(Forgery::SpoofedKid), ..Faults::default() },
                401,
                "invalid_userinfo",
            )),
        ),
        (
            "ID token with alg: none",
            Box::pin(provider_fault(
                Faults { id_token_forgery: Some(Forgery::AlgNone), ..Faults::default() },
                401,
                "invalid_id_token",
            )),
        ),
        (
            "ID token HS256-signed with the provider's public key (algorithm confusion)",
            Box::pin(provider_fault(
                Faults { id_token_forgery: Some(Forgery::Hs256WithPublicKey), ..Faults::default() },
                401,
                "invalid_id_token",
            )),
        ),
        (
            "ID token validly signed with another algorithm than the registered one",
            Box::pin(provider_fault(
                Faults { id_token_forgery: Some(Forgery::WrongAlg), ..Faults::default() },
                401,
                "invalid_id_token",
            )),
        ),
        (
            "userinfo with alg: none",
            Box::pin(provider_fault(
                Faults { userinfo_forgery: Some(Forgery::AlgNone), ..Faults::default() },
                401,
                "invalid_userinfo",
            )),
        ),
        (
            "userinfo not a JWT",
            Box::pin(provider_fault(Faults { userinfo_not_jwt: true, ..Faults::default() }, 401, "invalid_userinfo")),
        ),
        (
            "token endpoint answers invalid JSON",
            Box::pin(provider_fault(
                Faults { token_invalid_json: true, ..Faults::default() },
                502,
                "provider_unavailable",
            )),
        ),
        (
            "token endpoint answers a 10 MB body",
            Box::pin(provider_fault(
                Faults { token_body_padding: Some(10 * 1024 * 1024), ..Faults::default() },
                502,
                "provider_unavailable",
            )),
        ),
        (
            "provider does not answer in time",
            Box::pin(async {
                let kit = Kit::start_configured(|s| s.provider.timeout_seconds = 1).await?;
                let agent = HttpAgent::new();
                let callback = agent.authorize(&kit).await?;
                kit.simulator.set_faults(Faults { delay: Some(Duration::from_secs(3)), ..Faults::default() });
                take_logs();
                let answer = agent.get(&callback).await?;
                assert_refused(&kit, &agent, &answer, 502, "provider_unavailable").await
            }),
        ),
    ]
}

fn browser_scenarios() -> Vec<Scenario> {
    vec![
        (
            "replayed callback (code and state used twice)",
            Box::pin(async {
                let kit = Kit::start().await?;
                let agent = HttpAgent::new();
                let callback = agent.authorize(&kit).await?;
                let first = agent.get(&callback).await?;
                anyhow::ensure!(first.status == 303, "first use signs in: {first:?}");
                let attacker = HttpAgent::new();
                take_logs();
                let replay = attacker.get(&callback).await?;
                assert_refused(&kit, &attacker, &replay, 400, "invalid_state").await
            }),
        ),
        (
            "altered state",
            Box::pin(async {
                let kit = Kit::start().await?;
                let agent = HttpAgent::new();
                let callback = agent.authorize(&kit).await?;
                take_logs();
                let answer = agent.get(&callback.replace("state=", "state=x")).await?;
                // The genuine sign-in stays pending (and still completes).
                assert_refused_keeping(&kit, &agent, &answer, 400, "invalid_state", true).await?;
                anyhow::ensure!(agent.get(&callback).await?.status == 303, "the genuine callback still works");
                Ok(())
            }),
        ),
        (
            "callback with no login transaction",
            Box::pin(async {
                let kit = Kit::start().await?;
                let agent = HttpAgent::new();
                take_logs();
                let answer = agent.get(&format!("{}auth/callback?code=abc&state={}", kit.url, "s".repeat(43))).await?;
                anyhow::ensure!(answer.set_cookies.is_empty(), "a cookie was set: {:?}", answer.set_cookies);
                assert_refused(&kit, &agent, &answer, 400, "invalid_state").await
            }),
        ),
        (
            "login CSRF: a callback from another browser's transaction",
            Box::pin(async {
                let kit = Kit::start().await?;
                let attacker = HttpAgent::new();
                let callback = attacker.authorize(&kit).await?;
                let victim = HttpAgent::new();
                victim.get(&format!("{}auth/login", kit.url)).await?;
                take_logs();
                let answer = victim.get(&callback).await?;
                assert_refused_keeping(&kit, &victim, &answer, 400, "invalid_state", true).await
            }),
        ),
        (
            "callback without state",
            Box::pin(async {
                let kit = Kit::start().await?;
                let agent = HttpAgent::new();
                agent.authorize(&kit).await?;
                take_logs();
                let answer = agent.get(&format!("{}auth/callback?code=abc", kit.url)).await?;
                assert_refused_keeping(&kit, &agent, &answer, 400, "missing_state", true).await
            }),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hostile_scenario_is_refused_cleanly() {
    logs();
    let scenarios: Vec<Scenario> = provider_scenarios().into_iter().chain(browser_scenarios()).collect();
    let total = scenarios.len();
    let mut failures = Vec::new();
    for (name, scenario) in scenarios {
        match scenario.await {
            Ok(()) => println!("ok      {name}"),
            Err(error) => {
                println!("FAILED  {name}: {error:#}");
                failures.push(format!("{name}: {error:#}"));
            }
        }
    }
    println!("{} / {total} scenarios passed", total - failures.len());
    assert!(failures.is_empty(), "{} scenario(s) failed:\n{}", failures.len(), failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_rotation_between_two_sign_ins_succeeds() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let first = HttpAgent::new().sign_in(&kit).await?;
    anyhow::ensure!(first.status == 303, "first sign-in: {first:?}");
    kit.simulator.rotate_keys()?;
    let agent = HttpAgent::new();
    let second = agent.sign_in(&kit).await?;
    anyhow::ensure!(second.status == 303, "sign-in after rotation: {second:?}");
    anyhow::ensure!(agent.get(&format!("{}api/me", kit.url)).await?.status == 200);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_redirects_through_return_to_are_refused() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let agent = HttpAgent::new();
    for evil in [
        "//evil.example",
        "https://evil.example",
        "/\\evil.example",
        "/%2fevil.example",
        "%2F%2Fevil.example",
        "/%5Cevil.example",
        "http:evil.example",
        "javascript:alert(1)",
        "/ok\r\nSet-Cookie: x=1",
    ] {
        let url = format!("{}auth/login?return_to={}", kit.url, url_encode(evil));
        let answer = agent.get(&url).await?;
        anyhow::ensure!(answer.status == 400, "return_to={evil:?} answered {} {:?}", answer.status, answer.location);
        anyhow::ensure!(answer.body.contains("invalid_return_to"), "return_to={evil:?}: {}", answer.body);
    }
    let fine = agent.get(&format!("{}auth/login?return_to=%2Fprofil%3Fx%3D1", kit.url)).await?;
    anyhow::ensure!(fine.status == 303, "a same-origin path is accepted: {fine:?}");
    Ok(())
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sign_ins_of_one_agent_in_many_tabs_all_succeed() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let agent = HttpAgent::new();
    // Eight tabs start a sign-in in the same browser, then all come back.
    let mut callbacks = Vec::new();
    for _ in 0..8 {
        callbacks.push(agent.authorize(&kit).await?);
    }
    let answers = futures_join(callbacks.iter().map(|c| agent.get(c))).await;
    for answer in answers {
        let answer = answer?;
        anyhow::ensure!(answer.status == 303, "a tab failed: {} {}", answer.status, answer.body);
    }
    anyhow::ensure!(agent.get(&format!("{}api/me", kit.url)).await?.status == 200);
    Ok(())
}

async fn futures_join<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut outputs = Vec::new();
    let handles: Vec<_> = futures.collect();
    for f in handles {
        outputs.push(f.await);
    }
    outputs
}
