//! Fault injection (`Simulator::set_faults`), for relying parties' negative tests: each fault
//! breaks exactly the promised part of the contract (§3) and nothing else, and clearing the faults
//! restores a faithful provider.

#![allow(clippy::unwrap_used)]

use crate::common::{Harness, browser, peek, peek_header, start};
use proconnect_simulator::{Faults, Forgery};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

async fn token_response(h: &Harness, client: &str) -> reqwest::Response {
    let code = h.code(&browser(), &h.params(client)).await;
    h.exchange(client, &code, &[]).await
}

#[tokio::test]
async fn token_endpoint_faults() {
    let h = start().await;
    h.sim().set_faults(Faults { token_status: Some(503), ..Faults::default() });
    let response = token_response(&h, "fs-es256").await;
    assert_eq!(response.status(), 503);
    assert!(serde_json::from_str::<Value>(&response.text().await.unwrap()).is_err());

    h.sim().set_faults(Faults { token_invalid_json: true, ..Faults::default() });
    let response = token_response(&h, "fs-es256").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert!(serde_json::from_str::<Value>(&response.text().await.unwrap()).is_err());

    let ten_mb = 10 * 1024 * 1024;
    h.sim().set_faults(Faults { token_body_padding: Some(ten_mb), ..Faults::default() });
    let response = token_response(&h, "fs-es256").await;
    assert_eq!(response.status(), 200);
    let body = response.bytes().await.unwrap();
    assert!(body.len() > ten_mb);
    let tokens: Value = serde_json::from_slice(&body).unwrap();
    assert!(tokens["id_token"].is_string(), "still valid JSON, only huge");

    h.sim().set_faults(Faults::default());
    assert_eq!(token_response(&h, "fs-es256").await.status(), 200);
}

#[tokio::test]
async fn delay_slows_token_userinfo_and_jwks() {
    let h = start().await;
    let code = h.code(&browser(), &h.params("fs-es256")).await;
    h.sim().set_faults(Faults { delay: Some(Duration::from_millis(300)), ..Faults::default() });
    let started = Instant::now();
    let tokens: Value = h.exchange("fs-es256", &code, &[]).await.json().await.unwrap();
    h.userinfo(tokens["access_token"].as_str().unwrap()).await;
    h.jwks().await;
    assert!(started.elapsed() >= Duration::from_millis(900));
}

/// Every forgery, for every algorithm, fails a relying party's verification (the client's
/// algorithm pinned, keys from the JWKS or the secret), while the claims are intact.
#[tokio::test]
async fn forged_id_tokens_and_userinfo_fail_verification() {
    let h = start().await;
    let forgeries =
        [Forgery::UnknownKey, Forgery::SpoofedKid, Forgery::AlgNone, Forgery::Hs256WithPublicKey, Forgery::WrongAlg];
    for client in ["fs-es256", "fs-rs256", "fs-hs256"] {
        for forgery in forgeries {
            h.sim().set_faults(Faults {
                id_token_forgery: Some(forgery),
                userinfo_forgery: Some(forgery),
                ..Faults::default()
            });
            let tokens: Value = token_response(&h, client).await.json().await.unwrap();
            let id_token = tokens["id_token"].as_str().unwrap();
            let userinfo = h.userinfo(tokens["access_token"].as_str().unwrap()).await.text().await.unwrap();
            for (what, jwt) in [("ID token", id_token), ("userinfo", userinfo.as_str())] {
                assert!(h.verify(jwt, client).await.is_err(), "{client} {forgery:?} {what} must not verify");
                assert_eq!(peek(jwt)["aud"], client, "{what}: claims intact");
            }
            let header = peek_header(id_token);
            match forgery {
                Forgery::AlgNone => {
                    assert_eq!(header["alg"], "none");
                    assert!(id_token.ends_with('.'));
                }
                Forgery::Hs256WithPublicKey => assert_eq!(header["alg"], "HS256"),
                Forgery::WrongAlg => assert_ne!(
                    header["alg"],
                    h.sim().config().client(client).map(|c| format!("{:?}", c.alg)).unwrap().as_str()
                ),
                Forgery::UnknownKey | Forgery::SpoofedKid => {
                    let kid = header["kid"].as_str().unwrap();
                    let published = h.jwks().await["keys"].as_array().unwrap().iter().any(|k| k["kid"] == kid);
                    assert_eq!(published, forgery == Forgery::SpoofedKid, "{forgery:?}");
                }
            }
        }
    }
    // The legacy switches still work.
    h.sim().set_faults(Faults { id_token_unknown_key: true, userinfo_unknown_key: true, ..Faults::default() });
    let tokens: Value = token_response(&h, "fs-es256").await.json().await.unwrap();
    assert!(h.verify(tokens["id_token"].as_str().unwrap(), "fs-es256").await.is_err());
    let userinfo = h.userinfo(tokens["access_token"].as_str().unwrap()).await.text().await.unwrap();
    assert!(h.verify(&userinfo, "fs-es256").await.is_err());
}

#[tokio::test]
async fn wrong_alg_is_signed_by_a_published_key() {
    let h = start().await;
    h.sim().set_faults(Faults { id_token_forgery: Some(Forgery::WrongAlg), ..Faults::default() });
    let tokens: Value = token_response(&h, "fs-es256").await.json().await.unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    assert_eq!(peek_header(id_token)["alg"], "RS256");
    // The signature itself is genuine: verified as RS256 it only fails on the audience. A relying
    // party that trusted the token's own `alg` header would accept it.
    assert!(
        h.verify(id_token, "fs-rs256")
            .await
            .is_err_and(|e| matches!(e.kind(), jsonwebtoken::errors::ErrorKind::InvalidAudience))
    );
}

#[tokio::test]
async fn userinfo_faults() {
    let h = start().await;
    h.sim().set_faults(Faults { userinfo_not_jwt: true, ..Faults::default() });
    let tokens: Value = token_response(&h, "fs-es256").await.json().await.unwrap();
    let id_sub = peek(tokens["id_token"].as_str().unwrap())["sub"].clone();
    let response = h.userinfo(tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(response.headers()["content-type"], "application/json");
    let claims: Value = response.json().await.unwrap();
    assert_eq!(claims["sub"], id_sub);

    h.sim().set_faults(Faults { userinfo_sub: Some("someone-else".into()), ..Faults::default() });
    let jwt = h.userinfo(tokens["access_token"].as_str().unwrap()).await.text().await.unwrap();
    assert_eq!(h.verify(&jwt, "fs-es256").await.unwrap()["sub"], "someone-else");
}

#[tokio::test]
async fn id_token_overrides_replace_and_remove_claims() {
    let h = start().await;
    let overrides = json!({"iss": "https://evil.example", "nonce": null});
    h.sim().set_faults(Faults { id_token_overrides: overrides.as_object().cloned().unwrap(), ..Faults::default() });
    let tokens: Value = token_response(&h, "fs-es256").await.json().await.unwrap();
    let claims = peek(tokens["id_token"].as_str().unwrap());
    assert_eq!(claims["iss"], "https://evil.example");
    assert!(claims.get("nonce").is_none());
}
