//! `backend`: serves the BFF and the SPA; with the `simulator` preset, also starts the offline
//! ProConnect simulator next to it (the demo).

use backend::App;
use backend::settings::{Preset, Settings};
use clap::Parser;
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
        tracing_subscriber::fmt().with_env_filter(filter).init();
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
    let public_url = settings.public_url.clone();
    let router = App::new(settings)?.router().await?;
    tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "ready");
    println!("ProConnect kit ready: open {public_url}");
    axum::serve(listener, router.into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// Starts the simulator on the next port, registered for this backend's URLs.
#[cfg(feature = "simulator")]
async fn start_simulator(settings: &mut Settings) -> anyhow::Result<simulator::RunningSimulator> {
    let port =
        settings.listen.port().checked_add(1).ok_or_else(|| anyhow::anyhow!("no port after {}", settings.listen))?;
    let running =
        backend::demo::start_simulator(settings, std::net::SocketAddr::new(settings.listen.ip(), port)).await?;
    println!("ProConnect simulator: {} (demo agent: test@fia1.fr, login test, password 123)", running.issuer());
    Ok(running)
}

#[cfg(not(feature = "simulator"))]
async fn start_simulator(_: &mut Settings) -> anyhow::Result<()> {
    anyhow::bail!("the simulator preset needs provider.issuer (this build has no embedded simulator)")
}
