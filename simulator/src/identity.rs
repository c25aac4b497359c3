//! Who signed in: the claims, `amr` and `uid` of a provider session's agent, from the configured
//! test agents or, at the test identity provider, from what the tester picked (over the FI's
//! template agent).

use crate::config::{AgentConfig, IdentityProviderConfig, SimulatorConfig};
use crate::store::ProviderSession;
use proconnect_types::Acr;
use serde_json::{Map, Value, json};

/// The agent behind a provider session, resolved for the token and userinfo endpoints.
#[derive(Debug, Clone)]
pub struct Identity<'a> {
    /// The FI.
    pub idp: &'a IdentityProviderConfig,
    /// The identifier at the FI (seed of `sub`).
    pub uid: String,
    /// The `email` claim.
    pub email: String,
    /// The `amr` claim.
    pub amr: Vec<String>,
    /// Every other claim, as configured (malformed values included).
    pub claims: Map<String, Value>,
}

fn claims_of(agent: Option<&AgentConfig>) -> Map<String, Value> {
    agent
        .into_iter()
        .flat_map(|a| &a.claims)
        .filter_map(|(name, value)| Some((name.clone(), serde_json::to_value(value).ok()?)))
        .collect()
}

/// What the test FI reports for a picked level: a second factor for two-factor levels, the smart
/// card for `eidas3`.
fn amr_for(level: &str) -> Vec<String> {
    let acr = Acr::parse(level);
    let methods: &[&str] = match acr {
        Acr::Eidas3 => &["pin", "hwk", "mfa"],
        _ if acr.is_two_factor() => &["pwd", "totp", "mfa"],
        _ => &["pwd"],
    };
    methods.iter().map(|m| (*m).to_owned()).collect()
}

/// The agent of `session`, if its FI and agent still exist.
pub fn identity<'a>(config: &'a SimulatorConfig, session: &ProviderSession) -> Option<Identity<'a>> {
    let idp = config.idp(&session.idp_id)?;
    if idp.tester_picks_identity {
        let template = idp.agents.iter().find(|a| a.email.eq_ignore_ascii_case(&session.login)).or(idp.agents.first());
        let mut claims = claims_of(template);
        if let Some(siret) = &session.siret {
            claims.insert("siret".into(), json!(siret));
            claims.insert("siren".into(), json!(siret.get(..9).unwrap_or_default()));
        }
        return Some(Identity {
            idp,
            uid: session.login.to_ascii_lowercase(),
            email: session.login.clone(),
            amr: amr_for(&session.acr),
            claims,
        });
    }
    let agent = idp.agents.iter().find(|a| a.login == session.login)?;
    Some(Identity {
        idp,
        uid: agent.uid.clone(),
        email: agent.email.clone(),
        amr: agent.amr.clone(),
        claims: claims_of(Some(agent)),
    })
}

/// `sub`: opaque, different for every FS and every FI.
pub fn subject(client_id: &str, idp_id: &str, uid: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(format!("{client_id}\u{0}{idp_id}\u{0}{uid}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_test_fi_reports_what_the_tester_picked_over_its_template() {
        let config = SimulatorConfig::demo();
        let session = ProviderSession {
            idp_id: "fi-test-proconnect".into(),
            login: "Jeanne@test.proconnect.gouv.fr".into(),
            acr: "eidas1-mfa".into(),
            siret: Some("21340126800130".into()),
            auth_time: 0,
            sid: "sid".into(),
            created: std::time::Instant::now(),
        };
        let identity = identity(&config, &session).expect("the demo has the test FI");
        assert_eq!(identity.email, "Jeanne@test.proconnect.gouv.fr");
        assert_eq!(identity.uid, "jeanne@test.proconnect.gouv.fr");
        assert_eq!(identity.amr, ["pwd", "totp", "mfa"]);
        assert_eq!(identity.claims["siret"], "21340126800130");
        assert_eq!(identity.claims["siren"], "213401268");
        assert_eq!(identity.claims["usual_name"], "TESTEUR");
        assert_eq!(amr_for("eidas3"), ["pin", "hwk", "mfa"]);
        assert_eq!(amr_for("eidas1"), ["pwd"]);
    }
}
