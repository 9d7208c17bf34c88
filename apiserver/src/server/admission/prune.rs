//! Unknown fields of built-in kinds: found by reading the object into the kind's type and writing
//! it back, then removed from the client's object.

use serde_json::Value;

use crate::registry::Behaviour;

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
    use serde_json::json;

    use super::*;

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
}
