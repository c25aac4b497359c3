//! Contract §6 (errors): the AgentConnect codes the simulator produces, each on its page with its
//! HTTP status. Y020018 (FI level other than eidas1), Y020023 (FI unknown or not allowed for this
//! FS), Y04A586 (http/localhost URIs under `production = true`), Y500015 (private-sector FI, FS not
//! accepting them). The others are proven where their part of the contract is: Y000400 and Y030031
//! in `authorize.rs`, Y000404 in `discovery.rs`, Y030025 in `userinfo.rs`, Y030110 in `mire.rs`,
//! Y030111 in `logout.rs`.

#![allow(clippy::unwrap_used)]

use crate::common::{assert_error_page, browser, query, start, start_with};

#[tokio::test]
async fn y020018_when_the_fi_reports_another_level() {
    let h = start().await;
    let browser = browser();
    let mire = h.follow(&browser, &h.authorize_url(&h.params("fs-es256").0)).await;
    let fi = h.submit(&browser, mire.as_str(), &[("email", "test@eidas2.fr")]).await;
    let mut action = fi.clone();
    action.set_query(None);
    let response = browser.post(action.as_str()).form(&[("login", "test"), ("password", "123")]).send().await.unwrap();
    assert_error_page(response, 400, "Y020018").await;
    // No provider session was opened.
    let again = h.follow(&browser, &h.authorize_url(&h.params("fs-es256").0)).await;
    assert!(again.path().starts_with("/interaction/"), "{again}");
}

#[tokio::test]
async fn y020023_for_an_unknown_or_refused_fi() {
    let h = start().await;
    // Unknown idp_hint.
    let url = h.authorize_url(&h.params("fs-es256").with("idp_hint", "nowhere").0);
    assert_error_page(browser().get(&url).send().await.unwrap(), 403, "Y020023").await;
    // Unknown FI route.
    let browser1 = browser();
    let mire = h.follow(&browser1, &h.authorize_url(&h.params("fs-es256").0)).await;
    assert_error_page(browser1.get(format!("{mire}/fi/nowhere")).send().await.unwrap(), 403, "Y020023").await;
    let post = browser1
        .post(format!("{mire}/fi/nowhere"))
        .form(&[("login", "test"), ("password", "123")])
        .send()
        .await
        .unwrap();
    assert_error_page(post, 403, "Y020023").await;
    // An FI this FS does not allow (fs-restricted: fia1 and fi-private only), by hint, by mire, by route.
    let restricted = h.params("fs-restricted").set("scope", "openid email");
    let url = h.authorize_url(&restricted.clone().with("idp_hint", "fia2").0);
    assert_error_page(browser().get(&url).send().await.unwrap(), 403, "Y020023").await;
    let browser2 = browser();
    let mire = h.follow(&browser2, &h.authorize_url(&restricted.0)).await;
    let response = browser2.post(mire.as_str()).form(&[("email", "test@fia2.fr")]).send().await.unwrap();
    assert_error_page(response, 403, "Y020023").await;
    assert_error_page(browser2.get(format!("{mire}/fi/fia2")).send().await.unwrap(), 403, "Y020023").await;
    // A provider session opened at fia2 for another FS does not sign in to fs-restricted.
    let browser3 = browser();
    h.sign_in(&browser3, &h.params("fs-es256"), "test@fia2.fr", "test", "456").await;
    assert_error_page(browser3.get(h.authorize_url(&restricted.0)).send().await.unwrap(), 403, "Y020023").await;
}

#[tokio::test]
async fn y04a586_for_http_or_localhost_uris_in_production() {
    let h = start_with(|c| c.production = true).await;
    let url = h.authorize_url(&h.params("fs-restricted").set("scope", "openid email").0);
    assert_error_page(browser().get(&url).send().await.unwrap(), 400, "Y04A586").await;
    // HTTPS clients are fine in production.
    let ok = h.follow(&browser(), &h.authorize_url(&h.params("fs-es256").0)).await;
    assert!(ok.path().starts_with("/interaction/"));
    // Off (the default): the same client works.
    let h = start().await;
    let ok = h.follow(&browser(), &h.authorize_url(&h.params("fs-restricted").set("scope", "openid email").0)).await;
    assert!(ok.path().starts_with("/interaction/"));
}

#[tokio::test]
async fn y500015_for_private_sector_agents_at_a_public_only_fs() {
    let h = start().await;
    let browser1 = browser();
    let mire = h.follow(&browser1, &h.authorize_url(&h.params("fs-es256").0)).await;
    let fi = h.submit(&browser1, mire.as_str(), &[("email", "test@entreprise.fr")]).await;
    let mut action = fi.clone();
    action.set_query(None);
    let response = browser1.post(action.as_str()).form(&[("login", "test"), ("password", "123")]).send().await.unwrap();
    assert_error_page(response, 403, "Y500015").await;
    // fs-restricted accepts them.
    let params = h.params("fs-restricted").set("scope", "openid email");
    let callback = h.sign_in(&browser(), &params, "test@entreprise.fr", "test", "123").await;
    assert!(query(&callback).contains_key("code"), "{callback}");
}
