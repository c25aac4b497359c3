//! The API's JSON read into `proconnect-types`' types from the value the browser parsed
//! (`Response.json()`), field by field with `Reflect`: no serde deserializer in the Wasm.
//!
//! A required field missing or of the wrong type makes the whole value unreadable (`None`); an
//! optional one of the wrong type reads as absent. `AgentClaims::custom` is not read: the SPA
//! never shows it.

use js_sys::{Array, Reflect};
use proconnect_types::{Acr, AgentClaims, Amr, ApiError, Brand, Me, PublicConfig, Role};
use wasm_bindgen::JsValue;

/// A JSON object.
struct Object(JsValue);

impl Object {
    /// `value` if it is an object (not an array, not `null`).
    fn new(value: JsValue) -> Option<Self> {
        (value.is_object() && !Array::is_array(&value)).then_some(Object(value))
    }

    /// The field `name`; `None` when missing or `null`.
    fn get(&self, name: &str) -> Option<JsValue> {
        Reflect::get(&self.0, &JsValue::from_str(name)).ok().filter(|v| !v.is_undefined() && !v.is_null())
    }

    /// A string field.
    fn string(&self, name: &str) -> Option<String> {
        self.get(name)?.as_string()
    }

    /// An array of strings (an empty one when `optional` and missing).
    fn strings(&self, name: &str, optional: bool) -> Option<Vec<String>> {
        let Some(value) = self.get(name) else { return optional.then(Vec::new) };
        if !Array::is_array(&value) {
            return None;
        }
        Array::from(&value).iter().map(|item| item.as_string()).collect()
    }
}

/// Reads the brand's JSON name.
fn brand(name: &str) -> Option<Brand> {
    match name {
        "proconnect" => Some(Brand::ProConnect),
        "agentconnect" => Some(Brand::AgentConnect),
        _ => None,
    }
}

/// `GET /api/me`'s answer.
pub fn me(value: JsValue) -> Option<Me> {
    let me = Object::new(value)?;
    let expires_at = me.get("expires_at")?.as_f64().filter(|n| n.fract() == 0.0)?;
    Some(Me {
        claims: claims(Object::new(me.get("claims")?)?)?,
        acr: me.string("acr").map(|acr| Acr::parse(&acr)),
        amr: me.strings("amr", false)?.iter().map(|amr| Amr::parse(amr)).collect(),
        expires_at: expires_at as i64,
        brand: brand(&me.string("brand")?)?,
        csrf_token: me.string("csrf_token")?,
    })
}

/// The agent's claims: `sub` required, every other claim optional.
fn claims(claims: Object) -> Option<AgentClaims> {
    let roles = claims.strings("roles", true).unwrap_or_default().iter().map(|role| Role::parse(role)).collect();
    AgentClaims::from_fields(|name| claims.string(name), roles).ok()
}

/// `GET /api/config`'s answer.
pub fn public_config(value: JsValue) -> Option<PublicConfig> {
    let config = Object::new(value)?;
    Some(PublicConfig { brand: brand(&config.string("brand")?)?, support: config.string("support") })
}

/// An error answer's body.
pub fn api_error(value: JsValue) -> Option<ApiError> {
    let error = Object::new(value)?;
    Some(ApiError {
        error: error.string("error")?,
        message: error.string("message")?,
        message_fr: error.string("message_fr").unwrap_or_default(),
        step_up: error.string("step_up"),
    })
}
