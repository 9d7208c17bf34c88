//! What kube-apiserver checks and defaults on RBAC objects before storing them: well-formed rules
//! (non-resource URLs only in ClusterRoles, never mixed with resources), role references and
//! subjects of the allowed kinds, subjects' API groups defaulted, and a binding's `roleRef` fixed
//! once written.

use serde_json::{Value, json};

use crate::{errors::FieldError, registry::Behaviour, registry::builtin::RBAC_GROUP};

/// Checks (and defaults) an RBAC object about to be stored; `old` on updates.
pub fn admit(behaviour: Behaviour, old: Option<&Value>, object: &mut Value) -> Vec<FieldError> {
    match behaviour {
        Behaviour::Role => rules(object, true),
        Behaviour::ClusterRole => {
            let mut errors = rules(object, false);
            errors.extend(aggregation(object));
            errors
        }
        Behaviour::RoleBinding | Behaviour::ClusterRoleBinding => {
            let cluster = behaviour == Behaviour::ClusterRoleBinding;
            default_subjects(object);
            let mut errors = role_ref(old, object, cluster);
            errors.extend(subjects(object, cluster));
            errors
        }
        _ => Vec::new(),
    }
}

/// Why a name cannot name an RBAC object (one path segment), if it cannot.
pub fn name_error(name: &str) -> Option<String> {
    match name {
        "." | ".." => Some(format!("may not be '{name}'")),
        _ => ['/', '%']
            .into_iter()
            .find(|c| name.contains(*c))
            .map(|c| format!("may not contain '{c}'")),
    }
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn rules(object: &Value, namespaced: bool) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let Some(rules) = object["rules"].as_array() else {
        return errors;
    };
    for (i, rule) in rules.iter().enumerate() {
        let path = |field: &str| format!("rules[{i}].{field}");
        if strings(&rule["verbs"]).is_empty() {
            errors.push(FieldError::required(
                path("verbs"),
                "verbs must contain at least one value",
            ));
        }
        let urls = &rule["nonResourceURLs"];
        if !strings(urls).is_empty() {
            if namespaced {
                errors.push(FieldError::invalid(
                    path("nonResourceURLs"),
                    urls.clone(),
                    "namespaced rules cannot apply to non-resource URLs",
                ));
            }
            if !strings(&rule["apiGroups"]).is_empty() || !strings(&rule["resources"]).is_empty() {
                errors.push(FieldError::invalid(
                    path("nonResourceURLs"),
                    urls.clone(),
                    "rules cannot apply to both regular resources and non-resource URLs",
                ));
            }
            continue;
        }
        if strings(&rule["apiGroups"]).is_empty() {
            errors.push(FieldError::required(
                path("apiGroups"),
                "resource rules must supply at least one api group",
            ));
        }
        if strings(&rule["resources"]).is_empty() {
            errors.push(FieldError::required(
                path("resources"),
                "resource rules must supply at least one resource",
            ));
        }
    }
    errors
}

fn aggregation(object: &Value) -> Vec<FieldError> {
    let rule = &object["aggregationRule"];
    if rule.is_null() {
        return Vec::new();
    }
    match rule["clusterRoleSelectors"].as_array() {
        Some(selectors) if !selectors.is_empty() => Vec::new(),
        _ => vec![FieldError::required(
            "aggregationRule.clusterRoleSelectors",
            "at least one clusterRoleSelector required if aggregationRule is non-nil",
        )],
    }
}

/// Users and groups are RBAC subjects; ServiceAccounts are core ones.
fn default_subjects(object: &mut Value) {
    let Some(subjects) = object["subjects"].as_array_mut() else {
        return;
    };
    for subject in subjects {
        if subject["apiGroup"].is_null() {
            let group = match subject["kind"].as_str() {
                Some("User" | "Group") => RBAC_GROUP,
                _ => "",
            };
            subject["apiGroup"] = json!(group);
        }
    }
}

fn role_ref(old: Option<&Value>, object: &Value, cluster: bool) -> Vec<FieldError> {
    let reference = &object["roleRef"];
    let mut errors = Vec::new();
    if let Some(old) = old
        && old["roleRef"] != *reference
    {
        errors.push(FieldError::invalid(
            "roleRef",
            reference.clone(),
            "cannot change roleRef",
        ));
    }
    if reference["apiGroup"] != RBAC_GROUP {
        errors.push(FieldError::not_supported(
            "roleRef.apiGroup",
            reference["apiGroup"].clone(),
            &[json!(RBAC_GROUP)],
        ));
    }
    let kinds: &[Value] = if cluster {
        &[json!("ClusterRole")]
    } else {
        &[json!("Role"), json!("ClusterRole")]
    };
    if !kinds.contains(&reference["kind"]) {
        errors.push(FieldError::not_supported(
            "roleRef.kind",
            reference["kind"].clone(),
            kinds,
        ));
    }
    if reference["name"].as_str().is_none_or(str::is_empty) {
        errors.push(FieldError::required("roleRef.name", ""));
    }
    errors
}

fn subjects(object: &Value, cluster: bool) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let Some(subjects) = object["subjects"].as_array() else {
        return errors;
    };
    for (i, subject) in subjects.iter().enumerate() {
        let path = |field: &str| format!("subjects[{i}].{field}");
        if subject["name"].as_str().is_none_or(str::is_empty) {
            errors.push(FieldError::required(path("name"), ""));
        }
        let (group, needs_namespace) = match subject["kind"].as_str() {
            Some("User" | "Group") => (RBAC_GROUP, false),
            Some("ServiceAccount") => ("", cluster),
            _ => {
                let kinds = [json!("ServiceAccount"), json!("User"), json!("Group")];
                errors.push(FieldError::not_supported(
                    path("kind"),
                    subject["kind"].clone(),
                    &kinds,
                ));
                continue;
            }
        };
        if subject["apiGroup"] != group {
            errors.push(FieldError::not_supported(
                path("apiGroup"),
                subject["apiGroup"].clone(),
                &[json!(group)],
            ));
        }
        if needs_namespace && subject["namespace"].as_str().is_none_or(str::is_empty) {
            errors.push(FieldError::required(path("namespace"), ""));
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn roles_refuse_urls_and_rules_without_verbs_groups_or_resources() {
        let mut role = json!({ "rules": [
            { "verbs": ["get"], "nonResourceURLs": ["/healthz"] },
            { "verbs": [], "apiGroups": [""], "resources": ["pods"] },
            { "verbs": ["get"] },
        ] });
        let errors = admit(Behaviour::Role, None, &mut role);
        assert_eq!(
            fields(&errors),
            [
                "rules[0].nonResourceURLs",
                "rules[1].verbs",
                "rules[2].apiGroups",
                "rules[2].resources"
            ]
        );
        let mut cluster_role =
            json!({ "rules": [{ "verbs": ["get"], "nonResourceURLs": ["/healthz"] }] });
        assert!(admit(Behaviour::ClusterRole, None, &mut cluster_role).is_empty());
    }

    #[test]
    fn bindings_default_subject_groups_and_keep_their_role_ref() {
        let mut binding = json!({
            "roleRef": { "apiGroup": RBAC_GROUP, "kind": "ClusterRole", "name": "view" },
            "subjects": [{ "kind": "User", "name": "alice" }, { "kind": "ServiceAccount", "name": "bot" }],
        });
        assert!(admit(Behaviour::RoleBinding, None, &mut binding).is_empty());
        assert_eq!(binding["subjects"][0]["apiGroup"], RBAC_GROUP);
        assert_eq!(binding["subjects"][1]["apiGroup"], "");
        let old = binding.clone();
        binding["roleRef"]["name"] = json!("edit");
        let errors = admit(Behaviour::RoleBinding, Some(&old), &mut binding);
        assert_eq!(
            errors[0].to_string().split(": ").last(),
            Some("cannot change roleRef")
        );
        let errors = admit(Behaviour::ClusterRoleBinding, None, &mut old.clone());
        assert_eq!(fields(&errors), ["subjects[1].namespace"]);
    }
}
