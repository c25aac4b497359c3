//! Component tests in headless Chromium (wasm-bindgen-test): the official button's markup and
//! accessibility for both brands (contract §8), the "OU" divider, and the error explanations.

use frontend::components::{ConnectButton, Divider};
use leptos::prelude::*;
use shared::Brand;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn mount(view: impl FnOnce() -> AnyView + 'static) -> web_sys::HtmlElement {
    let document = web_sys::window().and_then(|w| w.document()).expect("a document");
    let host: web_sys::HtmlElement = document.create_element("div").expect("div").unchecked_into();
    document.body().expect("body").append_child(&host).expect("append");
    let handle = leptos::mount::mount_to(host.clone(), view);
    handle.forget();
    host
}

fn button_html(brand: Brand, intro: bool) -> web_sys::HtmlElement {
    mount(move || view! { <ConnectButton brand href="/auth/login" intro/> }.into_any())
}

#[wasm_bindgen_test]
fn agentconnect_button_has_its_accessible_name_and_link() {
    let host = button_html(Brand::AgentConnect, false);
    let button = host.query_selector("#connect-button").expect("query").expect("the button");
    assert_eq!(button.get_attribute("href").as_deref(), Some("/auth/login"));
    assert_eq!(button.text_content().as_deref(), Some("S’identifier avec AgentConnect"));
    let link = host.query_selector("#connect-info-link").expect("query").expect("the info link");
    assert_eq!(link.get_attribute("href").as_deref(), Some("https://agentconnect.gouv.fr/"));
    assert_eq!(link.get_attribute("target").as_deref(), Some("_blank"));
    assert_eq!(link.get_attribute("rel").as_deref(), Some("noopener"));
    assert!(link.get_attribute("title").is_some_and(|t| t.ends_with("- nouvelle fenêtre")));
    assert_eq!(link.text_content().as_deref(), Some("Qu’est-ce qu’AgentConnect ?"));
    assert!(host.query_selector(".connect-intro").expect("query").is_none(), "no intro unless asked");
}

#[wasm_bindgen_test]
fn proconnect_button_uses_the_dsfr_pro_variant() {
    let host = button_html(Brand::ProConnect, true);
    let button = host.query_selector("#connect-button").expect("query").expect("the button");
    assert!(button.class_list().contains("fr-connect--pro"));
    assert_eq!(button.text_content().as_deref(), Some("S’identifier avec ProConnect"));
    let link = host.query_selector("#connect-info-link").expect("query").expect("the info link");
    assert_eq!(link.get_attribute("href").as_deref(), Some("https://www.proconnect.gouv.fr/"));
    assert_eq!(link.text_content().as_deref(), Some("Qu’est-ce que ProConnect ?"));
    let intro = host.query_selector(".connect-intro").expect("query").expect("the intro sentence");
    assert!(intro.text_content().is_some_and(|t| t.contains("ProConnect vous permet d’accéder")));
}

#[wasm_bindgen_test]
fn divider_reads_ou() {
    let host = mount(|| view! { <Divider/> }.into_any());
    let divider = host.query_selector("#connect-divider").expect("query").expect("the divider");
    assert_eq!(divider.text_content().as_deref(), Some("OU"));
    assert_eq!(divider.get_attribute("role").as_deref(), Some("separator"));
}

#[wasm_bindgen_test]
fn error_codes_are_explained_in_plain_words() {
    let (fr, en) = frontend::pages::explain("Y030031");
    assert!(fr.contains("mal configuré") && en.contains("misconfigured"));
    let (fr, _) = frontend::pages::explain("nonsense");
    assert!(fr.contains("Réessayez"));
}
