//! What the `proconnect-bff` binary adds to the library: the offline simulator wired to the BFF
//! for the demo (also used by the end-to-end tests and the benchmarks).

#[cfg(feature = "simulator")]
pub mod demo;
