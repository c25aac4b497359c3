//! Contract §1, §5 and §7 (the 2024 *ProConnect* additions, under `contract = "agentconnect-2024"`):
//! with `brand = "proconnect"` the sandbox
//! identity `user@yopmail.com` signs in, `amr` carries ProConnect's values and the `custom` scope
//! gives the `custom` claim. Under AgentConnect these are absent; silent login (`prompt=none`),
//! `idp_hint` and `login_hint` are accepted under both brands (one platform behind two buttons).

#![allow(clippy::unwrap_used)]

use crate::common::{browser, query, start, start_with};
use proconnect_types::Brand;
use serde_json::{Value, json};

const AMR: &str = r#"{"id_token":{"amr":{"essential":true}}}"#;

#[tokio::test]
async fn proconnect_sandbox_identity_amr_and_custom_claim() {
    let h = start_with(|c| c.brand = Some(Brand::ProConnect)).await;
    let discovery: Value =
        reqwest::get(h.url("/api/v2/.well-known/openid-configuration")).await.unwrap().json().await.unwrap();
    assert!(discovery["scopes_supported"].as_array().unwrap().contains(&json!("custom")));
    assert!(discovery["claims_supported"].as_array().unwrap().contains(&json!("custom")));

    let params = h.params("fs-es256").set("scope", "openid email custom").with("claims", AMR);
    let browser = browser();
    let callback = h.sign_in(&browser, &params, "user@yopmail.com", "user@yopmail.com", "user@yopmail.com").await;
    let code = query(&callback).remove("code").unwrap();
    let tokens: Value = h.exchange("fs-es256", &code, &[]).await.json().await.unwrap();
    let id_token = h.verify(tokens["id_token"].as_str().unwrap(), "fs-es256").await.unwrap();
    assert_eq!(id_token["amr"], json!(["pwd", "mail"]));
    let jwt = h.userinfo(tokens["access_token"].as_str().unwrap()).await.text().await.unwrap();
    let userinfo = h.verify(&jwt, "fs-es256").await.unwrap();
    assert_eq!(userinfo["email"], "user@yopmail.com");
    assert_eq!(userinfo["custom"], json!({"service": "demo"}));
}

#[tokio::test]
async fn agentconnect_has_no_sandbox_identity_nor_custom_scope() {
    let h = start().await;
    let browser1 = browser();
    let mire = h.follow(&browser1, &h.authorize_url(&h.params("fs-es256").0)).await;
    let page = browser1.post(mire.as_str()).form(&[("email", "user@yopmail.com")]).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert!(page.text().await.unwrap().contains("id=\"mire-error\""), "yopmail.com is not routed");
    let url = h.authorize_url(&h.params("fs-es256").with("idp_hint", "proconnect-identite").0);
    crate::common::assert_error_page(browser().get(&url).send().await.unwrap(), 403, "Y020023").await;
    let params = h.params("fs-es256").set("scope", "openid custom");
    let callback = h.follow(&browser(), &h.authorize_url(&params.0)).await;
    assert_eq!(query(&callback)["error"], "invalid_scope");
}

#[tokio::test]
async fn both_brands_accept_silent_login_and_hints() {
    for brand in [Brand::AgentConnect, Brand::ProConnect] {
        let h = start_with(|c| c.brand = Some(brand)).await;
        let browser = browser();
        let silent = h.follow(&browser, &h.authorize_url(&h.params("fs-es256").with("prompt", "none").0)).await;
        assert_eq!(query(&silent)["error"], "login_required", "{brand:?}");
        let hinted = h.params("fs-es256").with("idp_hint", "fia1").with("login_hint", "test@fia1.fr");
        let fi = h.follow(&browser, &h.authorize_url(&hinted.0)).await;
        let callback = h.fi_login(&browser, &fi, "test", "123").await;
        assert!(query(&callback).contains_key("code"));
        let silent = h.follow(&browser, &h.authorize_url(&h.params("fs-es256").with("prompt", "none").0)).await;
        assert!(query(&silent).contains_key("code"), "{brand:?}");
    }
}
