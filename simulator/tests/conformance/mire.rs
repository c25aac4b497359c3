//! Contract §2 and §8 (flow): the mire routes an email's domain to its FI, `sub` differs per FS and
//! per FI (§5), "Revenir sur <service>" leads to the FS home, cancelling sends `access_denied`
//! (§3), the provider session lasts 12 hours (§3), and an interaction needs its cookie (`Y030110`).

#![allow(clippy::unwrap_used)]

use crate::common::{assert_error_page, browser, peek, query, start};
use std::time::Duration;

#[tokio::test]
async fn the_mire_routes_by_domain_and_sub_differs_per_fs_and_per_fi() {
    let h = start().await;
    let mut subs = Vec::new();
    for (client, email, password, idp) in [
        ("fs-es256", "test@fia1.fr", "123", "fia1"),
        ("fs-es256", "TEST@FIA2.FR", "456", "fia2"),
        ("fs-rs256", "test@fia1.fr", "123", "fia1"),
    ] {
        let browser = browser();
        let params = h.params(client).set("scope", "openid email");
        let mire = h.follow(&browser, &h.authorize_url(&params.0)).await;
        let fi = h.submit(&browser, mire.as_str(), &[("email", email)]).await;
        assert!(fi.path().ends_with(&format!("/fi/{idp}")), "{email} → {fi}");
        let callback = h.fi_login(&browser, &fi, "test", password).await;
        let code = query(&callback).remove("code").unwrap();
        let tokens: serde_json::Value = h.exchange(client, &code, &[]).await.json().await.unwrap();
        let sub = peek(tokens["id_token"].as_str().unwrap())["sub"].as_str().unwrap().to_owned();
        let userinfo = h.userinfo(tokens["access_token"].as_str().unwrap()).await.text().await.unwrap();
        assert_eq!(peek(&userinfo)["sub"], sub.as_str(), "userinfo sub = ID token sub");
        subs.push(sub);
    }
    // Same uid at fia1 and fia2, same agent at two FS: three different subjects.
    assert_ne!(subs[0], subs[1], "per FI");
    assert_ne!(subs[0], subs[2], "per FS");
}

#[tokio::test]
async fn an_unknown_domain_stays_on_the_mire_with_a_message() {
    let h = start().await;
    let browser = browser();
    let mire = h.follow(&browser, &h.authorize_url(&h.params("fs-es256").0)).await;
    let response = browser.post(mire.as_str()).form(&[("email", "someone@unknown.example")]).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains("id=\"mire-error\""), "{page}");
    assert!(page.contains("value=\"someone@unknown.example\""));
}

#[tokio::test]
async fn a_wrong_password_stays_on_the_fi_page() {
    let h = start().await;
    let browser = browser();
    let fi = h.follow(&browser, &h.authorize_url(&h.params("fs-es256").with("idp_hint", "fia1").0)).await;
    let response = browser.post(fi.as_str()).form(&[("login", "test"), ("password", "wrong")]).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.text().await.unwrap().contains("id=\"fi-error\""));
}

#[tokio::test]
async fn the_mire_links_back_to_the_service_home() {
    let h = start().await;
    let browser = browser();
    let mire = h.follow(&browser, &h.authorize_url(&h.params("fs-es256").0)).await;
    let page = browser.get(mire.as_str()).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains(r#"<a id="back-to-service" href="https://fs-a.example/">Revenir sur Service ES256</a>"#),
        "{page}"
    );
}

#[tokio::test]
async fn cancelling_returns_access_denied_with_state() {
    let h = start().await;
    let browser = browser();
    let params = h.params("fs-es256");
    let mire = h.follow(&browser, &h.authorize_url(&params.0)).await;
    let callback = h.follow(&browser, &format!("{mire}/cancel")).await;
    assert!(callback.as_str().starts_with("https://fs-a.example/callback?"));
    let query = query(&callback);
    assert_eq!(query["error"], "access_denied");
    assert_eq!(query["error_description"], "User auth aborted");
    assert_eq!(query["state"], params.get("state"));
    // The interaction is over.
    assert_error_page(browser.get(mire.as_str()).send().await.unwrap(), 403, "Y030110").await;
}

#[tokio::test]
async fn the_provider_session_lasts_twelve_hours() {
    let h = start().await;
    let browser = browser();
    h.code(&browser, &h.params("fs-es256")).await;
    // Another FS, within 12 hours: signed in again without a prompt (same sid).
    h.sim().advance_clock(Duration::from_secs(11 * 3600 + 59 * 60));
    let callback = h.follow(&browser, &h.authorize_url(&h.params("fs-rs256").0)).await;
    assert!(callback.as_str().starts_with("https://fs-b.example/callback?code="), "{callback}");
    // Past 12 hours: the mire again.
    h.sim().advance_clock(Duration::from_secs(60));
    let mire = h.follow(&browser, &h.authorize_url(&h.params("fs-es256").0)).await;
    assert!(mire.path().starts_with("/interaction/"), "{mire}");
}

#[tokio::test]
async fn interaction_pages_need_their_cookie() {
    let h = start().await;
    let owner = browser();
    let mire = h.follow(&owner, &h.authorize_url(&h.params("fs-es256").0)).await;
    let stranger = browser();
    for url in [mire.to_string(), format!("{mire}/cancel"), format!("{mire}/fi/fia1")] {
        assert_error_page(stranger.get(&url).send().await.unwrap(), 403, "Y030110").await;
    }
    let post =
        stranger.post(format!("{mire}/fi/fia1")).form(&[("login", "test"), ("password", "123")]).send().await.unwrap();
    assert_error_page(post, 403, "Y030110").await;
    // An interaction expires after 10 minutes.
    h.sim().advance_clock(Duration::from_secs(600));
    assert_error_page(owner.get(mire.as_str()).send().await.unwrap(), 403, "Y030110").await;
}
