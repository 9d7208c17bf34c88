//! Secrets and ConfigMaps: `stringData` folded into base64 `data`, valid data keys, and the data
//! of an immutable one kept as it is.

use base64::Engine as _;
use serde_json::{Value, json};

use crate::errors::FieldError;

pub(super) fn admit_secret(old: Option<&Value>, object: &mut Value) -> Vec<FieldError> {
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
pub(super) fn immutable_data(
    old: Option<&Value>,
    object: &Value,
    fields: &[&str],
) -> Vec<FieldError> {
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
