//! Logs captured on the test's thread, to assert what the BFF and the simulator log (and what
//! they never log).

/// Everything logged on this thread while the guard lives (use a current-thread runtime so the
/// backend's and the simulator's tasks log on it too).
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
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        (captured, tracing::subscriber::set_default(subscriber))
    }

    /// What was logged so far.
    pub fn text(&self) -> anyhow::Result<String> {
        Ok(String::from_utf8_lossy(&self.0.lock().map_err(|_| anyhow::anyhow!("lock"))?).into_owned())
    }
}
