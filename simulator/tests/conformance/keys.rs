//! Contract §1 (keys "rotated regularly"): a rotation brings a new `kid`; the previous key stays
//! in the JWKS for the grace period (tokens it signed still verify), then disappears.

#![allow(clippy::unwrap_used)]

use crate::common::{browser, peek_header, start_with};
use proconnect_simulator::SigningAlg;
use std::time::Duration;

fn kids(jwks: &serde_json::Value) -> Vec<String> {
    jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap().to_owned()).collect()
}

#[tokio::test]
async fn rotation_on_demand_keeps_the_old_key_for_the_grace_period() {
    let h = start_with(|c| c.key_grace_seconds = 3600).await;
    let old = h.sim().active_kid(SigningAlg::ES256).unwrap();
    let tokens = h.tokens(&browser(), "fs-es256", &h.params("fs-es256")).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    assert_eq!(peek_header(id_token)["kid"], old.as_str());

    h.sim().rotate_keys().unwrap();
    let new = h.sim().active_kid(SigningAlg::ES256).unwrap();
    assert_ne!(new, old);
    let published = kids(&h.jwks().await);
    assert_eq!(published.len(), 4, "two active, two retired");
    assert!(published.contains(&old) && published.contains(&new));
    h.verify(id_token, "fs-es256").await.unwrap();
    let fresh = h.tokens(&browser(), "fs-es256", &h.params("fs-es256")).await;
    assert_eq!(peek_header(fresh["id_token"].as_str().unwrap())["kid"], new.as_str());

    // Margins of a few seconds absorb the real time the test itself takes.
    h.sim().advance_clock(Duration::from_secs(3590));
    assert!(kids(&h.jwks().await).contains(&old), "still within the grace period");
    h.sim().advance_clock(Duration::from_secs(10));
    let published = kids(&h.jwks().await);
    assert_eq!(published.len(), 2);
    assert!(!published.contains(&old));
    assert!(h.verify(id_token, "fs-es256").await.is_err(), "the old key is gone");
}

#[tokio::test]
async fn keys_rotate_on_the_configured_interval() {
    let h = start_with(|c| {
        c.key_rotation_seconds = 86_400;
        c.key_grace_seconds = 3_600;
    })
    .await;
    let first = (h.sim().active_kid(SigningAlg::ES256).unwrap(), h.sim().active_kid(SigningAlg::RS256).unwrap());
    h.sim().advance_clock(Duration::from_secs(86_390));
    assert_eq!(kids(&h.jwks().await).len(), 2, "not yet");
    h.sim().advance_clock(Duration::from_secs(10));
    let published = kids(&h.jwks().await);
    assert_eq!(published.len(), 4);
    let second = (h.sim().active_kid(SigningAlg::ES256).unwrap(), h.sim().active_kid(SigningAlg::RS256).unwrap());
    assert_ne!(first.0, second.0);
    assert_ne!(first.1, second.1);
    h.sim().advance_clock(Duration::from_secs(3_600));
    assert_eq!(kids(&h.jwks().await), [second.0, second.1]);
}
