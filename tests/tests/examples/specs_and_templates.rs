//! Inline specs parse in their declared format, files under `examples/specs/` are JSON or YAML,
//! and each application template declares exactly the placeholders it uses and fills in to an
//! Application its CRD accepts.

use std::collections::{BTreeMap, BTreeSet};

use compass_crds::{API_VERSION, Application, ApplicationTemplate};
use serde_json::{Value, json};

use super::{
    cel_validate, differences, examples_dir, examples_of, files_under, read, typed_round_trip,
    yaml_documents,
};

/// Replaces every `{{placeholder}}` in the strings of `value` with its entry in `values`.
fn fill_placeholders(value: &Value, values: &BTreeMap<String, String>) -> Value {
    match value {
        Value::String(s) => Value::String(values.iter().fold(s.clone(), |s, (name, v)| {
            s.replace(&format!("{{{{{name}}}}}"), v)
        })),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| fill_placeholders(v, values)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), fill_placeholders(v, values)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The names of the `{{placeholders}}` used anywhere in the strings of `value`.
fn used_placeholders(value: &Value) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    let mut strings = Vec::new();
    collect_strings(value, &mut strings);
    for s in strings {
        let mut rest = s;
        while let Some(start) = rest.find("{{") {
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else { break };
            used.insert(after[..end].trim().to_owned());
            rest = &after[end + 2..];
        }
    }
    used
}

fn collect_strings<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::String(s) => out.push(s),
        Value::Array(items) => items.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

#[test]
fn every_inline_spec_parses_in_its_declared_format() {
    let mut checked = 0;
    for application in examples_of::<Application>("Application") {
        let name = application.metadata.name.unwrap_or_default();
        let spec = serde_json::to_value(&application.spec).expect("a spec serializes");
        let mut inline = Vec::new();
        for definition in spec["apiDefinitions"].as_array().into_iter().flatten() {
            inline.push((definition["name"].clone(), definition["spec"].clone()));
        }
        for definition in spec["eventDefinitions"].as_array().into_iter().flatten() {
            inline.push((definition["name"].clone(), definition["spec"].clone()));
        }
        for (definition, spec) in inline {
            let Some(data) = spec["data"].as_str() else {
                continue;
            };
            checked += 1;
            let parsed = match spec["format"].as_str() {
                Some("JSON") => serde_json::from_str::<Value>(data).map_err(|e| e.to_string()),
                Some("YAML") => serde_yaml::from_str::<Value>(data).map_err(|e| e.to_string()),
                Some("XML") => {
                    assert!(
                        data.trim_start().starts_with('<') && data.trim_end().ends_with('>'),
                        "{name}/{definition}: the XML spec does not look like XML"
                    );
                    continue;
                }
                other => panic!("{name}/{definition}: unknown format {other:?}"),
            };
            let parsed = parsed.unwrap_or_else(|e| {
                panic!("{name}/{definition}: the inline spec does not parse: {e}")
            });
            let marker = match spec["type"].as_str() {
                Some("OPEN_API") => "openapi",
                Some("ASYNC_API") => "asyncapi",
                _ => continue,
            };
            assert!(
                parsed[marker].is_string(),
                "{name}/{definition}: the {marker} spec has no {marker:?} version field"
            );
        }
        for document in &application.spec.documents {
            if let Some(data) = &document.data {
                checked += 1;
                assert!(
                    data.trim_start().starts_with('#'),
                    "{name}: document {} should open with a Markdown heading",
                    document.title
                );
            }
        }
    }
    assert!(checked > 0, "no inline spec among the examples");
}

#[test]
fn every_template_declares_each_placeholder_it_uses_and_uses_each_it_declares() {
    let templates: Vec<ApplicationTemplate> = examples_of("ApplicationTemplate");
    assert!(
        !templates.is_empty(),
        "no application template among the examples"
    );
    for template in templates {
        let name = template.metadata.name.unwrap_or_default();
        let declared: BTreeSet<String> = template
            .spec
            .placeholders
            .iter()
            .map(|p| p.name.clone())
            .collect();
        assert_eq!(
            declared.len(),
            template.spec.placeholders.len(),
            "{name}: a placeholder is declared twice"
        );
        for placeholder in &template.spec.placeholders {
            assert!(
                placeholder
                    .description
                    .as_deref()
                    .is_some_and(|d| !d.is_empty()),
                "{name}: placeholder {} has no description",
                placeholder.name
            );
        }
        let used = used_placeholders(&Value::Object(template.spec.application_input.clone()));
        assert_eq!(
            used, declared,
            "{name}: used and declared placeholders differ"
        );
    }
}

#[test]
fn every_template_fills_in_to_an_application_that_passes_its_crd() {
    for template in examples_of::<ApplicationTemplate>("ApplicationTemplate") {
        let name = template.metadata.name.unwrap_or_default();
        // A value of the right shape for each placeholder: URLs where a URL is expected.
        let values: BTreeMap<String, String> = template
            .spec
            .placeholders
            .iter()
            .map(|p| {
                let value = if p.name.contains("url") {
                    "https://shop.example.com".to_owned()
                } else {
                    format!("sample-{}", p.name)
                };
                (p.name.clone(), value)
            })
            .collect();
        let mut input = fill_placeholders(&Value::Object(template.spec.application_input), &values);
        let input = input.as_object_mut().expect("the input is an object");
        let app_name = input
            .remove("name")
            .unwrap_or_else(|| panic!("{name}: the application input has no name"));
        let application = json!({
            "apiVersion": API_VERSION,
            "kind": "Application",
            "metadata": { "name": app_name, "namespace": "acme" },
            "spec": input,
        });
        let typed = typed_round_trip(&application)
            .unwrap_or_else(|e| panic!("{name}: the filled-in input is no Application: {e}"));
        let lost = differences(&application, &typed, "");
        assert!(
            lost.is_empty(),
            "{name}: the filled-in input has fields Application lacks:\n{}",
            lost.join("\n")
        );
        if let Err(errors) = cel_validate(&application) {
            panic!("{name}: the filled-in input breaks the Application CRD: {errors}");
        }
    }
}

#[test]
fn every_file_under_specs_is_valid_json_or_yaml() {
    let files = files_under(&examples_dir().join("specs"));
    assert!(!files.is_empty(), "examples/specs/ is empty");
    for path in files {
        let text = read(&path);
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        let result = match extension {
            "json" => serde_json::from_str::<Value>(&text).map_err(|e| e.to_string()),
            "yaml" | "yml" => yaml_documents(&text)
                .map_err(|e| e.to_string())
                .and_then(|docs| {
                    if docs.is_empty() {
                        Err("no document".to_owned())
                    } else {
                        Ok(Value::Array(docs))
                    }
                }),
            other => Err(format!(
                "unexpected extension {other:?}; use .json, .yaml or .yml"
            )),
        };
        if let Err(e) = result {
            panic!("{}: {e}", path.display());
        }
    }
}
