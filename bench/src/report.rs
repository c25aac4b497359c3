//! The results: the machine they were measured on, the tables, the targets, and their place in
//! `BENCHMARKS.md` (between two markers, so the hand-written findings around them stay).

use crate::load::Outcome;
use crate::spa::FileSize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

const BEGIN: &str = "<!-- bench:begin — written by `./x bench`; edit outside these markers -->";
const END: &str = "<!-- bench:end -->";
const SOAK_BEGIN: &str = "<!-- soak:begin — written by `./x bench --soak`; edit outside these markers -->";
const SOAK_END: &str = "<!-- soak:end -->";

/// Where and when.
#[derive(Debug, Clone, Default)]
pub struct Machine {
    /// Logical CPUs.
    pub nproc: usize,
    /// `model name` of `/proc/cpuinfo`.
    pub cpu: String,
    /// `MemTotal`, GiB.
    pub ram_gib: f64,
    /// Kernel release.
    pub kernel: String,
    /// `git rev-parse --short HEAD`, `+ uncommitted changes` when dirty.
    pub commit: String,
    /// UTC date and time.
    pub date: String,
    /// `node --version`.
    pub node: String,
    /// 1-minute load average when the run started.
    pub load_at_start: String,
}

fn command(program: &str, args: &[&str], dir: &Path) -> String {
    std::process::Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "?".into())
}

/// The load averages of `/proc/loadavg` (1, 5, 15 minutes).
pub fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

impl Machine {
    /// Reads it from `/proc`, git and node.
    pub fn probe(root: &Path) -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| {
                l.strip_prefix("model name").and_then(|r| r.split_once(':')).map(|(_, v)| v.trim().to_owned())
            })
            .unwrap_or_else(|| "?".into());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let ram_kib: f64 = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0.0);
        let dirty = !command("git", &["status", "--porcelain", "--untracked-files=no"], root).is_empty();
        let commit = command("git", &["rev-parse", "--short", "HEAD"], root);
        Machine {
            nproc: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
            cpu,
            ram_gib: ram_kib / 1024.0 / 1024.0,
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim().to_owned(),
            commit: if dirty { format!("{commit} + uncommitted changes") } else { commit },
            date: command("date", &["-u", "+%Y-%m-%d %H:%M UTC"], root),
            node: command("node", &["--version"], root),
            load_at_start: loadavg(),
        }
    }

    /// For the console.
    pub fn one_line(&self) -> String {
        format!(
            "{} × {}, {:.1} GiB, commit {}, {}, load {}",
            self.nproc, self.cpu, self.ram_gib, self.commit, self.date, self.load_at_start
        )
    }
}

/// Start-up times of one store.
#[derive(Debug, Clone)]
pub struct Ready {
    /// Store.
    pub store: &'static str,
    /// Spawn → `ProConnect kit ready` printed, ms.
    pub printed_ms: Vec<f64>,
    /// Spawn → first 200 on `/healthz`, ms.
    pub healthy_ms: Vec<f64>,
}

/// Sign-in runs of one relying party.
#[derive(Debug, Clone)]
pub struct SignIns {
    /// Which relying party.
    pub rp: &'static str,
    /// Its session store.
    pub store: &'static str,
    /// By concurrency level.
    pub outcomes: Vec<(usize, Outcome)>,
}

/// One memory measurement.
#[derive(Debug, Clone)]
pub struct Memory {
    /// Store.
    pub store: &'static str,
    /// Complete sign-ins rather than login transactions.
    pub signed_in: bool,
    /// Sessions created between the two readings.
    pub sessions: u64,
    /// `VmRSS` before, KiB.
    pub rss_before_kib: u64,
    /// `VmRSS` after, KiB.
    pub rss_after_kib: u64,
    /// Size of the SQLite files at the end (database + WAL), bytes.
    pub file_bytes: Option<u64>,
    /// `VmRSS` of `redis-server` before and after, KiB.
    pub server_rss_kib: Option<(u64, u64)>,
    /// Sessions created per second.
    pub rate: f64,
}

impl Memory {
    /// RSS growth per session, bytes.
    pub fn bytes_per_session(&self) -> f64 {
        (self.rss_after_kib as f64 - self.rss_before_kib as f64) * 1024.0 / (self.sessions.max(1) as f64)
    }
}

/// Sign-ins per second on a fresh simulator and on one that has served many.
#[derive(Debug, Clone)]
pub struct Aged {
    /// 8 users, fresh simulator.
    pub fresh: Outcome,
    /// Sign-ins the simulator had served before the second measurement.
    pub earlier_sign_ins: u64,
    /// 8 users, same simulator afterwards.
    pub after: Outcome,
}

/// One period (a minute in a full run) of a soak.
#[derive(Debug, Clone)]
pub struct SoakPeriod {
    /// The paced sign-ins, with the CPU of the backend, the simulator (and `redis-server`).
    pub sign_in: Outcome,
    /// The paced `GET /api/me`.
    pub me: Outcome,
    /// The backend's `VmRSS` at the period's end, KiB.
    pub backend_rss_kib: u64,
    /// The simulator's `VmRSS` at the period's end, KiB.
    pub simulator_rss_kib: u64,
}

/// The soak of one store.
#[derive(Debug, Clone)]
pub struct SoakStore {
    /// Store.
    pub store: &'static str,
    /// The best sign-ins per second of the peak phase, and at how many users.
    pub peak: f64,
    /// Users of that best level.
    pub peak_users: usize,
    /// Sign-ins per second held: half the peak.
    pub target: f64,
    /// `GET /api/me` per second held.
    pub me_rate: f64,
    /// Signed-in agents (one connection each) sending them.
    pub me_connections: usize,
    /// Period by period.
    pub periods: Vec<SoakPeriod>,
    /// Backend `VmRSS` once started, before any traffic, KiB.
    pub rss_idle_kib: u64,
    /// Backend `VmRSS` after the warm-up, when the periods start, KiB.
    pub rss_start_kib: u64,
    /// Backend `VmRSS` at the end, KiB.
    pub rss_end_kib: u64,
    /// Backend `VmHWM` at the end (its highest `VmRSS`), KiB.
    pub rss_peak_kib: u64,
    /// Simulator `VmRSS` when the periods start, KiB.
    pub simulator_rss_start_kib: u64,
    /// Simulator `VmRSS` at the end, KiB.
    pub simulator_rss_end_kib: u64,
    /// What the store holds outside the backend (SQLite files, `redis-server`), start → end.
    pub outside: Option<String>,
}

impl SoakStore {
    /// Sign-ins and `/api/me` requests done, and failures by kind, over all periods.
    pub fn totals(&self) -> (u64, u64, BTreeMap<String, u64>) {
        let mut errors = BTreeMap::new();
        for period in &self.periods {
            for (kind, n) in period.sign_in.error_kinds.iter().chain(&period.me.error_kinds) {
                *errors.entry(kind.clone()).or_default() += n;
            }
        }
        let sum = |f: fn(&SoakPeriod) -> u64| self.periods.iter().map(f).sum();
        (sum(|p| p.sign_in.ok), sum(|p| p.me.ok), errors)
    }

    /// Sign-ins per second over all periods.
    pub fn held(&self) -> f64 {
        let seconds: f64 = self.periods.iter().map(|p| p.sign_in.elapsed.as_secs_f64()).sum();
        self.totals().0 as f64 / seconds.max(1e-9)
    }
}

/// A soak run: each store in turn.
#[derive(Debug, Clone)]
pub struct Soak {
    /// The machine.
    pub machine: Machine,
    /// What it was run with.
    pub scale: crate::Scale,
    /// The stores.
    pub stores: Vec<SoakStore>,
    /// Load averages at the end.
    pub finished_load: String,
}

/// Everything one run measured.
#[derive(Debug, Clone, Default)]
pub struct Results {
    /// The machine.
    pub machine: Machine,
    /// Smoke mode.
    pub smoke: bool,
    /// SPA files.
    pub sizes: Vec<FileSize>,
    /// Start-up.
    pub ready: Vec<Ready>,
    /// Sign-ins.
    pub sign_ins: Vec<SignIns>,
    /// ES256 sign and verify costs.
    pub es256: Option<crate::crypto::Es256>,
    /// The simulator slowing down as it accumulates records.
    pub aged: Option<Aged>,
    /// `/api/me` per store.
    pub me: Vec<(&'static str, Outcome)>,
    /// Connections of the `/api/me` runs.
    pub me_connections: usize,
    /// Memory.
    pub memory: Vec<Memory>,
    /// Page loads (the first with an empty cache).
    pub loads: Vec<crate::spa::Load>,
    /// The sign-in page: bytes, paints, Lighthouse.
    pub page: Option<crate::page::Page>,
    /// Load averages at the end.
    pub finished_load: String,
}

/// The median (NaN when empty).
pub fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 { sorted[mid] } else { (sorted[mid - 1] + sorted[mid]) / 2.0 }
}

fn holds(ok: bool) -> &'static str {
    if ok { "yes" } else { "**no**" }
}

fn kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1024.0)
}

impl Results {
    fn rust_best(&self, store: &str) -> Option<&Outcome> {
        self.sign_ins
            .iter()
            .filter(|s| s.rp == "Rust backend" && s.store == store)
            .flat_map(|s| s.outcomes.iter().map(|(_, o)| o))
            .max_by(|a, b| a.rate().total_cmp(&b.rate()))
    }

    fn node(&self) -> Option<&SignIns> {
        self.sign_ins.iter().find(|s| s.rp.starts_with("Node"))
    }
}

/// The Markdown written between the markers (and printed).
pub fn table(r: &Results) -> String {
    let mut s = String::new();
    let m = &r.machine;
    let _ = writeln!(
        s,
        "Measured {}{}.\n",
        m.date,
        if r.smoke { " — **smoke run: the numbers mean nothing**" } else { "" }
    );
    let _ = writeln!(
        s,
        "Machine: {} logical CPUs ({}), {:.1} GiB RAM, Linux {}; commit `{}`; Node {}. Load average (1, 5, 15 min) {} at the start, {} at the end.\n",
        m.nproc, m.cpu, m.ram_gib, m.kernel, m.commit, m.node, m.load_at_start, r.finished_load
    );

    let _ = writeln!(s, "### Targets\n\n| measure | target | measured | holds |\n|---|---|---|---|");
    for store in ["memory", "sqlite"] {
        if let Some(best) = r.rust_best(store) {
            let _ = writeln!(
                s,
                "| complete sign-ins per second, Rust backend, {store} sessions (best level; whole loop on the 2 cores) | ≥ 2,000 on 2 cores | {:.0} (the backend used {:.2} ms CPU per sign-in: ≈ {:.0}/s if it had both cores to itself) | {} |",
                best.rate(),
                best.first_cpu_ms_per_op(),
                2000.0 / best.first_cpu_ms_per_op(),
                holds(best.rate() >= 2000.0)
            );
        }
    }
    if let (Some(memory), Some(sqlite)) = (r.rust_best("memory"), r.rust_best("sqlite")) {
        let share = sqlite.rate() / memory.rate().max(1e-9);
        let _ = writeln!(
            s,
            "| SQLite ÷ memory sign-ins per second (best level of each, same run) | ≥ 90 % | {:.0} % ({:.0} ÷ {:.0}) | {} |",
            share * 100.0,
            sqlite.rate(),
            memory.rate(),
            holds(share >= 0.9)
        );
    }
    let node_best =
        r.node().and_then(|n| n.outcomes.iter().map(|(_, o)| o).max_by(|a, b| a.rate().total_cmp(&b.rate())));
    if let (Some(rust), Some(node_best)) = (r.rust_best("memory"), node_best) {
        let ratio = rust.rate() / node_best.rate().max(1e-9);
        let _ = writeln!(
            s,
            "| Rust ÷ Node sign-ins per second (best level of each, both memory sessions) | ≥ 5× | {ratio:.2}× ({:.0} ÷ {:.0}) | {} |",
            rust.rate(),
            node_best.rate(),
            holds(ratio >= 5.0)
        );
    }
    if let (Some(rust), Some(node)) =
        (r.sign_ins.iter().find(|s| s.rp == "Rust backend" && s.store == "memory"), r.node())
    {
        let cpu =
            |run: &SignIns| median(&run.outcomes.iter().map(|(_, o)| o.first_cpu_ms_per_op()).collect::<Vec<_>>());
        let (rust_ms, node_ms) = (cpu(rust), cpu(node));
        let ratio = node_ms / rust_ms;
        let _ = writeln!(
            s,
            "| Node ÷ Rust CPU per sign-in (median over levels; what the throughput ratio would be with the relying party alone on its cores) | ≥ 8× | {ratio:.2}× ({node_ms:.2} ms ÷ {rust_ms:.2} ms) | {} |",
            holds(ratio >= 8.0)
        );
    }
    for (store, o) in &r.me {
        let ok = o.rate() >= 30_000.0 && o.quantile_ms(0.99) < 5.0 && o.errors == 0;
        let _ = writeln!(
            s,
            "| `/api/me` at {} connections, {store} sessions | ≥ 30,000 req/s, p99 < 5 ms at 256 | {:.0} req/s, p99 {:.2} ms | {} |",
            r.me_connections,
            o.rate(),
            o.quantile_ms(0.99),
            holds(ok)
        );
    }
    for mem in &r.memory {
        let kind = if mem.signed_in { "signed-in" } else { "login-transaction" };
        let per = mem.bytes_per_session();
        let _ = writeln!(
            s,
            "| resident memory per {kind} session, {} store | ≤ 2 KB | {:.0} bytes | {} |",
            mem.store,
            per,
            holds(per <= 2048.0)
        );
    }
    for ready in &r.ready {
        let med = median(&ready.healthy_ms);
        let _ = writeln!(
            s,
            "| process start → first 200 on `/healthz`, {} sessions (median) | < 100 ms | {med:.1} ms | {} |",
            ready.store,
            holds(med < 100.0)
        );
    }
    if !r.sizes.is_empty() {
        let code: Vec<&FileSize> = r.sizes.iter().filter(|f| f.kind != "css").collect();
        let gzip: u64 = code.iter().map(|f| f.gzip).sum();
        let brotli: u64 = code.iter().map(|f| f.brotli).sum();
        let _ = writeln!(s, "| wasm + js, brotli | ≤ 90 KB | {} | {} |", kb(brotli), holds(brotli <= 90 * 1024));
        let _ = writeln!(s, "| wasm + js, gzip | ≤ 150 KB | {} | {} |", kb(gzip), holds(gzip <= 150 * 1024));
    }
    if let Some(page) = &r.page {
        s.push_str(&page_targets(page));
    }
    if !r.loads.is_empty() {
        let med = median(&r.loads.iter().map(|l| l.button).collect::<Vec<_>>());
        let _ = writeln!(
            s,
            "| navigation → button visible, headless Chromium (median of {} loads) | < 300 ms | {med:.0} ms | {} |",
            r.loads.len(),
            holds(med < 300.0)
        );
    }

    if !r.sign_ins.is_empty() {
        let _ = writeln!(
            s,
            "\n### Complete sign-ins\n\nOne sign-in = `GET /auth/login` → authorize → `POST` mire → `POST` FI → `GET /auth/callback` (code exchange, ID token, signed userinfo, new session) → `GET /api/me`: 6 requests from the client, 2 from the relying party to the simulator. Each worker is a virtual user that starts every sign-in with an empty cookie jar over its keep-alive connections. CPU in cores (CPU seconds ÷ wall seconds) per process; \"other\" is what the rest of the machine used meanwhile.\n"
        );
        let _ = writeln!(
            s,
            "| relying party | sessions | users | sign-ins/s | p50 ms | p99 ms | done | errors | RP CPU ms per sign-in | CPU (cores) | other |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|"
        );
        for run in &r.sign_ins {
            for (level, o) in &run.outcomes {
                let _ = writeln!(
                    s,
                    "| {} | {} | {level} | {:.0} | {:.2} | {:.2} | {} | {} | {:.2} | {} | {:.2} |",
                    run.rp,
                    run.store,
                    o.rate(),
                    o.quantile_ms(0.5),
                    o.quantile_ms(0.99),
                    o.ok,
                    o.errors,
                    o.first_cpu_ms_per_op(),
                    o.cpu_summary(),
                    o.other_cores
                );
            }
        }
        if let (Some(rust), Some(node)) =
            (r.sign_ins.iter().find(|s| s.rp == "Rust backend" && s.store == "memory"), r.node())
        {
            let _ = write!(s, "\nRust (memory sessions) ÷ Node, same levels:");
            for ((level, rust), (_, node)) in rust.outcomes.iter().zip(&node.outcomes) {
                let _ = write!(s, " {level} users {:.2}×;", rust.rate() / node.rate().max(1e-9));
            }
            let _ = writeln!(s);
        }
        for run in &r.sign_ins {
            for (level, o) in &run.outcomes {
                if let Some(error) = &o.first_error {
                    let _ = writeln!(
                        s,
                        "\nFirst error, {} {} at {level}: `{}`",
                        run.rp,
                        run.store,
                        error.replace('`', "'")
                    );
                }
            }
        }
    }

    if let Some(aged) = &r.aged {
        let _ = writeln!(
            s,
            "\n### The simulator as it ages\n\nRust backend, memory sessions, 8 users. (Each level above still starts on a fresh simulator, so that all start alike.)\n\n| simulator | sign-ins/s | p50 ms | p99 ms | CPU (cores) |\n|---|---:|---:|---:|---|"
        );
        for (label, o) in
            [("fresh".to_owned(), &aged.fresh), (format!("after {} sign-ins", aged.earlier_sign_ins), &aged.after)]
        {
            let _ = writeln!(
                s,
                "| {label} | {:.0} | {:.2} | {:.2} | {} |",
                o.rate(),
                o.quantile_ms(0.5),
                o.quantile_ms(0.99),
                o.cpu_summary()
            );
        }
    }

    if !r.me.is_empty() {
        let _ = writeln!(
            s,
            "\n### `GET /api/me`, {} connections\n\nEach connection has its own signed-in session; HTTP/1.1 keep-alive, the request written once and the response read by `Content-Length` (the bench's leanest client).\n",
            r.me_connections
        );
        let _ = writeln!(
            s,
            "| sessions | req/s | p50 ms | p99 ms | done | errors | backend CPU µs per request | CPU (cores) | other |\n|---|---:|---:|---:|---:|---:|---:|---|---:|"
        );
        for (store, o) in &r.me {
            let _ = writeln!(
                s,
                "| {store} | {:.0} | {:.2} | {:.2} | {} | {} | {:.0} | {} | {:.2} |",
                o.rate(),
                o.quantile_ms(0.5),
                o.quantile_ms(0.99),
                o.ok,
                o.errors,
                o.first_cpu_ms_per_op() * 1000.0,
                o.cpu_summary(),
                o.other_cores
            );
            if let Some(error) = &o.first_error {
                let _ = writeln!(s, "\nFirst error ({store}): `{}`\n", error.replace('`', "'"));
            }
        }
    }

    if !r.memory.is_empty() {
        let _ = writeln!(
            s,
            "\n### Resident memory per session\n\n`VmRSS` of a fresh backend process, read after a warm-up (5 % of the count) and again after the sessions were created. Login-transaction sessions come from `GET /auth/login` without a cookie (one new session each, holding state, nonce and PKCE verifier); signed-in sessions from complete sign-ins.\n"
        );
        let _ = writeln!(
            s,
            "| store | sessions | created | created/s | RSS before | RSS after | bytes/session (RSS) | where the store keeps them |\n|---|---|---:|---:|---:|---:|---:|---|"
        );
        for mem in &r.memory {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {:.0} | {} KiB | {} KiB | {:.0} | {} |",
                mem.store,
                if mem.signed_in { "signed-in" } else { "login transaction" },
                mem.sessions,
                mem.rate,
                mem.rss_before_kib,
                mem.rss_after_kib,
                mem.bytes_per_session(),
                match (mem.file_bytes, mem.server_rss_kib) {
                    (Some(b), _) =>
                        format!("SQLite files {b} bytes ({:.0}/session)", b as f64 / mem.sessions.max(1) as f64),
                    (_, Some((before, after))) => format!(
                        "redis-server RSS {before} → {after} KiB ({:.0}/session)",
                        (after as f64 - before as f64) * 1024.0 / mem.sessions.max(1) as f64
                    ),
                    _ => "the backend's heap".into(),
                }
            );
        }
    }

    if let Some(e) = &r.es256 {
        let _ = writeln!(
            s,
            "\n### ES256 on this machine\n\nOne thread, a 900-byte signing input (a JWT's size), µs per operation.\n\n| library | sign | verify |\n|---|---:|---:|\n| `p256` 0.13 (RustCrypto: the backend's `openidconnect` and `jsonwebtoken`, the simulator) | {:.0} | {:.0} |\n| `ring` 0.17 (already built for rustls) | {:.0} | {:.0} |",
            e.p256_sign_us, e.p256_verify_us, e.ring_sign_us, e.ring_verify_us
        );
    }

    if !r.ready.is_empty() {
        let _ = writeln!(
            s,
            "\n### Start-up\n\nSpawn of the release binary → the line `ProConnect kit ready`, and → first 200 on `/healthz` (polled every millisecond).\n"
        );
        let _ = writeln!(
            s,
            "| sessions | starts | printed ready, median ms | `/healthz` 200, median ms | `/healthz` 200, max ms |\n|---|---:|---:|---:|---:|"
        );
        for ready in &r.ready {
            let max = ready.healthy_ms.iter().copied().fold(f64::NAN, f64::max);
            let _ = writeln!(
                s,
                "| {} | {} | {:.1} | {:.1} | {:.1} |",
                ready.store,
                ready.healthy_ms.len(),
                median(&ready.printed_ms),
                median(&ready.healthy_ms),
                max
            );
        }
    }

    if !r.sizes.is_empty() {
        let _ = writeln!(
            s,
            "\n### SPA (release build in `dist/`)\n\n| file | raw | gzip -9 | brotli -q 11 |\n|---|---:|---:|---:|"
        );
        for f in &r.sizes {
            let _ = writeln!(s, "| `{}` | {} | {} | {} |", f.name, f.raw, f.gzip, f.brotli);
        }
        for (label, filter) in [("wasm + js", "code"), ("css", "css")] {
            let files: Vec<&FileSize> = r.sizes.iter().filter(|f| (filter == "css") == (f.kind == "css")).collect();
            if files.is_empty() {
                // The stylesheet is inlined in index.html (the sign-in page section counts it).
                continue;
            }
            let _ = writeln!(
                s,
                "| **{label}** | {} | {} | {} |",
                files.iter().map(|f| f.raw).sum::<u64>(),
                files.iter().map(|f| f.gzip).sum::<u64>(),
                files.iter().map(|f| f.brotli).sum::<u64>()
            );
        }
    }

    if !r.loads.is_empty() {
        let _ = writeln!(
            s,
            "\n### Navigation → button visible\n\nHeadless Chromium, the release backend serving `dist/`; each load navigates from `about:blank`; ms from navigation start (Performance API). The first load has an empty cache; the others have the hashed, immutable assets cached.\n\n| load | HTML received | last CSS received | wasm received | DOMContentLoaded | first contentful paint | **button visible** |\n|---:|---:|---:|---:|---:|---:|---:|"
        );
        for (i, l) in r.loads.iter().enumerate() {
            let fcp = l.first_paint.map(|v| format!("{v:.0}")).unwrap_or_else(|| "—".into());
            let _ = writeln!(
                s,
                "| {} | {:.0} | {:.0} | {:.0} | {:.0} | {fcp} | **{:.0}** |",
                i + 1,
                l.html,
                l.css,
                l.wasm,
                l.dom_content_loaded,
                l.button
            );
        }
        let m = |f: fn(&crate::spa::Load) -> f64| median(&r.loads.iter().map(f).collect::<Vec<_>>());
        let _ = writeln!(
            s,
            "| median | {:.0} | {:.0} | {:.0} | {:.0} | | **{:.0}** |",
            m(|l| l.html),
            m(|l| l.css),
            m(|l| l.wasm),
            m(|l| l.dom_content_loaded),
            m(|l| l.button)
        );
    }
    if let Some(page) = &r.page {
        s.push_str(&page_table(page));
    }
    s
}

/// Median and first (empty-cache) load of one paint figure, "—" when absent.
fn paint_figures(loads: &[crate::page::Paint], f: fn(&crate::page::Paint) -> Option<f64>) -> (String, String) {
    let values: Vec<f64> = loads.iter().filter_map(f).collect();
    if values.is_empty() {
        return ("—".into(), "—".into());
    }
    (
        format!("{:.0}", median(&values)),
        loads.first().and_then(f).map(|v| format!("{v:.0}")).unwrap_or_else(|| "—".into()),
    )
}

/// The sign-in page's rows of the targets table (issue 14).
fn page_targets(page: &crate::page::Page) -> String {
    let mut s = String::new();
    let css: u64 = page.resources.iter().filter(|r| r.kind == "CSS").map(|r| r.brotli).sum();
    let html: u64 = page.resources.iter().filter(|r| r.kind == "HTML").map(|r| r.brotli).sum();
    let all: u64 = page.resources.iter().map(|r| r.brotli).sum();
    // The stylesheet is inlined in the HTML: without a CSS file, the HTML is the upper bound.
    let (css_label, css_bytes) = if css == 0 { ("CSS (inlined: the whole HTML)", html) } else { ("CSS", css) };
    let _ = writeln!(
        s,
        "| sign-in page: {css_label}, brotli | ≤ 20 KB | {} | {} |",
        kb(css_bytes),
        holds(css_bytes <= 20 * 1024)
    );
    let _ = writeln!(
        s,
        "| sign-in page: everything on the wire, JavaScript on | ≤ 250 KB | {} | {} |",
        kb(all),
        holds(all <= 250 * 1024)
    );
    let floor: Vec<f64> = page.floor.iter().filter_map(|p| p.first_paint).collect();
    let floor = if floor.is_empty() {
        String::new()
    } else {
        format!(" (a page of one link, no CSS: {:.0} ms)", median(&floor))
    };
    for (label, loads) in [("on", &page.js_on), ("off", &page.js_off)] {
        let paints: Vec<f64> = loads.iter().filter_map(|p| p.first_paint).collect();
        if !paints.is_empty() {
            let med = median(&paints);
            let _ = writeln!(
                s,
                "| sign-in page: the button's first paint, JavaScript {label} (median of {} loads) | ≤ 50 ms | {med:.0} ms{floor} | {} |",
                paints.len(),
                holds(med <= 50.0)
            );
        }
    }
    if let crate::page::Lighthouse::Ran { runs, performance, accessibility, lcp_ms, cls, .. } = &page.lighthouse {
        let ok = *performance >= 95.0 && *accessibility >= 100.0 && *cls <= 0.02 && *lcp_ms <= 1800.0;
        let _ = writeln!(
            s,
            "| sign-in page, Lighthouse mobile (median of {runs} runs) | performance ≥ 95, accessibility 100, CLS ≤ 0.02, LCP ≤ 1.8 s | performance {performance:.0}, accessibility {accessibility:.0}, CLS {cls:.3}, LCP {lcp_ms:.0} ms | {} |",
            holds(ok)
        );
    }
    s
}

/// The sign-in page's Markdown.
fn page_table(page: &crate::page::Page) -> String {
    use crate::page::{KINDS, Lighthouse};
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\n### Sign-in page\n\nHeadless Chromium in French (`navigator.language` = `{}`), 1280×900, the release backend serving `dist/`; see the method section.\n\n#### Bytes on the wire (JavaScript on, until the App's button and the fonts are there)\n\n| resource type | files | brotli, as served (`Accept-Encoding: br`) | Chromium's `encodedBodySize` | decoded | JavaScript off: files | JavaScript off: brotli |\n|---|---:|---:|---:|---:|---:|---:|",
        page.language
    );
    let mut total = (0usize, 0u64, 0u64, 0u64);
    for kind in KINDS {
        let files: Vec<_> = page.resources.iter().filter(|r| r.kind == kind).collect();
        let off: Vec<_> = page.without_js.iter().filter(|r| r.kind == kind).collect();
        if files.is_empty() && off.is_empty() {
            continue;
        }
        let (br, chromium, decoded) = (
            files.iter().map(|r| r.brotli).sum::<u64>(),
            files.iter().map(|r| r.chromium_encoded).sum::<u64>(),
            files.iter().map(|r| r.decoded).sum::<u64>(),
        );
        let uncompressed = files.iter().filter(|r| r.encoding != "br").count();
        let note = if uncompressed > 0 { format!(" ({uncompressed} not brotli)") } else { String::new() };
        let _ = writeln!(
            s,
            "| {kind} | {}{note} | {} | {} | {} | {} | {} |",
            files.len(),
            kb(br),
            kb(chromium),
            kb(decoded),
            off.len(),
            kb(off.iter().map(|r| r.brotli).sum())
        );
        total = (total.0 + files.len(), total.1 + br, total.2 + chromium, total.3 + decoded);
    }
    let _ = writeln!(
        s,
        "| **total** | {} | **{}** | {} | {} | {} | **{}** |\n",
        total.0,
        kb(total.1),
        kb(total.2),
        kb(total.3),
        page.without_js.len(),
        kb(page.without_js.iter().map(|r| r.brotli).sum())
    );
    let _ = writeln!(
        s,
        "#### First paint and interactive\n\nms from navigation start; median of the loads, and the first load (empty cache). The HTML's first byte (`responseStart`) is when the browser, having made a renderer for the site and sent the request, gets the answer: what comes before it is the navigation, not the page. The last row is the same browser loading a page of one link, with no CSS, font, image or script (`bench/src/page.rs`, `FLOOR_PAGE`), served from the bench on another loopback port: what any page costs here.\n\n| JavaScript | loads | HTML's first byte, median | button's first paint (FCP), median | first load | FCP − first byte, median | App's button (`connect-button-visible`), median | first load |\n|---|---:|---:|---:|---:|---:|---:|---:|"
    );
    for (label, loads) in
        [("on", &page.js_on), ("off", &page.js_off), ("off, a page of one link and no CSS (the floor)", &page.floor)]
    {
        let (first_byte, _) = paint_figures(loads, |p| p.html_first_byte);
        let (fcp, fcp_first) = paint_figures(loads, |p| p.first_paint);
        let (after_first_byte, _) = paint_figures(loads, |p| Some(p.first_paint? - p.html_first_byte?));
        let (tti, tti_first) = paint_figures(loads, |p| p.interactive);
        let _ = writeln!(
            s,
            "| {label} | {} | {first_byte} | {fcp} | {fcp_first} | {after_first_byte} | {tti} | {tti_first} |",
            loads.len()
        );
    }
    let _ = writeln!(s, "\n#### Lighthouse (mobile profile, simulated throttling)\n");
    match &page.lighthouse {
        Lighthouse::Ran {
            version,
            runs,
            performance_range: (low, high),
            performance,
            accessibility,
            fcp_ms,
            lcp_ms,
            tbt_ms,
            cls,
            total_bytes,
            warnings,
        } => {
            let _ = writeln!(
                s,
                "Median of {runs} runs.\n\n| Lighthouse | performance (range) | accessibility | FCP | LCP | TBT | CLS | total transfer |\n|---|---:|---:|---:|---:|---:|---:|---:|\n| {version} | {performance:.0} ({low:.0}–{high:.0}) | {accessibility:.0} | {fcp_ms:.0} ms | {lcp_ms:.0} ms | {tbt_ms:.0} ms | {cls:.3} | {} |",
                kb(*total_bytes as u64)
            );
            for warning in warnings {
                let _ = writeln!(s, "\nLighthouse's warning: {}", warning.replace('\n', " "));
            }
        }
        Lighthouse::Unavailable(reason) => {
            let _ = writeln!(s, "Lighthouse could not run here: {}", reason.replace('`', "'"));
        }
    }
    s
}

/// One paragraph for the console.
pub fn page_summary(page: &crate::page::Page) -> String {
    let br: u64 = page.resources.iter().map(|r| r.brotli).sum();
    let (on_fcp, _) = paint_figures(&page.js_on, |p| p.first_paint);
    let (on_tti, _) = paint_figures(&page.js_on, |p| p.interactive);
    let (off_fcp, _) = paint_figures(&page.js_off, |p| p.first_paint);
    let (floor_fcp, _) = paint_figures(&page.floor, |p| p.first_paint);
    let lighthouse = match &page.lighthouse {
        crate::page::Lighthouse::Ran { performance, accessibility, lcp_ms, cls, total_bytes, .. } => format!(
            "Lighthouse performance {performance:.0}, accessibility {accessibility:.0}, LCP {lcp_ms:.0} ms, CLS {cls:.3}, transfer {}",
            kb(*total_bytes as u64)
        ),
        crate::page::Lighthouse::Unavailable(reason) => format!("Lighthouse unavailable: {reason}"),
    };
    format!(
        "    {} files, {} brotli (JS off: {} files, {}); first paint JS on {on_fcp} ms, JS off {off_fcp} ms (a page of one link: {floor_fcp} ms); App's button {on_tti} ms; {lighthouse}",
        page.resources.len(),
        kb(br),
        page.without_js.len(),
        kb(page.without_js.iter().map(|r| r.brotli).sum())
    )
}

/// The name of one soak period: `minute` in a full run.
fn period_name(period: Duration) -> String {
    if period == Duration::from_secs(60) {
        "minute".into()
    } else if period == Duration::from_secs(1) {
        "second".into()
    } else {
        format!("{} s", period.as_secs_f64())
    }
}

/// The soak's Markdown, written between its own markers (and printed).
pub fn soak_table(soak: &Soak) -> String {
    let mut s = String::new();
    let (m, scale) = (&soak.machine, &soak.scale);
    let period = period_name(scale.soak_period);
    let _ = writeln!(
        s,
        "Measured {}{}. Machine: {} logical CPUs ({}), {:.1} GiB RAM, Linux {}; commit `{}`. Load average (1, 5, 15 min) {} at the start, {} at the end.\n",
        m.date,
        if scale.smoke { " — **smoke run: the numbers mean nothing**" } else { "" },
        m.nproc,
        m.cpu,
        m.ram_gib,
        m.kernel,
        m.commit,
        m.load_at_start,
        soak.finished_load
    );
    let levels: Vec<String> = scale.soak_peak_levels.iter().map(usize::to_string).collect();
    let _ = writeln!(
        s,
        "Per store: the peak is the best sign-ins/s of the sign-in phase at {} users ({:.1} s each, fresh backend and simulator). Then a fresh backend and simulator hold half of it for {} {period}{} ({} virtual users, sign-ins started on a fixed schedule, a late one as soon as a user is free), plus `GET /api/me` at a steady rate over keep-alive connections of signed-in agents. RSS is `VmRSS`, the peak `VmHWM`; \"start\" is after {:.1} s of warm-up at the same rates. Latencies are per operation, nearest-rank quantiles per {period}.\n",
        levels.join(" and "),
        scale.soak_peak.duration.as_secs_f64(),
        scale.soak_periods,
        if scale.soak_periods == 1 { "" } else { "s" },
        scale.soak_users,
        scale.warmup.as_secs_f64(),
    );
    let _ = writeln!(
        s,
        "| store | peak sign-ins/s (users) | sign-ins/s held (target) | sign-ins | `/api/me` req/s (connections) | `/api/me` requests | errors | sign-in p99 ms, first → last {period} | `/api/me` p99 ms, first → last {period} | backend RSS KiB: start → end (peak) | simulator RSS KiB: start → end | outside the backend: start → end |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    );
    for st in &soak.stores {
        let (sign_ins, me, errors) = st.totals();
        let p99 = |f: fn(&SoakPeriod) -> &Outcome| match (st.periods.first(), st.periods.last()) {
            (Some(first), Some(last)) => {
                format!("{:.2} → {:.2}", f(first).quantile_ms(0.99), f(last).quantile_ms(0.99))
            }
            _ => "—".into(),
        };
        let _ = writeln!(
            s,
            "| {} | {:.0} ({}) | {:.0} ({:.0}) | {sign_ins} | {:.0} ({}) | {me} | {} | {} | {} | {} → {} ({}) | {} → {} | {} |",
            st.store,
            st.peak,
            st.peak_users,
            st.held(),
            st.target,
            st.me_rate,
            st.me_connections,
            errors.values().sum::<u64>(),
            p99(|p| &p.sign_in),
            p99(|p| &p.me),
            st.rss_start_kib,
            st.rss_end_kib,
            st.rss_peak_kib,
            st.simulator_rss_start_kib,
            st.simulator_rss_end_kib,
            st.outside.as_deref().unwrap_or("—"),
        );
    }
    for st in &soak.stores {
        let _ = writeln!(
            s,
            "\n#### {} sessions, {period} by {period}\n\nBackend RSS {} KiB once started, before any traffic. CPU in cores (CPU seconds ÷ wall seconds) per process; \"other\" is what the rest of the machine used meanwhile.\n",
            st.store, st.rss_idle_kib
        );
        let _ = writeln!(
            s,
            "| {period} | sign-ins/s | sign-in p50 ms | sign-in p99 ms | `/api/me` req/s | `/api/me` p99 ms | errors | backend RSS KiB | simulator RSS KiB | CPU (cores) | other |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"
        );
        for (n, p) in st.periods.iter().enumerate() {
            let _ = writeln!(
                s,
                "| {} | {:.0} | {:.2} | {:.2} | {:.0} | {:.2} | {} | {} | {} | {} | {:.2} |",
                n + 1,
                p.sign_in.rate(),
                p.sign_in.quantile_ms(0.5),
                p.sign_in.quantile_ms(0.99),
                p.me.rate(),
                p.me.quantile_ms(0.99),
                p.sign_in.errors + p.me.errors,
                p.backend_rss_kib,
                p.simulator_rss_kib,
                p.sign_in.cpu_summary(),
                p.sign_in.other_cores
            );
        }
        let (_, _, errors) = st.totals();
        if !errors.is_empty() {
            let kinds: Vec<String> =
                errors.iter().map(|(kind, n)| format!("`{}` × {n}", kind.replace('`', "'"))).collect();
            let _ = writeln!(s, "\nErrors by kind: {}.", kinds.join(", "));
            let first = st.periods.iter().flat_map(|p| [&p.sign_in, &p.me]).find_map(|o| o.first_error.as_ref());
            if let Some(first) = first {
                let _ = writeln!(s, "\nFirst error: `{}`", first.replace('`', "'"));
            }
        }
    }
    s
}

/// Writes the table between the markers of `path` (creating the file if needed).
pub fn write(path: &Path, r: &Results) -> anyhow::Result<()> {
    write_between(path, (BEGIN, END), &table(r), "")
}

/// Writes the soak between its own markers of `path`, leaving the rest as it is (a `## Soak`
/// section is added at the end the first time).
pub fn write_soak(path: &Path, soak: &Soak) -> anyhow::Result<()> {
    write_between(path, (SOAK_BEGIN, SOAK_END), &soak_table(soak), "## Soak\n\n")
}

/// Replaces what lies between `markers` in `path`; without them, adds `heading` and the
/// markers at the end (or starts the file).
fn write_between(path: &Path, (begin, end): (&str, &str), body: &str, heading: &str) -> anyhow::Result<()> {
    let generated = format!("{begin}\n{}\n{end}", body.trim_end());
    let existing = std::fs::read_to_string(path).unwrap_or_default();
    let text = match (existing.find(begin), existing.find(end)) {
        (Some(b), Some(e)) if b < e => format!("{}{generated}{}", &existing[..b], &existing[e + end.len()..]),
        _ if existing.trim().is_empty() => format!(
            "# Benchmarks\n\n`./x bench` measures the kit and rewrites the parts between the markers.\n\n{heading}{generated}\n"
        ),
        _ => format!("{}\n\n{heading}{generated}\n", existing.trim_end()),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, text)?;
    Ok(())
}
