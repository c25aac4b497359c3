//! `proconnect-bff`: serves the BFF and the SPA; with the `simulator` preset, also starts the offline
//! ProConnect simulator next to it (the demo).

use clap::Parser;
use proconnect_bff::App;
use proconnect_bff::settings::{Preset, Settings};
use std::path::PathBuf;

/// mimalloc: the session and HTTP work is allocation-heavy (BENCHMARKS.md, finding 5).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The ProConnect backend-for-frontend.
#[derive(Parser)]
struct Args {
    /// A TOML configuration file (values can also be set through BFF_* variables).
    #[arg(long, env = "BFF_CONFIG")]
    config: Option<PathBuf>,
    /// Run the demo: the provider defaults to the offline simulator (loopback addresses only).
    /// Without it, the configuration must name its platform (`provider.preset`).
    #[arg(long)]
    demo: bool,
    /// Log as JSON lines.
    #[arg(long)]
    json_logs: bool,
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    // tower-sessions opens an INFO span per request and per session access: costly, and never read.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,tower_sessions=warn,tower_sessions_core=warn".into());
    if args.json_logs {
        tracing_subscriber::fmt().json().with_env_filter(filter).init();
    } else {
        // Colours only on a terminal: a file or a pipe gets plain lines (shorter, cheaper to write).
        use std::io::IsTerminal;
        tracing_subscriber::fmt().with_env_filter(filter).with_ansi(std::io::stdout().is_terminal()).init();
    }
    if let Err(error) = run(args).await {
        eprintln!("error: {error:#}");
        std::process::exit(1);
    }
}

async fn run(args: Args) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let file = args.config.as_deref();
    let mut settings = if args.demo { Settings::load_demo(file)? } else { Settings::load(file)? };
    let _simulator = if settings.provider.preset == Preset::Simulator && settings.provider.issuer.is_none() {
        Some(start_simulator(&mut settings).await?)
    } else {
        None
    };
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", settings.listen))?;
    let ops_listener = match settings.ops_listen {
        Some(addr) => Some(
            tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| anyhow::anyhow!("cannot listen on {addr} (ops_listen): {e}"))?,
        ),
        None => None,
    };
    let public_url = settings.public_url.clone();
    let grace = std::time::Duration::from_secs(settings.shutdown_grace_seconds);
    let routers = App::new(settings)?.routers().await?;
    // Before saying ready: a signal from then on is a graceful shutdown, never the default kill.
    let signal = shutdown_signal()?;
    tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "ready");
    println!("ProConnect kit ready: open {public_url}");
    serve(listener, routers.public, ops_listener.zip(routers.ops), signal, grace).await
}

/// Serves until SIGTERM or Ctrl-C, then stops accepting connections and lets the requests in
/// flight finish, for at most `grace`; past it, exits anyway.
async fn serve(
    listener: tokio::net::TcpListener,
    public: axum::Router,
    ops: Option<(tokio::net::TcpListener, axum::Router)>,
    signal: impl std::future::Future<Output = &'static str>,
    grace: std::time::Duration,
) -> anyhow::Result<()> {
    use std::future::IntoFuture;
    use std::net::SocketAddr;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let on_stop = |mut stopped: tokio::sync::watch::Receiver<bool>| async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    };
    let public = axum::serve(listener, public.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(on_stop(stopped.clone()))
        .into_future();
    let ops = async {
        match ops {
            Some((listener, router)) => {
                axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
                    .with_graceful_shutdown(on_stop(stopped.clone()))
                    .await
            }
            None => Ok(()),
        }
    };
    let servers = async { tokio::try_join!(public, ops) };
    tokio::pin!(servers);
    let name = tokio::select! {
        ended = &mut servers => {
            ended?;
            return Ok(());
        }
        name = signal => name,
    };
    tracing::info!(
        signal = name,
        grace_seconds = grace.as_secs(),
        "shutting down: no new connections, finishing the requests in flight"
    );
    let _ = stop.send(true);
    match tokio::time::timeout(grace, &mut servers).await {
        Ok(ended) => {
            ended?;
            tracing::info!("stopped: every request in flight finished");
        }
        Err(_) => {
            tracing::warn!(
                grace_seconds = grace.as_secs(),
                "stopped: the grace period ended with requests still in flight"
            );
            // Exits now rather than waiting for blocked tasks when the runtime shuts down.
            std::process::exit(0);
        }
    }
    Ok(())
}

/// Resolves with the signal's name on SIGTERM (Unix) or Ctrl-C. The handlers are installed now.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = &'static str>> {
    #[cfg(unix)]
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| anyhow::anyhow!("cannot handle SIGTERM: {e}"))?;
    #[cfg(unix)]
    let mut interrupt = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
        .map_err(|e| anyhow::anyhow!("cannot handle Ctrl-C: {e}"))?;
    Ok(async move {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = terminate.recv() => "SIGTERM",
                _ = interrupt.recv() => "SIGINT",
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            "Ctrl-C"
        }
    })
}

/// Starts the simulator on the next port, registered for this backend's URLs.
#[cfg(feature = "simulator")]
async fn start_simulator(settings: &mut Settings) -> anyhow::Result<proconnect_simulator::RunningSimulator> {
    let port =
        settings.listen.port().checked_add(1).ok_or_else(|| anyhow::anyhow!("no port after {}", settings.listen))?;
    let running =
        proconnect_bff_server::demo::start_simulator(settings, std::net::SocketAddr::new(settings.listen.ip(), port))
            .await?;
    println!("ProConnect simulator: {} (demo agent: test@fia1.fr, login test, password 123)", running.issuer());
    Ok(running)
}

#[cfg(not(feature = "simulator"))]
async fn start_simulator(_: &mut Settings) -> anyhow::Result<()> {
    anyhow::bail!("the simulator preset needs provider.issuer (this build has no embedded simulator)")
}
