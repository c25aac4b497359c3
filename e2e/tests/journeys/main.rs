//! The end-to-end journeys, one test binary (each binary links the whole dependency graph): the
//! kit serving the built SPA behind the recording proxy, driven in headless Chromium or, where no
//! page is involved, by testkit's HTTP agent. `cargo test -p e2e recette::` runs one part.
//!
//! `hostile_provider.rs` stays a binary of its own: it installs a global `tracing` subscriber
//! whose captured lines each scenario reads as its own.

mod faults;
mod first_paint;
mod pages;
mod proconnect;
mod recette;
mod redis_sessions;
mod sign_in;
mod ts_example;
