//! Debian's `redis-server` on a free loopback port, started and always stopped by the test.

use anyhow::{Context, bail};
use std::net::Ipv4Addr;

/// Debian's `redis-server` on a free loopback port without persistence, owned by the test:
/// killed when dropped, even after a failed assertion. It can be stopped and started again on
/// the same port (an outage).
pub struct RedisServer {
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// With TLS only: its certificate and key files (PEM).
    tls: Option<(std::path::PathBuf, std::path::PathBuf)>,
    child: Option<std::process::Child>,
}

impl RedisServer {
    /// Starts it and waits until it answers `PING`.
    pub fn start() -> anyhow::Result<Self> {
        let port = crate::free_port()?;
        let mut server = RedisServer { port, tls: None, child: None };
        server.resume()?;
        Ok(server)
    }

    /// Starts it speaking TLS only (no client certificate asked), with this certificate and key.
    pub fn start_tls(certificate: &std::path::Path, key: &std::path::Path) -> anyhow::Result<Self> {
        let port = crate::free_port()?;
        let mut server = RedisServer { port, tls: Some((certificate.to_owned(), key.to_owned())), child: None };
        server.resume()?;
        Ok(server)
    }

    /// `redis://127.0.0.1:<port>`, or `rediss://` with TLS.
    pub fn url(&self) -> String {
        let scheme = if self.tls.is_some() { "rediss" } else { "redis" };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    /// Kills the server.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it (again) on its port and polls until it answers `PING` (no fixed sleep).
    pub fn resume(&mut self) -> anyhow::Result<()> {
        use std::io::{Read, Write};
        let binary = std::env::var("REDIS_SERVER").unwrap_or_else(|_| "/usr/bin/redis-server".into());
        let mut command = std::process::Command::new(&binary);
        command.args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
        match &self.tls {
            None => command.args(["--port", &self.port.to_string()]),
            Some((certificate, key)) => command
                .args(["--port", "0", "--tls-port", &self.port.to_string(), "--tls-auth-clients", "no"])
                .arg("--tls-cert-file")
                .arg(certificate)
                .arg("--tls-key-file")
                .arg(key),
        };
        let child = command
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .with_context(|| format!("cannot start {binary} (run ./x setup)"))?;
        self.child = Some(child);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let pong = std::net::TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).and_then(|mut stream| {
                if self.tls.is_some() {
                    // Listening is enough: the handshake is the client's to check.
                    return Ok(true);
                }
                stream.set_read_timeout(Some(std::time::Duration::from_secs(1)))?;
                stream.write_all(b"PING\r\n")?;
                let mut reply = [0u8; 5];
                stream.read_exact(&mut reply)?;
                Ok(&reply == b"+PONG")
            });
            if matches!(pong, Ok(true)) {
                return Ok(());
            }
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                bail!("redis-server exited at start ({status}) on port {}", self.port);
            }
            if std::time::Instant::now() > deadline {
                bail!("redis-server did not answer PING on port {} within 10 s", self.port);
            }
            std::thread::yield_now();
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}
