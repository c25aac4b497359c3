//! Contract §4: RP-initiated logout. The SPA's POST needs the anti-forgery header; the browser
//! goes to `session/end` with `id_token_hint`, `state` and `post_logout_redirect_uri`; the
//! callback checks `state`, revokes the access token and destroys the session.

mod common;

use anyhow::{Context, ensure};
use common::{Browser, Kit};

#[tokio::test]
async fn logout_needs_the_csrf_header_and_refuses_cross_site_requests() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let browser = Browser::new();
    let signed_out = browser.client.post(kit.at("auth/logout")).send().await?;
    ensure!(signed_out.status() == 401, "signed out: {}", signed_out.status());
    browser.sign_in(&kit).await?;
    let token = browser.csrf_token(&kit.url).await?;
    let attempts = [
        ("no header", None, None),
        ("wrong token", Some("not-the-token"), None),
        ("cross-site", Some(token.as_str()), Some("cross-site")),
        ("same-site", Some(token.as_str()), Some("same-site")),
    ];
    for (what, header, site) in attempts {
        let mut request = browser.client.post(kit.at("auth/logout"));
        if let Some(header) = header {
            request = request.header(shared::CSRF_HEADER, header);
        }
        if let Some(site) = site {
            request = request.header("sec-fetch-site", site);
        }
        let answer = request.send().await?;
        let status = answer.status();
        let body = answer.text().await?;
        ensure!(status == 403 && body.contains("\"csrf\""), "{what}: {status} {body}");
        ensure!(body.contains("did not come from this application"), "{what}: a clear sentence: {body}");
    }
    ensure!(browser.me(&kit.url).await?.status == 200, "refused logouts leave the session alone");
    Ok(())
}

#[tokio::test]
async fn logout_goes_through_session_end_then_revokes_and_destroys_the_session() -> anyhow::Result<()> {
    let kit = Kit::start_with_visible_store().await?;
    let browser = Browser::new();
    browser.sign_in(&kit).await?;
    let tokens = kit.session_value(&browser, "tokens").await?;
    let access_token = tokens["access_token"].as_str().context("access token in the session")?.to_owned();
    let userinfo = format!("{}/api/v2/userinfo", kit.simulator_origin());
    let accepted = browser.client.get(&userinfo).bearer_auth(&access_token).send().await?.status();
    ensure!(accepted == 200, "the provider accepts the token before logout: {accepted}");

    let answer = browser.logout(&kit.url).await?;
    ensure!(answer.status == 200, "{} {}", answer.status, answer.body);
    let redirect: url::Url = answer.json()?["redirect"].as_str().context("redirect")?.parse()?;
    ensure!(redirect.as_str().starts_with(&format!("{}/api/v2/session/end?", kit.simulator_origin())), "{redirect}");
    let params: std::collections::HashMap<_, _> = redirect.query_pairs().into_owned().collect();
    ensure!(params.get("id_token_hint").is_some_and(|t| t.split('.').count() == 3), "id_token_hint: {params:?}");
    ensure!(params.get("state").is_some_and(|s| s.len() >= 32), "state: {params:?}");
    ensure!(
        params.get("post_logout_redirect_uri").map(String::as_str) == Some(kit.at("auth/logout/callback").as_str()),
        "{params:?}"
    );

    let back = browser.get(redirect.as_str()).await?.next("session/end")?;
    // A forged return (wrong state) changes nothing.
    let forged = browser.get(&kit.at("auth/logout/callback?state=forged")).await?;
    ensure!(forged.status == 400 && forged.body.contains("invalid_logout_state"), "{} {}", forged.status, forged.body);
    ensure!(browser.me(&kit.url).await?.status == 200, "a forged logout return keeps the session");

    let done = browser.get(&back).await?;
    ensure!(
        done.status == 303 && done.location.as_deref() == Some("/deconnecte"),
        "{} {:?} {}",
        done.status,
        done.location,
        done.body
    );
    ensure!(browser.me(&kit.url).await?.status == 401, "signed out");
    ensure!(kit.session_record(&browser).await?.is_none(), "the server-side session is gone");
    let refused = browser.client.get(&userinfo).bearer_auth(&access_token).send().await?.status();
    ensure!(refused == 401, "the access token was revoked: the provider answers {refused}");
    // The callback cannot be replayed.
    let replay = browser.get(&back).await?;
    ensure!(replay.status == 400, "{} {}", replay.status, replay.body);
    Ok(())
}

#[tokio::test]
async fn logout_with_the_provider_unreachable_signs_out_locally() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let browser = Browser::new();
    browser.sign_in(&kit).await?;
    let token = browser.csrf_token(&kit.url).await?;
    kit.relay.cut();
    let answer = browser.client.post(kit.at("auth/logout")).header(shared::CSRF_HEADER, token).send().await?;
    let status = answer.status();
    let body = answer.text().await?;
    ensure!(status == 200, "{status} {body}");
    let json: serde_json::Value = serde_json::from_str(&body)?;
    ensure!(json["redirect"] == "/deconnecte?local=1", "local sign-out: {body}");
    ensure!(browser.me(&kit.url).await?.status == 401, "the local session is gone");
    Ok(())
}
