//! TypeScript declarations of the JSON the backend-for-frontend serves (feature `ts`), generated
//! from the Rust types with `ts-rs`, serde's renames and omitted fields included: a TypeScript
//! SPA reads `/api/me`, `/api/config` and errors with the very types the backend serializes.

use crate::{Acr, AgentClaims, Amr, ApiError, Brand, Me, PublicConfig, Role, Siren, Siret};
use ts_rs::{Config, TS};

/// The first line of the generated file.
pub const HEADER: &str = "// Generated from the Rust types of proconnect-types (feature `ts`): do not edit.";

/// One TypeScript module declaring [`Me`], [`PublicConfig`], [`ApiError`] and every type they
/// contain (`Unix seconds` as `number`).
pub fn bindings() -> String {
    let cfg = Config::new().with_large_int("number");
    let mut out = format!("{HEADER}\n");
    for decl in [
        declare::<Me>(&cfg),
        declare::<AgentClaims>(&cfg),
        declare::<Acr>(&cfg),
        declare::<Amr>(&cfg),
        declare::<Role>(&cfg),
        declare::<Brand>(&cfg),
        declare::<Siret>(&cfg),
        declare::<Siren>(&cfg),
        declare::<PublicConfig>(&cfg),
        declare::<ApiError>(&cfg),
    ] {
        out.push('\n');
        out.push_str(&decl);
        out.push('\n');
    }
    out
}

fn declare<T: TS>(cfg: &Config) -> String {
    format!("{}export {}", T::docs().unwrap_or_default(), T::decl(cfg))
}

#[cfg(test)]
mod tests {
    use super::bindings;

    #[test]
    fn the_bindings_keep_serdes_names_and_omitted_fields() {
        let ts = bindings();
        assert!(ts.contains("\"chorusdt:matricule\"?: string"), "{ts}");
        assert!(ts.contains("given_name?: string"), "{ts}");
        assert!(ts.contains("acr: Acr | null"), "{ts}");
        assert!(ts.contains("expires_at: number"), "{ts}");
        assert!(ts.contains("export type Brand = \"agentconnect\" | \"proconnect\";"), "{ts}");
        assert!(ts.contains("\"eidas1\" |"), "{ts}");
        assert!(ts.contains("message_fr: string"), "{ts}");
        assert!(ts.contains("step_up?: string"), "{ts}");
        assert!(ts.contains("roles?: Array<Role>"), "{ts}");
        assert!(ts.contains("custom?: unknown"), "{ts}");
    }
}
