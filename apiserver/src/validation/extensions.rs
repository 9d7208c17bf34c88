//! Schema-load checks of the Kubernetes extensions: list and map types (`x-kubernetes-list-type`,
//! `x-kubernetes-list-map-keys`, `x-kubernetes-map-type`) and the resource fields (`apiVersion`,
//! `kind`, `metadata`) of the root and of embedded resources.

use serde_json::Value;

use super::child;
use crate::errors::FieldError;

fn str_of<'a>(s: &'a Value, key: &str) -> &'a str {
    s.get(key).and_then(Value::as_str).unwrap_or("")
}

fn type_error(path: &str, ty: &str, detail: &str) -> FieldError {
    let at = child(path, "type");
    if ty.is_empty() {
        FieldError::required(at, detail)
    } else {
        FieldError::invalid(at, Value::from(ty), detail)
    }
}

fn supported(values: &[&str]) -> Vec<Value> {
    values.iter().map(|v| Value::from(*v)).collect()
}

/// `apiVersion` and `kind` must be strings and `metadata` an object; at the root, `metadata` may
/// only restrict `name` and `generateName`.
pub(super) fn resource_fields(s: &Value, path: &str, root: bool, out: &mut Vec<FieldError>) {
    let Some(props) = s.get("properties").and_then(Value::as_object) else {
        return;
    };
    let at = |name: &str| child(path, &format!("properties[{name}]"));
    for (name, expected) in [
        ("kind", "string"),
        ("apiVersion", "string"),
        ("metadata", "object"),
    ] {
        if let Some(sub) = props.get(name) {
            let ty = str_of(sub, "type");
            if ty != expected {
                let detail = format!("must be {expected}");
                out.push(FieldError::invalid(
                    child(&at(name), "type"),
                    Value::from(ty),
                    detail,
                ));
            }
        }
    }
    let Some(metadata) = props
        .get("metadata")
        .and_then(Value::as_object)
        .filter(|_| root)
    else {
        return;
    };
    let harmless = ["type", "default", "description", "title"];
    let only_names = |v: &Value| {
        v.as_object()
            .is_some_and(|p| p.keys().all(|k| k == "name" || k == "generateName"))
    };
    let allowed =
        |k: &str, v: &Value| harmless.contains(&k) || (k == "properties" && only_names(v));
    let restricts_more = metadata.iter().any(|(k, v)| !allowed(k, v));
    if restricts_more {
        let detail = "must not specify anything other than name and generateName, but metadata is implicitly specified";
        out.push(FieldError::forbidden(at("metadata"), detail));
    }
}

/// The list and map type extensions of one node.
pub(super) fn lists(s: &Value, path: &str, out: &mut Vec<FieldError>) {
    map_type(s, path, out);
    let at = |key: &str| child(path, key);
    let list_type = s.get("x-kubernetes-list-type").and_then(Value::as_str);
    let items = s.get("items").filter(|i| i.is_object());
    let ty = str_of(s, "type");
    if list_type.is_some() && ty != "array" {
        let detail = "must be array if x-kubernetes-list-type is specified";
        out.push(type_error(path, ty, detail));
    } else if let (Some("set"), Some(items)) = (list_type, items) {
        set_items(items, path, out);
    }
    if let Some(l) = list_type.filter(|l| !["atomic", "set", "map"].contains(l)) {
        let values = supported(&["atomic", "set", "map"]);
        let at = at("x-kubernetes-list-type");
        out.push(FieldError::not_supported(at, Value::from(l), &values));
    }
    let keys: Vec<&str> = s
        .get("x-kubernetes-list-map-keys")
        .and_then(Value::as_array)
        .map(|k| k.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if !keys.is_empty() && list_type != Some("map") {
        let detail = "must be map if x-kubernetes-list-map-keys is non-empty";
        out.push(match list_type {
            None => FieldError::required(at("x-kubernetes-list-type"), detail),
            Some(l) => FieldError::invalid(at("x-kubernetes-list-type"), Value::from(l), detail),
        });
    }
    if list_type == Some("map") {
        map_list(s, &keys, items, path, out);
    }
    if let (Some(l @ ("set" | "map")), Some(items)) = (list_type, items)
        && items.get("nullable") == Some(&Value::Bool(true))
    {
        let detail = format!("cannot be nullable when x-kubernetes-list-type is {l}");
        out.push(FieldError::forbidden(
            child(&at("items"), "nullable"),
            detail,
        ));
    }
}

fn map_type(s: &Value, path: &str, out: &mut Vec<FieldError>) {
    let Some(map_type) = s.get("x-kubernetes-map-type").and_then(Value::as_str) else {
        return;
    };
    let ty = str_of(s, "type");
    if ty != "object" {
        let detail = "must be object if x-kubernetes-map-type is specified";
        out.push(type_error(path, ty, detail));
    }
    if !["atomic", "granular"].contains(&map_type) {
        let values = supported(&["atomic", "granular"]);
        let at = child(path, "x-kubernetes-map-type");
        out.push(FieldError::not_supported(
            at,
            Value::from(map_type),
            &values,
        ));
    }
}

fn set_items(items: &Value, path: &str, out: &mut Vec<FieldError>) {
    let at = child(path, "items");
    let detail = "must be atomic as item of a list with x-kubernetes-list-type=set";
    match str_of(items, "type") {
        "array" => {
            if let Some(l) = items
                .get("x-kubernetes-list-type")
                .and_then(Value::as_str)
                .filter(|l| *l != "atomic")
            {
                out.push(FieldError::invalid(
                    child(&at, "x-kubernetes-list-type"),
                    Value::from(l),
                    detail,
                ));
            }
        }
        "object" => {
            let map_type = items.get("x-kubernetes-map-type").and_then(Value::as_str);
            if map_type != Some("atomic") {
                let value = Value::from(map_type.unwrap_or("granular"));
                out.push(FieldError::invalid(
                    child(&at, "x-kubernetes-map-type"),
                    value,
                    detail,
                ));
            }
        }
        _ => {}
    }
}

fn map_list(
    s: &Value,
    keys: &[&str],
    items: Option<&Value>,
    path: &str,
    out: &mut Vec<FieldError>,
) {
    let at = |key: &str| child(path, key);
    if keys.is_empty() {
        let detail = "must not be empty if x-kubernetes-list-type is map";
        out.push(FieldError::required(
            at("x-kubernetes-list-map-keys"),
            detail,
        ));
    }
    let Some(items) = items else {
        let detail = "must have a schema if x-kubernetes-list-type is map";
        out.push(FieldError::required(at("items"), detail));
        return;
    };
    let item_type = str_of(items, "type");
    if item_type != "object" {
        let detail = "must be object if parent array's x-kubernetes-list-type is map";
        out.push(FieldError::invalid(
            child(&at("items"), "type"),
            Value::from(item_type),
            detail,
        ));
        return;
    }
    let all_keys = s
        .get("x-kubernetes-list-map-keys")
        .cloned()
        .unwrap_or(Value::Null);
    for (i, key) in keys.iter().enumerate() {
        match items.get("properties").and_then(|p| p.get(*key)) {
            Some(prop) => map_key(items, key, prop, &at("items"), out),
            None => {
                let detail = "entries must all be names of item properties";
                let at = at("x-kubernetes-list-map-keys");
                out.push(FieldError::invalid(at, all_keys.clone(), detail));
            }
        }
        if keys[..i].contains(key) {
            let detail = "must not contain duplicate entries";
            let at = at("x-kubernetes-list-map-keys");
            out.push(FieldError::invalid(at, all_keys.clone(), detail));
        }
    }
}

/// A list-map key property: a scalar, required or defaulted, and not nullable.
fn map_key(items: &Value, key: &str, prop: &Value, items_path: &str, out: &mut Vec<FieldError>) {
    let key_path = child(items_path, &format!("properties[{key}]"));
    if ["array", "object"].contains(&str_of(prop, "type")) {
        let detail = "must be a scalar type if parent array's x-kubernetes-list-type is map";
        let item_type = Value::from(str_of(items, "type"));
        out.push(FieldError::invalid(
            child(&key_path, "type"),
            item_type,
            detail,
        ));
    }
    let required = items
        .get("required")
        .and_then(Value::as_array)
        .is_some_and(|r| r.iter().any(|k| k == key));
    if !required && prop.get("default").is_none_or(Value::is_null) {
        let detail = "this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property";
        out.push(FieldError::required(child(&key_path, "default"), detail));
    }
    if prop.get("nullable") == Some(&Value::Bool(true)) {
        let detail = "this property is in x-kubernetes-list-map-keys, so it cannot be nullable";
        out.push(FieldError::forbidden(child(&key_path, "nullable"), detail));
    }
}
