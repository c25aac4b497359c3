//! French (default) and English texts, chosen from the browser's language and a switch.

use leptos::prelude::*;
use proconnect_types::{Bilingual, Brand};

/// A supported language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Français (default).
    Fr,
    /// English.
    En,
}

impl Lang {
    /// The BCP 47 tag.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }
}

/// The current language, shared through the Leptos context.
#[derive(Clone, Copy)]
pub struct Language(pub RwSignal<Lang>);

const STORAGE_KEY: &str = "lang";

fn initial() -> Lang {
    let window = web_sys::window();
    let stored = window
        .as_ref()
        .and_then(|w| w.local_storage().ok().flatten())
        .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten());
    let preferred = stored.or_else(|| window.and_then(|w| w.navigator().language()));
    match preferred {
        Some(tag) if tag.starts_with("en") => Lang::En,
        _ => Lang::Fr,
    }
}

/// Provides the language signal and keeps `<html lang>` in sync.
pub fn provide_language() {
    let lang = RwSignal::new(initial());
    provide_context(Language(lang));
    Effect::new(move |_| {
        let tag = lang.get().tag();
        if let Some(root) = web_sys::window().and_then(|w| w.document()).and_then(|d| d.document_element()) {
            let _ = root.set_attribute("lang", tag);
        }
        if let Some(storage) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) {
            let _ = storage.set_item(STORAGE_KEY, tag);
        }
    });
}

/// The current language (French when no context is provided, e.g. in another app).
pub fn lang() -> Lang {
    use_context::<Language>().map(|l| l.0.get()).unwrap_or(Lang::Fr)
}

/// Picks the text for the current language.
pub fn t<'a>(fr: &'a str, en: &'a str) -> &'a str {
    match lang() {
        Lang::Fr => fr,
        Lang::En => en,
    }
}

/// Picks a [`Bilingual`] text's version for the current language.
pub fn tr(text: &Bilingual) -> String {
    t(&text.fr, &text.en).to_owned()
}

/// A static text that follows the language switch, for a view or an attribute:
/// `{text("Connexion", "Sign in")}`. Every such text shares this one closure type, so Leptos's
/// rendering code for it exists once in the Wasm, not once per text.
pub fn text(fr: &'static str, en: &'static str) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    move || t(fr, en)
}

/// A [`Bilingual`] text that follows the language switch (one closure type for all of them, as
/// [`text`]).
pub fn bilingual(text: Bilingual) -> impl Fn() -> String + Clone + Send + Sync + 'static {
    move || tr(&text)
}

/// A text naming the brand, following the language switch and the brand: `pro` (French,
/// English) under ProConnect, `agent` under AgentConnect. Static texts, not `format!`.
pub fn branded(
    brand: Signal<Brand>,
    pro: (&'static str, &'static str),
    agent: (&'static str, &'static str),
) -> impl Fn() -> &'static str + Copy + Send + Sync + 'static {
    move || {
        let (fr, en) = match brand.get() {
            Brand::ProConnect => pro,
            Brand::AgentConnect => agent,
        };
        t(fr, en)
    }
}
