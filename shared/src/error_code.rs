//! AgentConnect error codes (§6) and the OIDC error names they travel with.

use serde::{Deserialize, Serialize};

/// An error code AgentConnect shows on its pages or returns to the FS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorCode {
    /// Bad request: wrong or extra parameters.
    Y000400,
    /// Unknown route.
    Y000404,
    /// The FI reported a level other than `eidas1`.
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
            ErrorCode::Y030110 => "the AgentConnect session cookie is missing",
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(code));
        }
        assert_eq!(ErrorCode::parse("Y999999"), None);
    }
}
