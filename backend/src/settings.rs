//! Configuration: a TOML file plus `BFF_*` environment overrides (figment), with platform presets,
//! validated at start-up with errors a person understands.

use crate::client_ip::{ForwardedHeader, TrustedProxies};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use proconnect_types::{Acr, Brand, Environment, LevelPolicy, Network, Platform, RolePolicy, Scope};
pub use proconnect_types::{SigningAlg, UserinfoAlg};
use serde::{Deserialize, Serialize};
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

/// A secret setting (the `client_secret`): its `Debug` never shows the value, so neither do the
/// logs nor a panic message. It serialises as itself (the configuration loader needs that).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }
    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// Whether it is empty (not configured).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() { "Secret(empty)" } else { "Secret(redacted)" })
    }
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
    pub client_secret: Secret,
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
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "kind", deny_unknown_fields)]
pub enum SessionStoreSettings {
    /// Process memory (tests only: lost on restart).
    Memory,
    /// An embedded SQLite file (the default: survives restarts).
    Sqlite {
        /// The database file (default `target/sessions.sqlite`).
        #[serde(default = "default_sqlite_path")]
        path: PathBuf,
    },
    /// Redis, shared by several instances (`redis://host:port/db`, or `rediss://` for TLS).
    Redis {
        /// The server's URL; its password, if any, never shows in `Debug` or the logs.
        url: String,
    },
}

fn default_sqlite_path() -> PathBuf {
    PathBuf::from("target/sessions.sqlite")
}

impl std::fmt::Debug for SessionStoreSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SessionStoreSettings::Memory => f.write_str("Memory"),
            SessionStoreSettings::Sqlite { path } => f.debug_struct("Sqlite").field("path", path).finish(),
            SessionStoreSettings::Redis { url } => {
                f.debug_struct("Redis").field("url", &without_credentials(url)).finish()
            }
        }
    }
}

/// A URL as it may be shown: without its user name and password.
pub fn without_credentials(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut parsed) => {
            let _ = parsed.set_password(None);
            let _ = parsed.set_username("");
            parsed.to_string()
        }
        Err(_) => url.rsplit('@').next().unwrap_or_default().to_owned(),
    }
}

/// Session lifetimes and storage.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionSettings {
    /// The store.
    pub store: SessionStoreSettings,
    /// Sign the agent out after this long without activity (minutes).
    pub idle_timeout_minutes: u64,
    /// Absolute lifetime (hours), aligned with ProConnect's 12 hours.
    pub absolute_hours: u64,
    /// Sessions kept in process memory: all of them with the `memory` store (beyond this, the
    /// least recently used are forgotten), the most recently used in front of SQLite and, with
    /// `redis_local_copies`, of Redis.
    pub cache_capacity: u64,
    /// With Redis, read sessions through a local copy in each instance, dropped when another
    /// instance changes the session (Redis pub/sub) and never used while that subscription is
    /// down (`backend/src/redis_cache.rs`). Off by default (every read goes to Redis): on, another
    /// instance may serve a session for the time an invalidation takes to arrive.
    #[serde(default)]
    pub redis_local_copies: bool,
    /// Give the session cookie a `Max-Age` (the idle timeout), so it outlives the browser. Off by
    /// default: closing the browser ends the session on a shared workstation; the server-side
    /// idle and absolute timeouts apply either way.
    #[serde(default)]
    pub persistent_cookie: bool,
}

/// Where the BFF's routes live and where it sends the browser. Every value is a path of this
/// site: `/`-prefixed, without a query or fragment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Paths {
    /// The prefix of every BFF route (`/compte` gives `/compte/auth/login`, `/compte/api/me`…);
    /// empty (the default) for the site's root. No trailing slash. The redirect URIs sent to the
    /// provider derive from it ([`Settings::redirect_uri`]), so they always match the routes.
    pub base: String,
    /// The signed-out page, after a sign-out (`?local=1` when the provider could not be reached).
    pub signed_out: String,
    /// Where the browser goes with `?notice=<name>` when the agent cancelled at the provider.
    pub notice: String,
    /// The service's home: the default `return_to`, and the way back from every error page.
    pub home: String,
}

impl Default for Paths {
    fn default() -> Self {
        Paths { base: String::new(), signed_out: "/deconnecte".into(), notice: "/".into(), home: "/".into() }
    }
}

impl Paths {
    /// A BFF route under [`Paths::base`]: `route("/auth/login")` is `/compte/auth/login`.
    pub fn route(&self, route: &str) -> String {
        format!("{}{route}", self.base)
    }
}

/// Why a path setting is refused, if it is: `base` may be empty and has no trailing slash; the
/// others are `/`-prefixed. Segments of letters, digits, `-`, `_`, `.`, `~` only (no `.` or
/// `..`, no `//`, no query, no fragment).
fn path_problem(value: &str, base: bool) -> Option<&'static str> {
    if base && value.is_empty() {
        return None;
    }
    if !value.starts_with('/') {
        return Some("must start with `/`");
    }
    if value.len() > 200 {
        return Some("is longer than 200 characters");
    }
    if base && value.ends_with('/') {
        return Some("must not end with `/` (write `/compte`, or nothing for the root)");
    }
    if !base && value == "/" {
        return None;
    }
    let segments: Vec<&str> = value[1..].split('/').collect();
    let last = segments.len() - 1;
    for (i, segment) in segments.into_iter().enumerate() {
        // A destination may end with `/` (`/espace/`).
        if segment.is_empty() && !base && i == last {
            continue;
        }
        if segment.is_empty() || segment == "." || segment == ".." {
            return Some("has an empty, `.` or `..` segment");
        }
        if !segment.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '~')) {
            return Some("may only hold letters, digits, `-`, `_`, `.`, `~` and `/`");
        }
    }
    None
}

/// The whole configuration. Every key is known: a misspelt or renamed one refuses start-up,
/// named in the error.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
    /// Requests to `/auth/*` allowed per client (an IPv4 address or an IPv6 /64, behind
    /// `trusted_proxies` as they report it) and minute, in each instance (0 = no limit). Needs the
    /// peer address (`ConnectInfo`), which the binary provides; an embedding app that serves
    /// without it gets no limiting.
    pub auth_rate_limit_per_minute: u32,
    /// Extra trusted root certificates (a PEM file), for the provider and for Redis over TLS:
    /// the RIE's own certificate authority, or a TLS-inspecting proxy's.
    pub ca_bundle: Option<PathBuf>,
    /// Reverse proxies whose forwarded header names the client (CIDRs or single addresses; empty:
    /// the TCP peer is the client). See [`crate::client_ip`].
    pub trusted_proxies: TrustedProxies,
    /// The header those proxies write: `x-forwarded-for` (default) or `forwarded` (RFC 7239).
    pub client_ip_header: ForwardedHeader,
    /// A separate address, loopback or private, for `/healthz`, `/readyz` and `/metrics`, which
    /// then leave `listen`; unset, they are served on `listen` with everything else.
    pub ops_listen: Option<SocketAddr>,
    /// On SIGTERM or Ctrl-C: how long requests in flight may take to finish before the process
    /// exits anyway (seconds).
    pub shutdown_grace_seconds: u64,
    /// The BFF's route prefix and the pages it sends the browser to.
    #[serde(default)]
    pub paths: Paths,
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
                client_secret: Secret::default(),
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
                store: SessionStoreSettings::Sqlite { path: default_sqlite_path() },
                idle_timeout_minutes: 60,
                absolute_hours: 12,
                cache_capacity: 100_000,
                persistent_cookie: false,
                redis_local_copies: false,
            },
            spa_dir: PathBuf::from("dist"),
            auth_rate_limit_per_minute: 600,
            ca_bundle: None,
            trusted_proxies: TrustedProxies::default(),
            client_ip_header: ForwardedHeader::default(),
            ops_listen: None,
            shutdown_grace_seconds: 10,
            paths: Paths::default(),
        }
    }
}

/// A configuration that cannot be used, and why.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// Unreadable, ill-typed, missing or unknown settings (each one named).
    #[error("configuration: {}", describe_load_error(.0))]
    Load(Box<figment::Error>),
    /// Inconsistent values.
    #[error("configuration: {0}")]
    Invalid(String),
}

/// Every problem figment found, with the setting named the way a person sets it: its key in the
/// file and its `BFF_*` variable.
fn describe_load_error(error: &figment::Error) -> String {
    use figment::error::Kind;
    let variable = |key: &str| format!("BFF_{}", key.to_ascii_uppercase().replace('.', "__"));
    error
        .clone()
        .into_iter()
        .map(|error| {
            // Figment's path ends with the field itself for unknown fields, not for missing ones.
            let key = |name: &str| {
                let mut path = error.path.clone();
                if path.last().map(String::as_str) != Some(name) {
                    path.push(name.to_owned());
                }
                path.join(".")
            };
            match &error.kind {
                Kind::MissingField(name) => {
                    let key = key(name);
                    let choices = if key == "provider.preset" {
                        " (integration-internet, integration-rie, production-internet, production-rie or custom; \
                     the offline simulator only with --demo)"
                    } else {
                        ""
                    };
                    format!("`{key}` is missing{choices}: set it in the configuration file or as {}", variable(&key))
                }
                Kind::UnknownField(name, expected) => {
                    let key = key(name);
                    let source = match error.metadata.as_ref().and_then(|m| m.source.as_ref()) {
                        Some(figment::Source::File(path)) => format!("in {}", path.display()),
                        Some(_) | None => format!("as {}", variable(&key)),
                    };
                    format!("unknown setting `{key}` ({source}); expected one of: {}", expected.join(", "))
                }
                _ => error.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// An `https://` URL, or an email address (one `@`, nothing that could make it a URL or break
/// out of an attribute).
fn is_support_contact(contact: &str) -> bool {
    if contact.starts_with("https://") {
        return Url::parse(contact).is_ok_and(|url| url.host().is_some());
    }
    let forbidden = |c: char| c.is_control() || matches!(c, ':' | '/' | '"' | '<' | '>' | '\'');
    proconnect_types::request::is_email(contact) && !contact.contains(forbidden)
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// Loopback, RFC 1918 or IPv6 unique local (not the unspecified address, which is every interface).
fn is_private(ip: std::net::IpAddr) -> bool {
    match ip.to_canonical() {
        std::net::IpAddr::V4(v4) => v4.is_loopback() || v4.is_private(),
        std::net::IpAddr::V6(v6) => v6.is_loopback() || v6.is_unique_local(),
    }
}

impl Settings {
    /// Loads a deployment's configuration: defaults, then the TOML file if given, then `BFF_*`
    /// variables (`BFF_PROVIDER__CLIENT_SECRET` sets `provider.client_secret`). Nothing defaults to
    /// the demo: `provider.preset`, `provider.client_id` and (but for the simulator) the secret
    /// must be set, or start-up is refused with the missing setting named.
    pub fn load(file: Option<&Path>) -> Result<Self, SettingsError> {
        Self::load_over(false, file)
    }

    /// Loads the demo's configuration (`backend --demo`): the same as [`Settings::load`], but
    /// the provider defaults to the offline simulator, which [`Settings::validate`] allows on
    /// loopback addresses only.
    pub fn load_demo(file: Option<&Path>) -> Result<Self, SettingsError> {
        Self::load_over(true, file)
    }

    /// The defaults the file and the variables override.
    fn defaults(demo: bool) -> Result<serde_json::Value, SettingsError> {
        let mut defaults =
            serde_json::to_value(Settings::default()).map_err(|e| SettingsError::Invalid(e.to_string()))?;
        // The store's keys depend on its kind: only the kind is a default, so that choosing
        // another kind leaves no stray key behind (each kind refuses the others' keys).
        defaults["session"]["store"] = serde_json::json!({ "kind": "sqlite" });
        if !demo {
            defaults["provider"]["client_id"] = "".into();
            if let Some(provider) = defaults["provider"].as_object_mut() {
                provider.remove("preset");
            }
        }
        Ok(defaults)
    }

    fn load_over(demo: bool, file: Option<&Path>) -> Result<Self, SettingsError> {
        let mut figment = Figment::from(Serialized::defaults(Self::defaults(demo)?));
        if let Some(file) = file {
            figment = figment.merge(Toml::file_exact(file));
        }
        // `BFF_CONFIG` names the file (read by the binary's command line), it is not a setting.
        figment = figment.merge(Env::prefixed("BFF_").ignore(&["CONFIG"]).split("__"));
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
        let settings: Settings = figment.extract().map_err(|e| SettingsError::Load(Box::new(e)))?;
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

    /// `redirect_uri` registered with ProConnect: `<public_url><paths.base>/auth/callback`.
    pub fn redirect_uri(&self) -> Url {
        self.public_url_of("/auth/callback")
    }

    /// `post_logout_redirect_uri` registered with ProConnect:
    /// `<public_url><paths.base>/auth/logout/callback`.
    pub fn post_logout_redirect_uri(&self) -> Url {
        self.public_url_of("/auth/logout/callback")
    }

    /// The public URL of a BFF route (under `paths.base`).
    fn public_url_of(&self, route: &str) -> Url {
        let relative = self.paths.route(route);
        self.public_url
            .join(relative.trim_start_matches('/'))
            .expect("public_url is a base URL and paths are validated")
    }

    /// Whether cookies must be `Secure` (everything but plain-http loopback).
    pub fn secure_cookies(&self) -> bool {
        self.public_url.scheme() == "https"
    }

    /// Checks the rules ProConnect itself enforces, plus our own.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let invalid = |msg: String| Err(SettingsError::Invalid(msg));
        let store_feature = match self.session.store {
            SessionStoreSettings::Memory => None,
            SessionStoreSettings::Sqlite { .. } => Some(("sqlite", cfg!(feature = "sqlite"))),
            SessionStoreSettings::Redis { .. } => Some(("redis", cfg!(feature = "redis"))),
        };
        if let Some((store, false)) = store_feature {
            return invalid(format!(
                "session.store `{store}` is not built in: enable proconnect-bff's `{store}` feature (or choose another store)"
            ));
        }
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
        if self.provider.preset == Preset::Simulator
            && (!self.listen.ip().is_loopback() || !is_loopback(&self.public_url))
        {
            return invalid(format!(
                "provider.preset `simulator` (the offline demo provider, with public test passwords) only runs on \
                 loopback addresses, not listen `{}` / public_url `{}`: choose a real platform's preset",
                self.listen, self.public_url
            ));
        }
        if self.issuer().is_none() && self.provider.preset != Preset::Simulator {
            return invalid("provider.issuer is required with the `custom` preset".into());
        }
        if let Some(issuer) = self.provider.issuer.as_ref().filter(|_| self.provider.preset == Preset::Custom)
            && issuer.scheme() != "https"
            && !is_loopback(issuer)
        {
            return invalid(format!("provider.issuer `{issuer}` must be https (plain http only on loopback)"));
        }
        // The demo's simulator registers its own client at start.
        if self.provider.client_id.is_empty() && self.provider.preset != Preset::Simulator {
            return invalid(
                "provider.client_id is missing: set it in the configuration file or as BFF_PROVIDER__CLIENT_ID".into(),
            );
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
        let paths = &self.paths;
        for (name, value, base) in [
            ("paths.base", &paths.base, true),
            ("paths.signed_out", &paths.signed_out, false),
            ("paths.notice", &paths.notice, false),
            ("paths.home", &paths.home, false),
        ] {
            if let Some(problem) = path_problem(value, base) {
                return invalid(format!("{name} `{value}` {problem}"));
            }
        }
        if let Some(ops) = self.ops_listen {
            if !is_private(ops.ip()) {
                return invalid(format!(
                    "ops_listen `{ops}` must be a loopback or private address (127.0.0.1, 10.x, 172.16-31.x, 192.168.x, fc00::/7): /metrics and /readyz are not for the Internet"
                ));
            }
            if ops == self.listen {
                return invalid(format!("ops_listen `{ops}` must differ from listen"));
            }
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
        settings.provider.client_secret = Secret::new("s");
        let error = settings.validate().expect_err("http localhost refused").to_string();
        assert!(error.contains("Y04A586"), "{error}");
        settings.public_url = Url::parse("https://service.gouv.fr/").expect("url");
        settings.validate().expect("https accepted");
        assert_eq!(settings.issuer().map(|u| u.to_string()), Some("https://auth.agentconnect.gouv.fr/api/v2".into()));
    }

    #[test]
    fn ops_listen_must_be_private() {
        for refused in ["0.0.0.0:9090", "203.0.113.5:9090", "[::]:9090", "[2001:db8::1]:9090"] {
            let settings = Settings { ops_listen: Some(refused.parse().expect("address")), ..Settings::default() };
            let error = settings.validate().expect_err(refused).to_string();
            assert!(error.contains("ops_listen") && error.contains("private"), "{error}");
        }
        for accepted in ["127.0.0.1:9090", "10.1.2.3:9090", "192.168.0.2:9090", "[fd00::2]:9090", "[::1]:9090"] {
            let settings = Settings { ops_listen: Some(accepted.parse().expect("address")), ..Settings::default() };
            settings.validate().expect(accepted);
        }
        let same = Settings { ops_listen: Some(Settings::default().listen), ..Settings::default() };
        assert!(same.validate().expect_err("same address").to_string().contains("differ"));
    }

    #[test]
    fn the_base_path_moves_the_redirect_uris_and_is_checked() {
        let mut settings = Settings::default();
        settings.paths.base = "/compte".into();
        settings.validate().expect("a base path");
        assert_eq!(settings.redirect_uri().as_str(), "http://127.0.0.1:8080/compte/auth/callback");
        assert_eq!(settings.post_logout_redirect_uri().as_str(), "http://127.0.0.1:8080/compte/auth/logout/callback");
        settings.paths.base = "/espace/agents".into();
        settings.validate().expect("two segments");
        for (refused, why) in [
            ("compte", "start with"),
            ("/compte/", "end with"),
            ("/", "end with"),
            ("//compte", "empty"),
            ("/a/../b", "`..`"),
            ("/compte?x=1", "letters"),
        ] {
            settings.paths.base = refused.into();
            let error = settings.validate().expect_err(refused).to_string();
            assert!(error.contains("paths.base") && error.contains(why), "{refused}: {error}");
        }
        settings.paths.base = String::new();
        assert_eq!(settings.redirect_uri().as_str(), "http://127.0.0.1:8080/auth/callback");
        settings.paths.signed_out = "https://evil.example/".into();
        assert!(settings.validate().expect_err("an URL").to_string().contains("paths.signed_out"));
        settings.paths.signed_out = "/au-revoir/".into();
        settings.validate().expect("a path ending with /");
    }

    #[test]
    fn plain_http_is_refused_off_loopback() {
        let settings =
            Settings { public_url: Url::parse("http://service.example/").expect("url"), ..Settings::default() };
        assert!(settings.validate().is_err());
    }
}
