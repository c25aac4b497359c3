//! The simulator's configuration: the contract it enforces, clients (FS), identity providers (FI)
//! and their test agents, lifetimes and key rotation. Loaded from TOML; `simulator.toml` is the
//! documented default.

use proconnect_types::{Brand, Scope};
pub use proconnect_types::{SigningAlg, UserinfoAlg};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// The whole configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulatorConfig {
    /// The protocol rules: today's ProConnect platform (the default) or the 2024 AgentConnect
    /// guide's strictness. See [`Contract`].
    #[serde(default)]
    pub contract: Contract,
    /// The wording of the provider's pages and, under `agentconnect-2024` only, the 2024
    /// ProConnect additions (`custom`, `roles`, `organization_label` scopes and the FIs marked
    /// `proconnect_only`). Absent: the contract's own brand ([`Contract::brand`]). Under
    /// `proconnect` it can only be ProConnect (today's platform has one name). Read it through
    /// [`SimulatorConfig::brand`].
    #[serde(default)]
    pub brand: Option<Brand>,
    /// Behave as the production platform: a client with an `http` or loopback URI gets the
    /// `Y04A586` page at authorize. Off by default (the demo runs on `http://127.0.0.1`).
    #[serde(default)]
    pub production: bool,
    /// Provider session lifetime (hours).
    #[serde(default = "defaults::session_hours")]
    pub session_hours: u64,
    /// Authorization code lifetime (seconds). Absent: the contract's (60 s today, 30 s in 2024).
    #[serde(default)]
    pub code_ttl_seconds: Option<u64>,
    /// Access token lifetime (seconds). Absent: the contract's (1 h today, 60 s in 2024).
    #[serde(default)]
    pub access_token_ttl_seconds: Option<u64>,
    /// How long refresh tokens work, from the sign-in (seconds). Absent: 2 hours under
    /// `proconnect`; `0` (and the 2024 contract, whatever this says) issues none.
    #[serde(default)]
    pub refresh_token_ttl_seconds: Option<u64>,
    /// Key rotation interval (seconds, 0 = never).
    #[serde(default = "defaults::rotation")]
    pub key_rotation_seconds: u64,
    /// How long a rotated-out key stays in the JWKS (seconds).
    #[serde(default = "defaults::grace")]
    pub key_grace_seconds: u64,
    /// Registered service providers.
    #[serde(default)]
    pub clients: Vec<ClientConfig>,
    /// Test identity providers.
    #[serde(default)]
    pub identity_providers: Vec<IdentityProviderConfig>,
}

mod defaults {
    pub fn session_hours() -> u64 {
        12
    }
    pub fn rotation() -> u64 {
        86_400
    }
    pub fn grace() -> u64 {
        3_600
    }
}

/// Which platform rules the simulator enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Contract {
    /// Today's ProConnect platform (`shared/spec/proconnect-today.md`): `acr_values` optional,
    /// levels passed through and essential `acr` requests honoured, extra `prompt` values,
    /// `siret_hint`, `sp_name`, unknown parameters ignored, `iss` on the callback, code 60 s,
    /// access token 1 h, refresh tokens, unsigned userinfo possible.
    #[default]
    #[serde(rename = "proconnect")]
    ProConnect,
    /// The 2024 AgentConnect guide, strictly: `acr_values=eidas1` required, an FI level other
    /// than `eidas1` is `Y020018`, unknown parameters are `Y000400`, code 30 s, access token
    /// 60 s, no refresh token, no `iss` on the callback.
    #[serde(rename = "agentconnect-2024")]
    AgentConnect2024,
}

impl Contract {
    /// The brand a contract speaks by default.
    pub fn brand(self) -> Brand {
        match self {
            Contract::ProConnect => Brand::ProConnect,
            Contract::AgentConnect2024 => Brand::AgentConnect,
        }
    }

    /// Whether this is today's platform.
    pub fn is_proconnect(self) -> bool {
        self == Contract::ProConnect
    }
}

/// A registered service provider (FS).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// `client_id`.
    pub client_id: String,
    /// `client_secret` (client_secret_post).
    pub client_secret: String,
    /// Shown on the mire ("Revenir sur `name`").
    pub name: String,
    /// Where "Revenir sur `name`" leads.
    pub home_url: String,
    /// Exact-match callback URLs.
    pub redirect_uris: Vec<String>,
    /// Exact-match post-logout URLs.
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    /// Shorthand for both algorithms below when they are absent (ES256 by default).
    #[serde(default)]
    pub alg: SigningAlg,
    /// The ID token's algorithm; absent: `alg`.
    #[serde(default)]
    pub id_token_signed_response_alg: Option<SigningAlg>,
    /// Userinfo's algorithm, or `"none"` for unsigned JSON (ProConnect only); absent: `alg`.
    #[serde(default)]
    pub userinfo_signed_response_alg: Option<UserinfoAlg>,
    /// Scopes this client may request.
    pub scopes: Vec<Scope>,
    /// The FIs this client accepts (`idp_id`s); absent: every FI. Another FI gives `Y020023`.
    #[serde(default)]
    pub allowed_idps: Option<Vec<String>>,
    /// Whether agents of private-sector FIs may sign in (otherwise `Y500015`). Off by default.
    #[serde(default)]
    pub accepts_private_sector: bool,
}

impl ClientConfig {
    /// Why this client's URIs are not acceptable in production (`http`, `localhost`, loopback).
    pub fn production_problem(&self) -> Option<String> {
        let uris = self.redirect_uris.iter().chain(&self.post_logout_redirect_uris);
        uris.into_iter().find_map(|uri| {
            let url = url::Url::parse(uri).ok()?;
            let local = match url.host() {
                Some(url::Host::Domain(domain)) => domain == "localhost" || domain.ends_with(".localhost"),
                Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
                Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
                None => true,
            };
            (url.scheme() != "https" || local).then(|| format!("URI non autorisée en production : {uri}"))
        })
    }

    /// The algorithm of this client's ID tokens.
    pub fn id_token_alg(&self) -> SigningAlg {
        self.id_token_signed_response_alg.unwrap_or(self.alg)
    }

    /// How this client's userinfo responses are signed.
    pub fn userinfo_alg(&self) -> UserinfoAlg {
        self.userinfo_signed_response_alg.unwrap_or(self.alg.into())
    }

    /// Whether this client accepts the FI `idp_id`.
    pub fn allows_idp(&self, idp_id: &str) -> bool {
        self.allowed_idps.as_ref().is_none_or(|ids| ids.iter().any(|id| id == idp_id))
    }
}

/// A test identity provider (FI).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityProviderConfig {
    /// `idp_id` (also usable as `idp_hint`).
    pub idp_id: String,
    /// Displayed name.
    pub name: String,
    /// Email domains the mire routes here.
    pub domains: Vec<String>,
    /// The level this FI reports for its agents (an agent's own `acr` wins). Under
    /// `agentconnect-2024` anything but `eidas1` gives `Y020018`; under `proconnect` it is passed
    /// through, an unsupported level becoming `eidas1`.
    #[serde(default = "eidas1")]
    pub acr: String,
    /// The platform's test identity provider (`…@test.proconnect.gouv.fr`): any email at its
    /// domains signs in, without password, and the tester picks the email, SIRET and level
    /// returned. Its first agent, if any, is the template of the other claims.
    #[serde(default)]
    pub tester_picks_identity: bool,
    /// An FI of private-sector agents: only clients with `accepts_private_sector` take them
    /// (otherwise `Y500015`). Off by default.
    #[serde(default)]
    pub private_sector: bool,
    /// Only offered under the ProConnect brand (always under the `proconnect` contract), e.g. the
    /// ProConnect Identité sandbox.
    #[serde(default)]
    pub proconnect_only: bool,
    /// Test agents.
    #[serde(default)]
    pub agents: Vec<AgentConfig>,
}

pub(crate) fn eidas1() -> String {
    "eidas1".to_owned()
}

/// A test agent at an FI.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentConfig {
    /// Login typed on the FI page.
    pub login: String,
    /// Password typed on the FI page.
    pub password: String,
    /// Professional email (typed on the mire).
    pub email: String,
    /// Identifier at the FI (also the seed of `sub`).
    pub uid: String,
    /// Authentication methods reported when `amr` is requested.
    #[serde(default)]
    pub amr: Vec<String>,
    /// The level this agent reaches, overriding the FI's (e.g. `eidas1-mfa` for an agent with a
    /// second factor).
    #[serde(default)]
    pub acr: Option<String>,
    /// Other claims, served as-is (malformed values included, on purpose): `given_name`,
    /// `usual_name`, `siret`, `siren`, `organization_label`, `roles` (an array),
    /// `organizational_unit`, `belonging_population`, `phone_number`, `chorusdt:*`, `custom`…
    #[serde(default)]
    pub claims: BTreeMap<String, toml::Value>,
}

/// A configuration file that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The TOML is invalid.
    #[error("invalid simulator configuration: {0}")]
    Parse(#[from] toml::de::Error),
    /// The values are inconsistent.
    #[error("invalid simulator configuration: {0}")]
    Invalid(String),
}

impl SimulatorConfig {
    /// The built-in configuration that serves the demo.
    #[allow(clippy::expect_used)] // checked by the unit test below: a broken build artefact, not input
    pub fn demo() -> Self {
        Self::from_toml(include_str!("../simulator.toml")).expect("the bundled simulator.toml is valid")
    }

    /// Parses and validates a configuration.
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        let config: SimulatorConfig = toml::from_str(text)?;
        config.validate()?;
        Ok(config)
    }

    /// Reads a configuration file.
    pub fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|source| ConfigError::Read { path: path.display().to_string(), source })?;
        Self::from_toml(&text)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.contract == Contract::ProConnect && self.brand == Some(Brand::AgentConnect) {
            return Err(ConfigError::Invalid(
                "the `proconnect` contract speaks ProConnect only: use `contract = \"agentconnect-2024\"` for the AgentConnect brand".into(),
            ));
        }
        for client in &self.clients {
            if !client.scopes.contains(&Scope::Openid) {
                return Err(ConfigError::Invalid(format!(
                    "client `{}` must allow the `openid` scope",
                    client.client_id
                )));
            }
            let hmac = client.id_token_alg() == SigningAlg::HS256 || client.userinfo_alg() == UserinfoAlg::HS256;
            if hmac && client.client_secret.len() < 32 {
                return Err(ConfigError::Invalid(format!(
                    "client `{}` uses HS256: its secret must be at least 32 characters",
                    client.client_id
                )));
            }
            if client.userinfo_alg() == UserinfoAlg::Unsigned && !self.contract.is_proconnect() {
                return Err(ConfigError::Invalid(format!(
                    "client `{}`: unsigned userinfo exists only under the `proconnect` contract",
                    client.client_id
                )));
            }
        }
        Ok(())
    }

    /// The brand of the provider's pages (and, under `agentconnect-2024`, whether the 2024
    /// ProConnect additions exist).
    pub fn brand(&self) -> Brand {
        self.brand.unwrap_or(self.contract.brand())
    }

    /// Authorization code lifetime, seconds.
    pub fn code_ttl(&self) -> u64 {
        self.code_ttl_seconds.unwrap_or(if self.contract.is_proconnect() { 60 } else { 30 })
    }

    /// Access token lifetime, seconds.
    pub fn access_token_ttl(&self) -> u64 {
        self.access_token_ttl_seconds.unwrap_or(if self.contract.is_proconnect() { 3600 } else { 60 })
    }

    /// Refresh token lifetime from the sign-in, seconds; `0`: no refresh tokens.
    pub fn refresh_token_ttl(&self) -> u64 {
        match self.contract {
            Contract::ProConnect => self.refresh_token_ttl_seconds.unwrap_or(7200),
            Contract::AgentConnect2024 => 0,
        }
    }

    /// Whether a scope exists: the 2024 contract knows `custom`, `roles` and
    /// `organization_label` only under the ProConnect brand.
    pub fn offers_scope(&self, scope: Scope) -> bool {
        self.brand() == Brand::ProConnect || !matches!(scope, Scope::Custom | Scope::Roles | Scope::OrganizationLabel)
    }

    /// The client with this id.
    pub fn client(&self, client_id: &str) -> Option<&ClientConfig> {
        self.clients.iter().find(|c| c.client_id == client_id)
    }

    /// The FIs offered under the configured brand.
    fn offered_idps(&self) -> impl Iterator<Item = &IdentityProviderConfig> {
        self.identity_providers.iter().filter(|idp| !idp.proconnect_only || self.brand() == Brand::ProConnect)
    }

    /// The FI serving this email's domain.
    pub fn idp_for_email(&self, email: &str) -> Option<&IdentityProviderConfig> {
        let domain = email.rsplit_once('@')?.1.to_ascii_lowercase();
        self.offered_idps().find(|idp| idp.domains.iter().any(|d| d.eq_ignore_ascii_case(&domain)))
    }

    /// The FI with this id.
    pub fn idp(&self, idp_id: &str) -> Option<&IdentityProviderConfig> {
        self.offered_idps().find(|idp| idp.idp_id == idp_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_configuration_is_valid_and_routes_by_domain() {
        let config = SimulatorConfig::demo();
        assert_eq!(config.idp_for_email("test@FIA1.fr").map(|i| i.idp_id.as_str()), Some("fia1"));
        assert!(config.idp_for_email("nobody@unknown.example").is_none());
    }

    #[test]
    fn production_refuses_http_and_loopback_uris() {
        let mut client = SimulatorConfig::demo().clients.remove(0);
        assert!(client.production_problem().is_some(), "the demo client is on http://127.0.0.1");
        client.redirect_uris = vec!["https://fs.example/callback".into()];
        client.post_logout_redirect_uris = vec!["https://fs.example/logout".into()];
        assert!(client.production_problem().is_none());
        for bad in ["https://localhost/cb", "https://127.0.0.1/cb", "https://[::1]/cb", "http://fs.example/cb"] {
            client.redirect_uris = vec![bad.into()];
            assert!(client.production_problem().is_some(), "{bad}");
        }
    }

    #[test]
    fn proconnect_only_fis_exist_only_under_the_proconnect_brand() {
        let mut config = SimulatorConfig::demo();
        assert_eq!((config.contract, config.brand()), (Contract::ProConnect, Brand::ProConnect));
        assert!(config.idp_for_email("user@yopmail.com").is_some());
        assert!(config.idp_for_email("anyone@test.proconnect.gouv.fr").is_some());
        config.contract = Contract::AgentConnect2024;
        assert_eq!(config.brand(), Brand::AgentConnect);
        assert!(config.idp("proconnect-identite").is_none());
        assert!(config.idp_for_email("user@yopmail.com").is_none());
        config.brand = Some(Brand::ProConnect);
        assert!(config.idp_for_email("user@yopmail.com").is_some());
    }

    #[test]
    fn lifetimes_follow_the_contract_unless_set() {
        let mut config = SimulatorConfig::from_toml("").expect("empty is valid");
        assert_eq!((config.code_ttl(), config.access_token_ttl(), config.refresh_token_ttl()), (60, 3600, 7200));
        config.contract = Contract::AgentConnect2024;
        assert_eq!((config.code_ttl(), config.access_token_ttl(), config.refresh_token_ttl()), (30, 60, 0));
        config.code_ttl_seconds = Some(5);
        assert_eq!(config.code_ttl(), 5);
    }

    #[test]
    fn unknown_fields_and_contradictions_are_rejected() {
        assert!(SimulatorConfig::from_toml("brand = \"agentconnect\"\ncolour = 1").is_err());
        assert!(
            SimulatorConfig::from_toml("brand = \"agentconnect\"").is_err(),
            "proconnect contract, AgentConnect brand"
        );
        assert!(SimulatorConfig::from_toml("contract = \"agentconnect-2024\"\nbrand = \"agentconnect\"").is_ok());
        let unsigned = "[[clients]]\nclient_id = \"a\"\nclient_secret = \"s\"\nname = \"n\"\nhome_url = \"h\"\n\
                        redirect_uris = []\nscopes = [\"openid\"]\nuserinfo_signed_response_alg = \"none\"\n";
        assert!(SimulatorConfig::from_toml(unsigned).is_ok());
        assert!(SimulatorConfig::from_toml(&format!("contract = \"agentconnect-2024\"\n{unsigned}")).is_err());
    }
}
