//! The service's support contact, shown wherever an error asks the agent to get help.

use crate::i18n::t;
use leptos::either::Either;
use leptos::prelude::*;

/// How a support contact is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SupportLink {
    /// An email address: a `mailto:` link.
    Email(String),
    /// An `https://` or `http://` address: a link.
    Web(String),
    /// Anything else (a phone number, a sentence): shown as text, never as a link.
    Text(String),
}

impl SupportLink {
    /// Reads the configured contact (surrounding spaces ignored); `None` when empty.
    pub fn parse(contact: &str) -> Option<Self> {
        let contact = contact.trim();
        let lower = contact.to_ascii_lowercase();
        if contact.is_empty() {
            None
        } else if lower.starts_with("https://") || lower.starts_with("http://") {
            Some(SupportLink::Web(contact.to_owned()))
        } else if lower.starts_with("mailto:") {
            Some(SupportLink::Email(contact["mailto:".len()..].to_owned()))
        } else if contact.contains('@') && !contact.contains(char::is_whitespace) && !contact.contains(':') {
            Some(SupportLink::Email(contact.to_owned()))
        } else {
            Some(SupportLink::Text(contact.to_owned()))
        }
    }

    /// The link's `href`, if the contact is a link.
    pub fn href(&self) -> Option<String> {
        match self {
            SupportLink::Email(address) => Some("mailto:".to_owned() + address),
            SupportLink::Web(url) => Some(url.clone()),
            SupportLink::Text(_) => None,
        }
    }

    /// What the agent reads.
    pub fn label(&self) -> &str {
        match self {
            SupportLink::Email(text) | SupportLink::Web(text) | SupportLink::Text(text) => text,
        }
    }
}

/// "Support : <contact>" (`#support-contact`), with a `mailto:` link for an email address and a
/// link opening a new window for a URL. Renders nothing when `contact` is `None` or empty.
#[component]
pub fn SupportContact(
    /// The service's support contact (an email address or a URL), from `/api/config`.
    #[prop(into)]
    contact: Signal<Option<String>>,
) -> impl IntoView {
    // One reactive section: it follows the contact and the language.
    move || {
        let link = contact.get().as_deref().and_then(SupportLink::parse)?;
        let label = link.label().to_owned();
        let value = match link.href() {
            Some(href) => {
                let external = matches!(link, SupportLink::Web(_));
                let title = external.then(|| label.clone() + " - " + t("nouvelle fenêtre", "new window"));
                Either::Left(view! {
                    <a class="fr-link" id="support-link" href=href
                       target=external.then_some("_blank") rel=external.then_some("noopener noreferrer") title=title>
                        {label}
                    </a>
                })
            }
            None => Either::Right(view! { <span id="support-link">{label}</span> }),
        };
        Some(view! {
            <p class="support-contact" id="support-contact">
                {t("Support du service : ", "Service support: ")}{value}
            </p>
        })
    }
}
