//! Today's ProConnect platform (`contract = "proconnect"`, the default; `shared/spec/proconnect-today.md`),
//! against the bundled demo configuration (`simulator.toml`) plus a few clients and agents:
//! optional `acr_values`, `sp_name`, `prompt` values, `siret_hint`/`login_hint`,
//! `idp_hint_not_found`, levels passed through and essential `acr` requests, `iss` on every
//! callback, code 60 s and access token 1 h, refresh tokens, separate ID token and userinfo
//! algorithms and unsigned userinfo, `roles`/`organization_label`/`custom`, the test identity
//! provider, the `ignore_essential_acr` fault, discovery, the pages' wording and logout by
//! `client_id`.

#![allow(clippy::unwrap_used)]

use crate::common::{Harness, Params, assert_error_page, browser, peek, peek_header, query, start_from};
use proconnect_simulator::{Faults, SigningAlg, SimulatorConfig, UserinfoAlg};
use proconnect_types::{AccessDenied, Acr, CallbackError};
use serde_json::{Value, json};
use std::time::Duration;
use url::Url;

const TWO_FACTOR: &str = r#"{"id_token":{"amr":{"essential":true},"acr":{"essential":true,"values":["eidas0-mfa","eidas1-mfa","eidas2","eidas3"]}}}"#;
const SEE_LEVEL: &str = r#"{"id_token":{"acr":null,"amr":{"essential":true}}}"#;

/// The demo configuration, with two more clients (separate algorithms) and two agents whose
/// levels ProConnect does not publish.
fn config() -> SimulatorConfig {
    let mut config = SimulatorConfig::demo();
    let demo = config.clients[0].clone();
    let mut split = demo.clone();
    split.client_id = "fs-rs256-unsigned".into();
    split.id_token_signed_response_alg = Some(SigningAlg::RS256);
    split.userinfo_signed_response_alg = Some(UserinfoAlg::Unsigned);
    let mut hmac = demo;
    hmac.client_id = "fs-es256-hs256".into();
    hmac.client_secret = "a-secret-of-at-least-32-characters-for-hs256".into();
    hmac.alg = SigningAlg::ES256;
    hmac.userinfo_signed_response_alg = Some(UserinfoAlg::HS256);
    config.clients.extend([split, hmac]);
    let fia1 = &mut config.identity_providers[0];
    for (login, acr) in [("inconnu", "eidas9"), ("ancien", "https://proconnect.gouv.fr/assurance/self-asserted")] {
        let mut agent = fia1.agents[0].clone();
        agent.login = login.into();
        agent.email = format!("{login}@fia1.fr");
        agent.uid = format!("uid-{login}");
        agent.acr = Some(acr.into());
        fia1.agents.push(agent);
    }
    config
}

async fn start() -> Harness {
    start_from(config()).await
}

/// A valid ProConnect request: no `acr_values` (the reference client's default).
fn params(h: &Harness, client: &str) -> Params {
    h.params(client).without("acr_values")
}

/// Signs `email` in with `login`/`123` and exchanges the code; returns the token response.
async fn tokens_for(h: &Harness, client: &str, params: &Params, email: &str, login: &str) -> Value {
    let callback = h.sign_in(&browser(), params, email, login, "123").await;
    let code = query(&callback).remove("code").unwrap_or_else(|| panic!("no code in {callback}"));
    let response = h.exchange(client, &code, &[]).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn id_token_of(h: &Harness, client: &str, tokens: &Value) -> Value {
    h.verify(tokens["id_token"].as_str().unwrap(), client).await.unwrap()
}

/// The claims of a signed userinfo for `client`.
async fn userinfo_of(h: &Harness, client: &str, tokens: &Value) -> Value {
    let response = h.userinfo(tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/jwt");
    h.verify_userinfo(&response.text().await.unwrap(), client).await.unwrap()
}

#[tokio::test]
async fn acr_values_is_optional_and_only_tolerated() {
    let h = start().await;
    for acr_values in [None, Some("eidas1"), Some("eidas2 eidas9"), Some("nothing-supported")] {
        let params = match acr_values {
            None => params(&h, "demo-fs"),
            Some(values) => params(&h, "demo-fs").with("acr_values", values),
        };
        let mire = h.follow(&browser(), &h.authorize_url(&params.0)).await;
        assert!(mire.path().starts_with("/interaction/"), "{acr_values:?}: {mire}");
    }
    // Never enforced: an eidas1 agent asked for eidas2 through acr_values still signs in, at eidas1.
    let params = params(&h, "demo-fs").with("acr_values", "eidas2");
    let tokens = tokens_for(&h, "demo-fs", &params, "test@fia1.fr", "test").await;
    assert_eq!(id_token_of(&h, "demo-fs", &tokens).await["acr"], "eidas1");
}

#[tokio::test]
async fn sp_name_and_unknown_parameters_are_accepted_repeated_ones_are_not() {
    let h = start().await;
    let with_sp_name = params(&h, "demo-fs").with("sp_name", "Mon service").with("ui_locales", "fr");
    let mire = h.follow(&browser(), &h.authorize_url(&with_sp_name.0)).await;
    assert!(mire.path().starts_with("/interaction/"), "{mire}");
    let repeated = params(&h, "demo-fs").with("sp_name", "a").with("sp_name", "b");
    assert_error_page(browser().get(h.authorize_url(&repeated.0)).send().await.unwrap(), 400, "Y000400").await;
    for missing in ["state", "nonce", "scope", "redirect_uri", "response_type", "client_id"] {
        let url = h.authorize_url(&params(&h, "demo-fs").without(missing).0);
        assert_error_page(browser().get(&url).send().await.unwrap(), 400, "Y000400").await;
    }
}

#[tokio::test]
async fn prompt_values_and_invalid_ones_back_to_the_callback() {
    let h = start().await;
    for prompt in ["login", "consent", "select_organization", "update_userinfo", "login consent"] {
        let next = h.follow(&browser(), &h.authorize_url(&params(&h, "demo-fs").with("prompt", prompt).0)).await;
        assert!(next.path().starts_with("/interaction/"), "{prompt}: {next}");
    }
    for prompt in ["none login", "none consent", "select_account", "none none"] {
        let request = params(&h, "demo-fs").with("prompt", prompt);
        let callback = h.follow(&browser(), &h.authorize_url(&request.0)).await;
        assert!(callback.as_str().starts_with("http://127.0.0.1:8080/auth/callback?"), "{prompt}: {callback}");
        let query = query(&callback);
        assert_eq!(query["error"], "invalid_request", "{prompt}");
        assert_eq!(query["state"], request.get("state"));
        assert_eq!(query["iss"], h.issuer());
    }
    let silent = h.follow(&browser(), &h.authorize_url(&params(&h, "demo-fs").with("prompt", "none").0)).await;
    assert_eq!(query(&silent)["error"], "login_required");
    // With a session, select_organization goes back to the FI (login pre-filled), none gives a code.
    let browser = browser();
    h.code(&browser, &params(&h, "demo-fs")).await;
    let fi = h.follow(&browser, &h.authorize_url(&params(&h, "demo-fs").with("prompt", "select_organization").0)).await;
    assert!(fi.path().ends_with("/fi/fia1"), "{fi}");
    let silent = h.follow(&browser, &h.authorize_url(&params(&h, "demo-fs").with("prompt", "none").0)).await;
    assert!(query(&silent).contains_key("code"), "{silent}");
}

#[tokio::test]
async fn unknown_idp_hint_is_idp_hint_not_found_at_the_callback() {
    let h = start().await;
    let request = params(&h, "demo-fs").with("idp_hint", "nowhere");
    let response = browser().get(h.authorize_url(&request.0)).send().await.unwrap();
    let callback = h.location(response).await;
    let query = query(&callback);
    assert_eq!(query["error"], "idp_hint_not_found");
    assert_eq!(query["state"], request.get("state"));
    assert_eq!(query["iss"], h.issuer());
    assert_eq!(CallbackError::parse(&query["error"], ""), CallbackError::IdpHintNotFound);
    // A known one skips the mire.
    let fi = h.follow(&browser(), &h.authorize_url(&params(&h, "demo-fs").with("idp_hint", "fia2").0)).await;
    assert!(fi.path().ends_with("/fi/fia2"), "{fi}");
}

#[tokio::test]
async fn login_hint_is_an_email_and_siret_hint_fourteen_digits() {
    let h = start().await;
    for (name, bad) in [("login_hint", "test"), ("siret_hint", "1234"), ("siret_hint", "2134012680013a")] {
        let url = h.authorize_url(&params(&h, "demo-fs").with(name, bad).0);
        assert_error_page(browser().get(&url).send().await.unwrap(), 400, "Y000400").await;
    }
    let browser = browser();
    let request = params(&h, "demo-fs").with("login_hint", "mfa@fia1.fr").with("siret_hint", "13002526500013");
    let mire = h.follow(&browser, &h.authorize_url(&request.0)).await;
    let page = browser.get(mire.as_str()).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("value=\"mfa@fia1.fr\""), "{page}");
}

#[tokio::test]
async fn an_essential_level_the_agent_reaches_is_returned_with_its_amr() {
    let h = start().await;
    let request = params(&h, "demo-fs").with("claims", TWO_FACTOR);
    let tokens = tokens_for(&h, "demo-fs", &request, "mfa@fia1.fr", "mfa").await;
    let claims = id_token_of(&h, "demo-fs", &tokens).await;
    assert_eq!(claims["acr"], "eidas1-mfa");
    assert!(Acr::parse(claims["acr"].as_str().unwrap()).is_two_factor());
    assert_eq!(claims["amr"], json!(["pwd", "totp", "mfa"]));
    // The single-value spelling.
    let single = params(&h, "demo-fs").with("claims", r#"{"id_token":{"acr":{"essential":true,"value":"eidas2"}}}"#);
    let tokens = tokens_for(&h, "demo-fs", &single, "forte@fia2.fr", "forte").await;
    let claims = id_token_of(&h, "demo-fs", &tokens).await;
    assert_eq!(claims["acr"], "eidas2");
    assert!(claims.get("amr").is_none(), "amr only when requested");
}

#[tokio::test]
async fn an_essential_level_not_met_is_access_denied_then_step_up_goes_back_to_the_fi() {
    let h = start().await;
    let browser = browser();
    let request = params(&h, "demo-fs").with("claims", TWO_FACTOR);
    let callback = h.sign_in(&browser, &request, "test@fia1.fr", "test", "123").await;
    let q = query(&callback);
    assert!(!q.contains_key("code"), "{callback}");
    assert_eq!(q["error"], "access_denied");
    assert_eq!(q["error_description"], "requested ACRs could not be satisfied");
    assert_eq!(q["state"], request.get("state"));
    assert_eq!(q["iss"], h.issuer());
    assert_eq!(
        CallbackError::parse(&q["error"], &q["error_description"]),
        CallbackError::AccessDenied(AccessDenied::LevelNotMet)
    );
    // The agent did sign in at eidas1: without a level requirement, the session gives a code.
    let plain = h.follow(&browser, &h.authorize_url(&params(&h, "demo-fs").0)).await;
    assert!(query(&plain).contains_key("code"), "{plain}");
    // Step-up: the eidas1 session does not meet two-factor, so the FI page again, not a code;
    // silently, it is login_required.
    let fi = h.follow(&browser, &h.authorize_url(&request.0)).await;
    assert!(fi.path().ends_with("/fi/fia1"), "{fi}");
    let silent = h.follow(&browser, &h.authorize_url(&request.clone().with("prompt", "none").0)).await;
    assert_eq!(query(&silent)["error"], "login_required");
    // Signing in there as a two-factor agent of the same FI satisfies it.
    let callback = h.fi_login(&browser, &fi, "mfa", "123").await;
    let code = query(&callback).remove("code").unwrap_or_else(|| panic!("{callback}"));
    let tokens: Value = h.exchange("demo-fs", &code, &[]).await.json().await.unwrap();
    assert_eq!(id_token_of(&h, "demo-fs", &tokens).await["acr"], "eidas1-mfa");
}

#[tokio::test]
async fn levels_pass_through_and_unpublished_ones_become_eidas1() {
    let h = start().await;
    let cases = [
        ("test@fia1.fr", "test", "eidas1", "eidas1", json!(["pwd"])),
        ("forte@fia2.fr", "forte", "eidas2", "eidas2", json!(["pwd", "otp", "mfa"])),
        ("carte@fia2.fr", "carte", "eidas3", "eidas3", json!(["pin", "hwk", "mfa"])),
        (
            "dirigeant@yopmail.com",
            "dirigeant",
            "https://proconnect.gouv.fr/assurance/certification-dirigeant",
            "https://proconnect.gouv.fr/assurance/certification-dirigeant",
            json!(["pwd", "mail"]),
        ),
        ("inconnu@fia1.fr", "inconnu", "eidas1", "eidas9", json!(["pwd"])),
        ("ancien@fia1.fr", "ancien", "eidas1", "https://proconnect.gouv.fr/assurance/self-asserted", json!(["pwd"])),
    ];
    for (email, login, acr, idp_acr, amr) in cases {
        let request = params(&h, "demo-fs").set("scope", "openid email idp_acr").with("claims", SEE_LEVEL);
        let tokens = tokens_for(&h, "demo-fs", &request, email, login).await;
        let claims = id_token_of(&h, "demo-fs", &tokens).await;
        assert_eq!((&claims["acr"], &claims["amr"]), (&json!(acr), &amr), "{email}");
        assert_eq!(userinfo_of(&h, "demo-fs", &tokens).await["idp_acr"], idp_acr, "{email}: the FI's own level");
    }
    // The acr claim is always there, even when not asked for.
    let tokens = tokens_for(&h, "demo-fs", &params(&h, "demo-fs"), "carte@fia2.fr", "carte").await;
    assert_eq!(peek(tokens["id_token"].as_str().unwrap())["acr"], "eidas3");
}

#[tokio::test]
async fn iss_is_on_every_callback() {
    let h = start().await;
    let browser1 = browser();
    let callback = h.sign_in(&browser1, &params(&h, "demo-fs"), "test@fia1.fr", "test", "123").await;
    assert!(query(&callback).contains_key("code"));
    assert_eq!(query(&callback)["iss"], h.issuer());
    // Silent sign-in with the session, cancel, refused scope.
    let silent = h.follow(&browser1, &h.authorize_url(&params(&h, "demo-fs").with("prompt", "none").0)).await;
    assert_eq!(query(&silent)["iss"], h.issuer());
    let browser2 = browser();
    let mire = h.follow(&browser2, &h.authorize_url(&params(&h, "demo-fs").0)).await;
    let cancelled = h.follow(&browser2, &format!("{mire}/cancel")).await;
    assert_eq!((query(&cancelled)["error"].as_str(), query(&cancelled)["iss"].as_str()), ("access_denied", h.issuer()));
    assert_eq!(query(&cancelled)["error_description"], "User auth aborted");
    let refused = h.follow(&browser(), &h.authorize_url(&params(&h, "demo-fs").set("scope", "openid profile").0)).await;
    assert_eq!((query(&refused)["error"].as_str(), query(&refused)["iss"].as_str()), ("invalid_scope", h.issuer()));
}

#[tokio::test]
async fn a_code_lives_sixty_seconds_and_an_access_token_one_hour() {
    let h = start().await;
    let code = h.code(&browser(), &params(&h, "demo-fs")).await;
    h.sim().advance_clock(Duration::from_secs(55)); // a margin for the test's own time
    let response = h.exchange("demo-fs", &code, &[]).await;
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["expires_in"], 3600);
    let id_token = h.verify(tokens["id_token"].as_str().unwrap(), "demo-fs").await.unwrap();
    assert_eq!(id_token["exp"].as_i64().unwrap() - id_token["iat"].as_i64().unwrap(), 3600);
    let code = h.code(&browser(), &params(&h, "demo-fs")).await;
    h.sim().advance_clock(Duration::from_secs(60));
    assert_eq!(h.exchange("demo-fs", &code, &[]).await.status(), 400);

    // The access token was issued 60 s ago (simulated); 3,595 s old, then 3,600.
    let access_token = tokens["access_token"].as_str().unwrap();
    h.sim().advance_clock(Duration::from_secs(3600 - 60 - 5));
    assert_eq!(h.userinfo(access_token).await.status(), 200);
    h.sim().advance_clock(Duration::from_secs(5));
    let expired = h.userinfo(access_token).await;
    assert_eq!(expired.status(), 401);
    assert!(expired.text().await.unwrap().contains("Y030025"));
}

/// Refreshes with `refresh_token` for `client`.
async fn refresh(h: &Harness, client: &str, refresh_token: &str) -> reqwest::Response {
    let secret = h.secret(client);
    h.token_request(&[
        ("grant_type", "refresh_token"),
        ("client_id", client),
        ("client_secret", &secret),
        ("refresh_token", refresh_token),
    ])
    .await
}

#[tokio::test]
async fn refresh_tokens_rotate_and_work_two_hours_from_the_sign_in() {
    let h = start().await;
    let request = params(&h, "demo-fs").set("scope", "openid email roles").with("claims", SEE_LEVEL);
    let first = tokens_for(&h, "demo-fs", &request, "mfa@fia1.fr", "mfa").await;
    assert_eq!(first["scope"], "openid email roles");
    let original = id_token_of(&h, "demo-fs", &first).await;
    let refresh_token = first["refresh_token"].as_str().unwrap().to_owned();

    h.sim().advance_clock(Duration::from_secs(3700)); // the first access token has expired
    assert_eq!(h.userinfo(first["access_token"].as_str().unwrap()).await.status(), 401);
    // Another client cannot use it (and does not consume it).
    assert_eq!(refresh(&h, "fs-rs256-unsigned", &refresh_token).await.status(), 400);
    let response = refresh(&h, "demo-fs", &refresh_token).await;
    assert_eq!(response.status(), 200);
    let second: Value = response.json().await.unwrap();
    assert_eq!((second["expires_in"].as_u64(), second["scope"].as_str()), (Some(3600), Some("openid email roles")));
    let renewed = id_token_of(&h, "demo-fs", &second).await;
    for same in ["sub", "sid", "auth_time", "acr", "amr", "aud"] {
        assert_eq!(renewed[same], original[same], "{same}");
    }
    assert!(renewed.get("nonce").is_none(), "OpenID Connect Core §12.2");
    assert!(renewed["iat"].as_i64().unwrap() >= original["iat"].as_i64().unwrap() + 3700);
    assert_eq!(userinfo_of(&h, "demo-fs", &second).await["email"], "mfa@fia1.fr");
    // Rotation: the used refresh token is dead, the new one works, with a narrower scope too.
    assert_eq!(refresh(&h, "demo-fs", &refresh_token).await.status(), 400);
    let newer = second["refresh_token"].as_str().unwrap();
    assert_ne!(newer, refresh_token);
    let secret = h.secret("demo-fs");
    let narrower = h
        .token_request(&[
            ("grant_type", "refresh_token"),
            ("client_id", "demo-fs"),
            ("client_secret", &secret),
            ("refresh_token", newer),
            ("scope", "openid email"),
        ])
        .await;
    let third: Value = narrower.json().await.unwrap();
    assert_eq!(third["scope"], "openid email");
    // Two hours after the sign-in, whatever the refreshes in between: invalid_grant.
    h.sim().advance_clock(Duration::from_secs(7200 - 3700));
    let late = refresh(&h, "demo-fs", third["refresh_token"].as_str().unwrap()).await;
    assert_eq!(late.status(), 400);
    assert_eq!(late.json::<Value>().await.unwrap()["error"], "invalid_grant");
}

#[tokio::test]
async fn revoking_a_refresh_token_revokes_its_access_token_too() {
    let h = start().await;
    let tokens = tokens_for(&h, "demo-fs", &params(&h, "demo-fs"), "test@fia1.fr", "test").await;
    let (access_token, refresh_token) =
        (tokens["access_token"].as_str().unwrap(), tokens["refresh_token"].as_str().unwrap());
    let secret = h.secret("demo-fs");
    let revoked = reqwest::Client::new()
        .post(h.url("/api/v2/token/revocation"))
        .form(&[("client_id", "demo-fs"), ("client_secret", &secret), ("token", refresh_token)])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    assert_eq!(refresh(&h, "demo-fs", refresh_token).await.status(), 400);
    assert_eq!(h.userinfo(access_token).await.status(), 401);
    // A replayed code revokes the refresh token it gave.
    let code = h.code(&browser(), &params(&h, "demo-fs")).await;
    let tokens: Value = h.exchange("demo-fs", &code, &[]).await.json().await.unwrap();
    assert_eq!(h.exchange("demo-fs", &code, &[]).await.status(), 400);
    assert_eq!(refresh(&h, "demo-fs", tokens["refresh_token"].as_str().unwrap()).await.status(), 400);
}

#[tokio::test]
async fn id_token_and_userinfo_algorithms_are_registered_apart_and_userinfo_may_be_unsigned() {
    let h = start().await;
    let tokens = h.tokens(&browser(), "fs-rs256-unsigned", &params(&h, "fs-rs256-unsigned")).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    assert_eq!(peek_header(id_token)["alg"], "RS256");
    let claims = h.verify(id_token, "fs-rs256-unsigned").await.unwrap();
    let response = h.userinfo(tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let userinfo: Value = response.json().await.unwrap();
    assert_eq!(userinfo["sub"], claims["sub"]);
    assert_eq!(userinfo["email"], "test@fia1.fr");
    assert!(userinfo.get("iss").is_none(), "plain userinfo claims");

    let tokens = h.tokens(&browser(), "fs-es256-hs256", &params(&h, "fs-es256-hs256")).await;
    assert_eq!(peek_header(tokens["id_token"].as_str().unwrap())["alg"], "ES256");
    h.verify(tokens["id_token"].as_str().unwrap(), "fs-es256-hs256").await.unwrap();
    let jwt = h.userinfo(tokens["access_token"].as_str().unwrap()).await.text().await.unwrap();
    assert_eq!(peek_header(&jwt)["alg"], "HS256");
    assert_eq!(h.verify_userinfo(&jwt, "fs-es256-hs256").await.unwrap()["email"], "test@fia1.fr");
    assert!(h.verify_with(&jwt, "fs-es256-hs256", SigningAlg::ES256).await.is_err());
}

#[tokio::test]
async fn roles_organization_label_and_custom_come_through_their_scopes() {
    let h = start().await;
    let scope = "openid email siret organization_label roles custom";
    let cases = [
        ("test@fia1.fr", "test", json!(["agent_public", "agent_public_etat"]), json!("Commune de Montpellier")),
        ("prestataire@fia1.fr", "prestataire", json!([]), json!("Prestataire Informatique SAS")),
        ("forte@fia2.fr", "forte", json!(["agent_public", "agent_public_territorial"]), json!("Ville de Paris")),
        ("dirigeant@yopmail.com", "dirigeant", json!(["dirigeant"]), json!("Prestataire Informatique SAS")),
        ("incomplet@fia1.fr", "incomplet", Value::Null, Value::Null),
    ];
    for (email, login, roles, label) in cases {
        let tokens = tokens_for(&h, "demo-fs", &params(&h, "demo-fs").set("scope", scope), email, login).await;
        let claims = userinfo_of(&h, "demo-fs", &tokens).await;
        assert_eq!(claims.get("roles").cloned().unwrap_or(Value::Null), roles, "{email}");
        assert_eq!(claims.get("organization_label").cloned().unwrap_or(Value::Null), label, "{email}");
        assert_eq!(claims["custom"], json!({}), "{email}: custom is {{}} when empty");
    }
    // Without the scopes, none of them.
    let tokens =
        tokens_for(&h, "demo-fs", &params(&h, "demo-fs").set("scope", "openid email"), "test@fia1.fr", "test").await;
    let claims = userinfo_of(&h, "demo-fs", &tokens).await;
    assert!(
        claims.get("roles").is_none() && claims.get("organization_label").is_none() && claims.get("custom").is_none()
    );
    // The sandbox identity's own custom claim.
    let request = params(&h, "demo-fs").set("scope", "openid custom");
    let callback = h.sign_in(&browser(), &request, "user@yopmail.com", "user@yopmail.com", "user@yopmail.com").await;
    let code = query(&callback).remove("code").unwrap();
    let tokens: Value = h.exchange("demo-fs", &code, &[]).await.json().await.unwrap();
    assert_eq!(userinfo_of(&h, "demo-fs", &tokens).await["custom"], json!({"service": "demo"}));
}

/// Goes from authorize to the test identity provider's page by the mire; returns its URL and HTML.
async fn test_fi_page(h: &Harness, browser: &reqwest::Client, params: &Params, email: &str) -> (Url, String) {
    let mire = h.follow(browser, &h.authorize_url(&params.0)).await;
    let fi = h.submit(browser, mire.as_str(), &[("email", email)]).await;
    assert!(fi.path().ends_with("/fi/fi-test-proconnect"), "{fi}");
    let page = browser.get(fi.as_str()).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let mut action = fi;
    action.set_query(None);
    (action, page.text().await.unwrap())
}

#[tokio::test]
async fn the_test_identity_provider_lets_the_tester_pick_email_siret_and_level() {
    let h = start().await;
    let browser1 = browser();
    let request = params(&h, "demo-fs")
        .set("scope", "openid email siret siren given_name organization_label")
        .with("siret_hint", "21340126800130")
        .with("claims", SEE_LEVEL);
    let (action, page) = test_fi_page(&h, &browser1, &request, "jeanne@test.proconnect.gouv.fr").await;
    assert!(page.contains("value=\"jeanne@test.proconnect.gouv.fr\""), "email pre-filled: {page}");
    assert!(page.contains("value=\"21340126800130\""), "siret_hint pre-fills the SIRET: {page}");
    assert!(!page.contains("type=\"password\""), "no password");
    for acr in Acr::SUPPORTED {
        assert!(page.contains(&format!("<option value=\"{}\"", acr.as_str())), "{acr}");
    }
    // A SIRET that is not 14 digits, or an email at another domain: the page again, with an error.
    for form in [
        [("email", "jeanne@test.proconnect.gouv.fr"), ("siret", "123"), ("acr", "eidas2")],
        [("email", "jeanne@fia1.fr"), ("siret", "21340126800130"), ("acr", "eidas2")],
    ] {
        let response = browser1.post(action.as_str()).form(&form).send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.text().await.unwrap().contains("id=\"fi-error\""), "{form:?}");
    }
    let form = [("email", "Paul@test.proconnect.gouv.fr"), ("siret", "11000201100044"), ("acr", "eidas2")];
    let callback = h.submit(&browser1, action.as_str(), &form).await;
    let code = query(&callback).remove("code").unwrap_or_else(|| panic!("{callback}"));
    let tokens: Value = h.exchange("demo-fs", &code, &[]).await.json().await.unwrap();
    let id_token = id_token_of(&h, "demo-fs", &tokens).await;
    assert_eq!((&id_token["acr"], &id_token["amr"]), (&json!("eidas2"), &json!(["pwd", "totp", "mfa"])));
    let claims = userinfo_of(&h, "demo-fs", &tokens).await;
    assert_eq!(claims["email"], "Paul@test.proconnect.gouv.fr");
    assert_eq!((claims["siret"].as_str(), claims["siren"].as_str()), (Some("11000201100044"), Some("110002011")));
    assert_eq!(claims["given_name"], "Camille", "the template's other claims");

    // Picking a level below an essential request: access_denied.
    let browser2 = browser();
    let demanding = params(&h, "demo-fs").with("claims", TWO_FACTOR);
    let (action, page) = test_fi_page(&h, &browser2, &demanding, "low@test.proconnect.gouv.fr").await;
    assert!(page.contains("<option value=\"eidas0-mfa\" selected>"), "the first requested level is preselected");
    let form = [("email", "low@test.proconnect.gouv.fr"), ("siret", "11000201100044"), ("acr", "eidas1")];
    let callback = h.submit(&browser2, action.as_str(), &form).await;
    assert_eq!(query(&callback)["error"], "access_denied");
}

#[tokio::test]
async fn the_ignore_essential_acr_fault_issues_the_real_lower_level() {
    let h = start().await;
    h.sim().set_faults(Faults { ignore_essential_acr: true, ..Faults::default() });
    let request = params(&h, "demo-fs").with("claims", TWO_FACTOR);
    let browser = browser();
    let callback = h.sign_in(&browser, &request, "test@fia1.fr", "test", "123").await;
    let code = query(&callback).remove("code").unwrap_or_else(|| panic!("a code despite the level: {callback}"));
    let tokens: Value = h.exchange("demo-fs", &code, &[]).await.json().await.unwrap();
    assert_eq!(id_token_of(&h, "demo-fs", &tokens).await["acr"], "eidas1");
    // The eidas1 session is reused for a two-factor request too.
    let again = h.follow(&browser, &h.authorize_url(&request.0)).await;
    assert!(query(&again).contains_key("code"), "{again}");
    // Faithful again: refused.
    h.sim().set_faults(Faults::default());
    let refused = h.follow(&browser, &h.authorize_url(&request.0)).await;
    assert!(refused.path().ends_with("/fi/fia1"), "{refused}");
}

#[tokio::test]
async fn discovery_describes_todays_platform() {
    let h = start().await;
    let doc: Value =
        reqwest::get(h.url("/api/v2/.well-known/openid-configuration")).await.unwrap().json().await.unwrap();
    let list = |field: &str| -> Vec<String> {
        doc[field].as_array().unwrap_or_else(|| panic!("{field}")).iter().map(|v| v.as_str().unwrap().into()).collect()
    };
    let supported: Vec<String> = Acr::SUPPORTED.iter().map(|a| a.as_str().to_owned()).collect();
    assert_eq!(list("acr_values_supported"), supported);
    for scope in ["roles", "organization_label", "custom", "siren", "idp_acr"] {
        assert!(list("scopes_supported").contains(&scope.to_owned()), "{scope}");
        assert!(list("claims_supported").contains(&scope.to_owned()), "{scope}");
    }
    assert_eq!(list("token_endpoint_auth_methods_supported"), ["client_secret_post", "private_key_jwt"]);
    assert_eq!(list("grant_types_supported"), ["authorization_code", "refresh_token"]);
    assert!(list("userinfo_signing_alg_values_supported").contains(&"none".to_owned()));
    assert!(list("prompt_values_supported").contains(&"select_organization".to_owned()));
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
}

#[tokio::test]
async fn pages_say_proconnect_never_agentconnect() {
    let h = start().await;
    let browser = browser();
    let mire = h.follow(&browser, &h.authorize_url(&params(&h, "demo-fs").0)).await;
    let pages = [
        browser.get(mire.as_str()).send().await.unwrap().text().await.unwrap(),
        browser.get(format!("{mire}/fi/fia1")).send().await.unwrap().text().await.unwrap(),
        // Y030110: another browser, without the interaction cookie.
        reqwest::get(mire.as_str()).await.unwrap().text().await.unwrap(),
        reqwest::get(h.url("/nowhere")).await.unwrap().text().await.unwrap(),
    ];
    for page in pages {
        assert!(page.contains("ProConnect"), "{page}");
        assert!(!page.contains("AgentConnect"), "{page}");
    }
}

#[tokio::test]
async fn logout_accepts_client_id_instead_of_id_token_hint() {
    let h = start().await;
    let browser = browser();
    h.code(&browser, &params(&h, "demo-fs")).await;
    let target = h.sim().config().client("demo-fs").unwrap().post_logout_redirect_uris[0].clone();
    let mut url = Url::parse(&h.url("/api/v2/session/end")).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", "demo-fs")
        .append_pair("post_logout_redirect_uri", &target)
        .append_pair("state", "logout-state");
    let back = h.follow(&browser, url.as_str()).await;
    assert_eq!(query(&back)["state"], "logout-state");
    // The provider session has ended.
    let silent = h.follow(&browser, &h.authorize_url(&params(&h, "demo-fs").with("prompt", "none").0)).await;
    assert_eq!(query(&silent)["error"], "login_required");
}
