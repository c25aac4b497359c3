//! Platforms (§1) and brands.

use serde::{Deserialize, Serialize};

/// Which brand the sign-in button and pages show. Same protocol for both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Brand {
    /// The legacy brand, with its 2024 visual checklist.
    AgentConnect,
    /// Today's brand (the default).
    #[default]
    ProConnect,
}

impl Brand {
    /// The brand's name as displayed.
    pub fn name(self) -> &'static str {
        match self {
            Brand::AgentConnect => "AgentConnect",
            Brand::ProConnect => "ProConnect",
        }
    }

    /// The official site the "Qu'est-ce que…" link opens.
    pub fn info_url(self) -> &'static str {
        match self {
            Brand::AgentConnect => "https://agentconnect.gouv.fr/",
            Brand::ProConnect => "https://www.proconnect.gouv.fr/",
        }
    }

    /// The text of the link under the button.
    pub fn info_text(self) -> &'static str {
        match self {
            Brand::AgentConnect => "Qu’est-ce qu’AgentConnect ?",
            Brand::ProConnect => "Qu’est-ce que ProConnect ?",
        }
    }

    /// The `title` of the link under the button (it opens a new window).
    pub fn info_title(self) -> &'static str {
        match self {
            Brand::AgentConnect => "Qu’est-ce qu’AgentConnect ? - nouvelle fenêtre",
            Brand::ProConnect => "Qu’est-ce que ProConnect ? - nouvelle fenêtre",
        }
    }
}

/// Internet or the State's inter-ministerial network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Network {
    /// The public Internet.
    Internet,
    /// Réseau interministériel de l'État.
    Rie,
}

/// Integration (test) or production.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// Test platform; integration credentials.
    Integration,
    /// Live platform; production credentials, HTTPS redirect URIs only.
    Production,
}

/// One of AgentConnect's four platforms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    /// Integration or production.
    pub environment: Environment,
    /// Internet or RIE.
    pub network: Network,
}

impl Platform {
    /// The platform's domain.
    pub fn domain(self) -> &'static str {
        match (self.environment, self.network) {
            (Environment::Integration, Network::Internet) => "fca.integ01.dev-agentconnect.fr",
            (Environment::Integration, Network::Rie) => "fca.integ02.agentconnect.rie.gouv.fr",
            (Environment::Production, Network::Internet) => "auth.agentconnect.gouv.fr",
            (Environment::Production, Network::Rie) => "auth.agentconnect.rie.gouv.fr",
        }
    }

    /// The issuer, under which every endpoint lives.
    pub fn issuer(self) -> String {
        format!("https://{}/api/v2", self.domain())
    }
}
