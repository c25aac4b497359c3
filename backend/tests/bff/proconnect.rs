//! Today's ProConnect (`../shared/spec/proconnect-today.md`) against the simulator's `proconnect`
//! contract: every level signs in when no policy is set; a required level is requested as an
//! essential claim and checked on the ID token even when the provider ignores the request;
//! step-up keeps the session; the roles policy; callback errors explained; `iss`; the refresh
//! token kept server-side and revoked; the `RequireLevel` extractor for an embedding app.

use anyhow::{Context, ensure};
use proconnect_bff::guard::{RequireLevel, TwoFactor};
use proconnect_bff::settings::UserinfoAlg;
use proconnect_types::{LevelPolicy, Role, RolePolicy, Scope};
use testkit::{Browser, Kit};

/// The `claims` parameter of an authorization URL, parsed.
fn claims_of(authorize: &str) -> anyhow::Result<serde_json::Value> {
    let url = url::Url::parse(authorize)?;
    let claims = url.query_pairs().find(|(k, _)| k == "claims").context("a claims parameter")?.1.into_owned();
    Ok(serde_json::from_str(&claims)?)
}

fn param(authorize: &str, name: &str) -> anyhow::Result<Option<String>> {
    Ok(url::Url::parse(authorize)?.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned()))
}

/// Signs in a new browser as `email` with `fields` on the FI page; returns the browser and the
/// callback's answer.
async fn sign_in_as(
    kit: &Kit,
    query: &str,
    email: &str,
    fields: &[(&str, &str)],
) -> anyhow::Result<(Browser, testkit::Answer)> {
    let browser = Browser::new();
    let authorize = browser.start_login(kit, query).await?;
    let callback = browser.through_provider_as(kit, &authorize, email, fields).await?;
    let answer = browser.get(&callback).await?;
    Ok((browser, answer))
}

/// The test identity provider: the tester picks the email, SIRET and level.
fn test_fi(email: &'static str, acr: &'static str) -> [(&'static str, &'static str); 3] {
    [("email", email), ("siret", "13002526500013"), ("acr", acr)]
}

#[tokio::test]
async fn every_level_signs_in_when_no_policy_is_set_and_no_acr_values_is_sent() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let authorize = Browser::new().start_login(&kit, "").await?;
    ensure!(param(&authorize, "acr_values")?.is_none(), "acr_values sent unasked: {authorize}");
    let claims = claims_of(&authorize)?;
    ensure!(claims["id_token"]["acr"].is_null() && claims["id_token"].get("acr").is_some(), "{claims}");
    ensure!(claims["id_token"]["amr"].is_object(), "{claims}");
    type Agent<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
    let agents: [Agent; 6] = [
        ("test@fia1.fr", &[("login", "test"), ("password", "123")], "eidas1"),
        ("mfa@fia1.fr", &[("login", "mfa"), ("password", "123")], "eidas1-mfa"),
        ("forte@fia2.fr", &[("login", "forte"), ("password", "123")], "eidas2"),
        ("carte@fia2.fr", &[("login", "carte"), ("password", "123")], "eidas3"),
        (
            "dirigeant@yopmail.com",
            &[("login", "dirigeant"), ("password", "123")],
            "https://proconnect.gouv.fr/assurance/certification-dirigeant",
        ),
        ("eidas0@test.proconnect.gouv.fr", &test_fi("eidas0@test.proconnect.gouv.fr", "eidas0"), "eidas0"),
    ];
    for (email, fields, acr) in agents {
        let (browser, done) = sign_in_as(&kit, "", email, fields).await?;
        done.expect_redirect("/").with_context(|| email.to_owned())?;
        let me = browser.me(&kit.url).await?.json()?;
        ensure!(me["acr"] == acr, "{email}: {me}");
        ensure!(me["claims"]["email"] == email, "{email}: {me}");
    }
    Ok(())
}

#[tokio::test]
async fn a_two_factor_policy_is_requested_as_essential_and_checked_on_the_id_token() -> anyhow::Result<()> {
    let kit = Kit::start_with(|s| {
        s.policy.level = LevelPolicy::TwoFactor;
        s.support = Some("support@service.gouv.fr".into());
    })
    .await?;
    let authorize = Browser::new().start_login(&kit, "").await?;
    let acr = &claims_of(&authorize)?["id_token"]["acr"];
    ensure!(
        *acr == serde_json::json!({"essential": true, "values": ["eidas0-mfa", "eidas1-mfa", "eidas2", "eidas3"]}),
        "{acr}"
    );

    // The provider honours the request: a password-only agent comes back with access_denied.
    let password = [("login", "test"), ("password", "123")];
    let (browser, refused) = sign_in_as(&kit, "", "test@fia1.fr", &password).await?;
    ensure!(refused.status == 403, "{} {}", refused.status, refused.body);
    ensure!(refused.body.contains("access_denied.level_not_met"), "{}", refused.body);
    ensure!(refused.body.contains("second facteur") && refused.body.contains("second factor"), "{}", refused.body);
    ensure!(!refused.body.contains("annulé") && !refused.body.contains("AgentConnect"), "{}", refused.body);
    ensure!(refused.body.contains("mailto:support@service.gouv.fr"), "support contact: {}", refused.body);
    ensure!(browser.me(&kit.url).await?.status == 401, "not signed in");

    // A provider that ignores the request and reports eidas1: the backend refuses it itself.
    kit.simulator.set_faults(proconnect_simulator::Faults { ignore_essential_acr: true, ..Default::default() });
    let (browser, refused) = sign_in_as(&kit, "", "test@fia1.fr", &password).await?;
    ensure!(refused.status == 403, "{} {}", refused.status, refused.body);
    ensure!(refused.body.contains("insufficient_level"), "{}", refused.body);
    ensure!(refused.body.contains("two-factor") && refused.body.contains("eidas1"), "rule and level: {}", refused.body);
    ensure!(browser.me(&kit.url).await?.status == 401, "not signed in after a refused level");

    let (browser, done) = sign_in_as(&kit, "", "mfa@fia1.fr", &[("login", "mfa"), ("password", "123")]).await?;
    ensure!(done.status == 303, "{} {}", done.status, done.body);
    ensure!(browser.me(&kit.url).await?.json()?["acr"] == "eidas1-mfa");
    Ok(())
}

#[tokio::test]
async fn an_unknown_level_is_kept_and_a_missing_one_satisfies_no_policy() -> anyhow::Result<()> {
    let acr = |value: serde_json::Value| {
        let mut faults = proconnect_simulator::Faults { ignore_essential_acr: true, ..Default::default() };
        faults.id_token_overrides.insert("acr".into(), value);
        faults
    };
    let kit = Kit::start().await?;
    kit.simulator.set_faults(acr(serde_json::json!("eidas9-experimental")));
    let browser = Browser::new();
    ensure!(browser.sign_in(&kit).await?.status == 303, "an unknown level is not a crash nor a refusal");
    ensure!(browser.me(&kit.url).await?.json()?["acr"] == "eidas9-experimental");

    let kit = Kit::start_with(|s| s.policy.level = LevelPolicy::TwoFactor).await?;
    for value in [serde_json::Value::Null, serde_json::json!("eidas9-experimental")] {
        kit.simulator.set_faults(acr(value.clone()));
        let (browser, refused) = sign_in_as(&kit, "", "mfa@fia1.fr", &[("login", "mfa"), ("password", "123")]).await?;
        ensure!(
            refused.status == 403 && refused.body.contains("insufficient_level"),
            "acr {value}: {}",
            refused.status
        );
        ensure!(browser.me(&kit.url).await?.status == 401);
    }
    Ok(())
}

#[tokio::test]
async fn step_up_re_authenticates_at_a_higher_level_and_keeps_the_session() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let email = "marie@test.proconnect.gouv.fr";
    let (browser, done) = sign_in_as(&kit, "", email, &test_fi(email, "eidas1")).await?;
    ensure!(done.status == 303, "{} {}", done.status, done.body);
    let before = browser.me(&kit.url).await?.json()?;
    ensure!(before["acr"] == "eidas1", "{before}");

    let authorize = browser.start_login(&kit, "?acr=two-factor&return_to=/profil").await?;
    ensure!(param(&authorize, "prompt")?.as_deref() == Some("login"), "step-up forces re-authentication: {authorize}");
    ensure!(claims_of(&authorize)?["id_token"]["acr"]["essential"] == true, "{authorize}");
    let callback = browser.through_provider_as(&kit, &authorize, email, &test_fi(email, "eidas1-mfa")).await?;
    let done = browser.get(&callback).await?;
    done.expect_redirect("/profil")?;
    let after = browser.me(&kit.url).await?.json()?;
    ensure!(after["acr"] == "eidas1-mfa" && after["claims"]["sub"] == before["claims"]["sub"], "{after}");

    // A failed step-up leaves the existing session as it was.
    let authorize = browser.start_login(&kit, "?acr=eidas3").await?;
    let callback = browser.through_provider_as(&kit, &authorize, email, &test_fi(email, "eidas2")).await?;
    ensure!(browser.get(&callback).await?.status == 403, "eidas2 does not satisfy eidas3");
    ensure!(browser.me(&kit.url).await?.json()?["acr"] == "eidas1-mfa", "still signed in as before");
    Ok(())
}

#[tokio::test]
async fn a_step_up_below_the_services_policy_and_bad_hints_are_refused_in_both_languages() -> anyhow::Result<()> {
    let kit = Kit::start_with(|s| s.policy.level = LevelPolicy::TwoFactor).await?;
    let browser = Browser::new();
    for query in ["?acr=eidas1", "?acr=eidas9", "?siret_hint=123", "?login_hint=not-an-email", "?prompt=none%20login"] {
        let answer = browser.get(&kit.at(&format!("auth/login{query}"))).await?;
        ensure!(answer.status == 400, "{query}: {} {}", answer.status, answer.body);
        ensure!(answer.body.contains("lang=\"fr\"") && answer.body.contains("lang=\"en\""), "{query}: {}", answer.body);
    }
    let authorize = browser
        .start_login(&kit, "?siret_hint=13002526500013&login_hint=a%40b.gouv.fr&prompt=select_organization")
        .await?;
    ensure!(param(&authorize, "siret_hint")?.as_deref() == Some("13002526500013"), "{authorize}");
    ensure!(param(&authorize, "prompt")?.as_deref() == Some("select_organization"), "{authorize}");
    Ok(())
}

#[tokio::test]
async fn the_roles_policy_refusal_shows_the_rule_the_roles_the_organisation_and_the_siret() -> anyhow::Result<()> {
    let kit = Kit::start_with(|s| {
        s.policy.roles = RolePolicy(vec![Role::AgentPublic]);
        s.provider.scopes.push(Scope::Roles);
    })
    .await?;
    let (browser, refused) =
        sign_in_as(&kit, "", "prestataire@fia1.fr", &[("login", "prestataire"), ("password", "123")]).await?;
    ensure!(refused.status == 403 && refused.body.contains("roles_refused"), "{} {}", refused.status, refused.body);
    ensure!(refused.body.contains("agent_public"), "the rule: {}", refused.body);
    ensure!(refused.body.contains("<dd>—</dd>"), "no roles shown as such: {}", refused.body);
    ensure!(browser.me(&kit.url).await?.status == 401);
    let (browser, done) = sign_in_as(&kit, "", "test@fia1.fr", &[("login", "test"), ("password", "123")]).await?;
    ensure!(done.status == 303, "{} {}", done.status, done.body);
    let me = browser.me(&kit.url).await?.json()?;
    ensure!(me["claims"]["roles"][0] == "agent_public", "{me}");
    // The organisation and SIRET the refusal page must show come from the same claims.
    let siret = me["claims"]["siret"].as_str().context("siret")?.to_owned();
    let label = me["claims"]["organization_label"].as_str().context("organization_label")?.to_owned();
    let kit2 = Kit::start_with(|s| {
        s.policy.roles = RolePolicy(vec![Role::AgentPublicTerritorial]);
        s.provider.scopes.push(Scope::Roles);
    })
    .await?;
    let (_, refused) = sign_in_as(&kit2, "", "test@fia1.fr", &[("login", "test"), ("password", "123")]).await?;
    ensure!(refused.status == 403, "{} {}", refused.status, refused.body);
    let escaped_label = label.replace('&', "&amp;");
    for shown in ["agent_public_territorial", "agent_public, agent_public_etat", siret.as_str(), escaped_label.as_str()]
    {
        ensure!(refused.body.contains(shown), "`{shown}` missing from the refusal page: {}", refused.body);
    }
    Ok(())
}

#[tokio::test]
async fn callback_errors_lead_somewhere_and_a_foreign_iss_is_refused() -> anyhow::Result<()> {
    let kit = Kit::start_with(|s| s.support = Some("https://support.service.gouv.fr/".into())).await?;
    let browser = Browser::new();

    // Cancelling is the agent's choice: a notice on the sign-in page.
    let authorize = browser.start_login(&kit, "").await?;
    let mire = browser.get(&authorize).await?.next("authorize")?;
    let cancel = format!("{}{mire}/cancel", kit.simulator_origin());
    let callback = browser.get(&cancel).await?.next("cancel")?;
    let answer = browser.get(&callback).await?;
    ensure!(answer.location.as_deref() == Some("/?notice=access_denied.cancelled"), "{:?}", answer.location);

    // An unknown idp_hint comes back as idp_hint_not_found: the service's fault, explained.
    let authorize = browser.start_login(&kit, "?idp_hint=nowhere").await?;
    let callback = browser.get(&authorize).await?.next("authorize")?;
    ensure!(callback.starts_with(&kit.url), "idp_hint_not_found goes back to the callback: {callback}");
    let page = browser.get(&callback).await?;
    ensure!(page.status == 400 && page.body.contains("idp_hint_not_found"), "{} {}", page.status, page.body);
    ensure!(page.body.contains("https://support.service.gouv.fr/"), "support link: {}", page.body);
    ensure!(!page.body.contains("AgentConnect"), "{}", page.body);

    // `iss` (RFC 9207) present but not the issuer: refused before anything else.
    let authorize = browser.start_login(&kit, "").await?;
    let state = param(&authorize, "state")?.context("state")?;
    let forged = kit.at(&format!("auth/callback?code=stolen&state={state}&iss=https%3A%2F%2Fevil.example%2Fapi%2Fv2"));
    let page = browser.get(&forged).await?;
    ensure!(page.status == 400 && page.body.contains("invalid_iss"), "{} {}", page.status, page.body);
    // The refused response used up its login transaction; a new sign-in with the simulator's
    // own `iss` passes.
    let authorize = browser.start_login(&kit, "").await?;
    let callback = browser.through_provider(&kit, &authorize).await?;
    ensure!(param(&callback, "iss")?.is_some(), "the provider sends iss: {callback}");
    ensure!(browser.get(&callback).await?.status == 303);

    // The simulator's discovery says every response carries `iss`: one without it is refused.
    let authorize = browser.start_login(&kit, "").await?;
    let state = param(&authorize, "state")?.context("state")?;
    let page = browser.get(&kit.at(&format!("auth/callback?error=server_error&state={state}"))).await?;
    ensure!(page.status == 400 && page.body.contains("invalid_iss"), "{} {}", page.status, page.body);

    // server_error: the platform's failure, 502, never "you cancelled".
    let authorize = browser.start_login(&kit, "").await?;
    let state = param(&authorize, "state")?.context("state")?;
    let iss = testkit::encode(kit.settings.provider.issuer.as_ref().context("issuer")?.as_str());
    let page = browser.get(&kit.at(&format!("auth/callback?error=server_error&state={state}&iss={iss}"))).await?;
    ensure!(page.status == 502 && page.body.contains("Erreur technique"), "{} {}", page.status, page.body);
    Ok(())
}

#[tokio::test]
async fn unsigned_userinfo_signs_in_when_registered_so() -> anyhow::Result<()> {
    let kit = Kit::start_with(|s| s.provider.userinfo_signed_response_alg = UserinfoAlg::Unsigned).await?;
    let browser = Browser::new();
    let done = browser.sign_in(&kit).await?;
    ensure!(done.status == 303, "{} {}", done.status, done.body);
    ensure!(browser.me(&kit.url).await?.json()?["claims"]["email"] == "test@fia1.fr");
    Ok(())
}

#[tokio::test]
async fn the_refresh_token_stays_on_the_server_and_is_revoked_at_logout() -> anyhow::Result<()> {
    let kit = Kit::start_with_visible_store().await?;
    let refresh = |token: String| {
        let form = [
            ("grant_type", "refresh_token".to_owned()),
            ("refresh_token", token),
            ("client_id", kit.settings.provider.client_id.clone()),
            ("client_secret", kit.settings.provider.client_secret.expose().to_owned()),
        ];
        let url = format!("{}/api/v2/token", kit.simulator_origin());
        async move { anyhow::Ok(reqwest::Client::new().post(url).form(&form).send().await?.status().as_u16()) }
    };
    // Signed in and not signed out: the refresh token the backend kept works.
    let kept = Browser::new();
    ensure!(kept.sign_in(&kit).await?.status == 303);
    let me = kept.me(&kit.url).await?;
    ensure!(!me.body.contains("refresh"), "{}", me.body);
    let token = kit.session_value(&kept, "tokens").await?["refresh_token"].as_str().context("kept")?.to_owned();
    ensure!(refresh(token).await? == 200, "a live refresh token works");

    let leaving = Browser::new();
    ensure!(leaving.sign_in(&kit).await?.status == 303);
    let token = kit.session_value(&leaving, "tokens").await?["refresh_token"].as_str().context("kept")?.to_owned();
    // Revoked by the sign-out itself, before the provider's round trip.
    ensure!(leaving.logout(&kit.url).await?.status == 303, "logout");
    ensure!(refresh(token).await? == 400, "revoked at logout");
    Ok(())
}

async fn sensitive(RequireLevel(agent, ..): RequireLevel<TwoFactor>) -> String {
    format!("ok {}", agent.acr.map(|a| a.to_string()).unwrap_or_default())
}

#[tokio::test]
async fn require_level_guards_an_embedding_apps_route_with_a_step_up_answer() -> anyhow::Result<()> {
    let routes = axum::Router::new().route("/api/sensitive", axum::routing::get(sensitive));
    let kit = Kit::start_with_routes(|_| {}, routes).await?;
    let browser = Browser::new();
    ensure!(browser.get(&kit.at("api/sensitive")).await?.status == 401, "signed out");
    ensure!(browser.sign_in(&kit).await?.status == 303);
    let refused = browser.get(&kit.at("api/sensitive")).await?;
    ensure!(refused.status == 403, "{} {}", refused.status, refused.body);
    let json = refused.json()?;
    ensure!(json["error"] == "insufficient_level" && json["step_up"] == "/auth/login?acr=two-factor", "{json}");
    ensure!(json["message_fr"].as_str().is_some_and(|m| m.contains("deux facteurs")), "{json}");

    let (browser, done) = sign_in_as(&kit, "", "mfa@fia1.fr", &[("login", "mfa"), ("password", "123")]).await?;
    ensure!(done.status == 303);
    let allowed = browser.get(&kit.at("api/sensitive")).await?;
    ensure!(allowed.status == 200 && allowed.body == "ok eidas1-mfa", "{} {}", allowed.status, allowed.body);
    Ok(())
}

async fn remember(session: tower_sessions::Session) -> &'static str {
    let _ = session.insert("cart", "three forms").await;
    "kept"
}

async fn recall(session: tower_sessions::Session) -> String {
    session.get::<String>("cart").await.ok().flatten().unwrap_or_default()
}

#[tokio::test]
async fn a_step_up_by_another_account_carries_nothing_of_the_previous_session_over() -> anyhow::Result<()> {
    let routes = axum::Router::new()
        .route("/api/remember", axum::routing::get(remember))
        .route("/api/recall", axum::routing::get(recall));
    let kit = Kit::start_with_routes(|_| {}, routes).await?;
    let (camille, other) = ("camille@test.proconnect.gouv.fr", "dominique@test.proconnect.gouv.fr");
    let (browser, done) = sign_in_as(&kit, "", camille, &test_fi(camille, "eidas1")).await?;
    ensure!(done.status == 303);
    ensure!(browser.get(&kit.at("api/remember")).await?.body == "kept");

    // The same agent steps up: the application's data stays.
    let authorize = browser.start_login(&kit, "?acr=two-factor").await?;
    let callback = browser.through_provider_as(&kit, &authorize, camille, &test_fi(camille, "eidas2")).await?;
    ensure!(browser.get(&callback).await?.status == 303);
    ensure!(browser.get(&kit.at("api/recall")).await?.body == "three forms", "kept across the same agent's step-up");

    // Another account signs in over it: nothing carries over.
    let authorize = browser.start_login(&kit, "?acr=eidas3").await?;
    let callback = browser.through_provider_as(&kit, &authorize, other, &test_fi(other, "eidas3")).await?;
    ensure!(browser.get(&callback).await?.status == 303);
    ensure!(browser.me(&kit.url).await?.json()?["claims"]["email"] == other);
    ensure!(browser.get(&kit.at("api/recall")).await?.body.is_empty(), "another agent's session starts empty");
    Ok(())
}

#[tokio::test]
async fn raising_the_policy_ends_sessions_opened_below_it() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("sessions.sqlite");
    let mut kit =
        Kit::start_with(|s| s.session.store = proconnect_bff::settings::SessionStoreSettings::Sqlite { path }).await?;
    let browser = Browser::new();
    ensure!(browser.sign_in(&kit).await?.status == 303);
    ensure!(browser.me(&kit.url).await?.status == 200, "eidas1 accepted without a policy");
    kit.settings.policy.level = LevelPolicy::TwoFactor;
    kit.restart_backend().await?;
    let me = browser.me(&kit.url).await?;
    ensure!(me.status == 401, "an eidas1 session under a two-factor policy: {} {}", me.status, me.body);
    Ok(())
}
