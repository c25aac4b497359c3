//! Levels of assurance (`acr`) and the `claims` request: what an FS asks to see or requires, and
//! what it receives under each contract.
//!
//! Under `proconnect` the FI's (or agent's) level is passed through when it is one of
//! [`Acr::SUPPORTED`], otherwise the FS receives `eidas1`; an essential `acr` request whose values
//! do not contain the returned level ends in `access_denied`. `acr_values` is a voluntary request
//! (OpenID Connect Core §3.1.2.1): intersected with the supported levels, never enforced. Under
//! `agentconnect-2024` only `eidas1` exists and essential requests are not read.

use crate::config::Contract;
use proconnect_types::Acr;
use serde_json::Value;

/// The platform's `error_description` when an essential level cannot be met.
pub const LEVEL_NOT_MET: &str = "requested ACRs could not be satisfied";

/// What the `claims` parameter asks about the authentication.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaimsRequest {
    /// `amr` was asked for in the ID token.
    pub want_amr: bool,
    /// The levels of an essential `acr` request (`values`, or a single `value`); `None` when
    /// `acr` is not essential or names no level.
    pub essential_acr: Option<Vec<String>>,
    /// Every level named by the `acr` request, essential or not.
    pub named_acr: Vec<String>,
}

/// Reads the `claims` parameter (a JSON object); `Err` for anything else.
pub fn parse_claims(raw: &str) -> Result<ClaimsRequest, &'static str> {
    let value: Value = serde_json::from_str(raw).map_err(|_| "claims doit être un objet JSON")?;
    if !value.is_object() {
        return Err("claims doit être un objet JSON");
    }
    let want_amr = value.pointer("/id_token/amr").is_some();
    let acr = value.pointer("/id_token/acr").and_then(Value::as_object);
    let mut named = Vec::new();
    if let Some(request) = acr {
        if let Some(level) = request.get("value").and_then(Value::as_str) {
            named.push(level.to_owned());
        }
        if let Some(levels) = request.get("values").and_then(Value::as_array) {
            named.extend(levels.iter().filter_map(Value::as_str).map(str::to_owned));
        }
    }
    let essential = acr.is_some_and(|r| r.get("essential") == Some(&Value::Bool(true)));
    let essential_acr = (essential && !named.is_empty()).then(|| named.clone());
    Ok(ClaimsRequest { want_amr, essential_acr, named_acr: named })
}

/// The supported levels among space-separated `acr_values` (the platform intersects them).
pub fn supported(levels: impl IntoIterator<Item = impl AsRef<str>>) -> Vec<String> {
    levels
        .into_iter()
        .filter(|level| Acr::SUPPORTED.contains(&Acr::parse(level.as_ref())))
        .map(|level| level.as_ref().to_owned())
        .collect()
}

/// The `acr` the FS receives for the level the FI reported.
pub fn returned(contract: Contract, reached: &str) -> String {
    match contract {
        Contract::ProConnect if Acr::SUPPORTED.contains(&Acr::parse(reached)) => reached.to_owned(),
        Contract::ProConnect => "eidas1".to_owned(),
        Contract::AgentConnect2024 => reached.to_owned(),
    }
}

/// Whether a returned level satisfies an essential request (`None`: any level does).
pub fn satisfies(essential: Option<&[String]>, returned: &str) -> bool {
    essential.is_none_or(|levels| levels.iter().any(|level| level == returned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn essential_requests_are_read_in_both_spellings() {
        let request =
            parse_claims(r#"{"id_token":{"amr":null,"acr":{"essential":true,"values":["eidas2","eidas3"]}}}"#)
                .expect("valid");
        assert!(request.want_amr);
        assert_eq!(request.essential_acr, Some(vec!["eidas2".to_owned(), "eidas3".to_owned()]));
        let single = parse_claims(r#"{"id_token":{"acr":{"essential":true,"value":"eidas1-mfa"}}}"#).expect("valid");
        assert_eq!(single.essential_acr, Some(vec!["eidas1-mfa".to_owned()]));
        let voluntary = parse_claims(r#"{"id_token":{"acr":{"values":["eidas2"]}}}"#).expect("valid");
        assert_eq!((voluntary.essential_acr, voluntary.named_acr), (None, vec!["eidas2".to_owned()]));
        let see = parse_claims(r#"{"id_token":{"acr":null}}"#).expect("valid");
        assert_eq!(see, ClaimsRequest::default());
        assert!(parse_claims("[1]").is_err() && parse_claims("amr").is_err());
    }

    #[test]
    fn levels_pass_through_under_proconnect_only_when_supported() {
        assert_eq!(returned(Contract::ProConnect, "eidas2"), "eidas2");
        assert_eq!(returned(Contract::ProConnect, "eidas9"), "eidas1");
        assert_eq!(returned(Contract::ProConnect, "https://proconnect.gouv.fr/assurance/self-asserted"), "eidas1");
        assert_eq!(supported("eidas1 eidas9 eidas2".split(' ')), ["eidas1", "eidas2"]);
        assert!(satisfies(None, "eidas1"));
        assert!(!satisfies(Some(&["eidas1-mfa".to_owned()]), "eidas1"));
    }
}
