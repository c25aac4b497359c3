//! Shared harness for the conformance tests: a simulator on 127.0.0.1 with a test configuration,
//! a browser (cookies, no automatic redirects) and helpers that step through sign-in.
#![allow(dead_code, missing_docs, clippy::unwrap_used)]

use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use proconnect_simulator::{RunningSimulator, SigningAlg, Simulator, SimulatorConfig};
use reqwest::redirect::Policy;
use serde_json::Value;
use std::collections::HashMap;
use url::Url;

/// The 2024 AgentConnect contract: three clients (one per algorithm), a restricted one, and FIs
/// for every error of §6.
pub const CONFIG: &str = r#"
contract = "agentconnect-2024"
brand = "agentconnect"
key_rotation_seconds = 0

[[clients]]
client_id = "fs-es256"
client_secret = "es256-secret-for-tests-only-0123456789"
name = "Service ES256"
home_url = "https://fs-a.example/"
redirect_uris = ["https://fs-a.example/callback"]
post_logout_redirect_uris = ["https://fs-a.example/logged-out"]
alg = "ES256"
scopes = ["openid", "given_name", "usual_name", "email", "uid", "siret", "siren", "organizational_unit",
          "belonging_population", "phone", "chorusdt", "idp_id", "idp_acr", "custom"]

[[clients]]
client_id = "fs-rs256"
client_secret = "rs256-secret-for-tests-only-0123456789"
name = "Service RS256"
home_url = "https://fs-b.example/"
redirect_uris = ["https://fs-b.example/callback"]
post_logout_redirect_uris = ["https://fs-b.example/logged-out"]
alg = "RS256"
scopes = ["openid", "given_name", "usual_name", "email", "uid", "siret"]

[[clients]]
client_id = "fs-hs256"
client_secret = "hs256-secret-for-tests-only-0123456789"
name = "Service HS256"
home_url = "https://fs-c.example/"
redirect_uris = ["https://fs-c.example/callback"]
post_logout_redirect_uris = ["https://fs-c.example/logged-out"]
alg = "HS256"
scopes = ["openid", "given_name", "usual_name", "email", "uid", "siret"]

# Only fia1, accepts private-sector agents, a loopback http URI (Y04A586 in production).
[[clients]]
client_id = "fs-restricted"
client_secret = "restricted-secret-for-tests-only-01234"
name = "Service restreint"
home_url = "http://localhost:3000/"
redirect_uris = ["http://localhost:3000/callback"]
alg = "ES256"
scopes = ["openid", "email"]
allowed_idps = ["fia1", "fi-private"]
accepts_private_sector = true

[[identity_providers]]
idp_id = "fia1"
name = "FI 1"
domains = ["fia1.fr"]

[[identity_providers.agents]]
login = "test"
password = "123"
email = "test@fia1.fr"
uid = "same-uid"
amr = ["pwd"]
[identity_providers.agents.claims]
given_name = "Angela Claire Louise"
usual_name = "DUBOIS"
siret = "21340126800130"
siren = "213401268"
phone_number = "+33 1 23 45 67 89"
"chorusdt:matricule" = "USER_AGC"
"chorusdt:societe" = "CHT"
custom = { service = "tests" }

# The same uid at another FI: `sub` must differ.
[[identity_providers]]
idp_id = "fia2"
name = "FI 2"
domains = ["fia2.fr"]

[[identity_providers.agents]]
login = "test"
password = "456"
email = "test@fia2.fr"
uid = "same-uid"
amr = ["totp", "mfa"]
[identity_providers.agents.claims]
given_name = "Marie"
usual_name = "CURIE"
siret = "11000201100044"

[[identity_providers]]
idp_id = "fi-eidas2"
name = "FI eidas2"
domains = ["eidas2.fr"]
acr = "eidas2"

[[identity_providers.agents]]
login = "test"
password = "123"
email = "test@eidas2.fr"
uid = "e2"

[[identity_providers]]
idp_id = "fi-private"
name = "FI secteur privé"
domains = ["entreprise.fr"]
private_sector = true

[[identity_providers.agents]]
login = "test"
password = "123"
email = "test@entreprise.fr"
uid = "p1"

[[identity_providers]]
idp_id = "proconnect-identite"
name = "ProConnect Identité"
domains = ["yopmail.com"]
proconnect_only = true

[[identity_providers.agents]]
login = "user@yopmail.com"
password = "user@yopmail.com"
email = "user@yopmail.com"
uid = "pc-user"
amr = ["pwd", "mail"]
[identity_providers.agents.claims]
given_name = "Jean"
usual_name = "USER"
siret = "13002526500013"
custom = { service = "demo" }
"#;

/// A simulator on a loopback port.
pub struct Harness {
    pub running: RunningSimulator,
    /// `http://127.0.0.1:<port>`
    pub origin: String,
}

pub fn config() -> SimulatorConfig {
    SimulatorConfig::from_toml(CONFIG).unwrap()
}

pub async fn start() -> Harness {
    start_with(|_| {}).await
}

pub async fn start_with(change: impl FnOnce(&mut SimulatorConfig)) -> Harness {
    let mut config = config();
    change(&mut config);
    start_from(config).await
}

/// A simulator with exactly this configuration.
pub async fn start_from(config: SimulatorConfig) -> Harness {
    let running = Simulator::spawn(config, "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let origin = format!("http://{}", running.addr);
    Harness { running, origin }
}

impl Harness {
    pub fn sim(&self) -> &Simulator {
        &self.running.simulator
    }

    pub fn issuer(&self) -> &str {
        self.running.issuer()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    pub fn secret(&self, client_id: &str) -> String {
        self.sim().config().client(client_id).unwrap().client_secret.clone()
    }

    pub fn redirect_uri(&self, client_id: &str) -> String {
        self.sim().config().client(client_id).unwrap().redirect_uris[0].clone()
    }

    /// The authorize URL for `params`, query-encoded.
    pub fn authorize_url(&self, params: &[(String, String)]) -> String {
        let mut url = Url::parse(&self.url("/api/v2/authorize")).unwrap();
        url.query_pairs_mut().extend_pairs(params);
        url.to_string()
    }

    /// A complete, valid authorization request for `client_id`.
    pub fn params(&self, client_id: &str) -> Params {
        Params(vec![
            ("response_type".into(), "code".into()),
            ("client_id".into(), client_id.into()),
            ("redirect_uri".into(), self.redirect_uri(client_id)),
            ("scope".into(), "openid given_name usual_name email uid siret".into()),
            ("acr_values".into(), "eidas1".into()),
            ("state".into(), "state-0123456789-0123456789-0123456789".into()),
            ("nonce".into(), "nonce-0123456789-0123456789-0123456789".into()),
        ])
    }

    /// Steps from authorize through the mire and the FI; returns the callback URL.
    pub async fn sign_in(
        &self,
        browser: &reqwest::Client,
        params: &Params,
        email: &str,
        login: &str,
        password: &str,
    ) -> Url {
        let mire = self.follow(browser, &self.authorize_url(&params.0)).await;
        assert!(mire.path().starts_with("/interaction/"), "to the mire: {mire}");
        let fi = self.submit(browser, mire.as_str(), &[("email", email)]).await;
        assert!(fi.path().contains("/fi/"), "to the FI: {fi}");
        self.fi_login(browser, &fi, login, password).await
    }

    /// Submits the FI page; returns where it redirects (the callback).
    pub async fn fi_login(&self, browser: &reqwest::Client, fi: &Url, login: &str, password: &str) -> Url {
        let page = browser.get(fi.as_str()).send().await.unwrap();
        assert_eq!(page.status(), 200, "FI page {fi}");
        let mut action = fi.clone();
        action.set_query(None);
        self.submit(browser, action.as_str(), &[("login", login), ("password", password)]).await
    }

    /// GET; expects a redirect and returns its absolute target.
    pub async fn follow(&self, browser: &reqwest::Client, url: &str) -> Url {
        let response = browser.get(url).send().await.unwrap();
        self.location(response).await
    }

    /// POST a form; expects a redirect and returns its absolute target.
    pub async fn submit(&self, browser: &reqwest::Client, url: &str, form: &[(&str, &str)]) -> Url {
        let response = browser.post(url).form(form).send().await.unwrap();
        self.location(response).await
    }

    pub async fn location(&self, response: reqwest::Response) -> Url {
        let status = response.status();
        let location = response.headers().get("location").map(|l| l.to_str().unwrap().to_owned());
        let Some(location) = location else {
            panic!("expected a redirect, got {status}: {}", response.text().await.unwrap_or_default());
        };
        assert!(status.is_redirection(), "{status}");
        Url::parse(&self.origin).unwrap().join(&location).unwrap()
    }

    /// Signs `test@fia1.fr` in for `client_id` and returns the code.
    pub async fn code(&self, browser: &reqwest::Client, params: &Params) -> String {
        let callback = self.sign_in(browser, params, "test@fia1.fr", "test", "123").await;
        query(&callback).remove("code").unwrap_or_else(|| panic!("no code in {callback}"))
    }

    /// POSTs to the token endpoint.
    pub async fn token_request(&self, form: &[(&str, &str)]) -> reqwest::Response {
        reqwest::Client::new().post(self.url("/api/v2/token")).form(form).send().await.unwrap()
    }

    /// Exchanges a code with the client's secret and redirect URI (plus extra fields).
    pub async fn exchange(&self, client_id: &str, code: &str, extra: &[(&str, &str)]) -> reqwest::Response {
        let (secret, redirect_uri) = (self.secret(client_id), self.redirect_uri(client_id));
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("client_id", client_id),
            ("client_secret", &secret),
            ("redirect_uri", &redirect_uri),
            ("code", code),
        ];
        form.extend_from_slice(extra);
        self.token_request(&form).await
    }

    /// A full sign-in for `client_id` with `params`; returns the token response JSON.
    pub async fn tokens(&self, browser: &reqwest::Client, client_id: &str, params: &Params) -> Value {
        let code = self.code(browser, params).await;
        let response = self.exchange(client_id, &code, &[]).await;
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    pub async fn jwks(&self) -> Value {
        reqwest::get(self.url("/api/v2/jwks")).await.unwrap().json().await.unwrap()
    }

    /// Verifies an ID token the way a relying party must: the client's ID token algorithm, a key
    /// from the JWKS (or the client secret for HS256), `iss`, `aud`, `exp`. Returns the claims.
    pub async fn verify(&self, token: &str, client_id: &str) -> Result<Value, jsonwebtoken::errors::Error> {
        let alg = self.sim().config().client(client_id).unwrap().id_token_alg();
        self.verify_with(token, client_id, alg).await
    }

    /// Verifies a userinfo JWT with the client's userinfo algorithm (which must be a signing one).
    pub async fn verify_userinfo(&self, token: &str, client_id: &str) -> Result<Value, jsonwebtoken::errors::Error> {
        let alg = self.sim().config().client(client_id).unwrap().userinfo_alg().signing().expect("a signed userinfo");
        self.verify_with(token, client_id, alg).await
    }

    /// Verifies a JWT signed with `alg` for `client_id`.
    pub async fn verify_with(
        &self,
        token: &str,
        client_id: &str,
        alg: SigningAlg,
    ) -> Result<Value, jsonwebtoken::errors::Error> {
        let client = self.sim().config().client(client_id).unwrap();
        let (alg, key) = match alg {
            SigningAlg::HS256 => (Algorithm::HS256, DecodingKey::from_secret(client.client_secret.as_bytes())),
            alg => {
                let kid = jsonwebtoken::decode_header(token)?.kid.unwrap_or_default();
                let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_value(self.jwks().await).unwrap();
                let jwk = jwks.find(&kid).ok_or(jsonwebtoken::errors::ErrorKind::InvalidKeyFormat)?;
                let alg = if alg == SigningAlg::ES256 { Algorithm::ES256 } else { Algorithm::RS256 };
                (alg, DecodingKey::from_jwk(jwk)?)
            }
        };
        let mut validation = Validation::new(alg);
        validation.set_issuer(&[self.issuer()]);
        validation.set_audience(&[client_id]);
        validation.leeway = 0;
        Ok(jsonwebtoken::decode::<Value>(token, &key, &validation)?.claims)
    }

    /// Userinfo with a bearer token.
    pub async fn userinfo(&self, access_token: &str) -> reqwest::Response {
        reqwest::Client::new().get(self.url("/api/v2/userinfo")).bearer_auth(access_token).send().await.unwrap()
    }
}

/// Authorization request parameters, in order, editable.
#[derive(Clone)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    pub fn set(mut self, name: &str, value: &str) -> Self {
        self.0.retain(|(n, _)| n != name);
        self.0.push((name.into(), value.into()));
        self
    }

    pub fn without(mut self, name: &str) -> Self {
        self.0.retain(|(n, _)| n != name);
        self
    }

    pub fn with(mut self, name: &str, value: &str) -> Self {
        self.0.push((name.into(), value.into()));
        self
    }

    pub fn get(&self, name: &str) -> String {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap_or_default()
    }
}

/// A browser: keeps cookies, never follows redirects.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(Policy::none()).build().unwrap()
}

pub fn query(url: &Url) -> HashMap<String, String> {
    url.query_pairs().into_owned().collect()
}

/// Asserts an AgentConnect error page with this code and status.
pub async fn assert_error_page(response: reqwest::Response, status: u16, code: &str) {
    let actual = response.status().as_u16();
    let body = response.text().await.unwrap();
    assert_eq!(actual, status, "{body}");
    assert!(body.contains(&format!("<strong id=\"error-code\">{code}</strong>")), "expected {code}: {body}");
}

/// The claims of a JWT, unverified (to look at what the simulator sent).
pub fn peek(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

/// The header of a JWT, unverified.
pub fn peek_header(token: &str) -> Value {
    let header = token.split('.').next().unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(header).unwrap()).unwrap()
}
