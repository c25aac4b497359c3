//! What operators rely on: `/healthz`, `/readyz` (discovery loaded once and the session store
//! answering, cached, never a provider call per hit, never an internal error in its body), the
//! provider's health as a metric, Prometheus `/metrics` (sign-ins by outcome and reason, a latency
//! histogram), the optional separate ops listener, and the per-client rate limit on `/auth/*`
//! (behind trusted proxies, IPv6 per /64).

use anyhow::{Context, ensure};
use testkit::{Browser, Kit};

#[tokio::test]
async fn readyz_answers_from_cache_without_calling_the_provider_per_hit() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let browser = Browser::new();
    ensure!(browser.get(&kit.at("healthz")).await?.status == 200, "alive");
    let ready = browser.get(&kit.at("readyz")).await?;
    ensure!(ready.status == 200 && ready.body == "ready", "ready: {} {}", ready.status, ready.body);
    let before = kit.relay.tap.requests();
    for _ in 0..50 {
        let ready = browser.get(&kit.at("readyz")).await?;
        ensure!(ready.status == 200, "{} {}", ready.status, ready.body);
    }
    let concurrent: Vec<_> = (0..50)
        .map(|_| {
            let url = kit.at("readyz");
            tokio::spawn(async move { Browser::new().get(&url).await.map(|answer| answer.status) })
        })
        .collect();
    for call in concurrent {
        ensure!(call.await?? == 200, "ready under concurrent calls");
    }
    let reached = kit.relay.tap.requests() - before;
    println!("100 calls to /readyz: {reached} request(s) reached the provider");
    // At most the background health check, which runs every 10 s whatever /readyz does.
    ensure!(reached <= 1, "{reached} provider requests for 100 /readyz");
    Ok(())
}

#[tokio::test]
async fn readyz_says_not_ready_without_internal_details() -> anyhow::Result<()> {
    // A provider that cannot be reached: nothing listens on this loopback port any more.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await?.local_addr()?;
    let (listener, addr, _spa, mut settings) = testkit::loopback_settings().await?;
    settings.provider.issuer = Some(format!("http://{closed}/api/v2").parse()?);
    let router = proconnect_bff::App::new(settings.clone())?.router().await?;
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let unreachable = Browser::new().get(&format!("http://{addr}/readyz")).await?;
    server.abort();

    // A session store that fails: it is closed.
    let (listener, addr, _spa, mut settings) = testkit::loopback_settings().await?;
    let (_simulator, _relay) = testkit::spawn_simulator(&mut settings).await?;
    let dir = tempfile::tempdir()?;
    let store = proconnect_bff::sqlite_store::SqliteStore::open(&dir.path().join("sessions.sqlite")).await?;
    store.close().await;
    let router = proconnect_bff::App::new(settings)?.router_with_store(store);
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let broken_store = Browser::new().get(&format!("http://{addr}/readyz")).await?;
    server.abort();

    for (case, answer) in [("provider never reached", unreachable), ("session store failing", broken_store)] {
        println!("{case}: /readyz HTTP {} {}", answer.status.as_u16(), answer.body);
        ensure!(answer.status == 503, "{case}: {} {}", answer.status, answer.body);
        let json = answer.json()?;
        ensure!(json["error"] == "not_ready", "{case}: {}", answer.body);
        ensure!(json["message"] == "The service is not ready.", "{case}: {}", answer.body);
        ensure!(json["message_fr"] == "Le service n’est pas prêt.", "{case}: {}", answer.body);
        for internal in ["127.0.0.1", &closed.port().to_string(), "GET", "session store", "pool", "refused", "http"] {
            ensure!(!answer.body.contains(internal), "{case}: the body shows `{internal}`: {}", answer.body);
        }
    }
    Ok(())
}

#[tokio::test]
async fn with_ops_listen_the_public_listener_serves_no_ops_endpoint() -> anyhow::Result<()> {
    let ops_addr = tokio::net::TcpListener::bind("127.0.0.1:0").await?.local_addr()?;
    let kit = Kit::start_with(|s| s.ops_listen = Some(ops_addr)).await?;
    let browser = Browser::new();
    for path in ["metrics", "readyz", "healthz"] {
        let answer = browser.get(&kit.at(path)).await?;
        ensure!(answer.status == 404, "/{path} on the public listener: {} {}", answer.status, answer.body);
        ensure!(answer.json()?["error"] == "not_found", "a JSON 404, not the SPA: {}", answer.body);
    }
    // The operators' router answers them (the binary serves it on ops_listen).
    let routers =
        proconnect_bff::App::new(kit.settings.clone())?.routers_with_store(tower_sessions::MemoryStore::default());
    ensure!(routers.ops.is_some(), "an ops router");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let ops_url = format!("http://{}/", listener.local_addr()?);
    let ops = routers.ops.context("ops router")?;
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, ops).await;
    });
    ensure!(browser.get(&format!("{ops_url}healthz")).await?.status == 200, "healthz on ops");
    ensure!(browser.get(&format!("{ops_url}readyz")).await?.status == 200, "readyz on ops");
    let metrics = browser.get(&format!("{ops_url}metrics")).await?;
    ensure!(metrics.status == 200 && metrics.body.contains("bff_sign_ins_total"), "metrics on ops");
    server.abort();
    // Without ops_listen, they stay on the public listener.
    let plain = Kit::start().await?;
    ensure!(browser.get(&plain.at("metrics")).await?.status == 200, "metrics on the public listener");
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

/// `GET /auth/login` with one extra header.
async fn login_with(kit: &Kit, header: &str, value: &str) -> anyhow::Result<u16> {
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?
        .get(kit.at("auth/login"))
        .header(header, value)
        .send()
        .await?;
    Ok(response.status().as_u16())
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_has_its_own_bucket() -> anyhow::Result<()> {
    // One request a minute per client: the second is refused.
    let kit = Kit::start_with(|s| {
        s.auth_rate_limit_per_minute = 1;
        s.trusted_proxies = "127.0.0.0/8".parse().expect("CIDR");
    })
    .await?;
    ensure!(login_with(&kit, "x-forwarded-for", "198.51.100.1").await? == 303, "client 1");
    ensure!(login_with(&kit, "x-forwarded-for", "198.51.100.1").await? == 429, "client 1 again: limited");
    // Client 2 through the same proxy is not: the left part a client may write is not read either.
    ensure!(login_with(&kit, "x-forwarded-for", "198.51.100.1, 198.51.100.2").await? == 303, "client 2");
    ensure!(login_with(&kit, "x-forwarded-for", "198.51.100.2").await? == 429, "client 2 again: limited");
    Ok(())
}

#[tokio::test]
async fn forwarded_headers_from_an_untrusted_peer_are_ignored() -> anyhow::Result<()> {
    let kit = Kit::start_with(|s| {
        s.auth_rate_limit_per_minute = 1;
        s.trusted_proxies = "10.0.0.0/8".parse().expect("CIDR");
    })
    .await?;
    ensure!(login_with(&kit, "x-forwarded-for", "198.51.100.1").await? == 303, "first");
    // Another claimed address from the same (untrusted) peer: the peer's bucket, already empty.
    ensure!(login_with(&kit, "x-forwarded-for", "198.51.100.2").await? == 429, "same peer, same bucket");
    ensure!(login_with(&kit, "forwarded", "for=198.51.100.3").await? == 429, "Forwarded is ignored too");
    Ok(())
}

#[tokio::test]
async fn the_forwarded_header_is_read_with_ipv6_clients_counted_per_64() -> anyhow::Result<()> {
    let kit = Kit::start_with(|s| {
        s.auth_rate_limit_per_minute = 1;
        s.trusted_proxies = "127.0.0.1".parse().expect("address");
        s.client_ip_header = proconnect_bff::client_ip::ForwardedHeader::Forwarded;
    })
    .await?;
    let forwarded = |client: &str| format!("for={client};proto=https;by=127.0.0.1");
    ensure!(login_with(&kit, "forwarded", &forwarded("\"[2001:db8:cafe:1::17]:4711\"")).await? == 303, "v6 client");
    let same_64 = forwarded("\"[2001:db8:cafe:1:ffff::9]:80\"");
    ensure!(login_with(&kit, "forwarded", &same_64).await? == 429, "another address of the same /64 shares its bucket");
    let other_64 = forwarded("\"[2001:db8:cafe:2::17]\"");
    ensure!(login_with(&kit, "forwarded", &other_64).await? == 303, "the next /64 is another client");
    ensure!(login_with(&kit, "forwarded", &forwarded("198.51.100.7")).await? == 303, "an IPv4 client");
    // X-Forwarded-For is not the configured header: such requests count as the proxy's own.
    ensure!(login_with(&kit, "x-forwarded-for", "198.51.100.8").await? == 303, "keyed on the proxy");
    ensure!(login_with(&kit, "x-forwarded-for", "198.51.100.9").await? == 429, "still the proxy's bucket");
    Ok(())
}

#[tokio::test]
async fn an_embedding_app_reads_the_same_client_address() -> anyhow::Result<()> {
    use axum::routing::get;
    use proconnect_bff::client_ip::ClientIp;
    let routes = axum::Router::new().route("/whoami", get(|ClientIp(ip): ClientIp| async move { ip.to_string() }));
    let kit = Kit::start_with_routes(|s| s.trusted_proxies = "127.0.0.1".parse().expect("address"), routes).await?;
    let client = reqwest::Client::new();
    let seen = client.get(kit.at("whoami")).header("x-forwarded-for", "198.51.100.1, 2001:db8::7").send().await?;
    ensure!(seen.text().await? == "2001:db8::7", "the right-most hop");
    let direct = client.get(kit.at("whoami")).send().await?.text().await?;
    ensure!(direct == "127.0.0.1", "the peer without a header: {direct}");
    Ok(())
}
