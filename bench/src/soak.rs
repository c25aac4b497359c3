//! The soak (`./x bench --soak`): per store, half the peak sign-in rate plus steady `/api/me`
//! traffic for minutes on one backend, to show whether it holds a long load without leaking.

use crate::load::{self, Bounds, RawGetter, SignInUser, paced_phase};
use crate::procs::Proc;
use crate::report::{SoakPeriod, SoakStore};
use crate::{Lab, Rp, Scale, Store, redis, sign_ins};
use anyhow::Context;
use reqwest::StatusCode;
use std::net::{Ipv4Addr, SocketAddr};

/// The soak of each store: memory, SQLite, then Redis (skipped, with a message, when
/// `redis-server` does not start).
pub async fn soak(lab: &mut Lab, scale: Scale) -> anyhow::Result<Vec<SoakStore>> {
    let mut results = Vec::new();
    for kind in [Kind::Memory, Kind::Sqlite, Kind::Redis] {
        results.extend(soak_store(lab, kind, scale).await?);
    }
    Ok(results)
}

/// The stores soaked, in order.
#[derive(Clone, Copy)]
enum Kind {
    Memory,
    Sqlite,
    Redis,
}

/// A store of `kind`, with the `redis-server` it needs (a fresh one each time, so that the soak
/// does not start with the peak phase's sessions).
async fn start_store(lab: &Lab, kind: Kind) -> anyhow::Result<(Store, Option<Proc>)> {
    Ok(match kind {
        Kind::Memory => (Store::Memory, None),
        Kind::Sqlite => (Store::Sqlite, None),
        Kind::Redis => {
            let (server, port) = redis(&lab.dir).await?;
            (Store::Redis(port), Some(server))
        }
    })
}

/// The peak sign-in rate of a fresh backend with that store (the sign-in section's phase at the
/// soak's levels), then the soak itself on another fresh backend and simulator.
async fn soak_store(lab: &mut Lab, kind: Kind, scale: Scale) -> anyhow::Result<Option<SoakStore>> {
    let (store, server) = match start_store(lab, kind).await {
        Ok(started) => started,
        Err(error) if matches!(kind, Kind::Redis) => {
            eprintln!("==> soak: no Redis measurement: {error:#}");
            return Ok(None);
        }
        Err(error) => return Err(error),
    };
    eprintln!("==> soak, {} sessions: the peak sign-in rate first", store.name());
    let peak_scale = Scale { sign_in_levels: scale.soak_peak_levels, sign_in: scale.soak_peak, ..scale };
    let peaks = sign_ins(lab, &Rp::Rust(store), peak_scale).await;
    if let Some(server) = server {
        server.stop().await;
    }
    let (peak_users, peak) = peaks?
        .into_iter()
        .map(|(users, outcome)| (users, outcome.rate()))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .context("no sign-in level measured")?;

    let (store, server) = start_store(lab, kind).await?;
    lab.restart_simulator().await?;
    let (backend, _, _) = lab.backend(&store, lab.backend_port).await?;
    let result = hold(lab, &backend, &store, server.as_ref(), scale, peak / 2.0).await;
    backend.stop().await;
    if let Some(server) = server {
        server.stop().await;
    }
    Ok(Some(SoakStore { peak, peak_users, ..result? }))
}

/// Holds `target` sign-ins per second and the `/api/me` rate on `backend` for the soak's periods.
async fn hold(
    lab: &Lab,
    backend: &Proc,
    store: &Store,
    server: Option<&Proc>,
    scale: Scale,
    target: f64,
) -> anyhow::Result<SoakStore> {
    let simulator = lab.simulator()?;
    let url = lab.backend_url();
    let rss_idle_kib = backend.rss_kib()?;
    let agents = load::signed_in_cookies(&url, &lab.simulator_origin, scale.soak_me_connections, 8).await?;
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, lab.backend_port));
    let mut getters: Vec<RawGetter> =
        agents.iter().map(|c| RawGetter::new(addr, "/api/me", Some(c), StatusCode::OK)).collect();
    let mut users = (0..scale.soak_users)
        .map(|_| SignInUser::new(&url, &lab.simulator_origin))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut watched = vec![backend, simulator];
    watched.extend(server);
    let me_rate = Some(scale.soak_me_rate);
    eprintln!(
        "==> soak, {} sessions: {target:.0} sign-ins/s and {:.0} /api/me req/s for {} × {} s",
        store.name(),
        scale.soak_me_rate,
        scale.soak_periods,
        scale.soak_period.as_secs_f64()
    );

    let warmup = Bounds { duration: scale.warmup, max_ops: u64::MAX };
    ((users, _), (getters, _)) =
        tokio::join!(paced_phase(users, warmup, Some(target), &watched), paced_phase(getters, warmup, me_rate, &[]));
    let rss_start_kib = backend.rss_kib()?;
    let simulator_rss_start_kib = simulator.rss_kib()?;
    let store_start = store_state(lab, store, server).await;

    let period = Bounds { duration: scale.soak_period, max_ops: u64::MAX };
    let mut periods = Vec::new();
    for n in 1..=scale.soak_periods {
        let ((u, sign_in), (g, me)) = tokio::join!(
            paced_phase(users, period, Some(target), &watched),
            paced_phase(getters, period, me_rate, &[])
        );
        (users, getters) = (u, g);
        let done =
            SoakPeriod { sign_in, me, backend_rss_kib: backend.rss_kib()?, simulator_rss_kib: simulator.rss_kib()? };
        eprintln!(
            "    {n:>3}: {:>5.0} sign-ins/s p99 {:>7.2} ms, {:>5.0} /api/me/s p99 {:>7.2} ms, errors {}, RSS backend {} KiB, simulator {} KiB; cpu: {}, other {:.2}",
            done.sign_in.rate(),
            done.sign_in.quantile_ms(0.99),
            done.me.rate(),
            done.me.quantile_ms(0.99),
            done.sign_in.errors + done.me.errors,
            done.backend_rss_kib,
            done.simulator_rss_kib,
            done.sign_in.cpu_summary(),
            done.sign_in.other_cores
        );
        for error in [&done.sign_in.first_error, &done.me.first_error].into_iter().flatten() {
            eprintln!("          first error: {error}");
        }
        periods.push(done);
    }

    let outside = match (store_start, store_state(lab, store, server).await) {
        (Some((what, start, keys_start)), Some((_, end, keys_end))) => Some(match (keys_start, keys_end) {
            (Some(a), Some(b)) => format!("{what} {start:.1} → {end:.1} MiB, {a} → {b} keys"),
            _ => format!("{what} {start:.1} → {end:.1} MiB"),
        }),
        _ => None,
    };
    Ok(SoakStore {
        store: store.name(),
        peak: 0.0,
        peak_users: 0,
        target,
        me_rate: scale.soak_me_rate,
        me_connections: scale.soak_me_connections,
        periods,
        rss_idle_kib,
        rss_start_kib,
        rss_end_kib: backend.rss_kib()?,
        rss_peak_kib: backend.peak_rss_kib()?,
        simulator_rss_start_kib,
        simulator_rss_end_kib: simulator.rss_kib()?,
        outside,
    })
}

/// What the store outside the backend holds, MiB, and its keys: the SQLite files (database +
/// WAL), or `redis-server`'s RSS and `DBSIZE`.
async fn store_state(lab: &Lab, store: &Store, server: Option<&Proc>) -> Option<(&'static str, f64, Option<u64>)> {
    let mib = |bytes: u64| bytes as f64 / 1024.0 / 1024.0;
    match (store, server) {
        (Store::Sqlite, _) => {
            let prefix = format!("sessions-{}.sqlite", lab.starts);
            let bytes: u64 = std::fs::read_dir(&lab.dir)
                .ok()?
                .filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().starts_with(&prefix))
                .filter_map(|e| e.metadata().ok())
                .map(|m| m.len())
                .sum();
            Some(("SQLite files", mib(bytes), None))
        }
        (Store::Redis(port), Some(server)) => {
            Some(("redis-server RSS", mib(server.rss_kib().ok()? * 1024), redis_keys(*port).await.ok()))
        }
        _ => None,
    }
}

/// `DBSIZE` of the `redis-server` on `port`.
async fn redis_keys(port: u16) -> anyhow::Result<u64> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect((Ipv4Addr::LOCALHOST, port)).await?;
    stream.write_all(b"DBSIZE\r\n").await?;
    let mut answer = [0u8; 32];
    let n = stream.read(&mut answer).await?;
    Ok(std::str::from_utf8(&answer[..n])?.trim().strip_prefix(':').context("DBSIZE answer")?.parse()?)
}
