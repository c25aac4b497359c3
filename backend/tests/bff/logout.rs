//! Contract §4: RP-initiated logout. The SPA's sign-out is a form (`POST /auth/logout`, the
//! anti-forgery token as a field or, from a script, the header) that ends the local session at
//! once and revokes the tokens before answering `303 See Other` to `session/end` with
//! `id_token_hint`, `state` and `post_logout_redirect_uri`; the session then holds only a
//! short-lived logout marker, which the callback checks and clears. Nothing depends on the
//! provider: neither on its accepting an old ID token (key rotation), nor on its answering.

use anyhow::{Context, ensure};
use proconnect_bff::session::LOGOUT_TTL_SECONDS;
use std::collections::HashMap;
use testkit::{Answer, Browser, Kit};

/// A bilingual page (not JSON) with this status and code.
fn ensure_page(answer: &Answer, status: u16, code: &str, what: &str) -> anyhow::Result<()> {
    ensure!(answer.status == status, "{what}: {} {}", answer.status, answer.body);
    ensure!(answer.header("content-type").is_some_and(|t| t.starts_with("text/html")), "{what}: a page");
    ensure!(answer.body.contains(&format!("id=\"error-code\">{code}<")), "{what}: code {code}: {}", answer.body);
    ensure!(answer.body.contains("lang=\"fr\"") && answer.body.contains("lang=\"en\""), "{what}: both languages");
    Ok(())
}

/// `POST /auth/logout` with an optional header token, form token and `Sec-Fetch-Site`.
async fn post_logout(
    browser: &Browser,
    kit: &Kit,
    header: Option<&str>,
    field: Option<&str>,
    site: Option<&str>,
) -> anyhow::Result<Answer> {
    let mut request = browser.client.post(kit.at("auth/logout"));
    if let Some(header) = header {
        request = request.header(proconnect_types::CSRF_HEADER, header);
    }
    if let Some(field) = field {
        request = request.form(&[("csrf_token", field)]);
    }
    if let Some(site) = site {
        request = request.header("sec-fetch-site", site);
    }
    Answer::read(request.send().await?).await
}

#[tokio::test]
async fn logout_needs_the_anti_forgery_token_and_refuses_cross_site_requests() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let browser = Browser::new();
    let signed_out = post_logout(&browser, &kit, None, None, None).await?;
    ensure_page(&signed_out, 401, "unauthenticated", "signed out")?;
    ensure!(signed_out.body.contains("You are not signed in"), "{}", signed_out.body);
    browser.sign_in(&kit).await?;
    let token = browser.csrf_token(&kit.url).await?;
    let token = token.as_str();
    let same_length = "x".repeat(token.len());
    let attempts = [
        ("no token", None, None, None),
        ("wrong header", Some("not-the-token"), None, None),
        ("wrong field", None, Some("not-the-token"), None),
        ("wrong field, right length", None, Some(same_length.as_str()), None),
        ("header, cross-site", Some(token), None, Some("cross-site")),
        ("field, cross-site", None, Some(token), Some("cross-site")),
        ("field, same-site", None, Some(token), Some("same-site")),
    ];
    for (what, header, field, site) in attempts {
        let answer = post_logout(&browser, &kit, header, field, site).await?;
        ensure_page(&answer, 403, "csrf", what)?;
        ensure!(
            answer.body.contains("did not come from this application"),
            "{what}: a clear sentence: {}",
            answer.body
        );
        ensure!(answer.body.contains("ne venait pas de cette application"), "{what}: in French too: {}", answer.body);
    }
    ensure!(browser.me(&kit.url).await?.status == 200, "refused logouts leave the session alone");

    // The form's field and a script's header are both accepted.
    let by_field = post_logout(&browser, &kit, None, Some(token), Some("same-origin")).await?;
    ensure!(by_field.status == 303, "the form's field: {} {}", by_field.status, by_field.body);
    let scripted = Browser::new();
    scripted.sign_in(&kit).await?;
    let token = scripted.csrf_token(&kit.url).await?;
    let by_header = post_logout(&scripted, &kit, Some(&token), None, None).await?;
    ensure!(by_header.status == 303, "the header: {} {}", by_header.status, by_header.body);
    ensure!(scripted.me(&kit.url).await?.status == 401, "signed out by the header");
    Ok(())
}

/// The tokens and session id of a signed-in browser, read in the store.
struct SignedIn {
    access_token: String,
    session_id: String,
}

async fn signed_in(kit: &Kit, browser: &Browser) -> anyhow::Result<SignedIn> {
    let done = browser.sign_in(kit).await?;
    ensure!(done.status == 303, "sign-in: {} {}", done.status, done.body);
    let tokens = kit.session_value(browser, "tokens").await?;
    let access_token = tokens["access_token"].as_str().context("access token in the session")?.to_owned();
    let session_id = browser.session_cookie(kit).context("a session cookie")?;
    Ok(SignedIn { access_token, session_id })
}

/// The provider's userinfo answer to a bearer token: its status and body.
async fn userinfo(kit: &Kit, access_token: &str) -> anyhow::Result<(u16, String)> {
    let url = format!("{}/api/v2/userinfo", kit.simulator_origin());
    let answer = reqwest::Client::new().get(url).bearer_auth(access_token).send().await?;
    Ok((answer.status().as_u16(), answer.text().await?))
}

/// What must hold right after `POST /auth/logout`, before the browser goes anywhere: a 303 to
/// the provider's `session/end` (returned, parsed), no token in what a script could read, the
/// agent signed out, the old record gone, only the logout marker left, the token revoked.
async fn ensure_signed_out_at_once(
    kit: &Kit,
    browser: &Browser,
    before: &SignedIn,
    answer: &Answer,
) -> anyhow::Result<(url::Url, HashMap<String, String>)> {
    ensure!(answer.status == 303, "a redirect a navigation follows: {} {}", answer.status, answer.body);
    let redirect: url::Url = answer.next("logout")?.parse()?;
    ensure!(redirect.as_str().starts_with(&format!("{}/api/v2/session/end?", kit.simulator_origin())), "{redirect}");
    let params: HashMap<_, _> = redirect.query_pairs().into_owned().collect();
    ensure!(params.get("id_token_hint").is_some_and(|t| t.split('.').count() == 3), "id_token_hint: {params:?}");
    ensure!(params.get("state").is_some_and(|s| s.len() >= 32), "state: {params:?}");
    ensure!(
        params.get("post_logout_redirect_uri").map(String::as_str) == Some(kit.at("auth/logout/callback").as_str()),
        "{params:?}"
    );
    ensure!(!answer.body.contains("eyJ"), "no token in the body: {}", answer.body);
    for (name, value) in &answer.headers {
        ensure!(name == "location" || !value.as_bytes().windows(3).any(|w| w == b"eyJ"), "a token in {name}");
    }

    ensure!(browser.me(&kit.url).await?.status == 401, "signed out before the provider's round trip");
    ensure!(kit.record_of(&before.session_id).await?.is_none(), "the signed-in record is deleted");
    let now_id = browser.session_cookie(kit).context("a cookie for the marker")?;
    ensure!(now_id != before.session_id, "a new session id");
    let record = kit.session_record(browser).await?.context("the logout marker's record")?;
    let keys: Vec<&String> = record.data.keys().collect();
    ensure!(keys == ["logout"], "only the logout marker is left: {keys:?}");
    let left = record.expiry_date - time::OffsetDateTime::now_utc();
    ensure!(left <= time::Duration::seconds(LOGOUT_TTL_SECONDS), "the marker expires within ten minutes: {left}");
    let (status, body) = userinfo(kit, &before.access_token).await?;
    ensure!(status == 401 && body.contains("revoked"), "the access token was revoked: {status} {body}");
    Ok((redirect, params))
}

#[tokio::test]
async fn logout_signs_out_and_revokes_at_once_then_the_callback_only_checks_state() -> anyhow::Result<()> {
    let kit = Kit::start_with_visible_store().await?;
    let browser = Browser::new();
    let before = signed_in(&kit, &browser).await?;
    let (status, body) = userinfo(&kit, &before.access_token).await?;
    ensure!(status == 200, "the provider accepts the token before logout: {status} {body}");

    let answer = browser.logout(&kit.url).await?;
    let (redirect, params) = ensure_signed_out_at_once(&kit, &browser, &before, &answer).await?;

    // A forged return is refused and changes nothing.
    let forged = browser.get(&kit.at("auth/logout/callback?state=forged")).await?;
    ensure_page(&forged, 400, "invalid_logout_state", "forged state")?;
    let marker = kit.session_value(&browser, "logout").await?;
    ensure!(marker["state"] == params["state"].as_str(), "the marker is kept: {marker}");

    let back = browser.get(redirect.as_str()).await?.next("session/end")?;
    ensure!(back.starts_with(&kit.at("auth/logout/callback?")), "{back}");
    let done = browser.get(&back).await?;
    done.expect_redirect("/deconnecte")?;
    ensure!(kit.session_record(&browser).await?.is_none() && browser.session_cookie(&kit).is_none(), "marker cleared");
    // The callback cannot be replayed.
    let replay = browser.get(&back).await?;
    ensure_page(&replay, 400, "invalid_logout_state", "replay")?;
    Ok(())
}

#[tokio::test]
async fn logout_after_a_key_rotation_past_the_grace_period_still_signs_out_and_revokes() -> anyhow::Result<()> {
    let grace = 60;
    let kit = Kit::start_visible(|_| {}, |sim| sim.key_grace_seconds = grace).await?;
    let browser = Browser::new();
    let before = signed_in(&kit, &browser).await?;
    let id_token = kit.session_value(&browser, "tokens").await?["id_token"].as_str().context("ID token")?.to_owned();

    // Rotated, and the old key out of the JWKS: the provider no longer verifies this ID token.
    kit.simulator.rotate_keys()?;
    kit.simulator.advance_clock(std::time::Duration::from_secs(grace + 1));
    let header: serde_json::Value = {
        use base64::Engine;
        let part = id_token.split('.').next().context("a JWT")?;
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part)?)?
    };
    let jwks: serde_json::Value = reqwest::get(format!("{}/api/v2/jwks", kit.simulator_origin())).await?.json().await?;
    let kids: Vec<&str> = jwks["keys"].as_array().context("keys")?.iter().filter_map(|k| k["kid"].as_str()).collect();
    ensure!(!kids.contains(&header["kid"].as_str().context("kid")?), "the signing key is gone: {kids:?} {header}");
    let (status, body) = userinfo(&kit, &before.access_token).await?;
    ensure!(status == 200, "the access token itself still works: {status} {body}");

    let answer = browser.logout(&kit.url).await?;
    let (redirect, _) = ensure_signed_out_at_once(&kit, &browser, &before, &answer).await?;
    // The provider refuses the stale hint on its own page; the local sign-out did not wait for it.
    let at_provider = browser.get(redirect.as_str()).await?;
    ensure!(!at_provider.status.is_redirection(), "the provider refuses the hint: {}", at_provider.status);
    ensure!(browser.me(&kit.url).await?.status == 401, "still signed out");
    Ok(())
}

#[tokio::test]
async fn logout_with_the_provider_unreachable_signs_out_locally() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let browser = Browser::new();
    browser.sign_in(&kit).await?;
    kit.relay.cut();
    let answer = browser.logout(&kit.url).await?;
    ensure!(
        answer.status == 303 && answer.location.as_deref() == Some("/deconnecte?local=1"),
        "local sign-out: {} {:?} {}",
        answer.status,
        answer.location,
        answer.body
    );
    ensure!(
        answer.set_cookies.iter().any(|c| testkit::is_removal(c)),
        "the cookie is removed: {:?}",
        answer.set_cookies
    );
    ensure!(browser.me(&kit.url).await?.status == 401, "the local session is gone");
    Ok(())
}

// A current-thread runtime: the thread-local subscriber sees the backend's tasks.
#[tokio::test(flavor = "current_thread")]
async fn logout_does_not_wait_for_a_provider_that_never_answers() -> anyhow::Result<()> {
    let (captured, _guard) = testkit::CapturedLogs::start("proconnect_bff=info");
    // Left to itself, a revocation would wait as long as the provider timeout: 5 minutes.
    let kit = Kit::start_with(|s| s.provider.timeout_seconds = 300).await?;
    let browser = Browser::new();
    browser.sign_in(&kit).await?;
    kit.relay.stall();
    let answer = browser.logout(&kit.url).await?;
    ensure!(
        answer.status == 303 && answer.location.as_deref() == Some("/deconnecte?local=1"),
        "{} {:?} {}",
        answer.status,
        answer.location,
        answer.body
    );
    ensure!(browser.me(&kit.url).await?.status == 401, "signed out all the same");
    let logs = captured.text()?;
    ensure!(logs.contains("token revocation given up"), "the revocation was cut short:\n{logs}");
    Ok(())
}
