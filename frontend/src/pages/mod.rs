//! The SPA's pages: one file each.

mod error;
mod home;
mod profile;
mod sign_in;
mod signed_out;

pub use error::{ErrorPage, NotFound, explain, service_failure};
pub use home::Home;
pub use profile::{Profile, step_up_href};
pub use sign_in::{SignIn, SignInNotice};
pub use signed_out::SignedOut;
