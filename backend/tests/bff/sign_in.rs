//! Contract §2–§3: the sign-in flow against the simulator, for each registered algorithm, with the
//! checks the FS must make on the way back (state first, return_to, several tabs, provider errors).

use anyhow::{Context, ensure};
use proconnect_bff::settings::SigningAlg;
use testkit::{Browser, Kit};

async fn signs_in_with(alg: SigningAlg) -> anyhow::Result<()> {
    let kit = Kit::start_with(|s| testkit::set_alg(s, alg)).await?;
    let browser = Browser::new();
    let done = browser.sign_in(&kit).await?;
    done.expect_redirect("/").with_context(|| format!("{alg:?}"))?;
    let me = browser.me(&kit.url).await?;
    ensure!(me.status == 200, "{alg:?}: /api/me {} {}", me.status, me.body);
    let json = me.json()?;
    ensure!(json["claims"]["email"] == "test@fia1.fr", "{alg:?}: {json}");
    ensure!(json["acr"] == "eidas1", "{alg:?}: {json}");
    ensure!(json["amr"][0] == "pwd", "{alg:?}: {json}");
    ensure!(me.header("cache-control") == Some("no-store"), "{alg:?}: /api/me is not cached");
    Ok(())
}

#[tokio::test]
async fn es256_client_signs_in() -> anyhow::Result<()> {
    signs_in_with(SigningAlg::ES256).await
}

#[tokio::test]
async fn rs256_client_signs_in() -> anyhow::Result<()> {
    signs_in_with(SigningAlg::RS256).await
}

#[tokio::test]
async fn hs256_client_signs_in() -> anyhow::Result<()> {
    signs_in_with(SigningAlg::HS256).await
}

#[tokio::test]
async fn signed_out_me_is_a_401_json_and_no_body_ever_carries_a_token() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let browser = Browser::new();
    let me = browser.me(&kit.url).await?;
    ensure!(
        me.status == 401 && me.header("content-type") == Some("application/json"),
        "{} {:?}",
        me.status,
        me.headers
    );
    ensure!(
        me.json()?["error"] == "unauthenticated" && me.json()?["message"] == "You are not signed in.",
        "{}",
        me.body
    );
    let mut bodies = vec![me.body];
    let callback = browser.authorize(&kit).await?;
    let done = browser.get(&callback).await?;
    bodies.push(done.body);
    let me = browser.me(&kit.url).await?;
    ensure!(me.status == 200, "{}", me.body);
    let json = me.json()?;
    for field in ["access_token", "id_token", "refresh_token"] {
        ensure!(json.get(field).is_none(), "/api/me exposes {field}");
    }
    bodies.push(me.body);
    for path in ["", "profil", "api/unknown", "metrics", "readyz"] {
        bodies.push(browser.get(&kit.at(path)).await?.body);
    }
    for body in &bodies {
        // Every JWT starts with a base64url JSON header: `eyJ`.
        ensure!(!body.contains("eyJ"), "a response body carries a JWT: {body}");
    }
    Ok(())
}

#[tokio::test]
async fn the_session_id_changes_at_sign_in() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let browser = Browser::new();
    let callback = browser.authorize(&kit).await?;
    let before = browser.session_cookie(&kit);
    ensure!(before.is_some(), "a pending login has a session cookie");
    let done = browser.get(&callback).await?;
    ensure!(done.status == 303, "{} {}", done.status, done.body);
    let after = browser.session_cookie(&kit);
    ensure!(after.is_some() && after != before, "the session id is rotated at sign-in: {before:?} → {after:?}");
    // The old id opens nothing.
    let stale = Browser::new();
    stale.jar.add_cookie_str(&format!("session={}; Path=/", before.unwrap_or_default()), &kit.url.parse()?);
    ensure!(stale.me(&kit.url).await?.status == 401, "the pre-sign-in id is dead");
    Ok(())
}

#[tokio::test]
async fn return_to_accepts_same_origin_paths_only() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let browser = Browser::new();
    for evil in [
        "//evil.example",
        "https://evil.example",
        "http:evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/%5Cevil.example",
        "/%2F%2Fevil.example",
        "%2F%2Fevil.example",
        "javascript:alert(1)",
        "evil",
        "/\r\nSet-Cookie:x=1",
        "/\t/evil.example",
    ] {
        let encoded: String = url::form_urlencoded::byte_serialize(evil.as_bytes()).collect();
        let answer = browser.get(&kit.at(&format!("auth/login?return_to={encoded}"))).await?;
        ensure!(
            answer.status == 400 && answer.body.contains("invalid_return_to"),
            "return_to={evil}: {} {}",
            answer.status,
            answer.body
        );
        ensure!(answer.body.contains("return_to must be a path on this site"), "a clear sentence: {}", answer.body);
    }
    let authorize = browser.start_login(&kit, "?return_to=%2Fprofil%3Ftab%3D2").await?;
    let callback = browser.through_provider(&kit, &authorize).await?;
    let done = browser.get(&callback).await?;
    ensure!(done.location.as_deref() == Some("/profil?tab=2"), "back where the agent was: {:?}", done.location);
    Ok(())
}

#[tokio::test]
async fn two_tabs_with_pending_logins_both_complete() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let browser = Browser::new();
    let first = browser.start_login(&kit, "?return_to=/premier").await?;
    let second = browser.start_login(&kit, "?return_to=/second").await?;
    let callback = browser.through_provider(&kit, &first).await?;
    let done = browser.get(&callback).await?;
    ensure!(
        done.location.as_deref() == Some("/premier"),
        "first tab: {} {:?} {}",
        done.status,
        done.location,
        done.body
    );
    // The provider's session is open now: the second tab comes straight back.
    let callback = browser.through_provider(&kit, &second).await?;
    let done = browser.get(&callback).await?;
    ensure!(
        done.location.as_deref() == Some("/second"),
        "second tab: {} {:?} {}",
        done.status,
        done.location,
        done.body
    );
    ensure!(browser.me(&kit.url).await?.status == 200, "signed in");
    Ok(())
}

#[tokio::test]
async fn access_denied_comes_back_as_a_notice() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let browser = Browser::new();
    let authorize = browser.start_login(&kit, "").await?;
    let mire = browser.get(&authorize).await?.next("authorize")?;
    let callback = browser.get(&format!("{}{mire}/cancel", kit.simulator_origin())).await?.next("cancel")?;
    let answer = browser.get(&callback).await?;
    ensure!(
        answer.status == 303 && answer.location.as_deref() == Some("/?notice=access_denied.cancelled"),
        "{} {:?} {}",
        answer.status,
        answer.location,
        answer.body
    );
    ensure!(browser.me(&kit.url).await?.status == 401, "not signed in");
    Ok(())
}

#[tokio::test]
async fn silent_login_without_a_provider_session_comes_back_as_login_required() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let browser = Browser::new();
    let authorize = browser.start_login(&kit, "?prompt=none").await?;
    let callback = browser.get(&authorize).await?.next("authorize")?;
    let answer = browser.get(&callback).await?;
    ensure!(
        answer.location.as_deref() == Some("/?notice=login_required"),
        "{} {:?} {}",
        answer.status,
        answer.location,
        answer.body
    );
    let bad = browser.get(&kit.at("auth/login?prompt=select_account")).await?;
    ensure!(bad.status == 400 && bad.body.contains("prompt must be"), "{} {}", bad.status, bad.body);
    Ok(())
}

#[tokio::test]
async fn state_is_checked_first() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let stranger = Browser::new();
    for query in ["state=unknown-state&code=abc", "state=unknown-state&error=access_denied", "code=abc", ""] {
        let answer = stranger.get(&kit.at(&format!("auth/callback?{query}"))).await?;
        ensure!(answer.status == 400, "{query}: {} {}", answer.status, answer.body);
        ensure!(
            answer.body.contains("invalid_state") || answer.body.contains("missing_state"),
            "{query}: {}",
            answer.body
        );
        ensure!(answer.set_cookies.is_empty(), "{query}: no session cookie for a stranger: {:?}", answer.set_cookies);
    }
    // A genuine callback replayed in another browser is refused, and the code stays unused.
    let victim = Browser::new();
    let callback = victim.authorize(&kit).await?;
    let stolen = stranger.get(&callback).await?;
    ensure!(stolen.status == 400 && stolen.body.contains("invalid_state"), "{} {}", stolen.status, stolen.body);
    ensure!(stolen.body.contains("Please sign in again"), "a way forward: {}", stolen.body);
    let done = victim.get(&callback).await?;
    ensure!(done.status == 303, "the rightful browser still signs in: {} {}", done.status, done.body);
    // Used once: a replay in the same browser is refused too.
    let replay = victim.get(&callback).await?;
    ensure!(replay.status == 400 && replay.body.contains("invalid_state"), "{} {}", replay.status, replay.body);
    ensure!(victim.me(&kit.url).await?.status == 200, "the replay did not sign the agent out");
    Ok(())
}

/// `/compte`, the profile the server renders for a browser without scripts (the static sign-in
/// page's button returns there): signed out it leads to the sign-in page; signed in it shows the
/// agent in both languages, never cached, with the sign-out form carrying the anti-forgery token.
#[tokio::test]
async fn the_account_page_shows_the_agent_without_the_spa() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let browser = Browser::new();
    let signed_out = browser.get(&kit.at("compte")).await?;
    ensure!(
        signed_out.status == 303 && signed_out.location.as_deref() == Some("/"),
        "signed out: {} {:?}",
        signed_out.status,
        signed_out.location
    );
    let authorize = browser.start_login(&kit, "?return_to=%2Fcompte").await?;
    let callback = browser.through_provider(&kit, &authorize).await?;
    let done = browser.get(&callback).await?;
    ensure!(done.location.as_deref() == Some("/compte"), "back on /compte: {:?}", done.location);
    let page = browser.get(&kit.at("compte")).await?;
    ensure!(page.status == 200, "{} {}", page.status, page.body);
    ensure!(page.header("cache-control") == Some("no-store"), "a personal page is never cached");
    for expected in [
        "<span id=\"account-name\">Angela Claire Louise DUBOIS</span>",
        "<dd id=\"account-email\">test@fia1.fr</dd>",
        "You are signed in with ProConnect.",
        "Vous êtes connecté avec ProConnect.",
        "<form method=\"post\" action=\"/auth/logout\">",
    ] {
        ensure!(page.body.contains(expected), "{expected} missing from {}", page.body);
    }
    let token = browser.csrf_token(&kit.url).await?;
    ensure!(page.body.contains(&format!("name=\"csrf_token\" value=\"{token}\"")), "the token: {}", page.body);
    Ok(())
}
