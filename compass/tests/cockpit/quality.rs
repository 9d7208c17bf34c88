//! Accessibility and layout: axe-core (vendored for the tests only, `LICENSE-axe-core`) runs its
//! WCAG 2 A and AA rules on every page, which must show no serious or critical violation; the
//! pages are photographed at 1280×800, at 390 px wide and in the dark theme.

use serde_json::Value;

use crate::{Cockpit, browser::Tab, read};

/// axe-core 4.14.1, `axe.min.js` from the npm package, unchanged.
const AXE: &str = include_str!("axe-4.14.1.min.js");

/// Runs axe on the page as it is now and fails on any serious or critical violation.
pub async fn check(tab: &Tab, page: &str) {
    if !tab.eval::<bool>("typeof window.axe === 'object'").await {
        tab.page
            .evaluate_expression(AXE)
            .await
            .expect("axe-core loads");
    }
    let run = "axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } })\
               .then((r) => r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')\
               .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) })))";
    let violations: Vec<Value> = tab.eval(run).await;
    assert!(
        violations.is_empty(),
        "axe finds serious or critical violations on {page}: {violations:#?}"
    );
}

/// Every page: axe in light and dark, screenshots at desktop and phone width, the keyboard's
/// first stop.
pub async fn pages(cockpit: &Cockpit) {
    let tab = &cockpit.tab;
    let orders = read::app_id(cockpit, "orders").await;
    let pages = [
        (
            "#/landscape",
            "landscape",
            "document.querySelector('svg.graph [data-name]')",
        ),
        (
            "#/applications",
            "applications",
            "document.querySelector('table.list a')",
        ),
        (
            &format!("#/applications/{orders}") as &str,
            "application",
            "document.querySelector('.operation')",
        ),
        (
            "#/runtimes",
            "runtimes",
            "document.querySelector('table.list a')",
        ),
        (
            "#/scenarios",
            "scenarios",
            "document.querySelector('#defs-title')",
        ),
        (
            "#/systems",
            "systems",
            "document.querySelector('#systems-title') && !document.querySelector('.busy')",
        ),
        (
            "#/templates",
            "templates",
            "document.querySelector('#templates-title')",
        ),
    ];
    for scheme in ["light", "dark"] {
        tab.color_scheme(scheme).await;
        for (route, name, ready) in pages {
            tab.route(route).await;
            tab.wait(name, ready).await;
            check(tab, &format!("{name} ({scheme})")).await;
            if scheme == "dark" && matches!(name, "landscape" | "application") {
                cockpit.shot(&format!("{name}-dark")).await;
            } else if scheme == "light"
                && matches!(name, "runtimes" | "scenarios" | "systems" | "templates")
            {
                cockpit.shot(name).await;
            }
        }
    }
    tab.color_scheme("light").await;

    // At 390 px wide nothing but the graph's own frame scrolls sideways.
    for (route, name, ready) in [pages[0], pages[2]] {
        // A full-page screenshot ends with the client clearing every metrics override.
        tab.resize(390, 844, true).await;
        tab.route(route).await;
        tab.wait(name, ready).await;
        let wide: i64 = tab.eval("document.documentElement.scrollWidth").await;
        let culprits: Vec<String> = tab
            .eval("[...document.querySelectorAll('main *')].filter((e) => e.getBoundingClientRect().right > 391)\
                   .slice(0, 8).map((e) => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)")
            .await;
        assert!(
            wide <= 390,
            "{name} is {wide} px wide at 390 px: {culprits:?}"
        );
        check(tab, &format!("{name} (390 px)")).await;
        cockpit.shot(&format!("{name}-phone")).await;
    }
    tab.resize(1280, 800, false).await;

    // From a fresh load, the keyboard's first stop is the skip link, which moves focus to the
    // content.
    tab.reload().await;
    tab.wait(
        "the page after a reload",
        "document.querySelector('nav[aria-label=Sections]')",
    )
    .await;
    tab.press("body", "Tab").await;
    let first: String = tab.eval("document.activeElement.textContent").await;
    assert_eq!(first.trim(), "Skip to content");
    tab.press(".skip", "Enter").await;
    tab.wait(
        "focus on the content",
        "document.activeElement && document.activeElement.id === 'main'",
    )
    .await;
}
