//! An HTTP client with its own cookie jar and no automatic redirects, and the answers it reads.

use anyhow::{Context, ensure};
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use reqwest::{Client, Response, StatusCode, redirect::Policy};
use std::sync::Arc;

/// One virtual user.
pub struct HttpAgent {
    /// The client (cookie store, no automatic redirects, 30 s timeout).
    pub client: Client,
    /// Its cookie jar.
    pub jar: Arc<reqwest::cookie::Jar>,
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
        let client = Client::builder()
            .cookie_provider(jar.clone())
            .redirect(Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .unwrap_or_default();
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

    /// The cookies the jar would send to `url`.
    pub fn cookies_for(&self, url: &str) -> String {
        use reqwest::cookie::CookieStore;
        url.parse()
            .ok()
            .and_then(|u| self.jar.cookies(&u))
            .and_then(|v| v.to_str().ok().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// One answer, read in full.
#[derive(Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: StatusCode,
    /// `Location`, if any.
    pub location: Option<String>,
    /// Every `Set-Cookie` header.
    pub set_cookies: Vec<String>,
    /// Every header.
    pub headers: HeaderMap,
    /// The body as text.
    pub body: String,
}

impl Answer {
    /// Reads a response in full.
    pub async fn read(response: Response) -> anyhow::Result<Self> {
        let status = response.status();
        let headers = response.headers().clone();
        let location = headers.get(LOCATION).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let set_cookies =
            headers.get_all(SET_COOKIE).iter().filter_map(|v| v.to_str().ok()).map(str::to_owned).collect();
        Ok(Answer { status, location, set_cookies, headers, body: response.text().await? })
    }

    /// The `Location` header, or an error naming the step.
    pub fn next(&self, step: &str) -> anyhow::Result<String> {
        self.location.clone().with_context(|| format!("{step}: expected a redirect, got {} {}", self.status, self.body))
    }

    /// Asserts a `303 See Other` to exactly `location`.
    pub fn expect_redirect(&self, location: &str) -> anyhow::Result<()> {
        ensure!(
            self.status == StatusCode::SEE_OTHER && self.location.as_deref() == Some(location),
            "expected 303 to {location}, got {} {:?} {}",
            self.status,
            self.location,
            self.body
        );
        Ok(())
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body as JSON.
    pub fn json(&self) -> anyhow::Result<serde_json::Value> {
        serde_json::from_str(&self.body).with_context(|| format!("not JSON ({}): {}", self.status, self.body))
    }

    /// Asserts an error page or JSON error with this status and stable name, and that no
    /// session cookie was set.
    pub fn expect_error(&self, status: u16, name: &str) -> anyhow::Result<()> {
        ensure!(
            self.status.as_u16() == status && self.body.contains(name),
            "expected {status} {name}, got {} {}",
            self.status,
            self.body
        );
        ensure!(
            !self.set_cookies.iter().any(|c| !is_removal(c)),
            "a failure set a session cookie: {:?}",
            self.set_cookies
        );
        Ok(())
    }
}

/// Whether a `Set-Cookie` only removes a cookie.
pub fn is_removal(set_cookie: &str) -> bool {
    set_cookie.contains("Max-Age=0") || set_cookie.to_ascii_lowercase().contains("expires=thu, 01 jan 1970")
}
