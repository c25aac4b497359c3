//! Contract §2–§4 end to end, driven by a generic OpenID Connect library that is not our backend
//! (`openidconnect` v4): discovery, authorization URL with PKCE, the mire and the FI stepped by
//! hand, code exchange with client_secret_post, ID token verification (signature, `iss`, `aud`,
//! `exp`, `nonce`, `at_hash`), the userinfo JWT verified with `jsonwebtoken`, then RP-initiated
//! logout — for ES256, RS256 and HS256.

#![allow(clippy::unwrap_used)]

use crate::common::{browser, query, start};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreJsonWebKey, CoreJwsSigningAlgorithm};
use openidconnect::{
    AccessTokenHash, AuthType, AuthenticationContextClass, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    IssuerUrl, JsonWebKey, LogoutRequest, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PostLogoutRedirectUrl,
    ProviderMetadataWithLogout, RedirectUrl, Scope, TokenResponse,
};

#[tokio::test]
async fn a_generic_oidc_client_signs_in_and_out_with_each_algorithm() {
    let h = start().await;
    let http = openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (client_id, alg, logged_out) in [
        ("fs-es256", CoreJwsSigningAlgorithm::EcdsaP256Sha256, "https://fs-a.example/logged-out"),
        ("fs-rs256", CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256, "https://fs-b.example/logged-out"),
        ("fs-hs256", CoreJwsSigningAlgorithm::HmacSha256, "https://fs-c.example/logged-out"),
    ] {
        // Discovery (with the RP-initiated logout metadata).
        let metadata =
            ProviderMetadataWithLogout::discover_async(IssuerUrl::new(h.issuer().to_owned()).unwrap(), &http)
                .await
                .unwrap();
        let end_session = metadata.additional_metadata().end_session_endpoint.clone().unwrap();
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(client_id.into()),
            Some(ClientSecret::new(h.secret(client_id))),
        )
        .set_redirect_uri(RedirectUrl::new(h.redirect_uri(client_id)).unwrap())
        .set_auth_type(AuthType::RequestBody);

        // Authorization URL: state and nonce of 43 characters, eidas1, amr requested, PKCE.
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                || CsrfToken::new_random_len(32),
                || Nonce::new_random_len(32),
            )
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("given_name".into()))
            .add_scope(Scope::new("usual_name".into()))
            .add_auth_context_value(AuthenticationContextClass::new("eidas1".into()))
            .add_extra_param("claims", r#"{"id_token":{"amr":{"essential":true}}}"#)
            .set_pkce_challenge(challenge)
            .url();

        // The agent: mire, FI.
        let browser = browser();
        let mire = h.follow(&browser, url.as_str()).await;
        let fi = h.submit(&browser, mire.as_str(), &[("email", "test@fia1.fr")]).await;
        let callback = h.fi_login(&browser, &fi, "test", "123").await;
        let params = query(&callback);
        assert_eq!(&params["state"], state.secret(), "{client_id}");

        // Code exchange (client_secret_post) and ID token verification.
        let tokens = client
            .exchange_code(AuthorizationCode::new(params["code"].clone()))
            .unwrap()
            .set_pkce_verifier(verifier)
            .request_async(&http)
            .await
            .unwrap_or_else(|e| panic!("{client_id}: {e:?}"));
        let id_token = tokens.id_token().unwrap();
        let verifier = client.id_token_verifier().set_allowed_algs(vec![alg.clone()]);
        let claims = id_token.claims(&verifier, &nonce).unwrap_or_else(|e| panic!("{client_id}: {e:?}"));
        assert_eq!(claims.issuer().as_str(), h.issuer());
        assert_eq!(claims.audiences().iter().map(|a| a.as_str()).collect::<Vec<_>>(), [client_id]);
        let amr: Vec<&str> = claims.auth_method_refs().unwrap().iter().map(|a| a.as_str()).collect();
        assert_eq!(amr, ["pwd"]);
        assert_eq!(claims.auth_context_ref().map(|a| a.as_str()), Some("eidas1"));
        // at_hash: the signing key only matters for EdDSA; HS256 has no JWK, the secret stands in.
        let secret_key = CoreJsonWebKey::new_symmetric(h.secret(client_id).into_bytes());
        let key = if alg == CoreJwsSigningAlgorithm::HmacSha256 {
            &secret_key
        } else {
            id_token.signing_key(&verifier).unwrap()
        };
        let expected_hash =
            AccessTokenHash::from_token(tokens.access_token(), id_token.signing_alg().unwrap(), key).unwrap();
        assert_eq!(claims.access_token_hash(), Some(&expected_hash));
        // The same token verified under another algorithm is refused.
        let wrong = if alg == CoreJwsSigningAlgorithm::HmacSha256 {
            CoreJwsSigningAlgorithm::EcdsaP256Sha256
        } else {
            CoreJwsSigningAlgorithm::HmacSha256
        };
        assert!(id_token.claims(&client.id_token_verifier().set_allowed_algs(vec![wrong]), &nonce).is_err());

        // Userinfo: a JWT, verified with jsonwebtoken against the JWKS (or the secret).
        let response = h.userinfo(tokens.access_token().secret()).await;
        assert_eq!(response.headers()["content-type"], "application/jwt");
        let userinfo = h.verify(&response.text().await.unwrap(), client_id).await.unwrap();
        assert_eq!(userinfo["sub"], claims.subject().as_str());
        assert_eq!(userinfo["email"], "test@fia1.fr");
        assert_eq!(userinfo["usual_name"], "DUBOIS");

        // RP-initiated logout.
        let logout_state = CsrfToken::new_random_len(32);
        let logout = LogoutRequest::from(end_session)
            .set_id_token_hint(id_token)
            .set_post_logout_redirect_uri(PostLogoutRedirectUrl::new(logged_out.into()).unwrap())
            .set_state(logout_state.clone())
            .http_get_url();
        let back = h.follow(&browser, logout.as_str()).await;
        assert_eq!(back.as_str().split('?').next(), Some(logged_out));
        assert_eq!(&query(&back)["state"], logout_state.secret());
        // Signed out at the provider: the next sign-in shows the mire.
        let again = h.follow(&browser, url.as_str()).await;
        assert!(again.path().starts_with("/interaction/"), "{client_id}: {again}");
    }
}
