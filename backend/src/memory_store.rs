//! Sessions in process memory: a bounded cache that, once full, forgets the least recently used
//! session — never the one being created — and drops each session at its expiry.
//!
//! `tower-sessions-moka-store` uses moka's default TinyLFU policy, which may refuse to admit a
//! new entry when the cache is full: a sign-in then loses its session a moment after it was
//! created (measured by `./x bench --soak`, BENCHMARKS.md). Sessions want plain LRU.

use async_trait::async_trait;
use moka::future::Cache;
use moka::policy::EvictionPolicy;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// A bounded, least-recently-used session store in process memory.
#[derive(Debug, Clone)]
pub struct MemoryStore {
    cache: Cache<Id, Record>,
}

impl MemoryStore {
    /// Keeps at most `capacity` sessions.
    pub fn new(capacity: u64) -> Self {
        Self::with_max_age(capacity, None)
    }

    /// Keeps at most `capacity` sessions, each for at most `max_age` after it was last written
    /// here (a copy of a store held elsewhere), or until its expiry if sooner.
    pub fn with_max_age(capacity: u64, max_age: Option<Duration>) -> Self {
        MemoryStore {
            cache: Cache::builder()
                .max_capacity(capacity)
                .eviction_policy(EvictionPolicy::lru())
                .expire_after(UntilExpiry { max_age })
                .build(),
        }
    }

    /// Forgets every session (a cache whose source can no longer be trusted).
    pub fn clear(&self) {
        self.cache.invalidate_all();
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        while self.cache.contains_key(&record.id) {
            record.id = Id::default();
        }
        self.cache.insert(record.id, record.clone()).await;
        Ok(())
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.cache.insert(record.id, record.clone()).await;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        Ok(self.cache.get(id).await)
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.cache.invalidate(id).await;
        Ok(())
    }
}

/// How many times each session was written, counted per shard of ids: a read that fetched a
/// session before a write of it must not keep its copy (see [`CopyInFront::load`]).
#[derive(Debug)]
pub struct Generations([AtomicU64; Self::SHARDS]);

impl Default for Generations {
    fn default() -> Self {
        Generations(std::array::from_fn(|_| AtomicU64::new(0)))
    }
}

impl Generations {
    const SHARDS: usize = 64;

    /// The count of `id`'s shard.
    pub fn of(&self, id: &Id) -> u64 {
        // Ids are random: their low bits spread them evenly.
        self.0[(id.0 as u64 as usize) % Self::SHARDS].load(Ordering::SeqCst)
    }

    /// Counts a write of `id`.
    pub fn bump(&self, id: &Id) {
        self.0[(id.0 as u64 as usize) % Self::SHARDS].fetch_add(1, Ordering::SeqCst);
    }
}

/// A store that only this process writes (SQLite) read through a [`MemoryStore`]: every write
/// goes to the store, then to the copy; a read that misses copies what it read unless the
/// session was written meanwhile. (tower-sessions' `CachingSessionStore` copies it anyway: a
/// read racing a sign-out could put the signed-out session back in the cache.)
#[derive(Debug, Clone)]
pub struct CopyInFront<S> {
    local: MemoryStore,
    store: S,
    writes: Arc<Generations>,
}

impl<S> CopyInFront<S> {
    /// `store` behind `local`.
    pub fn new(local: MemoryStore, store: S) -> Self {
        CopyInFront { local, store, writes: Arc::default() }
    }
}

#[async_trait]
impl<S: SessionStore> SessionStore for CopyInFront<S> {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.store.create(record).await?;
        self.local.save(record).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.store.save(record).await?;
        self.writes.bump(&record.id);
        self.local.save(record).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        if let Some(record) = self.local.load(id).await? {
            return Ok(Some(record));
        }
        let before = self.writes.of(id);
        let record = self.store.load(id).await?;
        if let Some(record) = &record
            && self.writes.of(id) == before
        {
            self.local.save(record).await?;
            // A write counted now may have gone before this copy: drop it if so.
            if self.writes.of(id) != before {
                self.local.delete(id).await?;
            }
        }
        Ok(record)
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.local.delete(id).await?;
        self.store.delete(id).await?;
        self.writes.bump(id);
        self.local.delete(id).await
    }
}

/// Each session leaves the cache at its own expiry date, or `max_age` after it was written.
struct UntilExpiry {
    max_age: Option<Duration>,
}

impl UntilExpiry {
    fn until(&self, record: &Record) -> Duration {
        let until: Duration = (record.expiry_date - OffsetDateTime::now_utc()).try_into().unwrap_or_default();
        self.max_age.map_or(until, |max_age| until.min(max_age))
    }
}

impl moka::Expiry<Id, Record> for UntilExpiry {
    fn expire_after_create(&self, _: &Id, record: &Record, _: Instant) -> Option<Duration> {
        Some(self.until(record))
    }

    fn expire_after_update(&self, _: &Id, record: &Record, _: Instant, _: Option<Duration>) -> Option<Duration> {
        Some(self.until(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn record(minutes: i64) -> Record {
        Record {
            id: Id::default(),
            data: HashMap::new(),
            expiry_date: OffsetDateTime::now_utc() + time::Duration::minutes(minutes),
        }
    }

    /// Full, the store keeps every new session and forgets the least recently used ones.
    #[tokio::test]
    async fn when_full_new_sessions_are_kept_and_the_least_recently_used_go() -> anyhow::Result<()> {
        let store = MemoryStore::new(100);
        let mut hot = record(60);
        store.create(&mut hot).await?;
        let mut lost = 0;
        for _ in 0..1_000 {
            let mut new = record(60);
            store.create(&mut new).await?;
            store.cache.run_pending_tasks().await;
            // Read at once, as a sign-in reads the session it just created; the hot one is in use.
            if store.load(&new.id).await?.is_none() {
                lost += 1;
            }
            assert!(store.load(&hot.id).await?.is_some(), "a session in use stays");
        }
        store.cache.run_pending_tasks().await;
        assert_eq!(lost, 0, "new sessions refused by the cache");
        assert!(store.cache.entry_count() <= 100, "bounded: {}", store.cache.entry_count());
        let mut expired = record(-1);
        store.create(&mut expired).await?;
        assert!(store.load(&expired.id).await?.is_none(), "an expired session is gone");
        Ok(())
    }

    /// A store whose reads wait for the test's go-ahead after fetching, to order a race.
    #[derive(Debug, Clone)]
    struct Held {
        inner: MemoryStore,
        fetched: Arc<tokio::sync::Notify>,
        go: Arc<tokio::sync::Notify>,
    }

    #[async_trait]
    impl SessionStore for Held {
        async fn create(&self, record: &mut Record) -> session_store::Result<()> {
            self.inner.create(record).await
        }
        async fn save(&self, record: &Record) -> session_store::Result<()> {
            self.inner.save(record).await
        }
        async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
            let record = self.inner.load(id).await;
            self.fetched.notify_one();
            self.go.notified().await;
            record
        }
        async fn delete(&self, id: &Id) -> session_store::Result<()> {
            self.inner.delete(id).await
        }
    }

    /// A read that fetched a session before its sign-out (the delete) keeps no copy of it.
    #[tokio::test]
    async fn a_read_racing_a_deletion_keeps_no_copy() -> anyhow::Result<()> {
        let store = Held { inner: MemoryStore::new(100), fetched: Arc::default(), go: Arc::default() };
        let mut session = record(60);
        store.inner.create(&mut session).await?;
        let cached = CopyInFront::new(MemoryStore::new(100), store.clone());
        let reader = {
            let cached = cached.clone();
            let id = session.id;
            tokio::spawn(async move { cached.load(&id).await })
        };
        store.fetched.notified().await;
        // The sign-out, while the read holds the record it fetched.
        cached.delete(&session.id).await?;
        store.go.notify_one();
        assert!(reader.await??.is_some(), "the read returns what it fetched");
        assert!(cached.local.load(&session.id).await?.is_none(), "but keeps no copy of a deleted session");
        Ok(())
    }
}
