//! The algorithms a service registers with ProConnect, separately for the ID token and for
//! userinfo (the partner portal's default is RS256 for both).

use serde::{Deserialize, Serialize};

/// A JWS algorithm for ID tokens (and signed userinfo).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SigningAlg {
    /// ECDSA P-256 with SHA-256 (the kit's demo).
    #[default]
    ES256,
    /// RSA PKCS#1 v1.5 with SHA-256 (the partner portal's default).
    RS256,
    /// HMAC with SHA-256, keyed with the client secret (supported, not recommended).
    HS256,
}

/// How userinfo responses are registered: a JWT signed with an algorithm, or plain JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserinfoAlg {
    /// A JWT signed with ECDSA P-256.
    ES256,
    /// A JWT signed with RSA PKCS#1 v1.5.
    RS256,
    /// A JWT signed with HMAC and the client secret.
    HS256,
    /// Unsigned `application/json` (`"none"`): the claims then rest on TLS alone.
    #[serde(rename = "none")]
    Unsigned,
}

impl UserinfoAlg {
    /// The signing algorithm, or `None` for unsigned JSON.
    pub fn signing(self) -> Option<SigningAlg> {
        match self {
            UserinfoAlg::ES256 => Some(SigningAlg::ES256),
            UserinfoAlg::RS256 => Some(SigningAlg::RS256),
            UserinfoAlg::HS256 => Some(SigningAlg::HS256),
            UserinfoAlg::Unsigned => None,
        }
    }
}

impl From<SigningAlg> for UserinfoAlg {
    fn from(alg: SigningAlg) -> Self {
        match alg {
            SigningAlg::ES256 => UserinfoAlg::ES256,
            SigningAlg::RS256 => UserinfoAlg::RS256,
            SigningAlg::HS256 => UserinfoAlg::HS256,
        }
    }
}
