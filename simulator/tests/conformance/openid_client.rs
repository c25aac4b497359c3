//! Interoperability with an unmodified, widely used OpenID Connect library: Node's `openid-client`
//! 6 (the library of ProConnect's reference client `proconnect-gouv/proconnect-test-client`),
//! pinned in `tests/openid-client/package-lock.json` and installed there by `./x setup`.
//!
//! `tests/openid-client/rp.mjs` is a relying party on the library's default settings (discovery,
//! `buildAuthorizationUrl` with state, nonce and PKCE, `authorizationCodeGrant`, `fetchUserInfo`),
//! given only what a deployment registers (issuer, client id and secret with `client_secret_post`,
//! `id_token_signed_response_alg`, `userinfo_signed_response_alg`) plus two switches:
//! `allowInsecureRequests`, because the simulator serves plain http on 127.0.0.1, and
//! `enableNonRepudiationChecks`, without which openid-client 6 checks neither the ID token's nor
//! the userinfo JWT's signature (it trusts TLS). It walks the mire and the test identity provider
//! with `fetch` and prints what it got as JSON. These tests assert on it: ProConnect's rules of today
//! (`../shared/spec/proconnect-today.md`): `acr_values` optional, an essential `acr` claim honoured
//! (`access_denied` for a password-only agent, `eidas1-mfa` for a two-factor one), levels passed
//! through, `sp_name` accepted, `iss` on the callback, ID token and userinfo signed with the
//! client's registered algorithm and verified by the library.

#![allow(clippy::unwrap_used)]

use proconnect_simulator::{Faults, Forgery, RunningSimulator, Simulator, SimulatorConfig};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Clients registered as on the partner portal (ID token and userinfo algorithms apart): ES256,
/// RS256, RS256 ID tokens with ES256 userinfo, and unsigned (JSON) userinfo; a password-only
/// agent and a two-factor agent. `contract` and `brand` are left to their defaults: today's
/// ProConnect platform.
const CONFIG: &str = r#"
key_rotation_seconds = 0

[[clients]]
client_id = "openid-client-es256"
client_secret = "openid-client-es256-secret-for-tests-only"
name = "openid-client ES256"
home_url = "http://127.0.0.1/"
redirect_uris = ["http://127.0.0.1/es256/callback"]
id_token_signed_response_alg = "ES256"
userinfo_signed_response_alg = "ES256"
scopes = ["openid", "given_name", "usual_name", "email", "uid", "siret", "idp_id"]

[[clients]]
client_id = "openid-client-rs256"
client_secret = "openid-client-rs256-secret-for-tests-only"
name = "openid-client RS256"
home_url = "http://127.0.0.1/"
redirect_uris = ["http://127.0.0.1/rs256/callback"]
id_token_signed_response_alg = "RS256"
userinfo_signed_response_alg = "RS256"
scopes = ["openid", "given_name", "usual_name", "email", "uid", "siret", "idp_id"]

[[clients]]
client_id = "openid-client-mixed"
client_secret = "openid-client-mixed-secret-for-tests-only"
name = "openid-client RS256 / ES256"
home_url = "http://127.0.0.1/"
redirect_uris = ["http://127.0.0.1/mixed/callback"]
id_token_signed_response_alg = "RS256"
userinfo_signed_response_alg = "ES256"
scopes = ["openid", "given_name", "usual_name", "email", "uid", "siret", "idp_id"]

[[clients]]
client_id = "openid-client-unsigned"
client_secret = "openid-client-unsigned-secret-for-tests-only"
name = "openid-client ES256 / JSON"
home_url = "http://127.0.0.1/"
redirect_uris = ["http://127.0.0.1/unsigned/callback"]
id_token_signed_response_alg = "ES256"
userinfo_signed_response_alg = "none"
scopes = ["openid", "given_name", "usual_name", "email", "uid", "siret", "idp_id"]

[[identity_providers]]
idp_id = "fi-test"
name = "FI de test"
domains = ["fi-test.fr"]

[[identity_providers.agents]]
login = "mot-de-passe"
password = "secret-1"
email = "mot-de-passe@fi-test.fr"
uid = "agent-pwd"
acr = "eidas1"
amr = ["pwd"]
[identity_providers.agents.claims]
given_name = "Angela"
usual_name = "DUBOIS"
siret = "21340126800130"

[[identity_providers.agents]]
login = "deux-facteurs"
password = "secret-2"
email = "deux-facteurs@fi-test.fr"
uid = "agent-mfa"
acr = "eidas1-mfa"
amr = ["pwd", "totp", "mfa"]
[identity_providers.agents.claims]
given_name = "Marie"
usual_name = "CURIE"
siret = "11000201100044"
"#;

const SCOPE: &str = "openid given_name usual_name email uid siret";

/// A registered client as the relying party knows it: what it gives openid-client.
struct Client {
    id: &'static str,
    secret: &'static str,
    redirect_uri: &'static str,
    /// `id_token_signed_response_alg`.
    id_token_alg: &'static str,
    /// `userinfo_signed_response_alg`; `None`: userinfo registered unsigned (JSON).
    userinfo_alg: Option<&'static str>,
}

const ES256: Client = Client {
    id: "openid-client-es256",
    secret: "openid-client-es256-secret-for-tests-only",
    redirect_uri: "http://127.0.0.1/es256/callback",
    id_token_alg: "ES256",
    userinfo_alg: Some("ES256"),
};

const RS256: Client = Client {
    id: "openid-client-rs256",
    secret: "openid-client-rs256-secret-for-tests-only",
    redirect_uri: "http://127.0.0.1/rs256/callback",
    id_token_alg: "RS256",
    userinfo_alg: Some("RS256"),
};

const MIXED: Client = Client {
    id: "openid-client-mixed",
    secret: "openid-client-mixed-secret-for-tests-only",
    redirect_uri: "http://127.0.0.1/mixed/callback",
    id_token_alg: "RS256",
    userinfo_alg: Some("ES256"),
};

const UNSIGNED: Client = Client {
    id: "openid-client-unsigned",
    secret: "openid-client-unsigned-secret-for-tests-only",
    redirect_uri: "http://127.0.0.1/unsigned/callback",
    id_token_alg: "ES256",
    userinfo_alg: None,
};

/// A test agent: what the browser types, and what the provider must report.
struct Agent {
    email: &'static str,
    login: &'static str,
    password: &'static str,
    uid: &'static str,
    acr: &'static str,
    amr: &'static [&'static str],
    given_name: &'static str,
    usual_name: &'static str,
    siret: &'static str,
}

const PASSWORD_ONLY: Agent = Agent {
    email: "mot-de-passe@fi-test.fr",
    login: "mot-de-passe",
    password: "secret-1",
    uid: "agent-pwd",
    acr: "eidas1",
    amr: &["pwd"],
    given_name: "Angela",
    usual_name: "DUBOIS",
    siret: "21340126800130",
};

const TWO_FACTOR: Agent = Agent {
    email: "deux-facteurs@fi-test.fr",
    login: "deux-facteurs",
    password: "secret-2",
    uid: "agent-mfa",
    acr: "eidas1-mfa",
    amr: &["pwd", "totp", "mfa"],
    given_name: "Marie",
    usual_name: "CURIE",
    siret: "11000201100044",
};

/// What the reference client always asks for: `amr`, as an essential claim.
fn amr_claims() -> Value {
    json!({"id_token": {"amr": {"essential": true}}})
}

/// Requires `eidas1-mfa`, as the brief and the reference client's "force 2FA" do.
fn essential_mfa_claims() -> Value {
    json!({"id_token": {"acr": {"essential": true, "values": ["eidas1-mfa"]}, "amr": {"essential": true}}})
}

/// One sign-in for `rp.mjs`; `extra` adds `acr_values`, `claims` or `sp_name`.
fn run(name: &str, client: &Client, agent: &Agent, extra: Value) -> Value {
    let mut run = json!({
        "name": name,
        "client_id": client.id,
        "client_secret": client.secret,
        "redirect_uri": client.redirect_uri,
        "id_token_signed_response_alg": client.id_token_alg,
        "userinfo_signed_response_alg": client.userinfo_alg,
        "scope": SCOPE,
        "claims": amr_claims(),
        "email": agent.email,
        "login": agent.login,
        "password": agent.password,
    });
    if let (Some(run), Value::Object(extra)) = (run.as_object_mut(), extra) {
        run.extend(extra);
    }
    run
}

fn rp_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join("openid-client")
}

async fn start() -> RunningSimulator {
    let config = SimulatorConfig::from_toml(CONFIG).unwrap();
    Simulator::spawn(config, "127.0.0.1:0".parse().unwrap()).await.unwrap()
}

/// Runs `rp.mjs` for these sign-ins, in order, and returns one result per sign-in.
async fn rp(issuer: &str, runs: Vec<Value>) -> Vec<Value> {
    let dir = rp_dir();
    let installed = dir.join("node_modules").join("openid-client").join("package.json");
    assert!(
        installed.is_file(),
        "openid-client is not installed in {}: run ./x setup (it runs npm ci there)",
        dir.join("node_modules").display()
    );
    let count = runs.len();
    let input = json!({"issuer": issuer, "runs": runs}).to_string();
    let output =
        tokio::task::spawn_blocking(move || Command::new("node").arg("rp.mjs").arg(input).current_dir(dir).output())
            .await
            .unwrap()
            .unwrap_or_else(|e| panic!("cannot run node (Node.js 20 or later; ./x setup installs it): {e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "rp.mjs failed ({}): {stderr}", output.status);
    let results: Vec<Value> = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("rp.mjs printed no JSON ({e}): {}", String::from_utf8_lossy(&output.stdout)));
    assert_eq!(results.len(), count, "one result per sign-in");
    for result in &results {
        let version = result["library"]["version"].as_str().unwrap_or_default();
        assert_eq!(result["library"]["name"], "openid-client");
        assert!(version.starts_with("6."), "openid-client 6 expected, found {version}");
    }
    results
}

/// The result of a sign-in that must have succeeded: the library verified the ID token (signature
/// against the JWKS, alg, iss, aud, exp, nonce), the callback (state, iss) and the PKCE exchange,
/// then fetched and verified the signed userinfo. Checks what it got for `client` and `agent`.
fn assert_signed_in<'a>(result: &'a Value, issuer: &str, client: &Client, agent: &Agent) -> &'a Value {
    let name = &result["name"];
    assert_eq!(result["outcome"], "signed_in", "{name}: {result:#}");
    // The callback (RFC 9207 `iss`, `state`, a code) for the library to check.
    assert_eq!(result["callback"]["iss"], issuer, "{name}: iss on the callback");
    assert!(result["callback"]["code"].is_string(), "{name}");
    assert_eq!(result["authorization_request"]["code_challenge_method"], "S256", "{name}");
    // The ID token: the registered algorithm, a key from the JWKS, the agent's level and methods.
    let id_token = &result["id_token"];
    assert_eq!(id_token["header"]["alg"], client.id_token_alg, "{name}: ID token alg");
    assert!(id_token["header"]["kid"].as_str().is_some_and(|kid| !kid.is_empty()), "{name}: kid");
    let claims = &id_token["claims"];
    assert_eq!(claims["iss"], issuer, "{name}");
    assert_eq!(claims["aud"], client.id, "{name}");
    assert_eq!(claims["acr"], agent.acr, "{name}: acr");
    assert_eq!(claims["amr"], json!(agent.amr), "{name}: amr");
    let sub = claims["sub"].as_str().unwrap_or_default();
    assert!(!sub.is_empty(), "{name}: sub");
    // Client authentication: client_secret_post at the token endpoint.
    let token_call = wire(result, "POST", "/api/v2/token");
    assert_eq!(token_call["status"], 200, "{name}");
    assert_eq!(token_call["client_secret_in_body"], true, "{name}: client_secret_post");
    // Userinfo: a signed JWT on the wire (JSON when registered unsigned), its claims the agent's.
    let userinfo_call = wire(result, "GET", "/api/v2/userinfo");
    assert_eq!(userinfo_call["status"], 200, "{name}");
    let media_type = userinfo_call["content_type"].as_str().unwrap_or_default().split(';').next().unwrap_or_default();
    let expected = if client.userinfo_alg.is_some() { "application/jwt" } else { "application/json" };
    assert_eq!(media_type, expected, "{name}: userinfo media type");
    let userinfo_alg = userinfo_call["jwt_header"]["alg"].as_str();
    assert_eq!(userinfo_alg, client.userinfo_alg, "{name}: userinfo alg");
    let userinfo = &result["userinfo"];
    assert_eq!(userinfo["sub"], sub, "{name}");
    assert_eq!(userinfo["email"], agent.email, "{name}");
    assert_eq!(userinfo["uid"], agent.uid, "{name}");
    assert_eq!(userinfo["given_name"], agent.given_name, "{name}");
    assert_eq!(userinfo["usual_name"], agent.usual_name, "{name}");
    assert_eq!(userinfo["siret"], agent.siret, "{name}");
    claims
}

/// The one request `rp.mjs` saw go to `path` with `method`.
fn wire<'a>(result: &'a Value, method: &str, path: &str) -> &'a Value {
    let calls: Vec<&Value> = result["wire"]
        .as_array()
        .map(|calls| calls.iter().filter(|c| c["method"] == method && c["path"] == path).collect())
        .unwrap_or_default();
    assert_eq!(calls.len(), 1, "{}: one {method} {path} in {:#}", result["name"], result["wire"]);
    calls[0]
}

/// The error the library raised, in a sign-in that must have failed.
fn assert_failed(result: &Value) -> &Value {
    assert_eq!(result["outcome"], "error", "{}: {result:#}", result["name"]);
    &result["error"]
}

#[tokio::test]
async fn signs_in_with_and_without_acr_values_with_es256_and_rs256() {
    let sim = start().await;
    let issuer = sim.issuer();
    let mut runs = Vec::new();
    for client in [&ES256, &RS256] {
        runs.push(run(&format!("{} without acr_values", client.id), client, &PASSWORD_ONLY, json!({})));
        runs.push(run(
            &format!("{} with acr_values=eidas1", client.id),
            client,
            &PASSWORD_ONLY,
            json!({"acr_values": "eidas1"}),
        ));
    }
    // What the reference client sends when configured with ACR_VALUES=eidas1: the list as JSON
    // (the platform intersects acr_values with the levels it knows, so it is tolerated).
    runs.push(run(
        "openid-client-es256 with the reference client's acr_values=[\"eidas1\"]",
        &ES256,
        &PASSWORD_ONLY,
        json!({"acr_values": "[\"eidas1\"]"}),
    ));
    let mut results = rp(issuer, runs).await;
    let reference = results.pop().unwrap();
    assert_eq!(reference["authorization_request"]["acr_values"], "[\"eidas1\"]");
    let reference_sub = assert_signed_in(&reference, issuer, &ES256, &PASSWORD_ONLY)["sub"].clone();
    let mut subs = Vec::new();
    for (result, client) in results.chunks(2).zip([&ES256, &RS256]) {
        let [without, with] = result else { unreachable!() };
        assert!(without["authorization_request"].get("acr_values").is_none(), "{without:#}");
        assert_eq!(with["authorization_request"]["acr_values"], "eidas1");
        let first = assert_signed_in(without, issuer, client, &PASSWORD_ONLY)["sub"].clone();
        let second = assert_signed_in(with, issuer, client, &PASSWORD_ONLY)["sub"].clone();
        // `sub` is stable per (identity provider, service): the reconciliation key.
        assert_eq!(first, second, "{}: the same agent, the same sub", client.id);
        subs.push(first);
    }
    assert_ne!(subs[0], subs[1], "another service, another sub");
    assert_eq!(reference_sub, subs[0]);
}

#[tokio::test]
async fn an_essential_two_factor_level_is_refused_to_a_password_agent_and_granted_to_a_two_factor_agent() {
    let sim = start().await;
    let issuer = sim.issuer();
    let essential = json!({"claims": essential_mfa_claims()});
    let results = rp(
        issuer,
        vec![
            run("ES256 eidas1-mfa required, password only", &ES256, &PASSWORD_ONLY, essential.clone()),
            run("ES256 eidas1-mfa required, two factors", &ES256, &TWO_FACTOR, essential.clone()),
            run("RS256 eidas1-mfa required, two factors", &RS256, &TWO_FACTOR, essential),
            run("RS256 no level required, two factors", &RS256, &TWO_FACTOR, json!({})),
        ],
    )
    .await;
    let [refused, es256, rs256, unrequested] = results.as_slice() else { unreachable!() };

    // The request carried the essential claim, as JSON.
    let sent: Value = serde_json::from_str(refused["authorization_request"]["claims"].as_str().unwrap()).unwrap();
    assert_eq!(sent, essential_mfa_claims());
    // Refused: back to the callback with access_denied and the platform's description; the
    // library raises it as an authorization error (after checking iss and state).
    let error = assert_failed(refused);
    assert_eq!(error["name"], "AuthorizationResponseError", "{refused:#}");
    assert_eq!(error["error"], "access_denied");
    assert_eq!(error["error_description"], "requested ACRs could not be satisfied");
    assert_eq!(refused["callback"]["iss"], issuer);
    assert!(refused["callback"].get("code").is_none(), "no code when the level is not met");
    assert!(refused.get("id_token").is_none());

    // Granted: an ID token at eidas1-mfa, for both algorithms.
    assert_signed_in(es256, issuer, &ES256, &TWO_FACTOR);
    assert_signed_in(rs256, issuer, &RS256, &TWO_FACTOR);
    // Not required, still passed through: the relying party sees the agent's real level.
    let claims = assert_signed_in(unrequested, issuer, &RS256, &TWO_FACTOR);
    assert_eq!(claims["sub"], rs256["id_token"]["claims"]["sub"]);
}

#[tokio::test]
async fn the_reference_clients_sp_name_parameter_is_accepted() {
    let sim = start().await;
    let issuer = sim.issuer();
    let sp_name = "Service de test openid-client (équipe démo)";
    let results =
        rp(issuer, vec![run("ES256 with sp_name", &ES256, &PASSWORD_ONLY, json!({"sp_name": sp_name}))]).await;
    let result = &results[0];
    assert_eq!(result["authorization_request"]["sp_name"], sp_name, "sent as is");
    assert_signed_in(result, issuer, &ES256, &PASSWORD_ONLY);
}

#[tokio::test]
async fn id_token_and_userinfo_algorithms_are_registered_apart() {
    let sim = start().await;
    let issuer = sim.issuer();
    let results = rp(
        issuer,
        vec![
            run("RS256 ID token, ES256 userinfo", &MIXED, &PASSWORD_ONLY, json!({})),
            run("ES256 ID token, unsigned userinfo", &UNSIGNED, &TWO_FACTOR, json!({})),
        ],
    )
    .await;
    assert_signed_in(&results[0], issuer, &MIXED, &PASSWORD_ONLY);
    assert_signed_in(&results[1], issuer, &UNSIGNED, &TWO_FACTOR);
}

/// openid-client 6 checks JWS signatures only when asked to (`enableNonRepudiationChecks`, set
/// by `rp.mjs`); these faults prove that the ID token and the userinfo JWT are really verified,
/// and that a client registered for signed userinfo refuses plain JSON.
#[tokio::test]
async fn forged_signatures_and_unsigned_userinfo_are_refused_by_the_library() {
    let sim = start().await;
    let issuer = sim.issuer();
    const SIGNATURE: &str = "JWT signature verification failed";
    const ALG: &str = "unexpected JWT \"alg\" header parameter";
    // (case, fault, whether the ID token passes, what the library says)
    let cases = [
        (
            "ID token signed by a key outside the JWKS under a published kid",
            Faults { id_token_forgery: Some(Forgery::SpoofedKid), ..Faults::default() },
            false,
            SIGNATURE,
        ),
        (
            "ID token signed with another algorithm than the registered one",
            Faults { id_token_forgery: Some(Forgery::WrongAlg), ..Faults::default() },
            false,
            ALG,
        ),
        (
            "userinfo signed by a key outside the JWKS under a published kid",
            Faults { userinfo_forgery: Some(Forgery::SpoofedKid), ..Faults::default() },
            true,
            SIGNATURE,
        ),
        (
            "userinfo signed with another algorithm than the registered one",
            Faults { userinfo_forgery: Some(Forgery::WrongAlg), ..Faults::default() },
            true,
            ALG,
        ),
        (
            "userinfo as plain JSON",
            Faults { userinfo_not_jwt: true, ..Faults::default() },
            true,
            "JWT UserInfo Response expected",
        ),
    ];
    for client in [&ES256, &RS256] {
        for (case, faults, id_token_accepted, why) in &cases {
            sim.simulator.set_faults(faults.clone());
            let name = format!("{}: {case}", client.id);
            let results = rp(issuer, vec![run(&name, client, &PASSWORD_ONLY, json!({}))]).await;
            let result = &results[0];
            let error = assert_failed(result);
            assert_eq!(error["name"], "ClientError", "{name}: {error:#}");
            let said = [&error["message"], &error["cause"]].map(|v| v.as_str().unwrap_or_default());
            assert!(said.iter().any(|s| s.contains(why)), "{name}: expected \"{why}\" in {error:#}");
            assert!(result["callback"]["code"].is_string(), "{name}: the sign-in reached the callback");
            assert_eq!(result.get("id_token").is_some(), *id_token_accepted, "{name}: {result:#}");
            assert!(result.get("userinfo").is_none(), "{name}");
        }
    }
    // The same simulator without faults: the same sign-in goes through.
    sim.simulator.set_faults(Faults::default());
    let results = rp(issuer, vec![run("ES256 faithful", &ES256, &PASSWORD_ONLY, json!({}))]).await;
    assert_signed_in(&results[0], issuer, &ES256, &PASSWORD_ONLY);
}
