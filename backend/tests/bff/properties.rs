//! Property tests (fuzzing with shrinking) over what the backend parses from the outside: the
//! callback's query string, `return_to`, and configuration files. Whatever the input: no panic,
//! no 5xx, and what is accepted is safe.
//!
//! A longer run: `PROPTEST_CASES=20000 cargo test --release -p proconnect-bff --test bff properties::`.

use axum::body::Body;
use axum::http::Request;
use proconnect_bff::App;
use proconnect_bff::auth::safe_return_to;
use proconnect_bff::settings::{SessionStoreSettings, Settings};
use proptest::prelude::*;
use tower::ServiceExt;

/// The router with in-memory sessions and a provider that is never contacted (no login
/// transaction can match, so the callback stops before any network call).
fn router() -> axum::Router {
    let mut settings = Settings::default();
    settings.session.store = SessionStoreSettings::Memory;
    settings.provider.issuer = Some("http://127.0.0.1:9/api/v2".parse().expect("a URL"));
    settings.spa_dir = std::env::temp_dir().join("kit-no-spa");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async { App::new(settings).expect("valid settings").router().await.expect("a router") })
}

fn query_string() -> impl Strategy<Value = String> {
    let part = prop_oneof![
        "[a-z_]{1,12}=[ -~]{0,40}",
        "(state|code|error|error_description)=[%0-9A-Fa-f]{0,30}",
        "[\\PC]{0,20}",
        Just("state=&code=".to_owned()),
    ];
    prop::collection::vec(part, 0..6).prop_map(|parts| parts.join("&"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn the_callback_never_fails_with_a_5xx(query in query_string()) {
        let router = router();
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        let uri = format!("/auth/callback?{}", query.replace(' ', "%20").replace('#', "%23"));
        if let Ok(request) = Request::get(uri.as_str()).body(Body::empty()) {
            let response = runtime.block_on(router.oneshot(request)).expect("infallible");
            prop_assert!(response.status().is_client_error(), "{uri} → {}", response.status());
        }
    }

    #[test]
    fn accepted_return_to_values_stay_on_this_site(candidate in "[/\\\\a-z:.%0-9A-F@?#&=~-]{0,30}") {
        if let Ok(path) = safe_return_to(Some(&candidate)) {
            let base = url::Url::parse("https://service.gouv.fr/").expect("a URL");
            let target = base.join(&path).expect("an accepted path joins");
            prop_assert_eq!(target.origin(), base.origin(), "{} escapes to {}", candidate, target);
        }
    }

    #[test]
    fn configuration_files_load_or_explain(toml in "[a-z_.=\\[\\] \"0-9:/\\n]{0,120}") {
        let file = std::env::temp_dir().join(format!("kit-prop-{}.toml", std::process::id()));
        std::fs::write(&file, &toml).expect("a temp file");
        if let Err(error) = Settings::load(Some(&file)) {
            prop_assert!(!error.to_string().is_empty());
        }
    }
}
