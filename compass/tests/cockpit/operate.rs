//! Steps that change the landscape through the page: register an application with the form and
//! find it with kubectl, a validation error shown at its field, a one-time token requested and
//! copied, and an `embedded` runtime provisioned and followed until its agent is connected.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::{Cockpit, quality};

/// Registers an application through the form; kubectl sees it.
pub async fn register(cockpit: &Cockpit) {
    let tab = &cockpit.tab;
    tab.route("#/applications/new").await;
    tab.fill("Name", "cockpit-shop").await;
    tab.fill("Provider", "Cockpit Test").await;
    tab.fill("Description", "Registered through the **Cockpit** form.")
        .await;
    quality::check(tab, "register").await;
    cockpit.shot("register").await;
    tab.click_text("Register").await;
    tab.wait("the new application's page", "document.querySelector('#app-title') && document.querySelector('#app-title').textContent === 'cockpit-shop'").await;
    let listed = cockpit
        .compass
        .kubectl_ok(&["get", "applications", "-n", "acme", "-o", "name"]);
    assert!(listed.contains("cockpit-shop"), "kubectl lists {listed}");

    // Label it: a value its label definition refuses is shown, an allowed one is stored.
    tab.fill("Label key", "region").await;
    tab.fill("Value (JSON or text)", "mars").await;
    tab.click_text("Set label").await;
    tab.wait("the refusal", "document.querySelector('.error') && document.querySelector('.error').innerText.includes('region')").await;
    tab.fill("Value (JSON or text)", "eu").await;
    tab.click_text("Set label").await;
    let labels = "{ applications { data { name labels } } }";
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let data = cockpit.data(labels, json!({})).await;
        let apps = data["applications"]["data"].as_array().unwrap();
        let shop = apps.iter().find(|a| a["name"] == "cockpit-shop").unwrap();
        if shop["labels"]["region"] == "eu" {
            break;
        }
        assert!(Instant::now() < deadline, "the label was not set: {shop}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tab.wait(
        "the label on the page",
        "[...document.querySelectorAll('.labels dt')].some((dt) => dt.textContent === 'region')",
    )
    .await;
}

/// A name the Director refuses: the error names the field and shows at it.
pub async fn validation_error(cockpit: &Cockpit) {
    let tab = &cockpit.tab;
    tab.route("#/applications/new").await;
    tab.wait(
        "an empty form",
        "document.querySelector('form[aria-label=\"Register an application\"]')",
    )
    .await;
    tab.fill("Name", "1-starts-with-a-digit").await;
    tab.click_text("Register").await;
    tab.wait(
        "the error at the name field",
        "document.querySelector('.field-error')",
    )
    .await;
    let at_field: String = tab
        .eval("document.querySelector('.field-error').textContent")
        .await;
    assert!(at_field.contains("name"), "{at_field}");
    let invalid: String = tab
        .eval("document.querySelector('input[name=name]').getAttribute('aria-invalid')")
        .await;
    assert_eq!(invalid, "true");
    let alert: String = tab.eval("document.querySelector('.error').innerText").await;
    assert!(
        alert.contains("INVALID_INPUT") && alert.contains("in.name"),
        "{alert}"
    );
    cockpit.shot("validation-error").await;
}

/// A one-time token for a runtime, with its pairing command, copied to the clipboard.
pub async fn one_time_token(cockpit: &Cockpit) {
    let tab = &cockpit.tab;
    let data = cockpit
        .data("{ runtimes { data { id name } } }", json!({}))
        .await;
    let runtimes = data["runtimes"]["data"].as_array().unwrap();
    let prod = runtimes
        .iter()
        .find(|r| r["name"] == "prod-eu")
        .expect("the example runtime");
    let id = prod["id"].as_str().unwrap();
    tab.route(&format!("#/runtimes/{id}")).await;
    tab.click_text("Request one-time token").await;
    let value = "(() => { const l = [...document.querySelectorAll('label')].find((l) => l.textContent === 'Token (rawEncoded)'); return l ? document.getElementById(l.htmlFor).value : ''; })()";
    tab.wait("the token", &format!("{value}.length > 20")).await;
    let token: String = tab.eval(value).await;
    let command: String = tab.eval("(() => { const l = [...document.querySelectorAll('label')].find((l) => l.textContent === 'Pair an agent'); return document.getElementById(l.htmlFor).value; })()").await;
    assert!(
        command.contains("compass agent") && command.contains(id),
        "{command}"
    );
    tab.click_text("Copy").await;
    tab.wait_text("Copied").await;
    let copied: String = tab.eval("navigator.clipboard.readText()").await;
    assert_eq!(copied, token, "the clipboard holds the token");
    cockpit.shot("one-time-token").await;
}

/// Registers a runtime, provisions it through the `embedded` provider and follows the operation
/// until it succeeds and the agent is connected.
pub async fn provision(cockpit: &Cockpit) {
    let tab = &cockpit.tab;
    tab.route("#/runtimes/new").await;
    tab.fill("Name", "edge-cockpit").await;
    tab.click_text("Register").await;
    tab.wait("the runtime's page", "document.querySelector('#runtime-title') && document.querySelector('#runtime-title').textContent === 'edge-cockpit'").await;
    tab.click_text("Provision").await;
    tab.wait(
        "the operation under way",
        "document.querySelector('.operation-status')",
    )
    .await;
    cockpit.shot("provisioning").await;
    let deadline = Instant::now() + Duration::from_secs(120);
    let done = "(() => { const s = document.querySelector('.operation-status'); const facts = document.querySelector('.facts'); \
                return s && s.innerText.includes('Succeeded') && facts.innerText.includes('Connected') && document.querySelector('.title-row').innerText.includes('Ready'); })()";
    loop {
        if tab.eval::<bool>(done).await {
            break;
        }
        let text: String = tab.eval("document.querySelector('main').innerText").await;
        let operation: String = tab
            .eval("document.querySelector('.operation-status').innerText")
            .await;
        assert!(
            !operation.contains("Failed"),
            "the provisioning failed: {text}"
        );
        assert!(
            Instant::now() < deadline,
            "not provisioned within 120 s: {text}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // The agent's report: available, this build's version, a certificate, the applications.
    let agent = "(() => { const a = document.querySelector('.agent-facts'); return a ? a.innerText : ''; })()";
    let version = env!("CARGO_PKG_VERSION");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text: String = tab.eval(agent).await;
        if text.contains("Available") && text.contains(version) && text.contains("Synchronized") {
            assert!(text.contains("applied"), "{text}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the agent's report is not shown: {text}"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    cockpit.shot("runtime").await;
    // The list shows each runtime's agent too.
    tab.route("#/runtimes").await;
    let listed = "(() => [...document.querySelectorAll('table.list tr')].some((row) => \
                  row.innerText.includes('edge-cockpit') && row.innerText.includes('Available')))()";
    tab.wait("the runtime's agent in the list", listed).await;
}

/// Registers an application from the example template through the form made of its
/// placeholders; its page shows the API and event definitions with their fetch status.
pub async fn from_template(cockpit: &Cockpit) {
    let tab = &cockpit.tab;
    tab.route("#/templates").await;
    tab.wait_text("webshop").await;
    tab.click_text("Register an application from it").await;
    tab.wait_text("Register from webshop").await;
    tab.fill("name", "template-shop").await;
    tab.fill("display-name", "Template Shop").await;
    tab.fill("base-url", "https://shop.example.com").await;
    tab.click_text("Register").await;
    tab.wait("the application's page", "document.querySelector('#app-title') && document.querySelector('#app-title').textContent === 'template-shop'").await;
    tab.wait_text("Storefront API of Template Shop").await;
    tab.wait(
        "the fetch status with a refetch action",
        "document.querySelector('.fetch button')",
    )
    .await;
    let listed = cockpit
        .compass
        .kubectl_ok(&["get", "applications", "-n", "acme", "-o", "name"]);
    assert!(listed.contains("template-shop"), "kubectl lists {listed}");
    cockpit.shot("from-template").await;
}

/// Scenarios and label definitions: a scenario added and deleted; a schema that is not JSON, and
/// one the stored values break, each refused at the JSON Schema field.
pub async fn scenarios_and_labels(cockpit: &Cockpit) {
    let tab = &cockpit.tab;
    tab.route("#/scenarios").await;
    tab.wait(
        "the label definitions",
        "document.querySelector('#defs-title')",
    )
    .await;
    tab.fill("New scenario", "cockpit-trial").await;
    tab.click_text("Add scenario").await;
    let listed = "[...document.querySelectorAll('.scenarios .badge')].some((b) => b.textContent === 'cockpit-trial')";
    tab.wait("the new scenario", listed).await;
    let in_director = cockpit
        .data(
            "{ labelDefinition(key: \"scenarios\") { schema } }",
            json!({}),
        )
        .await;
    assert!(
        in_director.to_string().contains("cockpit-trial"),
        "{in_director}"
    );
    // Deleting a scenario in use names what uses it before anything is sent.
    let marketing = "[...document.querySelectorAll('.scenarios li')].find((li) => li.querySelector('.badge').textContent === 'marketing')";
    tab.eval::<bool>(&format!(
        "(() => {{ {marketing}.querySelector('button.danger').click(); return true; }})()"
    ))
    .await;
    tab.wait(
        "the question naming the users",
        &format!("{marketing}.innerText.includes('still used by')"),
    )
    .await;
    tab.eval::<bool>(&format!("(() => {{ [...{marketing}.querySelectorAll('button')].find((b) => b.textContent === 'Cancel').click(); return true; }})()")).await;
    let trial = "[...document.querySelectorAll('.scenarios li')].find((li) => li.querySelector('.badge').textContent === 'cockpit-trial')";
    tab.eval::<bool>(&format!(
        "(() => {{ {trial}.querySelector('button.danger').click(); return true; }})()"
    ))
    .await;
    tab.eval::<bool>(&format!(
        "(() => {{ {trial}.querySelector('.confirm button.danger').click(); return true; }})()"
    ))
    .await;
    tab.wait("the scenario gone", &format!("!({listed})")).await;

    // The first definition: none of its stored values (strings, or objects for `tier`) is an
    // integer.
    tab.click_text("Edit").await;
    tab.fill("JSON Schema", "{\"type\": \"integer\"").await;
    tab.click_text("Save").await;
    tab.wait("the parse error at the field", "document.querySelector('.definition-form .field-error') && document.querySelector('.definition-form .field-error').textContent.startsWith('Not JSON')").await;
    tab.fill("JSON Schema", "{\"type\": \"integer\"}").await;
    tab.click_text("Save").await;
    tab.wait("the Director's refusal at the field", "document.querySelector('.definition-form .field-error') && document.querySelector('.definition-form .field-error').textContent.includes('would not match')").await;
    let invalid: String = tab
        .eval("document.querySelector('.definition-form textarea').getAttribute('aria-invalid')")
        .await;
    assert_eq!(invalid, "true");
    cockpit.shot("label-schema-error").await;
    tab.click_text("Cancel").await;
}

/// An integration system registered through the page gets client credentials shown once, and
/// its client identity revoked.
pub async fn integration_system(cockpit: &Cockpit) {
    let tab = &cockpit.tab;
    tab.route("#/systems").await;
    // The list first: keys typed while the view was still loading were lost now and then
    // (under load the name arrived empty and the form refused to submit).
    tab.wait_text("commerce-hub").await;
    tab.wait(
        "the register form",
        "document.querySelector('form[aria-label=\"Register an integration system\"]')",
    )
    .await;
    let form = "form[aria-label=\"Register an integration system\"]";
    tab.eval::<bool>(&format!("(() => {{ document.querySelector('{form} input').setAttribute('data-system-name', ''); return true; }})()")).await;
    tab.click("[data-system-name]").await;
    tab.page
        .find_element("[data-system-name]")
        .await
        .unwrap()
        .type_str("cockpit-hub")
        .await
        .unwrap();
    tab.wait(
        "the name typed into the form",
        "document.querySelector('[data-system-name]').value === 'cockpit-hub'",
    )
    .await;
    tab.click(&format!("{form} button[type=submit]")).await;
    let card = "[...document.querySelectorAll('article.card')].find((a) => a.querySelector('h2').textContent === 'cockpit-hub')";
    tab.wait("the new system", card).await;
    tab.eval::<bool>(&format!("(() => {{ [...{card}.querySelectorAll('button')].find((b) => b.textContent === 'Request client credentials').click(); return true; }})()")).await;
    tab.wait("the secret shown once", &format!("{card}.querySelector('.secret') && {card}.querySelector('.secret textarea').value.length > 0")).await;
    let data = cockpit
        .data(
            "{ integrationSystems { data { name auths { id } } } }",
            json!({}),
        )
        .await;
    let systems = data["integrationSystems"]["data"].as_array().unwrap();
    let hub = systems
        .iter()
        .find(|s| s["name"] == "cockpit-hub")
        .expect("the system is registered");
    assert_eq!(hub["auths"].as_array().unwrap().len(), 1, "{hub}");
    tab.wait(
        "its client identity",
        &format!("{card}.querySelectorAll('li').length === 1"),
    )
    .await;
    cockpit.shot("integration-system").await;
    tab.eval::<bool>(&format!(
        "(() => {{ {card}.querySelector('li button.danger').click(); return true; }})()"
    ))
    .await;
    tab.eval::<bool>(&format!(
        "(() => {{ {card}.querySelector('li .confirm button.danger').click(); return true; }})()"
    ))
    .await;
    tab.wait(
        "the identity revoked",
        &format!("{card}.querySelectorAll('li').length === 0"),
    )
    .await;
}

/// Unregisters an application and the provisioned runtime through their pages, each after the
/// page asked; kubectl no longer lists them (the runtime's provider stops its cluster first).
pub async fn unregister(cockpit: &Cockpit) {
    let tab = &cockpit.tab;
    for (kind, route, name) in [
        ("applications", "applications", "hostile-docs"),
        ("runtimes", "runtimes", "edge-cockpit"),
    ] {
        let query = format!("{{ {kind} {{ data {{ id name }} }} }}");
        let data = cockpit.data(&query, json!({})).await;
        let listed = data[kind]["data"].as_array().unwrap();
        let id = listed.iter().find(|o| o["name"] == name).unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        tab.route(&format!("#/{route}/{id}")).await;
        tab.wait(name, &format!("document.querySelector('h1') && document.querySelector('h1').textContent === '{name}'")).await;
        tab.eval::<bool>("(() => { [...document.querySelectorAll('button.danger')].find((b) => b.textContent === 'Unregister').click(); return true; })()").await;
        tab.wait("the question", "document.querySelector('.confirm')")
            .await;
        tab.click(".confirm button.danger").await;
        tab.wait("the list again", &format!("location.hash === '#/{route}'"))
            .await;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let names = cockpit
                .compass
                .kubectl_ok(&["get", kind, "-n", "acme", "-o", "name"]);
            if !names.contains(&format!("/{name}\n")) {
                break;
            }
            assert!(Instant::now() < deadline, "{name} is still listed: {names}");
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}
