//! Where sessions live and how long: one suite run against every store (memory, SQLite, Redis),
//! several instances sharing Redis, a Redis outage (503, then back by itself), SQLite across a
//! restart, an unwritable SQLite path, the SQLite store itself (the former sqlx store's files,
//! concurrent writes, the purge, a closed store), the 12-hour absolute lifetime, the idle timeout, a
//! session before sign-in that dies with its login, and a cookie that ends with the browser.

use anyhow::{Context, ensure};
use proconnect_bff::settings::SessionStoreSettings;
use testkit::{Browser, Kit, RedisServer};
use tower_sessions::SessionStore;

/// Sign in, read `/api/me`, sign out through the provider: the session is gone.
async fn round_trip(kit: &Kit) -> anyhow::Result<()> {
    let browser = Browser::new();
    let done = browser.sign_in(kit).await?;
    ensure!(done.status == 303, "sign-in: {} {}", done.status, done.body);
    ensure!(browser.me(&kit.url).await?.status == 200, "signed in");
    sign_out(&browser, &kit.url).await?;
    ensure!(browser.me(&kit.url).await?.status == 401, "signed out");
    Ok(())
}

/// POST /auth/logout at `base`, then the provider, then the callback.
async fn sign_out(browser: &Browser, base: &str) -> anyhow::Result<()> {
    let done = browser.sign_out(base).await?;
    ensure!(done.status == 303, "logout callback: {} {}", done.status, done.body);
    Ok(())
}

#[tokio::test]
async fn memory_store_round_trip() -> anyhow::Result<()> {
    round_trip(&Kit::start().await?).await
}

#[tokio::test]
async fn sqlite_store_round_trip_and_it_survives_a_restart() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("nested/sessions.sqlite");
    let mut kit = Kit::start_with(|s| s.session.store = SessionStoreSettings::Sqlite { path: path.clone() }).await?;
    round_trip(&kit).await?;
    let browser = Browser::new();
    ensure!(browser.sign_in(&kit).await?.status == 303, "sign-in");
    kit.restart_backend().await?;
    let me = browser.me(&kit.url).await?;
    ensure!(me.status == 200, "the session survives a restart: {} {}", me.status, me.body);
    Ok(())
}

#[tokio::test]
async fn an_unwritable_sqlite_path_is_a_clear_error_at_start() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "not a directory")?;
    // Not a database: refused at start, naming the file itself.
    let garbage = dir.path().join("garbage.sqlite");
    std::fs::write(&garbage, "not a SQLite database, and long enough to have a header: ".repeat(20))?;
    for path in [blocker.join("sessions.sqlite"), "/proc/no-such-dir/sessions.sqlite".into(), garbage] {
        let mut settings = proconnect_bff::settings::Settings::default();
        settings.provider.issuer = Some("http://127.0.0.1:9/api/v2".parse()?);
        settings.session.store = SessionStoreSettings::Sqlite { path: path.clone() };
        let error = match proconnect_bff::App::new(settings)?.router().await {
            Ok(_) => anyhow::bail!("started with an unwritable session store at {}", path.display()),
            Err(error) => format!("{error:#}"),
        };
        println!("unwritable SQLite {}: {error}", path.display());
        ensure!(
            error.contains("session store") && error.contains(&path.parent().unwrap_or(&path).display().to_string()),
            "{error}"
        );
    }
    Ok(())
}

fn record(minutes: i64) -> tower_sessions::session::Record {
    tower_sessions::session::Record {
        id: tower_sessions::session::Id::default(),
        data: [("agent".to_owned(), serde_json::json!({ "sub": "someone" }))].into(),
        expiry_date: time::OffsetDateTime::now_utc() + time::Duration::minutes(minutes),
    }
}

/// A file written by `tower-sessions-sqlx-store` 0.15 (its table, MessagePack records, RFC 3339
/// expiry dates): its live sessions load, its expired ones do not and are purged, and a session
/// saved again replaces its row.
#[tokio::test]
async fn the_sqlite_store_keeps_the_sessions_of_files_written_by_the_sqlx_store() -> anyhow::Result<()> {
    use proconnect_bff::sqlite_store::SqliteStore;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("sessions.sqlite");
    let (live, expired) = (record(60), record(-1));
    {
        // What the sqlx store's `migrate` and `create` ran.
        let conn = rusqlite::Connection::open(&path)?;
        conn.execute_batch(
            "create table if not exists tower_sessions \
             (id text primary key not null, data blob not null, expiry_date integer not null)",
        )?;
        for record in [&live, &expired] {
            let expiry = record.expiry_date.format(&time::format_description::well_known::Rfc3339)?;
            conn.execute(
                "insert or abort into tower_sessions (id, data, expiry_date) values (?, ?, ?)",
                (record.id.to_string(), rmp_serde::to_vec(record)?, expiry),
            )?;
        }
    }
    let store = SqliteStore::open(&path).await?;
    ensure!(store.load(&live.id).await?.as_ref() == Some(&live), "the live session loads");
    ensure!(store.load(&expired.id).await?.is_none(), "the expired one does not");
    ensure!(store.purge_expired().await? == 1, "the expired one is purged");
    let mut changed = live.clone();
    changed.data.insert("more".into(), 1.into());
    changed.expiry_date += time::Duration::minutes(5);
    store.save(&changed).await?;
    ensure!(store.load(&live.id).await?.as_ref() == Some(&changed), "saved over");
    let rows: i64 =
        rusqlite::Connection::open(&path)?.query_row("select count(*) from tower_sessions", [], |r| r.get(0))?;
    ensure!(rows == 1, "{rows} rows");
    Ok(())
}

/// Thousands of concurrent writes (which share transactions) are all committed: another store
/// on the file reads them. `create` never overwrites a taken id; the purge deletes every expired
/// row over several batches and nothing else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_store_commits_concurrent_writes_and_purges_in_batches() -> anyhow::Result<()> {
    use proconnect_bff::sqlite_store::{EXPIRED_BATCH, SqliteStore};
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("sessions.sqlite");
    let store = SqliteStore::open(&path).await?;
    let (live, expired) = (600, 2 * EXPIRED_BATCH as usize + 500);
    let mut writes = tokio::task::JoinSet::new();
    for n in 0..live + expired {
        let store = store.clone();
        writes.spawn(async move {
            let mut record = record(if n < live { 60 } else { -1 });
            store.create(&mut record).await?;
            if n % 2 == 0 {
                record.data.insert("saved".into(), true.into());
                store.save(&record).await?;
            }
            anyhow::Ok((n, record))
        });
    }
    // In the order of `n` (tasks complete in any order).
    let mut written = writes.join_all().await.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    written.sort_by_key(|(n, _)| *n);
    let written: Vec<_> = written.into_iter().map(|(_, record)| record).collect();

    let other = SqliteStore::open(&path).await?;
    for record in &written[..live] {
        let read = other.load(&record.id).await?;
        ensure!(read.as_ref() == Some(record), "committed and read back: {read:?} for {record:?}");
    }
    for record in &written[live..] {
        ensure!(other.load(&record.id).await?.is_none(), "expired: not loaded");
    }

    let taken = written[0].clone();
    let mut clash = record(60);
    clash.id = taken.id;
    store.create(&mut clash).await?;
    ensure!(clash.id != taken.id, "a new id for a taken one");
    ensure!(other.load(&taken.id).await?.as_ref() == Some(&taken), "the first session is untouched");
    ensure!(other.load(&clash.id).await?.as_ref() == Some(&clash), "the second one under its new id");

    ensure!(store.purge_expired().await? == expired as u64, "every expired row, in several batches");
    let rows: i64 =
        rusqlite::Connection::open(&path)?.query_row("select count(*) from tower_sessions", [], |r| r.get(0))?;
    ensure!(rows == live as i64 + 1, "the live rows stay: {rows}");
    store.delete(&taken.id).await?;
    ensure!(other.load(&taken.id).await?.is_none(), "deleted");
    Ok(())
}

/// A closed store (as one whose file went away) answers errors, never panics; its writes queued
/// before the close are committed.
#[tokio::test]
async fn a_closed_sqlite_store_fails_cleanly() -> anyhow::Result<()> {
    use proconnect_bff::sqlite_store::SqliteStore;
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("sessions.sqlite");
    let store = SqliteStore::open(&path).await?;
    let mut kept = record(60);
    store.create(&mut kept).await?;
    store.close().await;
    let mut refused = record(60);
    ensure!(store.create(&mut refused).await.is_err(), "create after close");
    ensure!(store.save(&refused).await.is_err(), "save after close");
    ensure!(store.load(&kept.id).await.is_err(), "load after close");
    ensure!(store.delete(&kept.id).await.is_err(), "delete after close");
    ensure!(store.purge_expired().await.is_err(), "purge after close");
    let reopened = SqliteStore::open(&path).await?;
    ensure!(reopened.load(&kept.id).await?.as_ref() == Some(&kept), "written before the close");
    ensure!(reopened.load(&refused.id).await?.is_none(), "nothing after it");
    Ok(())
}

#[tokio::test]
async fn redis_store_round_trip_shared_by_two_instances_and_an_outage() -> anyhow::Result<()> {
    let mut redis = RedisServer::start()?;
    let url = redis.url();
    let kit = Kit::start_with(|s| s.session.store = SessionStoreSettings::Redis { url }).await?;
    round_trip(&kit).await?;

    // Sign in through one instance, use and end the session through the other.
    let (other, _server) = kit.another_backend().await?;
    let browser = Browser::new();
    ensure!(browser.sign_in(&kit).await?.status == 303, "sign-in through the first instance");
    let me = browser.me(&other).await?;
    ensure!(me.status == 200, "the second instance sees the session: {} {}", me.status, me.body);
    sign_out(&browser, &other).await?;
    ensure!(browser.me(&other).await?.status == 401, "gone on the second instance");
    ensure!(browser.me(&kit.url).await?.status == 401, "gone on the first instance");

    // An outage: a clear 503 in JSON, quickly, and /readyz says so.
    ensure!(browser.sign_in(&kit).await?.status == 303, "signed in before the outage");
    redis.stop();
    let started = std::time::Instant::now();
    let me = browser.me(&kit.url).await?;
    println!("Redis down, /api/me: HTTP {} {} in {:?}", me.status.as_u16(), me.body, started.elapsed());
    ensure!(me.status == 503 && me.json()?["error"] == "session_store_unavailable", "{} {}", me.status, me.body);
    ensure!(started.elapsed() < std::time::Duration::from_secs(5), "a quick answer, not a hang");
    let login = Browser::new().get(&kit.at("auth/login")).await?;
    println!("Redis down, /auth/login: HTTP {} {}", login.status.as_u16(), login.body);
    ensure!(
        login.status == 503 && login.body.contains("Sessions are temporarily unavailable"),
        "sign-in during the outage: {} {}",
        login.status,
        login.body
    );
    ensure!(
        login.header("content-type").is_some_and(|t| t.starts_with("text/html")),
        "a page for a browser navigation"
    );
    let ready = Browser::new().get(&kit.at("readyz")).await?;
    ensure!(ready.status == 503, "/readyz during the outage: {} {}", ready.status, ready.body);

    // Back by itself: the data is gone (no persistence), so the agent signs in again.
    redis.resume()?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let me = loop {
        let me = browser.me(&kit.url).await?;
        if me.status != 503 || std::time::Instant::now() > deadline {
            break me;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    ensure!(me.status == 401, "after the outage: {} {}", me.status, me.body);
    ensure!(Browser::new().sign_in(&kit).await?.status == 303, "signing in works again");
    Ok(())
}

#[tokio::test]
async fn the_absolute_lifetime_is_enforced() -> anyhow::Result<()> {
    let kit = Kit::start_with_visible_store().await?;
    let browser = Browser::new();
    browser.sign_in(&kit).await?;
    let me = browser.me(&kit.url).await?.json()?;
    let expires_at = me["expires_at"].as_i64().context("expires_at")?;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    ensure!((expires_at - now - 12 * 3600).abs() < 60, "12 hours from sign-in: {expires_at} vs now {now}");
    // Twelve hours later (the record says so), whatever the activity.
    let mut record = kit.session_record(&browser).await?.context("a record")?;
    let mut agent = kit.session_value(&browser, "agent").await?;
    agent["expires_at"] = (now - 1).into();
    record.data.insert("agent".into(), agent.to_string().into());
    kit.store.as_ref().context("store")?.save(&record).await?;
    ensure!(browser.me(&kit.url).await?.status == 401, "expired");
    ensure!(kit.session_record(&browser).await?.is_none(), "the expired session is deleted");
    Ok(())
}

#[tokio::test]
async fn the_idle_timeout_is_configurable() -> anyhow::Result<()> {
    let kit = Kit::start_with(|s| {
        s.session.idle_timeout_minutes = 5;
        s.session.persistent_cookie = true;
    })
    .await?;
    let browser = Browser::new();
    let done = browser.sign_in(&kit).await?;
    let cookie = done.set_cookies.iter().find(|c| c.starts_with("session=")).context("cookie at sign-in")?;
    ensure!(cookie.contains("Max-Age=300"), "a persistent cookie lasts the 5 minutes of inactivity: {cookie}");
    // Idle past the timeout (the record's expiry is what the store checks).
    let kit = Kit::start_with_visible_store().await?;
    let browser = Browser::new();
    browser.sign_in(&kit).await?;
    let mut record = kit.session_record(&browser).await?.context("a record")?;
    let default_idle = time::Duration::minutes(kit.settings.session.idle_timeout_minutes as i64);
    let left = record.expiry_date - time::OffsetDateTime::now_utc();
    ensure!((left - default_idle).abs() < time::Duration::minutes(1), "expiry follows the idle timeout: {left}");
    record.expiry_date = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
    kit.store.as_ref().context("store")?.save(&record).await?;
    ensure!(browser.me(&kit.url).await?.status == 401, "idle too long");
    Ok(())
}

#[tokio::test]
async fn activity_pushes_the_idle_timeout_back_at_most_once_a_minute() -> anyhow::Result<()> {
    let kit = Kit::start_with_visible_store().await?;
    let browser = Browser::new();
    browser.sign_in(&kit).await?;
    // Right after sign-in, reading the profile saves nothing.
    let me = browser.me(&kit.url).await?;
    ensure!(me.status == 200 && me.set_cookies.is_empty(), "no write within the minute: {:?}", me.set_cookies);
    // Last saved two minutes ago, close to idling out: the next read saves it with a fresh expiry.
    let now = time::OffsetDateTime::now_utc();
    let mut record = kit.session_record(&browser).await?.context("a record")?;
    record.data.insert("touched_at".into(), (now.unix_timestamp() - 120).into());
    record.expiry_date = now + time::Duration::minutes(1);
    kit.store.as_ref().context("store")?.save(&record).await?;
    let me = browser.me(&kit.url).await?;
    ensure!(me.status == 200, "still signed in: {}", me.status);
    ensure!(me.set_cookies.iter().any(|c| c.starts_with("session=")), "the cookie is renewed: {:?}", me.set_cookies);
    let record = kit.session_record(&browser).await?.context("a record")?;
    let idle = time::Duration::minutes(kit.settings.session.idle_timeout_minutes as i64);
    let left = record.expiry_date - time::OffsetDateTime::now_utc();
    ensure!((left - idle).abs() < time::Duration::minutes(1), "the idle timeout starts again: {left}");
    Ok(())
}

/// `rediss://`: sessions in a Redis that speaks only TLS, with a certificate from the
/// deployment's own authority (`ca_bundle`); without the bundle, start-up is refused.
#[tokio::test]
async fn redis_over_tls_trusts_the_ca_bundle_and_nothing_else() -> anyhow::Result<()> {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let dir = tempfile::tempdir()?;
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key)?;
    let key = KeyPair::generate()?;
    let certificate = CertificateParams::new(vec!["127.0.0.1".to_owned()])?.signed_by(&key, &ca, &ca_key)?;
    let (ca_file, certificate_file, key_file) =
        (dir.path().join("ca.pem"), dir.path().join("redis.pem"), dir.path().join("redis.key"));
    std::fs::write(&ca_file, ca.pem())?;
    std::fs::write(&certificate_file, certificate.pem())?;
    std::fs::write(&key_file, key.serialize_pem())?;
    let redis = RedisServer::start_tls(&certificate_file, &key_file)?;
    let url = redis.url();
    ensure!(url.starts_with("rediss://"), "{url}");

    let untrusted = url.clone();
    let refused = Kit::start_with(move |s| s.session.store = SessionStoreSettings::Redis { url: untrusted }).await;
    let error = refused.err().map(|e| format!("{e:#}")).unwrap_or_default();
    ensure!(error.contains("Redis"), "a Redis certificate from an unknown authority is refused: {error}");

    let kit = Kit::start_with(move |s| {
        s.session.store = SessionStoreSettings::Redis { url };
        s.ca_bundle = Some(ca_file);
    })
    .await?;
    round_trip(&kit).await
}

/// How long a session record has left.
fn left(record: &tower_sessions::session::Record) -> time::Duration {
    record.expiry_date - time::OffsetDateTime::now_utc()
}

fn lifetime_attributes(set_cookie: &str) -> bool {
    let lower = set_cookie.to_ascii_lowercase();
    lower.contains("max-age") || lower.contains("expires")
}

#[tokio::test]
async fn a_session_before_sign_in_lives_as_long_as_its_login_then_the_idle_timeout() -> anyhow::Result<()> {
    let kit = Kit::start_with_visible_store().await?;
    let login_ttl = time::Duration::seconds(proconnect_bff::session::LOGIN_TTL_SECONDS);
    let idle = time::Duration::minutes(kit.settings.session.idle_timeout_minutes as i64);
    ensure!(login_ttl < idle - time::Duration::minutes(5), "the two lifetimes can be told apart");
    let browser = Browser::new();
    let authorize = browser.start_login(&kit, "").await?;
    let record = kit.session_record(&browser).await?.context("a record at /auth/login")?;
    let pending = left(&record);
    ensure!(pending <= login_ttl && pending > login_ttl - time::Duration::minutes(1), "dies with the login: {pending}");

    let callback = browser.through_provider(&kit, &authorize).await?;
    ensure!(browser.get(&callback).await?.status == 303, "sign-in");
    let signed_in = left(&kit.session_record(&browser).await?.context("a record after sign-in")?);
    ensure!((signed_in - idle).abs() < time::Duration::minutes(1), "the idle timeout once signed in: {signed_in}");

    // A step-up started by the signed-in agent does not shorten their session.
    browser.start_login(&kit, "?acr=two-factor").await?;
    let stepping_up = left(&kit.session_record(&browser).await?.context("a record during step-up")?);
    ensure!((stepping_up - idle).abs() < time::Duration::minutes(1), "still the idle timeout: {stepping_up}");
    ensure!(browser.me(&kit.url).await?.status == 200, "still signed in");
    Ok(())
}

#[tokio::test]
async fn the_session_cookie_ends_with_the_browser_while_the_server_keeps_the_idle_timeout() -> anyhow::Result<()> {
    let kit = Kit::start_with_visible_store().await?;
    ensure!(!kit.settings.session.persistent_cookie, "a browser-session cookie by default");
    let browser = Browser::new();
    let login = browser.get(&kit.at("auth/login")).await?;
    let cookie = login.set_cookies.iter().find(|c| c.starts_with("session=")).context("a cookie at login")?;
    ensure!(!lifetime_attributes(cookie), "no Max-Age nor Expires at login: {cookie}");
    let callback = browser.through_provider(&kit, &login.next("login")?).await?;
    let done = browser.get(&callback).await?;
    ensure!(done.status == 303, "sign-in: {} {}", done.status, done.body);
    let cookie = done.set_cookies.iter().find(|c| c.starts_with("session=")).context("a cookie at sign-in")?;
    ensure!(!lifetime_attributes(cookie), "no Max-Age nor Expires at sign-in: {cookie}");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        ensure!(cookie.contains(attribute), "{attribute} kept: {cookie}");
    }

    // Server-side, the record still idles out.
    let mut record = kit.session_record(&browser).await?.context("a record")?;
    let idle = time::Duration::minutes(kit.settings.session.idle_timeout_minutes as i64);
    ensure!((left(&record) - idle).abs() < time::Duration::minutes(1), "the idle timeout: {}", left(&record));
    record.expiry_date = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
    kit.store.as_ref().context("store")?.save(&record).await?;
    ensure!(browser.me(&kit.url).await?.status == 401, "idle too long");

    // The cookie that ends a session still removes it from the browser.
    let leaving = Browser::new();
    ensure!(leaving.sign_in(&kit).await?.status == 303, "sign-in");
    let done = leaving.sign_out(&kit.url).await?;
    let removal = done.set_cookies.iter().find(|c| c.starts_with("session=")).context("a removal cookie")?;
    ensure!(testkit::is_removal(removal), "the sign-out removes the cookie: {removal}");
    ensure!(leaving.session_cookie(&kit).is_none(), "no cookie left: {}", leaving.cookies_for(&kit.url));
    Ok(())
}

/// A sign-in that takes as long as the login transaction's lifetime is refused at the callback,
/// and one that takes a little less is not: the backend's clock is moved, not waited for.
#[tokio::test]
async fn a_login_transaction_expires_after_its_lifetime() -> anyhow::Result<()> {
    let ttl = proconnect_bff::session::LOGIN_TTL_SECONDS;
    let (kit, state) = Kit::start_keeping_state(|_| {}).await?;
    let browser = Browser::new();
    let authorize = browser.start_login(&kit, "").await?;
    let callback = browser.through_provider(&kit, &authorize).await?;
    state.clock.advance(ttl);
    let late = browser.get(&callback).await?;
    ensure!(late.status == 400 && late.body.contains("login_expired"), "{} {}", late.status, late.body);
    ensure!(browser.me(&kit.url).await?.status == 401, "not signed in");

    let browser = Browser::new();
    let authorize = browser.start_login(&kit, "").await?;
    let callback = browser.through_provider(&kit, &authorize).await?;
    state.clock.advance(ttl - 5);
    let in_time = browser.get(&callback).await?;
    ensure!(in_time.status == 303, "{} {}", in_time.status, in_time.body);
    ensure!(browser.me(&kit.url).await?.status == 200, "signed in");

    // The absolute lifetime counts on the same clock.
    state.clock.advance(kit.settings.session.absolute_hours as i64 * 3600);
    ensure!(browser.me(&kit.url).await?.status == 401, "signed out after the absolute lifetime");
    Ok(())
}
