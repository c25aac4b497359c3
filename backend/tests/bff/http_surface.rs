//! What every response carries: the session cookie's attributes (`__Host-` and `Secure` over
//! https), the security headers (CSP without `unsafe-inline`, HSTS only over https), and how the
//! SPA is served (cache rules, Wasm type, precompressed files, client-side route fallback, JSON 404s
//! under `/api`).

use anyhow::{Context, ensure};
use testkit::{Browser, Kit};

#[tokio::test]
async fn the_session_cookie_is_http_only_lax_and_host_wide() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let browser = Browser::new();
    let login = browser.get(&kit.at("auth/login")).await?;
    let cookie = login.set_cookies.iter().find(|c| c.starts_with("session=")).context("a session cookie at login")?;
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        ensure!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    ensure!(!cookie.contains("Secure") && !cookie.contains("Domain="), "plain-http loopback demo: {cookie}");
    Ok(())
}

#[tokio::test]
async fn over_https_the_cookie_is_host_prefixed_and_secure_and_hsts_is_sent() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let mut settings = kit.settings.clone();
    settings.public_url = "https://bff.example.gouv.fr/".parse()?;
    // The simulator preset is for loopback only: the same provider, as any issuer.
    settings.provider.preset = proconnect_bff::settings::Preset::Custom;
    let (base, _server) = testkit::serve_elsewhere(settings).await?;
    let browser = Browser::new();
    let login = browser.get(&format!("{base}auth/login")).await?;
    ensure!(login.status == 303, "{} {}", login.status, login.body);
    let cookie = login.set_cookies.iter().find(|c| c.starts_with("__Host-session=")).context("a __Host- cookie")?;
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Secure"] {
        ensure!(cookie.contains(attribute), "{attribute} missing: {cookie}");
    }
    ensure!(!cookie.contains("Domain="), "__Host- forbids Domain: {cookie}");
    let hsts = login.header("strict-transport-security").context("HSTS over https")?;
    ensure!(hsts.contains("max-age="), "{hsts}");
    let authorize: url::Url = login.next("login")?.parse()?;
    let redirect_uri = authorize.query_pairs().find(|(k, _)| k == "redirect_uri").map(|(_, v)| v.into_owned());
    ensure!(redirect_uri.as_deref() == Some("https://bff.example.gouv.fr/auth/callback"), "{redirect_uri:?}");
    Ok(())
}

#[tokio::test]
async fn every_response_carries_the_security_headers() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let browser = Browser::new();
    let index = std::fs::read_to_string(kit.settings.spa_dir.join("index.html"))?;
    let inline = index
        .split("<script type=\"module\">")
        .nth(1)
        .and_then(|s| s.split("</script>").next())
        .context("inline script")?;
    let sha256 = |text: &str| {
        use base64::Engine;
        use sha2::Digest;
        format!("'sha256-{}'", base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(text.as_bytes())))
    };
    let hash = sha256(inline);
    let style = index.split("<style>").nth(1).and_then(|s| s.split("</style>").next()).context("inline style")?;
    let style_hash = format!("style-src 'self' {};", sha256(style));
    for path in ["", "profil", "api/me", "api/unknown", "auth/callback?state=x", "healthz"] {
        let answer = browser.get(&kit.at(path)).await?;
        let csp = answer.header("content-security-policy").with_context(|| format!("/{path}: no CSP"))?;
        ensure!(!csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'"), "/{path}: {csp}");
        for directive in ["'wasm-unsafe-eval'", "frame-ancestors 'none'", "object-src 'none'", "default-src 'self'"] {
            ensure!(csp.contains(directive), "/{path}: {directive} missing from {csp}");
        }
        ensure!(csp.contains(&hash), "/{path}: the inline Trunk script is allowed by its hash {hash}: {csp}");
        ensure!(
            csp.contains(&style_hash),
            "/{path}: the inline stylesheet is allowed by its hash ({style_hash}): {csp}"
        );
        // The sign-out form is redirected to the provider's session/end: its origin, and no other.
        let form_action = format!("form-action 'self' {};", kit.simulator_origin());
        ensure!(csp.contains(&form_action), "/{path}: {form_action} missing from {csp}");
        ensure!(answer.header("x-content-type-options") == Some("nosniff"), "/{path}: nosniff");
        ensure!(
            answer.header("referrer-policy").is_some_and(|r| r == "no-referrer" || r.starts_with("strict-origin")),
            "/{path}: referrer policy"
        );
        ensure!(answer.header("strict-transport-security").is_none(), "/{path}: no HSTS over plain http");
    }
    Ok(())
}

#[tokio::test]
async fn the_spa_is_served_with_the_right_cache_rules_and_types() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let browser = Browser::new();

    let index = browser.get(&kit.url).await?;
    ensure!(index.status == 200 && index.body.contains("<body>index</body>"), "{} {}", index.status, index.body);
    ensure!(index.header("cache-control") == Some("no-cache"), "index.html: {:?}", index.header("cache-control"));
    ensure!(
        index.header("content-type").is_some_and(|t| t.starts_with("text/html")),
        "{:?}",
        index.header("content-type")
    );

    for route in ["profil", "deconnecte", "a/deep/client/route?x=1"] {
        let answer = browser.get(&kit.at(route)).await?;
        ensure!(
            answer.status == 200 && answer.body.contains("<body>index</body>"),
            "/{route} falls back to index.html"
        );
        ensure!(answer.header("cache-control") == Some("no-cache"), "/{route}: {:?}", answer.header("cache-control"));
    }

    let wasm = browser.get(&kit.at("frontend-0123456789abcdef_bg.wasm")).await?;
    ensure!(
        wasm.status == 200 && wasm.header("content-type") == Some("application/wasm"),
        "{:?}",
        wasm.header("content-type")
    );
    ensure!(
        wasm.header("cache-control") == Some("public, max-age=31536000, immutable"),
        "{:?}",
        wasm.header("cache-control")
    );

    let asset = kit.at("frontend-0123456789abcdef.js");
    for (accept, encoding, body) in
        [("br", Some("br"), "brotli bytes"), ("gzip", Some("gzip"), "gzip bytes"), ("identity", None, "export default")]
    {
        let answer = browser.client.get(&asset).header("accept-encoding", accept).send().await?;
        let got = answer.headers().get("content-encoding").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let cache = answer.headers().get("cache-control").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let text = answer.text().await?;
        ensure!(got.as_deref() == encoding && text.starts_with(body), "Accept-Encoding {accept}: {got:?} {text}");
        ensure!(cache.as_deref() == Some("public, max-age=31536000, immutable"), "{accept}: {cache:?}");
    }

    // A missing hashed asset must never be cached for a year (it would pin index.html under its name).
    let missing = browser.get(&kit.at("frontend-ffffffffffffffff_bg.wasm")).await?;
    ensure!(
        missing.header("cache-control") != Some("public, max-age=31536000, immutable"),
        "missing asset cached: {} {:?}",
        missing.status,
        missing.headers
    );

    // A missing file (a path with an extension) is a bilingual 404 page, never index.html under
    // its name; a file that exists is served.
    for path in ["favicon.ico", "humans.txt", "fonts/Marianne-Thin.woff2", "frontend-ffffffffffffffff.js.map"] {
        let answer = browser.get(&kit.at(path)).await?;
        ensure!(answer.status == 404, "/{path}: {} {}", answer.status, answer.body);
        ensure!(
            answer.body.contains("Ce fichier n’existe pas") && answer.body.contains("This file does not exist"),
            "/{path}: bilingual 404: {}",
            answer.body
        );
        ensure!(!answer.body.contains("<body>index</body>"), "/{path}: not the SPA");
        ensure!(answer.header("cache-control") == Some("no-cache"), "/{path}: {:?}", answer.header("cache-control"));
    }
    let index_by_name = browser.get(&kit.at("index.html")).await?;
    ensure!(index_by_name.status == 200 && index_by_name.body.contains("<body>index</body>"), "/index.html");

    for path in ["api/unknown", "api/me/deeper", "api/", "api"] {
        let answer = browser.get(&kit.at(path)).await?;
        ensure!(answer.status == 404, "/{path}: {} {}", answer.status, answer.body);
        ensure!(answer.json()?["error"] == "not_found", "/{path}: JSON 404, never the SPA: {}", answer.body);
    }
    Ok(())
}
