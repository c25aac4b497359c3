//! The processes under test: the release `proconnect-bff` binary, this binary as the simulator, the
//! Node relying party and `redis-server`. Each is a child killed when dropped, bound to loopback,
//! with its output drained into a log file under the run directory.

use anyhow::{Context, bail};
use std::net::{Ipv4Addr, SocketAddr, TcpListener as StdListener};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio::sync::watch;

/// A free loopback port (bound, then released: the child binds it right after).
pub fn free_port() -> anyhow::Result<u16> {
    Ok(StdListener::bind((Ipv4Addr::LOCALHOST, 0))?.local_addr()?.port())
}

/// A child process under measurement.
pub struct Proc {
    /// What it is, for messages.
    pub name: String,
    /// Its pid (for `/proc/<pid>/…`).
    pub pid: u32,
    child: Child,
    /// The lines it printed, as they come (the last one matching a watched prefix).
    lines: watch::Receiver<Option<(String, Instant)>>,
}

impl Proc {
    /// Spawns `command`, stdout and stderr drained line by line into `log`; lines starting with
    /// one of `watch_prefixes` are published (with the instant they were read) for [`Proc::wait_line`].
    pub fn spawn(name: &str, mut command: Command, log: &Path, watch_prefixes: &[&str]) -> anyhow::Result<Self> {
        command.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
        let mut child = command.spawn().with_context(|| format!("cannot start {name}"))?;
        let pid = child.id().context("child without pid")?;
        let (tx, rx) = watch::channel(None);
        let prefixes: Vec<String> = watch_prefixes.iter().map(|p| (*p).to_owned()).collect();
        let file = std::fs::File::create(log).with_context(|| format!("cannot create {}", log.display()))?;
        let stdout = child.stdout.take().context("stdout")?;
        let stderr = child.stderr.take().context("stderr")?;
        let out = tokio::fs::File::from_std(file.try_clone()?);
        let err = tokio::fs::File::from_std(file);
        tokio::spawn(drain(stdout, out, prefixes.clone(), Some(tx)));
        tokio::spawn(drain(stderr, err, prefixes, None));
        Ok(Proc { name: name.to_owned(), pid, child, lines: rx })
    }

    /// Waits (bounded) for a watched line; returns it and when it was read.
    pub async fn wait_line(&mut self, within: Duration) -> anyhow::Result<(String, Instant)> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(line) = self.lines.borrow().clone() {
                return Ok(line);
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                bail!("{} exited ({status}) before it was ready: see its log", self.name);
            }
            match tokio::time::timeout_at(deadline, self.lines.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) => tokio::time::sleep(Duration::from_millis(5)).await,
                Err(_) => bail!("{} was not ready within {within:?}: see its log", self.name),
            }
        }
    }

    /// Resident memory now, KiB (`VmRSS` in `/proc/<pid>/status`).
    pub fn rss_kib(&self) -> anyhow::Result<u64> {
        self.status_kib("VmRSS")
    }

    /// The most resident memory it has had, KiB (`VmHWM`).
    pub fn peak_rss_kib(&self) -> anyhow::Result<u64> {
        self.status_kib("VmHWM")
    }

    fn status_kib(&self, field: &str) -> anyhow::Result<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))?;
        status
            .lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .with_context(|| format!("no {field}"))
    }

    /// CPU time used so far (user + system), in clock ticks.
    pub fn cpu_ticks(&self) -> u64 {
        cpu_ticks_of(&self.pid.to_string())
    }

    /// Kills it and reaps it.
    pub async fn stop(mut self) {
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await;
    }
}

async fn drain(
    pipe: impl tokio::io::AsyncRead + Unpin,
    mut log: tokio::fs::File,
    prefixes: Vec<String>,
    tx: Option<watch::Sender<Option<(String, Instant)>>>,
) {
    let mut lines = BufReader::new(pipe).lines();
    let mut buffer = Vec::with_capacity(64 * 1024);
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some(tx) = &tx
            && prefixes.iter().any(|p| line.starts_with(p.as_str()))
        {
            let _ = tx.send(Some((line.clone(), Instant::now())));
        }
        buffer.extend_from_slice(line.as_bytes());
        buffer.push(b'\n');
        if buffer.len() > 32 * 1024 {
            let _ = log.write_all(&buffer).await;
            buffer.clear();
        }
    }
    let _ = log.write_all(&buffer).await;
    let _ = log.flush().await;
}

/// CPU ticks (user + system) of `/proc/<pid>/stat`; 0 if unreadable.
pub fn cpu_ticks_of(pid: &str) -> u64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { return 0 };
    // Fields after the command name (which may hold spaces) in parentheses.
    let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) else { return 0 };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after `) state`.
    let parse = |i: usize| fields.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    parse(11) + parse(12)
}

/// Busy CPU ticks of the whole machine (all cores), from `/proc/stat`.
pub fn machine_busy_ticks() -> u64 {
    let Ok(stat) = std::fs::read_to_string("/proc/stat") else { return 0 };
    let Some(cpu) = stat.lines().next() else { return 0 };
    let values: Vec<u64> = cpu.split_whitespace().skip(1).filter_map(|v| v.parse().ok()).collect();
    // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
    values.iter().take(8).enumerate().filter(|(i, _)| *i != 3 && *i != 4).map(|(_, v)| v).sum()
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on Linux).
pub const TICKS_PER_SECOND: f64 = 100.0;

/// One GET over a fresh connection with `Connection: close`; the status code, or an error.
pub async fn probe(addr: SocketAddr, path: &str) -> anyhow::Result<u16> {
    let mut stream = TcpStream::connect(addr).await?;
    stream.write_all(format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes()).await?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head).await?;
    let text = std::str::from_utf8(&head)?;
    Ok(text.get(9..12).context("short status line")?.parse()?)
}

/// Polls `GET path` until it answers 200 (every `every`, at most `within`).
pub async fn wait_http_ok(addr: SocketAddr, path: &str, every: Duration, within: Duration) -> anyhow::Result<Instant> {
    let deadline = Instant::now() + within;
    loop {
        if let Ok(200) = probe(addr, path).await {
            return Ok(Instant::now());
        }
        if Instant::now() > deadline {
            bail!("{addr}{path} did not answer 200 within {within:?}");
        }
        tokio::time::sleep(every).await;
    }
}

/// Where one run keeps its logs, configurations and databases.
pub fn run_dir(root: &Path) -> anyhow::Result<PathBuf> {
    let dir = root.join("target/bench/run");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
