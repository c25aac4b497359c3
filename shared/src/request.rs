//! Rules of the authorization request both the relying party and the platform apply: the
//! `prompt` values, and what counts as an email address for `login_hint`.

/// `prompt` values ProConnect accepts today.
pub const PROMPTS: [&str; 5] = ["login", "none", "consent", "select_organization", "update_userinfo"];

/// `prompt` values of the 2024 AgentConnect guide.
pub const PROMPTS_2024: [&str; 3] = ["login", "none", "consent"];

/// Whether `prompt` (values separated by one space) uses only `allowed` values, `none` alone.
pub fn is_valid_prompt(prompt: &str, allowed: &[&str]) -> bool {
    let values: Vec<&str> = prompt.split(' ').collect();
    values.iter().all(|v| allowed.contains(v)) && (!values.contains(&"none") || values.len() == 1)
}

/// Whether `text` is an email address as `login_hint` must be: one `@`, something on each side,
/// a dot in the domain, no space.
pub fn is_email(text: &str) -> bool {
    text.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty() && domain.contains('.') && !domain.contains('@') && !text.contains(char::is_whitespace)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompt_values_are_the_contracts_and_none_stands_alone() {
        for ok in ["login", "consent", "none", "select_organization", "update_userinfo", "login consent"] {
            assert!(is_valid_prompt(ok, &PROMPTS), "{ok}");
        }
        for bad in ["none login", "select_account", "", "login  consent"] {
            assert!(!is_valid_prompt(bad, &PROMPTS), "{bad}");
        }
        assert!(!is_valid_prompt("select_organization", &PROMPTS_2024));
    }

    #[test]
    fn login_hints_must_be_email_addresses() {
        assert!(is_email("agent@interieur.gouv.fr"));
        for bad in ["agent", "agent@", "@fia1.fr", "agent@fia1", "a b@fia1.fr", "a@b@fia1.fr"] {
            assert!(!is_email(bad), "{bad}");
        }
    }
}
