//! A browser without a browser: an HTTP client with its own cookie jar that steps through the
//! sign-in redirects one by one, so tests can tamper with any step.

use crate::Kit;
use anyhow::bail;
pub use testkit::Answer;

/// One virtual user, with the sign-in steps of the e2e kit.
#[derive(Default)]
pub struct HttpAgent(testkit::HttpAgent);

impl std::ops::Deref for HttpAgent {
    type Target = testkit::HttpAgent;
    fn deref(&self) -> &testkit::HttpAgent {
        &self.0
    }
}

impl HttpAgent {
    /// A fresh user with an empty cookie jar.
    pub fn new() -> Self {
        Self::default()
    }

    /// Steps from `/auth/login` through the mire and the FI until the provider redirects to the
    /// backend's callback, and returns that callback URL (not yet visited).
    pub async fn authorize(&self, kit: &Kit, email: &str, login: &str, password: &str) -> anyhow::Result<String> {
        let login_url = format!("{}auth/login", kit.url);
        let authorize = self.get(&login_url).await?.next("/auth/login")?;
        let mire = self.get(&authorize).await?.next("authorize")?;
        if mire.starts_with(&kit.url) {
            // The provider's session is still open: straight back, no prompt.
            return Ok(mire);
        }
        let simulator = format!("http://{}", kit.simulator.addr);
        let mire = absolute(&simulator, &mire);
        let fi = self.post_form(&mire, &[("email", email)]).await?.next("mire")?;
        let fi = absolute(&simulator, fi.split('?').next().unwrap_or_default());
        let callback = self.post_form(&fi, &[("login", login), ("password", password)]).await?.next("FI")?;
        if !callback.starts_with(&kit.url) {
            bail!("the provider did not return to the backend: {callback}");
        }
        Ok(callback)
    }

    /// A complete sign-in of the demo agent; returns the callback's answer.
    pub async fn sign_in(&self, kit: &Kit) -> anyhow::Result<Answer> {
        let callback = self.authorize(kit, "test@fia1.fr", "test", "123").await?;
        self.get(&callback).await
    }
}

fn absolute(origin: &str, location: &str) -> String {
    if location.starts_with('/') { format!("{origin}{location}") } else { location.to_owned() }
}
