//! The simulator's conformance tests, one test binary (each binary links the whole dependency
//! graph): one module per part of the contract, sharing `common` (a simulator on loopback with
//! the test configuration, a browser that steps through the mire and the FI, JWT checks).
//! `cargo test -p proconnect-simulator token::` runs one part.

mod common;

mod authorize;
mod brand;
mod discovery;
mod errors;
mod faults;
mod generic_client;
mod keys;
mod logout;
mod mire;
mod openid_client;
mod proconnect;
mod token;
mod userinfo;
