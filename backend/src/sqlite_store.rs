//! Sessions in a SQLite file, written by one thread that commits the queued writes in batches.
//!
//! One dedicated thread owns the only write connection: every `create`, `save` and `delete` is
//! queued to it, it takes all that is waiting (up to [`MAX_BATCH`]) and runs it in one
//! transaction, each write as one prepared statement (`INSERT … ON CONFLICT`), and only then
//! answers the callers. So an acknowledged write is committed: in WAL mode with
//! `synchronous=NORMAL`, a crash of the process loses nothing acknowledged (a power cut may lose
//! the last commits). Reads go through a few read connections of their own, which WAL never
//! makes wait for the writer. Expired rows leave [`EXPIRED_BATCH`] at a time, each batch queued
//! like a write, so a purge never holds the writer for long.
//!
//! The file format is the one `tower-sessions-sqlx-store` used (table `tower_sessions`: `id`,
//! `data` as MessagePack, `expiry_date` as RFC 3339 UTC text), so existing files keep their
//! sessions; an index on `expiry_date` is added for the purge.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::{mpsc, oneshot};
use tower_sessions::ExpiredDeletion;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// At most this many queued writes share one transaction.
pub const MAX_BATCH: usize = 256;
/// Expired rows deleted by one statement (the purge loops until fewer are left).
pub const EXPIRED_BATCH: u32 = 1_000;
/// How long a connection waits for a lock held by another process before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Writes waiting for the writer beyond this make callers wait before queuing.
const QUEUE: usize = 4_096;
/// Idle read connections kept open.
const IDLE_READERS: usize = 4;

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS tower_sessions \
     (id TEXT PRIMARY KEY NOT NULL, data BLOB NOT NULL, expiry_date INTEGER NOT NULL);
     CREATE INDEX IF NOT EXISTS tower_sessions_expiry_date ON tower_sessions (expiry_date);";
const INSERT_NEW: &str =
    "INSERT INTO tower_sessions (id, data, expiry_date) VALUES (?1, ?2, ?3) ON CONFLICT(id) DO NOTHING";
const UPSERT: &str = "INSERT INTO tower_sessions (id, data, expiry_date) VALUES (?1, ?2, ?3) \
     ON CONFLICT(id) DO UPDATE SET data = excluded.data, expiry_date = excluded.expiry_date";
const SELECT: &str = "SELECT data FROM tower_sessions WHERE id = ?1 AND expiry_date > ?2";
const DELETE: &str = "DELETE FROM tower_sessions WHERE id = ?1";
const DELETE_EXPIRED: &str = "DELETE FROM tower_sessions WHERE rowid IN \
     (SELECT rowid FROM tower_sessions WHERE expiry_date < ?1 LIMIT ?2)";
/// A write that finds nothing to change: fails on a file that cannot be written.
const WRITE_PROBE: &str = "DELETE FROM tower_sessions WHERE id = ''";

/// A SQLite session store: one writer thread, batched commits, a few read connections.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writes: mpsc::Sender<Job>,
    /// Idle read connections; `None` once closed.
    readers: Mutex<Option<Vec<Connection>>>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore").field("path", &self.inner.path).finish_non_exhaustive()
    }
}

enum Op {
    /// Insert under a fresh id (drawing another while the id is taken).
    Create(Record),
    Save(Record),
    Delete(Id),
    /// Delete at most [`EXPIRED_BATCH`] expired rows.
    DeleteExpired,
    /// Stop after this batch.
    Close,
}

enum Done {
    Created(Id),
    Rows(usize),
}

struct Job {
    op: Op,
    done: oneshot::Sender<Result<Done, String>>,
}

impl SqliteStore {
    /// Opens (creating it and its directory if needed) the SQLite file at `path` in WAL mode and
    /// starts the writer thread. Fails, naming the file, if it cannot be opened or written.
    pub async fn open(path: &Path) -> anyhow::Result<Self> {
        let path = path.to_path_buf();
        tokio::task::spawn_blocking(move || Self::open_blocking(path)).await?
    }

    fn open_blocking(path: PathBuf) -> anyhow::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| anyhow::anyhow!("session store: cannot create {}: {e}", dir.display()))?;
        }
        let shown = path.display();
        let writer = connect(&path)
            .and_then(|conn| {
                conn.pragma_update(None, "journal_mode", "WAL")?;
                conn.pragma_update(None, "synchronous", "NORMAL")?;
                Ok(conn)
            })
            .map_err(|e| anyhow::anyhow!("session store: cannot open SQLite file {shown}: {e}"))?;
        writer
            .execute_batch(SCHEMA)
            .and_then(|()| writer.execute(WRITE_PROBE, []))
            .map_err(|e| anyhow::anyhow!("session store: cannot write SQLite file {shown}: {e}"))?;
        let reader = connect(&path)
            .and_then(|conn| conn.query_row(SELECT, ("", ""), |_| Ok(())).optional().map(|_| conn))
            .map_err(|e| anyhow::anyhow!("session store: cannot read SQLite file {shown}: {e}"))?;
        let (writes, queue) = mpsc::channel(QUEUE);
        std::thread::Builder::new()
            .name("sqlite-sessions".into())
            .spawn(move || write_loop(writer, queue))
            .map_err(|e| anyhow::anyhow!("session store: cannot start the SQLite writer thread: {e}"))?;
        Ok(SqliteStore { inner: Arc::new(Inner { path, writes, readers: Mutex::new(Some(vec![reader])) }) })
    }

    /// Deletes every expired row, [`EXPIRED_BATCH`] per transaction (writes queued meanwhile go
    /// between the batches); returns how many.
    pub async fn purge_expired(&self) -> session_store::Result<u64> {
        let mut total = 0;
        loop {
            let Done::Rows(deleted) = self.write(Op::DeleteExpired).await? else {
                return Err(self.error("unexpected answer from the writer"));
            };
            total += deleted as u64;
            if deleted < EXPIRED_BATCH as usize {
                return Ok(total);
            }
        }
    }

    /// Purges expired rows every `period` (the first time at once), until the store is dropped.
    pub fn spawn_purge(&self, period: Duration) {
        let store: Weak<Inner> = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(period);
            loop {
                every.tick().await;
                let Some(inner) = store.upgrade() else { return };
                if let Err(error) = (SqliteStore { inner }).purge_expired().await {
                    tracing::warn!(%error, "expired session cleanup failed");
                }
            }
        });
    }

    /// Finishes the writes already queued, then stops: every later operation fails (a store that
    /// is down, as far as the application can tell).
    pub async fn close(&self) {
        if let Ok(mut readers) = self.inner.readers.lock() {
            *readers = None;
        }
        let _ = self.write(Op::Close).await;
    }

    fn error(&self, what: impl std::fmt::Display) -> session_store::Error {
        session_store::Error::Backend(format!("SQLite {}: {what}", self.inner.path.display()))
    }

    async fn write(&self, op: Op) -> session_store::Result<Done> {
        let (done, answer) = oneshot::channel();
        self.inner.writes.send(Job { op, done }).await.map_err(|_| self.error("the store is closed"))?;
        answer.await.map_err(|_| self.error("the store is closed"))?.map_err(|e| self.error(e))
    }

    /// Runs `read` on an idle read connection (or a new one), off the async threads.
    async fn read<T: Send + 'static>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    ) -> session_store::Result<T> {
        let inner = self.inner.clone();
        let outcome = tokio::task::spawn_blocking(move || -> Result<T, String> {
            let idle = inner.readers.lock().map_err(|_| "a reader panicked".to_owned())?.as_mut().map(Vec::pop);
            let conn = match idle {
                None => return Err("the store is closed".into()),
                Some(Some(conn)) => conn,
                Some(None) => connect(&inner.path).map_err(|e| e.to_string())?,
            };
            let value = read(&conn).map_err(|e| e.to_string());
            if let Ok(mut readers) = inner.readers.lock()
                && let Some(readers) = readers.as_mut()
                && readers.len() < IDLE_READERS
            {
                readers.push(conn);
            }
            value
        })
        .await;
        outcome.map_err(|e| self.error(e))?.map_err(|e| self.error(e))
    }
}

/// A connection with the busy timeout set.
fn connect(path: &Path) -> rusqlite::Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    Ok(conn)
}

/// RFC 3339 in UTC with a fixed width, so that text order is time order.
fn expiry_text(date: OffsetDateTime) -> String {
    let utc = date.to_offset(time::UtcOffset::UTC);
    let (year, month, day) = (utc.year(), u8::from(utc.month()), utc.day());
    let (hour, minute, second, nanosecond) = (utc.hour(), utc.minute(), utc.second(), utc.nanosecond());
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{nanosecond:09}Z")
}

fn encode(record: &Record) -> Result<(String, Vec<u8>, String), String> {
    let data = rmp_serde::to_vec(record).map_err(|e| format!("cannot encode the session: {e}"))?;
    Ok((record.id.to_string(), data, expiry_text(record.expiry_date)))
}

/// The writer thread: takes what is queued, commits it as one transaction, answers.
fn write_loop(conn: Connection, mut queue: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(job) = queue.blocking_recv() {
        batch.push(job);
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let closing = batch.iter().any(|job| matches!(job.op, Op::Close));
        commit(&conn, &mut batch);
        if closing {
            return;
        }
    }
}

/// One transaction for the whole batch: each job gets its own outcome if the commit succeeds,
/// and every job gets the error if it does not.
fn commit(conn: &Connection, batch: &mut Vec<Job>) {
    let outcomes = match conn.prepare_cached("BEGIN IMMEDIATE").and_then(|mut begin| begin.execute([])) {
        Ok(_) => {
            let outcomes: Vec<_> = batch.iter_mut().map(|job| apply(conn, &mut job.op)).collect();
            // An I/O error may have rolled the whole transaction back: then nothing was written.
            let committed = if conn.is_autocommit() {
                Err("the transaction was rolled back".to_owned())
            } else {
                conn.prepare_cached("COMMIT").and_then(|mut commit| commit.execute([])).map_err(|e| e.to_string())
            };
            match committed {
                Ok(_) => outcomes,
                Err(error) => {
                    if !conn.is_autocommit() {
                        let _ = conn.execute_batch("ROLLBACK");
                    }
                    outcomes.iter().map(|_| Err(format!("commit failed: {error}"))).collect()
                }
            }
        }
        Err(error) => batch.iter().map(|_| Err(format!("cannot start a transaction: {error}"))).collect(),
    };
    for (job, outcome) in batch.drain(..).zip(outcomes) {
        let _ = job.done.send(outcome);
    }
}

fn apply(conn: &Connection, op: &mut Op) -> Result<Done, String> {
    let sql_error = |e: rusqlite::Error| e.to_string();
    match op {
        Op::Create(record) => loop {
            let (id, data, expiry) = encode(record)?;
            let inserted = conn.prepare_cached(INSERT_NEW).and_then(|mut s| s.execute((id, data, expiry)));
            match inserted.map_err(sql_error)? {
                0 => record.id = Id::default(),
                _ => return Ok(Done::Created(record.id)),
            }
        },
        Op::Save(record) => {
            let (id, data, expiry) = encode(record)?;
            conn.prepare_cached(UPSERT)
                .and_then(|mut s| s.execute((id, data, expiry)))
                .map(Done::Rows)
                .map_err(sql_error)
        }
        Op::Delete(id) => {
            conn.prepare_cached(DELETE).and_then(|mut s| s.execute([id.to_string()])).map(Done::Rows).map_err(sql_error)
        }
        Op::DeleteExpired => {
            let now = expiry_text(OffsetDateTime::now_utc());
            conn.prepare_cached(DELETE_EXPIRED)
                .and_then(|mut s| s.execute((now, EXPIRED_BATCH)))
                .map(Done::Rows)
                .map_err(sql_error)
        }
        Op::Close => Ok(Done::Rows(0)),
    }
}

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        match self.write(Op::Create(record.clone())).await? {
            Done::Created(id) => {
                record.id = id;
                Ok(())
            }
            Done::Rows(_) => Err(self.error("unexpected answer from the writer")),
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.write(Op::Save(record.clone())).await.map(drop)
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = expiry_text(OffsetDateTime::now_utc());
        let id = id.to_string();
        let data = self
            .read(move |conn| {
                conn.prepare_cached(SELECT)?.query_row((id, now), |row| row.get::<_, Vec<u8>>(0)).optional()
            })
            .await?;
        data.map(|data| rmp_serde::from_slice(&data).map_err(|e| session_store::Error::Decode(e.to_string())))
            .transpose()
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.write(Op::Delete(*id)).await.map(drop)
    }
}

#[async_trait]
impl ExpiredDeletion for SqliteStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        self.purge_expired().await.map(drop)
    }
}
