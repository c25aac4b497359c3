//! Deliberate misbehaviour, so the relying party's negative tests can run against the simulator.

use std::time::Duration;

/// What the simulator should get wrong. The default is a faithful provider.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Answer the token endpoint with this HTTP status and a non-JSON body.
    pub token_status: Option<u16>,
    /// Wait this long before answering the token, userinfo and JWKS endpoints.
    pub delay: Option<Duration>,
    /// Sign ID tokens with a key that is not in the JWKS.
    pub id_token_unknown_key: bool,
    /// Sign userinfo responses with a key that is not in the JWKS.
    pub userinfo_unknown_key: bool,
    /// Put this `sub` in the userinfo response instead of the agent's.
    pub userinfo_sub: Option<String>,
    /// Replace claims of the ID token (e.g. `{"iss": "https://evil"}`; `null` removes one).
    pub id_token_overrides: serde_json::Map<String, serde_json::Value>,
}
