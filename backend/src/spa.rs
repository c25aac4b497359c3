//! Serving the built SPA: hashed assets immutable, `index.html` never cached, precompressed
//! brotli/gzip, every unknown path falling back to `index.html` (client-side routes) except the
//! ones that name a file (`/favicon.png`, `/robots.txt`): a bilingual 404 page.

use crate::error::AppError;
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use std::path::Path;
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

/// Whether a file name carries Trunk's content hash (`frontend-0123456789abcdef.wasm`; the hex
/// hash has no leading zeros, so it may be shorter than 16 digits).
fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or_default();
    let stem = name.split('.').next().unwrap_or_default();
    stem.rsplit_once('-')
        .map(|(_, hash)| hash.trim_end_matches("_bg"))
        .is_some_and(|hash| hash.len() >= 12 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
}

async fn cache_headers(request: Request<axum::body::Body>, next: Next) -> Response {
    let hashed = is_hashed(request.uri().path());
    let mut response = next.run(request).await;
    // A missing hashed asset gets the index.html fallback: never pin that under the asset's name.
    let fallback = response.headers().get(header::CONTENT_TYPE).is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
    let value = if hashed && !fallback && response.status().is_success() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    response
}

/// Whether a path names a file rather than a client-side route: its last segment ends with the
/// extension of a kind of file a site serves (`.ico`, `.js`, `.woff2`, `.map`). Other dots are
/// routes (`/agents/jean.dupont`).
fn looks_like_a_file(path: &str) -> bool {
    const ASSETS: [&str; 21] = [
        "avif",
        "css",
        "gif",
        "html",
        "ico",
        "jpeg",
        "jpg",
        "js",
        "json",
        "map",
        "mjs",
        "otf",
        "pdf",
        "png",
        "svg",
        "ttf",
        "txt",
        "wasm",
        "webmanifest",
        "webp",
        "woff2",
    ];
    let name = path.rsplit('/').next().unwrap_or_default();
    name.rsplit_once('.')
        .is_some_and(|(stem, ext)| !stem.is_empty() && ASSETS.iter().any(|asset| ext.eq_ignore_ascii_case(asset)))
}

/// 404 for a file that `dist/` does not have: a browser asking for `/favicon.png` or a stale
/// asset must not get `index.html` under that name.
fn no_such_file() -> Response {
    AppError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "Ce fichier n’existe pas sur ce service. Vérifiez l’adresse.",
        "This file does not exist on this service. Check the address.",
    )
    .page()
    .into_response()
}

/// The SPA service for `dir` (Trunk's `dist`).
pub fn router(dir: &Path) -> Router {
    let index = ServeFile::new(dir.join("index.html")).precompressed_br().precompressed_gzip();
    // What ServeDir does not find: index.html for a client-side route, a 404 for a file.
    let fallback = Router::new().fallback(move |request: Request<Body>| async move {
        if looks_like_a_file(request.uri().path()) {
            no_such_file()
        } else {
            index.oneshot(request).await.into_response()
        }
    });
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip().fallback(fallback);
    Router::new().fallback_service(files).layer(middleware::from_fn(cache_headers))
}

/// SHA-256 sources (`'sha256-…'`) of the inline scripts Trunk writes into `index.html`, so the
/// CSP can allow exactly them without `unsafe-inline`.
pub fn inline_script_hashes(dir: &Path) -> Vec<String> {
    inline_hashes(dir, "script")
}

/// The same for its inline stylesheets (`<style>`: the DSFR subset and the kit's styles, inlined
/// so that the first paint waits for no second request).
pub fn inline_style_hashes(dir: &Path) -> Vec<String> {
    inline_hashes(dir, "style")
}

fn inline_hashes(dir: &Path, element: &str) -> Vec<String> {
    use base64::Engine;
    use sha2::Digest;
    let Ok(html) = std::fs::read_to_string(dir.join("index.html")) else {
        return Vec::new();
    };
    let (open, close_tag) = (format!("<{element}"), format!("</{element}>"));
    let mut hashes = Vec::new();
    let mut rest = html.as_str();
    while let Some(start) = rest.find(&open) {
        rest = &rest[start..];
        let Some(open_end) = rest.find('>') else {
            break;
        };
        let tag = &rest[..open_end];
        let body_start = open_end + 1;
        let Some(close) = rest[body_start..].find(&close_tag) else {
            break;
        };
        let body = &rest[body_start..body_start + close];
        if !tag.contains(" src=") && !body.trim().is_empty() {
            let digest = sha2::Sha256::digest(body.as_bytes());
            hashes.push(format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(digest)));
        }
        rest = &rest[body_start + close..];
    }
    hashes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_trunk_hashes() {
        assert!(is_hashed("/frontend-1a2b3c4d5e6f7a8b.wasm"));
        assert!(is_hashed("/frontend-1a2b3c4d5e6f7a8b_bg.wasm"));
        assert!(!is_hashed("/dsfr/fonts/Marianne-Regular.woff2"));
        assert!(!is_hashed("/index.html"));
        assert!(!is_hashed("/profil"));
        assert!(is_hashed("/frontend-e110e035fa055d5_bg.wasm"), "a 15-digit hash");
    }

    #[test]
    fn tells_files_from_client_side_routes() {
        for file in ["/favicon.ico", "/robots.txt", "/fonts/Marianne-Thin.woff2", "/frontend-0123456789abcdef.js.map"] {
            assert!(looks_like_a_file(file), "{file}");
        }
        for route in [
            "/",
            "/profil",
            "/deconnecte",
            "/a/deep/client/route",
            "/.",
            "/v1.2/",
            "/.well-known",
            "/agents/jean.dupont",
            "/dossiers/2024.12",
            "/u/a@b.fr",
        ] {
            assert!(!looks_like_a_file(route), "{route}");
        }
    }
}
