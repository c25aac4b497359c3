//! Configuration: a TOML file plus `BFF_*` environment overrides (figment), with platform presets,
//! validated at start-up with errors a person understands.

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use shared::{Acr, Brand, Environment, LevelPolicy, Network, Platform, RolePolicy, Scope};
pub use shared::{SigningAlg, UserinfoAlg};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use url::Url;

/// Which ProConnect platform the backend talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Preset {
    /// The offline simulator (the demo; `issuer` is set by whoever starts it).
    Simulator,
    /// Integration, Internet.
    IntegrationInternet,
    /// Integration, RIE.
    IntegrationRie,
    /// Production, Internet.
    ProductionInternet,
    /// Production, RIE.
    ProductionRie,
    /// Any issuer given in `provider.issuer`.
    Custom,
}

impl Preset {
    /// The real platform behind a preset, if any.
    pub fn platform(self) -> Option<Platform> {
        let (environment, network) = match self {
            Preset::IntegrationInternet => (Environment::Integration, Network::Internet),
            Preset::IntegrationRie => (Environment::Integration, Network::Rie),
            Preset::ProductionInternet => (Environment::Production, Network::Internet),
            Preset::ProductionRie => (Environment::Production, Network::Rie),
            Preset::Simulator | Preset::Custom => return None,
        };
        Some(Platform { environment, network })
    }

    /// Whether ProConnect's production rules apply (HTTPS, no localhost).
    pub fn is_production(self) -> bool {
        self.platform().is_some_and(|p| p.environment == Environment::Production)
    }
}

/// Who may sign in: the level (`acr`) and the roles a service requires.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessPolicy {
    /// Levels accepted: `any` (default), `two-factor`, `certification-dirigeant`, or a list
    /// (`"eidas2 eidas3"`). Requested as an essential `acr` claim and checked on the ID token.
    pub level: LevelPolicy,
    /// Roles of which the agent must hold one (`["agent_public"]`); empty: no rule. Needs the
    /// `roles` scope.
    pub roles: RolePolicy,
}

/// The provider and this FS's registration with it. An unknown key is an error (a renamed
/// setting such as the former `alg` must not be silently ignored).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSettings {
    /// Platform preset.
    pub preset: Preset,
    /// Issuer URL; derived from the preset unless `custom` or `simulator`.
    pub issuer: Option<Url>,
    /// `client_id` issued by ProConnect.
    pub client_id: String,
    /// `client_secret` issued by ProConnect (set it through `BFF_PROVIDER__CLIENT_SECRET`).
    pub client_secret: String,
    /// The ID token's registered signing algorithm.
    pub id_token_signed_response_alg: SigningAlg,
    /// The userinfo response's registered algorithm (`none`: unsigned JSON).
    pub userinfo_signed_response_alg: UserinfoAlg,
    /// Scopes requested (must equal those declared to ProConnect).
    pub scopes: Vec<Scope>,
    /// `acr_values` to send (no longer documented by ProConnect; empty: none is sent). The
    /// legacy AgentConnect platform of 2024 requires `["eidas1"]`.
    pub acr_values: Vec<Acr>,
    /// Timeout of every call to the provider, seconds.
    pub timeout_seconds: u64,
}

/// Where sessions live.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind")]
pub enum SessionStoreSettings {
    /// Process memory (tests only: lost on restart).
    Memory,
    /// An embedded SQLite file (the default: survives restarts).
    Sqlite {
        /// The database file.
        path: PathBuf,
    },
    /// Redis, shared by several instances (`redis://host:port/db`).
    Redis {
        /// The server's URL.
        url: String,
    },
}

/// Session lifetimes and storage.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionSettings {
    /// The store.
    pub store: SessionStoreSettings,
    /// Sign the agent out after this long without activity (minutes).
    pub idle_timeout_minutes: u64,
    /// Absolute lifetime (hours), aligned with ProConnect's 12 hours.
    pub absolute_hours: u64,
    /// Sessions kept in process memory: all of them with the `memory` store (beyond this, moka's
    /// TinyLFU policy drops some), the most used in front of SQLite. Redis has no local copy,
    /// since another instance may change a session.
    pub cache_capacity: u64,
    /// Give the session cookie a `Max-Age` (the idle timeout), so it outlives the browser. Off by
    /// default: closing the browser ends the session on a shared workstation; the server-side
    /// idle and absolute timeouts apply either way.
    #[serde(default)]
    pub persistent_cookie: bool,
}

/// The whole configuration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Settings {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// The URL agents use to reach this service (redirect URIs derive from it).
    pub public_url: Url,
    /// The brand shown on the button and in every text.
    pub brand: Brand,
    /// Where agents get help (an email address or an https URL), shown on every error page.
    pub support: Option<String>,
    /// The level and roles required to sign in.
    pub policy: AccessPolicy,
    /// The provider.
    pub provider: ProviderSettings,
    /// Sessions.
    pub session: SessionSettings,
    /// The built SPA (Trunk's `dist`).
    pub spa_dir: PathBuf,
    /// Requests to `/auth/*` allowed per client IP and minute (0 = no limit). Needs the peer
    /// address (`ConnectInfo`), which the binary provides; an embedding app that serves without
    /// it gets no limiting.
    pub auth_rate_limit_per_minute: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_url: Url::parse("http://127.0.0.1:8080/").expect("valid default URL"),
            brand: Brand::default(),
            support: None,
            policy: AccessPolicy::default(),
            provider: ProviderSettings {
                preset: Preset::Simulator,
                issuer: None,
                client_id: "demo-fs".into(),
                client_secret: String::new(),
                id_token_signed_response_alg: SigningAlg::ES256,
                userinfo_signed_response_alg: UserinfoAlg::ES256,
                // Every scope but `chorusdt` (Chorus DT only), `custom` (service-specific) and
                // `roles` (granted on request by ProConnect's support).
                scopes: Scope::ALL
                    .into_iter()
                    .filter(|s| !matches!(s, Scope::Chorusdt | Scope::Custom | Scope::Roles))
                    .collect(),
                acr_values: Vec::new(),
                timeout_seconds: 10,
            },
            session: SessionSettings {
                store: SessionStoreSettings::Sqlite { path: PathBuf::from("target/sessions.sqlite") },
                idle_timeout_minutes: 60,
                absolute_hours: 12,
                cache_capacity: 100_000,
                persistent_cookie: false,
            },
            spa_dir: PathBuf::from("dist"),
            auth_rate_limit_per_minute: 600,
        }
    }
}

/// A configuration that cannot be used, and why.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// Unreadable or ill-typed.
    #[error("configuration: {0}")]
    Load(#[from] Box<figment::Error>),
    /// Inconsistent values.
    #[error("configuration: {0}")]
    Invalid(String),
}

/// An `https://` URL, or an email address (one `@`, nothing that could make it a URL or break
/// out of an attribute).
fn is_support_contact(contact: &str) -> bool {
    if contact.starts_with("https://") {
        return Url::parse(contact).is_ok_and(|url| url.host().is_some());
    }
    let forbidden = |c: char| c.is_control() || matches!(c, ':' | '/' | '"' | '<' | '>' | '\'');
    shared::request::is_email(contact) && !contact.contains(forbidden)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

impl Settings {
    /// Loads defaults, then the TOML file if given, then `BFF_*` variables
    /// (`BFF_PROVIDER__CLIENT_SECRET` sets `provider.client_secret`).
    pub fn load(file: Option<&Path>) -> Result<Self, SettingsError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        if let Some(file) = file {
            figment = figment.merge(Toml::file_exact(file));
        }
        figment = figment.merge(Env::prefixed("BFF_").split("__"));
        // Figment reads a variable that looks like a number as one (`0123` → 123): credentials
        // are taken verbatim instead.
        for (variable, key) in [
            ("BFF_PROVIDER__CLIENT_ID", "provider.client_id"),
            ("BFF_PROVIDER__CLIENT_SECRET", "provider.client_secret"),
        ] {
            if let Ok(raw) = std::env::var(variable) {
                figment = figment.merge(Serialized::default(key, raw));
            }
        }
        let settings: Settings = figment.extract().map_err(Box::new)?;
        settings.validate()?;
        Ok(settings)
    }

    /// The issuer this configuration talks to.
    pub fn issuer(&self) -> Option<Url> {
        match self.provider.preset.platform() {
            Some(platform) => Url::parse(&platform.issuer()).ok(),
            None => self.provider.issuer.clone(),
        }
    }

    /// `redirect_uri` registered with ProConnect.
    pub fn redirect_uri(&self) -> Url {
        self.public_url.join("auth/callback").expect("public_url is a base URL")
    }

    /// `post_logout_redirect_uri` registered with ProConnect.
    pub fn post_logout_redirect_uri(&self) -> Url {
        self.public_url.join("auth/logout/callback").expect("public_url is a base URL")
    }

    /// Whether cookies must be `Secure` (everything but plain-http loopback).
    pub fn secure_cookies(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// Checks the rules ProConnect itself enforces, plus our own.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let invalid = |msg: String| Err(SettingsError::Invalid(msg));
        if self.public_url.cannot_be_a_base() || !self.public_url.path().ends_with('/') {
            return invalid(format!("public_url `{}` must be a base URL ending with `/`", self.public_url));
        }
        if self.public_url.scheme() != "https" && !is_loopback(&self.public_url) {
            return invalid(format!(
                "public_url `{}`: plain http is only allowed on loopback (127.0.0.1, localhost) for the demo",
                self.public_url
            ));
        }
        if self.provider.preset.is_production()
            && (self.public_url.scheme() != "https" || is_loopback(&self.public_url))
        {
            return invalid(
                "production requires an https public_url that is not localhost (ProConnect error Y04A586)".into(),
            );
        }
        if self.issuer().is_none() && self.provider.preset != Preset::Simulator {
            return invalid("provider.issuer is required with the `custom` preset".into());
        }
        if self.provider.client_id.is_empty() {
            return invalid("provider.client_id is empty".into());
        }
        if self.provider.preset != Preset::Simulator && self.provider.client_secret.is_empty() {
            return invalid("provider.client_secret is empty: set BFF_PROVIDER__CLIENT_SECRET".into());
        }
        if !self.provider.scopes.contains(&Scope::Openid) {
            return invalid("provider.scopes must contain `openid`".into());
        }
        if self.policy.roles.is_set() && !self.provider.scopes.contains(&Scope::Roles) {
            return invalid("policy.roles needs the `roles` scope in provider.scopes".into());
        }
        if let Some(unknown) = self.provider.acr_values.iter().find(|acr| !Acr::SUPPORTED.contains(acr)) {
            return invalid(format!("provider.acr_values: `{unknown}` is not a level ProConnect supports"));
        }
        if let Some(support) = &self.support
            && !is_support_contact(support)
        {
            return invalid(format!("support `{support}` must be an email address or an https:// URL"));
        }
        if let Some(levels) = self.policy.level.levels()
            && let Some(forbidden) = self.provider.acr_values.iter().find(|acr| !levels.contains(acr))
        {
            return invalid(format!(
                "provider.acr_values asks for `{forbidden}`, which policy.level `{}` refuses",
                self.policy.level
            ));
        }
        if self.session.absolute_hours == 0 || self.session.absolute_hours > 12 {
            return invalid(
                "session.absolute_hours must be between 1 and 12 (ProConnect's session lasts 12 hours)".into(),
            );
        }
        if self.session.idle_timeout_minutes == 0 {
            return invalid("session.idle_timeout_minutes must be at least 1".into());
        }
        if self.session.cache_capacity == 0 {
            return invalid("session.cache_capacity must be at least 1".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        Settings::default().validate().expect("defaults validate");
    }

    #[test]
    fn production_refuses_plain_http_and_localhost() {
        let mut settings = Settings::default();
        settings.provider.preset = Preset::ProductionInternet;
        settings.provider.client_secret = "s".into();
        let error = settings.validate().expect_err("http localhost refused").to_string();
        assert!(error.contains("Y04A586"), "{error}");
        settings.public_url = Url::parse("https://service.gouv.fr/").expect("url");
        settings.validate().expect("https accepted");
        assert_eq!(settings.issuer().map(|u| u.to_string()), Some("https://auth.agentconnect.gouv.fr/api/v2".into()));
    }

    #[test]
    fn plain_http_is_refused_off_loopback() {
        let settings =
            Settings { public_url: Url::parse("http://service.example/").expect("url"), ..Settings::default() };
        assert!(settings.validate().is_err());
    }
}
