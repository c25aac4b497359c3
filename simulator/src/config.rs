//! The simulator's configuration: clients (FS), identity providers (FI) and their test agents,
//! lifetimes and key rotation. Loaded from TOML; `simulator.toml` is the documented default.

use serde::{Deserialize, Serialize};
use shared::{Brand, Scope};
use std::collections::BTreeMap;
use std::path::Path;

/// The whole configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimulatorConfig {
    /// AgentConnect or ProConnect behaviour: ProConnect adds the `custom` scope and the FIs
    /// marked `proconnect_only` (the ProConnect Identité sandbox).
    #[serde(default)]
    pub brand: Brand,
    /// Behave as the production platform: a client with an `http` or loopback URI gets the
    /// `Y04A586` page at authorize. Off by default (the demo runs on `http://127.0.0.1`).
    #[serde(default)]
    pub production: bool,
    /// Provider session lifetime (hours).
    #[serde(default = "defaults::session_hours")]
    pub session_hours: u64,
    /// Authorization code lifetime (seconds).
    #[serde(default = "defaults::code_ttl")]
    pub code_ttl_seconds: u64,
    /// Access token lifetime (seconds).
    #[serde(default = "defaults::access_token_ttl")]
    pub access_token_ttl_seconds: u64,
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
    pub fn code_ttl() -> u64 {
        30
    }
    pub fn access_token_ttl() -> u64 {
        60
    }
    pub fn rotation() -> u64 {
        86_400
    }
    pub fn grace() -> u64 {
        3_600
    }
}

/// The signing algorithm registered for a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SigningAlg {
    /// ECDSA P-256 (AgentConnect's default).
    #[default]
    ES256,
    /// RSA PKCS#1 v1.5 with SHA-256.
    RS256,
    /// HMAC with the client secret.
    HS256,
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
    /// ID token and userinfo signing algorithm.
    #[serde(default)]
    pub alg: SigningAlg,
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
    /// The level this FI reports (anything but `eidas1` gives `Y020018`).
    #[serde(default = "eidas1")]
    pub acr: String,
    /// An FI of private-sector agents: only clients with `accepts_private_sector` take them
    /// (otherwise `Y500015`). Off by default.
    #[serde(default)]
    pub private_sector: bool,
    /// Only offered when `brand = "proconnect"` (e.g. the ProConnect Identité sandbox).
    #[serde(default)]
    pub proconnect_only: bool,
    /// Test agents.
    #[serde(default)]
    pub agents: Vec<AgentConfig>,
}

fn eidas1() -> String {
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
    /// Other claims, served as-is (malformed values included, on purpose).
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
        for client in &self.clients {
            if !client.scopes.contains(&Scope::Openid) {
                return Err(ConfigError::Invalid(format!(
                    "client `{}` must allow the `openid` scope",
                    client.client_id
                )));
            }
            if client.alg == SigningAlg::HS256 && client.client_secret.len() < 32 {
                return Err(ConfigError::Invalid(format!(
                    "client `{}` uses HS256: its secret must be at least 32 characters",
                    client.client_id
                )));
            }
        }
        Ok(())
    }

    /// The client with this id.
    pub fn client(&self, client_id: &str) -> Option<&ClientConfig> {
        self.clients.iter().find(|c| c.client_id == client_id)
    }

    /// The FIs offered under the configured brand.
    fn offered_idps(&self) -> impl Iterator<Item = &IdentityProviderConfig> {
        self.identity_providers.iter().filter(|idp| !idp.proconnect_only || self.brand == Brand::ProConnect)
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
    fn proconnect_only_fis_exist_only_under_proconnect() {
        let mut config = SimulatorConfig::demo();
        assert!(config.idp("proconnect-identite").is_none());
        assert!(config.idp_for_email("user@yopmail.com").is_none());
        config.brand = Brand::ProConnect;
        assert!(config.idp_for_email("user@yopmail.com").is_some());
    }

    #[test]
    fn unknown_fields_are_rejected() {
        assert!(SimulatorConfig::from_toml("brand = \"agentconnect\"\ncolour = 1").is_err());
    }
}
