//! The SPA's pages: one file each.

mod error;
mod home;
mod profile;
mod sign_in;
mod signed_out;

pub use error::{ErrorPage, NotFound, explain};
pub use home::Home;
pub use profile::Profile;
pub use sign_in::SignIn;
pub use signed_out::SignedOut;
