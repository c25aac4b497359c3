//! Scopes of the contract (§5, and those ProConnect added) and the claims each one grants.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// One scope an FS may request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Scope {
    Openid,
    GivenName,
    UsualName,
    Email,
    Uid,
    Siret,
    Siren,
    OrganizationLabel,
    OrganizationalUnit,
    BelongingPopulation,
    Phone,
    Chorusdt,
    IdpId,
    IdpAcr,
    Roles,
    Custom,
}

impl Scope {
    /// Every scope, in the contract's order.
    pub const ALL: [Scope; 16] = [
        Scope::Openid,
        Scope::GivenName,
        Scope::UsualName,
        Scope::Email,
        Scope::Uid,
        Scope::Siret,
        Scope::Siren,
        Scope::OrganizationLabel,
        Scope::OrganizationalUnit,
        Scope::BelongingPopulation,
        Scope::Phone,
        Scope::Chorusdt,
        Scope::IdpId,
        Scope::IdpAcr,
        Scope::Roles,
        Scope::Custom,
    ];

    /// The scope's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Openid => "openid",
            Scope::GivenName => "given_name",
            Scope::UsualName => "usual_name",
            Scope::Email => "email",
            Scope::Uid => "uid",
            Scope::Siret => "siret",
            Scope::Siren => "siren",
            Scope::OrganizationLabel => "organization_label",
            Scope::OrganizationalUnit => "organizational_unit",
            Scope::BelongingPopulation => "belonging_population",
            Scope::Phone => "phone",
            Scope::Chorusdt => "chorusdt",
            Scope::IdpId => "idp_id",
            Scope::IdpAcr => "idp_acr",
            Scope::Roles => "roles",
            Scope::Custom => "custom",
        }
    }

    /// The claims this scope grants in the userinfo response.
    pub fn claims(self) -> &'static [&'static str] {
        match self {
            Scope::Openid => &["sub"],
            Scope::Phone => &["phone_number"],
            Scope::Chorusdt => &["chorusdt:matricule", "chorusdt:societe"],
            other => std::slice::from_ref(match other {
                Scope::GivenName => &"given_name",
                Scope::UsualName => &"usual_name",
                Scope::Email => &"email",
                Scope::Uid => &"uid",
                Scope::Siret => &"siret",
                Scope::Siren => &"siren",
                Scope::OrganizationLabel => &"organization_label",
                Scope::OrganizationalUnit => &"organizational_unit",
                Scope::BelongingPopulation => &"belonging_population",
                Scope::IdpId => &"idp_id",
                Scope::IdpAcr => &"idp_acr",
                Scope::Roles => &"roles",
                _ => &"custom",
            }),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A scope name the contract does not define.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown scope `{0}`")]
pub struct UnknownScope(pub String);

impl FromStr for Scope {
    type Err = UnknownScope;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL.into_iter().find(|scope| scope.as_str() == s).ok_or_else(|| UnknownScope(s.to_owned()))
    }
}

/// A set of scopes; always contains `openid` once parsed from the wire.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Scopes(pub Vec<Scope>);

impl Scopes {
    /// The mandatory scopes every FI provides (§5).
    pub fn mandatory() -> Self {
        Scopes(vec![Scope::Openid, Scope::GivenName, Scope::UsualName, Scope::Email, Scope::Uid, Scope::Siret])
    }

    /// Parses a space- or `+`-separated scope list, as the authorize endpoint receives it.
    pub fn parse(s: &str) -> Result<Self, UnknownScope> {
        let mut scopes: Vec<Scope> =
            s.split([' ', '+']).filter(|part| !part.is_empty()).map(str::parse).collect::<Result<_, _>>()?;
        scopes.sort();
        scopes.dedup();
        Ok(Scopes(scopes))
    }

    /// Whether `scope` is in the set.
    pub fn contains(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.0.iter().map(|s| s.as_str()).collect();
        f.write_str(&names.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_space_and_plus_separated_lists() {
        let scopes = Scopes::parse("openid+email given_name").expect("valid scopes");
        assert_eq!(scopes.0, vec![Scope::Openid, Scope::GivenName, Scope::Email]);
    }

    #[test]
    fn rejects_unknown_scope() {
        assert_eq!(Scopes::parse("openid profile"), Err(UnknownScope("profile".into())));
    }

    #[test]
    fn round_trips_every_scope_name() {
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>(), Ok(scope));
        }
    }
}
