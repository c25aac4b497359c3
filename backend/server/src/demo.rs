//! The offline simulator wired to this backend: what the demo, the tests and the benchmarks use.

use proconnect_bff::settings::{Secret, Settings};
use proconnect_simulator::SimulatorConfig;
use std::net::SocketAddr;

/// Registers this backend's URLs as the first client of `config` (redirect, post-logout and home
/// URLs), and gives `settings` that client's id and secret.
pub fn register_client(config: &mut SimulatorConfig, settings: &mut Settings) -> anyhow::Result<()> {
    let client = config.clients.first_mut().ok_or_else(|| anyhow::anyhow!("the demo simulator has no client"))?;
    client.redirect_uris = vec![settings.redirect_uri().to_string()];
    client.post_logout_redirect_uris = vec![settings.post_logout_redirect_uri().to_string()];
    client.home_url = settings.public_url.to_string();
    settings.provider.client_id = client.client_id.clone();
    settings.provider.client_secret = Secret::new(client.client_secret.clone());
    Ok(())
}

/// Starts the simulator on `addr` with its demo configuration, registers this backend as the
/// demo client ([`register_client`]), and points `settings` at it (issuer, client id and secret).
pub async fn start_simulator(
    settings: &mut Settings,
    addr: SocketAddr,
) -> anyhow::Result<proconnect_simulator::RunningSimulator> {
    let mut config = SimulatorConfig::demo();
    register_client(&mut config, settings)?;
    let running = proconnect_simulator::Simulator::spawn(config, addr).await?;
    settings.provider.issuer = Some(running.issuer().parse()?);
    Ok(running)
}
