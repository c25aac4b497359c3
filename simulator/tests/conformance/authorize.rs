//! Contract §2 (authorization request) and §3 (callback errors): the authorization endpoint is
//! strict — every required parameter, `state`/`nonce` of at least 32 characters, `acr_values=eidas1`,
//! no unknown or repeated parameter (`Y000400`, HTTP 400), the exact `redirect_uri` (`Y030031`) —
//! sends a refused scope back to the callback (`invalid_scope`), and honours `prompt`,
//! `idp_hint`, `login_hint`, `claims` and PKCE S256.

#![allow(clippy::unwrap_used)]

use crate::common::{assert_error_page, browser, peek, query, start};

#[tokio::test]
async fn each_missing_required_parameter_is_y000400() {
    let h = start().await;
    for name in ["response_type", "client_id", "redirect_uri", "scope", "acr_values", "state", "nonce"] {
        let url = h.authorize_url(&h.params("fs-es256").without(name).0);
        assert_error_page(browser().get(&url).send().await.unwrap(), 400, "Y000400").await;
        let empty = h.authorize_url(&h.params("fs-es256").set(name, "").0);
        assert_error_page(browser().get(&empty).send().await.unwrap(), 400, "Y000400").await;
    }
}

#[tokio::test]
async fn malformed_requests_are_y000400() {
    let h = start().await;
    let base = h.params("fs-es256");
    let cases = [
        ("state of 31 characters", base.clone().set("state", &"s".repeat(31))),
        ("nonce of 31 characters", base.clone().set("nonce", &"n".repeat(31))),
        ("acr_values eidas2", base.clone().set("acr_values", "eidas2")),
        ("acr_values eidas1 eidas2", base.clone().set("acr_values", "eidas1 eidas2")),
        ("response_type token", base.clone().set("response_type", "token")),
        ("unknown parameter", base.clone().with("response_mode", "query")),
        ("another unknown parameter", base.clone().with("foo", "bar")),
        ("duplicated parameter", base.clone().with("scope", "openid")),
        ("duplicated state", base.clone().with("state", &"x".repeat(40))),
        ("unknown client", base.clone().set("client_id", "nobody")),
        ("claims not JSON", base.clone().with("claims", "amr")),
        ("prompt unknown", base.clone().with("prompt", "select_account")),
        ("prompt none with login", base.clone().with("prompt", "none login")),
        ("PKCE plain", base.clone().with("code_challenge", &"c".repeat(43)).with("code_challenge_method", "plain")),
        ("PKCE without method", base.clone().with("code_challenge", &"c".repeat(43))),
    ];
    for (what, params) in cases {
        let response = browser().get(h.authorize_url(&params.0)).send().await.unwrap();
        assert_eq!(response.status(), 400, "{what}");
        assert_error_page(response, 400, "Y000400").await;
    }
    // 32 characters are enough.
    let ok = base.set("state", &"s".repeat(32)).set("nonce", &"n".repeat(32));
    assert_eq!(browser().get(h.authorize_url(&ok.0)).send().await.unwrap().status(), 303);
}

#[tokio::test]
async fn post_form_is_accepted_and_as_strict() {
    let h = start().await;
    let response = browser().post(h.url("/api/v2/authorize")).form(&h.params("fs-es256").0).send().await.unwrap();
    assert_eq!(response.status(), 303);
    let extra = h.params("fs-es256").with("foo", "bar");
    let response = browser().post(h.url("/api/v2/authorize")).form(&extra.0).send().await.unwrap();
    assert_error_page(response, 400, "Y000400").await;
}

#[tokio::test]
async fn redirect_uri_must_match_exactly() {
    let h = start().await;
    for uri in [
        "https://fs-a.example/callback/",
        "https://fs-a.example/callback?x=1",
        "http://fs-a.example/callback",
        "https://fs-a.example/CALLBACK",
        "https://evil.example/callback",
        "https://fs-b.example/callback",
    ] {
        let url = h.authorize_url(&h.params("fs-es256").set("redirect_uri", uri).0);
        let response = browser().get(&url).send().await.unwrap();
        assert!(response.headers().get("location").is_none(), "{uri}: never redirected");
        assert_error_page(response, 400, "Y030031").await;
    }
}

#[tokio::test]
async fn a_scope_the_client_may_not_request_goes_back_as_invalid_scope() {
    let h = start().await;
    for scope in ["openid phone", "openid unknown_scope", "email given_name", "openid custom"] {
        let params = h.params("fs-rs256").set("scope", scope);
        let callback = h.follow(&browser(), &h.authorize_url(&params.0)).await;
        assert!(callback.as_str().starts_with("https://fs-b.example/callback?"), "{callback}");
        let query = query(&callback);
        assert_eq!(query["error"], "invalid_scope", "{scope}");
        assert_eq!(query["state"], params.get("state"));
        assert!(!query.contains_key("code"));
    }
    // `+`-separated scopes are accepted (§2).
    let url = h.authorize_url(&h.params("fs-rs256").0).replace("openid+given_name", "openid%2Bgiven_name");
    let next = h.follow(&browser(), &url).await;
    assert!(next.path().starts_with("/interaction/"), "{next}");
}

#[tokio::test]
async fn prompt_login_forces_the_fi_page_even_with_a_session() {
    let h = start().await;
    let browser = browser();
    h.code(&browser, &h.params("fs-es256")).await;
    // Session: straight back with a code.
    let again = h.follow(&browser, &h.authorize_url(&h.params("fs-es256").0)).await;
    assert!(query(&again).contains_key("code"), "{again}");
    // prompt=login: the FI page of the session's FI, login pre-filled.
    let fi = h.follow(&browser, &h.authorize_url(&h.params("fs-es256").with("prompt", "login").0)).await;
    assert!(fi.path().ends_with("/fi/fia1"), "{fi}");
    let page = browser.get(fi.as_str()).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("value=\"test\""), "{page}");
    let callback = h.fi_login(&browser, &fi, "test", "123").await;
    assert!(query(&callback).contains_key("code"));
}

#[tokio::test]
async fn prompt_none_without_a_session_is_login_required_at_the_callback() {
    let h = start().await;
    let params = h.params("fs-es256").with("prompt", "none");
    let callback = h.follow(&browser(), &h.authorize_url(&params.0)).await;
    assert!(callback.as_str().starts_with("https://fs-a.example/callback?"));
    let query = query(&callback);
    assert_eq!(query["error"], "login_required");
    assert_eq!(query["state"], params.get("state"));
    assert!(query.contains_key("error_description"));
    // With a session, silent login gives a code.
    let browser = browser();
    h.code(&browser, &h.params("fs-es256")).await;
    let silent = h.follow(&browser, &h.authorize_url(&params.0)).await;
    assert!(crate::common::query(&silent).contains_key("code"), "{silent}");
}

#[tokio::test]
async fn idp_hint_skips_the_mire_and_login_hint_prefills_it() {
    let h = start().await;
    let fi = h.follow(&browser(), &h.authorize_url(&h.params("fs-es256").with("idp_hint", "fia2").0)).await;
    assert!(fi.path().ends_with("/fi/fia2"), "{fi}");
    let browser = browser();
    let mire = h.follow(&browser, &h.authorize_url(&h.params("fs-es256").with("login_hint", "agent@fia2.fr").0)).await;
    let page = browser.get(mire.as_str()).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("value=\"agent@fia2.fr\""), "{page}");
}

#[tokio::test]
async fn claims_parameter_puts_amr_in_the_id_token() {
    let h = start().await;
    let plain = h.tokens(&browser(), "fs-es256", &h.params("fs-es256")).await;
    assert!(peek(plain["id_token"].as_str().unwrap()).get("amr").is_none(), "no amr unless requested");
    let params = h.params("fs-es256").with("claims", r#"{"id_token":{"amr":{"essential":true}}}"#);
    let tokens = h.tokens(&browser(), "fs-es256", &params).await;
    let claims = h.verify(tokens["id_token"].as_str().unwrap(), "fs-es256").await.unwrap();
    assert_eq!(claims["amr"], serde_json::json!(["pwd"]));
}

#[tokio::test]
async fn pkce_s256_is_bound_at_the_token_endpoint() {
    let h = start().await;
    let verifier = "v".repeat(64);
    let challenge = proconnect_simulator::keys::pkce_s256(&verifier);
    let params = h.params("fs-es256").with("code_challenge", &challenge).with("code_challenge_method", "S256");
    // Without the verifier, or with a wrong one: invalid_grant.
    for extra in [vec![], vec![("code_verifier", "w".repeat(64))]] {
        let code = h.code(&browser(), &params).await;
        let extra: Vec<(&str, &str)> = extra.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let response = h.exchange("fs-es256", &code, &extra).await;
        assert_eq!(response.status(), 400);
        assert_eq!(response.json::<serde_json::Value>().await.unwrap()["error"], "invalid_grant");
    }
    let code = h.code(&browser(), &params).await;
    assert_eq!(h.exchange("fs-es256", &code, &[("code_verifier", &verifier)]).await.status(), 200);
    // A verifier for a request without a challenge is refused too.
    let code = h.code(&browser(), &h.params("fs-es256")).await;
    assert_eq!(h.exchange("fs-es256", &code, &[("code_verifier", &verifier)]).await.status(), 400);
}
