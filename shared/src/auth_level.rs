//! Authentication levels (`acr`), methods (`amr`) and the level a service requires.
//!
//! ProConnect returns the identity provider's level in the ID token's `acr`. A relying party
//! must accept every level it did not forbid: parsing never fails, an unknown level is kept as
//! [`Acr::Unknown`].

use crate::wire::wire_strings;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

wire_strings! {
    /// A level of assurance (`acr`), as ProConnect publishes them in `acr_values_supported`.
    pub enum Acr(Unknown) {
        /// Declarative identity, password.
        Eidas0 => "eidas0",
        /// Declarative identity, password and a second factor the user manages.
        Eidas0Mfa => "eidas0-mfa",
        /// Verified identity, password (the only level of the 2024 AgentConnect guide).
        Eidas1 => "eidas1",
        /// Verified identity, password and a second factor the user manages.
        Eidas1Mfa => "eidas1-mfa",
        /// A second factor managed by the organisation.
        Eidas2 => "eidas2",
        /// The agent's smart card (PIN and certificate).
        Eidas3 => "eidas3",
        /// A verified company director (ProConnect Identité and FranceConnect).
        CertificationDirigeant => "https://proconnect.gouv.fr/assurance/certification-dirigeant",
        /// Older documents' `…/assurance/self-asserted`.
        SelfAsserted => "https://proconnect.gouv.fr/assurance/self-asserted",
        /// Older documents' `…/assurance/self-asserted-2fa`.
        SelfAsserted2fa => "https://proconnect.gouv.fr/assurance/self-asserted-2fa",
        /// Older documents' `…/assurance/consistency-checked`.
        ConsistencyChecked => "https://proconnect.gouv.fr/assurance/consistency-checked",
        /// Older documents' `…/assurance/consistency-checked-2fa`.
        ConsistencyChecked2fa => "https://proconnect.gouv.fr/assurance/consistency-checked-2fa",
    }
}

const ASSURANCE: &str = "https://proconnect.gouv.fr/assurance/";

impl Acr {
    /// The levels ProConnect publishes in `acr_values_supported`.
    pub const SUPPORTED: [Acr; 7] = [
        Acr::Eidas0,
        Acr::Eidas0Mfa,
        Acr::Eidas1,
        Acr::Eidas1Mfa,
        Acr::Eidas2,
        Acr::Eidas3,
        Acr::CertificationDirigeant,
    ];

    /// The levels that prove a second factor: what "two-factor" means to ProConnect.
    pub const TWO_FACTOR: [Acr; 4] = [Acr::Eidas0Mfa, Acr::Eidas1Mfa, Acr::Eidas2, Acr::Eidas3];

    /// A short name for people: `eidas1-mfa`, `certification-dirigeant`.
    pub fn short_name(&self) -> &str {
        self.as_str().strip_prefix(ASSURANCE).unwrap_or(self.as_str())
    }

    /// Whether this level proves a second factor ([`Acr::TWO_FACTOR`]).
    pub fn is_two_factor(&self) -> bool {
        Acr::TWO_FACTOR.contains(self)
    }

    /// What the level means, in French and English.
    pub fn describe(&self) -> (&'static str, &'static str) {
        match self {
            Acr::Eidas0 | Acr::SelfAsserted => ("mot de passe, identité déclarée", "password, self-declared identity"),
            Acr::Eidas0Mfa | Acr::SelfAsserted2fa => (
                "mot de passe et second facteur, identité déclarée",
                "password and second factor, self-declared identity",
            ),
            Acr::Eidas1 | Acr::ConsistencyChecked => ("mot de passe", "password"),
            Acr::Eidas1Mfa | Acr::ConsistencyChecked2fa => {
                ("mot de passe et second facteur", "password and second factor")
            }
            Acr::Eidas2 => ("second facteur géré par l’organisation", "second factor managed by the organisation"),
            Acr::Eidas3 => ("carte agent (code PIN et certificat)", "agent smart card (PIN and certificate)"),
            Acr::CertificationDirigeant => ("dirigeant d’entreprise certifié", "certified company director"),
            Acr::Unknown(_) => ("niveau inconnu", "unknown level"),
        }
    }
}

impl FromStr for Acr {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Acr::parse(s))
    }
}

wire_strings! {
    /// An authentication method reference (`amr`); several may be combined.
    pub enum Amr(Other) {
        /// Password.
        Pwd => "pwd",
        /// Magic link by email.
        Mail => "mail",
        /// One-time code.
        Otp => "otp",
        /// Time-based one-time code (authenticator app).
        Totp => "totp",
        /// A PIN (smart card).
        Pin => "pin",
        /// Proof of possession (passkey).
        Pop => "pop",
        /// Hardware key.
        Hwk => "hwk",
        /// Software key.
        Swk => "swk",
        /// Multi-factor.
        Mfa => "mfa",
    }
}

/// The levels a service requires: in its settings, or for one sign-in (step-up).
///
/// Written `any`, `two-factor`, `certification-dirigeant`, or a list of levels separated by
/// spaces or commas (`eidas2 eidas3`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum LevelPolicy {
    /// Every level is accepted (ProConnect's rule when a service sets nothing).
    #[default]
    Any,
    /// A level in [`Acr::TWO_FACTOR`].
    TwoFactor,
    /// [`Acr::CertificationDirigeant`].
    CertificationDirigeant,
    /// Exactly one of these levels.
    OneOf(Vec<Acr>),
}

/// A level policy that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a level policy: write `any`, `two-factor`, `certification-dirigeant` or levels such as `eidas1-mfa eidas2`"
)]
pub struct InvalidLevelPolicy(pub String);

impl LevelPolicy {
    /// Reads a policy. A list names at least one known level (unknown ones are refused).
    pub fn parse(value: &str) -> Result<Self, InvalidLevelPolicy> {
        let invalid = || InvalidLevelPolicy(value.to_owned());
        match value.trim() {
            "" | "any" => Ok(LevelPolicy::Any),
            "two-factor" => Ok(LevelPolicy::TwoFactor),
            "certification-dirigeant" => Ok(LevelPolicy::CertificationDirigeant),
            list => {
                let mut levels = Vec::new();
                for name in list.split([' ', ',']).filter(|n| !n.is_empty()) {
                    let acr = match Acr::parse(name) {
                        Acr::Unknown(short) if short == "certification-dirigeant" => Acr::CertificationDirigeant,
                        Acr::Unknown(_) => return Err(invalid()),
                        acr => acr,
                    };
                    if !levels.contains(&acr) {
                        levels.push(acr);
                    }
                }
                if levels.is_empty() {
                    return Err(invalid());
                }
                Ok(LevelPolicy::OneOf(levels))
            }
        }
    }

    /// The policy for one sign-in that asks for `requested` under a service whose policy is
    /// `self`: `requested` when it is at least as strict, `self` when it asks for nothing; `None`
    /// when it would accept a level `self` forbids.
    pub fn tightened_by(&self, requested: &LevelPolicy) -> Option<LevelPolicy> {
        match requested {
            LevelPolicy::Any => Some(self.clone()),
            requested if requested.is_within(self) => Some(requested.clone()),
            _ => None,
        }
    }

    /// What an agent whose level falls short can do, in French and English.
    pub fn advice(&self, brand: crate::Brand) -> (String, String) {
        let b = brand.name();
        let levels = self.levels().unwrap_or_default();
        if levels.iter().any(Acr::is_two_factor) {
            (
                format!(
                    "Activez un second facteur sur votre compte {b} (par exemple une application d’authentification), puis reconnectez-vous."
                ),
                format!(
                    "Set up a second factor on your {b} account (for example an authenticator app), then sign in again."
                ),
            )
        } else if levels == [Acr::CertificationDirigeant] {
            (
                format!(
                    "Reconnectez-vous avec {b} en tant que dirigeant de votre entreprise, identité certifiée par FranceConnect."
                ),
                format!(
                    "Sign in again with {b} as your company's director, with an identity certified through FranceConnect."
                ),
            )
        } else {
            (
                "Reconnectez-vous avec un compte de ce niveau, ou demandez au support du service.".to_owned(),
                "Sign in again with an account of that level, or ask the service's support.".to_owned(),
            )
        }
    }

    /// The levels to request as essential, or `None` when any level will do.
    pub fn levels(&self) -> Option<Vec<Acr>> {
        match self {
            LevelPolicy::Any => None,
            LevelPolicy::TwoFactor => Some(Acr::TWO_FACTOR.to_vec()),
            LevelPolicy::CertificationDirigeant => Some(vec![Acr::CertificationDirigeant]),
            LevelPolicy::OneOf(levels) => Some(levels.clone()),
        }
    }

    /// Whether a returned level satisfies the policy. An absent level satisfies only `any`.
    pub fn allows(&self, acr: Option<&Acr>) -> bool {
        match (self.levels(), acr) {
            (None, _) => true,
            (Some(levels), Some(acr)) => levels.contains(acr),
            (Some(_), None) => false,
        }
    }

    /// Whether every level this policy allows, `other` allows too (so signing in under `self`
    /// also satisfies `other`).
    pub fn is_within(&self, other: &LevelPolicy) -> bool {
        match (self.levels(), other.levels()) {
            (_, None) => true,
            (None, Some(_)) => false,
            (Some(mine), Some(theirs)) => mine.iter().all(|acr| theirs.contains(acr)),
        }
    }

    /// What the policy asks for, in French and English.
    pub fn describe(&self) -> (String, String) {
        match self {
            LevelPolicy::Any => ("tout niveau".into(), "any level".into()),
            LevelPolicy::TwoFactor => (
                "une connexion à deux facteurs (mot de passe et second facteur)".into(),
                "a two-factor sign-in (password and a second factor)".into(),
            ),
            LevelPolicy::CertificationDirigeant => {
                ("un dirigeant d’entreprise certifié".into(), "a certified company director".into())
            }
            LevelPolicy::OneOf(levels) => {
                let names: Vec<&str> = levels.iter().map(Acr::short_name).collect();
                (format!("l’un des niveaux {}", names.join(", ")), format!("one of the levels {}", names.join(", ")))
            }
        }
    }
}

impl fmt::Display for LevelPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LevelPolicy::Any => f.write_str("any"),
            LevelPolicy::TwoFactor => f.write_str("two-factor"),
            LevelPolicy::CertificationDirigeant => f.write_str("certification-dirigeant"),
            LevelPolicy::OneOf(levels) => {
                let names: Vec<&str> = levels.iter().map(Acr::as_str).collect();
                f.write_str(&names.join(" "))
            }
        }
    }
}

impl FromStr for LevelPolicy {
    type Err = InvalidLevelPolicy;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        LevelPolicy::parse(s)
    }
}

impl Serialize for LevelPolicy {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for LevelPolicy {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        LevelPolicy::parse(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_level_round_trips_and_unknown_ones_are_kept() {
        for acr in Acr::KNOWN {
            assert_eq!(&Acr::parse(acr.as_str()), acr);
        }
        assert_eq!(Acr::parse("eidas9"), Acr::Unknown("eidas9".into()));
        assert_eq!(Acr::parse(""), Acr::Unknown(String::new()));
        assert_eq!(Acr::CertificationDirigeant.short_name(), "certification-dirigeant");
    }

    #[test]
    fn two_factor_is_exactly_the_documented_set() {
        let two_factor: Vec<&str> = Acr::KNOWN.iter().filter(|a| a.is_two_factor()).map(|a| a.as_str()).collect();
        assert_eq!(two_factor, ["eidas0-mfa", "eidas1-mfa", "eidas2", "eidas3"]);
        assert!(!Acr::Unknown("eidas1-mfa ".into()).is_two_factor());
    }

    #[test]
    fn policies_parse_and_decide() {
        assert_eq!(LevelPolicy::parse("any"), Ok(LevelPolicy::Any));
        let two = LevelPolicy::parse("two-factor").expect("keyword");
        assert!(two.allows(Some(&Acr::Eidas1Mfa)));
        assert!(!two.allows(Some(&Acr::Eidas1)));
        assert!(!two.allows(None));
        let list = LevelPolicy::parse("eidas2, eidas3").expect("list");
        assert_eq!(list, LevelPolicy::OneOf(vec![Acr::Eidas2, Acr::Eidas3]));
        assert!(list.is_within(&two));
        assert!(!two.is_within(&list));
        assert!(two.is_within(&LevelPolicy::Any));
        assert!(!LevelPolicy::Any.is_within(&two));
        assert_eq!(
            LevelPolicy::parse("certification-dirigeant eidas3"),
            Ok(LevelPolicy::OneOf(vec![Acr::CertificationDirigeant, Acr::Eidas3]))
        );
        assert!(LevelPolicy::parse("eidas9").is_err());
        assert!(LevelPolicy::parse(",").is_err(), "an empty list would refuse everyone");
        assert_eq!(two.tightened_by(&LevelPolicy::Any), Some(two.clone()));
        assert_eq!(two.tightened_by(&list), Some(list.clone()));
        assert_eq!(list.tightened_by(&two), None);
        assert_eq!(LevelPolicy::Any.tightened_by(&two), Some(two.clone()));
        assert!(LevelPolicy::parse("2fa").is_err());
        assert_eq!(LevelPolicy::parse(&list.to_string()), Ok(list));
    }

    #[test]
    fn amr_keeps_unknown_methods() {
        let parsed: Vec<Amr> = serde_json::from_str(r#"["pwd","totp","face"]"#).expect("strings");
        assert_eq!(parsed, vec![Amr::Pwd, Amr::Totp, Amr::Other("face".into())]);
        assert_eq!(serde_json::to_string(&parsed).expect("json"), r#"["pwd","totp","face"]"#);
    }
}
