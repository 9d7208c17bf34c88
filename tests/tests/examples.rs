//! The examples users copy: every object under `examples/` is well-typed, passes the CEL rules of
//! its CRD and refers only to objects the examples create; every file under `examples/invalid/`
//! says which rule it breaks, and those whose rule is a CEL rule are rejected for it.
//!
//! Structural rules (patterns, enums, lengths, list uniqueness, unknown fields) are enforced by the
//! API server, not by the CEL validator used here; those invalid examples are only checked for
//! their form.

use std::{
    collections::{BTreeMap, BTreeSet},
    fs,
    path::{Path, PathBuf},
};

use compass_crds::{
    API_VERSION, Application, ApplicationTemplate, IntegrationSystem, LabelDefinition, Runtime,
    Scenario, SubjectKind, SystemAuth, Tenant, all_crds, labels::effective_scenarios,
};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret};
use kube::core::cel::{ValidationErrors, Validator};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::{Value, json};

/// Kinds of `compass.kyma-project.io/v1alpha1`.
const COMPASS_KINDS: [&str; 8] = [
    "Tenant",
    "IntegrationSystem",
    "ApplicationTemplate",
    "Scenario",
    "LabelDefinition",
    "Application",
    "Runtime",
    "SystemAuth",
];

/// Invalid examples whose broken rule is a CEL rule: the CEL validator must reject each of them.
const KNOWN_CEL_CASES: [&str; 16] = [
    "odata-spec-with-yaml-format",
    "api-spec-with-data-and-fetch-request",
    "api-spec-without-source",
    "credential-with-basic-and-oauth",
    "event-spec-with-xml-format",
    "document-with-data-and-fetch-request",
    "scenarios-as-label",
    "runtime-with-scenarios-label",
    "tenant-in-kube-system",
    "tenant-in-compass-system",
    "tenant-in-kube-prefixed-namespace",
    "tenant-named-default",
    "label-definition-for-scenarios",
    "target-url-not-http",
    "health-check-url-ftp",
    "oauth-token-url-without-scheme",
];

/// Fewest invalid examples there must be.
const MIN_INVALID_EXAMPLES: usize = 20;

/// Local server the examples' fetch requests and webhook point at; it serves `examples/specs/`.
const SPEC_SERVER: &str = "http://127.0.0.1:18090/";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn examples_dir() -> PathBuf {
    compass_tests::repo_root().join("examples")
}

/// The files directly in `dir` whose name ends in `extension`, in name order.
fn files_with_extension(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.is_file() && path.extension().is_some_and(|ext| ext == extension))
        .collect();
    files.sort();
    files
}

/// Every file under `dir`, recursively, in name order.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in fs::read_dir(&current)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", current.display()))
        {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .expect("a file name")
        .to_string_lossy()
        .into_owned()
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The documents of a multi-document YAML text, as JSON; empty documents are left out.
fn yaml_documents(text: &str) -> Result<Vec<Value>, serde_yaml::Error> {
    let mut documents = Vec::new();
    for document in serde_yaml::Deserializer::from_str(text) {
        let value = Value::deserialize(document)?;
        if !value.is_null() {
            documents.push(value);
        }
    }
    Ok(documents)
}

/// One object of an example file.
struct Example {
    /// Where it comes from, for messages: `file#index`.
    origin: String,
    object: Value,
}

impl Example {
    fn api_version(&self) -> &str {
        self.object["apiVersion"].as_str().unwrap_or_default()
    }

    fn kind(&self) -> &str {
        self.object["kind"].as_str().unwrap_or_default()
    }

    fn is_compass(&self) -> bool {
        self.api_version() == API_VERSION
    }

    fn name(&self) -> &str {
        self.object["metadata"]["name"].as_str().unwrap_or_default()
    }

    fn typed<T: DeserializeOwned>(&self) -> T {
        serde_json::from_value(self.object.clone())
            .unwrap_or_else(|e| panic!("{}: not a valid {}: {e}", self.origin, self.kind()))
    }
}

/// Every object of the valid examples (`examples/*.yaml`), in file order.
fn valid_examples() -> Vec<Example> {
    let files = files_with_extension(&examples_dir(), "yaml");
    assert!(!files.is_empty(), "examples/ holds no YAML files");
    let mut examples = Vec::new();
    for path in files {
        let documents = yaml_documents(&read(&path))
            .unwrap_or_else(|e| panic!("{}: not valid YAML: {e}", path.display()));
        assert!(!documents.is_empty(), "{} holds no object", path.display());
        for (index, object) in documents.into_iter().enumerate() {
            examples.push(Example {
                origin: format!("{}#{index}", file_name(&path)),
                object,
            });
        }
    }
    examples
}

/// The valid examples of one compass kind, typed.
fn examples_of<T: DeserializeOwned>(kind: &str) -> Vec<T> {
    valid_examples()
        .iter()
        .filter(|e| e.is_compass() && e.kind() == kind)
        .map(Example::typed)
        .collect()
}

/// An invalid example with its header lines.
struct InvalidExample {
    file: String,
    breaks: String,
    expect: String,
    documents: Vec<Value>,
}

/// Every file of `examples/invalid/`, with the `# Breaks:` and `# Expect:` lines it must start
/// with.
fn invalid_examples() -> Vec<InvalidExample> {
    files_with_extension(&examples_dir().join("invalid"), "yaml")
        .into_iter()
        .map(|path| {
            let file = file_name(&path);
            let text = read(&path);
            let mut lines = text.lines();
            let header = |line: Option<&str>, prefix: &str| -> String {
                let line = line.unwrap_or_default();
                let value = line.strip_prefix(prefix).unwrap_or_else(|| {
                    panic!("{file}: expected a line starting with {prefix:?}, found {line:?}")
                });
                assert!(!value.trim().is_empty(), "{file}: {prefix:?} says nothing");
                value.trim().to_owned()
            };
            let breaks = header(lines.next(), "# Breaks: ");
            let expect = header(lines.next(), "# Expect: ");
            let documents =
                yaml_documents(&text).unwrap_or_else(|e| panic!("{file}: not valid YAML: {e}"));
            InvalidExample {
                file,
                breaks,
                expect,
                documents,
            }
        })
        .collect()
}

fn round_trip<T: DeserializeOwned + Serialize>(object: &Value) -> Result<Value, String> {
    let typed: T = serde_json::from_value(object.clone()).map_err(|e| e.to_string())?;
    serde_json::to_value(&typed).map_err(|e| e.to_string())
}

/// Deserializes an object into the type of its `apiVersion` and `kind`, and serializes it back.
fn typed_round_trip(object: &Value) -> Result<Value, String> {
    let api_version = object["apiVersion"].as_str().unwrap_or_default();
    let kind = object["kind"].as_str().unwrap_or_default();
    match (api_version, kind) {
        (API_VERSION, "Tenant") => round_trip::<Tenant>(object),
        (API_VERSION, "IntegrationSystem") => round_trip::<IntegrationSystem>(object),
        (API_VERSION, "ApplicationTemplate") => round_trip::<ApplicationTemplate>(object),
        (API_VERSION, "Scenario") => round_trip::<Scenario>(object),
        (API_VERSION, "LabelDefinition") => round_trip::<LabelDefinition>(object),
        (API_VERSION, "Application") => round_trip::<Application>(object),
        (API_VERSION, "Runtime") => round_trip::<Runtime>(object),
        (API_VERSION, "SystemAuth") => round_trip::<SystemAuth>(object),
        ("v1", "Namespace") => round_trip::<Namespace>(object),
        ("v1", "Secret") => round_trip::<Secret>(object),
        ("v1", "ConfigMap") => round_trip::<ConfigMap>(object),
        _ => Err(format!("unknown kind {api_version:?} {kind:?}")),
    }
}

/// Every path at which `original` holds something `typed` does not. Keys `typed` adds (defaults)
/// are fine; lists must match item by item.
fn differences(original: &Value, typed: &Value, path: &str) -> Vec<String> {
    let mut found = Vec::new();
    collect_differences(original, typed, path, &mut found);
    found
}

fn collect_differences(original: &Value, typed: &Value, path: &str, found: &mut Vec<String>) {
    match (original, typed) {
        (Value::Object(original), Value::Object(typed)) => {
            for (key, value) in original {
                let child = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                match typed.get(key) {
                    Some(t) => collect_differences(value, t, &child, found),
                    None => found.push(format!("{child} is dropped")),
                }
            }
        }
        (Value::Array(original), Value::Array(typed)) if original.len() == typed.len() => {
            for (i, (o, t)) in original.iter().zip(typed).enumerate() {
                collect_differences(o, t, &format!("{path}[{i}]"), found);
            }
        }
        _ if original == typed => {}
        _ => found.push(format!(
            "{path} is {original}, {typed} after the round trip"
        )),
    }
}

/// The OpenAPI schema of a compass kind, as installed.
fn crd_schema(kind: &str) -> Value {
    let crd = all_crds()
        .into_iter()
        .find(|crd| crd.spec.names.kind == kind)
        .unwrap_or_else(|| panic!("no CRD of kind {kind}"));
    let schema = crd.spec.versions[0]
        .schema
        .as_ref()
        .and_then(|s| s.open_api_v3_schema.as_ref())
        .unwrap_or_else(|| panic!("the CRD of {kind} has no schema"));
    serde_json::to_value(schema).expect("a schema serializes")
}

/// Runs the CEL rules of the object's CRD against it, as a create (no old object).
fn cel_validate(object: &Value) -> Result<(), ValidationErrors> {
    let kind = object["kind"].as_str().unwrap_or_default();
    Validator::new().validate(&crd_schema(kind), object, None)
}

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

/// Replaces every `{{placeholder}}` in the strings of `value` with its entry in `values`.
fn fill_placeholders(value: &Value, values: &BTreeMap<String, String>) -> Value {
    match value {
        Value::String(s) => Value::String(values.iter().fold(s.clone(), |s, (name, v)| {
            s.replace(&format!("{{{{{name}}}}}"), v)
        })),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| fill_placeholders(v, values)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), fill_placeholders(v, values)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The names of the `{{placeholders}}` used anywhere in the strings of `value`.
fn used_placeholders(value: &Value) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    let mut strings = Vec::new();
    collect_strings(value, &mut strings);
    for s in strings {
        let mut rest = s;
        while let Some(start) = rest.find("{{") {
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else { break };
            used.insert(after[..end].trim().to_owned());
            rest = &after[end + 2..];
        }
    }
    used
}

fn collect_strings<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// The valid examples
// ---------------------------------------------------------------------------------------------

#[test]
fn every_example_object_deserializes_into_its_type_without_losing_a_field() {
    let mut failures = Vec::new();
    for example in valid_examples() {
        match typed_round_trip(&example.object) {
            Ok(typed) => {
                for difference in differences(&example.object, &typed, "") {
                    failures.push(format!("{}: {difference}", example.origin));
                }
            }
            Err(e) => failures.push(format!("{}: {e}", example.origin)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_compass_example_passes_the_cel_rules_of_its_crd() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for example in valid_examples().iter().filter(|e| e.is_compass()) {
        checked += 1;
        if let Err(errors) = cel_validate(&example.object) {
            failures.push(format!("{} ({}): {errors}", example.origin, example.name()));
        }
    }
    assert!(checked > 0, "no compass object among the examples");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_example_file_opens_with_a_comment_saying_what_it_shows() {
    for path in files_with_extension(&examples_dir(), "yaml") {
        let text = read(&path);
        let first = text.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("# ") && first.len() > 2,
            "{}: start with a comment saying what the file shows",
            file_name(&path)
        );
    }
}

#[test]
fn every_compass_kind_has_an_example() {
    let kinds: BTreeSet<String> = valid_examples()
        .iter()
        .filter(|e| e.is_compass())
        .map(|e| e.kind().to_owned())
        .collect();
    for kind in COMPASS_KINDS {
        assert!(kinds.contains(kind), "no example of {kind}");
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
    let secrets: BTreeMap<String, BTreeSet<String>> = examples
        .iter()
        .filter(|e| e.api_version() == "v1" && e.kind() == "Secret")
        .map(|e| {
            let secret: Secret = e.typed();
            let keys = secret
                .string_data
                .unwrap_or_default()
                .into_keys()
                .chain(secret.data.unwrap_or_default().into_keys())
                .collect();
            (e.name().to_owned(), keys)
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

        // Every credential names a Secret with the keys its kind reads.
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
                    Some(present) => {
                        for key in keys.iter().filter(|k| !present.contains(**k)) {
                            failures.push(format!("{name}: Secret {secret} lacks the key {key}"));
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

#[test]
fn every_inline_spec_parses_in_its_declared_format() {
    let mut checked = 0;
    for application in examples_of::<Application>("Application") {
        let name = application.metadata.name.unwrap_or_default();
        let spec = serde_json::to_value(&application.spec).expect("a spec serializes");
        let mut inline = Vec::new();
        for definition in spec["apiDefinitions"].as_array().into_iter().flatten() {
            inline.push((definition["name"].clone(), definition["spec"].clone()));
        }
        for definition in spec["eventDefinitions"].as_array().into_iter().flatten() {
            inline.push((definition["name"].clone(), definition["spec"].clone()));
        }
        for (definition, spec) in inline {
            let Some(data) = spec["data"].as_str() else {
                continue;
            };
            checked += 1;
            let parsed = match spec["format"].as_str() {
                Some("JSON") => serde_json::from_str::<Value>(data).map_err(|e| e.to_string()),
                Some("YAML") => serde_yaml::from_str::<Value>(data).map_err(|e| e.to_string()),
                Some("XML") => {
                    assert!(
                        data.trim_start().starts_with('<') && data.trim_end().ends_with('>'),
                        "{name}/{definition}: the XML spec does not look like XML"
                    );
                    continue;
                }
                other => panic!("{name}/{definition}: unknown format {other:?}"),
            };
            let parsed = parsed.unwrap_or_else(|e| {
                panic!("{name}/{definition}: the inline spec does not parse: {e}")
            });
            let marker = match spec["type"].as_str() {
                Some("OPEN_API") => "openapi",
                Some("ASYNC_API") => "asyncapi",
                _ => continue,
            };
            assert!(
                parsed[marker].is_string(),
                "{name}/{definition}: the {marker} spec has no {marker:?} version field"
            );
        }
        for document in &application.spec.documents {
            if let Some(data) = &document.data {
                checked += 1;
                assert!(
                    data.trim_start().starts_with('#'),
                    "{name}: document {} should open with a Markdown heading",
                    document.title
                );
            }
        }
    }
    assert!(checked > 0, "no inline spec among the examples");
}

#[test]
fn every_template_declares_each_placeholder_it_uses_and_uses_each_it_declares() {
    let templates: Vec<ApplicationTemplate> = examples_of("ApplicationTemplate");
    assert!(
        !templates.is_empty(),
        "no application template among the examples"
    );
    for template in templates {
        let name = template.metadata.name.unwrap_or_default();
        let declared: BTreeSet<String> = template
            .spec
            .placeholders
            .iter()
            .map(|p| p.name.clone())
            .collect();
        assert_eq!(
            declared.len(),
            template.spec.placeholders.len(),
            "{name}: a placeholder is declared twice"
        );
        for placeholder in &template.spec.placeholders {
            assert!(
                placeholder
                    .description
                    .as_deref()
                    .is_some_and(|d| !d.is_empty()),
                "{name}: placeholder {} has no description",
                placeholder.name
            );
        }
        let used = used_placeholders(&Value::Object(template.spec.application_input.clone()));
        assert_eq!(
            used, declared,
            "{name}: used and declared placeholders differ"
        );
    }
}

#[test]
fn every_template_fills_in_to_an_application_that_passes_its_crd() {
    for template in examples_of::<ApplicationTemplate>("ApplicationTemplate") {
        let name = template.metadata.name.unwrap_or_default();
        // A value of the right shape for each placeholder: URLs where a URL is expected.
        let values: BTreeMap<String, String> = template
            .spec
            .placeholders
            .iter()
            .map(|p| {
                let value = if p.name.contains("url") {
                    "https://shop.example.com".to_owned()
                } else {
                    format!("sample-{}", p.name)
                };
                (p.name.clone(), value)
            })
            .collect();
        let mut input = fill_placeholders(&Value::Object(template.spec.application_input), &values);
        let input = input.as_object_mut().expect("the input is an object");
        let app_name = input
            .remove("name")
            .unwrap_or_else(|| panic!("{name}: the application input has no name"));
        let application = json!({
            "apiVersion": API_VERSION,
            "kind": "Application",
            "metadata": { "name": app_name, "namespace": "acme" },
            "spec": input,
        });
        let typed = typed_round_trip(&application)
            .unwrap_or_else(|e| panic!("{name}: the filled-in input is no Application: {e}"));
        let lost = differences(&application, &typed, "");
        assert!(
            lost.is_empty(),
            "{name}: the filled-in input has fields Application lacks:\n{}",
            lost.join("\n")
        );
        if let Err(errors) = cel_validate(&application) {
            panic!("{name}: the filled-in input breaks the Application CRD: {errors}");
        }
    }
}

#[test]
fn every_file_under_specs_is_valid_json_or_yaml() {
    let files = files_under(&examples_dir().join("specs"));
    assert!(!files.is_empty(), "examples/specs/ is empty");
    for path in files {
        let text = read(&path);
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        let result = match extension {
            "json" => serde_json::from_str::<Value>(&text).map_err(|e| e.to_string()),
            "yaml" | "yml" => yaml_documents(&text)
                .map_err(|e| e.to_string())
                .and_then(|docs| {
                    if docs.is_empty() {
                        Err("no document".to_owned())
                    } else {
                        Ok(Value::Array(docs))
                    }
                }),
            other => Err(format!(
                "unexpected extension {other:?}; use .json, .yaml or .yml"
            )),
        };
        if let Err(e) = result {
            panic!("{}: {e}", path.display());
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The invalid examples
// ---------------------------------------------------------------------------------------------

#[test]
fn there_are_enough_invalid_examples_and_each_says_what_it_breaks() {
    let invalid = invalid_examples();
    assert!(
        invalid.len() >= MIN_INVALID_EXAMPLES,
        "only {} invalid examples; at least {MIN_INVALID_EXAMPLES} are wanted",
        invalid.len()
    );
    let mut broken_rules = BTreeSet::new();
    for example in &invalid {
        let file = &example.file;
        let stem = file.trim_end_matches(".yaml");
        assert!(
            !stem.is_empty()
                && stem
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{file}: name it in kebab-case after the rule it breaks"
        );
        assert!(
            broken_rules.insert(example.breaks.clone()),
            "{file}: another file already breaks {:?}",
            example.breaks
        );
        assert_eq!(
            example.documents.len(),
            1,
            "{file}: holds {} objects, not one",
            example.documents.len()
        );
        let object = &example.documents[0];
        assert_eq!(
            object["apiVersion"], API_VERSION,
            "{file}: not a compass object"
        );
        let kind = object["kind"].as_str().unwrap_or_default();
        assert!(
            COMPASS_KINDS.contains(&kind),
            "{file}: {kind:?} is none of our kinds"
        );
        assert!(
            object["metadata"]["name"]
                .as_str()
                .is_some_and(|n| !n.is_empty()),
            "{file}: the object has no name"
        );
    }
}

#[test]
fn invalid_examples_of_cel_rules_are_rejected_for_the_rule_they_name() {
    let invalid = invalid_examples();
    let mut rejected = BTreeSet::new();
    let mut failures = Vec::new();
    for example in &invalid {
        let Some(object) = example.documents.first() else {
            continue;
        };
        let Err(errors) = cel_validate(object) else {
            continue;
        };
        let stem = example.file.trim_end_matches(".yaml").to_owned();
        // Every error must be the expected one: the file breaks exactly one rule.
        let unexpected: Vec<String> = errors
            .iter()
            .filter(|e| {
                !e.message.contains(&example.expect) && !e.field_path.contains(&example.expect)
            })
            .map(ToString::to_string)
            .collect();
        if !unexpected.is_empty() {
            failures.push(format!(
                "{}: expected only errors containing {:?}, got:\n  {}",
                example.file,
                example.expect,
                unexpected.join("\n  ")
            ));
        }
        rejected.insert(stem);
    }
    for case in KNOWN_CEL_CASES {
        assert!(
            invalid.iter().any(|e| e.file == format!("{case}.yaml")),
            "examples/invalid/{case}.yaml is missing"
        );
        if !rejected.contains(case) {
            failures.push(format!("{case}.yaml: the CEL rules accept it"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn invalid_examples_do_not_reuse_the_names_of_valid_objects() {
    // An invalid example must not reuse the name of a valid object of its kind: `kubectl apply`
    // would then patch that object instead of creating a new one, and the check would test an
    // update rather than a create.
    let valid: BTreeSet<(String, String)> = valid_examples()
        .iter()
        .filter(|e| e.is_compass())
        .map(|e| (e.kind().to_owned(), e.name().to_owned()))
        .collect();
    for example in invalid_examples() {
        let object = &example.documents[0];
        let key = (
            object["kind"].as_str().unwrap_or_default().to_owned(),
            object["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
        assert!(
            !valid.contains(&key),
            "{}: {key:?} is also a valid example",
            example.file
        );
    }
}
