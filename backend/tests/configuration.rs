//! Configuration as the GUIDE documents it: a TOML file, `BFF_*` variables over it (the secret
//! only there), presets giving the issuer, and start-up refusals that say what to fix.

#![allow(clippy::result_large_err)] // figment::Jail closures return figment::Error.

use figment::Jail;
use proconnect_bff::settings::{Preset, SessionStoreSettings, Settings, SigningAlg, UserinfoAlg};
use proconnect_types::{LevelPolicy, Role, RolePolicy, Scope};
use std::path::Path;

fn fail(error: impl std::fmt::Display) -> figment::Error {
    figment::Error::from(error.to_string())
}

#[test]
fn the_guide_example_loads_with_the_secret_from_the_environment() {
    Jail::expect_with(|jail| {
        jail.create_file(
            "bff.toml",
            r#"
public_url = "https://demarches.example.gouv.fr/"
listen = "0.0.0.0:8080"

[provider]
preset = "integration-internet"
client_id = "the client_id ProConnect gave you"
id_token_signed_response_alg = "RS256"
userinfo_signed_response_alg = "none"
scopes = ["openid", "email", "given_name", "usual_name", "siret", "organization_label", "roles"]

[policy]
level = "two-factor"
roles = ["agent_public"]

[session.store]
kind = "redis"
url = "redis://sessions.internal:6379/0"
"#,
        )?;
        jail.set_env("BFF_PROVIDER__CLIENT_SECRET", "from-the-environment");
        jail.set_env("BFF_SESSION__IDLE_TIMEOUT_MINUTES", "30");
        let settings = Settings::load(Some(Path::new("bff.toml"))).map_err(fail)?;
        assert_eq!(settings.provider.client_secret.expose(), "from-the-environment");
        assert_eq!(settings.provider.preset, Preset::IntegrationInternet);
        assert_eq!(settings.provider.id_token_signed_response_alg, SigningAlg::RS256);
        assert_eq!(settings.provider.userinfo_signed_response_alg, UserinfoAlg::Unsigned);
        assert!(settings.provider.acr_values.is_empty(), "no acr_values unless configured");
        assert_eq!(settings.policy.level, LevelPolicy::TwoFactor);
        assert_eq!(settings.policy.roles, RolePolicy(vec![Role::AgentPublic]));
        assert!(settings.provider.scopes.contains(&Scope::Roles));
        assert_eq!(settings.session.idle_timeout_minutes, 30);
        assert_eq!(
            settings.session.store,
            SessionStoreSettings::Redis { url: "redis://sessions.internal:6379/0".into() }
        );
        assert_eq!(
            settings.issuer().map(|u| u.to_string()).as_deref(),
            Some("https://fca.integ01.dev-agentconnect.fr/api/v2")
        );
        assert_eq!(settings.redirect_uri().as_str(), "https://demarches.example.gouv.fr/auth/callback");
        assert_eq!(
            settings.post_logout_redirect_uri().as_str(),
            "https://demarches.example.gouv.fr/auth/logout/callback"
        );
        assert!(settings.secure_cookies());
        Ok(())
    });
}

#[test]
fn the_store_can_be_chosen_from_the_environment_alone() {
    Jail::expect_with(|jail| {
        jail.set_env("BFF_SESSION__STORE__KIND", "redis");
        jail.set_env("BFF_SESSION__STORE__URL", "redis://127.0.0.1:6379/1");
        let settings = Settings::load_demo(None).map_err(fail)?;
        assert_eq!(settings.session.store, SessionStoreSettings::Redis { url: "redis://127.0.0.1:6379/1".into() });
        jail.set_env("BFF_SESSION__STORE__KIND", "memory");
        assert_eq!(Settings::load_demo(None).map_err(fail)?.session.store, SessionStoreSettings::Memory);
        Ok(())
    });
}

#[test]
fn digit_only_credentials_stay_strings() {
    Jail::expect_with(|jail| {
        jail.set_env("BFF_PROVIDER__CLIENT_ID", "0123456789");
        jail.set_env("BFF_PROVIDER__CLIENT_SECRET", "1e10");
        let settings = Settings::load_demo(None).map_err(fail)?;
        assert_eq!(settings.provider.client_id, "0123456789");
        assert_eq!(settings.provider.client_secret.expose(), "1e10");
        Ok(())
    });
}

#[test]
fn refusals_say_what_to_fix() {
    Jail::expect_with(|jail| {
        let cases: [(&str, &str, &str); 7] = [
            ("BFF_PROVIDER__PRESET", "production-internet", "Y04A586"),
            ("BFF_PUBLIC_URL", "http://service.example/", "plain http is only allowed on loopback"),
            ("BFF_PUBLIC_URL", "https://service.example/app", "must be a base URL ending with `/`"),
            ("BFF_SESSION__ABSOLUTE_HOURS", "24", "between 1 and 12"),
            ("BFF_PROVIDER__ID_TOKEN_SIGNED_RESPONSE_ALG", "none", "PROVIDER.ID_TOKEN_SIGNED_RESPONSE_ALG"),
            // The setting of earlier versions, split in two: refused, never silently ignored.
            ("BFF_PROVIDER__ALG", "RS256", "unknown setting `provider.alg` (as BFF_PROVIDER__ALG)"),
            ("BFF_POLICY__LEVELS", "two-factor", "unknown setting `policy.levels`"),
        ];
        for (name, value, expected) in cases {
            jail.clear_env();
            jail.set_env("BFF_PROVIDER__CLIENT_SECRET", "s");
            jail.set_env(name, value);
            let error = Settings::load_demo(None).err().map(|e| e.to_string()).unwrap_or_default();
            println!("{name}={value}: {error}");
            assert!(error.contains(expected), "{name}={value}: expected `{expected}` in `{error}`");
        }
        jail.clear_env();
        jail.set_env("BFF_PROVIDER__PRESET", "integration-internet");
        jail.set_env("BFF_PROVIDER__CLIENT_ID", "my-client");
        let error = Settings::load(None).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(error.contains("BFF_PROVIDER__CLIENT_SECRET"), "{error}");
        Ok(())
    });
}

#[test]
fn policies_that_cannot_work_are_refused_at_start_up_with_the_setting_named() {
    Jail::expect_with(|jail| {
        jail.set_env("BFF_POLICY__LEVEL", "2fa");
        let error = Settings::load_demo(None).expect_err("an unknown level policy").to_string();
        assert!(error.contains("2fa") && error.contains("two-factor"), "{error}");
        jail.set_env("BFF_POLICY__LEVEL", "eidas2 eidas3");
        assert_eq!(Settings::load_demo(None).map_err(fail)?.policy.level.to_string(), "eidas2 eidas3");
        jail.set_env("BFF_POLICY__ROLES", "[\"agent_public\"]");
        let error = Settings::load_demo(None).expect_err("roles without the roles scope").to_string();
        assert!(error.contains("policy.roles") && error.contains("`roles` scope"), "{error}");
        jail.set_env("BFF_POLICY__ROLES", "[]");
        jail.set_env("BFF_PROVIDER__ACR_VALUES", "[\"eidas9\"]");
        let error = Settings::load_demo(None).expect_err("an unsupported acr_values").to_string();
        assert!(error.contains("provider.acr_values") && error.contains("eidas9"), "{error}");
        jail.set_env("BFF_PROVIDER__ACR_VALUES", "[]");
        jail.set_env("BFF_SUPPORT", "call us");
        let error = Settings::load_demo(None).expect_err("support neither email nor URL").to_string();
        assert!(error.contains("support"), "{error}");
        for unsafe_contact in ["javascript:alert(1)//@x.fr", "\"><b>@x.fr", "http://support.example/"] {
            jail.set_env("BFF_SUPPORT", unsafe_contact);
            assert!(Settings::load_demo(None).is_err(), "{unsafe_contact} accepted");
        }
        jail.set_env("BFF_SUPPORT", "https://support.example/contact?from=a@b");
        assert!(Settings::load_demo(None).is_ok(), "an https URL, even with an @");
        jail.set_env("BFF_POLICY__LEVEL", "two-factor");
        jail.set_env("BFF_PROVIDER__ACR_VALUES", "[\"eidas1\"]");
        let error = Settings::load_demo(None).expect_err("acr_values the policy refuses").to_string();
        assert!(error.contains("provider.acr_values") && error.contains("policy.level"), "{error}");
        jail.set_env("BFF_PROVIDER__ACR_VALUES", "[]");
        jail.set_env("BFF_SUPPORT", "support@service.gouv.fr");
        assert_eq!(Settings::load_demo(None).map_err(fail)?.support.as_deref(), Some("support@service.gouv.fr"));
        Ok(())
    });
}

#[test]
fn proxies_ops_listener_and_grace_load_from_the_file_and_the_environment() {
    use proconnect_bff::client_ip::ForwardedHeader;
    Jail::expect_with(|jail| {
        jail.create_file(
            "bff.toml",
            r#"
trusted_proxies = ["10.0.0.0/8", "192.168.1.7", "fd00::/8"]
client_ip_header = "forwarded"
ops_listen = "127.0.0.1:9090"
shutdown_grace_seconds = 25
"#,
        )?;
        let settings = Settings::load_demo(Some(Path::new("bff.toml"))).map_err(fail)?;
        let ip = |s: &str| s.parse::<std::net::IpAddr>().expect("address");
        assert!(settings.trusted_proxies.contains(ip("10.20.30.40")));
        assert!(
            settings.trusted_proxies.contains(ip("192.168.1.7"))
                && !settings.trusted_proxies.contains(ip("192.168.1.8"))
        );
        assert!(settings.trusted_proxies.contains(ip("fd00::1")));
        assert_eq!(settings.client_ip_header, ForwardedHeader::Forwarded);
        assert_eq!(settings.ops_listen, Some("127.0.0.1:9090".parse().expect("address")));
        assert_eq!(settings.shutdown_grace_seconds, 25);

        // One variable, addresses separated by commas, as the GUIDE shows.
        jail.set_env("BFF_TRUSTED_PROXIES", "172.16.0.0/12,192.168.1.9");
        let settings = Settings::load_demo(Some(Path::new("bff.toml"))).map_err(fail)?;
        assert!(
            settings.trusted_proxies.contains(ip("172.20.0.1")) && settings.trusted_proxies.contains(ip("192.168.1.9"))
        );
        assert!(!settings.trusted_proxies.contains(ip("10.20.30.40")), "the variable replaces the file's list");

        jail.set_env("BFF_TRUSTED_PROXIES", "10.0.0.0/33");
        let error = Settings::load_demo(Some(Path::new("bff.toml"))).expect_err("a bad CIDR").to_string();
        assert!(error.contains("10.0.0.0/33"), "{error}");
        jail.set_env("BFF_TRUSTED_PROXIES", "10.0.0.0/8");

        jail.set_env("BFF_OPS_LISTEN", "0.0.0.0:9090");
        let error = Settings::load_demo(Some(Path::new("bff.toml"))).expect_err("a public ops listener").to_string();
        assert!(error.contains("ops_listen") && error.contains("private"), "{error}");

        let defaults = Settings::default();
        assert!(defaults.trusted_proxies.is_empty() && defaults.ops_listen.is_none());
        assert_eq!((defaults.client_ip_header, defaults.shutdown_grace_seconds), (ForwardedHeader::XForwardedFor, 10));
        Ok(())
    });
}

#[test]
fn a_deployment_names_its_platform_and_nothing_falls_back_to_the_demo() {
    Jail::expect_with(|jail| {
        // Only the public URL: the platform is missing, and the error says how to set it.
        jail.set_env("BFF_PUBLIC_URL", "https://demarches.example.gouv.fr/");
        let error = Settings::load(None).expect_err("no preset").to_string();
        assert!(error.contains("`provider.preset` is missing") && error.contains("BFF_PROVIDER__PRESET"), "{error}");
        jail.set_env("BFF_PROVIDER__PRESET", "production-internet");
        jail.set_env("BFF_PROVIDER__CLIENT_SECRET", "s");
        let error = Settings::load(None).expect_err("no client_id").to_string();
        assert!(
            error.contains("provider.client_id is missing") && error.contains("BFF_PROVIDER__CLIENT_ID"),
            "{error}"
        );
        jail.set_env("BFF_PROVIDER__CLIENT_ID", "my-client");
        let settings = Settings::load(None).map_err(fail)?;
        assert_eq!(settings.provider.preset, Preset::ProductionInternet);
        // The simulator (public test passwords) only on loopback, even when chosen explicitly.
        jail.clear_env();
        jail.set_env("BFF_PROVIDER__PRESET", "simulator");
        assert!(Settings::load(None).is_ok(), "the simulator, chosen explicitly, on loopback");
        for (name, value) in [("BFF_LISTEN", "0.0.0.0:8080"), ("BFF_PUBLIC_URL", "https://demarches.example.gouv.fr/")]
        {
            jail.set_env(name, value);
            let error = Settings::load(None).expect_err("the simulator off loopback").to_string();
            assert!(error.contains("`simulator`") && error.contains("loopback"), "{name}: {error}");
            let error = Settings::load_demo(None).expect_err("not even for the demo").to_string();
            assert!(error.contains("loopback"), "{name}: {error}");
            jail.clear_env();
            jail.set_env("BFF_PROVIDER__PRESET", "simulator");
        }
        // A custom issuer speaks https off loopback.
        jail.set_env("BFF_PROVIDER__PRESET", "custom");
        jail.set_env("BFF_PROVIDER__CLIENT_ID", "c");
        jail.set_env("BFF_PROVIDER__CLIENT_SECRET", "s");
        jail.set_env("BFF_PROVIDER__ISSUER", "http://idp.example/api/v2");
        let error = Settings::load(None).expect_err("plain http issuer").to_string();
        assert!(error.contains("provider.issuer") && error.contains("https"), "{error}");
        jail.set_env("BFF_PROVIDER__ISSUER", "https://idp.example/api/v2");
        assert!(Settings::load(None).is_ok());
        Ok(())
    });
}

#[test]
fn unknown_settings_are_refused_and_named() {
    Jail::expect_with(|jail| {
        jail.set_env("BFF_CONFIG", "bff.toml"); // the file's name, read by the command line: not a setting
        jail.create_file("bff.toml", "public_url = \"http://127.0.0.1:8080/\"\n[sesion]\nidle_timeout_minutes = 5\n")?;
        let error = Settings::load_demo(Some(Path::new("bff.toml"))).expect_err("misspelt table").to_string();
        assert!(error.contains("unknown setting `sesion`") && error.contains("bff.toml"), "{error}");
        jail.create_file("bff.toml", "[session]\nidle_timeout = 5\n")?;
        let error = Settings::load_demo(Some(Path::new("bff.toml"))).expect_err("misspelt key").to_string();
        assert!(error.contains("unknown setting `session.idle_timeout`"), "{error}");
        jail.create_file("bff.toml", "")?;
        jail.set_env("BFF_SESSION__STORE__KIND", "sqlite");
        jail.set_env("BFF_SESSION__STORE__FILE", "x.sqlite");
        let error = Settings::load_demo(Some(Path::new("bff.toml"))).expect_err("misspelt store key").to_string();
        assert!(error.contains("unknown setting `session.store.file`"), "{error}");
        jail.set_env("BFF_SESSION__STORE__FILE", "");
        jail.set_env("BFF_SESSION__STORE__KIND", "memory");
        jail.set_env("BFF_LISTEN_ADDR", "127.0.0.1:9000");
        let error = Settings::load_demo(Some(Path::new("bff.toml"))).expect_err("misspelt variable").to_string();
        assert!(error.contains("unknown setting `listen_addr`") && error.contains("BFF_LISTEN_ADDR"), "{error}");
        Ok(())
    });
}

#[test]
fn the_settings_debug_output_holds_no_secret() -> anyhow::Result<()> {
    let mut settings = Settings::default();
    settings.provider.client_secret = proconnect_bff::settings::Secret::new("s3cr3t-client-value");
    settings.session.store =
        SessionStoreSettings::Redis { url: "rediss://bff:r3d1s-pass@sessions.internal:6380/0".into() };
    let shown = format!("{settings:?} {settings:#?}");
    for secret in ["s3cr3t-client-value", "r3d1s-pass"] {
        anyhow::ensure!(!shown.contains(secret), "Debug shows {secret}: {shown}");
    }
    anyhow::ensure!(shown.contains("sessions.internal:6380"), "the Redis host stays visible: {shown}");
    Ok(())
}

#[test]
fn a_ca_bundle_that_cannot_be_used_refuses_start_up() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let not_pem = dir.path().join("not.pem");
    std::fs::write(&not_pem, "not a certificate")?;
    for (path, expected) in [(dir.path().join("missing.pem"), "cannot read it"), (not_pem, "no certificate")] {
        let mut settings = Settings { ca_bundle: Some(path), ..Settings::default() };
        settings.provider.issuer = Some("http://127.0.0.1:9/api/v2".parse()?);
        let error = proconnect_bff::App::new(settings).err().map(|e| e.to_string()).unwrap_or_default();
        anyhow::ensure!(error.contains("ca_bundle") && error.contains(expected), "{expected}: {error}");
    }
    Ok(())
}

#[test]
fn the_paths_load_from_the_file_and_the_environment_and_a_bad_one_is_named() {
    Jail::expect_with(|jail| {
        jail.create_file(
            "bff.toml",
            r#"
[provider]
preset = "simulator"

[paths]
base = "/compte"
signed_out = "/au-revoir"
"#,
        )?;
        jail.set_env("BFF_PATHS__HOME", "/accueil");
        let settings = Settings::load(Some(Path::new("bff.toml"))).map_err(fail)?;
        assert_eq!(settings.paths.base, "/compte");
        assert_eq!(settings.paths.signed_out, "/au-revoir");
        assert_eq!(settings.paths.home, "/accueil");
        assert_eq!(settings.paths.notice, "/", "the default");
        assert_eq!(settings.redirect_uri().as_str(), "http://127.0.0.1:8080/compte/auth/callback");

        jail.set_env("BFF_PATHS__BASE", "/compte/");
        let error = Settings::load(Some(Path::new("bff.toml"))).expect_err("a trailing slash").to_string();
        assert!(error.contains("paths.base `/compte/`") && error.contains("must not end with `/`"), "{error}");
        jail.set_env("BFF_PATHS__BASE", "/compte");
        jail.set_env("BFF_PATHS__NOTICE", "//evil.example");
        let error = Settings::load(Some(Path::new("bff.toml"))).expect_err("another site").to_string();
        assert!(error.contains("paths.notice"), "{error}");
        jail.set_env("BFF_PATHS__NOTICE", "/");
        jail.set_env("BFF_PATHS__PREFIX", "/x");
        let error = Settings::load(Some(Path::new("bff.toml"))).expect_err("an unknown key").to_string();
        assert!(error.contains("paths.prefix"), "{error}");
        Ok(())
    });
}
