//! What kube-apiserver checks and sets on every write before storing it: object metadata rules,
//! and the behaviour of each built-in kind (Namespace phase, Secret `stringData`, immutable
//! Secrets and ConfigMaps, CRD status and cleanup finalizer).

use base64::Engine as _;
use serde_json::{Value, json};

use crate::{
    errors::FieldError,
    registry::{Behaviour, crd},
};

/// Longest label value or label name.
const LABEL_MAX: usize = 63;
/// Largest total size of an object's annotations.
const ANNOTATIONS_MAX_BYTES: usize = 256 * 1024;

/// Checks `metadata` of an object about to be stored.
pub fn validate_metadata(behaviour: Behaviour, object: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let metadata = &object["metadata"];
    let name = metadata["name"].as_str().unwrap_or_default();
    if name.is_empty() {
        errors.push(FieldError::required(
            "metadata.name",
            "name or generateName is required",
        ));
    } else if behaviour == Behaviour::Namespace && !crd::is_dns_label(name) {
        errors.push(FieldError::invalid(
            "metadata.name",
            json!(name),
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        ));
    } else if behaviour.rbac() {
        // RBAC objects only need names that fit in a path segment, as kube-apiserver checks.
        if let Some(why) = crate::rbac::validation::name_error(name) {
            errors.push(FieldError::invalid("metadata.name", json!(name), why));
        }
    } else if behaviour != Behaviour::Namespace && !crd::is_dns_subdomain(name) {
        errors.push(FieldError::invalid(
            "metadata.name",
            json!(name),
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
        ));
    }
    if let Some(labels) = metadata["labels"].as_object() {
        for (key, value) in labels {
            let path = "metadata.labels";
            if let Err(why) = qualified_name(key) {
                errors.push(FieldError::invalid(path, json!(key), why));
            }
            match value.as_str() {
                Some(text) if label_value(text) => {}
                _ => errors.push(FieldError::invalid(
                    path,
                    value.clone(),
                    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, at most 63 characters",
                )),
            }
        }
    }
    if let Some(annotations) = metadata["annotations"].as_object() {
        let mut size = 0;
        for (key, value) in annotations {
            size += key.len() + value.as_str().map_or(0, str::len);
            if let Err(why) = qualified_name(key) {
                errors.push(FieldError::invalid("metadata.annotations", json!(key), why));
            }
        }
        if size > ANNOTATIONS_MAX_BYTES {
            errors.push(FieldError::new(
                crate::errors::FieldErrorKind::TooLong,
                "metadata.annotations",
                None,
                format!("may not be more than {ANNOTATIONS_MAX_BYTES} bytes"),
            ));
        }
    }
    if let Some(finalizers) = metadata["finalizers"].as_array() {
        for (i, finalizer) in finalizers.iter().enumerate() {
            let text = finalizer.as_str().unwrap_or_default();
            if let Err(why) = qualified_name(text) {
                errors.push(FieldError::invalid(
                    format!("metadata.finalizers[{i}]"),
                    finalizer.clone(),
                    why,
                ));
            }
        }
    }
    if let Some(owners) = metadata["ownerReferences"].as_array() {
        for (i, owner) in owners.iter().enumerate() {
            for field in ["apiVersion", "kind", "name", "uid"] {
                if owner[field].as_str().is_none_or(str::is_empty) {
                    errors.push(FieldError::invalid(
                        format!("metadata.ownerReferences[{i}].{field}"),
                        owner[field].clone(),
                        format!("{field} must not be empty"),
                    ));
                }
            }
        }
        let controllers = owners.iter().filter(|o| o["controller"] == true).count();
        if controllers > 1 {
            errors.push(FieldError::invalid(
                "metadata.ownerReferences",
                Value::Null,
                "Only one reference can have Controller set to true",
            ));
        }
    }
    errors
}

/// A qualified name (label key, annotation key, finalizer): an optional DNS subdomain prefix and
/// `/`, then a name of at most 63 characters.
fn qualified_name(text: &str) -> Result<(), String> {
    let (prefix, name) = match text.split_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, text),
    };
    if let Some(prefix) = prefix
        && (prefix.is_empty() || !crd::is_dns_subdomain(&prefix.to_ascii_lowercase()))
    {
        return Err("prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'".into());
    }
    if name.is_empty() || name.len() > LABEL_MAX || !label_value(name) {
        return Err("name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character, at most 63 characters".into());
    }
    Ok(())
}

/// A label value: empty, or alphanumerics with `-`, `_`, `.` inside, at most 63 characters.
fn label_value(text: &str) -> bool {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    text.is_empty()
        || (text.len() <= LABEL_MAX
            && text.chars().all(ok_char)
            && text.starts_with(|c: char| c.is_ascii_alphanumeric())
            && text.ends_with(|c: char| c.is_ascii_alphanumeric()))
}

/// Applies a built-in kind's rules to an object about to be stored (`old` on updates). Returns
/// the field errors that make the write invalid.
pub fn admit_builtin(
    behaviour: Behaviour,
    old: Option<&Value>,
    object: &mut Value,
    now: &str,
) -> Vec<FieldError> {
    match behaviour {
        Behaviour::Namespace => {
            admit_namespace(old, object);
            Vec::new()
        }
        Behaviour::Secret => admit_secret(old, object),
        Behaviour::ConfigMap => immutable_data(old, object, &["data", "binaryData"]),
        Behaviour::CustomResourceDefinition => admit_crd(old, object, now),
        Behaviour::Role
        | Behaviour::ClusterRole
        | Behaviour::RoleBinding
        | Behaviour::ClusterRoleBinding => crate::rbac::validation::admit(behaviour, old, object),
        Behaviour::CoreEvent
        | Behaviour::EventsV1
        | Behaviour::Lease
        | Behaviour::ServiceAccount
        | Behaviour::Review(_)
        | Behaviour::Custom
        | Behaviour::Workload => Vec::new(),
    }
}

/// Label kube-apiserver keeps on every namespace, holding its name (selectors can pick
/// namespaces by name with it).
const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

fn admit_namespace(old: Option<&Value>, object: &mut Value) {
    let name = object["metadata"]["name"].clone();
    object["metadata"]["labels"][NAMESPACE_NAME_LABEL] = name;
    match old {
        None => {
            if object["spec"]["finalizers"].is_null() {
                object["spec"]["finalizers"] = json!(["kubernetes"]);
            }
            object["status"] = json!({ "phase": "Active" });
        }
        Some(old) => {
            // The phase belongs to the server: Terminating once deletion started.
            object["status"] = old["status"].clone();
        }
    }
}

fn admit_secret(old: Option<&Value>, object: &mut Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if let Some(Value::Object(string_data)) = object.get_mut("stringData").map(Value::take) {
        let data = object["data"].as_object().cloned().unwrap_or_default();
        let mut merged = data;
        for (key, value) in string_data {
            let text = value.as_str().unwrap_or_default();
            merged.insert(
                key,
                json!(base64::engine::general_purpose::STANDARD.encode(text)),
            );
        }
        object["data"] = Value::Object(merged);
    }
    if let Some(map) = object.as_object_mut() {
        map.remove("stringData");
    }
    if object["type"].is_null() {
        object["type"] = json!("Opaque");
    }
    if let Some(data) = object["data"].as_object() {
        for (key, value) in data {
            if !data_key(key) {
                errors.push(FieldError::invalid(
                    format!("data[{key}]"),
                    json!(key),
                    "a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                ));
            }
            let decodes = value
                .as_str()
                .is_some_and(|v| base64::engine::general_purpose::STANDARD.decode(v).is_ok());
            if !decodes {
                errors.push(FieldError::invalid(
                    format!("data[{key}]"),
                    value.clone(),
                    "illegal base64 data",
                ));
            }
        }
    }
    if let Some(old) = old
        && old["type"] != object["type"]
    {
        errors.push(FieldError::invalid(
            "type",
            object["type"].clone(),
            "field is immutable",
        ));
    }
    if object["type"] == "kubernetes.io/basic-auth"
        && object["data"]["username"].is_null()
        && object["data"]["password"].is_null()
    {
        errors.push(FieldError::required("data[username]", ""));
    }
    errors.extend(immutable_data(old, object, &["data"]));
    errors
}

/// An immutable Secret or ConfigMap keeps its data and stays immutable.
fn immutable_data(old: Option<&Value>, object: &Value, fields: &[&str]) -> Vec<FieldError> {
    let Some(old) = old.filter(|o| o["immutable"] == true) else {
        return Vec::new();
    };
    let mut errors = Vec::new();
    for field in fields {
        if old[*field] != object[*field] {
            errors.push(FieldError::forbidden(
                *field,
                "field is immutable when `immutable` is set",
            ));
        }
    }
    if object["immutable"] != true {
        errors.push(FieldError::forbidden(
            "immutable",
            "field is immutable when `immutable` is set",
        ));
    }
    errors
}

fn data_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 253
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

fn admit_crd(old: Option<&Value>, object: &mut Value, now: &str) -> Vec<FieldError> {
    let definition = match crd::parse(object) {
        Ok(definition) => definition,
        Err(error) => return vec![error],
    };
    let errors = crd::validate(&definition, old);
    if !errors.is_empty() {
        return errors;
    }
    if let Some(old) = old {
        for (field, what) in [("group", "spec.group"), ("scope", "spec.scope")] {
            if old["spec"][field] != object["spec"][field] {
                return vec![FieldError::invalid(
                    what,
                    object["spec"][field].clone(),
                    "field is immutable",
                )];
            }
        }
    } else {
        let finalizers = object["metadata"]["finalizers"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if !finalizers.iter().any(|f| f == crd::CLEANUP_FINALIZER) {
            let mut finalizers = finalizers;
            finalizers.push(json!(crd::CLEANUP_FINALIZER));
            object["metadata"]["finalizers"] = Value::Array(finalizers);
        }
    }
    let previous = old.map(|o| &o["status"]);
    let status = crd::status(&definition, previous, now);
    object["status"] = status;
    Vec::new()
}

/// Removes the fields a built-in kind does not have, returning their paths, by reading the
/// object into the kind's type and writing it back.
pub fn prune_builtin(behaviour: Behaviour, object: &mut Value) -> Result<Vec<String>, String> {
    use k8s_openapi::api::{
        coordination::v1::Lease, core::v1, events::v1 as events, rbac::v1 as rbac,
    };
    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    fn roundtrip<T: serde::de::DeserializeOwned + serde::Serialize>(
        object: &Value,
    ) -> Result<Value, String> {
        let typed: T = serde_json::from_value(object.clone()).map_err(|e| e.to_string())?;
        serde_json::to_value(typed).map_err(|e| e.to_string())
    }
    let normalized = match behaviour {
        Behaviour::Namespace => roundtrip::<v1::Namespace>(object)?,
        Behaviour::Secret => roundtrip::<v1::Secret>(object)?,
        Behaviour::ConfigMap => roundtrip::<v1::ConfigMap>(object)?,
        Behaviour::CoreEvent => roundtrip::<v1::Event>(object)?,
        Behaviour::EventsV1 => roundtrip::<events::Event>(object)?,
        Behaviour::Lease => roundtrip::<Lease>(object)?,
        Behaviour::CustomResourceDefinition => roundtrip::<CustomResourceDefinition>(object)?,
        Behaviour::ServiceAccount => roundtrip::<v1::ServiceAccount>(object)?,
        Behaviour::Role => roundtrip::<rbac::Role>(object)?,
        Behaviour::ClusterRole => roundtrip::<rbac::ClusterRole>(object)?,
        Behaviour::RoleBinding => roundtrip::<rbac::RoleBinding>(object)?,
        Behaviour::ClusterRoleBinding => roundtrip::<rbac::ClusterRoleBinding>(object)?,
        Behaviour::Review(_) | Behaviour::Custom | Behaviour::Workload => return Ok(Vec::new()),
    };
    let mut unknown = Vec::new();
    missing_keys(object, &normalized, "", &mut unknown);
    // Keep the client's form of known fields (the typed round trip would, for example, rewrite
    // timestamps), dropping only what the kind does not have.
    for path in &unknown {
        remove_path(object, path);
    }
    Ok(unknown)
}

/// Paths of keys present in `given` but absent in `known`.
fn missing_keys(given: &Value, known: &Value, prefix: &str, out: &mut Vec<String>) {
    match (given, known) {
        (Value::Object(given), Value::Object(known)) => {
            for (key, value) in given {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                match known.get(key) {
                    None if !value.is_null() && !is_empty_container(value) => out.push(path),
                    None => {}
                    Some(known_value) => missing_keys(value, known_value, &path, out),
                }
            }
        }
        (Value::Array(given), Value::Array(known)) => {
            for (i, (g, k)) in given.iter().zip(known).enumerate() {
                missing_keys(g, k, &format!("{prefix}[{i}]"), out);
            }
        }
        _ => {}
    }
}

fn is_empty_container(value: &Value) -> bool {
    matches!(value, Value::Object(m) if m.is_empty())
        || matches!(value, Value::Array(a) if a.is_empty())
}

fn remove_path(object: &mut Value, path: &str) {
    let mut parts: Vec<String> = Vec::new();
    for part in path.split('.') {
        match part.split_once('[') {
            Some((name, rest)) => {
                parts.push(name.to_owned());
                for index in rest.split('[') {
                    parts.push(format!("[{}", index.trim_end_matches(']')));
                }
            }
            None => parts.push(part.to_owned()),
        }
    }
    let Some((last, parents)) = parts.split_last() else {
        return;
    };
    let mut node = object;
    for part in parents {
        node = match part.strip_prefix('[') {
            Some(index) => match index.parse::<usize>().ok().and_then(|i| node.get_mut(i)) {
                Some(next) => next,
                None => return,
            },
            None => match node.get_mut(part.as_str()) {
                Some(next) => next,
                None => return,
            },
        };
    }
    if let Some(map) = node.as_object_mut() {
        map.remove(last.as_str());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_fold_string_data_into_base64_data() {
        let mut secret = json!({ "apiVersion": "v1", "kind": "Secret", "metadata": { "name": "s" }, "stringData": { "password": "hunter2" } });
        assert!(admit_builtin(Behaviour::Secret, None, &mut secret, "now").is_empty());
        assert_eq!(secret["data"]["password"], "aHVudGVyMg==");
        assert!(secret.get("stringData").is_none());
        assert_eq!(secret["type"], "Opaque");
    }

    #[test]
    fn namespaces_always_carry_their_name_as_a_label() {
        let mut created = json!({ "metadata": { "name": "acme" } });
        admit_builtin(Behaviour::Namespace, None, &mut created, "now");
        assert_eq!(created["metadata"]["labels"][NAMESPACE_NAME_LABEL], "acme");
        let mut changed =
            json!({ "metadata": { "name": "acme", "labels": { NAMESPACE_NAME_LABEL: "x" } } });
        admit_builtin(Behaviour::Namespace, Some(&created), &mut changed, "now");
        assert_eq!(changed["metadata"]["labels"][NAMESPACE_NAME_LABEL], "acme");
    }

    #[test]
    fn immutable_config_maps_keep_their_data() {
        let old = json!({ "immutable": true, "data": { "a": "1" } });
        let mut new = json!({ "immutable": true, "data": { "a": "2" } });
        let errors = admit_builtin(Behaviour::ConfigMap, Some(&old), &mut new, "now");
        assert_eq!(errors[0].field, "data");
    }

    #[test]
    fn unknown_fields_of_builtin_kinds_are_found_and_removed() {
        let mut namespace = json!({ "apiVersion": "v1", "kind": "Namespace", "metadata": { "name": "a", "labelz": { "x": "y" } }, "spec": { "finalizers": [] }, "extra": 1 });
        let unknown = prune_builtin(Behaviour::Namespace, &mut namespace).unwrap();
        assert_eq!(
            unknown,
            vec!["extra".to_owned(), "metadata.labelz".to_owned()]
        );
        assert!(namespace.get("extra").is_none());
        assert!(namespace["metadata"].get("labelz").is_none());
    }

    #[test]
    fn metadata_rules_name_the_field() {
        let object = json!({ "metadata": { "name": "Bad_Name", "labels": { "ok": "fine", "bad key!": "x" }, "finalizers": ["example.com/ok", "no spaces allowed"] } });
        let fields: Vec<String> = validate_metadata(Behaviour::Custom, &object)
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            vec!["metadata.name", "metadata.labels", "metadata.finalizers[1]"]
        );
    }
}
