//! The button's visual and keyboard checks, measured on the rendered SPA in headless Chromium:
//! ProConnect's (today's documentation: 214×56, `#000091`, hover `#1212FF`, the "Qu’est-ce que
//! ProConnect ?" link to the official site in a new window, `rel="noopener noreferrer"`, title
//! ending "- nouvelle fenêtre") and, for the legacy AgentConnect brand, the 2024 checklist (206×60,
//! the link 8 px below in ≥ 13 px, the "OU" divider); for both the focus ring, the accessible
//! name, the comparison with the official renderings, and a keyboard-only sign-in.

use e2e::{Browser, Kit, workspace_root};
use fantoccini::actions::{InputSource, KeyAction, KeyActions, MouseActions, PointerAction};
use fantoccini::key::Key;
use serde_json::Value;
use std::time::Duration;

/// Geometry and styles of the button and its link, read from the live page.
const MEASURE: &str = r#"
const b = document.querySelector('#connect-button').getBoundingClientRect();
const a = document.querySelector('#connect-info-link');
const l = a.getBoundingClientRect();
const divider = document.querySelector('#connect-divider');
const d = divider ? divider.getBoundingClientRect() : { top: null };
return { width: b.width, height: b.height, buttonBottom: b.bottom, buttonTop: b.top,
         linkTop: l.top, linkFont: parseFloat(getComputedStyle(a).fontSize), dividerTop: d.top,
         visible: performance.getEntriesByName('connect-button-visible').map(e => e.startTime)[0] ?? null };
"#;

fn num(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or_else(|| panic!("{key} missing in {v}"))
}

/// The colour of the pixel at (x, y) of a PNG.
fn pixel(png: &[u8], x: u32, y: u32) -> [u8; 3] {
    let image = image::load_from_memory(png).expect("a PNG").to_rgb8();
    image.get_pixel(x, y).0
}

fn close_to(actual: [u8; 3], expected: [u8; 3]) -> bool {
    actual.iter().zip(expected).all(|(a, e)| a.abs_diff(e) <= 6)
}

/// What the link under the button must be, per brand.
struct InfoLink {
    href: &'static str,
    rel: &'static str,
    text: &'static str,
}

async fn check_brand(kit: &Kit, query: &str, name: &str, size: (f64, f64), link: InfoLink) -> anyhow::Result<()> {
    let legacy = name == "AgentConnect";
    let browser = Browser::start().await?;
    let result = async {
        browser.client.goto(&format!("{}{query}", kit.url)).await?;
        let button = browser.wait("#connect-button").await?;
        browser.wait(".connect-info a").await?;
        let m = browser.js(MEASURE).await?;
        println!("{name}: measured {m}");
        assert_eq!((num(&m, "width"), num(&m, "height")), size, "{name}: button box");
        assert!(num(&m, "linkTop") > num(&m, "buttonBottom"), "{name}: the link is below the button");
        if legacy {
            // The 2024 checklist, kept for the AgentConnect brand only.
            assert_eq!(num(&m, "linkTop") - num(&m, "buttonBottom"), 8.0, "{name}: link 8 px below the button");
            assert!(num(&m, "linkFont") >= 13.0, "{name}: link font ≥ 13 px");
            assert!(num(&m, "dividerTop") > num(&m, "linkTop"), "{name}: the OU divider comes after the button");
        }

        let a = browser.wait("#connect-info-link").await?;
        assert_eq!(a.attr("target").await?.as_deref(), Some("_blank"), "{name}: new window");
        assert_eq!(a.attr("rel").await?.as_deref(), Some(link.rel), "{name}: rel");
        assert_eq!(a.attr("href").await?.as_deref(), Some(link.href), "{name}: official site");
        assert_eq!(a.text().await?, link.text, "{name}: link text");
        let title = a.attr("title").await?.unwrap_or_default();
        assert_eq!(title, format!("{} - nouvelle fenêtre", link.text), "{name}: title");

        // Default colour, sampled in the box's top-left corner (away from the logo).
        browser.client.execute("window.scrollTo(0, 0); document.activeElement.blur()", vec![]).await?;
        let png = button.screenshot().await?;
        assert!(close_to(pixel(&png, 4, 4), [0x00, 0x00, 0x91]), "{name}: default colour {:?}", pixel(&png, 4, 4));
        std::fs::write(e2e::screenshot_dir().join(format!("button-{name}.png")), &png)?;

        // Hover colour.
        let mouse = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
            element: button.clone(),
            duration: Some(Duration::from_millis(0)),
            x: 0.0,
            y: 0.0,
        });
        browser.client.perform_actions(mouse).await?;
        let hovered = browser.client.wait().at_most(Duration::from_secs(5)).for_element(fantoccini::Locator::Css("#connect-button:hover")).await;
        assert!(hovered.is_ok(), "{name}: the pointer hovers the button");
        let png = button.screenshot().await?;
        assert!(close_to(pixel(&png, 4, 4), [0x12, 0x12, 0xff]), "{name}: hover colour {:?}", pixel(&png, 4, 4));
        std::fs::write(e2e::screenshot_dir().join(format!("button-{name}-hover.png")), &png)?;
        browser.client.perform_actions(MouseActions::new("mouse".into()).then(PointerAction::MoveTo {
            duration: None, x: 0.0, y: 0.0,
        })).await?;

        // Keyboard focus is visible.
        browser.client.execute("document.querySelector('#connect-button').focus()", vec![]).await?;
        let focus = browser
            .js("const s = getComputedStyle(document.querySelector('#connect-button:focus-visible')); return [s.outlineStyle, parseFloat(s.outlineWidth)];")
            .await?;
        assert_ne!(focus[0], "none", "{name}: focus outline");
        assert!(focus[1].as_f64().unwrap_or(0.0) >= 2.0, "{name}: focus outline ≥ 2 px ({focus})");

        // Accessible name (computed by Chromium from the content).
        let label = browser.js("return document.querySelector('#connect-button').textContent.replace(/\\s+/g, ' ').trim()").await?;
        assert_eq!(label, format!("S’identifier avec {name}").as_str());
        anyhow::Ok(())
    }
    .await;
    browser.finish(result, &format!("recette-{name}")).await?;
    kit.assert_no_jwt_readable_by_script()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn agentconnect_button_meets_the_2024_recette() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let link =
        InfoLink { href: "https://agentconnect.gouv.fr/", rel: "noopener", text: "Qu’est-ce qu’AgentConnect ?" };
    check_brand(&kit, "?marque=agentconnect", "AgentConnect", (206.0, 60.0), link).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proconnect_button_follows_todays_documentation() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let link = InfoLink {
        href: "https://www.proconnect.gouv.fr/",
        rel: "noopener noreferrer",
        text: "Qu’est-ce que ProConnect ?",
    };
    check_brand(&kit, "", "ProConnect", (214.0, 56.0), link).await
}

/// The smallest mean difference over the overlap of `a` shifted by up to `max_shift` pixels.
fn aligned_difference(a: &image::RgbImage, b: &image::RgbImage, max_shift: i64) -> f64 {
    let w = i64::from(a.width().min(b.width()));
    let h = i64::from(a.height().min(b.height()));
    let mut best = f64::MAX;
    for dy in -max_shift..=max_shift {
        for dx in -max_shift..=max_shift {
            let (mut total, mut count) = (0u64, 0u64);
            for y in dy.max(0)..(h + dy.min(0)).min(i64::from(a.height()) + dy) {
                for x in dx.max(0)..(w + dx.min(0)).min(i64::from(a.width()) + dx) {
                    let p = a.get_pixel((x - dx) as u32, (y - dy) as u32).0;
                    let q = b.get_pixel(x as u32, y as u32).0;
                    total += p.iter().zip(q).map(|(x, y)| u64::from(x.abs_diff(y))).sum::<u64>();
                    count += 3;
                }
            }
            best = best.min(total as f64 / count as f64);
        }
    }
    best
}

/// Compares 3× screenshots of each button with the official renderings in `../shared/brand`
/// (reference material beside the repository; the comparison is reported as skipped without it).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buttons_match_the_official_renderings() -> anyhow::Result<()> {
    let reference_dir = std::env::var("KIT_BRAND_REFERENCE")
        .map(Into::into)
        .unwrap_or_else(|_| workspace_root().join("../shared/brand"));
    if !reference_dir.join("agentconnect-button-default.png").exists() {
        println!("SKIPPED: official renderings not found in {}", reference_dir.display());
        return Ok(());
    }
    let kit = Kit::start().await?;
    let browser = Browser::start_with(1280, 900, 3).await?;
    let result = async {
        // Largest mean per-channel difference accepted (out of 255). AgentConnect uses the official
        // artwork itself: only anti-aliasing differs. ProConnect is the DSFR's live-text button: its
        // text is rasterised from the Marianne font where the reference has outlines, in a 214×56
        // box (the contract) where the reference is 211×58: it measured 18.7. A wrong colour or a
        // missing logo changes most of the box.
        for (query, file, tolerance) in [
            ("?marque=agentconnect", "agentconnect-button-default.png", 4.0),
            ("", "proconnect-button-default.png", 22.0),
        ] {
            browser.client.goto(&format!("{}{query}", kit.url)).await?;
            let button = browser.wait("#connect-button").await?;
            browser.client.execute("document.activeElement.blur()", vec![]).await?;
            let ours = image::load_from_memory(&button.screenshot().await?)?.to_rgb8();
            let reference = image::open(reference_dir.join(file))?.to_rgb8();
            // Font rasterisers, and the reference's own box (211×58 where the contract says 214×56
            // for ProConnect), move edges by a pixel or two: both images are brought to 1× (no
            // distortion) and compared over their overlap after the best alignment within ±3 px.
            let one_x = |img: &image::RgbImage| {
                image::imageops::resize(img, img.width() / 3, img.height() / 3, image::imageops::FilterType::Triangle)
            };
            let difference = aligned_difference(&one_x(&ours), &one_x(&reference), 3);
            println!("{file}: mean difference {difference:.2}/255 (tolerance {tolerance})");
            ours.save(e2e::screenshot_dir().join(format!("compare-{file}")))?;
            assert!(difference <= tolerance, "{file}: mean difference {difference:.2} > {tolerance}");
        }
        anyhow::Ok(())
    }
    .await;
    browser.close().await?;
    result?;
    kit.assert_no_jwt_readable_by_script()
}

/// Types `keys` into whatever has the focus (WebDriver key actions: no element is clicked).
async fn press(browser: &Browser, keys: &str) -> anyhow::Result<()> {
    let mut actions = KeyActions::new("keyboard".into());
    for key in keys.chars() {
        actions = actions.then(KeyAction::Down { value: key }).then(KeyAction::Up { value: key });
    }
    browser.client.perform_actions(actions).await?;
    Ok(())
}

/// Presses Tab until the element `#id` has the focus.
async fn tab_to(browser: &Browser, id: &str) -> anyhow::Result<()> {
    for _ in 0..40 {
        if browser.js("return document.activeElement && document.activeElement.id").await? == id {
            return Ok(());
        }
        press(browser, &Key::Tab.to_string()).await?;
    }
    anyhow::bail!("Tab never reached #{id}")
}

/// Signs in with the keyboard only: Tab to the button, Enter, then the mire and the FI forms.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keyboard_only_sign_in() -> anyhow::Result<()> {
    let kit = Kit::start().await?;
    let browser = Browser::start().await?;
    let result = async {
        let c = &browser.client;
        c.goto(&kit.url).await?;
        browser.wait("#connect-button").await?;
        tab_to(&browser, "connect-button").await?;
        press(&browser, &Key::Enter.to_string()).await?;
        browser.wait("input#email").await?;
        tab_to(&browser, "email").await?;
        press(&browser, "test@fia1.fr").await?;
        press(&browser, &Key::Enter.to_string()).await?;
        browser.wait("input#password").await?;
        tab_to(&browser, "password").await?;
        press(&browser, "123").await?;
        press(&browser, &Key::Enter.to_string()).await?;
        assert_eq!(browser.text("#claim-email").await?, "test@fia1.fr");
        anyhow::Ok(())
    }
    .await;
    browser.finish(result, "keyboard").await?;
    kit.assert_no_jwt_readable_by_script()
}
