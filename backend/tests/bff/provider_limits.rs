//! Bounds on what the provider can make the backend do: every call has a timeout, and no answer
//! is read past `MAX_PROVIDER_BODY` (the token response included, although the `openidconnect`
//! crate would read it whole).

use anyhow::{Context, ensure};
use axum::routing::{get, post};
use serde_json::json;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};
use testkit::{Browser, Kit};

#[tokio::test]
async fn a_token_endpoint_slower_than_the_timeout_is_a_quick_502() -> anyhow::Result<()> {
    let kit = Kit::start_with(|s| s.provider.timeout_seconds = 1).await?;
    let browser = Browser::new();
    let callback = browser.authorize(&kit).await?;
    kit.simulator
        .set_faults(proconnect_simulator::Faults { delay: Some(Duration::from_secs(5)), ..Default::default() });
    let started = Instant::now();
    let answer = browser.get(&callback).await?;
    let elapsed = started.elapsed();
    println!("token endpoint 5 s late, 1 s timeout: HTTP {} after {elapsed:?}", answer.status.as_u16());
    answer.expect_error(502, "provider_unavailable")?;
    ensure!(elapsed < Duration::from_secs(4), "the timeout bounds the wait: {elapsed:?}");
    ensure!(browser.me(&kit.url).await?.status == 401, "no session");
    Ok(())
}

/// A discovery document whose endpoints all sit under `issuer`.
fn discovery(issuer: &str) -> serde_json::Value {
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "jwks_uri": format!("{issuer}/jwks"),
        "end_session_endpoint": format!("{issuer}/session/end"),
        "revocation_endpoint": format!("{issuer}/token/revocation"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
    })
}

/// A loopback listener that accepts connections, holds them open and never answers; returns
/// its address and how many connections it accepted so far.
async fn silent_listener() -> anyhow::Result<(SocketAddr, std::sync::Arc<std::sync::atomic::AtomicUsize>)> {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let addr = listener.local_addr()?;
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = accepted.clone();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            held.push(socket);
        }
    });
    Ok((addr, accepted))
}

/// A provider whose discovery is fine but whose token endpoint answers `size` bytes of JSON.
async fn provider_with_a_huge_token_response(size: usize) -> anyhow::Result<(String, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let addr: SocketAddr = listener.local_addr()?;
    let issuer = format!("http://{addr}/api/v2");
    let discovery = discovery(&issuer);
    let huge =
        format!(r#"{{"token_type":"Bearer","expires_in":60,"id_token":"x","access_token":"{}"}}"#, "a".repeat(size));
    let app = axum::Router::new()
        .route("/api/v2/.well-known/openid-configuration", get(move || async move { axum::Json(discovery) }))
        .route("/api/v2/jwks", get(|| async { axum::Json(json!({"keys": []})) }))
        .route("/api/v2/token", post(move || async move { ([("content-type", "application/json")], huge) }));
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok((issuer, server))
}

// Current-thread runtime: the logs (captured thread-locally) tell why the answer was refused.
#[tokio::test(flavor = "current_thread")]
async fn an_oversized_token_response_is_refused() -> anyhow::Result<()> {
    let (captured, _guard) = testkit::CapturedLogs::start("proconnect_bff=info");
    let kit = Kit::start().await?;
    let (issuer, _provider) =
        provider_with_a_huge_token_response(proconnect_bff::oidc::MAX_PROVIDER_BODY + 1024).await?;
    let mut settings = kit.settings.clone();
    settings.provider.issuer = Some(issuer.parse()?);
    let (base, _server) = testkit::serve_elsewhere(settings).await?;
    let browser = Browser::new();
    let authorize: url::Url = browser.get(&format!("{base}auth/login")).await?.next("login")?.parse()?;
    let state = authorize.query_pairs().find(|(k, _)| k == "state").map(|(_, v)| v.into_owned()).context("state")?;
    let answer = browser.get(&format!("{base}auth/callback?state={state}&code=some-code")).await?;
    println!(
        "token response of {} bytes: HTTP {} {}",
        proconnect_bff::oidc::MAX_PROVIDER_BODY + 1024,
        answer.status.as_u16(),
        answer.body.len()
    );
    answer.expect_error(502, "provider_unavailable")?;
    let logs = captured.text()?;
    ensure!(
        logs.contains(&format!("larger than {} bytes", proconnect_bff::oidc::MAX_PROVIDER_BODY)),
        "refused for its size:\n{logs}"
    );
    ensure!(browser.me(&base).await?.status == 401, "no session");
    Ok(())
}

/// Requests queued behind a discovery that hangs share its failure: the provider sees one
/// discovery, not one per request (each waiting its own timeout).
#[tokio::test]
async fn requests_queued_behind_a_hanging_discovery_share_its_failure() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let (hanging, accepted) = silent_listener().await?;
    let issuer = format!("http://{hanging}/api/v2");
    let mut settings = kit.settings.clone();
    settings.provider.issuer = Some(issuer.parse()?);
    settings.provider.timeout_seconds = 1;
    let (base, _server) = testkit::serve_elsewhere(settings).await?;
    let mut logins = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let url = format!("{base}auth/login");
        logins.spawn(async move { Browser::new().get(&url).await });
    }
    while let Some(answer) = logins.join_next().await {
        answer??.expect_error(502, "provider_unavailable")?;
    }
    // One discovery the six share, plus at most the background health check (`ops`); each
    // sign-in waiting its own turn would make six (seven with the check).
    let connections = accepted.load(std::sync::atomic::Ordering::SeqCst);
    ensure!(connections <= 2, "6 concurrent sign-ins reached a hanging provider {connections} times");
    Ok(())
}

/// A discovery document that sends the secret or the tokens to another origin is refused
/// before anything is sent there.
#[tokio::test]
async fn discovery_endpoints_off_the_issuers_origin_are_refused() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let (elsewhere, reached) = silent_listener().await?;
    let elsewhere_origin = format!("http://{elsewhere}");
    for endpoint in ["token_endpoint", "userinfo_endpoint", "jwks_uri", "revocation_endpoint", "end_session_endpoint"] {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let issuer = format!("http://{}/api/v2", listener.local_addr()?);
        let mut discovery = discovery(&issuer);
        discovery[endpoint] = json!(format!("{elsewhere_origin}/api/v2/x"));
        let app = axum::Router::new()
            .route("/api/v2/.well-known/openid-configuration", get(move || async move { axum::Json(discovery) }))
            .route("/api/v2/jwks", get(|| async { axum::Json(json!({"keys": []})) }));
        let _provider = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let mut settings = kit.settings.clone();
        settings.provider.issuer = Some(issuer.parse()?);
        let (base, _server) = testkit::serve_elsewhere(settings).await?;
        let answer = Browser::new().get(&format!("{base}auth/login")).await?;
        answer.expect_error(502, "provider_unavailable").with_context(|| endpoint.to_owned())?;
    }
    ensure!(reached.load(std::sync::atomic::Ordering::SeqCst) == 0, "the other origin was contacted");
    Ok(())
}
