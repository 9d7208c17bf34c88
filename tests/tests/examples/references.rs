//! What the valid examples name exists among them: tenants' namespaces, scenarios, integration
//! systems, Secrets with the keys a credential reads, spec files, eventing runtimes and system
//! auth subjects; and label values fit their label definitions.

use std::collections::{BTreeMap, BTreeSet};

use compass_crds::{
    Application, IntegrationSystem, LabelDefinition, Runtime, Scenario, SubjectKind, SystemAuth,
    Tenant, labels::effective_scenarios, well_known::CREDENTIALS_LABEL,
};
use k8s_openapi::api::core::v1::Secret;
use serde_json::Value;

use super::{Example, examples_dir, examples_of, valid_examples};

/// Local server the examples' fetch requests and webhook point at; it serves `examples/specs/`.
const SPEC_SERVER: &str = "http://127.0.0.1:18090/";

/// Calls `visit` with every JSON object in `value`, depth first.
fn walk_objects<'a>(value: &'a Value, visit: &mut impl FnMut(&'a serde_json::Map<String, Value>)) {
    match value {
        Value::Object(map) => {
            visit(map);
            map.values().for_each(|v| walk_objects(v, visit));
        }
        Value::Array(items) => items.iter().for_each(|v| walk_objects(v, visit)),
        _ => {}
    }
}

#[test]
fn examples_refer_only_to_objects_the_examples_create() {
    let examples = valid_examples();
    let tenants: Vec<Tenant> = examples_of("Tenant");
    let applications: Vec<Application> = examples_of("Application");
    let runtimes: Vec<Runtime> = examples_of("Runtime");
    // The operator creates every tenant's DEFAULT scenario; the examples add the others.
    let scenarios: BTreeSet<String> = examples_of::<Scenario>("Scenario")
        .iter()
        .map(|s| s.scenario_name().to_owned())
        .chain([compass_crds::labels::DEFAULT_SCENARIO.to_owned()])
        .collect();
    let integration_systems: BTreeSet<String> =
        examples_of::<IntegrationSystem>("IntegrationSystem")
            .iter()
            .filter_map(|i| i.metadata.name.clone())
            .collect();
    let namespaces: BTreeSet<&str> = examples
        .iter()
        .filter(|e| e.api_version() == "v1" && e.kind() == "Namespace")
        .map(Example::name)
        .collect();
    // Each Secret's keys, and whether the Director reads it (it carries the credentials label):
    // otherwise a credential's values show empty through its API, and a Runtime Agent sent the
    // application refuses it.
    let secrets: BTreeMap<String, (BTreeSet<String>, bool)> = examples
        .iter()
        .filter(|e| e.api_version() == "v1" && e.kind() == "Secret")
        .map(|e| {
            let secret: Secret = e.typed();
            let readable = (secret.metadata.labels.as_ref())
                .is_some_and(|labels| labels.contains_key(CREDENTIALS_LABEL));
            let keys = secret
                .string_data
                .unwrap_or_default()
                .into_keys()
                .chain(secret.data.unwrap_or_default().into_keys())
                .collect();
            (e.name().to_owned(), (keys, readable))
        })
        .collect();
    let mut failures = Vec::new();

    // Every namespaced object lives in the namespace of a tenant, and that namespace exists.
    let tenant_namespaces: BTreeSet<&str> = tenants.iter().map(Tenant::namespace_name).collect();
    for example in &examples {
        if let Some(namespace) = example.object["metadata"]["namespace"].as_str() {
            if !tenant_namespaces.contains(namespace) {
                failures.push(format!(
                    "{}: {namespace} is no tenant's namespace",
                    example.origin
                ));
            }
            if !namespaces.contains(namespace) {
                failures.push(format!(
                    "{}: namespace {namespace} is not created",
                    example.origin
                ));
            }
        }
    }

    // Scenarios named by applications and runtimes exist.
    let listed = applications
        .iter()
        .map(|a| (a.metadata.name.clone(), a.spec.scenarios.as_deref()))
        .chain(
            runtimes
                .iter()
                .map(|r| (r.metadata.name.clone(), r.spec.scenarios.as_deref())),
        );
    for (name, listed) in listed {
        for scenario in effective_scenarios(listed) {
            if !scenarios.contains(&scenario) {
                failures.push(format!(
                    "{name:?} lists scenario {scenario:?}, which is not created"
                ));
            }
        }
    }

    for application in &applications {
        let name = application.metadata.name.as_deref().unwrap_or_default();
        let spec = serde_json::to_value(&application.spec).expect("a spec serializes");

        // The integration system exists.
        if let Some(system) = &application.spec.integration_system
            && !integration_systems.contains(system)
        {
            failures.push(format!(
                "{name}: integration system {system} is not created"
            ));
        }

        // Every credential names a Secret with the keys its kind reads, which the Director reads.
        walk_objects(&spec, &mut |object| {
            let Some(credential) = object.get("credential") else {
                return;
            };
            for (kind, keys) in [
                ("basic", ["username", "password"]),
                ("oauth", ["clientId", "clientSecret"]),
            ] {
                let Some(secret) = credential[kind]["secretRef"]["name"].as_str() else {
                    continue;
                };
                match secrets.get(secret) {
                    None => failures.push(format!("{name}: Secret {secret} is not created")),
                    Some((present, readable)) => {
                        for key in keys.iter().filter(|k| !present.contains(**k)) {
                            failures.push(format!("{name}: Secret {secret} lacks the key {key}"));
                        }
                        if !readable {
                            failures.push(format!(
                                "{name}: Secret {secret} lacks the label {CREDENTIALS_LABEL}"
                            ));
                        }
                    }
                }
            }
        });

        // Fetch requests to the local server name a file it serves.
        walk_objects(&spec, &mut |object| {
            let Some(url) = object.get("fetchRequest").and_then(|f| f["url"].as_str()) else {
                return;
            };
            if let Some(file) = url.strip_prefix(SPEC_SERVER)
                && !examples_dir().join("specs").join(file).is_file()
            {
                failures.push(format!("{name}: {url} is not a file of examples/specs/"));
            }
        });

        // The runtime receiving the events exists and shares a scenario with the application.
        if let Some(runtime) = application
            .spec
            .eventing
            .as_ref()
            .and_then(|e| e.default_runtime.as_ref())
        {
            let app_scenarios = effective_scenarios(application.spec.scenarios.as_deref());
            match runtimes
                .iter()
                .find(|r| r.metadata.name.as_ref() == Some(runtime))
            {
                None => failures.push(format!("{name}: runtime {runtime} is not created")),
                Some(r) => {
                    let shared = effective_scenarios(r.spec.scenarios.as_deref())
                        .iter()
                        .any(|s| app_scenarios.contains(s));
                    if !shared {
                        failures.push(format!("{name}: runtime {runtime} shares no scenario"));
                    }
                }
            }
        }
    }

    // System auths belong to objects that exist.
    for system_auth in examples_of::<SystemAuth>("SystemAuth") {
        let subject = &system_auth.spec.subject;
        let exists = match subject.kind {
            SubjectKind::Application => applications
                .iter()
                .any(|a| a.metadata.name.as_ref() == Some(&subject.name)),
            SubjectKind::Runtime => runtimes
                .iter()
                .any(|r| r.metadata.name.as_ref() == Some(&subject.name)),
            SubjectKind::IntegrationSystem => integration_systems.contains(&subject.name),
        };
        if !exists {
            failures.push(format!(
                "system auth {:?}: its subject {subject:?} is not created",
                system_auth.metadata.name
            ));
        }
    }

    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn label_values_satisfy_the_type_and_enum_of_their_label_definition() {
    let definitions: Vec<LabelDefinition> = examples_of("LabelDefinition");
    let labelled = examples_of::<Application>("Application")
        .into_iter()
        .map(|a| (a.metadata.name.unwrap_or_default(), a.spec.labels))
        .chain(
            examples_of::<Runtime>("Runtime")
                .into_iter()
                .map(|r| (r.metadata.name.unwrap_or_default(), r.spec.labels)),
        );
    let mut failures = Vec::new();
    for (name, labels) in labelled {
        for definition in &definitions {
            let (Some(value), Some(schema)) =
                (labels.get(definition.key()), &definition.spec.schema)
            else {
                continue;
            };
            let type_ok = match schema.get("type").and_then(Value::as_str) {
                Some("string") => value.is_string(),
                Some("object") => value.is_object(),
                Some("array") => value.is_array(),
                Some("boolean") => value.is_boolean(),
                Some("number") => value.is_number(),
                Some("integer") => value.is_i64() || value.is_u64(),
                _ => true,
            };
            let enum_ok = schema
                .get("enum")
                .and_then(Value::as_array)
                .is_none_or(|allowed| allowed.contains(value));
            let uri_ok = schema.get("format").and_then(Value::as_str) != Some("uri")
                || value
                    .as_str()
                    .is_some_and(|s| s.starts_with("https://") || s.starts_with("http://"));
            if !(type_ok && enum_ok && uri_ok) {
                failures.push(format!(
                    "{name}: label {} = {value} breaks its schema",
                    definition.key()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
