//! The demo SPA's entry point.

use wasm_bindgen::JsCast;

fn main() {
    // Panic messages in the console help while developing; a release build leaves the hook and
    // its formatting out (a few kilobytes of Wasm): a panic there still stops with a Wasm trap.
    #[cfg(debug_assertions)]
    console_error_panic_hook::set_once();
    // Into `index.html`'s hidden `#app`, beside the static sign-in page it replaces when ready
    // (see `proconnect_leptos::reveal`); into the body when the page has no `#app`.
    let app = web_sys::window().and_then(|w| w.document()).and_then(|d| d.get_element_by_id("app"));
    match app.and_then(|app| app.dyn_into::<web_sys::HtmlElement>().ok()) {
        Some(app) => leptos::mount::mount_to(app, proconnect_leptos::App).forget(),
        None => leptos::mount::mount_to_body(proconnect_leptos::App),
    }
}
