//! `simulator`: runs the ProConnect (or, with `contract = "agentconnect-2024"`, AgentConnect) simulator alone.

use clap::Parser;
use proconnect_simulator::{Simulator, SimulatorConfig};
use std::net::SocketAddr;
use std::path::PathBuf;

/// An offline ProConnect / AgentConnect provider for development and tests.
#[derive(Parser)]
struct Args {
    /// Address to listen on (loopback by default).
    #[arg(long, env = "SIMULATOR_ADDR", default_value = "127.0.0.1:8081")]
    addr: SocketAddr,
    /// A TOML configuration (default: the bundled `simulator.toml`).
    #[arg(long, env = "SIMULATOR_CONFIG")]
    config: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).init();
    let args = Args::parse();
    let config = match &args.config {
        Some(path) => SimulatorConfig::from_file(path)?,
        None => SimulatorConfig::demo(),
    };
    let running = Simulator::spawn(config, args.addr).await?;
    let brand = running.simulator.config().brand().name();
    println!("{brand} simulator: {}/.well-known/openid-configuration", running.issuer());
    tokio::signal::ctrl_c().await?;
    Ok(())
}
