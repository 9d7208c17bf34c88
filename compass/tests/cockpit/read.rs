//! Steps that read: sign-in and the tenant switcher, the landscape's nodes and edges against what
//! the Director says, an OpenAPI spec rendered as operations, a change made with kubectl showing
//! up without a reload, and a user limited to one tenant kept out of another.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::{ACME, Cockpit, browser::js, quality};

/// Signs in with the admin token from the page `/` leads to, and switches to ACME.
pub async fn sign_in(cockpit: &Cockpit) {
    let tab = &cockpit.tab;
    tab.wait_text("Sign in to the Compass management plane")
        .await;
    let url: String = tab.eval("location.pathname").await;
    assert_eq!(url, "/cockpit/", "/ leads to the Cockpit");
    quality::check(tab, "sign-in").await;
    cockpit.shot("sign-in").await;
    tab.fill("Token", &cockpit.admin_token).await;
    tab.click_text("Sign in").await;
    tab.wait(
        "the navigation",
        "document.querySelector('nav[aria-label=Sections]')",
    )
    .await;
    let tenants: Vec<String> = tab
        .eval("[...document.querySelectorAll('.tenant option')].map((o) => o.textContent)")
        .await;
    assert!(
        tenants.contains(&"ACME Corporation".to_owned()),
        "{tenants:?}"
    );
    assert!(tenants.contains(&"Default".to_owned()), "{tenants:?}");
    choose_tenant(cockpit, ACME).await;
    // The token stays in the tab's session storage, never in the address.
    let href: String = tab.eval("location.href").await;
    assert!(!href.contains(&cockpit.admin_token));
    let stored: String = tab
        .eval("sessionStorage.getItem('compass-cockpit-session')")
        .await;
    assert!(stored.contains(ACME));
}

/// Picks a tenant in the switcher, as a keyboard user changes a select.
pub async fn choose_tenant(cockpit: &Cockpit, tenant: &str) {
    let script = format!(
        "(() => {{ const s = document.querySelector('.tenant select'); s.value = {}; \
         s.dispatchEvent(new Event('change', {{ bubbles: true }})); return s.value; }})()",
        js(tenant)
    );
    let chosen: String = cockpit.tab.eval(&script).await;
    assert_eq!(chosen, tenant);
}

/// The edges the landscape must draw, from the Director's own answer.
async fn expected_edges(cockpit: &Cockpit) -> BTreeSet<(String, String)> {
    let query = "{ applications { data { name labels } } runtimes { data { name labels } } }";
    let data = cockpit.data(query, json!({})).await;
    let mut edges = BTreeSet::new();
    let scenarios = |object: &Value| -> Vec<String> {
        match &object["labels"]["scenarios"] {
            Value::Array(list) => list
                .iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect(),
            Value::String(one) => vec![one.clone()],
            _ => Vec::new(),
        }
    };
    for app in data["applications"]["data"].as_array().unwrap() {
        for scenario in scenarios(app) {
            edges.insert((
                format!("application:{}", app["name"].as_str().unwrap()),
                format!("scenario:{scenario}"),
            ));
        }
    }
    for runtime in data["runtimes"]["data"].as_array().unwrap() {
        for scenario in scenarios(runtime) {
            edges.insert((
                format!("scenario:{scenario}"),
                format!("runtime:{}", runtime["name"].as_str().unwrap()),
            ));
        }
    }
    edges
}

/// The landscape shows the examples' applications, scenarios and runtimes with the right edges,
/// and focusing a scenario keeps only its neighbours.
pub async fn landscape(cockpit: &Cockpit) {
    let tab = &cockpit.tab;
    tab.route("#/landscape").await;
    for name in [
        "application:orders",
        "application:catalog",
        "application:crm",
        "runtime:prod-eu",
        "runtime:dev-sandbox",
        "scenario:marketing",
    ] {
        tab.wait(
            name,
            &format!("document.querySelector('[data-name=\"{name}\"]')"),
        )
        .await;
    }
    let expected = expected_edges(cockpit).await;
    assert!(
        expected.len() >= 4,
        "the examples connect objects: {expected:?}"
    );
    let drawn = "JSON.stringify([...document.querySelectorAll('path.edge')].map((e) => [e.dataset.from, e.dataset.to]).sort())";
    let want: Vec<(String, String)> = expected.iter().cloned().collect();
    let want = serde_json::to_string(&want).unwrap();
    tab.wait(
        "the edges of the examples",
        &format!("{drawn} === {}", js(&want)),
    )
    .await;
    let health: String = tab
        .eval("document.querySelector('[data-name=\"application:orders\"]').getAttribute('class')")
        .await;
    assert!(health.contains("health-"), "{health}");
    cockpit.shot("landscape").await;

    // Focus the marketing scenario from the keyboard: only what is in it stays.
    tab.eval::<bool>("(() => { document.querySelector('[data-name=\"scenario:marketing\"]').focus(); return true; })()").await;
    tab.press("[data-name=\"scenario:marketing\"]", "Enter")
        .await;
    tab.wait("the focused view", "location.hash.includes('focus=')")
        .await;
    let outside: Vec<&String> = expected
        .iter()
        .filter(|(from, to)| from != "scenario:marketing" && to != "scenario:marketing")
        .flat_map(|(from, to)| [from, to])
        .filter(|name| {
            !expected.iter().any(|(f, t)| {
                (f == *name && t == "scenario:marketing")
                    || (t == *name && f == "scenario:marketing")
            })
        })
        .collect();
    for name in &outside {
        tab.wait(
            &format!("{name} hidden in the focus"),
            &format!("!document.querySelector('[data-name=\"{name}\"]')"),
        )
        .await;
    }
    cockpit.shot("landscape-focus").await;
}

/// The orders API's OpenAPI spec shows as its operations with parameters and responses.
pub async fn open_api(cockpit: &Cockpit) {
    let tab = &cockpit.tab;
    let id = app_id(cockpit, "orders").await;
    tab.route(&format!("#/applications/{id}")).await;
    tab.wait_text("ACME Orders API").await;
    let operations: Vec<String> = tab.eval("[...document.querySelectorAll('.operation summary')].map((s) => s.textContent.replace(/\\s+/g, ' ').trim())").await;
    assert!(
        operations
            .iter()
            .any(|o| o.contains("GET") && o.contains("/orders") && o.contains("List orders")),
        "{operations:?}"
    );
    assert!(
        operations.iter().any(|o| o.starts_with("POST")),
        "{operations:?}"
    );
    tab.click(".operation summary").await;
    tab.wait("the parameters of GET /orders", "[...document.querySelectorAll('.operation[open] .params td')].some((td) => td.textContent.includes('status'))").await;
    tab.wait("its responses", "[...document.querySelectorAll('.operation[open] .responses td')].some((td) => td.textContent.includes('200'))").await;
    cockpit.shot("application").await;
}

/// The id of the ACME application called `name`.
pub async fn app_id(cockpit: &Cockpit, name: &str) -> String {
    let data = cockpit
        .data("{ applications { data { id name } } }", json!({}))
        .await;
    let apps = data["applications"]["data"].as_array().unwrap();
    let app = apps
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {data}"));
    app["id"].as_str().unwrap().to_owned()
}

/// An application applied with kubectl appears in the open list without a reload.
pub async fn live(cockpit: &Cockpit) {
    let tab = &cockpit.tab;
    tab.route("#/applications").await;
    tab.wait("the list", "document.querySelector('table.list a')")
        .await;
    tab.eval::<bool>("(window.__sameDocument = true)").await;
    let manifest = "apiVersion: compass.kyma-project.io/v1alpha1\nkind: Application\nmetadata:\n  name: live-feed\n  namespace: acme\nspec:\n  providerName: kubectl\n";
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), manifest).unwrap();
    cockpit
        .compass
        .kubectl_ok(&["apply", "-f", file.path().to_str().unwrap()]);
    tab.wait(
        "live-feed in the list",
        "[...document.querySelectorAll('table.list a')].some((a) => a.textContent === 'live-feed')",
    )
    .await;
    let same: bool = tab.eval("window.__sameDocument === true").await;
    assert!(same, "the page was not reloaded");

    // A label filter in the Director's syntax lists what the Director lists for it.
    let query =
        "{ applications(filter: [{key: \"region\", query: \"\\\"eu\\\"\"}]) { data { name } } }";
    let data = cockpit.data(query, json!({})).await;
    let mut want: Vec<String> = data["applications"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_owned())
        .collect();
    want.sort();
    assert!(
        !want.is_empty() && !want.contains(&"live-feed".to_owned()),
        "{want:?}"
    );
    tab.fill("Label filters", "region: \"eu\"").await;
    tab.click_text("Apply filters").await;
    let names = "JSON.stringify([...document.querySelectorAll('table.list a')].map((a) => a.textContent).sort())";
    let want = serde_json::to_string(&want).unwrap();
    tab.wait("the filtered list", &format!("{names} === {}", js(&want)))
        .await;
    tab.fill("Label filters", "").await;
    tab.click_text("Apply filters").await;
    cockpit.shot("applications").await;
}

/// A user allowed only in the default tenant sees only it, none of ACME's objects, and ACME's
/// application by its id is not found.
pub async fn tenant_isolation(cockpit: &Cockpit, token: &str) {
    let tab = &cockpit.tab;
    let orders = app_id(cockpit, "orders").await;
    tab.click_text("Sign out").await;
    tab.wait_text("Sign in to the Compass management plane")
        .await;
    let forgotten: bool = tab
        .eval("sessionStorage.getItem('compass-cockpit-session') === null")
        .await;
    assert!(forgotten, "signing out forgets the token");
    tab.fill("Token", token).await;
    tab.click_text("Sign in").await;
    tab.wait(
        "the navigation",
        "document.querySelector('nav[aria-label=Sections]')",
    )
    .await;
    let tenants: Vec<String> = tab
        .eval("[...document.querySelectorAll('.tenant option')].map((o) => o.value)")
        .await;
    assert_eq!(
        tenants,
        vec![compass_crds::well_known::DEFAULT_TENANT_EXTERNAL_ID.to_owned()]
    );
    tab.route("#/landscape").await;
    tab.wait("the landscape", "document.querySelector('svg.graph')")
        .await;
    let names: Vec<String> = tab
        .eval("[...document.querySelectorAll('[data-name]')].map((n) => n.dataset.name)")
        .await;
    for acme in [
        "application:orders",
        "application:catalog",
        "application:crm",
        "runtime:prod-eu",
        "application:live-feed",
    ] {
        assert!(
            !names.contains(&acme.to_owned()),
            "{acme} of ACME shows to the viewer: {names:?}"
        );
    }
    tab.route(&format!("#/applications/{orders}")).await;
    tab.wait("not found", "document.querySelector('main h1') && document.querySelector('main h1').textContent === 'Not found'").await;
    let text: String = tab.eval("document.querySelector('main').innerText").await;
    assert!(!text.contains("ACME Orders API"), "{text}");
    cockpit.shot("not-found").await;
}

/// The landscape's layout at 500 applications and 100 runtimes, run by the page's own module in
/// the browser: large groups fold, so the graph stays readable, and a focus keeps one node's
/// neighbourhood only.
pub async fn at_scale(cockpit: &Cockpit) {
    let script = "import('./js/pages/graph.js').then((g) => { \
        const scenarios = Array.from({ length: 20 }, (_, i) => `scenario-${i}`); \
        const object = (kind, i) => ({ id: `${kind}-${i}`, name: `${kind}-${i}`, status: { condition: i % 17 ? 'READY' : 'FAILED' }, \
            labels: { scenarios: [scenarios[i % 20], scenarios[(i * 7) % 20]] } }); \
        const data = { apps: Array.from({ length: 500 }, (_, i) => object('app', i)), \
            runtimes: Array.from({ length: 100 }, (_, i) => object('runtime', i)), scenarios }; \
        const all = g.layout(data); \
        const focused = g.layout(data, { focus: 'application:app-3' }); \
        const searched = g.layout(data, { search: 'app-42' }); \
        const drawn = (l, kind) => l.nodes.filter((n) => n.kind === kind).length; \
        return { apps: drawn(all, 'application'), runtimes: drawn(all, 'runtime'), height: all.height, \
            focusedApps: drawn(focused, 'application'), focusedRuntimes: drawn(focused, 'runtime'), \
            searchedApps: searched.nodes.filter((n) => n.kind === 'application').map((n) => n.name) }; })";
    let found: Value = cockpit.tab.eval(script).await;
    // 500 applications in 20 scenario groups fold into 20 nodes; 100 runtimes into 20.
    assert_eq!(found["apps"], 20, "{found}");
    assert_eq!(found["runtimes"], 20, "{found}");
    assert!(found["height"].as_f64().unwrap() < 2000.0, "{found}");
    assert_eq!(found["focusedApps"], 1, "{found}");
    assert!(found["focusedRuntimes"].as_u64().unwrap() < 100, "{found}");
    let searched = found["searchedApps"].as_array().unwrap();
    assert!(searched.contains(&json!("app-42")), "{found}");
    assert!(
        searched
            .iter()
            .all(|name| name.as_str().unwrap().contains("app-42")),
        "{found}"
    );
}

/// The CRM example's AsyncAPI spec shows its channels and messages and its guide renders as
/// markdown; a document carrying a script and an event handler is shown without either running.
pub async fn events_and_documents(cockpit: &Cockpit) {
    let tab = &cockpit.tab;
    let crm = app_id(cockpit, "crm").await;
    tab.route(&format!("#/applications/{crm}")).await;
    tab.wait("the channel", "[...document.querySelectorAll('.asyncapi .path')].some((c) => c.textContent === 'crm/customer/created/v1')").await;
    let messages: String = tab
        .eval("document.querySelector('.asyncapi').innerText")
        .await;
    assert!(
        messages.contains("subscribe") && messages.contains("A customer was created"),
        "{messages}"
    );
    tab.wait("the guide as markdown", "[...document.querySelectorAll('.markdown h1')].some((h) => h.textContent === 'Consuming CRM events')").await;

    let hostile = "# Hostile notes\n\n<script>window.__ran = 'script'</script>\n\n<img src=\"x\" onerror=\"window.__ran = 'onerror'\">\n\nPlain **text** stays.";
    let register =
        "mutation ($in: ApplicationRegisterInput!) { registerApplication(in: $in) { id } }";
    let input = json!({ "name": "hostile-docs", "documents": [{ "title": "notes", "displayName": "Notes",
        "description": "Markdown with active content.", "format": "MARKDOWN", "data": hostile }] });
    let data = cockpit.data(register, json!({ "in": input })).await;
    let id = data["registerApplication"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    tab.route(&format!("#/applications/{id}")).await;
    tab.wait("the hostile document", "[...document.querySelectorAll('.markdown h1')].some((h) => h.textContent === 'Hostile notes')").await;
    // An absence: nothing may run once the document is shown.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let ran: bool = tab.eval("window.__ran !== undefined || !!document.querySelector('.markdown script, .markdown [onerror]')").await;
    assert!(!ran, "active content in a document ran or stayed");
    let text: String = tab.eval("document.querySelector('.markdown strong') ? document.querySelector('.markdown strong').textContent : ''").await;
    assert_eq!(text, "text");
}

/// Signing in through the OIDC provider (authorization code with PKCE): the user of its token
/// acts in the tenant its claim names, and the code leaves the address.
pub async fn oidc_sign_in(cockpit: &Cockpit) {
    let tab = &cockpit.tab;
    tab.click_text("Sign out").await;
    tab.click_text("Sign in with your identity provider").await;
    tab.wait(
        "the navigation after the provider's sign-in",
        "document.querySelector('nav[aria-label=Sections]')",
    )
    .await;
    let search: String = tab.eval("location.search").await;
    assert_eq!(search, "", "the code left the address");
    let tenants: Vec<String> = tab
        .eval("[...document.querySelectorAll('.tenant option')].map((o) => o.value)")
        .await;
    assert_eq!(tenants, vec![ACME.to_owned()]);
    tab.route("#/landscape").await;
    tab.wait(
        "ACME's landscape for the provider's user",
        "document.querySelector('[data-name=\"application:orders\"]')",
    )
    .await;
}
