//! A browser without a browser: an [`HttpAgent`] with the kit's steps (sign-in through the
//! provider's pages, `/api/me`, sign-out), each one a request the test can stop or tamper at.

use crate::{Answer, HttpAgent, Kit};
use anyhow::{Context, bail, ensure};

/// The demo agent of the simulator's demo configuration, at its first identity provider.
pub const DEMO_EMAIL: &str = "test@fia1.fr";
/// What the demo agent types on its identity provider's page.
pub const DEMO_LOGIN: [(&str, &str); 2] = [("login", "test"), ("password", "123")];

/// Walks the provider's pages from an authorization URL: the mire (the agent's `email`), then
/// the identity provider's page (`fields`: login and password, or the test FI's email, SIRET and
/// level), and returns where the provider sends the browser back (not yet visited), which must
/// start with `back_to`. When the provider's session is still open (or it answers an error), it
/// comes straight back; with `prompt=login` on an open session, it goes straight to the same FI.
pub async fn through_provider(
    agent: &HttpAgent,
    authorize: &str,
    back_to: &str,
    email: &str,
    fields: &[(&str, &str)],
) -> anyhow::Result<String> {
    let origin = reqwest::Url::parse(authorize).context("the authorization URL")?.origin().ascii_serialization();
    let next = agent.get(authorize).await?.next("authorize")?;
    if next.starts_with(back_to) {
        return Ok(next);
    }
    let fi = if next.contains("/fi/") {
        next
    } else {
        agent.post_form(&absolute(&origin, &next), &[("email", email)]).await?.next("mire")?
    };
    let fi = absolute(&origin, fi.split('?').next().unwrap_or_default());
    let callback = agent.post_form(&fi, fields).await?.next("FI")?;
    if !callback.starts_with(back_to) {
        bail!("the provider did not come back to {back_to}: {callback}");
    }
    Ok(callback)
}

/// `location` made absolute against `origin` when it is a path.
fn absolute(origin: &str, location: &str) -> String {
    if location.starts_with('/') { format!("{origin}{location}") } else { location.to_owned() }
}

/// An [`HttpAgent`] with the sign-in and sign-out steps of a [`Kit`].
#[derive(Default)]
pub struct Browser(HttpAgent);

impl std::ops::Deref for Browser {
    type Target = HttpAgent;
    fn deref(&self) -> &HttpAgent {
        &self.0
    }
}

impl Browser {
    /// A fresh browser with an empty cookie jar.
    pub fn new() -> Self {
        Self::default()
    }

    /// The value of the session cookie this jar holds for the kit.
    pub fn session_cookie(&self, kit: &Kit) -> Option<String> {
        self.cookies_for(&kit.url).split("; ").find_map(|pair| pair.strip_prefix("session=").map(str::to_owned))
    }

    /// `GET /auth/login` (with an optional query), returning the authorization URL.
    pub async fn start_login(&self, kit: &Kit, query: &str) -> anyhow::Result<String> {
        let answer = self.get(&kit.at(&format!("auth/login{query}"))).await?;
        let url = answer.next("/auth/login")?;
        ensure!(url.starts_with(&kit.simulator_origin()), "/auth/login goes to the provider: {url}");
        Ok(url)
    }

    /// Follows an authorization URL through the mire and the demo FI as the demo agent, and
    /// returns the BFF's callback URL (not yet visited).
    pub async fn through_provider(&self, kit: &Kit, authorize: &str) -> anyhow::Result<String> {
        self.through_provider_as(kit, authorize, DEMO_EMAIL, &DEMO_LOGIN).await
    }

    /// The same as another agent: `email` on the mire, then `fields` on the FI page.
    pub async fn through_provider_as(
        &self,
        kit: &Kit,
        authorize: &str,
        email: &str,
        fields: &[(&str, &str)],
    ) -> anyhow::Result<String> {
        through_provider(self, authorize, &kit.url, email, fields).await
    }

    /// From `/auth/login` to the callback URL.
    pub async fn authorize(&self, kit: &Kit) -> anyhow::Result<String> {
        let authorize = self.start_login(kit, "").await?;
        self.through_provider(kit, &authorize).await
    }

    /// A whole sign-in; returns the callback's answer.
    pub async fn sign_in(&self, kit: &Kit) -> anyhow::Result<Answer> {
        let callback = self.authorize(kit).await?;
        self.get(&callback).await
    }

    /// `GET /api/me` at a BFF's base URL.
    pub async fn me(&self, base: &str) -> anyhow::Result<Answer> {
        self.get(&format!("{base}api/me")).await
    }

    /// The CSRF token from `/api/me`.
    pub async fn csrf_token(&self, base: &str) -> anyhow::Result<String> {
        let me = self.me(base).await?;
        ensure!(me.status == 200, "signed in: {} {}", me.status, me.body);
        me.json()?["csrf_token"].as_str().map(str::to_owned).context("csrf_token in /api/me")
    }

    /// `POST /auth/logout` as the SPA's sign-out form sends it (the anti-forgery token as the
    /// `csrf_token` field, a same-origin navigation); the answer's redirect is not followed.
    pub async fn logout(&self, base: &str) -> anyhow::Result<Answer> {
        let token = self.csrf_token(base).await?;
        let response = self
            .client
            .post(format!("{base}auth/logout"))
            .header("sec-fetch-site", "same-origin")
            .form(&[("csrf_token", token)])
            .send()
            .await?;
        Answer::read(response).await
    }

    /// A whole sign-out through the provider: the form, `session/end`, and the callback, whose
    /// answer it returns.
    pub async fn sign_out(&self, base: &str) -> anyhow::Result<Answer> {
        let answer = self.logout(base).await?;
        ensure!(answer.status == 303, "logout: {} {}", answer.status, answer.body);
        let back = self.get(&answer.next("logout")?).await?.next("session/end")?;
        self.get(&back).await
    }
}
