//! Redis sessions through each instance's local copy (`backend/src/redis_cache.rs`), against a
//! real `redis-server` on loopback: a change or a deletion on one instance reaches the others'
//! copies, and an instance whose invalidation subscription is down reads Redis, never its copy.
//! Every wait for an asynchronous invalidation is a bounded wait on the condition itself.

use anyhow::{Context, ensure};
use proconnect_bff::redis_cache::RedisCachedStore;
use proconnect_bff::settings::SessionStoreSettings;
use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::time::{Duration, Instant};
use testkit::{Browser, Kit, RedisServer};
use tower_sessions::SessionStore;
use tower_sessions::session::{Id, Record};

/// Long enough for a loaded machine; the conditions usually hold within milliseconds.
const BOUND: Duration = Duration::from_secs(10);
/// The copies' maximum age in the invalidation tests: far beyond [`BOUND`], so that what they
/// see is the invalidation's doing, never the copy's age.
const PROVE_INVALIDATION: Duration = Duration::from_secs(3600);

/// One inline command to the server (RESP inline form), its first reply line.
fn redis_command(redis: &RedisServer, command: &str) -> anyhow::Result<String> {
    use std::io::{BufRead, Write};
    let mut stream = std::net::TcpStream::connect((Ipv4Addr::LOCALHOST, redis.port))?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.write_all(format!("{command}\r\n").as_bytes())?;
    let mut line = String::new();
    std::io::BufReader::new(stream).read_line(&mut line)?;
    Ok(line.trim_end().to_owned())
}

/// Polls `condition` until it holds, for at most [`BOUND`].
async fn until<F, Fut>(what: &str, mut condition: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<bool>>,
{
    let deadline = Instant::now() + BOUND;
    while !condition().await? {
        ensure!(Instant::now() < deadline, "not within {BOUND:?}: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

fn record(value: &str) -> Record {
    Record {
        id: Id::default(),
        data: HashMap::from([("k".to_owned(), serde_json::Value::from(value))]),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::minutes(10),
    }
}

fn value(record: &Option<Record>) -> Option<String> {
    record.as_ref().and_then(|r| r.data.get("k")).and_then(|v| v.as_str()).map(str::to_owned)
}

async fn serving(store: &RedisCachedStore) -> anyhow::Result<()> {
    ensure!(store.wait_until_serving(true, BOUND).await, "the subscription is up within {BOUND:?}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_change_or_a_deletion_on_one_instance_reaches_the_others_copy() -> anyhow::Result<()> {
    let redis = RedisServer::start()?;
    let a = RedisCachedStore::connect(&redis.url(), None, 1_000, PROVE_INVALIDATION).await?;
    let b = RedisCachedStore::connect(&redis.url(), None, 1_000, PROVE_INVALIDATION).await?;
    serving(&a).await?;
    serving(&b).await?;

    let mut session = record("v1");
    a.create(&mut session).await?;
    ensure!(value(&b.load(&session.id).await?).as_deref() == Some("v1"), "B reads it (and copies it)");

    // B answers from its copy: a write that publishes nothing is not seen.
    let mut unseen = session.clone();
    unseen.data.insert("k".into(), "written behind B's back".into());
    tower_sessions_redis_store::RedisStore::new(redis_pool(&redis).await?).save(&unseen).await?;
    ensure!(value(&b.load(&session.id).await?).as_deref() == Some("v1"), "B serves its copy");

    // A change on A: B sees it once the invalidation has gone by.
    let mut changed = session.clone();
    changed.data.insert("k".into(), "v2".into());
    a.save(&changed).await?;
    until("B sees A's change", || async { Ok(value(&b.load(&session.id).await?).as_deref() == Some("v2")) }).await?;

    // A deletion on A (a sign-out): gone on B too.
    a.delete(&session.id).await?;
    until("B forgets the session A deleted", || async { Ok(b.load(&session.id).await?.is_none()) }).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_is_dropped_at_its_maximum_age_whatever_was_published() -> anyhow::Result<()> {
    let redis = RedisServer::start()?;
    let max_age = Duration::from_millis(300);
    let b = RedisCachedStore::connect(&redis.url(), None, 1_000, max_age).await?;
    serving(&b).await?;
    let plain = tower_sessions_redis_store::RedisStore::new(redis_pool(&redis).await?);
    let mut session = record("v1");
    plain.create(&mut session).await?;
    let copied = Instant::now();
    ensure!(value(&b.load(&session.id).await?).as_deref() == Some("v1"), "B reads it (and copies it)");

    // A write that publishes nothing (a lost invalidation, a key changed by hand)...
    let mut unseen = session.clone();
    unseen.data.insert("k".into(), "v2".into());
    plain.save(&unseen).await?;
    let served = value(&b.load(&session.id).await?);
    ensure!(served.as_deref() == Some("v1") || copied.elapsed() >= max_age, "B serves its copy: {served:?}");
    // ...is seen once the copy is older than its maximum age, and not before.
    until("B drops its copy at its maximum age", || async {
        Ok(value(&b.load(&session.id).await?).as_deref() == Some("v2"))
    })
    .await?;
    ensure!(copied.elapsed() >= max_age, "the copy was dropped at its age, not earlier: {:?}", copied.elapsed());
    Ok(())
}

/// A fred pool on the test's server, for writes that bypass the invalidations.
async fn redis_pool(redis: &RedisServer) -> anyhow::Result<fred::prelude::Pool> {
    use fred::prelude::{Builder, ClientLike, Config};
    let pool = Builder::from_config(Config::from_url(&redis.url())?).build_pool(1)?;
    pool.init().await?;
    Ok(pool)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_its_subscription_down_an_instance_reads_redis_never_its_copy() -> anyhow::Result<()> {
    let mut redis = RedisServer::start()?;
    let b = RedisCachedStore::connect(&redis.url(), None, 1_000, PROVE_INVALIDATION).await?;
    serving(&b).await?;
    let pool = redis_pool(&redis).await?;
    let plain = tower_sessions_redis_store::RedisStore::new(pool);
    let mut session = record("v1");
    plain.create(&mut session).await?;
    ensure!(value(&b.load(&session.id).await?).as_deref() == Some("v1"), "copied while serving");

    // The subscription cut, Redis still up: no channel may be subscribed to any more (Redis then
    // disconnects the subscribers).
    ensure!(redis_command(&redis, "ACL SETUSER default resetchannels")? == "+OK", "channels refused");
    ensure!(b.wait_until_serving(false, BOUND).await, "B notices its subscription is down");
    let mut changed = session.clone();
    changed.data.insert("k".into(), "v2, unannounced".into());
    plain.save(&changed).await?;
    ensure!(
        value(&b.load(&session.id).await?).as_deref() == Some("v2, unannounced"),
        "with the subscription down, B reads Redis"
    );

    // Back: B serves copies again, made after the subscription returned.
    ensure!(redis_command(&redis, "ACL SETUSER default allchannels")? == "+OK", "channels allowed again");
    serving(&b).await?;
    ensure!(value(&b.load(&session.id).await?).as_deref() == Some("v2, unannounced"), "a fresh copy");

    // Redis gone altogether: an error, never the copy.
    redis.stop();
    ensure!(b.wait_until_serving(false, BOUND).await, "B notices Redis is gone");
    ensure!(b.load(&session.id).await.is_err(), "no session from a copy while Redis is down");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_on_one_instance_ends_the_session_on_the_other() -> anyhow::Result<()> {
    let redis = RedisServer::start()?;
    let url = redis.url();
    let kit = Kit::start_with(|s| {
        s.session.store = SessionStoreSettings::Redis { url };
        s.session.redis_local_copies = true;
    })
    .await?;
    // Instance B, whose store the test watches.
    let b = RedisCachedStore::connect(&redis.url(), None, 1_000, PROVE_INVALIDATION).await?;
    let router = proconnect_bff::App::new(kit.settings.clone())?.router_with_store(b.clone());
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let other = format!("http://{}/", listener.local_addr()?);
    let _server = testkit::serve_router(listener, router);
    serving(&b).await?;

    let browser = Browser::new();
    ensure!(browser.sign_in(&kit).await?.status == 303, "sign-in through A");
    for _ in 0..3 {
        let me = browser.me(&other).await?;
        ensure!(me.status == 200, "B serves the session (from its copy after the first): {} {}", me.status, me.body);
    }
    let cookie = browser.session_cookie(&kit).context("a session cookie")?;
    let id: Id = cookie.parse().map_err(|e| anyhow::anyhow!("session id: {e:?}"))?;
    ensure!(b.load(&id).await?.is_some(), "B holds the session");

    let token = browser.csrf_token(&kit.url).await?;
    let logout = browser.post_form(&kit.at("auth/logout"), &[("csrf_token", &token)]).await?;
    ensure!(logout.status == 303, "sign-out through A: {} {}", logout.status, logout.body);
    // The old id, as an attacker who kept the cookie would present it to B.
    let stale = reqwest::Client::new();
    let me_on_b = format!("{other}api/me");
    until("the session is gone on B", || async {
        let answer = stale.get(&me_on_b).header("cookie", format!("session={cookie}")).send().await?;
        Ok(answer.status() == 401)
    })
    .await?;
    ensure!(browser.me(&other).await?.status == 401, "and for the browser that signed out");
    Ok(())
}
