//! Reusable components: one file each.

mod connect_button;
mod divider;
mod layout;
mod support;

pub use connect_button::ConnectButton;
pub use divider::Divider;
pub use layout::{Footer, Header};
pub use support::{SupportContact, SupportLink};
