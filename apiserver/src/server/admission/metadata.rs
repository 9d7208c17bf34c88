//! The rules every object's metadata follows, whatever its kind: names, labels, annotations,
//! finalizers and owner references.

use serde_json::{Map, Value, json};

use crate::{
    errors::{FieldError, FieldErrorKind},
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
    check_name(behaviour, metadata, &mut errors);
    if let Some(labels) = metadata["labels"].as_object() {
        check_labels(labels, &mut errors);
    }
    if let Some(annotations) = metadata["annotations"].as_object() {
        check_annotations(annotations, &mut errors);
    }
    if let Some(finalizers) = metadata["finalizers"].as_array() {
        check_finalizers(finalizers, &mut errors);
    }
    if let Some(owners) = metadata["ownerReferences"].as_array() {
        check_owner_references(owners, &mut errors);
    }
    errors
}

/// The name: a DNS label for a Namespace, a path segment for the RBAC kinds, a DNS subdomain
/// for everything else.
fn check_name(behaviour: Behaviour, metadata: &Value, errors: &mut Vec<FieldError>) {
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
}

/// Label keys are qualified names; values are short, plain strings.
fn check_labels(labels: &Map<String, Value>, errors: &mut Vec<FieldError>) {
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

/// Annotation keys are qualified names, and all annotations together have a size limit.
fn check_annotations(annotations: &Map<String, Value>, errors: &mut Vec<FieldError>) {
    let mut size = 0;
    for (key, value) in annotations {
        size += key.len() + value.as_str().map_or(0, str::len);
        if let Err(why) = qualified_name(key) {
            errors.push(FieldError::invalid("metadata.annotations", json!(key), why));
        }
    }
    if size > ANNOTATIONS_MAX_BYTES {
        errors.push(FieldError::new(
            FieldErrorKind::TooLong,
            "metadata.annotations",
            None,
            format!("may not be more than {ANNOTATIONS_MAX_BYTES} bytes"),
        ));
    }
}

/// Finalizers are qualified names.
fn check_finalizers(finalizers: &[Value], errors: &mut Vec<FieldError>) {
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

/// Owner references name their owner fully, and at most one of them is the controller.
fn check_owner_references(owners: &[Value], errors: &mut Vec<FieldError>) {
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

#[cfg(test)]
mod tests {
    use super::*;

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
