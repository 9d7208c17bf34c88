//! The examples users copy: every object under `examples/` is well-typed, passes the CEL rules of
//! its CRD ([`objects`]) and refers only to objects the examples create ([`references`]); specs
//! parse and templates fill in ([`specs_and_templates`]); every file under `examples/invalid/`
//! says which rule it breaks, and those whose rule is a CEL rule are rejected for it
//! ([`invalid`]).
//!
//! Structural rules (patterns, enums, lengths, list uniqueness, unknown fields) are enforced by the
//! API server, not by the CEL validator used here; those invalid examples are only checked for
//! their form.

mod invalid;
mod objects;
mod references;
mod specs_and_templates;

use std::{
    fs,
    path::{Path, PathBuf},
};

use compass_crds::{
    API_VERSION, Application, ApplicationTemplate, IntegrationSystem, LabelDefinition, Runtime,
    Scenario, SystemAuth, Tenant, all_crds,
};
use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret};
use kube::core::cel::{ValidationErrors, Validator};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use serde_json::Value;

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
