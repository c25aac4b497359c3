//! The server-rendered pages a browser navigation can end on (a refused or failed sign-in): in
//! French and English, saying what happened, what to do, and where to get help.

use crate::session::AgentSession;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use proconnect_types::{Acr, AgentClaims, Bilingual, Brand, Explanation, LevelPolicy, RolePolicy};

/// A page, before the service's support contact is added.
#[derive(Debug, Clone)]
pub struct Page {
    /// HTTP status.
    pub status: StatusCode,
    /// The stable name of what happened (`insufficient_level`, `access_denied.cancelled`…).
    pub code: &'static str,
    /// The heading.
    pub title: Bilingual,
    /// What happened and what to do, one paragraph each.
    pub paragraphs: Vec<Bilingual>,
    /// Facts the agent needs (label, value): the rule, their level, their roles…
    pub facts: Vec<(Bilingual, String)>,
    /// Links (text, same-site href), the first one being the way forward; an empty href is the
    /// service's home ([`home`], resolved when rendered).
    pub actions: Vec<(Bilingual, String)>,
    /// Whether to point to the service's support.
    pub contact_support: bool,
}

/// What [`with_support`] adds to every page: the service's support contact and its home page.
#[derive(Debug, Clone)]
pub struct Support {
    /// An email address or an https URL (validated settings).
    pub contact: Option<String>,
    /// The service's home (`paths.home`), where the way back leads.
    pub home: String,
}

impl Default for Support {
    fn default() -> Self {
        Support { contact: None, home: "/".into() }
    }
}

impl Page {
    /// A page from an explanation of the platform's.
    pub fn explained(status: StatusCode, code: &'static str, explanation: Explanation) -> Self {
        Page {
            status,
            code,
            title: explanation.title,
            paragraphs: vec![explanation.happened, explanation.to_do],
            facts: Vec::new(),
            actions: vec![home()],
            contact_support: explanation.contact_support,
        }
    }

    /// 403: the ID token's level does not satisfy `required`; `retry` signs in again at it.
    pub fn insufficient_level(required: &LevelPolicy, acr: Option<&Acr>, brand: Brand, retry: String) -> Self {
        let (needed_fr, needed_en) = required.describe();
        let (advice_fr, advice_en) = required.advice(brand);
        let (level_fr, level_en) = match acr {
            Some(acr) => {
                let (fr, en) = acr.describe();
                (format!("{} ({fr})", acr.short_name()), format!("{} ({en})", acr.short_name()))
            }
            None => ("non communiqué".to_owned(), "not given".to_owned()),
        };
        Page {
            status: StatusCode::FORBIDDEN,
            code: "insufficient_level",
            title: Bilingual::new("Niveau de sécurité insuffisant", "Security level not met"),
            paragraphs: vec![
                Bilingual::new(
                    format!("Ce service exige {needed_fr}. Votre connexion n’a pas atteint ce niveau : {level_fr}."),
                    format!("This service requires {needed_en}. Your sign-in did not reach that level: {level_en}."),
                ),
                Bilingual::new(advice_fr, advice_en),
            ],
            facts: vec![
                (Bilingual::new("Niveau exigé", "Level required"), required.to_string()),
                (
                    Bilingual::new("Votre niveau", "Your level"),
                    acr.map_or_else(|| "—".to_owned(), |a| a.short_name().to_owned()),
                ),
            ],
            actions: vec![(Bilingual::new("Se reconnecter", "Sign in again"), retry), home()],
            contact_support: true,
        }
    }

    /// 403: the agent holds none of the roles the service requires. Shows the rule, the
    /// agent's roles, organisation and SIRET, as ProConnect's documentation asks.
    pub fn roles_refused(rule: &RolePolicy, claims: &AgentClaims) -> Self {
        let none = || "—".to_owned();
        let roles: Vec<&str> = claims.roles.iter().map(|r| r.as_str()).collect();
        Page {
            status: StatusCode::FORBIDDEN,
            code: "roles_refused",
            title: Bilingual::new("Accès réservé", "Access restricted"),
            paragraphs: vec![
                Bilingual::new(
                    format!(
                        "Ce service est réservé aux personnes ayant l’un de ces rôles : {rule}. Votre compte ne les a pas."
                    ),
                    format!(
                        "This service is restricted to people with one of these roles: {rule}. Your account has none of them."
                    ),
                ),
                Bilingual::new(
                    "Si votre organisation devrait y avoir accès, vérifiez que vous êtes connecté avec le bon SIRET, ou contactez le support.",
                    "If your organisation should have access, check that you signed in with the right SIRET, or contact support.",
                ),
            ],
            facts: vec![
                (Bilingual::new("Règle", "Rule"), format!("roles ∋ {rule}")),
                (Bilingual::new("Vos rôles", "Your roles"), if roles.is_empty() { none() } else { roles.join(", ") }),
                (
                    Bilingual::new("Votre organisation", "Your organisation"),
                    claims.organization_label.clone().unwrap_or_else(none),
                ),
                (Bilingual::new("SIRET", "SIRET"), claims.siret.as_ref().map_or_else(none, |s| s.to_string())),
            ],
            actions: vec![home()],
            contact_support: true,
        }
    }

    /// The page's HTML.
    pub fn render(&self, support: &Support) -> String {
        let section = |lang: &str, pick: &dyn Fn(&Bilingual) -> String| {
            let mut html = format!("<section lang=\"{lang}\">");
            let id = |name: &str| if lang == "fr" { format!(" id=\"{name}\"") } else { String::new() };
            html += &format!("<h1{}>{}</h1>", id("error-title"), escape(&pick(&self.title)));
            for (i, paragraph) in self.paragraphs.iter().enumerate() {
                let pid = if i == 0 { id("error-message") } else { String::new() };
                html += &format!("<p{pid}>{}</p>", escape(&pick(paragraph)));
            }
            if !self.facts.is_empty() {
                html += "<dl>";
                for (label, value) in &self.facts {
                    html += &format!("<dt>{}</dt><dd>{}</dd>", escape(&pick(label)), escape(value));
                }
                html += "</dl>";
            }
            if self.contact_support
                && let Some(contact) = &support.contact
            {
                // Validated at start-up: an https URL, or else an email address.
                let href = if contact.starts_with("https://") { contact.clone() } else { format!("mailto:{contact}") };
                let text = pick(&Bilingual::new("Support du service :", "The service’s support:"));
                html += &format!("<p>{} <a href=\"{}\">{}</a></p>", escape(&text), escape(&href), escape(contact));
            }
            html += "<ul>";
            for (text, href) in &self.actions {
                let href = if href.is_empty() { &support.home } else { href };
                html += &format!("<li><a href=\"{}\">{}</a></li>", escape(href), escape(&pick(text)));
            }
            html + "</ul></section>"
        };
        format!(
            "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{title}</title></head>\
             <body><main>{fr}<hr>{en}<p>Code : <code id=\"error-code\">{code}</code> (HTTP {status})</p></main></body></html>",
            title = escape(&self.title.fr),
            fr = section("fr", &|b| b.fr.clone()),
            en = section("en", &|b| b.en.clone()),
            code = escape(self.code),
            status = self.status.as_u16(),
        )
    }
}

/// The signed-in agent's profile, for a browser that runs no script (`GET /compte`): in French
/// then English, the agent's name, email, organisation and level (`#account-name`,
/// `#account-email`, `#account-organization`, `#account-acr` in the French part), and the
/// sign-out form posting the anti-forgery token to `logout` (`/auth/logout` under the base path,
/// `#sign-out`).
pub fn account(agent: &AgentSession, brand: Brand, logout: &str) -> String {
    let c = &agent.claims;
    let name =
        format!("{} {}", c.given_name.as_deref().unwrap_or_default(), c.usual_name.as_deref().unwrap_or_default());
    let name = name.trim();
    let section = |lang: &str, pick: &dyn Fn(&Bilingual) -> String| {
        let id = |name: &str| if lang == "fr" { format!(" id=\"{name}\"") } else { String::new() };
        let missing = pick(&Bilingual::new("non fourni", "not provided"));
        let value = |v: Option<&str>| escape(v.unwrap_or(&missing));
        let level = match &agent.acr {
            Some(acr) => {
                let (fr, en) = acr.describe();
                format!("{} ({})", acr.short_name(), pick(&Bilingual::new(fr, en)))
            }
            None => missing.clone(),
        };
        let mut html = format!("<section lang=\"{lang}\">");
        html += &format!(
            "<h1>{} <span{}>{}</span></h1>",
            escape(&pick(&Bilingual::new("Bonjour", "Hello"))),
            id("account-name"),
            escape(name)
        );
        html += &format!(
            "<p>{}</p>",
            escape(&pick(&Bilingual::new(
                format!("Vous êtes connecté avec {}.", brand.name()),
                format!("You are signed in with {}.", brand.name())
            )))
        );
        html += "<dl>";
        for (label, key, text) in [
            (Bilingual::new("Adresse électronique", "Email"), "account-email", value(c.email.as_deref())),
            (
                Bilingual::new("Organisation", "Organisation"),
                "account-organization",
                value(c.organization_label.as_deref()),
            ),
            (Bilingual::new("Niveau (acr)", "Level (acr)"), "account-acr", escape(&level)),
        ] {
            html += &format!("<dt>{}</dt><dd{}>{text}</dd>", escape(&pick(&label)), id(key));
        }
        html += "</dl>";
        html += &format!(
            "<form method=\"post\" action=\"{}\"><input type=\"hidden\" name=\"csrf_token\" value=\"{}\">\
             <button type=\"submit\"{}>{}</button></form>",
            escape(logout),
            escape(&agent.csrf_token),
            id("sign-out"),
            escape(&pick(&Bilingual::new("Se déconnecter", "Sign out")))
        );
        html + "</section>"
    };
    format!(
        "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{title}</title></head>\
         <body><main>{fr}<hr>{en}</main></body></html>",
        title = escape(&format!("Votre compte - Kit {}", brand.name())),
        fr = section("fr", &|b| b.fr.clone()),
        en = section("en", &|b| b.en.clone()),
    )
}

/// The way back to the service's home page (`paths.home`, filled in when the page is rendered).
pub fn home() -> (Bilingual, String) {
    (Bilingual::new("Retour à l’accueil du service", "Back to the service’s home page"), String::new())
}

impl IntoResponse for Page {
    /// Rendered without a support contact; [`with_support`] renders it again with one.
    fn into_response(self) -> Response {
        let mut response = (self.status, Html(self.render(&Support::default()))).into_response();
        response.extensions_mut().insert(self);
        response
    }
}

/// Renders again, with the service's support contact, any [`Page`] a handler answered with.
pub fn with_support(support: &Support, mut response: Response) -> Response {
    match response.extensions_mut().remove::<Page>() {
        Some(page) if support.contact.is_some() || support.home != "/" => {
            let mut rendered = (page.status, Html(page.render(support))).into_response();
            for (name, value) in response.headers() {
                if name != axum::http::header::CONTENT_LENGTH {
                    rendered.headers_mut().insert(name, value.clone());
                }
            }
            rendered
        }
        _ => response,
    }
}

/// HTML-escapes text for element content and attribute values.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
