//! Types both sides of the kit use: the vocabulary of the ProConnect (formerly AgentConnect) contract
//! (scopes, claims, acr/amr, error codes, platforms, brands) and the JSON the backend serves.
//!
//! Values are parsed at the edge and trusted inside: a [`Siret`] always holds 14 digits,
//! a [`Scope`] is always one the contract defines.

pub mod api;
pub mod auth_level;
pub mod claims;
pub mod environment;
pub mod error_code;
pub mod request;
pub mod roles;
pub mod scope;
pub mod signing;
#[cfg(feature = "ts")]
pub mod typescript;
mod wire;

pub use api::{ApiError, CSRF_HEADER, Me, PublicConfig};
pub use auth_level::{Acr, Amr, InvalidLevelPolicy, LevelPolicy};
pub use claims::{AgentClaims, Siren, Siret};
pub use environment::{Brand, Environment, Network, Platform};
pub use error_code::{AccessDenied, Bilingual, CallbackError, ErrorCode, Explanation};
pub use roles::{Role, RolePolicy};
pub use scope::{Scope, Scopes};
pub use signing::{SigningAlg, UserinfoAlg};
