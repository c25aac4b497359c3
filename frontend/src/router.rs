//! The SPA's router, on the History API: the address's path and query in signals, links to this
//! site followed without reloading the page (as `leptos_router`'s `<Router>` does), the browser's
//! back and forward buttons.

use leptos::ev;
use leptos::prelude::*;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlAnchorElement, MouseEvent, UrlSearchParams};

/// The address the pages show, shared through the context by [`Router`].
#[derive(Clone, Copy)]
struct Location {
    /// `/deconnecte`.
    path: RwSignal<String>,
    /// `?local=1`, or empty.
    search: RwSignal<String>,
}

impl Location {
    /// Reads the address bar into the signals, each notified only when its part changed.
    fn sync(self) {
        let Some(location) = web_sys::window().map(|w| w.location()) else { return };
        let (path, search) = (location.pathname().unwrap_or_default(), location.search().unwrap_or_default());
        if self.path.with_untracked(|current| *current != path) {
            self.path.set(path);
        }
        if self.search.with_untracked(|current| *current != search) {
            self.search.set(search);
        }
    }
}

/// Follows the address for the views below: [`path`] and [`query`] read it.
#[component]
pub fn Router<T: IntoView + 'static>(children: TypedChildren<T>) -> impl IntoView {
    let location = Location { path: RwSignal::new(String::new()), search: RwSignal::new(String::new()) };
    location.sync();
    provide_context(location);
    let popstate = window_event_listener(ev::popstate, move |_| location.sync());
    // After any click, the address is read again: another `Router` (in another app on the page)
    // may have followed the link.
    let click = window_event_listener(ev::click, move |click| {
        follow(&click);
        location.sync();
    });
    on_cleanup(move || {
        popstate.remove();
        click.remove();
    });
    children.into_inner()()
}

/// Follows a click on a link to this site with the History API instead of loading the page,
/// unless the browser should follow it itself: another button or a modifier key, a link with a `target`, a `download` or
/// `rel="external"` (the sign-in and sign-out links, which leave the SPA).
fn follow(click: &MouseEvent) {
    if click.default_prevented()
        || click.button() != 0
        || click.meta_key()
        || click.alt_key()
        || click.ctrl_key()
        || click.shift_key()
    {
        return;
    }
    let link = click
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .and_then(|e| e.closest("a[href]").ok().flatten());
    let Some(link) = link.and_then(|link| link.dyn_into::<HtmlAnchorElement>().ok()) else { return };
    let Some(window) = web_sys::window() else { return };
    if !link.target().is_empty()
        || link.has_attribute("download")
        || link.rel().split_ascii_whitespace().any(|rel| rel == "external")
        || Ok(link.origin()) != window.location().origin()
    {
        return;
    }
    click.prevent_default();
    let hash = link.hash();
    let to = link.pathname() + &link.search() + &hash;
    if Ok(link.href()) != window.location().href()
        && let Ok(history) = window.history()
    {
        let _ = history.push_state_with_url(&JsValue::NULL, "", Some(&to));
    }
    // At the fragment's element if there is one, otherwise at the top.
    let target = hash.strip_prefix('#').and_then(|id| window.document()?.get_element_by_id(id));
    match target {
        Some(element) => element.scroll_into_view(),
        None => window.scroll_to_with_x_and_y(0.0, 0.0),
    }
}

/// The address's path (`/deconnecte`), followed under a [`Router`]; the address bar's otherwise.
pub fn path() -> String {
    match use_context::<Location>() {
        Some(location) => location.path.get(),
        None => web_sys::window().and_then(|w| w.location().pathname().ok()).unwrap_or_default(),
    }
}

/// The query parameter `name` of the address (`?notice=…`), decoded; followed under a [`Router`],
/// the address bar's otherwise (e.g. a page mounted by another app's router).
pub fn query(name: &str) -> Option<String> {
    let search = match use_context::<Location>() {
        Some(location) => location.search.get(),
        None => web_sys::window()?.location().search().ok()?,
    };
    UrlSearchParams::new_with_str(&search).ok()?.get(name)
}
