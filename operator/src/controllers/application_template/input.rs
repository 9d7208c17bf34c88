//! The checks of a template's input: placeholders declared and used, and an input that makes a
//! valid application once every placeholder is filled in. Pure functions.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::LazyLock,
};

use compass_apiserver::validation::SchemaValidator;
use compass_crds::{Application, PlaceholderDefinition, schema::NAME_MAX_LENGTH};
use kube::CustomResourceExt;
use serde_json::{Map, Value, json};

use crate::controllers::checks::Verdict;

/// Whether a template is usable: undeclared placeholders first, then unused ones, then what the
/// filled-in input lacks.
pub fn verdict(input: &Map<String, Value>, placeholders: &[PlaceholderDefinition]) -> Verdict {
    let input = Value::Object(input.clone());
    let mut used = BTreeSet::new();
    references(&input, &mut used);
    let declared: BTreeSet<&str> = placeholders.iter().map(|p| p.name.as_str()).collect();
    let undeclared: Vec<String> = used
        .iter()
        .filter(|name| !declared.contains(name.as_str()))
        .map(|name| format!("{{{{{name}}}}}"))
        .collect();
    if !undeclared.is_empty() {
        return Verdict::fail(
            "PlaceholderUndeclared",
            format!(
                "spec.applicationInput uses {} but spec.placeholders does not declare it; declare it or remove it from the input",
                undeclared.join(", ")
            ),
        );
    }
    let unused: Vec<&str> = declared
        .iter()
        .filter(|name| !used.contains(**name))
        .copied()
        .collect();
    if !unused.is_empty() {
        return Verdict::fail(
            "PlaceholderUnused",
            format!(
                "Placeholder {} is declared in spec.placeholders but spec.applicationInput never uses it as {{{{name}}}}; use it or remove it",
                unused.join(", ")
            ),
        );
    }
    // Each placeholder's own name is a sample value: lowercase, so a name made of it is valid.
    let samples: BTreeMap<String, String> = placeholders
        .iter()
        .map(|p| (format!("{{{{{}}}}}", p.name), p.name.to_lowercase()))
        .collect();
    let problems = input_problems(&substitute(&input, &samples));
    if !problems.is_empty() {
        return Verdict::fail(
            "InvalidApplicationInput",
            format!(
                "With every placeholder filled in, spec.applicationInput is not a valid application: {}; fix spec.applicationInput",
                problems.join("; ")
            ),
        );
    }
    Verdict::pass(
        "InputValid",
        "Every placeholder is declared and used, and the input makes a valid application",
    )
}

/// Adds every `{{name}}` in the strings and keys of `value` to `found`.
fn references(value: &Value, found: &mut BTreeSet<String>) {
    match value {
        Value::String(text) => scan(text, found),
        Value::Array(items) => items.iter().for_each(|item| references(item, found)),
        Value::Object(map) => {
            for (key, item) in map {
                scan(key, found);
                references(item, found);
            }
        }
        _ => {}
    }
}

/// Adds every `{{name}}` of `text` to `found`; the innermost braces count, as a textual
/// replacement of `{{name}}` would see them.
fn scan(text: &str, found: &mut BTreeSet<String>) {
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return;
        };
        let name = &after[..end];
        if name.contains('{') {
            rest = &rest[start + 1..];
            continue;
        }
        found.insert(name.to_owned());
        rest = &after[end + 2..];
    }
}

/// `value` with every `{{placeholder}}` in its strings and keys replaced by its sample. A
/// placeholder that begins the value of a URL field (`url`, `targetURL`, `healthCheckURL`...)
/// stands for the start of a URL, so there it is filled with an absolute URL.
fn substitute(value: &Value, samples: &BTreeMap<String, String>) -> Value {
    substitute_in(value, samples, false)
}

fn substitute_in(value: &Value, samples: &BTreeMap<String, String>, url_field: bool) -> Value {
    let replace = |text: &str, url: bool| {
        let text = match samples
            .iter()
            .find(|(from, _)| url && text.starts_with(*from))
        {
            Some((from, to)) => format!("https://{to}.example{}", &text[from.len()..]),
            None => text.to_owned(),
        };
        samples
            .iter()
            .fold(text, |text, (from, to)| text.replace(from, to))
    };
    match value {
        Value::String(text) => Value::String(replace(text, url_field)),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|i| substitute_in(i, samples, url_field))
                .collect(),
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let url = k.to_ascii_lowercase().ends_with("url");
                    (replace(k, false), substitute_in(v, samples, url))
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// What keeps a filled-in input from being an application: its name, unknown fields, and every
/// rule of the Application schema (types, formats, limits, CEL rules), checked by the same
/// validator the control plane applies to an Application.
fn input_problems(input: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let mut spec = input.as_object().cloned().unwrap_or_default();
    match spec.remove("name") {
        Some(Value::String(name)) => {
            if let Some(problem) = name_problem(&name) {
                problems.push(format!("name {name:?} {problem}"));
            }
        }
        Some(_) => problems.push("name must be a string".to_owned()),
        None => problems.push("name is missing".to_owned()),
    }
    let Some(validator) = APPLICATION.as_ref() else {
        return problems;
    };
    let mut application = json!({
        "apiVersion": compass_crds::API_VERSION, "kind": "Application",
        "metadata": { "name": "template-check", "namespace": "template-check" },
        "spec": spec,
    });
    validator.apply_defaults(&mut application);
    let unknown = validator.prune(&mut application);
    problems.extend(unknown.into_iter().map(|path| {
        let path = path.strip_prefix("spec.").unwrap_or(&path).to_owned();
        format!("{path} is not a field of an application")
    }));
    problems.extend(
        validator
            .validate(&application, None)
            .into_iter()
            .map(|error| error.to_string().replacen("spec.", "", 1)),
    );
    problems
}

/// Why `name` breaks the application name rule: at most 36 characters, starting with a letter,
/// and a DNS-1123 subdomain (lowercase letters, digits, `-` and `.`).
fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() || name.len() > NAME_MAX_LENGTH as usize {
        return Some("must be 1 to 36 characters long");
    }
    if !name.starts_with(|c: char| c.is_ascii_lowercase()) {
        return Some("must start with a lowercase letter");
    }
    let label_ok = |label: &str| {
        !label.is_empty()
            && label
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if !name.split('.').all(label_ok) {
        return Some(
            "must consist of lowercase letters, digits, '-' and '.', each part starting and ending with a letter or digit",
        );
    }
    None
}

/// The Application schema, compiled as the control plane compiles it.
static APPLICATION: LazyLock<Option<SchemaValidator>> = LazyLock::new(|| {
    let schema = Application::crd()
        .spec
        .versions
        .into_iter()
        .next()
        .and_then(|v| v.schema?.open_api_v3_schema)?;
    SchemaValidator::new(&serde_json::to_value(schema).ok()?).ok()
});

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn placeholders(names: &[&str]) -> Vec<PlaceholderDefinition> {
        names
            .iter()
            .map(|n| PlaceholderDefinition {
                name: (*n).to_owned(),
                description: None,
            })
            .collect()
    }

    fn input(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn a_placeholder_may_begin_a_url_but_a_url_field_must_still_be_a_url() {
        let template = |url: &str| {
            input(json!({
                "name": "{{name}}",
                "healthCheckURL": url,
                "apiDefinitions": [{ "name": "api", "targetURL": url }],
            }))
        };
        let found = verdict(
            &template("{{base-url}}/healthz"),
            &placeholders(&["name", "base-url"]),
        );
        assert!(found.holds, "{found:?}");
        let found = verdict(
            &template("not-a-url/{{base-url}}"),
            &placeholders(&["name", "base-url"]),
        );
        assert!(!found.holds);
        assert!(found.message.contains("healthCheckURL"), "{found:?}");
        assert!(found.message.contains("absolute"), "{found:?}");
    }

    #[test]
    fn a_template_with_every_placeholder_declared_and_used_is_ready() {
        let template = input(json!({
            "name": "{{name}}",
            "description": "Orders of {{tenant-name}}",
            "labels": { "region": "{{region}}" },
            "apiDefinitions": [{
                "name": "orders",
                "targetURL": "https://{{region}}.example.com/api",
                "spec": { "type": "OPEN_API", "format": "JSON", "data": "{}" },
            }],
        }));
        let ready = verdict(&template, &placeholders(&["name", "tenant-name", "region"]));
        assert!(ready.holds, "{ready:?}");
    }

    #[test]
    fn an_unused_placeholder_is_named() {
        let ready = verdict(
            &input(json!({ "name": "{{name}}" })),
            &placeholders(&["name", "region"]),
        );
        assert_eq!(ready.reason, "PlaceholderUnused");
        assert!(ready.message.contains("region"), "{}", ready.message);
    }

    #[test]
    fn an_undeclared_placeholder_is_named() {
        let ready = verdict(
            &input(json!({ "name": "{{name}}", "description": "{{ oops }} and {{{x}}}" })),
            &placeholders(&["name"]),
        );
        assert_eq!(ready.reason, "PlaceholderUndeclared");
        assert!(ready.message.contains("{{ oops }}"), "{}", ready.message);
        assert!(ready.message.contains("{{x}}"), "{}", ready.message);
    }

    #[test]
    fn an_input_that_is_no_application_is_invalid() {
        for (value, expected) in [
            (json!({ "description": "x" }), "name is missing"),
            (
                json!({ "name": "1st" }),
                "must start with a lowercase letter",
            ),
            (json!({ "name": "x".repeat(37) }), "1 to 36 characters"),
            (
                json!({ "name": "Shop" }),
                "must start with a lowercase letter",
            ),
            (
                json!({ "name": "shop", "scenarios": "DEFAULT" }),
                "must be of type array",
            ),
            (
                json!({ "name": "shop", "colour": "red" }),
                "colour is not a field",
            ),
            (
                json!({ "name": "shop", "apiDefinitions": [{ "name": "a", "targetURL": "https://x", "spec": { "type": "OPEN_API", "format": "JSON", "data": "{}" }, "extra": 1 }] }),
                "apiDefinitions[0].extra is not a field",
            ),
        ] {
            let ready = verdict(&input(value.clone()), &[]);
            assert_eq!(ready.reason, "InvalidApplicationInput", "{value}");
            assert!(
                ready.message.contains(expected),
                "{value}: {}",
                ready.message
            );
        }
        assert!(
            verdict(
                &input(json!({ "name": "shop", "labels": { "any": { "x": 1 } } })),
                &[]
            )
            .holds,
            "label values are free-form"
        );
        // The schema's CEL rules apply too: a spec needs data or a fetch request.
        let ready = verdict(
            &input(
                json!({ "name": "shop", "apiDefinitions": [{ "name": "a", "targetURL": "https://x", "spec": { "type": "OPEN_API", "format": "JSON" } }] }),
            ),
            &[],
        );
        assert_eq!(ready.reason, "InvalidApplicationInput", "{}", ready.message);
    }

    #[test]
    fn names_follow_the_application_name_rule() {
        assert_eq!(name_problem("orders"), None);
        assert_eq!(name_problem("orders.v2-eu"), None);
        assert!(name_problem("orders-").is_some());
        assert!(name_problem("a..b").is_some());
        assert!(name_problem("-a").is_some());
    }
}
