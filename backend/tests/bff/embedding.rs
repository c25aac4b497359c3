//! The BFF embedded in an application of its own: the host's routes with their own state and
//! fallback, the BFF's routes under a base path (`/compte`), the extractors in the host's
//! handlers, the anti-forgery guard on the host's mutations, and a whole sign-in and sign-out
//! through the simulator under that path.

use anyhow::{Context, ensure};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use proconnect_bff::csrf::CsrfLayer;
use proconnect_bff::guard::{MaybeAgent, RequireLevel, SignedInAgent, TwoFactor};
use proconnect_bff::settings::Settings;
use proconnect_bff::{App, Bff};
use proconnect_types::CSRF_HEADER;
use testkit::{Browser, Kit, encode, loopback_settings, spawn_simulator};

/// The host application's own state: nothing of the BFF's.
#[derive(Clone)]
struct Registry {
    name: &'static str,
}

async fn list(State(registry): State<Registry>, SignedInAgent(agent): SignedInAgent) -> String {
    format!("{} for {}", registry.name, agent.claims.email.unwrap_or_default())
}

async fn create(SignedInAgent(agent): SignedInAgent) -> (StatusCode, String) {
    (StatusCode::CREATED, format!("created by {}", agent.claims.sub))
}

async fn who(MaybeAgent(agent): MaybeAgent) -> String {
    agent.and_then(|agent| agent.claims.email).unwrap_or_else(|| "nobody".into())
}

async fn sensitive(RequireLevel(agent, ..): RequireLevel<TwoFactor>) -> String {
    agent.claims.sub.to_string()
}

/// The host: its routes (mutations under the CSRF guard), the BFF's router merged, the ops
/// routes under `/ops`, a fallback of its own, and the BFF's layer over everything.
fn host(bff: Bff) -> Router {
    Router::new()
        .route("/dossiers", get(list).post(create))
        .route("/qui", get(who))
        .route("/sensible", get(sensitive))
        // A host handler's own bare 500 (not the session store's).
        .route("/panne", get(|| async { StatusCode::INTERNAL_SERVER_ERROR }))
        .route_layer(CsrfLayer)
        .with_state(Registry { name: "dossiers" })
        .merge(bff.router)
        .nest("/ops", bff.ops)
        .fallback(|| async { (StatusCode::NOT_FOUND, "the host's fallback") })
        .layer(bff.layer)
}

/// The host on loopback with the simulator, the BFF under `base` and the settings `configure`
/// adjusts. The kit's own server is a stand-in: the returned task serves the host.
async fn start(
    base: &str,
    configure: impl FnOnce(&mut Settings),
) -> anyhow::Result<(Kit, tokio::task::JoinHandle<()>)> {
    let (listener, addr, spa, mut settings) = loopback_settings().await?;
    settings.paths.base = base.into();
    configure(&mut settings);
    // Registers the redirect URIs the settings derive from the base path.
    let (simulator, relay) = spawn_simulator(&mut settings).await?;
    let bff = App::new(settings.clone())?.build().await?;
    let app = host(bff);
    let server = testkit::serve_router(listener, app);
    Ok((Kit::around(format!("http://{addr}/"), simulator, relay, settings, Some(spa)), server))
}

/// A whole sign-in under `/compte`: `/compte/auth/login`, the provider, `/compte/auth/callback`.
async fn sign_in(kit: &Kit, browser: &Browser) -> anyhow::Result<()> {
    let login = browser.get(&kit.at("compte/auth/login")).await?;
    ensure!(login.status == 303, "login: {} {}", login.status, login.body);
    let authorize = login.next("login")?;
    let redirect_uri = format!("redirect_uri={}", encode(&kit.at("compte/auth/callback")));
    ensure!(authorize.contains(&redirect_uri), "the redirect URI follows the base path: {authorize}");
    let callback = browser.through_provider(kit, &authorize).await?;
    ensure!(callback.starts_with(&kit.at("compte/auth/callback?")), "{callback}");
    let done = browser.get(&callback).await?;
    done.expect_redirect("/")?;
    Ok(())
}

#[tokio::test]
async fn a_sign_in_under_a_base_path_serves_the_hosts_routes_with_the_agent() -> anyhow::Result<()> {
    let (kit, _server) = start("/compte", |_| {}).await?;
    let browser = Browser::new();

    // Signed out: the host's extractors answer without a provider round trip.
    let list_out = browser.get(&kit.at("dossiers")).await?;
    list_out.expect_error(401, "unauthenticated")?;
    let nobody = browser.get(&kit.at("qui")).await?;
    ensure!(
        nobody.status == 200 && nobody.body == "nobody",
        "MaybeAgent signed out: {} {}",
        nobody.status,
        nobody.body
    );
    ensure!(browser.me(&kit.at("compte/")).await?.status == 401);

    sign_in(&kit, &browser).await?;
    let me = browser.me(&kit.at("compte/")).await?;
    ensure!(me.status == 200, "{} {}", me.status, me.body);
    ensure!(me.json()?["claims"]["email"] == "test@fia1.fr", "{}", me.body);

    let listed = browser.get(&kit.at("dossiers")).await?;
    ensure!(listed.status == 200 && listed.body == "dossiers for test@fia1.fr", "{} {}", listed.status, listed.body);
    let someone = browser.get(&kit.at("qui")).await?;
    ensure!(someone.body == "test@fia1.fr", "MaybeAgent signed in: {}", someone.body);
    // The BFF's security headers cover the host's routes too.
    ensure!(listed.header("x-frame-options") == Some("DENY"), "security headers on the host's route");

    // The step-up URL follows the base path.
    let refused = browser.get(&kit.at("sensible")).await?;
    refused.expect_error(403, "insufficient_level")?;
    ensure!(refused.json()?["step_up"] == "/compte/auth/login?acr=two-factor", "{}", refused.body);

    // The server-rendered profile posts its sign-out under the base path.
    let account = browser.get(&kit.at("compte/compte")).await?;
    ensure!(account.status == 200, "{} {}", account.status, account.body);
    ensure!(account.body.contains("action=\"/compte/auth/logout\""), "{}", account.body);
    Ok(())
}

#[tokio::test]
async fn the_hosts_mutations_need_the_anti_forgery_token() -> anyhow::Result<()> {
    let (kit, _server) = start("/compte", |_| {}).await?;
    let browser = Browser::new();
    let post = |token: Option<String>| {
        let mut request = browser.client.post(kit.at("dossiers"));
        if let Some(token) = token {
            request = request.header(CSRF_HEADER, token);
        }
        async move { testkit::Answer::read(request.send().await?).await }
    };
    post(None).await?.expect_error(401, "unauthenticated")?;
    // Signed out with a made-up token: still 401, nothing to compare it with.
    post(Some("made-up".into())).await?.expect_error(401, "unauthenticated")?;

    sign_in(&kit, &browser).await?;
    let refused = post(None).await?;
    refused.expect_error(403, "csrf")?;
    let json = refused.json()?;
    ensure!(json["message_fr"].as_str().is_some_and(|m| m.contains("refusée")), "bilingual: {json}");
    post(Some("not-the-token".into())).await?.expect_error(403, "csrf")?;

    let token = browser.csrf_token(&kit.at("compte/")).await?;
    let accepted = post(Some(token.clone())).await?;
    ensure!(
        accepted.status == 201 && accepted.body.starts_with("created by "),
        "{} {}",
        accepted.status,
        accepted.body
    );
    // The token from a cross-site page, or on another method, is refused all the same.
    let cross_site =
        browser.client.post(kit.at("dossiers")).header(CSRF_HEADER, &token).header("sec-fetch-site", "cross-site");
    testkit::Answer::read(cross_site.send().await?).await?.expect_error(403, "csrf")?;
    for method in [axum::http::Method::PUT, axum::http::Method::DELETE, axum::http::Method::PATCH] {
        let answer =
            testkit::Answer::read(browser.client.request(method.clone(), kit.at("dossiers")).send().await?).await?;
        ensure!(answer.status == 403, "{method} without the token is refused: {}", answer.status);
    }
    // GET needs no token.
    ensure!(browser.get(&kit.at("dossiers")).await?.status == 200);
    // A host handler's own empty 500 stays a 500 (the BFF turns only the session store's into 503).
    ensure!(browser.get(&kit.at("panne")).await?.status == 500, "the host's 500 is its own");
    Ok(())
}

#[tokio::test]
async fn the_host_keeps_its_fallback_and_its_paths() -> anyhow::Result<()> {
    let (kit, _server) = start("/compte", |_| {}).await?;
    let browser = Browser::new();
    for path in ["nowhere", "api/me", "api/anything", "healthz", "metrics", "auth/login", "index.html"] {
        let answer = browser.get(&kit.at(path)).await?;
        ensure!(
            answer.status == 404 && answer.body == "the host's fallback",
            "/{path}: {} {}",
            answer.status,
            answer.body
        );
    }
    // The BFF's JSON 404 only under its own prefix.
    browser.get(&kit.at("compte/api/nothing")).await?.expect_error(404, "not_found")?;
    // The ops routes where the host mounted them.
    let health = browser.get(&kit.at("ops/healthz")).await?;
    ensure!(health.status == 200 && health.body == "ok", "{} {}", health.status, health.body);
    let config = browser.get(&kit.at("compte/api/config")).await?;
    ensure!(config.status == 200 && config.json()?["brand"].is_string(), "{} {}", config.status, config.body);
    Ok(())
}

#[tokio::test]
async fn the_destinations_are_the_hosts_choice() -> anyhow::Result<()> {
    let (kit, _server) = start("/compte", |settings| {
        settings.paths.signed_out = "/au-revoir".into();
        settings.paths.notice = "/connexion".into();
        settings.paths.home = "/accueil".into();
    })
    .await?;
    // Cancelled at the provider: the notice goes to the notice page.
    let cancelling = Browser::new();
    let authorize = cancelling.get(&kit.at("compte/auth/login")).await?.next("login")?;
    let mire = cancelling.get(&authorize).await?.next("authorize")?;
    let callback = cancelling.get(&format!("{}{mire}/cancel", kit.simulator_origin())).await?.next("cancel")?;
    let notice = cancelling.get(&callback).await?;
    ensure!(notice.location.as_deref() == Some("/connexion?notice=access_denied.cancelled"), "{:?}", notice.location);

    // Signed in without return_to: home; the error pages lead there too.
    let browser = Browser::new();
    let authorize = browser.get(&kit.at("compte/auth/login")).await?.next("login")?;
    let callback = browser.through_provider(&kit, &authorize).await?;
    let done = browser.get(&callback).await?;
    done.expect_redirect("/accueil")?;
    let replayed = browser.get(&callback).await?;
    ensure!(
        replayed.status == 400 && replayed.body.contains("href=\"/accueil\""),
        "{} {}",
        replayed.status,
        replayed.body
    );

    // Signed out through the provider: the signed-out page.
    let signed_out = browser.sign_out(&kit.at("compte/")).await?;
    ensure!(signed_out.location.as_deref() == Some("/au-revoir"), "{} {:?}", signed_out.status, signed_out.location);
    ensure!(browser.me(&kit.at("compte/")).await?.status == 401, "signed out");
    Ok(())
}

#[tokio::test]
async fn a_route_outside_the_layer_is_a_clear_500_not_a_panic() -> anyhow::Result<()> {
    let (listener, addr, _spa, mut settings) = loopback_settings().await?;
    let (_simulator, _relay) = spawn_simulator(&mut settings).await?;
    let bff = App::new(settings)?.build().await?;
    // The host forgot `.layer(bff.layer)` on this route.
    let app = Router::new().route("/qui", get(who)).merge(bff.router.layer(bff.layer));
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let answer = Browser::new().get(&format!("http://{addr}/qui")).await?;
    server.abort();
    answer.expect_error(500, "no_session_layer")?;
    let json = answer.json()?;
    ensure!(json["message"].as_str().context("message")?.contains("BFF's layer"), "{json}");
    Ok(())
}
