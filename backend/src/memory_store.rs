//! Sessions in process memory: a bounded cache that, once full, forgets the least recently used
//! session — never the one being created — and drops each session at its expiry.
//!
//! `tower-sessions-moka-store` uses moka's default TinyLFU policy, which may refuse to admit a
//! new entry when the cache is full: a sign-in then loses its session a moment after it was
//! created (measured by `./x bench --soak`, BENCHMARKS.md). Sessions want plain LRU.

use async_trait::async_trait;
use moka::future::Cache;
use moka::policy::EvictionPolicy;
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
}
