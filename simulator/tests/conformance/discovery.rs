//! Contract §1 (platforms and endpoints): the discovery document lists every endpoint under
//! `/api/v2` and everything a relying party needs; the JWKS publishes the signing keys; any other
//! route is `Y000404` (§6).

#![allow(clippy::unwrap_used)]

use crate::common::{assert_error_page, start};
use serde_json::Value;

#[tokio::test]
async fn discovery_metadata_is_complete() {
    let h = start().await;
    let response = reqwest::get(h.url("/api/v2/.well-known/openid-configuration")).await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let doc: Value = response.json().await.unwrap();
    let issuer = h.issuer();
    assert_eq!(doc["issuer"], issuer);
    assert!(issuer.ends_with("/api/v2"));
    for (field, path) in [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("userinfo_endpoint", "/userinfo"),
        ("end_session_endpoint", "/session/end"),
        ("jwks_uri", "/jwks"),
        ("revocation_endpoint", "/token/revocation"),
    ] {
        assert_eq!(doc[field], format!("{issuer}{path}"), "{field}");
    }
    let list = |field: &str| -> Vec<String> {
        doc[field]
            .as_array()
            .unwrap_or_else(|| panic!("{field}"))
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(list("response_types_supported"), ["code"]);
    assert_eq!(list("grant_types_supported"), ["authorization_code"]);
    assert!(list("acr_values_supported").contains(&"eidas1".to_owned()));
    assert!(list("subject_types_supported").len() == 1);
    assert_eq!(list("token_endpoint_auth_methods_supported"), ["client_secret_post"]);
    for alg in ["ES256", "RS256", "HS256"] {
        assert!(list("id_token_signing_alg_values_supported").contains(&alg.to_owned()), "{alg}");
        assert!(list("userinfo_signing_alg_values_supported").contains(&alg.to_owned()), "{alg}");
    }
    // §5: every scope and claim of the contract (AgentConnect brand: no `custom`).
    let scopes = list("scopes_supported");
    for scope in [
        "openid",
        "given_name",
        "usual_name",
        "email",
        "uid",
        "siret",
        "siren",
        "organizational_unit",
        "belonging_population",
        "phone",
        "chorusdt",
        "idp_id",
        "idp_acr",
    ] {
        assert!(scopes.contains(&scope.to_owned()), "scope {scope}");
    }
    assert!(!scopes.contains(&"custom".to_owned()));
    let claims = list("claims_supported");
    for claim in [
        "sub",
        "given_name",
        "usual_name",
        "email",
        "uid",
        "siret",
        "siren",
        "organizational_unit",
        "belonging_population",
        "phone_number",
        "chorusdt:matricule",
        "chorusdt:societe",
        "idp_id",
        "idp_acr",
        "iss",
        "aud",
        "exp",
        "iat",
        "nonce",
        "acr",
        "auth_time",
        "sid",
        "at_hash",
        "amr",
    ] {
        assert!(claims.contains(&claim.to_owned()), "claim {claim}");
    }
    assert_eq!(doc["claims_parameter_supported"], true);
    assert_eq!(list("code_challenge_methods_supported"), ["S256"]);
    assert!(list("prompt_values_supported").contains(&"none".to_owned()));
}

#[tokio::test]
async fn jwks_publishes_one_es256_and_one_rs256_public_key() {
    let h = start().await;
    let response = reqwest::get(h.url("/api/v2/jwks")).await.unwrap();
    assert_eq!(response.status(), 200);
    let jwks: Value = response.json().await.unwrap();
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    for key in keys {
        assert_eq!(key["use"], "sig");
        assert!(key["kid"].as_str().is_some_and(|k| !k.is_empty()));
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(key.get(private).is_none(), "no private part {private} in {key}");
        }
    }
    let es = keys.iter().find(|k| k["alg"] == "ES256").unwrap();
    assert_eq!((es["kty"].as_str(), es["crv"].as_str()), (Some("EC"), Some("P-256")));
    assert_eq!(es["kid"], h.sim().active_kid(proconnect_simulator::SigningAlg::ES256).unwrap());
    let rs = keys.iter().find(|k| k["alg"] == "RS256").unwrap();
    assert_eq!(rs["kty"], "RSA");
    assert_eq!(rs["e"], "AQAB");
    // Parses as a JWK set a relying party library accepts.
    serde_json::from_value::<jsonwebtoken::jwk::JwkSet>(jwks).unwrap();
}

#[tokio::test]
async fn unknown_routes_are_y000404() {
    let h = start().await;
    for path in ["/api/v2/unknown", "/api/v1/authorize", "/", "/interaction"] {
        assert_error_page(reqwest::get(h.url(path)).await.unwrap(), 404, "Y000404").await;
    }
}
