//! The agent's claims (§5): mandatory ones typed strictly, optional ones tolerant of the bad data
//! real FI directories send (a malformed optional claim becomes "not provided", never an error).

use crate::Role;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// A SIRET: exactly 14 ASCII digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Siret(String);

/// A SIREN: exactly 9 ASCII digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Siren(String);

/// A SIRET or SIREN that is not the right number of digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not {digits} digits")]
pub struct InvalidNumber {
    /// The rejected value.
    pub value: String,
    /// The number of digits expected.
    pub digits: usize,
}

fn digits(value: &str, count: usize) -> Result<String, InvalidNumber> {
    if value.len() == count && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(value.to_owned())
    } else {
        Err(InvalidNumber { value: value.to_owned(), digits: count })
    }
}

impl Siret {
    /// Validates a SIRET (14 digits, no spaces).
    pub fn parse(value: &str) -> Result<Self, InvalidNumber> {
        digits(value, 14).map(Siret)
    }
    /// The SIREN of the company this establishment belongs to (its first 9 digits).
    pub fn siren(&self) -> Siren {
        Siren(self.0[..9].to_owned())
    }
    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Siren {
    /// Validates a SIREN (9 digits, no spaces).
    pub fn parse(value: &str) -> Result<Self, InvalidNumber> {
        digits(value, 9).map(Siren)
    }
    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Siret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for Siren {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Siret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Siret::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for Siren {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Siren::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// The agent's identity as the FS sees it, built from the userinfo claims. Absent claims are
/// left out of its JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(optional_fields))]
pub struct AgentClaims {
    /// Opaque subject, stable per (identity provider, service): the key to reconcile an agent
    /// with a local account.
    pub sub: String,
    /// First names, separated by spaces.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// Usage family name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usual_name: Option<String>,
    /// Professional email. It can change: reconcile accounts on `sub`, not on email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Identifier at the FI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// Establishment number, when present and well formed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub siret: Option<Siret>,
    /// Company number, when present and well formed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub siren: Option<Siren>,
    /// The organisation's name (ProConnect), returned with `siret`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub organization_label: Option<String>,
    /// Ministry / directorate / service.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organizational_unit: Option<String>,
    /// `agent`, `prestataire`, `partenaire`, `stagiaire`…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub belonging_population: Option<String>,
    /// Free-format phone number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Chorus DT employee number.
    #[serde(rename = "chorusdt:matricule")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chorusdt_matricule: Option<String>,
    /// Chorus DT company.
    #[serde(rename = "chorusdt:societe")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chorusdt_societe: Option<String>,
    /// Which FI authenticated the agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idp_id: Option<String>,
    /// The level the FI reported.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idp_acr: Option<String>,
    /// Whether the agent belongs to a public organisation (ProConnect; empty when not granted).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    #[cfg_attr(feature = "ts", ts(optional = nullable))]
    pub roles: Vec<Role>,
    /// Service-specific object (`{}` when empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional = nullable, type = "unknown"))]
    pub custom: Option<Value>,
}

/// Why claims could not be accepted at all (only `sub` is indispensable).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimsError {
    /// `sub` is missing, empty or not a string.
    #[error("the userinfo response has no usable `sub`")]
    MissingSub,
}

impl AgentClaims {
    /// Builds the claims from a userinfo JSON object, keeping well-formed values and dropping
    /// malformed optional ones (a number where a string is expected, a 13-digit SIRET…).
    pub fn from_userinfo(claims: &Map<String, Value>) -> Result<Self, ClaimsError> {
        let roles = claims.get("roles").and_then(Value::as_array);
        let roles = roles.map(|roles| roles.iter().filter_map(Value::as_str).map(Role::parse).collect());
        Ok(AgentClaims {
            custom: claims.get("custom").filter(|v| v.is_object()).cloned(),
            ..Self::from_fields(|name| claims.get(name).and_then(Value::as_str), roles.unwrap_or_default())?
        })
    }

    /// Builds the claims from `text`, each claim's value when it is a string, and the roles: the
    /// same rules whatever parsed the JSON (values trimmed, empty ones absent, an email without
    /// `@` or a malformed SIRET/SIREN dropped, `sub` required). `custom` is left out.
    pub fn from_fields<S: AsRef<str>>(text: impl Fn(&str) -> Option<S>, roles: Vec<Role>) -> Result<Self, ClaimsError> {
        let text = |name: &str| {
            let value = text(name)?;
            let value = value.as_ref().trim();
            (!value.is_empty()).then(|| value.to_owned())
        };
        Ok(AgentClaims {
            sub: text("sub").ok_or(ClaimsError::MissingSub)?,
            given_name: text("given_name"),
            usual_name: text("usual_name"),
            email: text("email").filter(|e| e.contains('@')),
            uid: text("uid"),
            siret: text("siret").and_then(|v| Siret::parse(&v).ok()),
            siren: text("siren").and_then(|v| Siren::parse(&v).ok()),
            organization_label: text("organization_label"),
            organizational_unit: text("organizational_unit"),
            belonging_population: text("belonging_population"),
            phone_number: text("phone_number"),
            chorusdt_matricule: text("chorusdt:matricule"),
            chorusdt_societe: text("chorusdt:societe"),
            idp_id: text("idp_id"),
            idp_acr: text("idp_acr"),
            roles,
            custom: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().cloned().expect("an object")
    }

    #[test]
    fn siret_requires_fourteen_digits() {
        assert!(Siret::parse("21340126800130").is_ok());
        assert!(Siret::parse("2134012680013").is_err());
        assert!(Siret::parse("213 401 268 00130").is_err());
        assert!(Siret::parse("2134012680013A").is_err());
        assert_eq!(Siret::parse("21340126800130").map(|s| s.siren().to_string()), Ok("213401268".into()));
    }

    #[test]
    fn siren_requires_nine_digits() {
        assert!(Siren::parse("213401268").is_ok());
        assert!(Siren::parse("21340126").is_err());
    }

    #[test]
    fn malformed_optional_claims_become_absent() {
        let claims = AgentClaims::from_userinfo(&object(json!({
            "sub": "abc",
            "given_name": "Angela Claire",
            "usual_name": 42,
            "siret": "123",
            "siren": "213401268",
            "phone_number": null,
            "email": "not-an-email",
            "custom": "not an object",
            "roles": ["agent_public", 3, "agent_public_etat"],
            "organization_label": "",
        })))
        .expect("sub is present");
        assert_eq!(claims.given_name.as_deref(), Some("Angela Claire"));
        assert_eq!(claims.usual_name, None);
        assert_eq!(claims.siret, None);
        assert_eq!(claims.siren.as_ref().map(Siren::as_str), Some("213401268"));
        assert_eq!(claims.phone_number, None);
        assert_eq!(claims.email, None);
        assert_eq!(claims.custom, None);
        assert_eq!(claims.roles, vec![Role::AgentPublic, Role::AgentPublicEtat]);
        assert_eq!(claims.organization_label, None);
        let no_roles = AgentClaims::from_userinfo(&object(json!({"sub": "a", "roles": "agent_public"}))).expect("sub");
        assert!(no_roles.roles.is_empty());
    }

    #[test]
    fn missing_sub_is_an_error() {
        assert_eq!(AgentClaims::from_userinfo(&object(json!({"given_name": "A"}))), Err(ClaimsError::MissingSub));
    }

    #[test]
    fn serialized_claims_deserialize_strictly() {
        let bad = json!({"sub": "a", "siret": "12"});
        assert!(serde_json::from_value::<AgentClaims>(bad).is_err());
    }
}
