//! Redis sessions read through a bounded local copy, kept honest by invalidation over Redis
//! pub/sub.
//!
//! Each instance keeps the sessions it reads in a [`MemoryStore`] (bounded, least recently used
//! first, each copy dropped at its session's expiry). Every change an instance makes (save,
//! delete: sign-out, step-up, the idle timeout pushed back) goes to Redis first, then is
//! published on [`CHANNEL`]; every instance subscribed drops its copy of that session, and the
//! next read goes to Redis.
//!
//! Fail closed: the local copies are used only while this instance is known to receive the
//! invalidations — subscribed, and its own heartbeat, published every [`HEARTBEAT`], came back
//! through the subscription within [`HEARTBEAT_DEADLINE`]. When the subscription drops (Redis
//! restarted, connection lost, a heartbeat late, a message lost to a lagging receiver), every
//! copy is forgotten and reads go to Redis until the subscription is back and proven by a
//! heartbeat.
//!
//! A read that misses copies what it read only if no invalidation of that session (nor a change
//! of the subscription's state) happened since just before the read was sent: otherwise a copy
//! read before another instance's change could be kept after its invalidation went by.
//!
//! The staleness window, what another instance may still serve after a change: the time the
//! invalidation takes to reach it (a Redis round trip on a healthy network). Whatever fails (an
//! invalidation not published, a subscription silently cut, a key evicted or flushed in Redis),
//! a copy is never older than its maximum age ([`COPY_MAX_AGE`] in the backend): what an
//! instance serves was in Redis at most that long ago.

use crate::memory_store::{Generations, MemoryStore};
use async_trait::async_trait;
use fred::prelude::{ClientLike, EventInterface, PubsubInterface};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use tower_sessions_redis_store::RedisStore;
use tower_sessions_redis_store::fred::prelude as redis;

/// The pub/sub channel of the invalidations.
pub const CHANNEL: &str = "bff:sessions:invalidate";
/// How often each instance publishes its heartbeat.
pub const HEARTBEAT: Duration = Duration::from_secs(1);
/// A heartbeat not back within this long marks the subscription down.
pub const HEARTBEAT_DEADLINE: Duration = Duration::from_secs(3);
/// The backend's copies are dropped this long after they were read from Redis, whatever happens.
pub const COPY_MAX_AGE: Duration = HEARTBEAT_DEADLINE;

/// What the request path and the subscription task share.
struct Invalidation {
    /// This instance's name on the channel (random), to recognise its own messages.
    instance: String,
    /// Whether the local copies may be served.
    serving: AtomicBool,
    /// Bumped at every change of `serving` and every lost message.
    epoch: AtomicU64,
    /// Counts the invalidations of each session.
    writes: Generations,
    local: MemoryStore,
}

impl Invalidation {
    fn snapshot(&self, id: &Id) -> (u64, u64) {
        (self.epoch.load(Ordering::SeqCst), self.writes.of(id))
    }

    /// `id` changed (here or on another instance): the counter first, then the copy (see
    /// [`RedisCachedStore::load`]).
    async fn invalidate(&self, id: &Id) {
        self.writes.bump(id);
        let _ = self.local.delete(id).await;
    }

    /// Forgets every copy (a state change, a lost message).
    fn forget_all(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
        self.local.clear();
    }

    fn set_serving(&self, serving: bool) {
        if self.serving.swap(serving, Ordering::SeqCst) != serving {
            self.forget_all();
            if serving {
                tracing::info!("session cache: invalidations received, local copies in use");
            } else {
                tracing::warn!("session cache: invalidations not received, every read goes to Redis");
            }
        }
    }
}

/// The Redis store behind a local copy with invalidation (see the module's documentation).
#[derive(Clone)]
pub struct RedisCachedStore {
    redis: RedisStore<redis::Pool>,
    pool: redis::Pool,
    shared: Arc<Invalidation>,
    /// Ends the subscription task when the last clone is dropped.
    _task: Arc<AbortOnDrop>,
}

impl std::fmt::Debug for RedisCachedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisCachedStore").field("serving", &self.serves_local_copies()).finish_non_exhaustive()
    }
}

/// The subscription task and its client: stopped when the last clone of the store goes.
struct AbortOnDrop(tokio::task::JoinHandle<()>, redis::Client);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let client = self.1.clone();
            runtime.spawn(async move {
                let _ = client.quit().await;
            });
        }
    }
}

impl RedisCachedStore {
    /// Sessions in Redis through `pool`, copied locally (at most `capacity`, each for at most
    /// `copy_max_age`) while `subscriber`, a client of its own (pub/sub takes the connection),
    /// receives the invalidations. Starts the subscription task; the copies are used once the
    /// first heartbeat came back.
    pub fn new(pool: redis::Pool, subscriber: redis::Client, capacity: u64, copy_max_age: Duration) -> Self {
        let shared = Arc::new(Invalidation {
            instance: crate::state::random_token(),
            serving: AtomicBool::new(false),
            epoch: AtomicU64::new(0),
            writes: Generations::default(),
            local: MemoryStore::with_max_age(capacity, Some(copy_max_age)),
        });
        let task = tokio::spawn(subscribe(subscriber.clone(), pool.clone(), shared.clone()));
        let task = Arc::new(AbortOnDrop(task, subscriber));
        RedisCachedStore { redis: RedisStore::new(pool.clone()), pool, shared, _task: task }
    }

    /// Connects to Redis at `url` as the backend does (`ca_bundle` for `rediss://`), with local
    /// copies of at most `capacity` sessions, each kept at most `copy_max_age`.
    pub async fn connect(
        url: &str,
        ca_bundle: Option<&std::path::Path>,
        capacity: u64,
        copy_max_age: Duration,
    ) -> anyhow::Result<Self> {
        let (pool, subscriber) = crate::redis_clients(url, ca_bundle).await?;
        Ok(Self::new(pool, subscriber, capacity, copy_max_age))
    }

    /// Whether reads may be answered from the local copies now (the subscription is known good).
    pub fn serves_local_copies(&self) -> bool {
        self.shared.serving.load(Ordering::SeqCst)
    }

    /// Waits, at most `timeout`, until [`Self::serves_local_copies`] is `serving`.
    pub async fn wait_until_serving(&self, serving: bool, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while self.serves_local_copies() != serving {
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        true
    }

    /// Tells the other instances that `id` changed. A failure is the caller's error: the change
    /// is in Redis, but other instances might keep their copy.
    async fn publish(&self, id: &Id) -> session_store::Result<()> {
        let message = format!("{} {id}", self.shared.instance);
        self.pool
            .next()
            .publish::<i64, _, _>(CHANNEL, message)
            .await
            .map(|_| ())
            .map_err(|e| session_store::Error::Backend(format!("Redis: publishing an invalidation: {e}")))
    }
}

#[async_trait]
impl SessionStore for RedisCachedStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A new id: no instance holds a copy of it.
        self.redis.create(record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        // Not copied here: the save is `SET XX`, a no-op if another instance has just deleted the
        // session, and a copy would bring it back. The next read fetches it.
        let _ = self.shared.local.delete(&record.id).await;
        self.redis.save(record).await?;
        // Counted here too: a read of this instance that fetched the record before this write
        // must not keep its copy.
        self.shared.invalidate(&record.id).await;
        self.publish(&record.id).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let shared = &self.shared;
        if !shared.serving.load(Ordering::SeqCst) {
            return self.redis.load(id).await;
        }
        if let Some(record) = shared.local.load(id).await? {
            return Ok(Some(record));
        }
        let before = shared.snapshot(id);
        let record = self.redis.load(id).await?;
        if let Some(record) = &record
            && shared.serving.load(Ordering::SeqCst)
            && shared.snapshot(id) == before
        {
            shared.local.save(record).await?;
            // An invalidation counted now may have deleted before this copy was made: check
            // again after it, and drop the copy if so.
            if shared.snapshot(id) != before || !shared.serving.load(Ordering::SeqCst) {
                shared.local.delete(id).await?;
            }
        }
        Ok(record)
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        let _ = self.shared.local.delete(id).await;
        self.redis.delete(id).await?;
        self.shared.invalidate(id).await;
        self.publish(id).await
    }
}

/// The subscription task: subscribes, applies the other instances' invalidations, publishes the
/// heartbeat and decides whether the local copies may be served. Runs until aborted.
async fn subscribe(subscriber: redis::Client, pool: redis::Pool, shared: Arc<Invalidation>) {
    use tokio::sync::broadcast::error::RecvError;
    let mut messages = subscriber.message_rx();
    let mut errors = subscriber.error_rx();
    let mut reconnections = subscriber.reconnect_rx();
    let heartbeat_message = shared.instance.clone();
    let mut subscribed = false;
    let mut heard: Option<Instant> = None;
    let mut sent: Option<Instant> = None;
    let mut ticks = tokio::time::interval(HEARTBEAT);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let _connection = subscriber.connect();
    loop {
        if !subscribed && subscriber.is_connected() {
            match subscriber.subscribe(CHANNEL).await {
                Ok(()) => {
                    subscribed = true;
                    heard = None;
                    sent = None;
                }
                Err(error) => tracing::warn!(%error, "session cache: cannot subscribe to the invalidations"),
            }
        }
        tokio::select! {
            message = messages.recv() => match message {
                Ok(message) => {
                    let Some(text) = message.value.as_str() else { continue };
                    match text.split_once(' ') {
                        None if *text == *heartbeat_message => heard = Some(Instant::now()),
                        None => {}
                        Some((instance, _)) if instance == shared.instance => {}
                        Some((_, id)) => match id.parse::<Id>() {
                            Ok(id) => shared.invalidate(&id).await,
                            Err(_) => shared.forget_all(),
                        },
                    }
                }
                Err(RecvError::Lagged(_)) => shared.forget_all(),
                Err(RecvError::Closed) => {
                    shared.set_serving(false);
                    return;
                }
            },
            error = errors.recv() => {
                // Each failed reconnection is one: logged once, by `set_serving`.
                match error {
                    Ok((error, _)) => tracing::debug!(%error, "session cache: the invalidation subscription is down"),
                    Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => {
                        shared.set_serving(false);
                        return;
                    }
                }
                subscribed = false;
                shared.set_serving(false);
            }
            reconnected = reconnections.recv() => {
                if let Err(RecvError::Closed) = reconnected {
                    shared.set_serving(false);
                    return;
                }
                subscribed = false;
                shared.set_serving(false);
            }
            _ = ticks.tick() => {
                if subscribed && sent.is_none_or(|at| heard.is_some_and(|h| h >= at) || at.elapsed() >= HEARTBEAT_DEADLINE) {
                    let published = pool.next().publish::<i64, _, _>(CHANNEL, heartbeat_message.as_str());
                    if tokio::time::timeout(HEARTBEAT, published).await.is_ok_and(|r| r.is_ok()) {
                        sent = Some(Instant::now());
                    }
                }
            }
        }
        // Serving needs the latest heartbeat back, and not too long ago.
        let fresh = heard.is_some_and(|h| h.elapsed() < HEARTBEAT_DEADLINE)
            && match (sent, heard) {
                (Some(at), Some(h)) => h >= at || at.elapsed() < HEARTBEAT_DEADLINE,
                _ => false,
            };
        shared.set_serving(subscribed && fresh);
    }
}
