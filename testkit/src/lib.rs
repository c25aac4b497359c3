//! What the tests of the BFF, the binary, the e2e journeys share: the [`Kit`] (the BFF and the
//! offline simulator on loopback ports, the simulator behind a [`Relay`] a test can cut or stall,
//! the BFF optionally behind a [`RecordingProxy`] that checks no script can read a JWT), a
//! [`Browser`] without a browser (an [`HttpAgent`] with its own cookie jar that steps through the
//! redirects and the provider's pages one by one, so a test can stop or tamper at any step),
//! [`CapturedLogs`], and [`RedisServer`], Debian's `redis-server` on a free loopback port.

mod browser;
mod http;
mod kit;
mod logs;
pub mod proxy;
mod redis;
mod relay;

pub use browser::{Browser, DEMO_EMAIL, DEMO_LOGIN, through_provider};
pub use http::{Answer, HttpAgent, is_removal};
pub use kit::{
    Kit, fake_spa, loopback_settings, serve, serve_elsewhere, serve_router, set_alg, spawn_simulator,
    spawn_simulator_with,
};
pub use logs::CapturedLogs;
pub use proxy::RecordingProxy;
pub use redis::RedisServer;
pub use relay::{Relay, Tap};

/// A free loopback port: bound on `127.0.0.1:0`, then released for a process or server to take.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0))?.local_addr()?.port())
}

/// URL-encodes a query value.
pub fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
