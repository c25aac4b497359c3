//! An offline simulator of the AgentConnect / ProConnect OpenID Provider, faithful to
//! `spec/agentconnect-contract.md`: strict authorize, the mire and test FIs, 12-hour provider
//! sessions, single-use 30 s codes, 60 s access tokens, signed ID tokens and userinfo JWTs
//! (ES256, RS256 or HS256 per client), RP-initiated logout, revocation, key rotation and fault
//! injection for tests.
//!
//! Start it in-process with [`Simulator::spawn`] (tests, the demo) or with the `simulator` binary.

pub mod config;
pub mod faults;
pub mod keys;
mod pages;
mod provider;
mod store;

pub use config::{AgentConfig, ClientConfig, IdentityProviderConfig, SigningAlg, SimulatorConfig};
pub use faults::Faults;

use axum::Router;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::net::TcpListener;

/// A running or runnable simulator; cheap to clone.
#[derive(Clone)]
pub struct Simulator(Arc<Inner>);

struct Inner {
    config: SimulatorConfig,
    issuer: String,
    keys: RwLock<keys::KeyRing>,
    store: Mutex<store::Store>,
    faults: Mutex<Faults>,
}

impl Simulator {
    /// Builds a simulator whose endpoints live under `issuer` (e.g. `http://127.0.0.1:8081/api/v2`).
    pub fn new(config: SimulatorConfig, issuer: String) -> anyhow::Result<Self> {
        let keys = keys::KeyRing::generate(Duration::from_secs(config.key_grace_seconds))?;
        Ok(Simulator(Arc::new(Inner {
            config,
            issuer,
            keys: RwLock::new(keys),
            store: Mutex::new(store::Store::default()),
            faults: Mutex::new(Faults::default()),
        })))
    }

    /// The issuer URL.
    pub fn issuer(&self) -> &str {
        &self.0.issuer
    }

    /// The configuration in use.
    pub fn config(&self) -> &SimulatorConfig {
        &self.0.config
    }

    /// The axum router serving every endpoint and page.
    pub fn router(&self) -> Router {
        provider::router(self.clone())
    }

    /// Rotates the signing keys now (the previous ones stay published for the grace period).
    pub fn rotate_keys(&self) -> anyhow::Result<()> {
        self.0.keys.write().expect("key ring lock").rotate()
    }

    /// The active key id for an asymmetric algorithm.
    pub fn active_kid(&self, alg: SigningAlg) -> Option<String> {
        self.0.keys.read().expect("key ring lock").active_kid(alg)
    }

    /// Replaces the injected faults (tests only).
    pub fn set_faults(&self, faults: Faults) {
        *self.0.faults.lock().expect("faults lock") = faults;
    }

    fn faults(&self) -> Faults {
        self.0.faults.lock().expect("faults lock").clone()
    }

    /// Binds `addr` (port 0 for an ephemeral one), and serves in the background.
    /// The issuer is `http://<bound address>/api/v2`.
    pub async fn spawn(config: SimulatorConfig, addr: SocketAddr) -> anyhow::Result<RunningSimulator> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let simulator = Simulator::new(config, format!("http://{addr}/api/v2"))?;
        let app = simulator.router();
        let rotation = simulator.0.config.key_rotation_seconds;
        if rotation > 0 {
            let rotating = simulator.clone();
            tokio::spawn(async move {
                let mut every = tokio::time::interval(Duration::from_secs(rotation));
                every.tick().await;
                loop {
                    every.tick().await;
                    if let Err(error) = rotating.rotate_keys() {
                        tracing::error!(%error, "key rotation failed");
                    }
                }
            });
        }
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, app).await {
                tracing::error!(%error, "simulator stopped");
            }
        });
        Ok(RunningSimulator { simulator, addr, task })
    }
}

/// A simulator serving on a loopback port; stops when dropped.
pub struct RunningSimulator {
    /// The simulator (to rotate keys or inject faults).
    pub simulator: Simulator,
    /// Where it listens.
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl RunningSimulator {
    /// The issuer URL.
    pub fn issuer(&self) -> &str {
        self.simulator.issuer()
    }
}

impl Drop for RunningSimulator {
    fn drop(&mut self) {
        self.task.abort();
    }
}
