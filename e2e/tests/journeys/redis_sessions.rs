//! Several backend instances sharing one real Redis (Debian's redis-server on a free loopback
//! port): a session opened on one is seen and closed on the other; a Redis outage is a clear 503
//! and the service comes back by itself when Redis does.

use e2e::Kit;
use e2e::http::HttpAgent;
use proconnect_bff::settings::SessionStoreSettings;
use std::time::{Duration, Instant};
use testkit::RedisServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_sessions_through_redis() -> anyhow::Result<()> {
    let redis = RedisServer::start()?;
    let kit = Kit::start_configured(|s| s.session.store = SessionStoreSettings::Redis { url: redis.url() }).await?;
    let (other, _task) = kit.another_backend().await?;
    let agent = HttpAgent::new();

    // Sign in through the first instance, read the profile through the second.
    anyhow::ensure!(agent.sign_in(&kit).await?.status == 303, "sign-in through instance 1");
    let me = agent.get(&format!("{other}api/me")).await?;
    anyhow::ensure!(me.status == 200, "instance 2 sees the session: {} {}", me.status, me.body);
    let me: proconnect_types::Me = serde_json::from_str(&me.body)?;

    // Sign out through the second instance: gone on both at once, before the platform's
    // session/end and the callback (on instance 2 too).
    let logout = agent.post_form(&format!("{other}auth/logout"), &[("csrf_token", &me.csrf_token)]).await?;
    anyhow::ensure!(logout.status == 303, "logout through instance 2: {} {}", logout.status, logout.body);
    for instance in [&kit.url, &other] {
        let status = agent.get(&format!("{instance}api/me")).await?.status;
        anyhow::ensure!(status == 401, "the session is gone on {instance}: {status}");
    }
    let back = agent.get(&logout.next("logout")?).await?.next("session/end")?;
    let back = back.replace(kit.url.trim_end_matches('/'), other.trim_end_matches('/'));
    let done = agent.get(&back).await?;
    anyhow::ensure!(done.status == 303, "logout callback on instance 2: {} {}", done.status, done.body);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_outage_is_a_clear_503_and_heals_by_itself() -> anyhow::Result<()> {
    let mut redis = RedisServer::start()?;
    let kit = Kit::start_configured(|s| s.session.store = SessionStoreSettings::Redis { url: redis.url() }).await?;
    let agent = HttpAgent::new();
    anyhow::ensure!(agent.sign_in(&kit).await?.status == 303);
    let me_url = format!("{}api/me", kit.url);

    redis.stop();
    let during = agent.get(&me_url).await?;
    anyhow::ensure!(during.status == 503, "during the outage: {} {}", during.status, during.body);
    anyhow::ensure!(during.body.contains("temporarily unavailable"), "a clear message: {}", during.body);
    let login = HttpAgent::new().get(&format!("{}auth/login", kit.url)).await?;
    anyhow::ensure!(login.status == 503, "starting a sign-in during the outage: {} {}", login.status, login.body);
    let ready = agent.get(&format!("{}readyz", kit.url)).await?;
    // Not ready, without the internal reason (which goes to the logs).
    anyhow::ensure!(
        ready.status == 503 && ready.json()?["error"] == "not_ready" && !ready.body.contains("session store"),
        "readyz: {} {}",
        ready.status,
        ready.body
    );

    // Redis comes back (empty: no persistence): the service answers again, with no restart.
    redis.resume()?;
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let status = agent.get(&me_url).await?.status;
        if status == 401 {
            break;
        }
        anyhow::ensure!(Instant::now() < deadline, "still {status} 15 s after Redis returned");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::ensure!(HttpAgent::new().sign_in(&kit).await?.status == 303, "signing in works again");
    Ok(())
}
