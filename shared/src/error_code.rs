//! The platform's error codes (§6), the errors it returns to the callback, and what to tell
//! the agent about each one, in French and English, under either brand.

use crate::Brand;
use serde::{Deserialize, Serialize};

/// An error code AgentConnect shows on its pages or returns to the FS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorCode {
    /// Bad request: wrong or extra parameters.
    Y000400,
    /// Unknown route.
    Y000404,
    /// The FI reported a level other than `eidas1` (AgentConnect 2024 only; ProConnect passes
    /// every level through).
    Y020018,
    /// This FS does not allow this FI.
    Y020023,
    /// Access token expired (60 s).
    Y030025,
    /// `redirect_uri` not among the registered ones.
    Y030031,
    /// AgentConnect session cookie missing.
    Y030110,
    /// `post_logout_redirect_uri` does not match the registered one.
    Y030111,
    /// Invalid FS configuration (e.g. http or localhost URIs in production).
    Y04A586,
    /// FS not allowed to accept private-sector agents.
    Y500015,
}

impl ErrorCode {
    /// Every code, in the contract's order.
    pub const ALL: [ErrorCode; 10] = [
        ErrorCode::Y000400,
        ErrorCode::Y000404,
        ErrorCode::Y020018,
        ErrorCode::Y020023,
        ErrorCode::Y030025,
        ErrorCode::Y030031,
        ErrorCode::Y030110,
        ErrorCode::Y030111,
        ErrorCode::Y04A586,
        ErrorCode::Y500015,
    ];

    /// The code as shown (`Y030031`).
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Y000400 => "Y000400",
            ErrorCode::Y000404 => "Y000404",
            ErrorCode::Y020018 => "Y020018",
            ErrorCode::Y020023 => "Y020023",
            ErrorCode::Y030025 => "Y030025",
            ErrorCode::Y030031 => "Y030031",
            ErrorCode::Y030110 => "Y030110",
            ErrorCode::Y030111 => "Y030111",
            ErrorCode::Y04A586 => "Y04A586",
            ErrorCode::Y500015 => "Y500015",
        }
    }

    /// Parses a code as shown.
    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == code)
    }

    /// What the code means, in plain English.
    pub fn meaning(self) -> &'static str {
        match self {
            ErrorCode::Y000400 => "bad request: wrong or extra parameters",
            ErrorCode::Y000404 => "unknown route",
            ErrorCode::Y020018 => "the identity provider reported a level other than eidas1",
            ErrorCode::Y020023 => "this service does not allow this identity provider",
            ErrorCode::Y030025 => "access token expired",
            ErrorCode::Y030031 => "redirect_uri is not among the registered ones",
            ErrorCode::Y030110 => "the platform's session cookie is missing",
            ErrorCode::Y030111 => "post_logout_redirect_uri does not match the registered one",
            ErrorCode::Y04A586 => "invalid service configuration",
            ErrorCode::Y500015 => "this service may not accept private-sector agents",
        }
    }

    /// The HTTP status AgentConnect answers with.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorCode::Y000404 => 404,
            ErrorCode::Y030025 => 401,
            ErrorCode::Y030110 | ErrorCode::Y020023 | ErrorCode::Y500015 => 403,
            _ => 400,
        }
    }
}

/// A text in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bilingual {
    /// Français.
    pub fr: String,
    /// English.
    pub en: String,
}

impl Bilingual {
    /// Builds a text from its two versions.
    pub fn new(fr: impl Into<String>, en: impl Into<String>) -> Self {
        Bilingual { fr: fr.into(), en: en.into() }
    }
}

/// What to tell the agent: what happened and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    /// A short title.
    pub title: Bilingual,
    /// What happened, in plain words.
    pub happened: Bilingual,
    /// What the agent can do about it.
    pub to_do: Bilingual,
    /// Whether the fault is the service's or the platform's (the agent should contact support).
    pub contact_support: bool,
}

fn explanation(title: (&str, &str), happened: (String, String), to_do: (String, String), support: bool) -> Explanation {
    Explanation {
        title: Bilingual::new(title.0, title.1),
        happened: Bilingual::new(happened.0, happened.1),
        to_do: Bilingual::new(to_do.0, to_do.1),
        contact_support: support,
    }
}

impl ErrorCode {
    /// What to tell the agent who met this code on the platform's pages.
    pub fn explain(self, brand: Brand) -> Explanation {
        let b = brand.name();
        let retry = (
            "Revenez sur le service et reconnectez-vous.".to_owned(),
            "Go back to the service and sign in again.".to_owned(),
        );
        let tell_us = (
            "Contactez le support du service en indiquant ce code.".to_owned(),
            "Contact the service’s support and quote this code.".to_owned(),
        );
        match self {
            ErrorCode::Y000400 | ErrorCode::Y030031 | ErrorCode::Y030111 | ErrorCode::Y04A586 => explanation(
                ("Service mal configuré", "Service misconfigured"),
                (
                    format!("Ce service est mal configuré auprès de {b} : ce n’est pas de votre fait."),
                    format!("This service is misconfigured with {b}: it is not your doing."),
                ),
                tell_us,
                true,
            ),
            ErrorCode::Y000404 => explanation(
                ("Page introuvable", "Page not found"),
                (format!("Cette adresse n’existe pas chez {b}."), format!("This address does not exist at {b}.")),
                retry,
                false,
            ),
            ErrorCode::Y030025 | ErrorCode::Y030110 => explanation(
                ("Session expirée", "Session expired"),
                (
                    format!("Votre connexion à {b} a expiré ou a été ouverte dans un autre navigateur."),
                    format!("Your {b} sign-in expired or was started in another browser."),
                ),
                retry,
                false,
            ),
            ErrorCode::Y020023 | ErrorCode::Y500015 => explanation(
                ("Compte non autorisé", "Account not allowed"),
                (
                    "Ce service n’accepte pas les comptes de votre fournisseur d’identité ou de votre organisation."
                        .to_owned(),
                    "This service does not accept accounts from your identity provider or organisation.".to_owned(),
                ),
                tell_us,
                true,
            ),
            ErrorCode::Y020018 => explanation(
                ("Niveau de sécurité", "Security level"),
                (
                    "Votre fournisseur d’identité n’a pas fourni le niveau de sécurité attendu.".to_owned(),
                    "Your identity provider did not provide the expected security level.".to_owned(),
                ),
                tell_us,
                true,
            ),
        }
    }
}

/// Why the platform answered `access_denied`, read from its `error_description`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessDenied {
    /// The agent cancelled (`User auth aborted`).
    Cancelled,
    /// The level the service required could not be met (`requested ACRs could not be satisfied`).
    LevelNotMet,
    /// The identity was refused: not a public agent, account blocked, or email not allowed
    /// (`authentication aborted due to invalid identity`).
    IdentityRefused,
    /// A technical error on the platform.
    TechnicalError,
    /// No description the kit recognises.
    Unspecified,
}

impl AccessDenied {
    /// Reads the platform's `error_description`.
    pub fn from_description(description: &str) -> Self {
        let d = description.to_ascii_lowercase();
        if d.contains("acr") || d.contains("level") {
            AccessDenied::LevelNotMet
        } else if d.contains("identity") || d.contains("blocked") || d.contains("not allowed") {
            AccessDenied::IdentityRefused
        } else if d.contains("technical") {
            AccessDenied::TechnicalError
        } else if d.contains("abort") || d.contains("cancel") {
            AccessDenied::Cancelled
        } else {
            AccessDenied::Unspecified
        }
    }
}

/// An error the platform returns to the callback (`error=…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CallbackError {
    /// `access_denied`, with its reason.
    AccessDenied(AccessDenied),
    /// `login_required`: silent sign-in (`prompt=none`) without a platform session.
    LoginRequired,
    /// `invalid_scope`: a scope the service is not granted.
    InvalidScope,
    /// `invalid_request`: e.g. an invalid `prompt`.
    InvalidRequest,
    /// `idp_hint_not_found`: an unknown `idp_hint`.
    IdpHintNotFound,
    /// `server_error`.
    ServerError,
    /// Any other name, kept as received.
    Other(String),
}

impl CallbackError {
    /// Reads `error` and `error_description` from the callback.
    pub fn parse(error: &str, description: &str) -> Self {
        match error {
            "access_denied" => CallbackError::AccessDenied(AccessDenied::from_description(description)),
            "login_required" => CallbackError::LoginRequired,
            "invalid_scope" => CallbackError::InvalidScope,
            "invalid_request" => CallbackError::InvalidRequest,
            "idp_hint_not_found" => CallbackError::IdpHintNotFound,
            "server_error" => CallbackError::ServerError,
            other => CallbackError::Other(other.to_owned()),
        }
    }

    /// A stable name for URLs and logs (`access_denied.level_not_met`, `login_required`…).
    pub fn name(&self) -> &'static str {
        match self {
            CallbackError::AccessDenied(AccessDenied::Cancelled) => "access_denied.cancelled",
            CallbackError::AccessDenied(AccessDenied::LevelNotMet) => "access_denied.level_not_met",
            CallbackError::AccessDenied(AccessDenied::IdentityRefused) => "access_denied.identity_refused",
            CallbackError::AccessDenied(AccessDenied::TechnicalError) => "access_denied.technical_error",
            CallbackError::AccessDenied(AccessDenied::Unspecified) => "access_denied",
            CallbackError::LoginRequired => "login_required",
            CallbackError::InvalidScope => "invalid_scope",
            CallbackError::InvalidRequest => "invalid_request",
            CallbackError::IdpHintNotFound => "idp_hint_not_found",
            CallbackError::ServerError => "server_error",
            CallbackError::Other(_) => "provider_error",
        }
    }

    /// Reads a name made by [`CallbackError::name`] (unknown names read as `provider_error`).
    pub fn from_name(name: &str) -> Self {
        match name.split_once('.') {
            Some(("access_denied", reason)) => CallbackError::AccessDenied(match reason {
                "cancelled" => AccessDenied::Cancelled,
                "level_not_met" => AccessDenied::LevelNotMet,
                "identity_refused" => AccessDenied::IdentityRefused,
                "technical_error" => AccessDenied::TechnicalError,
                _ => AccessDenied::Unspecified,
            }),
            _ => match CallbackError::parse(name, "") {
                CallbackError::AccessDenied(_) => CallbackError::AccessDenied(AccessDenied::Unspecified),
                other => other,
            },
        }
    }

    /// Whether the agent caused it (cancelled): an informational notice, not an error.
    pub fn is_users_choice(&self) -> bool {
        matches!(self, CallbackError::AccessDenied(AccessDenied::Cancelled) | CallbackError::LoginRequired)
    }

    /// What to tell the agent.
    pub fn explain(&self, brand: Brand) -> Explanation {
        let b = brand.name();
        let retry = (format!("Vous pouvez vous reconnecter avec {b}."), format!("You can sign in again with {b}."));
        let tell_us = (
            "Si le problème persiste, contactez le support du service.".to_owned(),
            "If it happens again, contact the service’s support.".to_owned(),
        );
        match self {
            CallbackError::AccessDenied(AccessDenied::Cancelled) => explanation(
                ("Connexion annulée", "Sign-in cancelled"),
                (
                    format!("Vous avez annulé la connexion avec {b}."),
                    format!("You cancelled the sign-in with {b}."),
                ),
                retry,
                false,
            ),
            CallbackError::AccessDenied(AccessDenied::LevelNotMet) => explanation(
                ("Niveau de sécurité insuffisant", "Security level not met"),
                (
                    "Ce service demande une connexion plus sûre que celle que votre compte permet (par exemple un second facteur).".to_owned(),
                    "This service requires a stronger sign-in than your account allows (for example a second factor).".to_owned(),
                ),
                (
                    format!("Activez un second facteur (application d’authentification) sur votre compte {b}, puis reconnectez-vous. Sinon, contactez le support."),
                    format!("Set up a second factor (authenticator app) on your {b} account, then sign in again. Otherwise, contact support."),
                ),
                true,
            ),
            CallbackError::AccessDenied(AccessDenied::IdentityRefused) => explanation(
                ("Accès refusé", "Access refused"),
                (
                    format!("{b} a refusé votre identité pour ce service : compte inactif, adresse non autorisée ou organisation non reconnue comme publique."),
                    format!("{b} refused your identity for this service: inactive account, address not allowed, or organisation not recognised as public."),
                ),
                (
                    "Vérifiez que vous utilisez votre adresse professionnelle, ou contactez le support du service.".to_owned(),
                    "Check that you use your work address, or contact the service’s support.".to_owned(),
                ),
                true,
            ),
            CallbackError::AccessDenied(_) => explanation(
                ("Accès refusé", "Access refused"),
                (
                    format!("{b} n’a pas autorisé cette connexion."),
                    format!("{b} did not allow this sign-in."),
                ),
                tell_us,
                true,
            ),
            CallbackError::LoginRequired => explanation(
                ("Connexion nécessaire", "Sign-in needed"),
                (
                    format!("Vous n’êtes pas connecté à {b}."),
                    format!("You are not signed in to {b}."),
                ),
                retry,
                false,
            ),
            CallbackError::InvalidScope | CallbackError::InvalidRequest | CallbackError::IdpHintNotFound => explanation(
                ("Service mal configuré", "Service misconfigured"),
                (
                    format!("{b} a refusé la demande de connexion de ce service : ce n’est pas de votre fait."),
                    format!("{b} refused this service’s sign-in request: it is not your doing."),
                ),
                (
                    "Contactez le support du service en indiquant le code ci-dessous.".to_owned(),
                    "Contact the service’s support and quote the code below.".to_owned(),
                ),
                true,
            ),
            CallbackError::ServerError | CallbackError::Other(_) => explanation(
                ("Erreur technique", "Technical error"),
                (
                    format!("{b} a rencontré une erreur technique."),
                    format!("{b} met a technical error."),
                ),
                (
                    "Réessayez dans quelques minutes. Si le problème persiste, contactez le support du service.".to_owned(),
                    "Try again in a few minutes. If it happens again, contact the service’s support.".to_owned(),
                ),
                true,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_denied_is_read_through_its_description() {
        let read = |d| CallbackError::parse("access_denied", d);
        assert_eq!(read("User auth aborted"), CallbackError::AccessDenied(AccessDenied::Cancelled));
        assert_eq!(
            read("requested ACRs could not be satisfied"),
            CallbackError::AccessDenied(AccessDenied::LevelNotMet)
        );
        assert_eq!(
            read("authentication aborted due to invalid identity"),
            CallbackError::AccessDenied(AccessDenied::IdentityRefused)
        );
        assert_eq!(read(""), CallbackError::AccessDenied(AccessDenied::Unspecified));
        for error in [read("User auth aborted"), read("requested ACRs"), CallbackError::IdpHintNotFound] {
            assert_eq!(CallbackError::from_name(error.name()), error);
        }
    }

    #[test]
    fn only_cancelling_reads_as_the_users_choice_and_proconnect_never_says_agentconnect() {
        let level = CallbackError::AccessDenied(AccessDenied::LevelNotMet);
        assert!(!level.is_users_choice());
        assert!(!level.explain(Brand::ProConnect).happened.fr.contains("annulé"));
        let errors = [
            "access_denied",
            "login_required",
            "invalid_scope",
            "invalid_request",
            "idp_hint_not_found",
            "server_error",
            "x",
        ];
        for error in errors {
            let text = format!("{:?}", CallbackError::parse(error, "").explain(Brand::ProConnect));
            assert!(!text.contains("AgentConnect"), "{text}");
        }
        for code in ErrorCode::ALL {
            let text = format!("{:?}", code.explain(Brand::ProConnect));
            assert!(!text.contains("AgentConnect"), "{text}");
        }
    }

    #[test]
    fn codes_round_trip() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
        }
        assert_eq!(ErrorCode::parse("Y999999"), None);
    }
}
