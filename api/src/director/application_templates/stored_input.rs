//! A template's application input in its two shapes: as clients write and read it (the
//! original's `ApplicationRegisterInput` as JSON) and as stored (`spec.applicationInput`: `name`
//! plus an Application's spec fields). The shapes differ only where the Application does: the
//! `scenarios` label is a field, the integration system is named rather than referred to by id,
//! and webhooks have names. Placeholders are filled in by text, as in the original.

use std::collections::BTreeMap;

use async_graphql::InputType;
use compass_crds::labels::SCENARIOS_KEY;
use serde_json::{Map, Value};

use crate::{
    director::{
        applications::ApplicationRegisterInput, enums::ApplicationWebhookType, names::webhook_name,
    },
    errors::{ApiResult, Code, error, invalid},
    state::Caches,
};

/// Fields holding credentials, which a template may not carry.
const CREDENTIAL_FIELDS: [&str; 2] = ["auth", "defaultAuth"];

/// The input as JSON in the original's shape, without null fields.
pub fn as_json(input: &ApplicationRegisterInput) -> ApiResult<Value> {
    let mut json = input
        .to_value()
        .into_json()
        .map_err(|e| error(Code::Internal, e.to_string()))?;
    strip_nulls(&mut json);
    Ok(json)
}

fn strip_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(strip_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_nulls),
        _ => {}
    }
}

/// Refuses credentials anywhere in `value` (at `field`): templates are global objects, and no
/// secret belongs in a custom resource.
fn refuse_credentials(field: &str, value: &Value) -> ApiResult<()> {
    match value {
        Value::Object(map) => map.iter().try_for_each(|(key, v)| {
            // Label values are the application's data, whatever their keys.
            if key == "labels" {
                return Ok(());
            }
            let here = format!("{field}.{key}");
            if CREDENTIAL_FIELDS.contains(&key.as_str()) {
                return Err(invalid(
                    &here,
                    "a template cannot hold credentials (it is global and stored in the clear); register the application from the template, then set them with updateWebhook, updateAPIDefinition or setAPIAuth",
                ));
            }
            refuse_credentials(&here, v)
        }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, v)| refuse_credentials(&format!("{field}[{i}]"), v)),
        _ => Ok(()),
    }
}

/// The stored form of a template's input (the argument at `field`, in the original's shape).
pub fn to_stored(caches: &Caches, field: &str, json: Value) -> ApiResult<Map<String, Value>> {
    refuse_credentials(field, &json)?;
    let Value::Object(mut input) = json else {
        return Err(invalid(field, "must be an object"));
    };
    if let Some(Value::Object(labels)) = input.get_mut("labels")
        && let Some(scenarios) = labels.remove(SCENARIOS_KEY)
    {
        input.insert("scenarios".to_owned(), scenarios);
    }
    if input
        .get("labels")
        .and_then(Value::as_object)
        .is_some_and(Map::is_empty)
    {
        input.remove("labels");
    }
    if let Some(id) = input.remove("integrationSystemID") {
        let id = id.as_str().unwrap_or_default().to_owned();
        let name = caches
            .integration_systems
            .by_uid(&id)
            .and_then(|s| s.metadata.name.clone())
            .ok_or_else(|| {
                invalid(
                    &format!("{field}.integrationSystemID"),
                    format!("integration system {id} does not exist"),
                )
            })?;
        input.insert("integrationSystem".to_owned(), Value::String(name));
    }
    if let Some(Value::Array(webhooks)) = input.get_mut("webhooks") {
        let mut names: Vec<String> = Vec::new();
        for webhook in webhooks.iter_mut().filter_map(Value::as_object_mut) {
            let name = webhook_name(
                ApplicationWebhookType::ConfigurationChanged,
                names.iter().map(String::as_str),
            );
            webhook.insert("name".to_owned(), Value::String(name.clone()));
            names.push(name);
        }
    }
    Ok(input)
}

/// A stored template input in the original's shape.
pub fn to_graphql(caches: &Caches, stored: &Map<String, Value>) -> Value {
    let mut input = stored.clone();
    if let Some(scenarios) = input.remove("scenarios") {
        let labels = input
            .entry("labels")
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(labels) = labels {
            labels.insert(SCENARIOS_KEY.to_owned(), scenarios);
        }
    }
    if let Some(name) = input.remove("integrationSystem") {
        let id = name
            .as_str()
            .and_then(|n| caches.integration_systems.get("", n))
            .and_then(|s| s.metadata.uid.clone());
        if let Some(id) = id {
            input.insert("integrationSystemID".to_owned(), Value::String(id));
        }
    }
    if let Some(Value::Array(webhooks)) = input.get_mut("webhooks") {
        for webhook in webhooks.iter_mut().filter_map(Value::as_object_mut) {
            webhook.remove("name");
        }
    }
    Value::Object(input)
}

/// Whether the input text uses `{{placeholder}}`.
pub fn uses(text: &str, placeholder: &str) -> bool {
    text.contains(&format!("{{{{{placeholder}}}}}"))
}

/// Replaces every `{{placeholder}}` in the JSON text with its value. Values are escaped as JSON
/// string content, so a quote or backslash in a value cannot break the document (the original
/// inserted them raw).
pub fn fill(text: &str, values: &BTreeMap<String, String>) -> String {
    values
        .iter()
        .fold(text.to_owned(), |text, (placeholder, value)| {
            let quoted = Value::String(value.clone()).to_string();
            let escaped = &quoted[1..quoted.len() - 1];
            text.replace(&format!("{{{{{placeholder}}}}}"), escaped)
        })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn placeholders_are_filled_with_escaped_values() {
        let text =
            json!({ "name": "{{name}}", "description": "About {{name}}: {{text}}" }).to_string();
        let values = BTreeMap::from([
            ("name".to_owned(), "shop".to_owned()),
            ("text".to_owned(), "say \"hi\"".to_owned()),
        ]);
        let filled: Value = serde_json::from_str(&fill(&text, &values)).unwrap();
        assert_eq!(
            filled,
            json!({ "name": "shop", "description": "About shop: say \"hi\"" })
        );
        assert!(uses(&text, "text"));
        assert!(!uses(&text, "other"));
    }

    #[test]
    fn the_stored_shape_has_scenarios_and_named_webhooks() {
        let caches = Caches::empty();
        let input = json!({
            "name": "{{name}}",
            "labels": { "scenarios": ["DEFAULT"], "team": "a" },
            "webhooks": [{ "type": "CONFIGURATION_CHANGED", "url": "https://x.test" },
                         { "type": "CONFIGURATION_CHANGED", "url": "https://y.test" }],
        });
        let stored = to_stored(&caches, "in.applicationInput", input.clone()).unwrap();
        assert_eq!(stored["scenarios"], json!(["DEFAULT"]));
        assert_eq!(stored["labels"], json!({ "team": "a" }));
        assert_eq!(stored["webhooks"][1]["name"], "configuration-changed-2");
        assert_eq!(to_graphql(&caches, &stored), input);
    }

    #[test]
    fn templates_refuse_credentials_naming_the_field() {
        let labelled = json!({ "name": "x", "labels": { "auth": "sso" } });
        assert!(to_stored(&Caches::empty(), "in.applicationInput", labelled).is_ok());
        let input = json!({ "name": "x", "apiDefinitions": [{ "name": "a", "defaultAuth": {} }] });
        let message = to_stored(&Caches::empty(), "in.applicationInput", input)
            .unwrap_err()
            .message;
        assert!(
            message.contains("in.applicationInput.apiDefinitions[0].defaultAuth"),
            "{message}"
        );
    }
}
