//! The invalid examples (`examples/invalid/`): enough of them, each breaking one named rule with
//! one object of ours and a name of its own; those whose rule is a CEL rule are rejected for it.

use std::collections::BTreeSet;

use compass_crds::API_VERSION;
use serde_json::Value;

use super::{
    COMPASS_KINDS, cel_validate, examples_dir, file_name, files_with_extension, read,
    valid_examples, yaml_documents,
};

/// Invalid examples whose broken rule is a CEL rule: the CEL validator must reject each of them.
const KNOWN_CEL_CASES: [&str; 16] = [
    "odata-spec-with-yaml-format",
    "api-spec-with-data-and-fetch-request",
    "api-spec-without-source",
    "credential-with-basic-and-oauth",
    "event-spec-with-xml-format",
    "document-with-data-and-fetch-request",
    "scenarios-as-label",
    "runtime-with-scenarios-label",
    "tenant-in-kube-system",
    "tenant-in-compass-system",
    "tenant-in-kube-prefixed-namespace",
    "tenant-named-default",
    "label-definition-for-scenarios",
    "target-url-not-http",
    "health-check-url-ftp",
    "oauth-token-url-without-scheme",
];

/// Fewest invalid examples there must be.
const MIN_INVALID_EXAMPLES: usize = 20;

/// An invalid example with its header lines.
struct InvalidExample {
    file: String,
    breaks: String,
    expect: String,
    documents: Vec<Value>,
}

/// Every file of `examples/invalid/`, with the `# Breaks:` and `# Expect:` lines it must start
/// with.
fn invalid_examples() -> Vec<InvalidExample> {
    files_with_extension(&examples_dir().join("invalid"), "yaml")
        .into_iter()
        .map(|path| {
            let file = file_name(&path);
            let text = read(&path);
            let mut lines = text.lines();
            let header = |line: Option<&str>, prefix: &str| -> String {
                let line = line.unwrap_or_default();
                let value = line.strip_prefix(prefix).unwrap_or_else(|| {
                    panic!("{file}: expected a line starting with {prefix:?}, found {line:?}")
                });
                assert!(!value.trim().is_empty(), "{file}: {prefix:?} says nothing");
                value.trim().to_owned()
            };
            let breaks = header(lines.next(), "# Breaks: ");
            let expect = header(lines.next(), "# Expect: ");
            let documents =
                yaml_documents(&text).unwrap_or_else(|e| panic!("{file}: not valid YAML: {e}"));
            InvalidExample {
                file,
                breaks,
                expect,
                documents,
            }
        })
        .collect()
}

#[test]
fn there_are_enough_invalid_examples_and_each_says_what_it_breaks() {
    let invalid = invalid_examples();
    assert!(
        invalid.len() >= MIN_INVALID_EXAMPLES,
        "only {} invalid examples; at least {MIN_INVALID_EXAMPLES} are wanted",
        invalid.len()
    );
    let mut broken_rules = BTreeSet::new();
    for example in &invalid {
        let file = &example.file;
        let stem = file.trim_end_matches(".yaml");
        assert!(
            !stem.is_empty()
                && stem
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
            "{file}: name it in kebab-case after the rule it breaks"
        );
        assert!(
            broken_rules.insert(example.breaks.clone()),
            "{file}: another file already breaks {:?}",
            example.breaks
        );
        assert_eq!(
            example.documents.len(),
            1,
            "{file}: holds {} objects, not one",
            example.documents.len()
        );
        let object = &example.documents[0];
        assert_eq!(
            object["apiVersion"], API_VERSION,
            "{file}: not a compass object"
        );
        let kind = object["kind"].as_str().unwrap_or_default();
        assert!(
            COMPASS_KINDS.contains(&kind),
            "{file}: {kind:?} is none of our kinds"
        );
        assert!(
            object["metadata"]["name"]
                .as_str()
                .is_some_and(|n| !n.is_empty()),
            "{file}: the object has no name"
        );
    }
}

#[test]
fn invalid_examples_of_cel_rules_are_rejected_for_the_rule_they_name() {
    let invalid = invalid_examples();
    let mut rejected = BTreeSet::new();
    let mut failures = Vec::new();
    for example in &invalid {
        let Some(object) = example.documents.first() else {
            continue;
        };
        let Err(errors) = cel_validate(object) else {
            continue;
        };
        let stem = example.file.trim_end_matches(".yaml").to_owned();
        // Every error must be the expected one: the file breaks exactly one rule.
        let unexpected: Vec<String> = errors
            .iter()
            .filter(|e| {
                !e.message.contains(&example.expect) && !e.field_path.contains(&example.expect)
            })
            .map(ToString::to_string)
            .collect();
        if !unexpected.is_empty() {
            failures.push(format!(
                "{}: expected only errors containing {:?}, got:\n  {}",
                example.file,
                example.expect,
                unexpected.join("\n  ")
            ));
        }
        rejected.insert(stem);
    }
    for case in KNOWN_CEL_CASES {
        assert!(
            invalid.iter().any(|e| e.file == format!("{case}.yaml")),
            "examples/invalid/{case}.yaml is missing"
        );
        if !rejected.contains(case) {
            failures.push(format!("{case}.yaml: the CEL rules accept it"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn invalid_examples_do_not_reuse_the_names_of_valid_objects() {
    // An invalid example must not reuse the name of a valid object of its kind: `kubectl apply`
    // would then patch that object instead of creating a new one, and the check would test an
    // update rather than a create.
    let valid: BTreeSet<(String, String)> = valid_examples()
        .iter()
        .filter(|e| e.is_compass())
        .map(|e| (e.kind().to_owned(), e.name().to_owned()))
        .collect();
    for example in invalid_examples() {
        let object = &example.documents[0];
        let key = (
            object["kind"].as_str().unwrap_or_default().to_owned(),
            object["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
        assert!(
            !valid.contains(&key),
            "{}: {key:?} is also a valid example",
            example.file
        );
    }
}
