//! CustomResourceDefinitions: checking one before it is stored, the status the server gives it
//! (names accepted, established, stored versions), and the resources it makes the server serve.

use std::sync::Arc;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, CustomResourceDefinitionVersion,
};
use serde_json::{Value, json};

use crate::{
    errors::FieldError,
    resource::{PrinterColumn, ResourceInfo},
    validation::SchemaValidator,
};

/// Finalizer kube-apiserver puts on every CRD: its objects are deleted before the CRD goes.
pub const CLEANUP_FINALIZER: &str = "customresourcecleanup.apiextensions.k8s.io";

/// Reads a CRD object, or explains why it cannot be read.
pub fn parse(object: &Value) -> Result<CustomResourceDefinition, FieldError> {
    serde_json::from_value(object.clone()).map_err(|e| {
        FieldError::invalid(
            "spec",
            Value::Null,
            format!("not a CustomResourceDefinition: {e}"),
        )
    })
}

/// Checks a CRD the way kube-apiserver does before storing it: names, group, scope, versions and
/// that every schema is structural with compiling CEL rules whose estimated cost is within the
/// limits. On an update (`old` is the stored CRD) the costs of a version whose schema did not
/// change are not checked again, as kube-apiserver does not, so a CRD stored before a limit
/// existed can still be updated.
pub fn validate(crd: &CustomResourceDefinition, old: Option<&Value>) -> Vec<FieldError> {
    let old = old.and_then(|old| parse(old).ok());
    let mut errors = Vec::new();
    let spec = &crd.spec;
    let name = crd.metadata.name.as_deref().unwrap_or_default();
    let expected = format!("{}.{}", spec.names.plural, spec.group);
    if name != expected {
        errors.push(FieldError::invalid(
            "metadata.name",
            json!(name),
            format!("must be spec.names.plural+\".\"+spec.group: \"{expected}\""),
        ));
    }
    if !spec.group.contains('.') || !is_dns_subdomain(&spec.group) {
        errors.push(FieldError::invalid(
            "spec.group",
            json!(spec.group),
            "should be a domain with at least one dot",
        ));
    }
    if super::builtin::is_builtin_group(&spec.group) {
        errors.push(FieldError::forbidden(
            "spec.group",
            format!(
                "{} is served by the API server itself and cannot be the group of a CustomResourceDefinition",
                spec.group
            ),
        ));
    }
    if !is_dns_label(&spec.names.plural) {
        errors.push(FieldError::invalid(
            "spec.names.plural",
            json!(spec.names.plural),
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'",
        ));
    }
    if spec.names.kind.is_empty() {
        errors.push(FieldError::required("spec.names.kind", ""));
    }
    if spec.scope != "Namespaced" && spec.scope != "Cluster" {
        errors.push(FieldError::not_supported(
            "spec.scope",
            json!(spec.scope),
            &[json!("Cluster"), json!("Namespaced")],
        ));
    }
    if spec.versions.is_empty() {
        errors.push(FieldError::required(
            "spec.versions",
            "must have exactly one version marked as storage version",
        ));
    }
    let storage = spec.versions.iter().filter(|v| v.storage).count();
    if !spec.versions.is_empty() && storage != 1 {
        errors.push(FieldError::invalid(
            "spec.versions",
            Value::Null,
            "must have exactly one version marked as storage version",
        ));
    }
    for (i, version) in spec.versions.iter().enumerate() {
        let path = format!("spec.versions[{i}]");
        if spec.versions[..i].iter().any(|v| v.name == version.name) {
            errors.push(FieldError::duplicate(
                format!("{path}.name"),
                json!(version.name),
            ));
        }
        match version
            .schema
            .as_ref()
            .and_then(|s| s.open_api_v3_schema.as_ref())
        {
            None => errors.push(FieldError::required(
                format!("{path}.schema.openAPIV3Schema"),
                "schemas are required",
            )),
            Some(schema) => {
                let unchanged = old.as_ref().is_some_and(|old| {
                    old.spec.versions.iter().any(|v| {
                        v.name == version.name
                            && v.schema
                                .as_ref()
                                .and_then(|s| s.open_api_v3_schema.as_ref())
                                == Some(schema)
                    })
                });
                let schema = serde_json::to_value(schema).unwrap_or(Value::Null);
                let schema_errors = match SchemaValidator::new(&schema) {
                    Ok(_) if unchanged => Vec::new(),
                    Ok(validator) => validator.check_cel_costs(),
                    Err(schema_errors) => schema_errors,
                };
                let at = format!("{path}.schema.openAPIV3Schema");
                errors.extend(schema_errors.into_iter().map(|mut e| {
                    e.field = if e.field.is_empty() {
                        at.clone()
                    } else {
                        format!("{at}.{}", e.field)
                    };
                    e
                }));
            }
        }
    }
    errors
}

/// The status the server keeps on a CRD: its names are accepted and it is established (or
/// terminating), and the versions objects were ever stored in.
pub fn status(crd: &CustomResourceDefinition, previous_status: Option<&Value>, now: &str) -> Value {
    let names = &crd.spec.names;
    let singular = names
        .singular
        .clone()
        .unwrap_or_else(|| names.kind.to_lowercase());
    let list_kind = names
        .list_kind
        .clone()
        .unwrap_or_else(|| format!("{}List", names.kind));
    let mut accepted = json!({ "plural": names.plural, "singular": singular, "kind": names.kind, "listKind": list_kind });
    if let Some(short) = &names.short_names {
        accepted["shortNames"] = json!(short);
    }
    if let Some(categories) = &names.categories {
        accepted["categories"] = json!(categories);
    }
    let mut stored: Vec<String> = previous_status
        .and_then(|s| s["storedVersions"].as_array())
        .map(|v| {
            v.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    for version in crd.spec.versions.iter().filter(|v| v.storage) {
        if !stored.contains(&version.name) {
            stored.push(version.name.clone());
        }
    }
    let terminating = crd.metadata.deletion_timestamp.is_some();
    let mut conditions = vec![
        condition(
            previous_status,
            "NamesAccepted",
            "True",
            "NoConflicts",
            "no conflicts found",
            now,
        ),
        condition(
            previous_status,
            "Established",
            "True",
            "InitialNamesAccepted",
            "the initial names have been accepted",
            now,
        ),
    ];
    if terminating {
        conditions.push(condition(
            previous_status,
            "Terminating",
            "True",
            "InstanceDeletionInProgress",
            "CustomResource deletion is in progress",
            now,
        ));
    }
    json!({ "acceptedNames": accepted, "conditions": conditions, "storedVersions": stored })
}

/// A condition, keeping the previous transition time when its status did not change.
fn condition(
    previous: Option<&Value>,
    type_: &str,
    status: &str,
    reason: &str,
    message: &str,
    now: &str,
) -> Value {
    let since = previous
        .and_then(|s| s["conditions"].as_array())
        .and_then(|c| {
            c.iter()
                .find(|c| c["type"] == type_ && c["status"] == status)
        })
        .and_then(|c| c["lastTransitionTime"].as_str())
        .unwrap_or(now);
    json!({ "type": type_, "status": status, "reason": reason, "message": message, "lastTransitionTime": since })
}

/// One served version of a CRD, ready to be registered.
pub struct ServedVersion {
    /// What the server serves.
    pub info: ResourceInfo,
    /// JSONPaths clients may use in field selectors, beyond name and namespace.
    pub selectable_fields: Vec<String>,
}

/// The resources a CRD makes the server serve: one per served version.
pub fn served_versions(crd: &CustomResourceDefinition) -> Vec<ServedVersion> {
    let spec = &crd.spec;
    let names = &spec.names;
    spec.versions
        .iter()
        .filter(|v| v.served)
        .map(|version| ServedVersion {
            info: version_info(crd, version),
            selectable_fields: selectable(version),
        })
        .filter(|_| !names.plural.is_empty())
        .collect()
}

fn version_info(
    crd: &CustomResourceDefinition,
    version: &CustomResourceDefinitionVersion,
) -> ResourceInfo {
    let names = &crd.spec.names;
    let schema = version
        .schema
        .as_ref()
        .and_then(|s| s.open_api_v3_schema.as_ref())
        .and_then(|s| serde_json::to_value(s).ok())
        .map(Arc::new);
    let printer_columns = version
        .additional_printer_columns
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|c| PrinterColumn {
            name: c.name.clone(),
            type_: c.type_.clone(),
            format: c.format.clone().unwrap_or_default(),
            description: c.description.clone().unwrap_or_default(),
            priority: c.priority.unwrap_or(0),
            json_path: c.json_path.clone(),
        })
        .collect();
    ResourceInfo {
        group: crd.spec.group.clone(),
        version: version.name.clone(),
        plural: names.plural.clone(),
        singular: names
            .singular
            .clone()
            .unwrap_or_else(|| names.kind.to_lowercase()),
        kind: names.kind.clone(),
        list_kind: names
            .list_kind
            .clone()
            .unwrap_or_else(|| format!("{}List", names.kind)),
        namespaced: crd.spec.scope == "Namespaced",
        short_names: names.short_names.clone().unwrap_or_default(),
        categories: names.categories.clone().unwrap_or_default(),
        status_subresource: version
            .subresources
            .as_ref()
            .is_some_and(|s| s.status.is_some()),
        schema,
        printer_columns,
        builtin: false,
        storage_version: version.storage,
        create_only: false,
        create_subresources: Vec::new(),
    }
}

fn selectable(version: &CustomResourceDefinitionVersion) -> Vec<String> {
    version
        .selectable_fields
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|f| f.json_path.trim_start_matches('.').to_owned())
        .collect()
}

/// Whether `name` is a lowercase RFC 1123 label.
pub fn is_dns_label(name: &str) -> bool {
    name.len() <= 63 && is_label_shaped(name)
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, of any length.
fn is_label_shaped(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
}

/// Whether `name` is a lowercase RFC 1123 subdomain as apimachinery checks it: at most 253
/// characters in all; its dot-separated parts are not limited to 63 (only DNS labels are).
pub fn is_dns_subdomain(name: &str) -> bool {
    name.len() <= 253 && name.split('.').all(is_label_shaped)
}

/// Kubernetes' ordering of version names: GA before beta before alpha, higher numbers first,
/// then other names alphabetically.
pub fn version_priority(a: &str, b: &str) -> std::cmp::Ordering {
    fn rank(version: &str) -> (u8, i64, i64, String) {
        let parsed = version.strip_prefix('v').and_then(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            let major: i64 = digits.parse().ok()?;
            let tail = &rest[digits.len()..];
            let (level, minor) = if tail.is_empty() {
                (0, 0)
            } else if let Some(n) = tail.strip_prefix("beta") {
                (1, n.parse().ok()?)
            } else if let Some(n) = tail.strip_prefix("alpha") {
                (2, n.parse().ok()?)
            } else {
                return None;
            };
            Some((level, -major, -minor))
        });
        match parsed {
            Some((level, major, minor)) => (level, major, minor, String::new()),
            None => (3, 0, 0, version.to_owned()),
        }
    }
    rank(a).cmp(&rank(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_sort_ga_then_beta_then_alpha() {
        let mut versions = vec![
            "v1alpha1", "v2", "foo", "v1beta2", "v1", "v1beta1", "v2alpha1",
        ];
        versions.sort_by(|a, b| version_priority(a, b));
        assert_eq!(
            versions,
            vec![
                "v2", "v1", "v1beta2", "v1beta1", "v2alpha1", "v1alpha1", "foo"
            ]
        );
    }

    #[test]
    fn dns_names_are_checked() {
        assert!(is_dns_label("applications"));
        assert!(!is_dns_label("Applications"));
        assert!(is_dns_subdomain("compass.kyma-project.io"));
        assert!(!is_dns_subdomain("compass..io"));
        assert!(
            is_dns_subdomain(&"k".repeat(100)),
            "parts of a subdomain may exceed 63"
        );
        assert!(!is_dns_label(&"k".repeat(64)));
    }
}
