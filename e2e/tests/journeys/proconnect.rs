//! Today's ProConnect journey in headless Chromium: a two-factor agent signs in, an `eidas1`
//! agent steps up to a two-factor level and keeps their session, and each refusal page (level
//! not met at the platform, level not met on the ID token, roles) says what happened and what
//! to do, in both languages, and passes the accessibility audit.

use e2e::{Browser, Kit};
use proconnect_types::{LevelPolicy, Role, RolePolicy, Scope};

/// Runs `steps` in a fresh browser, with a screenshot if they fail.
async fn in_browser<F, Fut>(name: &str, steps: F) -> anyhow::Result<()>
where
    F: FnOnce(Browser) -> Fut,
    Fut: std::future::Future<Output = (Browser, anyhow::Result<()>)>,
{
    let (browser, result) = steps(Browser::start().await?).await;
    browser.finish(result, name).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_two_factor_agent_signs_in_and_an_eidas1_agent_steps_up_keeping_the_session() -> anyhow::Result<()> {
    let kit = Kit::start_configured(|s| s.provider.scopes.push(Scope::Roles)).await?;
    in_browser("two-factor", |browser| async {
        let result = async {
            browser.sign_in_as(&kit, "mfa@fia1.fr", "123").await?;
            browser.wait("#welcome").await?;
            assert_eq!(browser.text("#claim-acr").await?, "eidas1-mfa");
            let two_factor = browser.wait("#claim-two-factor").await?;
            assert_eq!(two_factor.attr("data-two-factor").await?.as_deref(), Some("true"));
            assert!(browser.client.find(fantoccini::Locator::Css("#step-up")).await.is_err(), "no step-up offered");
            assert_eq!(browser.text("#claim-roles").await?, "agent_public, agent_public_etat");
            browser.screenshot("profile-two-factor").await?;
            anyhow::Ok(())
        }
        .await;
        (browser, result)
    })
    .await?;

    in_browser("step-up", |browser| async {
        let result = async {
            let c = &browser.client;
            c.goto(&kit.url).await?;
            browser.wait("#connect-button").await?.click().await?;
            browser.wait("input#email").await?.send_keys("camille@test.proconnect.gouv.fr").await?;
            browser.wait("form button[type=submit]").await?.click().await?;
            browser.pick_level("eidas1").await?;
            browser.wait("#welcome").await?;
            assert_eq!(browser.text("#claim-acr").await?, "eidas1");
            let sub = browser.text("#claim-sub").await?;
            let two_factor = browser.wait("#claim-two-factor").await?;
            assert_eq!(two_factor.attr("data-two-factor").await?.as_deref(), Some("false"));
            browser.screenshot("profile-before-step-up").await?;

            // The profile's step-up link: the platform asks again, the tester now uses a second factor.
            browser.wait("#step-up").await?.click().await?;
            browser.pick_level("eidas1-mfa").await?;
            browser.wait("#welcome").await?;
            assert_eq!(browser.text("#claim-acr").await?, "eidas1-mfa");
            assert_eq!(browser.text("#claim-sub").await?, sub, "the same agent, the same session");
            let two_factor = browser.wait("#claim-two-factor").await?;
            assert_eq!(two_factor.attr("data-two-factor").await?.as_deref(), Some("true"));
            anyhow::Ok(())
        }
        .await;
        (browser, result)
    })
    .await?;
    kit.assert_no_jwt_readable_by_script()
}

/// Reads the server-rendered refusal page: status-bearing code, both languages, the audit.
async fn check_refusal(browser: &Browser, code: &str, must_show: &[&str], name: &str) -> anyhow::Result<()> {
    assert_eq!(browser.text("#error-code").await?, code, "{name}");
    let text = browser.js("return document.body.innerText").await?;
    let text = text.as_str().unwrap_or_default().to_owned();
    for shown in must_show {
        assert!(text.contains(shown), "{name}: `{shown}` missing from {text}");
    }
    assert!(!text.contains("AgentConnect"), "{name}: {text}");
    let sections = browser.js("return [...document.querySelectorAll('section[lang]')].map(s => s.lang)").await?;
    assert_eq!(sections, serde_json::json!(["fr", "en"]), "{name}: both languages");
    browser.screenshot(&format!("refusal-{name}")).await?;
    let violations = browser.serious_accessibility_violations().await?;
    assert!(violations.is_empty(), "{name}: accessibility violations: {violations:#?}");
    // Nobody is signed in after a refusal.
    browser.client.goto(browser.client.current_url().await?.join("/")?.as_ref()).await?;
    browser.wait("#connect-button").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_refusal_page_says_what_is_missing_and_what_to_do() -> anyhow::Result<()> {
    let kit = Kit::start_configured(|s| {
        s.policy.level = LevelPolicy::TwoFactor;
        s.support = Some("support@demarche.gouv.fr".into());
    })
    .await?;
    in_browser("refusal-level", |browser| async {
        let result = async {
            // The platform cannot meet the level: access_denied, read through its description.
            browser.sign_in_as(&kit, "test@fia1.fr", "123").await?;
            browser.wait("#error-code").await?;
            check_refusal(
                &browser,
                "access_denied.level_not_met",
                &["second facteur", "second factor", "support@demarche.gouv.fr"],
                "level-not-met",
            )
            .await
        }
        .await;
        (browser, result)
    })
    .await?;

    // A provider that ignores the request: the backend's own check on the ID token.
    kit.simulator.set_faults(proconnect_simulator::Faults { ignore_essential_acr: true, ..Default::default() });
    in_browser("refusal-id-token-level", |browser| async {
        let result = async {
            browser.sign_in_as(&kit, "test@fia1.fr", "123").await?;
            browser.wait("#error-code").await?;
            check_refusal(
                &browser,
                "insufficient_level",
                &["two-factor", "eidas1", "Se reconnecter"],
                "insufficient-level",
            )
            .await
        }
        .await;
        (browser, result)
    })
    .await?;
    kit.assert_no_jwt_readable_by_script()?;

    let kit = Kit::start_configured(|s| {
        s.policy.roles = RolePolicy(vec![Role::AgentPublic]);
        s.provider.scopes.push(Scope::Roles);
    })
    .await?;
    in_browser("refusal-roles", |browser| async {
        let result = async {
            browser.sign_in_as(&kit, "prestataire@fia1.fr", "123").await?;
            browser.wait("#error-code").await?;
            check_refusal(
                &browser,
                "roles_refused",
                &["agent_public", "l’un de ces rôles", "one of these roles"],
                "roles",
            )
            .await
        }
        .await;
        (browser, result)
    })
    .await?;
    kit.assert_no_jwt_readable_by_script()
}
