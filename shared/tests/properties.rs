//! Property tests (fuzzing with shrinking) over everything the kit parses from the outside:
//! userinfo claims, scope lists, SIRET/SIREN and error codes. Whatever the input, parsing never
//! panics, and what it accepts is well formed.
//!
//! The test command runs the default number of cases; a longer run:
//! `PROPTEST_CASES=200000 cargo test --release -p proconnect-types --test properties`.

use proconnect_types::{AgentClaims, ErrorCode, Scopes, Siren, Siret};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Arbitrary JSON values, nested a little, with the strings userinfo claims tend to carry.
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
        "[0-9 ]{0,16}".prop_map(Value::from),
        ".{0,24}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(".{0,8}", inner, 0..4).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

const CLAIM_NAMES: [&str; 16] = [
    "sub",
    "given_name",
    "usual_name",
    "email",
    "uid",
    "siret",
    "siren",
    "organizational_unit",
    "belonging_population",
    "phone_number",
    "chorusdt:matricule",
    "chorusdt:societe",
    "idp_id",
    "idp_acr",
    "custom",
    "unexpected",
];

fn userinfo() -> impl Strategy<Value = Map<String, Value>> {
    prop::collection::vec((prop::sample::select(&CLAIM_NAMES[..]), json_value()), 0..16)
        .prop_map(|pairs| pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, ..ProptestConfig::default() })]

    #[test]
    fn claims_never_panic_and_keep_only_well_formed_values(claims in userinfo()) {
        match AgentClaims::from_userinfo(&claims) {
            Ok(agent) => {
                prop_assert_eq!(Some(agent.sub.as_str()), claims.get("sub").and_then(Value::as_str).map(str::trim));
                if let Some(siret) = &agent.siret {
                    prop_assert!(Siret::parse(siret.as_str()).is_ok());
                }
                if let Some(email) = &agent.email {
                    prop_assert!(email.contains('@'));
                }
                // What the backend serves deserializes back strictly.
                let round_trip: AgentClaims = serde_json::from_value(serde_json::to_value(&agent).expect("serializes")).expect("deserializes");
                prop_assert_eq!(round_trip, agent);
            }
            Err(_) => prop_assert!(claims.get("sub").and_then(Value::as_str).is_none_or(|s| s.trim().is_empty())),
        }
    }

    #[test]
    fn siret_and_siren_accept_exactly_their_digit_counts(value in "[0-9a-z ]{0,16}") {
        let digits = value.bytes().all(|b| b.is_ascii_digit());
        prop_assert_eq!(Siret::parse(&value).is_ok(), digits && value.len() == 14);
        prop_assert_eq!(Siren::parse(&value).is_ok(), digits && value.len() == 9);
    }

    #[test]
    fn scope_lists_parse_or_name_the_unknown_scope(list in "[a-z_+ ]{0,64}") {
        match Scopes::parse(&list) {
            Ok(scopes) => prop_assert!(Scopes::parse(&scopes.to_string()) == Ok(scopes)),
            Err(unknown) => prop_assert!(list.contains(unknown.0.as_str())),
        }
    }

    #[test]
    fn error_codes_parse_only_known_codes(code in "[A-Z0-9]{0,8}") {
        if let Some(parsed) = ErrorCode::parse(&code) {
            prop_assert_eq!(parsed.as_str(), code);
        }
    }
}

#[test]
fn a_directory_full_of_bad_data_still_signs_the_agent_in() {
    let claims = json!({"sub": "s", "siret": 21340126800130u64, "email": ["a@b"], "usual_name": {"x": 1}});
    let agent = AgentClaims::from_userinfo(claims.as_object().expect("object")).expect("sub is enough");
    assert_eq!((agent.siret, agent.email, agent.usual_name), (None, None, None));
}
