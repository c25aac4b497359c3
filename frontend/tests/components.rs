//! Component tests in headless Chromium (wasm-bindgen-test): the official button's markup for
//! both brands (ProConnect today, AgentConnect legacy), the "OU" divider, the sign-in notices,
//! the error page (explanations, support contact, both languages), the profile (level, two-factor,
//! roles, step-up, the sign-out form), the API's error handling (step-up), its JSON read without
//! serde and the router's links.

use leptos::prelude::*;
use proconnect_leptos::api::{ApiFailure, failure_from, is_local_path};
use proconnect_leptos::components::{ConnectButton, Divider, Footer, Header, SupportLink};
use proconnect_leptos::i18n::{Lang, Language};
use proconnect_leptos::json;
use proconnect_leptos::pages::{ErrorPage, Profile, SignIn, SignInNotice, explain, step_up_href};
use proconnect_leptos::router::{self, Router};
use proconnect_types::{ApiError, Bilingual, Brand, Me};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn mount(view: impl FnOnce() -> AnyView + 'static) -> web_sys::HtmlElement {
    let document = web_sys::window().and_then(|w| w.document()).expect("a document");
    let host: web_sys::HtmlElement = document.create_element("div").expect("div").unchecked_into();
    document.body().expect("body").append_child(&host).expect("append");
    let handle = leptos::mount::mount_to(host.clone(), view);
    handle.forget();
    host
}

/// Mounts `view` with the language set to `lang` (as the app's switch does).
fn mount_in(lang: Lang, view: impl FnOnce() -> AnyView + 'static) -> web_sys::HtmlElement {
    mount(move || {
        provide_context(Language(RwSignal::new(lang)));
        view()
    })
}

fn find(host: &web_sys::HtmlElement, selector: &str) -> web_sys::Element {
    host.query_selector(selector).expect("query").unwrap_or_else(|| panic!("{selector} is missing"))
}

fn absent(host: &web_sys::HtmlElement, selector: &str) -> bool {
    host.query_selector(selector).expect("query").is_none()
}

fn text(host: &web_sys::HtmlElement, selector: &str) -> String {
    find(host, selector).text_content().unwrap_or_default()
}

fn attr(host: &web_sys::HtmlElement, selector: &str, name: &str) -> Option<String> {
    find(host, selector).get_attribute(name)
}

fn button_html(brand: Brand, intro: bool) -> web_sys::HtmlElement {
    mount(move || view! { <ConnectButton brand href="/auth/login" intro/> }.into_any())
}

// ---- The button ----------------------------------------------------------------------------

#[wasm_bindgen_test]
fn agentconnect_button_keeps_its_2024_markup() {
    let host = button_html(Brand::AgentConnect, false);
    assert_eq!(attr(&host, "#connect-button", "href").as_deref(), Some("/auth/login"));
    assert_eq!(text(&host, "#connect-button"), "S’identifier avec AgentConnect");
    assert!(find(&host, "#connect-button").class_list().contains("agentconnect-button"));
    assert_eq!(attr(&host, "#connect-info-link", "href").as_deref(), Some("https://agentconnect.gouv.fr/"));
    assert_eq!(attr(&host, "#connect-info-link", "target").as_deref(), Some("_blank"));
    assert_eq!(attr(&host, "#connect-info-link", "rel").as_deref(), Some("noopener"));
    assert_eq!(
        attr(&host, "#connect-info-link", "title").as_deref(),
        Some("Qu’est-ce qu’AgentConnect ? - nouvelle fenêtre")
    );
    assert_eq!(text(&host, "#connect-info-link"), "Qu’est-ce qu’AgentConnect ?");
    assert!(absent(&host, ".connect-intro"), "no intro unless asked");
}

#[wasm_bindgen_test]
fn proconnect_button_is_the_dsfr_pro_variant_with_todays_link() {
    let host = button_html(Brand::ProConnect, false);
    let button = find(&host, "#connect-button");
    assert!(button.class_list().contains("fr-connect") && button.class_list().contains("fr-connect--pro"));
    assert_eq!(button.text_content().as_deref(), Some("S’identifier avec ProConnect"));
    assert_eq!(attr(&host, "#connect-info-link", "href").as_deref(), Some(Brand::ProConnect.info_url()));
    assert_eq!(attr(&host, "#connect-info-link", "href").as_deref(), Some("https://www.proconnect.gouv.fr/"));
    assert_eq!(attr(&host, "#connect-info-link", "target").as_deref(), Some("_blank"));
    assert_eq!(attr(&host, "#connect-info-link", "rel").as_deref(), Some("noopener noreferrer"));
    assert_eq!(attr(&host, "#connect-info-link", "title").as_deref(), Some(Brand::ProConnect.info_title()));
    assert!(attr(&host, "#connect-info-link", "title").is_some_and(|t| t.ends_with("- nouvelle fenêtre")));
    assert_eq!(text(&host, "#connect-info-link"), "Qu’est-ce que ProConnect ?");
    assert!(absent(&host, ".connect-intro"), "no intro unless asked");
    assert!(!host.inner_html().contains("AgentConnect"), "{}", host.inner_html());
}

#[wasm_bindgen_test]
fn proconnect_intro_names_proconnect_only() {
    let host = button_html(Brand::ProConnect, true);
    let intro = text(&host, ".connect-intro");
    assert!(intro.contains("ProConnect vous permet d’accéder"), "{intro}");
    assert!(!host.inner_html().contains("AgentConnect"));
}

#[wasm_bindgen_test]
fn divider_reads_ou() {
    let host = mount(|| view! { <Divider/> }.into_any());
    assert_eq!(text(&host, "#connect-divider"), "OU");
    assert_eq!(attr(&host, "#connect-divider", "role").as_deref(), Some("separator"));
}

// ---- The sign-in page ----------------------------------------------------------------------

#[wasm_bindgen_test]
fn sign_in_under_proconnect_has_no_2024_divider_nor_intro() {
    let host = mount(|| view! { <Router><SignIn brand=Brand::ProConnect/></Router> }.into_any());
    assert!(find(&host, "#connect-button").class_list().contains("fr-connect--pro"));
    assert!(absent(&host, "#connect-divider") && absent(&host, ".connect-intro"));
    assert!(text(&host, "#connect-audience").contains("agents publics"));
    assert!(!absent(&host, "#other-method"), "a local sign-in for people ProConnect does not cover");
    assert!(!host.inner_html().contains("AgentConnect"), "{}", host.inner_html());
}

/// Tags, attributes (but `id` and `for`, which the static page renames, and the button's
/// `?return_to=/compte`) and texts of `root`'s content, one per line: what the page looks like.
fn outline(root: &web_sys::Element) -> String {
    let walk = js_sys::Function::new_with_args(
        "root",
        r#"const walk = (n) => {
             if (n.nodeType === 3) { const t = n.textContent.trim(); return t ? [JSON.stringify(t)] : []; }
             if (n.nodeType !== 1) return [];
             const attrs = [...n.attributes].filter(a => a.name !== 'id' && a.name !== 'for')
               .map(a => `${a.name}=${a.name === 'href' ? a.value.replace('?return_to=/compte', '') : a.value}`).sort();
             return [`<${n.localName} ${attrs.join(' ')}>`, ...[...n.childNodes].flatMap(walk), `</${n.localName}>`];
           };
           return [...root.childNodes].flatMap(walk).join('\n');"#,
    );
    walk.call1(&wasm_bindgen::JsValue::NULL, root).expect("outline").as_string().expect("a string")
}

/// The static sign-in page `index.html` shows before the Wasm (`#shell`) is the App's, under
/// ProConnect in French: header, sign-in page (with the button and its link), footer, the same
/// elements, classes, attributes and texts. Its button alone leads elsewhere: to `/compte` after
/// signing in, the profile the server renders for a browser without scripts.
#[wasm_bindgen_test]
fn static_shell_matches_the_sign_in_page() {
    let index = include_str!("../index.html");
    let start = index.find("<div id=\"shell\">").expect("#shell in index.html");
    let end = start + index[start..].find("<script>").expect("index.html's script after #shell");
    let document = web_sys::window().and_then(|w| w.document()).expect("a document");
    let parsed = document.create_element("div").expect("div");
    parsed.set_inner_html(&index[start..end]);
    let shell = parsed.query_selector("#shell").expect("query").expect("#shell");
    let button = find(&parsed.clone().unchecked_into(), "a.fr-connect");
    assert_eq!(button.get_attribute("href").as_deref(), Some("/auth/login?return_to=/compte"));

    let app = mount_in(Lang::Fr, || {
        view! {
            <Router>
                <Header/>
                <main id="contenu" class="fr-container fr-py-6w" tabindex="-1"><SignIn brand=Brand::ProConnect/></main>
                <Footer/>
            </Router>
        }
        .into_any()
    });
    let (ours, static_page) = (outline(&app), outline(&shell));
    assert!(ours.contains("S’identifier avec") && ours.contains("<footer "), "{ours}");
    assert_eq!(static_page, ours, "index.html's #shell differs from the App's sign-in page");
}

#[wasm_bindgen_test]
fn sign_in_under_agentconnect_keeps_the_divider_and_intro() {
    let host = mount(|| view! { <Router><SignIn brand=Brand::AgentConnect/></Router> }.into_any());
    assert!(find(&host, "#connect-button").class_list().contains("agentconnect-button"));
    assert_eq!(text(&host, "#connect-divider"), "OU");
    assert!(text(&host, ".connect-intro").contains("AgentConnect vous permet"));
    assert!(absent(&host, "#connect-audience"));
}

fn notice(lang: Lang, name: &'static str, support: Option<&'static str>) -> web_sys::HtmlElement {
    mount_in(lang, move || {
        let support = Signal::stored(support.map(str::to_owned));
        view! { <SignInNotice name brand=Brand::ProConnect support/> }.into_any()
    })
}

#[wasm_bindgen_test]
fn cancelling_is_the_only_notice_that_says_cancelled() {
    let host = notice(Lang::Fr, "access_denied.cancelled", Some("support@exemple.gouv.fr"));
    assert!(text(&host, "#notice").contains("annulé"), "{}", text(&host, "#notice"));
    assert!(find(&host, "#notice").class_list().contains("fr-alert--info"));
    assert!(absent(&host, "#support-contact"), "the agent's own choice needs no support");
    let host = notice(Lang::En, "access_denied.cancelled", None);
    assert!(text(&host, "#notice-happened").contains("You cancelled"));

    for name in ["login_required", "access_denied", "access_denied.level_not_met", "access_denied.identity_refused"] {
        for lang in [Lang::Fr, Lang::En] {
            let host = notice(lang, name, None);
            let shown = text(&host, "#notice").to_lowercase();
            assert!(!shown.contains("annulé") && !shown.contains("cancel"), "{name}: {shown}");
            assert!(!shown.contains("agentconnect"), "{name}: {shown}");
            assert!(!text(&host, "#notice-title").is_empty() && !text(&host, "#notice-to-do").is_empty());
        }
    }
    let host = notice(Lang::Fr, "login_required", None);
    assert!(text(&host, "#notice-happened").contains("pas connecté à ProConnect"));
    assert!(find(&host, "#notice").class_list().contains("fr-alert--info"));
    let host = notice(Lang::En, "login_required", None);
    assert!(text(&host, "#notice-happened").contains("not signed in to ProConnect"));
}

#[wasm_bindgen_test]
fn an_unexplained_access_denied_is_a_warning_with_the_support_contact() {
    let host = notice(Lang::Fr, "access_denied", Some("support@exemple.gouv.fr"));
    assert!(find(&host, "#notice").class_list().contains("fr-alert--warning"));
    assert_eq!(attr(&host, "#notice", "role").as_deref(), Some("alert"));
    assert_eq!(attr(&host, "#support-link", "href").as_deref(), Some("mailto:support@exemple.gouv.fr"));
    assert_eq!(text(&host, "#notice-happened"), "ProConnect n’a pas autorisé cette connexion.");
}

// ---- The error page ------------------------------------------------------------------------

fn error_page(lang: Lang, code: &'static str, brand: Brand, support: Option<&'static str>) -> web_sys::HtmlElement {
    mount_in(lang, move || match support {
        Some(support) => view! { <ErrorPage code brand support/> }.into_any(),
        None => view! { <ErrorPage code brand/> }.into_any(),
    })
}

#[wasm_bindgen_test]
fn platform_codes_are_explained_with_the_support_email() {
    let host = error_page(Lang::Fr, "Y030031", Brand::ProConnect, Some("support@exemple.gouv.fr"));
    assert_eq!(text(&host, "#error-title"), "Service mal configuré");
    assert!(text(&host, "#error-explanation").contains("mal configuré auprès de ProConnect"));
    assert!(text(&host, "#error-to-do").contains("Contactez le support"));
    assert_eq!(text(&host, "#error-code"), "Y030031");
    assert_eq!(attr(&host, "#support-link", "href").as_deref(), Some("mailto:support@exemple.gouv.fr"));
    assert_eq!(text(&host, "#support-link"), "support@exemple.gouv.fr");
    assert!(!host.inner_html().contains("AgentConnect"), "{}", host.inner_html());

    let host = error_page(Lang::En, "Y030031", Brand::ProConnect, Some("https://support.exemple.gouv.fr/aide"));
    assert_eq!(text(&host, "#error-title"), "Service misconfigured");
    assert!(text(&host, "#error-explanation").contains("misconfigured with ProConnect"));
    assert_eq!(attr(&host, "#support-link", "href").as_deref(), Some("https://support.exemple.gouv.fr/aide"));
    assert_eq!(attr(&host, "#support-link", "target").as_deref(), Some("_blank"));
    assert!(text(&host, "#support-contact").starts_with("Service support"));
}

#[wasm_bindgen_test]
fn callback_errors_are_explained_and_support_shown_only_when_needed() {
    let host = error_page(Lang::Fr, "access_denied.level_not_met", Brand::ProConnect, Some("aide@exemple.gouv.fr"));
    assert_eq!(text(&host, "#error-title"), "Niveau de sécurité insuffisant");
    assert!(text(&host, "#error-to-do").contains("second facteur"));
    assert!(!text(&host, "#error-explanation").contains("annulé"));
    assert!(!absent(&host, "#support-contact"));

    let host = error_page(Lang::Fr, "Y030110", Brand::ProConnect, Some("aide@exemple.gouv.fr"));
    assert_eq!(text(&host, "#error-title"), "Session expirée");
    assert!(absent(&host, "#support-contact"), "an expired session needs no support");

    let host = error_page(Lang::Fr, "Y030031", Brand::ProConnect, None);
    assert!(absent(&host, "#support-contact"), "no contact configured, nothing to show");

    let host = error_page(Lang::En, "server_error", Brand::AgentConnect, None);
    assert_eq!(text(&host, "#error-explanation"), "AgentConnect met a technical error.");
}

#[wasm_bindgen_test]
fn explanations_never_name_agentconnect_under_proconnect() {
    let names = [
        "Y000400",
        "Y000404",
        "Y020018",
        "Y030031",
        "Y030110",
        "Y500015",
        "access_denied",
        "access_denied.cancelled",
        "login_required",
        "invalid_scope",
        "idp_hint_not_found",
        "server_error",
        "nonsense",
    ];
    for name in names {
        let text = format!("{:?}", explain(name, Brand::ProConnect));
        assert!(!text.contains("AgentConnect"), "{name}: {text}");
    }
    assert!(explain("Y030031", Brand::ProConnect).contact_support);
    assert!(explain("nonsense", Brand::ProConnect).happened.fr.contains("erreur technique"));
    assert!(format!("{:?}", explain("Y030031", Brand::AgentConnect)).contains("AgentConnect"));
}

#[wasm_bindgen_test]
fn an_api_failure_shows_its_message_in_the_current_language() {
    let message = || Bilingual::new("Le service ne répond pas.", "The service does not answer.");
    let host =
        mount_in(Lang::En, move || view! { <ErrorPage message=message() code="" brand=Brand::ProConnect/> }.into_any());
    assert_eq!(text(&host, "#error-detail"), "The service does not answer.");
    assert_eq!(text(&host, "#error-title"), "Something went wrong");
    assert!(absent(&host, "#error-code"));
    let host =
        mount_in(Lang::Fr, move || view! { <ErrorPage message=message() code="" brand=Brand::ProConnect/> }.into_any());
    assert_eq!(text(&host, "#error-detail"), "Le service ne répond pas.");
}

#[wasm_bindgen_test]
fn support_contacts_become_safe_links() {
    assert_eq!(SupportLink::parse(" a@b.fr "), Some(SupportLink::Email("a@b.fr".into())));
    assert_eq!(SupportLink::parse("mailto:a@b.fr"), Some(SupportLink::Email("a@b.fr".into())));
    assert_eq!(SupportLink::parse("https://x.fr/aide"), Some(SupportLink::Web("https://x.fr/aide".into())));
    assert_eq!(
        SupportLink::parse("javascript:alert(1)//@x"),
        Some(SupportLink::Text("javascript:alert(1)//@x".into()))
    );
    assert_eq!(SupportLink::parse("javascript:alert(1)").and_then(|l| l.href()), None);
    assert_eq!(SupportLink::parse("  "), None);
}

// ---- The profile ---------------------------------------------------------------------------

fn me(acr: Option<&str>, brand: &str, roles: &[&str], organization: Option<&str>) -> Me {
    serde_json::from_value(serde_json::json!({
        "claims": {
            "sub": "sub-123",
            "given_name": "Angela Claire Louise",
            "usual_name": "DUBOIS",
            "email": "test@fia1.fr",
            "roles": roles,
            "organization_label": organization,
        },
        "acr": acr,
        "amr": if acr == Some("eidas1") { vec!["pwd"] } else { vec!["pwd", "totp", "mfa"] },
        "expires_at": 1_900_000_000,
        "brand": brand,
        "csrf_token": "csrf",
    }))
    .expect("a Me")
}

fn profile(lang: Lang, me: Me) -> web_sys::HtmlElement {
    mount_in(lang, move || view! { <Profile me/> }.into_any())
}

#[wasm_bindgen_test]
fn a_password_level_is_described_and_offers_a_step_up() {
    let host = profile(Lang::Fr, me(Some("eidas1"), "proconnect", &[], None));
    assert_eq!(text(&host, "#claim-acr"), "eidas1");
    assert_eq!(text(&host, "#claim-acr-description"), "mot de passe");
    assert_eq!(attr(&host, "#claim-two-factor", "data-two-factor").as_deref(), Some("false"));
    assert_eq!(text(&host, "#claim-two-factor"), "Non");
    assert_eq!(text(&host, "#claim-amr"), "pwd");
    assert_eq!(text(&host, "#claim-roles"), "Aucun");
    assert!(find(&host, "#claim-organization-label").class_list().contains("not-provided"));
    assert_eq!(text(&host, "#signed-in-with"), "Vous êtes connecté avec ProConnect.");
    assert!(!host.inner_html().contains("AgentConnect"), "{}", host.inner_html());

    let path = web_sys::window().expect("window").location().pathname().expect("a path");
    let expected =
        format!("/auth/login?acr=two-factor&return_to={}", String::from(js_sys::encode_uri_component(&path)));
    assert_eq!(attr(&host, "#step-up", "href"), Some(expected));
    assert_eq!(attr(&host, "#step-up", "rel").as_deref(), Some("external"), "a full navigation, not the SPA router");
    assert_eq!(text(&host, "#step-up").trim(), "Se reconnecter avec un second facteur");

    let host = profile(Lang::En, me(Some("eidas1"), "proconnect", &[], None));
    assert_eq!(text(&host, "#claim-acr-description"), "password");
    assert_eq!(text(&host, "#claim-roles"), "None");
    assert_eq!(text(&host, "#step-up").trim(), "Sign in again with a second factor");
}

#[wasm_bindgen_test]
fn sign_out_is_a_form_posting_the_anti_forgery_token_to_the_backend() {
    let host = profile(Lang::Fr, me(Some("eidas1"), "proconnect", &[], None));
    let form = find(&host, "#sign-out-form");
    assert_eq!(form.get_attribute("method").as_deref(), Some("post"));
    assert_eq!(form.get_attribute("action").as_deref(), Some("/auth/logout"));
    let token = find(&host, "#sign-out-form input[name=csrf_token]");
    assert_eq!(token.get_attribute("type").as_deref(), Some("hidden"));
    assert_eq!(token.get_attribute("value").as_deref(), Some("csrf"), "the token from /api/me");
    let button = find(&host, "#sign-out-form #sign-out");
    assert_eq!(button.get_attribute("type").as_deref(), Some("submit"));
    assert!(button.class_list().contains("fr-btn") && button.class_list().contains("fr-btn--secondary"), "DSFR look");
    assert_eq!(button.text_content().unwrap_or_default().trim(), "Se déconnecter");
}

#[wasm_bindgen_test]
fn a_two_factor_level_is_shown_as_such_with_roles_and_organisation() {
    let roles = ["agent_public", "agent_public_etat"];
    let host = profile(Lang::Fr, me(Some("eidas1-mfa"), "proconnect", &roles, Some("Ministère de l’Exemple")));
    assert_eq!(text(&host, "#claim-acr"), "eidas1-mfa");
    assert_eq!(text(&host, "#claim-acr-description"), "mot de passe et second facteur");
    assert_eq!(attr(&host, "#claim-two-factor", "data-two-factor").as_deref(), Some("true"));
    assert!(text(&host, "#claim-two-factor").contains("deux facteurs"));
    assert!(absent(&host, "#step-up"), "no step-up once two-factor");
    assert_eq!(text(&host, "#claim-amr"), "pwd, totp, mfa");
    assert_eq!(text(&host, "#claim-roles"), "agent_public, agent_public_etat");
    assert_eq!(text(&host, "#claim-organization-label"), "Ministère de l’Exemple");

    let host = profile(
        Lang::En,
        me(Some("https://proconnect.gouv.fr/assurance/certification-dirigeant"), "proconnect", &[], None),
    );
    assert_eq!(text(&host, "#claim-acr"), "certification-dirigeant");
    assert_eq!(text(&host, "#claim-acr-description"), "certified company director");
    assert_eq!(attr(&host, "#claim-two-factor", "data-two-factor").as_deref(), Some("false"));

    let host = profile(Lang::Fr, me(Some("eidas9"), "proconnect", &[], None));
    assert_eq!(text(&host, "#claim-acr"), "eidas9");
    assert_eq!(text(&host, "#claim-acr-description"), "niveau inconnu");
}

#[wasm_bindgen_test]
fn a_missing_level_reads_not_provided_and_the_legacy_brand_has_no_step_up() {
    let host = profile(Lang::Fr, me(None, "proconnect", &[], None));
    assert!(find(&host, "#claim-acr").class_list().contains("not-provided"));
    assert!(absent(&host, "#claim-acr-description"));
    assert!(!absent(&host, "#step-up"));

    let host = profile(Lang::Fr, me(Some("eidas1"), "agentconnect", &[], None));
    assert_eq!(text(&host, "#signed-in-with"), "Vous êtes connecté avec AgentConnect.");
    assert!(absent(&host, "#step-up"), "the 2024 platform has no two-factor level");
}

#[wasm_bindgen_test]
fn step_up_returns_to_a_local_path_only() {
    assert_eq!(step_up_href("/"), "/auth/login?acr=two-factor&return_to=%2F");
    assert_eq!(step_up_href("/dossiers/12"), "/auth/login?acr=two-factor&return_to=%2Fdossiers%2F12");
    assert_eq!(step_up_href("//evil.example"), "/auth/login?acr=two-factor&return_to=%2F");
    assert_eq!(step_up_href("https://evil.example/"), "/auth/login?acr=two-factor&return_to=%2F");
}

// ---- The API's errors ----------------------------------------------------------------------

fn api_error(error: &str, step_up: Option<&str>, message_fr: &str) -> ApiError {
    ApiError {
        error: error.into(),
        message: "Sign in again with a second factor.".into(),
        message_fr: message_fr.into(),
        step_up: step_up.map(str::to_owned),
    }
}

#[wasm_bindgen_test]
fn insufficient_level_with_a_step_up_address_asks_to_step_up() {
    let step_up = "/auth/login?acr=two-factor&return_to=%2Fdossiers";
    assert_eq!(
        failure_from(403, Some(api_error("insufficient_level", Some(step_up), "Reconnectez-vous."))),
        ApiFailure::StepUp(step_up.into())
    );
    // Never to another site.
    let elsewhere = failure_from(403, Some(api_error("insufficient_level", Some("https://evil.example/"), "x")));
    assert!(matches!(elsewhere, ApiFailure::Other(_)), "{elsewhere:?}");
    assert!(!is_local_path("//evil.example/") && is_local_path("/auth/login"));
    // Without an address, or another error: the message in both languages.
    assert_eq!(
        failure_from(403, Some(api_error("insufficient_level", None, "Reconnectez-vous."))),
        ApiFailure::Other(Bilingual::new("Reconnectez-vous.", "Sign in again with a second factor."))
    );
    assert_eq!(
        failure_from(403, Some(api_error("csrf", None, ""))),
        ApiFailure::Other(Bilingual::new("Sign in again with a second factor.", "Sign in again with a second factor."))
    );
    assert_eq!(failure_from(401, None), ApiFailure::SignedOut);
    assert_eq!(failure_from(502, None), ApiFailure::Other(Bilingual::new("HTTP 502", "HTTP 502")));
}

// ---- The API's JSON ------------------------------------------------------------------------

fn parse(json: &str) -> wasm_bindgen::JsValue {
    js_sys::JSON::parse(json).expect("JSON")
}

#[wasm_bindgen_test]
fn the_apis_json_reads_as_the_backend_wrote_it() {
    let mut agent = me(Some("eidas1-mfa"), "agentconnect", &["agent_public", "agent_public_sante"], Some("Ministère"));
    agent.claims.siret = proconnect_types::Siret::parse("13002526500013").ok();
    agent.claims.siren = proconnect_types::Siren::parse("130025265").ok();
    agent.claims.chorusdt_matricule = Some("M-1".into());
    agent.claims.chorusdt_societe = Some("S-1".into());
    agent.claims.idp_id = Some("fia1".into());
    let written = serde_json::to_string(&agent).expect("JSON");
    assert_eq!(json::me(parse(&written)), Some(agent));
    let agent = me(None, "proconnect", &[], None);
    assert_eq!(json::me(parse(&serde_json::to_string(&agent).expect("JSON"))), Some(agent));

    let config =
        proconnect_types::PublicConfig { brand: Brand::AgentConnect, support: Some("aide@exemple.gouv.fr".into()) };
    assert_eq!(json::public_config(parse(&serde_json::to_string(&config).expect("JSON"))), Some(config));
    let error = api_error("insufficient_level", Some("/auth/login?acr=two-factor"), "Reconnectez-vous.");
    assert_eq!(json::api_error(parse(&serde_json::to_string(&error).expect("JSON"))), Some(error));
    let error = json::api_error(parse(r#"{"error":"csrf","message":"Refused."}"#));
    assert_eq!(error.map(|e| e.message_fr), Some(String::new()), "message_fr defaults to empty");
}

#[wasm_bindgen_test]
fn unexpected_json_is_refused_without_a_panic() {
    for bad in [
        r#"null"#,
        r#""text""#,
        r#"[]"#,
        r#"{}"#,
        r#"{"claims":{},"amr":[],"expires_at":1,"brand":"proconnect","csrf_token":"c"}"#,
        r#"{"claims":{"sub":"s"},"amr":"pwd","expires_at":1,"brand":"proconnect","csrf_token":"c"}"#,
        r#"{"claims":{"sub":"s"},"amr":[],"expires_at":1.5,"brand":"proconnect","csrf_token":"c"}"#,
        r#"{"claims":{"sub":"s"},"amr":[],"expires_at":1,"brand":"elsewhere","csrf_token":"c"}"#,
    ] {
        assert_eq!(json::me(parse(bad)), None, "{bad}");
    }
    // Optional claims of the wrong type read as absent, as a malformed SIRET does.
    let agent = json::me(parse(
        r#"{"claims":{"sub":"s","email":3,"siret":"123","roles":"agent_public"},"amr":[],"expires_at":1,"brand":"proconnect","csrf_token":"c"}"#,
    ))
    .expect("a Me");
    assert_eq!((agent.claims.email, agent.claims.siret, agent.claims.roles.len()), (None, None, 0));
    assert_eq!(json::public_config(parse(r#"{"brand":7}"#)), None);
    assert_eq!(json::api_error(parse(r#"{"error":"csrf"}"#)), None);
}

// ---- The router ----------------------------------------------------------------------------

#[wasm_bindgen_test]
async fn links_to_this_site_are_followed_without_reloading() {
    let window = web_sys::window().expect("window");
    let start = window.location().href().expect("href");
    let host = mount(|| {
        view! {
            <Router>
                <p id="path">{|| router::path()}</p>
                <p id="local">{|| router::query("local")}</p>
                <a id="link" href="/deconnecte?local=1">"Déconnecté"</a>
            </Router>
        }
        .into_any()
    });
    find(&host, "#link").unchecked_into::<web_sys::HtmlElement>().click();
    assert_eq!(window.location().pathname().as_deref(), Ok("/deconnecte"), "the address changed");
    leptos::task::tick().await;
    assert_eq!(text(&host, "#path"), "/deconnecte");
    assert_eq!(text(&host, "#local"), "1");
    window
        .history()
        .expect("history")
        .replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&start))
        .expect("back");
}
