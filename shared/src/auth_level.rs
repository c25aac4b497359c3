//! Authentication context (`acr`) and methods (`amr`).

use serde::{Deserialize, Serialize};

/// eIDAS level of assurance. An FS may only request [`Acr::Eidas1`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[allow(missing_docs)]
pub enum Acr {
    Eidas1,
    Eidas2,
    Eidas3,
}

impl Acr {
    /// The value on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Acr::Eidas1 => "eidas1",
            Acr::Eidas2 => "eidas2",
            Acr::Eidas3 => "eidas3",
        }
    }
}

/// Authentication method reference (ProConnect).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Amr {
    /// Password plus an emailed one-time code.
    Pwd,
    /// Magic link.
    Mail,
    /// Time-based one-time password.
    Totp,
    /// Passkey or agent card (proof of possession).
    Pop,
    /// Multi-factor.
    Mfa,
    /// A value the contract does not list, kept as received.
    #[serde(untagged)]
    Other(String),
}
