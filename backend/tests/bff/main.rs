//! The BFF's integration tests, one test binary (each binary links the whole dependency graph):
//! one module per part, each against real parts (the simulator, SQLite, `redis-server`) through
//! `testkit`. `cargo test -p proconnect-bff sign_in::` runs one part.
//!
//! Three files stay binaries of their own, for process-wide state: `configuration.rs` (figment's
//! `Jail` sets environment variables and the current directory), and `logs.rs` and
//! `provider_health.rs`, whose assertions on captured logs need `tracing`'s callsite interest,
//! cached process-wide, decided while their own subscriber is installed.

mod embedding;
mod http_surface;
mod logout;
mod openapi;
mod operations;
mod proconnect;
mod properties;
mod provider_failures;
mod provider_limits;
mod redis_cache;
mod sessions;
mod sign_in;
