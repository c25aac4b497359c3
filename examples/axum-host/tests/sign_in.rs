//! The example application on loopback with the offline simulator: an agent signs in through
//! `/compte/auth/login` and uses the application's own API.

use anyhow::{Context, ensure};
use proconnect_bff::settings::{SessionStoreSettings, Settings};
use std::net::Ipv4Addr;
use testkit::HttpAgent;

#[tokio::test]
async fn an_agent_signs_in_under_compte_and_uses_the_apps_api() -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let addr = listener.local_addr()?;
    let base = format!("http://{addr}/");
    let mut settings =
        Settings { listen: addr, public_url: base.parse()?, spa_dir: "no-spa".into(), ..Settings::default() };
    settings.session.store = SessionStoreSettings::Memory;
    settings.paths.base = example_axum_host::BFF_BASE.into();
    let simulator =
        proconnect_bff_server::demo::start_simulator(&mut settings, (Ipv4Addr::LOCALHOST, 0).into()).await?;
    let provider = url::Url::parse(simulator.issuer())?.origin().ascii_serialization();
    let app = example_axum_host::app(settings).await?;
    let server = testkit::serve_router(listener, app);

    let agent = HttpAgent::new();
    agent.get(&format!("{base}api/dossiers")).await?.expect_error(401, "unauthenticated")?;
    let home = agent.get(&base).await?;
    ensure!(home.body.contains("href=\"/compte/auth/login\""), "{}", home.body);
    agent.get(&format!("{base}nowhere")).await?.expect_error(404, "not_found")?;

    // Sign-in: /compte/auth/login, the provider's pages, /compte/auth/callback.
    let authorize = agent.get(&format!("{base}compte/auth/login")).await?.next("login")?;
    ensure!(authorize.starts_with(&provider), "{authorize}");
    let back_to = format!("{base}compte/auth/callback?");
    let callback =
        testkit::through_provider(&agent, &authorize, &back_to, testkit::DEMO_EMAIL, &testkit::DEMO_LOGIN).await?;
    let done = agent.get(&callback).await?;
    done.expect_redirect("/")?;

    let me = agent.get(&format!("{base}compte/api/me")).await?;
    ensure!(me.status == 200, "{} {}", me.status, me.body);
    let token = me.json()?["csrf_token"].as_str().context("csrf_token")?.to_owned();
    let greeting = agent.get(&base).await?;
    ensure!(greeting.body.contains("Bonjour"), "{}", greeting.body);

    let post = |token: Option<&str>, body: serde_json::Value| {
        let mut request = agent.client.post(format!("{base}api/dossiers")).json(&body);
        if let Some(token) = token {
            request = request.header(proconnect_types::CSRF_HEADER, token);
        }
        async move { testkit::Answer::read(request.send().await?).await }
    };
    post(None, serde_json::json!({"title": "Subvention"})).await?.expect_error(403, "csrf")?;
    post(Some(&token), serde_json::json!({"name": "no title"})).await?.expect_error(400, "invalid_dossier")?;
    let created = post(Some(&token), serde_json::json!({"title": "Subvention"})).await?;
    ensure!(created.status == 201, "{} {}", created.status, created.body);
    let listed = agent.get(&format!("{base}api/dossiers")).await?;
    ensure!(listed.status == 200, "{} {}", listed.status, listed.body);
    let titles: Vec<String> = listed
        .json()?
        .as_array()
        .context("a list")?
        .iter()
        .filter_map(|d| d["title"].as_str().map(str::to_owned))
        .collect();
    ensure!(titles == ["Subvention"], "{}", listed.body);
    ensure!(agent.get(&format!("{base}ops/healthz")).await?.body == "ok");
    server.abort();
    Ok(())
}
