//! Serves the example application: the configuration as the BFF's (a TOML file named by
//! `BFF_CONFIG`, and `BFF_*` variables), with the BFF under `/compte`.

use proconnect_bff::settings::Settings;
use std::net::SocketAddr;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let file = std::env::var_os("BFF_CONFIG").map(std::path::PathBuf::from);
    let mut settings = Settings::load(file.as_deref())?;
    settings.paths.base = example_axum_host::BFF_BASE.into();
    let listener = tokio::net::TcpListener::bind(settings.listen).await?;
    let app = example_axum_host::app(settings).await?;
    // ConnectInfo gives the rate limiter of /compte/auth/* the client's address.
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await?;
    Ok(())
}
