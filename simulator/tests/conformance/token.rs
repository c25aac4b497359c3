//! Contract §3 (token request and ID token): codes are single-use, live 30 seconds and are bound
//! to the client, the `redirect_uri` and PKCE; errors are RFC 6749 §5.2 JSON; the ID token carries
//! `iss`, `sub`, `aud`, `exp`, `iat`, `nonce`, `acr`, `auth_time`, `sid`, `at_hash` (and `amr`
//! when requested), signed with the client's algorithm: ES256, RS256 or HS256.

#![allow(clippy::unwrap_used)]

use crate::common::{browser, peek_header, start};
use serde_json::Value;
use std::time::Duration;

async fn error_of(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value = response.json().await.unwrap();
    assert!(body["error_description"].is_string(), "{body}");
    (status, body["error"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn id_token_claims_for_each_algorithm() {
    let h = start().await;
    for (client, alg) in [("fs-es256", "ES256"), ("fs-rs256", "RS256"), ("fs-hs256", "HS256")] {
        let params = h.params(client).with("claims", r#"{"id_token":{"amr":{"essential":true}}}"#);
        let before = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64;
        let response = h.exchange(client, &h.code(&browser(), &params).await, &[]).await;
        assert_eq!(response.status(), 200, "{client}");
        assert_eq!(response.headers()["cache-control"], "no-store");
        let tokens: Value = response.json().await.unwrap();
        assert_eq!(tokens["token_type"], "Bearer");
        assert_eq!(tokens["expires_in"], 60);
        let id_token = tokens["id_token"].as_str().unwrap();
        let header = peek_header(id_token);
        assert_eq!(header["alg"], alg);
        assert_eq!(header.get("kid").is_some(), alg != "HS256", "{header}");
        let claims = h.verify(id_token, client).await.unwrap_or_else(|e| panic!("{client}: {e}"));
        assert_eq!(claims["iss"], h.issuer());
        assert_eq!(claims["aud"], client);
        assert_eq!(claims["nonce"], params.get("nonce"));
        assert_eq!(claims["acr"], "eidas1");
        assert_eq!(claims["amr"], serde_json::json!(["pwd"]));
        assert!(claims["sub"].as_str().is_some_and(|s| !s.is_empty()));
        assert!(claims["sid"].as_str().is_some_and(|s| !s.is_empty()));
        let iat = claims["iat"].as_i64().unwrap();
        assert!((before..before + 5).contains(&iat));
        assert_eq!(claims["exp"].as_i64().unwrap(), iat + 60);
        assert!(claims["auth_time"].as_i64().unwrap() <= iat);
        assert_eq!(claims["at_hash"], proconnect_simulator::keys::at_hash(tokens["access_token"].as_str().unwrap()));
        // Authentication claims only; identity claims are for userinfo.
        for absent in ["email", "given_name", "usual_name", "siret", "uid"] {
            assert!(claims.get(absent).is_none(), "{absent} not in the ID token");
        }
        // Verifying with another algorithm fails (a relying party pins its algorithm).
        if alg != "HS256" {
            let other = if alg == "ES256" { "fs-rs256" } else { "fs-es256" };
            assert!(h.verify(id_token, other).await.is_err());
        }
    }
}

#[tokio::test]
async fn a_code_is_single_use_and_its_replay_revokes_the_token() {
    let h = start().await;
    let code = h.code(&browser(), &h.params("fs-es256")).await;
    let first = h.exchange("fs-es256", &code, &[]).await;
    assert_eq!(first.status(), 200);
    let access_token = first.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(h.userinfo(&access_token).await.status(), 200);
    assert_eq!(error_of(h.exchange("fs-es256", &code, &[]).await).await, (400, "invalid_grant".into()));
    assert_eq!(h.userinfo(&access_token).await.status(), 401, "RFC 6749 §4.1.2: tokens of a replayed code are revoked");
}

#[tokio::test]
async fn a_code_lives_thirty_seconds() {
    let h = start().await;
    let code = h.code(&browser(), &h.params("fs-es256")).await;
    h.sim().advance_clock(Duration::from_secs(25)); // a margin for the test's own time
    assert_eq!(h.exchange("fs-es256", &code, &[]).await.status(), 200);
    let code = h.code(&browser(), &h.params("fs-es256")).await;
    h.sim().advance_clock(Duration::from_secs(30));
    assert_eq!(error_of(h.exchange("fs-es256", &code, &[]).await).await, (400, "invalid_grant".into()));
}

#[tokio::test]
async fn a_code_is_bound_to_its_client_and_redirect_uri() {
    let h = start().await;
    // Another client, authenticated with its own secret: invalid_grant.
    let code = h.code(&browser(), &h.params("fs-es256")).await;
    let secret = h.secret("fs-rs256");
    let stolen = h
        .token_request(&[
            ("grant_type", "authorization_code"),
            ("client_id", "fs-rs256"),
            ("client_secret", &secret),
            ("redirect_uri", "https://fs-a.example/callback"),
            ("code", &code),
        ])
        .await;
    assert_eq!(error_of(stolen).await, (400, "invalid_grant".into()));
    // Another redirect_uri (a trailing slash is enough).
    let code = h.code(&browser(), &h.params("fs-es256")).await;
    let secret = h.secret("fs-es256");
    let form = [
        ("grant_type", "authorization_code"),
        ("client_id", "fs-es256"),
        ("client_secret", secret.as_str()),
        ("redirect_uri", "https://fs-a.example/callback/"),
        ("code", code.as_str()),
    ];
    assert_eq!(error_of(h.token_request(&form).await).await, (400, "invalid_grant".into()));
}

#[tokio::test]
async fn token_endpoint_errors_are_rfc6749_json() {
    let h = start().await;
    let code = h.code(&browser(), &h.params("fs-es256")).await;
    let secret = h.secret("fs-es256");
    let redirect_uri = h.redirect_uri("fs-es256");
    let form = |overrides: &[(&'static str, &'static str)], without: &'static str| {
        let mut form: Vec<(&str, String)> = vec![
            ("grant_type", "authorization_code".into()),
            ("client_id", "fs-es256".into()),
            ("client_secret", secret.clone()),
            ("redirect_uri", redirect_uri.clone()),
            ("code", code.clone()),
        ];
        form.retain(|(k, _)| *k != without && !overrides.iter().any(|(o, _)| o == k));
        form.extend(overrides.iter().map(|(k, v)| (*k, v.to_string())));
        form
    };
    type Case<'a> = (&'a [(&'a str, &'a str)], &'a str, (u16, &'a str));
    let cases: [Case; 7] = [
        (&[("client_secret", "wrong")], "", (401, "invalid_client")),
        (&[], "client_secret", (401, "invalid_client")),
        (&[("client_id", "nobody")], "", (401, "invalid_client")),
        (&[("grant_type", "client_credentials")], "", (400, "unsupported_grant_type")),
        (&[("grant_type", "refresh_token")], "", (400, "unsupported_grant_type")),
        (&[], "grant_type", (400, "invalid_request")),
        (&[("code", "not-a-code")], "", (400, "invalid_grant")),
    ];
    for (overrides, without, expected) in cases {
        let response =
            reqwest::Client::new().post(h.url("/api/v2/token")).form(&form(overrides, without)).send().await.unwrap();
        assert_eq!(error_of(response).await, (expected.0, expected.1.to_owned()), "{overrides:?} without {without}");
    }
    let repeated = format!("{}&code=again", serde_urlencoded::to_string(form(&[], "")).unwrap());
    let response = reqwest::Client::new()
        .post(h.url("/api/v2/token"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(repeated)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(response).await, (400, "invalid_request".into()));
    // None of the failures consumed the code.
    assert_eq!(h.exchange("fs-es256", &code, &[]).await.status(), 200);
}
