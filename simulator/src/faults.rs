//! Deliberate misbehaviour, so the relying party's negative tests can run against the simulator.
//! Set with [`Simulator::set_faults`](crate::Simulator::set_faults); the default is a faithful
//! provider.

use std::time::Duration;

/// A wrong way to sign a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Forgery {
    /// Signed with the client's algorithm (ES256 for an HS256 client) by a key absent from the JWKS.
    UnknownKey,
    /// Signed by a key absent from the JWKS, but naming the published key's `kid` (only the
    /// signature check itself can catch it).
    SpoofedKid,
    /// `alg: none`, empty signature.
    AlgNone,
    /// HS256 keyed with the PEM of the provider's published public key (algorithm confusion).
    Hs256WithPublicKey,
    /// Correctly signed by a published key, but with an asymmetric algorithm other than the
    /// client's registered one (RS256 for an ES256 client, ES256 otherwise).
    WrongAlg,
}

/// What the simulator should get wrong. The default is a faithful provider.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Answer the token endpoint with this HTTP status and a non-JSON body.
    pub token_status: Option<u16>,
    /// Answer the token endpoint `200 application/json` with a body that is not JSON.
    pub token_invalid_json: bool,
    /// Pad the (otherwise valid) token response with this many bytes of whitespace
    /// (e.g. 10 MB), to test the client's response size limit.
    pub token_body_padding: Option<usize>,
    /// Wait this long before answering the token, userinfo and JWKS endpoints.
    pub delay: Option<Duration>,
    /// Sign ID tokens with a key that is not in the JWKS (same as `id_token_forgery: Some(UnknownKey)`).
    pub id_token_unknown_key: bool,
    /// Sign ID tokens wrongly.
    pub id_token_forgery: Option<Forgery>,
    /// Sign userinfo responses with a key that is not in the JWKS (same as `userinfo_forgery: Some(UnknownKey)`).
    pub userinfo_unknown_key: bool,
    /// Sign userinfo responses wrongly.
    pub userinfo_forgery: Option<Forgery>,
    /// Answer userinfo with plain `application/json` claims instead of a signed JWT.
    pub userinfo_not_jwt: bool,
    /// Put this `sub` in the userinfo response instead of the agent's.
    pub userinfo_sub: Option<String>,
    /// Replace claims of the ID token (e.g. `{"iss": "https://evil"}`; `null` removes one).
    pub id_token_overrides: serde_json::Map<String, serde_json::Value>,
    /// Ignore an essential `acr` claim request, as a provider that does not honour it would:
    /// the code is issued with the agent's real level (e.g. `eidas1` when `eidas1-mfa` was
    /// required), and an existing session is reused whatever its level. For the relying party's
    /// own server-side level check.
    pub ignore_essential_acr: bool,
}

impl Faults {
    /// The forgery to apply to ID tokens, if any.
    pub fn id_token_forgery(&self) -> Option<Forgery> {
        self.id_token_forgery.or(self.id_token_unknown_key.then_some(Forgery::UnknownKey))
    }

    /// The forgery to apply to userinfo responses, if any.
    pub fn userinfo_forgery(&self) -> Option<Forgery> {
        self.userinfo_forgery.or(self.userinfo_unknown_key.then_some(Forgery::UnknownKey))
    }
}
