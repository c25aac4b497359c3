//! The backend's layering, as ARCHITECTURE.md states it, checked on the sources: the protocol
//! (`oidc`, `crypto`) knows no session and no handler, the session knows no protocol, and the
//! handlers reach the shared state through `state`, never through the crate root. (A unit test
//! module: no test binary of its own.)

use std::path::Path;

fn source(module: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(format!("{module}.rs"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The paths `module`'s code names from this crate (`crate::x::…`, `crate::{…}`), its tests
/// included, its comments (doc links) not.
fn crate_paths(module: &str) -> Vec<String> {
    let text: String = source(module)
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .flat_map(|line| [line, "\n"])
        .collect();
    text.match_indices("crate::")
        .map(|(at, _)| {
            text[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '{')
                .collect::<String>()
        })
        .collect()
}

const HANDLERS: [&str; 10] = ["account", "api", "auth", "client_ip", "csrf", "guard", "layer", "ops", "pages", "spa"];

#[test]
fn handlers_import_no_item_of_the_crate_root() {
    for handler in HANDLERS {
        for path in crate_paths(handler) {
            let first = path.trim_end_matches('{');
            let is_module = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(format!("{first}.rs")).exists();
            assert!(
                is_module && !path.ends_with('{'),
                "{handler}.rs names `crate::{path}`: handlers import modules' items (e.g. crate::state::AppState), never the crate root's"
            );
        }
    }
}

#[test]
fn the_session_knows_no_protocol_and_the_protocol_no_session_nor_handler() {
    for path in crate_paths("session") {
        assert!(!["oidc", "crypto"].contains(&path.as_str()), "session.rs depends on the protocol: crate::{path}");
    }
    for protocol in ["oidc", "crypto"] {
        for path in crate_paths(protocol) {
            assert!(
                !path.starts_with("session") && !path.starts_with("state") && !HANDLERS.contains(&path.as_str()),
                "{protocol}.rs depends on a session or web module: crate::{path}"
            );
        }
    }
}
