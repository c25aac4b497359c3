//! What the backend's and the e2e tests share: [`HttpAgent`], a browser without a browser (an
//! HTTP client with its own cookie jar that steps through redirects one by one, so a test can stop
//! or tamper at any step), and [`RedisServer`], Debian's `redis-server` on a free loopback port.

mod http;
mod redis;

pub use http::{Answer, HttpAgent, is_removal};
pub use redis::RedisServer;
