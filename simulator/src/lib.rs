//! An offline simulator of the ProConnect (formerly AgentConnect) OpenID Provider, faithful to
//! the service-provider contract it is configured with ([`Contract`]): today's ProConnect
//! platform by default (every level passed through, essential `acr` requests, roles, `iss` on the
//! callback, 60 s codes, 1 h access tokens, refresh tokens, separate ID token and userinfo
//! algorithms, unsigned userinfo, the test identity provider), or the 2024 AgentConnect guide's
//! strictness (`agentconnect-2024`). Proved by `simulator/tests/`: the mire and test FIs, 12-hour
//! provider sessions, single-use codes, signed ID tokens and userinfo (ES256, RS256 or HS256 per
//! client), RP-initiated logout, revocation, key rotation, an injectable clock
//! ([`Simulator::advance_clock`]) and fault injection ([`Simulator::set_faults`]).
//!
//! Start it in-process with [`Simulator::spawn`] (tests, the demo) or with the `simulator` binary.
//! `simulator/README.md` documents the configuration and what the simulator does not imitate.

// Handlers short-circuit with ready-made responses (`Result<_, Response>`); the size is irrelevant here.
#![allow(clippy::result_large_err)]

mod authorize;
mod clock;
pub mod config;
pub mod faults;
mod identity;
mod interaction;
pub mod keys;
pub mod levels;
mod pages;
mod provider;
mod store;
mod token;
mod userinfo;

pub use config::{
    AgentConfig, ClientConfig, Contract, IdentityProviderConfig, SigningAlg, SimulatorConfig, UserinfoAlg,
};
pub use faults::{Faults, Forgery};

use axum::Router;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;
use tokio::net::TcpListener;

/// A running or runnable simulator; cheap to clone.
#[derive(Clone)]
pub struct Simulator(Arc<Inner>);

struct Inner {
    config: SimulatorConfig,
    issuer: String,
    clock: clock::Clock,
    keys: Mutex<keys::KeyRing>,
    store: Mutex<store::Store>,
    faults: Mutex<Faults>,
}

/// Locks a mutex; a panic while it was held leaves data that is still consistent here (every
/// critical section is a single insert, remove or replace).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Simulator {
    /// Builds a simulator whose endpoints live under `issuer` (e.g. `http://127.0.0.1:8081/api/v2`).
    pub fn new(config: SimulatorConfig, issuer: String) -> anyhow::Result<Self> {
        let clock = clock::Clock::default();
        let interval = (config.key_rotation_seconds > 0).then(|| Duration::from_secs(config.key_rotation_seconds));
        let keys = keys::KeyRing::generate(interval, Duration::from_secs(config.key_grace_seconds), clock.now())?;
        Ok(Simulator(Arc::new(Inner {
            config,
            issuer,
            clock,
            keys: Mutex::new(keys),
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
        let now = self.0.clock.now();
        lock(&self.0.keys).rotate(now)
    }

    /// The active key id for an asymmetric algorithm.
    pub fn active_kid(&self, alg: SigningAlg) -> Option<String> {
        self.keys().active_kid(alg)
    }

    /// Replaces the injected faults (tests only).
    pub fn set_faults(&self, faults: Faults) {
        *lock(&self.0.faults) = faults;
    }

    /// Moves the simulator's clock forward (tests only): every lifetime (codes, access tokens,
    /// interactions, provider sessions, key rotation and grace) and every `iat`/`exp` follows it.
    pub fn advance_clock(&self, by: Duration) {
        self.0.clock.advance(by);
    }

    fn faults(&self) -> Faults {
        lock(&self.0.faults).clone()
    }

    fn clock(&self) -> &clock::Clock {
        &self.0.clock
    }

    fn store(&self) -> MutexGuard<'_, store::Store> {
        lock(&self.0.store)
    }

    /// The key ring, rotated first if the rotation interval has elapsed.
    fn keys(&self) -> MutexGuard<'_, keys::KeyRing> {
        let now = self.0.clock.now();
        let mut keys = lock(&self.0.keys);
        if keys.due(now)
            && let Err(error) = keys.rotate(now)
        {
            tracing::error!(%error, "key rotation failed");
        }
        keys
    }

    /// Binds `addr` (port 0 for an ephemeral one), and serves in the background.
    /// The issuer is `http://<bound address>/api/v2`. Keys rotate when they are used after the
    /// rotation interval has elapsed (no background task).
    pub async fn spawn(config: SimulatorConfig, addr: SocketAddr) -> anyhow::Result<RunningSimulator> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let simulator = Simulator::new(config, format!("http://{addr}/api/v2"))?;
        let app = simulator.router();
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
