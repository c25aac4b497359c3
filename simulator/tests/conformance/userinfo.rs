//! Contract §3 (userinfo) and §5 (scopes and claims): userinfo answers `application/jwt`, signed
//! like the ID token, holding exactly the granted scopes' claims; the access token lives 60
//! seconds (`Y030025`); §4: revocation per RFC 7009, after which userinfo refuses the token.

#![allow(clippy::unwrap_used)]

use crate::common::{browser, peek, start};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::time::Duration;

/// The claims of a userinfo JWT beyond the JWT's own (`iss`, `aud`, `iat`, `exp`).
fn user_claims(claims: &Value) -> BTreeSet<String> {
    claims
        .as_object()
        .unwrap()
        .keys()
        .filter(|k| !["iss", "aud", "iat", "exp"].contains(&k.as_str()))
        .cloned()
        .collect()
}

#[tokio::test]
async fn userinfo_is_a_signed_jwt_for_each_algorithm() {
    let h = start().await;
    for client in ["fs-es256", "fs-rs256", "fs-hs256"] {
        let tokens = h.tokens(&browser(), client, &h.params(client)).await;
        let response = h.userinfo(tokens["access_token"].as_str().unwrap()).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "application/jwt");
        let jwt = response.text().await.unwrap();
        let claims = h.verify(&jwt, client).await.unwrap_or_else(|e| panic!("{client}: {e}"));
        assert_eq!(claims["sub"], peek(tokens["id_token"].as_str().unwrap())["sub"]);
        assert_eq!(claims["email"], "test@fia1.fr");
        assert_eq!(claims["given_name"], "Angela Claire Louise");
        assert_eq!(claims["usual_name"], "DUBOIS");
        assert_eq!(claims["uid"], "same-uid");
        assert_eq!(claims["siret"], "21340126800130");
        let expected: BTreeSet<String> =
            ["sub", "email", "given_name", "usual_name", "uid", "siret"].map(String::from).into();
        assert_eq!(user_claims(&claims), expected, "{client}");
    }
}

#[tokio::test]
async fn userinfo_holds_exactly_the_granted_scopes_claims() {
    let h = start().await;
    let cases: [(&str, &[&str]); 4] = [
        ("openid", &["sub"]),
        ("openid email", &["sub", "email"]),
        ("openid phone chorusdt siren", &["sub", "phone_number", "chorusdt:matricule", "chorusdt:societe", "siren"]),
        ("openid idp_id idp_acr organizational_unit", &["sub", "idp_id", "idp_acr"]), // no unit in this directory
    ];
    for (scope, expected) in cases {
        let tokens = h.tokens(&browser(), "fs-es256", &h.params("fs-es256").set("scope", scope)).await;
        let granted: BTreeSet<&str> = tokens["scope"].as_str().unwrap().split(' ').collect();
        assert_eq!(granted, scope.split(' ').collect(), "granted scopes");
        let jwt = h.userinfo(tokens["access_token"].as_str().unwrap()).await.text().await.unwrap();
        let claims = h.verify(&jwt, "fs-es256").await.unwrap();
        let expected: BTreeSet<String> = expected.iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(user_claims(&claims), expected, "{scope}");
        if scope.contains("idp_id") {
            assert_eq!((claims["idp_id"].clone(), claims["idp_acr"].clone()), (json!("fia1"), json!("eidas1")));
        }
    }
}

#[tokio::test]
async fn the_access_token_lives_sixty_seconds() {
    let h = start().await;
    let tokens = h.tokens(&browser(), "fs-es256", &h.params("fs-es256")).await;
    let access_token = tokens["access_token"].as_str().unwrap();
    h.sim().advance_clock(Duration::from_secs(55)); // a margin for the test's own time
    assert_eq!(h.userinfo(access_token).await.status(), 200);
    h.sim().advance_clock(Duration::from_secs(5));
    let response = h.userinfo(access_token).await;
    assert_eq!(response.status(), 401);
    assert!(response.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_token");
    assert!(body["error_description"].as_str().unwrap().contains("Y030025"), "{body}");
}

#[tokio::test]
async fn userinfo_without_a_valid_bearer_token_is_refused() {
    let h = start().await;
    let bare = reqwest::get(h.url("/api/v2/userinfo")).await.unwrap();
    assert_eq!(bare.status(), 401);
    assert_eq!(bare.json::<Value>().await.unwrap()["error"], "invalid_request");
    let unknown = h.userinfo("not-a-token").await;
    assert_eq!(unknown.status(), 401);
    assert_eq!(unknown.json::<Value>().await.unwrap()["error"], "invalid_token");
}

#[tokio::test]
async fn revocation_follows_rfc7009() {
    let h = start().await;
    let tokens = h.tokens(&browser(), "fs-es256", &h.params("fs-es256")).await;
    let access_token = tokens["access_token"].as_str().unwrap();
    let revoke = |client_id: &'static str, secret: String, token: String| {
        let url = h.url("/api/v2/token/revocation");
        async move {
            reqwest::Client::new()
                .post(url)
                .form(&[
                    ("client_id", client_id),
                    ("client_secret", &secret),
                    ("token", &token),
                    ("token_type_hint", "access_token"),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    // Wrong secret: invalid_client, nothing revoked.
    let denied = revoke("fs-es256", "wrong".into(), access_token.into()).await;
    assert_eq!(denied.status(), 401);
    assert_eq!(denied.json::<Value>().await.unwrap()["error"], "invalid_client");
    // Another client cannot revoke it (200, but the token still works).
    assert_eq!(revoke("fs-rs256", h.secret("fs-rs256"), access_token.into()).await.status(), 200);
    assert_eq!(h.userinfo(access_token).await.status(), 200);
    // Its client can; then userinfo refuses it. Unknown tokens answer 200 as well.
    assert_eq!(revoke("fs-es256", h.secret("fs-es256"), access_token.into()).await.status(), 200);
    assert_eq!(h.userinfo(access_token).await.status(), 401);
    assert_eq!(revoke("fs-es256", h.secret("fs-es256"), access_token.into()).await.status(), 200);
    assert_eq!(revoke("fs-es256", h.secret("fs-es256"), "unknown".into()).await.status(), 200);
    // A missing token is invalid_request.
    let response = reqwest::Client::new()
        .post(h.url("/api/v2/token/revocation"))
        .form(&[("client_id", "fs-es256"), ("client_secret", h.secret("fs-es256").as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert_eq!(response.json::<Value>().await.unwrap()["error"], "invalid_request");
}
