//! Captured logs, to assert what the BFF and the simulator log (and what they never log): on the
//! test's thread ([`CapturedLogs::start`]) or in the whole test binary ([`CapturedLogs::global`]).

/// Everything logged on this thread while the guard lives (use a current-thread runtime so the
/// backend's and the simulator's tasks log on it too), or in the whole process.
#[derive(Clone, Default)]
pub struct CapturedLogs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLogs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut all) = self.0.lock() {
            all.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl CapturedLogs {
    /// Starts capturing events that pass `filter` (an `EnvFilter` directive).
    pub fn start(filter: &str) -> (Self, tracing::subscriber::DefaultGuard) {
        let captured = CapturedLogs::default();
        let guard = tracing::subscriber::set_default(captured.subscriber(filter));
        (captured, guard)
    }

    /// Captures, in the whole process, events that pass `filter`: the global subscriber, set once
    /// per test binary (a later call captures nothing), which every test of the binary logs to.
    pub fn global(filter: &str) -> Self {
        use tracing_subscriber::util::SubscriberInitExt;
        let captured = CapturedLogs::default();
        let _ = captured.subscriber(filter).try_init();
        captured
    }

    /// A subscriber writing the events that pass `filter` here, without colours.
    fn subscriber(&self, filter: &str) -> impl tracing::Subscriber + Send + Sync + use<> {
        let writer = self.clone();
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(move || writer.clone()).with_ansi(false).finish()
    }

    /// What was logged since the last call, removed from the capture.
    pub fn take(&self) -> anyhow::Result<String> {
        let mut all = self.0.lock().map_err(|_| anyhow::anyhow!("lock"))?;
        Ok(String::from_utf8_lossy(&std::mem::take(&mut *all)).into_owned())
    }

    /// What was logged so far.
    pub fn text(&self) -> anyhow::Result<String> {
        Ok(String::from_utf8_lossy(&self.0.lock().map_err(|_| anyhow::anyhow!("lock"))?).into_owned())
    }
}
