//! The provider's HTML pages: the mire, the FI login pages (password, or the test FI where the
//! tester picks the identity) and the error page. French, accessible, self-contained (no external
//! resource), worded with the configured brand (never "AgentConnect" under ProConnect).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use proconnect_types::{Acr, Brand, ErrorCode};

/// HTML-escapes text for element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:36rem;margin:2rem auto;padding:0 1rem;color:#161616}\
h1{color:#000091}label{display:block;margin:1rem 0 .25rem;font-weight:600}\
input,select{font-size:1rem;padding:.5rem;width:100%;box-sizing:border-box;border:1px solid #3a3a3a}\
button{margin-top:1rem;background:#000091;color:#fff;border:0;padding:.75rem 1.5rem;font-size:1rem;cursor:pointer}\
button:hover{background:#1212ff}:focus-visible{outline:2px solid #0a76f6;outline-offset:2px}\
.error{color:#ce0500}nav{margin-top:2rem}a{color:#000091}";

/// A complete page with the simulator's security headers.
pub fn page(brand: Brand, status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{title} – simulateur {brand}</title><style>{STYLE}</style></head>\
         <body><header><p id=\"brand\">{brand} <small>(simulateur)</small></p></header>\
         <main>{body}</main></body></html>",
        title = escape(title),
        brand = brand.name(),
    );
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The platform's error page for a code, with a technical detail.
pub fn error_page(brand: Brand, code: ErrorCode, detail: &str) -> Response {
    let status = StatusCode::from_u16(code.http_status()).unwrap_or(StatusCode::BAD_REQUEST);
    page(
        brand,
        status,
        "Erreur",
        &format!(
            "<h1>Une erreur est survenue</h1><p>Code erreur : <strong id=\"error-code\">{code}</strong></p>\
             <p id=\"error-message\">{meaning}</p><p>Détail : {detail}</p>",
            code = code.as_str(),
            meaning = escape(code.meaning()),
            detail = escape(detail)
        ),
    )
}

/// The mire: asks for the professional email.
pub fn mire(
    brand: Brand,
    interaction: &str,
    service: &str,
    home_url: &str,
    login_hint: &str,
    error: Option<&str>,
) -> Response {
    let error = error
        .map(|e| format!("<p class=\"error\" id=\"mire-error\" role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default();
    page(
        brand,
        StatusCode::OK,
        "Connexion",
        &format!(
            "<h1>Connexion à {service}</h1>{error}\
             <form method=\"post\" action=\"/interaction/{interaction}\">\
             <label for=\"email\">Adresse électronique professionnelle</label>\
             <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\" required value=\"{hint}\">\
             <button type=\"submit\">Continuer</button></form>\
             <nav><a id=\"back-to-service\" href=\"{home}\">Revenir sur {service}</a> · \
             <a id=\"cancel\" href=\"/interaction/{interaction}/cancel\">Annuler la connexion</a></nav>",
            service = escape(service),
            interaction = escape(interaction),
            hint = escape(login_hint),
            home = escape(home_url),
        ),
    )
}

fn fi_error(error: Option<&str>) -> String {
    error.map(|e| format!("<p class=\"error\" id=\"fi-error\" role=\"alert\">{}</p>", escape(e))).unwrap_or_default()
}

/// A test FI's login page.
pub fn fi_login(
    brand: Brand,
    interaction: &str,
    idp_id: &str,
    idp_name: &str,
    login: &str,
    error: Option<&str>,
) -> Response {
    let error = fi_error(error);
    page(
        brand,
        StatusCode::OK,
        idp_name,
        &format!(
            "<h1>{name}</h1><p>Fournisseur d'identité de test.</p>{error}\
             <form method=\"post\" action=\"/interaction/{interaction}/fi/{idp}\">\
             <label for=\"login\">Identifiant</label>\
             <input id=\"login\" name=\"login\" autocomplete=\"username\" required value=\"{login}\">\
             <label for=\"password\">Mot de passe</label>\
             <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
             <button type=\"submit\" id=\"fi-submit\">Se connecter</button></form>\
             <nav><a href=\"/interaction/{interaction}/cancel\">Annuler la connexion</a></nav>",
            name = escape(idp_name),
            interaction = escape(interaction),
            idp = escape(idp_id),
            login = escape(login),
        ),
    )
}

/// What the test identity provider's page shows and pre-fills.
pub struct PickIdentity<'a> {
    pub interaction: &'a str,
    pub idp_id: &'a str,
    pub idp_name: &'a str,
    pub email: &'a str,
    pub siret: &'a str,
    pub acr: &'a str,
}

/// The platform's test identity provider: the tester picks the email, SIRET and level returned;
/// no password.
pub fn fi_pick_identity(brand: Brand, form: &PickIdentity<'_>, error: Option<&str>) -> Response {
    let error = fi_error(error);
    let options: String = Acr::SUPPORTED
        .iter()
        .map(|acr| {
            let selected = if acr.as_str() == form.acr { " selected" } else { "" };
            format!(
                "<option value=\"{value}\"{selected}>{short} – {meaning}</option>",
                value = escape(acr.as_str()),
                short = escape(acr.short_name()),
                meaning = escape(acr.describe().0),
            )
        })
        .collect();
    page(
        brand,
        StatusCode::OK,
        form.idp_name,
        &format!(
            "<h1>{name}</h1><p>Fournisseur d'identité de test : choisissez l'identité renvoyée, sans mot de passe.</p>{error}\
             <form method=\"post\" action=\"/interaction/{interaction}/fi/{idp}\">\
             <label for=\"email\">Adresse électronique</label>\
             <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\" required value=\"{email}\">\
             <label for=\"siret\">SIRET de l'organisation (14 chiffres)</label>\
             <input id=\"siret\" name=\"siret\" inputmode=\"numeric\" pattern=\"[0-9]{{14}}\" required value=\"{siret}\">\
             <label for=\"acr\">Niveau d'authentification (acr)</label>\
             <select id=\"acr\" name=\"acr\">{options}</select>\
             <button type=\"submit\" id=\"fi-submit\">Se connecter</button></form>\
             <nav><a href=\"/interaction/{interaction}/cancel\">Annuler la connexion</a></nav>",
            name = escape(form.idp_name),
            interaction = escape(form.interaction),
            idp = escape(form.idp_id),
            email = escape(form.email),
            siret = escape(form.siret),
        ),
    )
}
