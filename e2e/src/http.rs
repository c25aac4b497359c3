//! A browser without a browser: an HTTP client with its own cookie jar that steps through the
//! sign-in redirects one by one, so tests can tamper with any step.

use crate::Kit;
use anyhow::{Context, bail};
use reqwest::header::{LOCATION, SET_COOKIE};
use reqwest::{Client, Response, StatusCode, redirect::Policy};
use std::sync::Arc;

/// One virtual user.
pub struct HttpAgent {
    /// The client (cookie store, no automatic redirects).
    pub client: Client,
    /// Its cookie jar.
    pub jar: Arc<reqwest::cookie::Jar>,
}

/// The answer to one step, read in full.
#[derive(Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: StatusCode,
    /// `Location`, if any.
    pub location: Option<String>,
    /// Every `Set-Cookie` header.
    pub set_cookies: Vec<String>,
    /// The body as text.
    pub body: String,
}

impl Answer {
    async fn read(response: Response) -> anyhow::Result<Self> {
        let status = response.status();
        let location = response.headers().get(LOCATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let set_cookies =
            response.headers().get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).map(str::to_owned).collect();
        Ok(Answer { status, location, set_cookies, body: response.text().await? })
    }

    /// The `Location` header or an error naming the step.
    pub fn next(&self, step: &str) -> anyhow::Result<String> {
        self.location.clone().with_context(|| format!("{step}: expected a redirect, got {} {}", self.status, self.body))
    }
}

impl Default for HttpAgent {
    fn default() -> Self {
        Self::new()
    }
}

impl HttpAgent {
    /// A fresh user with an empty cookie jar.
    pub fn new() -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client =
            Client::builder().cookie_provider(jar.clone()).redirect(Policy::none()).build().expect("a reqwest client");
        HttpAgent { client, jar }
    }

    /// GET `url`.
    pub async fn get(&self, url: &str) -> anyhow::Result<Answer> {
        Answer::read(self.client.get(url).send().await?).await
    }

    /// POST a form to `url`.
    pub async fn post_form(&self, url: &str, form: &[(&str, &str)]) -> anyhow::Result<Answer> {
        Answer::read(self.client.post(url).form(form).send().await?).await
    }

    /// Cookies the jar would send to `url`.
    pub fn cookies_for(&self, url: &str) -> String {
        use reqwest::cookie::CookieStore;
        url.parse()
            .ok()
            .and_then(|u| self.jar.cookies(&u))
            .and_then(|v| v.to_str().ok().map(str::to_owned))
            .unwrap_or_default()
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
