//! The `roles` claim (ProConnect): whether the agent belongs to a public organisation.

use crate::wire::wire_strings;
use serde::{Deserialize, Serialize};
use std::fmt;

wire_strings! {
    /// One value of the `roles` claim.
    pub enum Role(Other) {
        /// The agent belongs to a public organisation.
        AgentPublic => "agent_public",
        /// … of the State civil service (Fonction publique d’État).
        AgentPublicEtat => "agent_public_etat",
        /// … of the local civil service (Fonction publique territoriale).
        AgentPublicTerritorial => "agent_public_territorial",
        /// … of the hospital civil service (Fonction publique hospitalière).
        AgentPublicHospitalier => "agent_public_hospitalier",
        /// … of a body listed in article L100-3 of the code of relations with the administration.
        AgentPublicL100_3 => "agent_public_L100-3",
        /// A company director.
        Dirigeant => "dirigeant",
    }
}

/// A service's rule on roles: the agent must hold at least one of them. Empty: no rule.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RolePolicy(pub Vec<Role>);

impl RolePolicy {
    /// Whether an agent with these roles may sign in.
    pub fn allows(&self, roles: &[Role]) -> bool {
        self.0.is_empty() || roles.iter().any(|role| self.0.contains(role))
    }

    /// Whether there is a rule at all.
    pub fn is_set(&self) -> bool {
        !self.0.is_empty()
    }
}

impl fmt::Display for RolePolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.0.iter().map(Role::as_str).collect();
        f.write_str(&names.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_unknown_ones_are_kept() {
        for role in Role::KNOWN {
            assert_eq!(&Role::parse(role.as_str()), role);
        }
        let roles: Vec<Role> = serde_json::from_str(r#"["agent_public","agent_public_sante"]"#).expect("strings");
        assert_eq!(roles, vec![Role::AgentPublic, Role::Other("agent_public_sante".into())]);
    }

    #[test]
    fn policy_needs_one_listed_role() {
        let policy = RolePolicy(vec![Role::AgentPublicEtat, Role::AgentPublicTerritorial]);
        assert!(policy.allows(&[Role::AgentPublic, Role::AgentPublicEtat]));
        assert!(!policy.allows(&[Role::AgentPublic]));
        assert!(!policy.allows(&[]));
        assert!(RolePolicy::default().allows(&[]));
    }
}
