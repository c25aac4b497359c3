//! Contract §4 (logout): `session/end` needs a valid `id_token_hint`, checks
//! `post_logout_redirect_uri` exactly (`Y030111`), echoes `state`, and ends the provider session.

#![allow(clippy::unwrap_used)]

use crate::common::{Harness, assert_error_page, browser, query, start};
use std::time::Duration;
use url::Url;

fn end_session(h: &Harness, params: &[(&str, &str)]) -> String {
    let mut url = Url::parse(&h.url("/api/v2/session/end")).unwrap();
    url.query_pairs_mut().extend_pairs(params);
    url.to_string()
}

const STATE: &str = "logout-state-0123456789-0123456789";

#[tokio::test]
async fn logout_echoes_state_and_ends_the_provider_session() {
    let h = start().await;
    for (client, target) in [
        ("fs-es256", "https://fs-a.example/logged-out"),
        ("fs-rs256", "https://fs-b.example/logged-out"),
        ("fs-hs256", "https://fs-c.example/logged-out"),
    ] {
        let browser = browser();
        let tokens = h.tokens(&browser, client, &h.params(client)).await;
        let id_token = tokens["id_token"].as_str().unwrap();
        let back = h
            .follow(
                &browser,
                &end_session(
                    &h,
                    &[("id_token_hint", id_token), ("state", STATE), ("post_logout_redirect_uri", target)],
                ),
            )
            .await;
        assert_eq!(back.as_str(), format!("{target}?state={STATE}"), "{client}");
        // The provider session is over: authorize shows the mire again, prompt=none fails.
        let mire = h.follow(&browser, &h.authorize_url(&h.params(client).0)).await;
        assert!(mire.path().starts_with("/interaction/"), "{client}: {mire}");
        let silent = h.follow(&browser, &h.authorize_url(&h.params(client).with("prompt", "none").0)).await;
        assert_eq!(query(&silent)["error"], "login_required");
    }
}

#[tokio::test]
async fn an_old_id_token_is_still_a_valid_hint() {
    let h = start().await;
    let browser = browser();
    let tokens = h.tokens(&browser, "fs-es256", &h.params("fs-es256")).await;
    h.sim().advance_clock(Duration::from_secs(3 * 3600));
    let url = end_session(
        &h,
        &[
            ("id_token_hint", tokens["id_token"].as_str().unwrap()),
            ("post_logout_redirect_uri", "https://fs-a.example/logged-out"),
        ],
    );
    let back = h.follow(&browser, &url).await;
    assert_eq!(back.as_str(), "https://fs-a.example/logged-out", "no state asked, none echoed");
}

#[tokio::test]
async fn post_logout_redirect_uri_must_match_exactly() {
    let h = start().await;
    let browser = browser();
    let tokens = h.tokens(&browser, "fs-es256", &h.params("fs-es256")).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    for uri in [
        "https://fs-a.example/logged-out/",
        "https://fs-a.example/logged-out?x=1",
        "https://evil.example/logged-out",
        "https://fs-b.example/logged-out",
    ] {
        let url = end_session(&h, &[("id_token_hint", id_token), ("state", STATE), ("post_logout_redirect_uri", uri)]);
        assert_error_page(browser.get(&url).send().await.unwrap(), 400, "Y030111").await;
    }
    let missing = end_session(&h, &[("id_token_hint", id_token), ("state", STATE)]);
    assert_error_page(browser.get(&missing).send().await.unwrap(), 400, "Y030111").await;
    // Refused logouts leave the session alone.
    let again = h.follow(&browser, &h.authorize_url(&h.params("fs-es256").0)).await;
    assert!(query(&again).contains_key("code"));
}

#[tokio::test]
async fn logout_needs_a_valid_id_token_hint() {
    let h = start().await;
    let browser = browser();
    let tokens = h.tokens(&browser, "fs-es256", &h.params("fs-es256")).await;
    let id_token = tokens["id_token"].as_str().unwrap().to_owned();
    let mut tampered = id_token.clone();
    tampered.pop();
    tampered.push(if id_token.ends_with('A') { 'B' } else { 'A' });
    let (header, rest) = id_token.split_once('.').unwrap();
    let (_, signature) = rest.split_once('.').unwrap();
    let forged_payload = {
        use base64::Engine;
        let mut claims = crate::common::peek(&id_token);
        claims["sub"] = "someone-else".into();
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string())
    };
    for hint in [String::new(), "not-a-jwt".into(), tampered, format!("{header}.{forged_payload}.{signature}")] {
        let url = end_session(
            &h,
            &[
                ("id_token_hint", &hint),
                ("state", STATE),
                ("post_logout_redirect_uri", "https://fs-a.example/logged-out"),
            ],
        );
        assert_error_page(browser.get(&url).send().await.unwrap(), 400, "Y000400").await;
    }
    let url = end_session(&h, &[("state", STATE), ("post_logout_redirect_uri", "https://fs-a.example/logged-out")]);
    assert_error_page(browser.get(&url).send().await.unwrap(), 400, "Y000400").await;
}
