//! Faults around the backend (issue: hostile-provider and fault suite): a restart in the middle
//! of a sign-in, the SQLite session surviving a restart, an unwritable SQLite file, a slow JWKS,
//! and malformed or oversized input on every endpoint (always a 4xx with a message, never a 5xx).

use e2e::Kit;
use e2e::http::HttpAgent;
use proconnect_bff::settings::SessionStoreSettings;
use proconnect_simulator::Faults;
use std::time::Duration;

fn temp_db(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("kit-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir.join("sessions.sqlite")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_in_the_middle_of_a_sign_in_loses_nothing_with_sqlite() -> anyhow::Result<()> {
    let db = temp_db("restart");
    let mut kit =
        Kit::start_configured(|s| s.session.store = SessionStoreSettings::Sqlite { path: db.clone() }).await?;
    let agent = HttpAgent::new();
    let callback = agent.authorize(&kit).await?;
    kit.restart_backend().await?;
    let answer = agent.get(&callback).await?;
    anyhow::ensure!(answer.status == 303, "the sign-in completes after a restart: {} {}", answer.status, answer.body);
    kit.restart_backend().await?;
    let me = agent.get(&format!("{}api/me", kit.url)).await?;
    anyhow::ensure!(me.status == 200, "the session survives a restart: {} {}", me.status, me.body);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_with_memory_sessions_asks_to_sign_in_again() -> anyhow::Result<()> {
    let mut kit = Kit::start().await?;
    let agent = HttpAgent::new();
    let callback = agent.authorize(&kit).await?;
    kit.restart_backend().await?;
    let answer = agent.get(&callback).await?;
    anyhow::ensure!(answer.status == 400 && answer.body.contains("invalid_state"), "{} {}", answer.status, answer.body);
    anyhow::ensure!(answer.body.contains("Please sign in again"), "a way forward: {}", answer.body);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unwritable_sqlite_file_is_a_clear_error_at_start() -> anyhow::Result<()> {
    let error = Kit::start_configured(|s| {
        s.session.store = SessionStoreSettings::Sqlite { path: "/proc/kit-cannot-write-here/sessions.sqlite".into() }
    })
    .await
    .err()
    .ok_or_else(|| anyhow::anyhow!("the backend started with an unwritable session store"))?;
    let message = format!("{error:#}");
    anyhow::ensure!(message.contains("session store") && message.contains("/proc/kit-cannot-write-here"), "{message}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_provider_within_the_timeout_still_signs_in() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    kit.simulator.set_faults(Faults { delay: Some(Duration::from_millis(700)), ..Faults::default() });
    let agent = HttpAgent::new();
    let answer = agent.sign_in(&kit).await?;
    anyhow::ensure!(answer.status == 303, "{} {}", answer.status, answer.body);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_oversized_input_gets_a_4xx_never_a_5xx() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let agent = HttpAgent::new();
    let huge = "a".repeat(20_000);
    let paths =
        ["auth/login".to_owned(), "auth/callback".to_owned(), "auth/logout/callback".to_owned(), "api/me".to_owned()];
    let queries = [
        format!("?return_to={huge}"),
        format!("?state={huge}&code={huge}"),
        "?state=%FF%FE&code=%C3%28".to_owned(),
        "?prompt=consent".to_owned(),
        "?login_hint=%00".to_owned(),
        "?state=a&state=b".to_owned(),
        "?error=%FF".to_owned(),
    ];
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let mut checked = 0;
    for path in &paths {
        for query in &queries {
            let url = format!("{}{path}{query}", kit.url);
            let status = agent.get(&url).await?.status;
            anyhow::ensure!(status.as_u16() < 500, "GET {path}{} → {status}", &query[..query.len().min(40)]);
            checked += 1;
        }
        for (name, value) in [
            ("cookie", format!("session={huge}")),
            ("cookie", "session=%FF%00;;;==".to_owned()),
            ("x-csrf-token", huge.clone()),
        ] {
            let status = client.get(format!("{}{path}", kit.url)).header(name, value).send().await?.status();
            anyhow::ensure!(status.as_u16() < 500, "GET {path} with a bad {name} → {status}");
            checked += 1;
        }
    }
    // A form, as a browser sends it, so that the BFF reads the whole body before it answers. A
    // body it does not read (no form content type) makes hyper close the connection with data
    // unread, and the reset can reach the recording proxy before the answer (a 502 of its own).
    let answer = client
        .post(format!("{}auth/logout", kit.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf_token={}", huge.repeat(100)))
        .send()
        .await?;
    let status = answer.status();
    let body = answer.text().await.unwrap_or_default();
    anyhow::ensure!(status.as_u16() < 500, "POST /auth/logout with a 2 MB form → {status}: {body}");
    println!("{checked} malformed requests, all answered 4xx or 3xx");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_needs_the_anti_forgery_token_and_the_same_site() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let agent = HttpAgent::new();
    anyhow::ensure!(agent.sign_in(&kit).await?.status == 303);
    let me: proconnect_types::Me = serde_json::from_str(&agent.get(&format!("{}api/me", kit.url)).await?.body)?;
    let logout = format!("{}auth/logout", kit.url);
    let without = agent.client.post(&logout).send().await?;
    anyhow::ensure!(without.status() == 403, "no token → {}", without.status());
    let wrong = agent.client.post(&logout).header(proconnect_types::CSRF_HEADER, "wrong").send().await?;
    anyhow::ensure!(wrong.status() == 403, "wrong header → {}", wrong.status());
    let wrong = agent.client.post(&logout).form(&[("csrf_token", "wrong")]).send().await?;
    anyhow::ensure!(wrong.status() == 403, "wrong field → {}", wrong.status());
    let cross_site = agent
        .client
        .post(&logout)
        .form(&[("csrf_token", &me.csrf_token)])
        .header("sec-fetch-site", "cross-site")
        .send()
        .await?;
    anyhow::ensure!(cross_site.status() == 403, "cross-site → {}", cross_site.status());
    let page = cross_site.text().await?;
    anyhow::ensure!(page.contains("<html") && page.contains("did not come from this application"), "{page}");
    anyhow::ensure!(
        agent.get(&format!("{}api/me", kit.url)).await?.status == 200,
        "still signed in after refused logouts"
    );
    let ok = agent.post_form(&logout, &[("csrf_token", &me.csrf_token)]).await?;
    anyhow::ensure!(ok.status == 303, "genuine logout → {} {}", ok.status, ok.body);
    anyhow::ensure!(agent.get(&format!("{}api/me", kit.url)).await?.status == 401, "signed out at once");
    kit.assert_no_jwt_readable_by_script()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_sign_in_attempts_get_a_clear_429() -> anyhow::Result<()> {
    let kit = Kit::start_configured(|s| s.auth_rate_limit_per_minute = 6).await?;
    let agent = HttpAgent::new();
    let login = format!("{}auth/login", kit.url);
    anyhow::ensure!(agent.get(&login).await?.status == 303, "the first attempt passes");
    let refused = agent.client.get(&login).send().await?;
    anyhow::ensure!(refused.status() == 429, "the burst is one request: {}", refused.status());
    anyhow::ensure!(refused.headers().contains_key("retry-after"), "Retry-After is set");
    let body = refused.text().await?;
    anyhow::ensure!(body.contains("Too many sign-in attempts"), "{body}");
    anyhow::ensure!(agent.get(&format!("{}api/me", kit.url)).await?.status == 401, "the API is not rate-limited");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_spa_learns_the_brand_before_sign_in() -> anyhow::Result<()> {
    let kit = Kit::start_configured(|s| s.brand = proconnect_types::Brand::ProConnect).await?;
    let config: proconnect_types::PublicConfig =
        serde_json::from_str(&HttpAgent::new().get(&format!("{}api/config", kit.url)).await?.body)?;
    anyhow::ensure!(config.brand == proconnect_types::Brand::ProConnect);
    Ok(())
}
