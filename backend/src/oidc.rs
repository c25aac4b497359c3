//! The relying party: discovery, the authorization request, the code exchange, ID token and
//! userinfo verification (each with its registered algorithm only, userinfo possibly unsigned), JWKS caching with one rate-limited
//! refetch on an unknown `kid`, RP-initiated logout and revocation.

use crate::crypto::RingJwk;
use crate::settings::{Settings, SigningAlg, UserinfoAlg};
use openidconnect::core::{
    CoreAuthDisplay, CoreClaimName, CoreClaimType, CoreClient, CoreClientAuthMethod, CoreGrantType, CoreIdToken,
    CoreJsonWebKey, CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreJwsSigningAlgorithm,
    CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{
    AdditionalProviderMetadata, AuthType, AuthenticationContextClass, AuthorizationCode, ClaimsVerificationError,
    ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, IdTokenVerifier, IssuerUrl,
    JsonWebKeySet, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, ProviderMetadata, RedirectUrl,
    Scope as OidcScope, SignatureVerificationError, TokenResponse,
};
use proconnect_types::{Acr, AgentClaims, Amr, LevelPolicy};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{Mutex, RwLock};
use url::Url;

/// Discovery fields ProConnect publishes beyond OIDC Core's.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExtraMetadata {
    /// RP-initiated logout.
    pub end_session_endpoint: Option<Url>,
    /// RFC 7009.
    pub revocation_endpoint: Option<Url>,
    /// RFC 9207: every authorization response carries `iss`.
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
}
impl AdditionalProviderMetadata for ExtraMetadata {}

type Metadata = ProviderMetadata<
    ExtraMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

type Client =
    CoreClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointMaybeSet, EndpointMaybeSet>;

/// Why a sign-in or sign-out step failed. Every variant names its reason for the logs.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    /// The provider could not be reached or answered nonsense.
    #[error("the identity provider is unreachable or answered badly: {0}")]
    Provider(String),
    /// The token endpoint refused the code.
    #[error("the identity provider refused the authorization code: {0}")]
    TokenRejected(String),
    /// The ID token failed verification.
    #[error("the ID token is invalid: {0}")]
    IdToken(String),
    /// The userinfo response failed verification.
    #[error("the userinfo response is invalid: {0}")]
    Userinfo(String),
}

/// What a completed code exchange yields. Its `Debug` leaves the tokens out.
#[derive(Clone)]
pub struct SignIn {
    /// The agent's claims (from the verified userinfo JWT).
    pub claims: AgentClaims,
    /// The raw ID token, kept for `id_token_hint` at logout.
    pub id_token: String,
    /// The access token, kept only to revoke it at logout.
    pub access_token: String,
    /// The refresh token, if the provider returned one: kept only to revoke it at logout.
    pub refresh_token: Option<String>,
    /// `acr` from the ID token: the level the agent reached.
    pub acr: Option<Acr>,
    /// `amr` from the ID token.
    pub amr: Vec<Amr>,
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIn")
            .field("claims", &self.claims)
            .field("acr", &self.acr)
            .field("amr", &self.amr)
            .finish_non_exhaustive()
    }
}

/// The optional parameters of one authorization request.
#[derive(Debug, Clone, Default)]
pub struct AuthorizationParams<'a> {
    /// `prompt` (validated by the caller).
    pub prompt: Option<&'a str>,
    /// `idp_hint`: skip the platform's email page for this identity provider.
    pub idp_hint: Option<&'a str>,
    /// `login_hint`: an email to prefill.
    pub login_hint: Option<&'a str>,
    /// `siret_hint`: the organisation to preselect (14 digits).
    pub siret_hint: Option<&'a str>,
    /// The levels required for this sign-in, requested as an essential `acr` claim.
    pub required: LevelPolicy,
}

/// A new authorization request: where to send the browser, and the values the callback needs
/// back (the caller keeps them server-side).
#[derive(Debug)]
pub struct Authorization {
    /// The provider's authorization URL with every parameter.
    pub url: Url,
    /// `state` sent in the request.
    pub state: String,
    /// `nonce` sent in the request.
    pub nonce: String,
    /// PKCE verifier.
    pub pkce_verifier: String,
}

struct Discovered {
    metadata: Metadata,
    /// Built once from `metadata` (its key set stays empty: ID tokens are checked against `jwks`).
    client: Client,
    jwks: Jwks,
}

/// The provider's keys, made ready once per fetch rather than once per sign-in.
struct Jwks {
    /// The ID token verifier over these keys (its clock is read at each verification).
    id_token: IdTokenVerifier<'static, RingJwk>,
    /// The userinfo JWT's keys by `kid`, each decoded once; the first key of each `kid` wins, as
    /// with `JwkSet::find`. A key `jsonwebtoken` cannot use keeps its error for the sign-in that
    /// names it.
    userinfo: Vec<(String, Result<jsonwebtoken::DecodingKey, String>)>,
    fetched: Instant,
}

/// The relying party for one provider and one client registration.
pub struct RelyingParty {
    issuer: IssuerUrl,
    client_id: ClientId,
    client_secret: ClientSecret,
    id_token_alg: SigningAlg,
    userinfo_alg: UserinfoAlg,
    redirect_uri: RedirectUrl,
    post_logout_redirect_uri: Url,
    /// The scopes asked for besides `openid` (which the request always carries first), joined
    /// by spaces once: the `scope` parameter is the same as with one `Scope` each.
    extra_scopes: Option<OidcScope>,
    acr_values: Vec<Acr>,
    /// The service's level policy and its `claims` parameter, written once: most sign-ins
    /// require no more than the policy.
    policy_claims: (LevelPolicy, String),
    http: reqwest::Client,
    discovered: RwLock<Option<Arc<Discovered>>>,
    /// Held by the one request that runs discovery; remembers when its last failure happened, so
    /// requests queued behind a hanging provider fail with it instead of each waiting a timeout.
    discovering: Mutex<Option<(Instant, String)>>,
    refetch: Mutex<Option<Instant>>,
}

/// Minimum time between two JWKS refetches triggered by an unknown `kid`.
const JWKS_REFETCH_INTERVAL: Duration = Duration::from_secs(10);
/// Clock skew tolerated on `exp` and `iat`.
const LEEWAY_SECONDS: i64 = 30;
/// Largest response body accepted from the provider.
pub const MAX_PROVIDER_BODY: usize = 1024 * 1024;

impl RelyingParty {
    /// Builds the relying party (discovery happens on first use, and again after a failure).
    /// The provider is trusted through the public web's authorities plus `ca_bundle`, if set.
    pub fn new(settings: &Settings, issuer: &Url) -> anyhow::Result<Self> {
        let mut http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(settings.provider.timeout_seconds))
            .connect_timeout(Duration::from_secs(settings.provider.timeout_seconds));
        if let Some(path) = &settings.ca_bundle {
            for der in crate::tls::read_bundle(path)? {
                http = http.add_root_certificate(reqwest::Certificate::from_der(&der)?);
            }
        }
        Ok(RelyingParty {
            issuer: IssuerUrl::new(issuer.as_str().trim_end_matches('/').to_owned())?,
            client_id: ClientId::new(settings.provider.client_id.clone()),
            client_secret: ClientSecret::new(settings.provider.client_secret.expose().to_owned()),
            id_token_alg: settings.provider.id_token_signed_response_alg,
            userinfo_alg: settings.provider.userinfo_signed_response_alg,
            redirect_uri: RedirectUrl::new(settings.redirect_uri().to_string())?,
            post_logout_redirect_uri: settings.post_logout_redirect_uri(),
            extra_scopes: Some(
                settings.provider.scopes.iter().map(|s| s.as_str()).filter(|s| *s != "openid").collect::<Vec<_>>(),
            )
            .filter(|scopes| !scopes.is_empty())
            .map(|scopes| OidcScope::new(scopes.join(" "))),
            acr_values: settings.provider.acr_values.clone(),
            policy_claims: (settings.policy.level.clone(), claims_request(&settings.policy.level)),
            http: http.build()?,
            discovered: RwLock::new(None),
            discovering: Mutex::new(None),
            refetch: Mutex::new(None),
        })
    }

    async fn get_bytes(&self, url: &str) -> Result<Vec<u8>, OidcError> {
        let mut response =
            self.http.get(url).send().await.map_err(|e| OidcError::Provider(format!("GET {url}: {e}")))?;
        if !response.status().is_success() {
            return Err(OidcError::Provider(format!("GET {url}: HTTP {}", response.status())));
        }
        read_limited(&mut response).await
    }

    async fn fetch_jwks(&self, uri: &str) -> Result<Jwks, OidcError> {
        let body = self.get_bytes(uri).await?;
        let oidc = serde_json::from_slice(&body).map_err(|e| OidcError::Provider(format!("JWKS: {e}")))?;
        let jwt: jsonwebtoken::jwk::JwkSet =
            serde_json::from_slice(&body).map_err(|e| OidcError::Provider(format!("JWKS: {e}")))?;
        let userinfo = jwt
            .keys
            .iter()
            .filter_map(|jwk| {
                let kid = jwk.common.key_id.clone()?;
                Some((kid, jsonwebtoken::DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())))
            })
            .collect();
        Ok(Jwks { id_token: self.id_token_verifier(oidc), userinfo, fetched: Instant::now() })
    }

    async fn discovered(&self) -> Result<Arc<Discovered>, OidcError> {
        if let Some(found) = self.discovered.read().await.as_ref() {
            return Ok(found.clone());
        }
        // One discovery at a time; no lock on `discovered` is held across the HTTP calls.
        let arrived = Instant::now();
        let mut last_failure = self.discovering.lock().await;
        if let Some(found) = self.discovered.read().await.as_ref() {
            return Ok(found.clone());
        }
        // It failed while this request waited: share that answer rather than wait again.
        if let Some((at, error)) = last_failure.as_ref()
            && *at > arrived
        {
            return Err(OidcError::Provider(error.clone()));
        }
        match self.discover().await {
            Ok(found) => {
                *last_failure = None;
                *self.discovered.write().await = Some(found.clone());
                Ok(found)
            }
            Err(error) => {
                *last_failure = Some((Instant::now(), error.to_string()));
                Err(error)
            }
        }
    }

    /// Fetches and checks the discovery document, then the keys. Every endpoint must be on the
    /// issuer's origin (scheme, host and port): the secret and the tokens are never posted elsewhere.
    async fn discover(&self) -> Result<Arc<Discovered>, OidcError> {
        let url = format!("{}/.well-known/openid-configuration", self.issuer.as_str());
        let body = self.get_bytes(&url).await?;
        let metadata: Metadata =
            serde_json::from_slice(&body).map_err(|e| OidcError::Provider(format!("discovery document: {e}")))?;
        if metadata.issuer() != &self.issuer {
            return Err(OidcError::Provider(format!(
                "discovery issuer `{}` differs from the configured `{}`",
                metadata.issuer().as_str(),
                self.issuer.as_str()
            )));
        }
        let origin = self.issuer.url().origin();
        let extra = metadata.additional_metadata();
        let endpoints = [
            ("authorization_endpoint", Some(metadata.authorization_endpoint().url())),
            ("token_endpoint", metadata.token_endpoint().map(|e| e.url())),
            ("userinfo_endpoint", metadata.userinfo_endpoint().map(|e| e.url())),
            ("jwks_uri", Some(metadata.jwks_uri().url())),
            ("end_session_endpoint", extra.end_session_endpoint.as_ref()),
            ("revocation_endpoint", extra.revocation_endpoint.as_ref()),
        ];
        for (name, endpoint) in endpoints {
            if let Some(endpoint) = endpoint.filter(|e| e.origin() != origin) {
                return Err(OidcError::Provider(format!(
                    "discovery: {name} `{endpoint}` is not on the issuer's origin `{}`",
                    origin.ascii_serialization()
                )));
            }
        }
        let jwks = self.fetch_jwks(metadata.jwks_uri().as_str()).await?;
        let client = self.client(&metadata);
        Ok(Arc::new(Discovered { metadata, client, jwks }))
    }

    /// Checks the provider answers (discovery and keys).
    pub async fn ready(&self) -> Result<(), OidcError> {
        self.discovered().await.map(|_| ())
    }

    /// Whether discovery and keys are loaded (no network call).
    pub async fn discovery_loaded(&self) -> bool {
        self.discovered.read().await.is_some()
    }

    fn client(&self, metadata: &Metadata) -> Client {
        CoreClient::from_provider_metadata(metadata.clone(), self.client_id.clone(), Some(self.client_secret.clone()))
            .set_redirect_uri(self.redirect_uri.clone())
            .set_auth_type(AuthType::RequestBody)
    }

    /// The issuer, as configured (the callback's `iss` must equal it).
    pub fn issuer(&self) -> &str {
        self.issuer.as_str()
    }

    /// Whether the provider's discovery says every authorization response carries `iss`
    /// (RFC 9207), so that a response without it must be refused. `false` while the provider
    /// cannot be reached (the code exchange then fails anyway).
    pub async fn sends_iss(&self) -> bool {
        self.discovered()
            .await
            .is_ok_and(|d| d.metadata.additional_metadata().authorization_response_iss_parameter_supported)
    }

    /// The authorization URL for a new login transaction: state and nonce of 43 characters from
    /// the OS CSPRNG, PKCE S256, `claims` asking to see `acr` (as an essential claim with the
    /// required levels, if any) and `amr`, and `acr_values` only when configured.
    pub async fn authorization_request(&self, params: AuthorizationParams<'_>) -> Result<Authorization, OidcError> {
        let discovered = self.discovered().await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = discovered
            .client
            .authorize_url(
                openidconnect::core::CoreAuthenticationFlow::AuthorizationCode,
                || CsrfToken::new_random_len(32),
                || Nonce::new_random_len(32),
            )
            .add_scopes(self.extra_scopes.clone())
            .set_pkce_challenge(challenge)
            .add_extra_param(
                "claims",
                match &self.policy_claims {
                    (policy, claims) if *policy == params.required => claims.clone(),
                    _ => claims_request(&params.required),
                },
            );
        for acr in &self.acr_values {
            request = request.add_auth_context_value(AuthenticationContextClass::new(acr.as_str().to_owned()));
        }
        let optional = [
            ("prompt", params.prompt),
            ("idp_hint", params.idp_hint),
            ("login_hint", params.login_hint),
            ("siret_hint", params.siret_hint),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                request = request.add_extra_param(name, value.to_owned());
            }
        }
        let (url, state, nonce) = request.url();
        Ok(Authorization {
            url,
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
        })
    }

    fn jws_alg(&self) -> CoreJwsSigningAlgorithm {
        match self.id_token_alg {
            SigningAlg::ES256 => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            SigningAlg::RS256 => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            SigningAlg::HS256 => CoreJwsSigningAlgorithm::HmacSha256,
        }
    }

    /// Refetches the JWKS after an unknown `kid`, at most once per [`JWKS_REFETCH_INTERVAL`].
    async fn refetch_jwks(&self, discovered: &Arc<Discovered>) -> Result<Arc<Discovered>, OidcError> {
        let mut last = self.refetch.lock().await;
        // Another callback refetched since this one read the keys (a rotation): use them,
        // whatever the rate limit says.
        let current = self.discovered().await?;
        if current.jwks.fetched > discovered.jwks.fetched {
            return Ok(current);
        }
        if last.is_some_and(|t| t.elapsed() < JWKS_REFETCH_INTERVAL) {
            return Err(OidcError::IdToken("signed by an unknown key (JWKS refetch rate-limited)".into()));
        }
        *last = Some(Instant::now());
        let jwks = self.fetch_jwks(discovered.metadata.jwks_uri().as_str()).await?;
        let updated =
            Arc::new(Discovered { metadata: discovered.metadata.clone(), client: discovered.client.clone(), jwks });
        *self.discovered.write().await = Some(updated.clone());
        Ok(updated)
    }

    fn id_token_verifier(&self, jwks: JsonWebKeySet<RingJwk>) -> IdTokenVerifier<'static, RingJwk> {
        IdTokenVerifier::new_confidential_client(
            self.client_id.clone(),
            self.client_secret.clone(),
            self.issuer.clone(),
            jwks,
        )
        .set_allowed_algs([self.jws_alg()])
        .set_time_fn(|| chrono::Utc::now() - chrono::Duration::seconds(LEEWAY_SECONDS))
        .set_issue_time_verifier_fn(|iat| {
            if iat <= chrono::Utc::now() + chrono::Duration::seconds(LEEWAY_SECONDS) {
                Ok(())
            } else {
                Err("issued in the future".into())
            }
        })
        // Every level is accepted here: the required levels are checked by the caller, which
        // explains a refusal to the agent (ProConnect passes the identity provider's level through).
        .set_auth_context_verifier_fn(|_| Ok(()))
    }

    /// Exchanges the code (client_secret_post, with the request's PKCE verifier), verifies the ID
    /// token (with the request's nonce) and the userinfo JWT.
    pub async fn complete(&self, code: String, nonce: &str, pkce_verifier: &str) -> Result<SignIn, OidcError> {
        let mut discovered = self.discovered().await?;
        let token_url = discovered.metadata.token_endpoint().map(|endpoint| endpoint.url().clone());
        let token = discovered
            .client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| OidcError::Provider(format!("the provider publishes no token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(pkce_verifier.to_owned()))
            .request_async(&|request| send_bounded(self.http.clone(), request, token_url.clone()))
            .await
            .map_err(|e| match e {
                // The provider answered with an OAuth error (invalid_grant…): it refused the code.
                openidconnect::RequestTokenError::ServerResponse(_) => {
                    OidcError::TokenRejected(describe_token_error(&e))
                }
                // Unreachable, timed out, or an answer that is not a token response.
                _ => OidcError::Provider(format!("token endpoint: {}", describe_token_error(&e))),
            })?;
        let id_token: &CoreIdToken =
            token.id_token().ok_or_else(|| OidcError::IdToken("the token response has no id_token".into()))?;
        let nonce = Nonce::new(nonce.to_owned());
        let claims = match id_token.claims(&discovered.jwks.id_token, &nonce) {
            Err(ClaimsVerificationError::SignatureVerification(SignatureVerificationError::NoMatchingKey))
                if self.id_token_alg != SigningAlg::HS256 =>
            {
                discovered = self.refetch_jwks(&discovered).await?;
                id_token.claims(&discovered.jwks.id_token, &nonce)
            }
            other => other,
        }
        .map_err(|e| OidcError::IdToken(e.to_string()))?;
        let sub = claims.subject().as_str().to_owned();
        let access_token = token.access_token().secret().clone();
        // ES256, RS256 and HS256 all hash with SHA-256: at_hash is its left half, base64url.
        if let Some(at_hash) = claims.access_token_hash() {
            use base64::Engine;
            use sha2::Digest;
            let digest = sha2::Sha256::digest(access_token.as_bytes());
            let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16]);
            if at_hash.as_str() != expected {
                return Err(OidcError::IdToken("at_hash does not match the access token".into()));
            }
        }
        let userinfo = self.userinfo(&discovered, &access_token, &sub).await?;
        let agent = AgentClaims::from_userinfo(&userinfo).map_err(|e| OidcError::Userinfo(e.to_string()))?;
        Ok(SignIn {
            claims: agent,
            id_token: id_token.to_string(),
            access_token,
            refresh_token: token.refresh_token().map(|t| t.secret().clone()),
            acr: claims.auth_context_ref().map(|a| Acr::parse(a.as_str())),
            amr: claims.auth_method_refs().into_iter().flatten().map(|a| Amr::parse(a.as_str())).collect(),
        })
    }

    async fn userinfo(
        &self,
        discovered: &Discovered,
        access_token: &str,
        sub: &str,
    ) -> Result<Map<String, Value>, OidcError> {
        let url = discovered
            .metadata
            .userinfo_endpoint()
            .ok_or_else(|| OidcError::Userinfo("the provider publishes no userinfo endpoint".into()))?;
        let mut response = self
            .http
            .get(url.url().clone())
            .bearer_auth(access_token)
            .send()
            .await
            .map_err(|e| OidcError::Provider(format!("userinfo: {e}")))?;
        if !response.status().is_success() {
            return Err(OidcError::Userinfo(format!("HTTP {}", response.status())));
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        let body = read_limited(&mut response).await?;
        // Exactly the registered form: a JWT signed with the registered algorithm, or plain JSON.
        let claims = match self.userinfo_alg.signing() {
            Some(alg) => {
                if !content_type.starts_with("application/jwt") {
                    return Err(OidcError::Userinfo(format!(
                        "not a signed JWT (Content-Type `{content_type}`, registered algorithm {alg:?})"
                    )));
                }
                let jwt = std::str::from_utf8(&body).map_err(|_| OidcError::Userinfo("not UTF-8".into()))?.trim();
                self.verify_userinfo(&discovered.jwks, alg, jwt)?
            }
            None => {
                if !content_type.starts_with("application/json") {
                    return Err(OidcError::Userinfo(format!(
                        "not plain JSON (Content-Type `{content_type}`; userinfo is registered unsigned)"
                    )));
                }
                serde_json::from_slice::<Map<String, Value>>(&body)
                    .map_err(|e| OidcError::Userinfo(format!("not a JSON object: {e}")))?
            }
        };
        if claims.get("sub").and_then(Value::as_str) != Some(sub) {
            return Err(OidcError::Userinfo("its `sub` differs from the ID token's".into()));
        }
        Ok(claims)
    }

    fn verify_userinfo(&self, jwks: &Jwks, registered: SigningAlg, jwt: &str) -> Result<Map<String, Value>, OidcError> {
        use jsonwebtoken::{Algorithm, DecodingKey, Validation};
        let fail = |what: String| OidcError::Userinfo(what);
        let header = jsonwebtoken::decode_header(jwt).map_err(|e| fail(format!("malformed JWT: {e}")))?;
        let alg = match registered {
            SigningAlg::ES256 => Algorithm::ES256,
            SigningAlg::RS256 => Algorithm::RS256,
            SigningAlg::HS256 => Algorithm::HS256,
        };
        if header.alg != alg {
            return Err(fail(format!("signed with {:?}, registered algorithm is {alg:?}", header.alg)));
        }
        let secret;
        let key = match registered {
            SigningAlg::HS256 => {
                secret = DecodingKey::from_secret(self.client_secret.secret().as_bytes());
                &secret
            }
            _ => {
                let kid = header.kid.ok_or_else(|| fail("no `kid`".into()))?;
                let (_, key) = jwks
                    .userinfo
                    .iter()
                    .find(|(id, _)| *id == kid)
                    .ok_or_else(|| fail(format!("signed by an unknown key `{kid}`")))?;
                key.as_ref().map_err(|e| fail(format!("unusable key: {e}")))?
            }
        };
        let mut validation = Validation::new(alg);
        validation.leeway = LEEWAY_SECONDS as u64;
        validation.required_spec_claims.clear();
        validation.set_audience(&[self.client_id.as_str()]);
        validation.set_issuer(&[self.issuer.as_str()]);
        jsonwebtoken::decode::<Map<String, Value>>(jwt, key, &validation)
            .map(|data| data.claims)
            .map_err(|e| fail(format!("verification failed: {e}")))
    }

    /// Whether the provider answers right now (a fresh discovery request with a short timeout):
    /// sending the browser to a dead `session/end` would leave the agent signed in.
    pub async fn reachable(&self) -> Result<(), OidcError> {
        let url = format!("{}/.well-known/openid-configuration", self.issuer.as_str());
        let response = self
            .http
            .get(&url)
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .map_err(|e| OidcError::Provider(format!("GET {url}: {e}")))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(OidcError::Provider(format!("GET {url}: HTTP {}", response.status())))
        }
    }

    /// The RP-initiated logout URL (§4), if the provider publishes one.
    pub async fn end_session_url(&self, id_token: &str, state: &str) -> Result<Option<Url>, OidcError> {
        let discovered = self.discovered().await?;
        Ok(discovered.metadata.additional_metadata().end_session_endpoint.clone().map(|mut url| {
            url.query_pairs_mut()
                .append_pair("id_token_hint", id_token)
                .append_pair("state", state)
                .append_pair("post_logout_redirect_uri", self.post_logout_redirect_uri.as_str());
            url
        }))
    }

    /// Revokes a token (RFC 7009; `hint` is `access_token` or `refresh_token`) when the provider
    /// offers revocation.
    pub async fn revoke(&self, token: &str, hint: &str) -> Result<(), OidcError> {
        let discovered = self.discovered().await?;
        let Some(url) = discovered.metadata.additional_metadata().revocation_endpoint.clone() else {
            return Ok(());
        };
        let form = [
            ("token", token),
            ("token_type_hint", hint),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.secret()),
        ];
        let response = self
            .http
            .post(url.as_str())
            .form(&form)
            .send()
            .await
            .map_err(|e| OidcError::Provider(format!("revocation: {e}")))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(OidcError::Provider(format!("revocation: HTTP {}", response.status())))
        }
    }
}

/// The `claims` request parameter: always ask to see `acr` and `amr` in the ID token; when
/// levels are required, `acr` is an essential claim with those values.
fn claims_request(required: &LevelPolicy) -> String {
    let acr = match required.levels() {
        None => Value::Null,
        Some(levels) => {
            let values: Vec<&str> = levels.iter().map(Acr::as_str).collect();
            serde_json::json!({"essential": true, "values": values})
        }
    };
    serde_json::json!({"id_token": {"acr": acr, "amr": {"essential": true}}}).to_string()
}

/// The HTTP client the `openidconnect` crate calls for the token request: reqwest with this
/// relying party's timeouts, no redirects, and a bounded response body. `known` is the token
/// endpoint as parsed at discovery: when the request goes there (it always does), reqwest gets
/// it as is instead of parsing the URL again.
async fn send_bounded(
    http: reqwest::Client,
    request: openidconnect::HttpRequest,
    known: Option<Url>,
) -> Result<openidconnect::HttpResponse, OidcError> {
    let (parts, body) = request.into_parts();
    let builder = match known {
        Some(url) if parts.uri == url.as_str() => http.request(parts.method, url),
        _ => http.request(parts.method, parts.uri.to_string()),
    };
    let mut response =
        builder.headers(parts.headers).body(body).send().await.map_err(|e| OidcError::Provider(e.to_string()))?;
    let status = response.status();
    let headers = std::mem::take(response.headers_mut());
    let body = read_limited(&mut response).await?;
    let mut answer = openidconnect::HttpResponse::new(body);
    *answer.status_mut() = status;
    *answer.headers_mut() = headers;
    Ok(answer)
}

async fn read_limited(response: &mut reqwest::Response) -> Result<Vec<u8>, OidcError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| OidcError::Provider(e.to_string()))? {
        if body.len() + chunk.len() > MAX_PROVIDER_BODY {
            return Err(OidcError::Provider(format!("response larger than {MAX_PROVIDER_BODY} bytes")));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn describe_token_error<E: std::error::Error>(error: &E) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_always_ask_for_acr_and_amr_and_make_required_levels_essential() {
        let seen: Value = serde_json::from_str(&claims_request(&LevelPolicy::Any)).expect("JSON");
        assert_eq!(seen, serde_json::json!({"id_token": {"acr": null, "amr": {"essential": true}}}));
        let required: Value = serde_json::from_str(&claims_request(&LevelPolicy::TwoFactor)).expect("JSON");
        assert_eq!(
            required["id_token"]["acr"],
            serde_json::json!({"essential": true, "values": ["eidas0-mfa", "eidas1-mfa", "eidas2", "eidas3"]})
        );
    }

    /// During a key rotation, a callback that read the keys before another callback refetched
    /// them uses the refetched keys: the refetch rate limit does not fail it.
    #[tokio::test]
    async fn a_callback_holding_stale_keys_uses_the_ones_just_refetched() -> anyhow::Result<()> {
        let running = proconnect_simulator::Simulator::spawn(
            proconnect_simulator::SimulatorConfig::demo(),
            ([127, 0, 0, 1], 0).into(),
        )
        .await?;
        let settings = Settings::default();
        let rp = RelyingParty::new(&settings, &running.issuer().parse()?)?;
        let before = rp.discovered().await?;
        running.simulator.rotate_keys()?;
        let first = rp.refetch_jwks(&before).await?;
        assert!(first.jwks.fetched > before.jwks.fetched, "the first callback refetched");
        let second = rp.refetch_jwks(&before).await?;
        assert_eq!(second.jwks.fetched, first.jwks.fetched, "the second one reuses that refetch");
        Ok(())
    }
}
