//! The service's public settings from `/api/config` (the brand and the support contact), loaded
//! once per page load and shared with every component through the Leptos context.

use crate::api;
use leptos::prelude::*;
use proconnect_types::{Brand, PublicConfig};

/// `/api/config`, `None` while loading, shared through the context by [`provide_config`].
#[derive(Clone, Copy)]
pub struct ServiceConfig(pub ReadSignal<Option<PublicConfig>>);

/// Starts loading `/api/config` and shares it with the components below.
pub fn provide_config() {
    provide_context(ServiceConfig(api::load(api::config())));
}

/// The shared `/api/config`, or a new request's when no component provided it.
pub fn config_resource() -> ReadSignal<Option<PublicConfig>> {
    use_context::<ServiceConfig>().map(|c| c.0).unwrap_or_else(|| api::load(api::config()))
}

/// The brand forced by the demo's `?marque=agentconnect|proconnect` in the page's address, if any.
pub fn forced_brand() -> Option<Brand> {
    match crate::router::query("marque").as_deref() {
        Some("proconnect") => Some(Brand::ProConnect),
        Some("agentconnect") => Some(Brand::AgentConnect),
        _ => None,
    }
}

/// The brand to show: the demo's `?marque=` first, then `/api/config` (once loaded), then
/// ProConnect (the default, also used while loading or when the backend cannot say).
pub fn use_brand() -> Signal<Brand> {
    let forced = forced_brand();
    let config = use_context::<ServiceConfig>();
    Signal::derive(move || forced.or_else(|| config.and_then(|c| c.0.get()).map(|c| c.brand)).unwrap_or_default())
}

/// The service's support contact (an email address or a URL), once `/api/config` is loaded.
pub fn use_support() -> Signal<Option<String>> {
    let config = use_context::<ServiceConfig>();
    Signal::derive(move || config.and_then(|c| c.0.get()).and_then(|c| c.support))
}
