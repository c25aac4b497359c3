//! `backend/openapi.json` against the real router (with the simulator): every documented
//! operation exists and answers one of its documented statuses with a documented media type
//! (so the SPA's `index.html` fallback cannot pass for a route); every route the backend's
//! sources declare is documented, and any other path under `/api/` is a JSON 404; the real
//! `/api/me`, `/api/config` and errors, signed in and out, validate against the documented schemas;
//! the documented query parameters and form fields are the fields the handlers read.

use anyhow::{Context, bail, ensure};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use testkit::{Answer, Browser, Kit};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn openapi() -> anyhow::Result<Value> {
    let path = manifest_dir().join("openapi.json");
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let doc: Value = serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))?;
    ensure!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1.")), "OpenAPI 3.1: {}", doc["openapi"]);
    ensure!(
        doc["info"]["version"] == env!("CARGO_PKG_VERSION"),
        "info.version is the crate's: {}",
        doc["info"]["version"]
    );
    Ok(doc)
}

/// Every (path, method) the document describes.
fn operations(doc: &Value) -> anyhow::Result<Vec<(String, String)>> {
    let paths = doc["paths"].as_object().context("openapi.json has no paths")?;
    let mut found = Vec::new();
    for (path, item) in paths {
        for method in item.as_object().context("a path item is an object")?.keys() {
            if ["get", "post", "put", "patch", "delete", "head", "options"].contains(&method.as_str()) {
                found.push((path.clone(), method.clone()));
            }
        }
    }
    Ok(found)
}

/// Checks a real answer against the operation's documented responses: its status is one of
/// them, its media type one the status documents, and a JSON body validates against the schema.
fn check_answer(doc: &Value, path: &str, method: &str, answer: &Answer) -> anyhow::Result<()> {
    let status = answer.status.as_u16();
    ensure!(status != 404 && status != 405, "{method} {path} is documented but the router answers {status}");
    let response = &doc["paths"][path][method]["responses"][status.to_string()];
    ensure!(response.is_object(), "{method} {path}: {status} is not documented ({})", answer.body);
    let Some(content) = response.get("content").and_then(Value::as_object) else {
        return Ok(());
    };
    let media = answer.header("content-type").unwrap_or_default();
    let media = media.split(';').next().unwrap_or_default().trim();
    let Some(documented) = content.get(media) else {
        bail!("{method} {path}: {status} answers {media}, documented {:?}", content.keys().collect::<Vec<_>>());
    };
    if media == "application/json" {
        let body: Value = answer.json()?;
        validate(doc, &documented["schema"], &body).with_context(|| format!("{method} {path} ({status})"))?;
    }
    Ok(())
}

/// Validates `value` against `schema`, whose `$ref`s point into the document's components.
fn validate(doc: &Value, schema: &Value, value: &Value) -> anyhow::Result<()> {
    let mut root = schema.clone();
    let root_map = root.as_object_mut().context("a schema is an object")?;
    root_map.insert("$schema".into(), json!("https://json-schema.org/draft/2020-12/schema"));
    root_map.insert("components".into(), doc["components"].clone());
    let validator = jsonschema::validator_for(&root).map_err(|e| anyhow::anyhow!("invalid schema: {e}"))?;
    let errors: Vec<String> = validator.iter_errors(value).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    ensure!(errors.is_empty(), "{value} does not match the documented schema: {}", errors.join("; "));
    Ok(())
}

/// Sends each documented operation the way a browser would; the sign-out form (which ends the
/// session) goes last, with the session's token when there is one.
async fn exercise(doc: &Value, kit: &Kit, browser: &Browser, signed_in: bool) -> anyhow::Result<()> {
    let mut operations = operations(doc)?;
    operations.sort_by_key(|(_, method)| method == "post");
    for (path, method) in operations {
        let url = kit.at(path.trim_start_matches('/'));
        let answer = match method.as_str() {
            "get" => browser.get(&url).await?,
            "post" if path == "/auth/logout" && signed_in => browser.logout(&kit.url).await?,
            "post" => browser.post_form(&url, &[]).await?,
            other => bail!("{other} {path}: this test sends only GET and POST"),
        };
        check_answer(doc, &path, &method, &answer).with_context(|| format!("signed in: {signed_in}"))?;
    }
    Ok(())
}

#[tokio::test]
async fn every_documented_operation_answers_as_documented_signed_out_and_in() -> anyhow::Result<()> {
    let doc = openapi()?;
    let kit = Kit::start().await?;
    exercise(&doc, &kit, &Browser::new(), false).await?;

    let browser = Browser::new();
    let done = browser.sign_in(&kit).await?;
    ensure!(done.status == 303, "signed in: {} {}", done.status, done.body);
    // The signed-in answers themselves, beyond their status: the agent as documented.
    let me = browser.me(&kit.url).await?;
    ensure!(me.status == 200, "/api/me: {} {}", me.status, me.body);
    check_answer(&doc, "/api/me", "get", &me)?;
    ensure!(me.json()?["claims"]["siret"] == "21340126800130", "the demo agent's claims: {}", me.body);
    exercise(&doc, &kit, &browser, true).await?;
    // The sign-out went through: signed out now, as documented.
    let me = browser.me(&kit.url).await?;
    ensure!(me.status == 401, "signed out by the documented form: {} {}", me.status, me.body);
    check_answer(&doc, "/api/me", "get", &me)
}

#[tokio::test]
async fn the_documented_schemas_refuse_what_the_api_never_sends() -> anyhow::Result<()> {
    // The validation is not vacuous: a drifted /api/me or error fails it.
    let doc = openapi()?;
    let me = json!({"$ref": "#/components/schemas/Me"});
    let error = json!({"$ref": "#/components/schemas/ApiError"});
    let good = json!({"claims": {"sub": "s"}, "acr": null, "amr": [], "expires_at": 1, "brand": "proconnect", "csrf_token": "t"});
    validate(&doc, &me, &good)?;
    let mut renamed = good.clone();
    renamed["csrf"] = renamed["csrf_token"].take();
    ensure!(validate(&doc, &me, &renamed).is_err(), "a renamed field passes");
    let mut bad_siret = good.clone();
    bad_siret["claims"]["siret"] = json!("123");
    ensure!(validate(&doc, &me, &bad_siret).is_err(), "a malformed SIRET passes");
    ensure!(
        validate(&doc, &error, &json!({"error": "x", "message": "m"})).is_err(),
        "an error without message_fr passes"
    );
    Ok(())
}

/// `(path, method)` of every `.route("…", method(handler))` in the backend's sources, except the
/// JSON 404s (`not_found`, `not_here`) that only keep other paths away from the SPA.
fn declared_routes(dir: &Path, found: &mut Vec<(String, String)>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            declared_routes(&path, found)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            // The code only: doc comments show routes of a host app.
            let source: String = std::fs::read_to_string(&path)?
                .lines()
                .filter(|line| !line.trim_start().starts_with("//"))
                .flat_map(|line| [line, "\n"])
                .collect();
            // `.route("/x", get(h))`, or `.route(&at("/x"), get(h))` under the base path; not
            // `paths.route("/x")`, which only writes a link.
            for call in source.split(".route(").skip(1) {
                let call = call.trim_start();
                let (call, under_base) = match call.strip_prefix("&at(") {
                    Some(call) => (call, true),
                    None => (call, false),
                };
                let Some(rest) = call.strip_prefix('"') else { continue };
                let (route, handler) = rest.split_once('"').context("a route literal ends")?;
                let handler = if under_base { handler.strip_prefix(')').unwrap_or(handler) } else { handler };
                let Some(handler) = handler.trim_start().strip_prefix(',') else { continue };
                let handler = handler.trim_start();
                if handler.contains("not_found") && handler.find("not_found") < handler.find(')')
                    || handler.starts_with("get(not_here)")
                {
                    continue;
                }
                let method = handler.split('(').next().unwrap_or_default().to_owned();
                found.push((route.to_owned(), method));
            }
        }
    }
    Ok(())
}

#[tokio::test]
async fn every_route_the_backend_declares_is_documented_and_no_other_api_path_answers() -> anyhow::Result<()> {
    let doc = openapi()?;
    let mut routes = Vec::new();
    declared_routes(&manifest_dir().join("src"), &mut routes)?;
    for api in ["/api/me", "/api/config", "/auth/logout"] {
        ensure!(routes.iter().any(|(path, _)| path == api), "the source scan finds {api}: {routes:?}");
    }
    for (path, method) in &routes {
        ensure!(
            doc["paths"][path][method].is_object(),
            "{} {path} is served by the backend (src/) but not documented in openapi.json",
            method.to_uppercase()
        );
    }
    // Nothing answers under /api/ but the documented routes: any other path is the JSON 404.
    let kit = Kit::start().await?;
    let browser = Browser::new();
    for path in ["api", "api/", "api/nope", "api/me/extra", "api/config2"] {
        let answer = browser.get(&kit.at(path)).await?;
        ensure!(
            answer.status == 404 && answer.json()?["error"] == "not_found",
            "/{path}: {} {}",
            answer.status,
            answer.body
        );
        validate(&doc, &json!({"$ref": "#/components/schemas/ApiError"}), &answer.json()?)?;
    }
    Ok(())
}

/// The field names of `pub struct <name> { … }` in `source`.
fn struct_fields(source: &str, name: &str) -> anyhow::Result<Vec<String>> {
    let start =
        source.find(&format!("pub struct {name} {{")).with_context(|| format!("struct {name} in src/auth.rs"))?;
    let body = &source[start..];
    let body = &body[body.find('{').unwrap_or(0) + 1..body.find("\n}").context("the struct ends")?];
    Ok(body
        .lines()
        .map(str::trim)
        .filter(|line| !line.starts_with("//") && !line.starts_with('#'))
        .filter_map(|line| line.trim_start_matches("pub ").split_once(':').map(|(field, _)| field.trim().to_owned()))
        .collect())
}

#[test]
fn the_documented_parameters_are_the_fields_the_handlers_read() -> anyhow::Result<()> {
    let doc = openapi()?;
    let source = std::fs::read_to_string(manifest_dir().join("src/auth.rs"))?;
    for (name, path, method) in [
        ("LoginQuery", "/auth/login", "get"),
        ("CallbackQuery", "/auth/callback", "get"),
        ("LogoutCallbackQuery", "/auth/logout/callback", "get"),
    ] {
        let mut read = struct_fields(&source, name)?;
        let mut documented: Vec<String> = doc["paths"][path][method]["parameters"]
            .as_array()
            .context("parameters")?
            .iter()
            .filter(|p| p["in"] == "query")
            .filter_map(|p| p["name"].as_str().map(str::to_owned))
            .collect();
        read.sort();
        documented.sort();
        ensure!(
            read == documented,
            "{path}: the handler reads {read:?} ({name}), openapi.json documents {documented:?}"
        );
    }
    let form = struct_fields(&source, "LogoutForm")?;
    let schema =
        &doc["paths"]["/auth/logout"]["post"]["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"];
    let documented: Vec<String> = schema["properties"].as_object().context("form fields")?.keys().cloned().collect();
    ensure!(form == documented, "POST /auth/logout: the form has {form:?}, openapi.json documents {documented:?}");
    Ok(())
}
