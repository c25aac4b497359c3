//! Types both sides of the kit use: the vocabulary of the AgentConnect / ProConnect contract
//! (scopes, claims, acr/amr, error codes, platforms, brands) and the JSON the backend serves.
//!
//! Values are parsed at the edge and trusted inside: a [`Siret`] always holds 14 digits,
//! a [`Scope`] is always one the contract defines.

pub mod api;
pub mod auth_level;
pub mod claims;
pub mod environment;
pub mod error_code;
pub mod scope;

pub use api::{ApiError, CSRF_HEADER, LogoutResponse, Me, PublicConfig};
pub use auth_level::{Acr, Amr};
pub use claims::{AgentClaims, Siren, Siret};
pub use environment::{Brand, Environment, Network, Platform};
pub use error_code::ErrorCode;
pub use scope::{Scope, Scopes};
