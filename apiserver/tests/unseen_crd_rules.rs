//! The schema of a CRD the project has never seen, enforced through the real `kubectl`: unknown
//! fields under strict and disabled validation, every structural rule with its field path, a CEL
//! rule's message, and a CEL transition rule on update.

use crate::gadget_crd;
use crate::test_server;

use gadget_crd::{MINIMAL, gadget, server_with_gadgets};
use test_server::TestServer;

/// `MINIMAL` with `color` and `serial` replaced by `overrides` of the same key, plus the rest.
fn spec_with<'a>(overrides: &[&'a str]) -> Vec<&'a str> {
    let key = |line: &str| line.split(':').next().unwrap_or_default().to_owned();
    let overridden: Vec<String> = overrides.iter().map(|l| key(l)).collect();
    let mut spec: Vec<&str> = MINIMAL
        .iter()
        .copied()
        .filter(|line| !overridden.contains(&key(line)))
        .collect();
    spec.extend(overrides);
    spec
}

fn exists(server: &TestServer, name: &str) -> bool {
    server.kubectl(&["get", "gadget", name]).status.success()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_fields_are_rejected_by_strict_apply_and_dropped_without_validation() {
    let server = server_with_gadgets().await;
    let manifest = gadget("g1", &spec_with(&["x: 1", "parts: [{name: a, weight: 2}]"]));
    let refused = server.apply_yaml_err(&manifest, &[]);
    assert!(refused.contains(r#"unknown field "spec.x""#), "{refused}");
    assert!(
        refused.contains(r#"unknown field "spec.parts[0].weight""#),
        "{refused}"
    );
    assert!(!exists(&server, "g1"), "a rejected object is not stored");

    server.apply_yaml(&manifest, &["--validate=false"]);
    let spec = server.kubectl_ok(&["get", "gadget", "g1", "-o", "jsonpath={.spec}"]);
    let spec: serde_json::Value = serde_json::from_str(&spec).unwrap();
    assert!(spec.get("x").is_none(), "{spec}");
    assert_eq!(
        spec["parts"],
        serde_json::json!([{"name": "a", "count": 1}])
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_schema_rule_rejects_its_violation_with_the_field_path() {
    let server = server_with_gadgets().await;
    let cases: [(&str, &[&str], &[&str]); 13] = [
        (
            "enum",
            &["color: pink"],
            &[r#"spec.color: Unsupported value: "pink""#],
        ),
        (
            "type",
            &["color: 5"],
            &["spec.color: Invalid value", "must be of type string"],
        ),
        (
            "required",
            &["serial: null", "color: red"],
            &["spec.serial: Required value"],
        ),
        (
            "pattern",
            &["serial: ab-1"],
            &[
                r#"spec.serial: Invalid value: "ab-1""#,
                "should match '^[A-Z]{2}-[0-9]{4}$'",
            ],
        ),
        (
            "min-length",
            &["nickname: x"],
            &[
                "spec.nickname: Invalid value",
                "should be at least 2 chars long",
            ],
        ),
        (
            "max-length",
            &["nickname: abcdefghijk"],
            &["spec.nickname: Too long: may not be more than 10 bytes"],
        ),
        (
            "minimum",
            &["size: 0", "minSize: 0"],
            &[
                "spec.size: Invalid value: 0: spec.size in body should be greater than or equal to 1",
            ],
        ),
        (
            "maximum",
            &["size: 11"],
            &["spec.size: Invalid value: 11: spec.size in body should be less than or equal to 10"],
        ),
        (
            "format",
            &["builtAt: yesterday"],
            &[
                r#"spec.builtAt: Invalid value: "yesterday""#,
                "must be of type date-time",
            ],
        ),
        (
            "max-items",
            &["tags: [a, b, c, d]"],
            &["spec.tags: Too many: 4: must have at most 3 items"],
        ),
        (
            "min-items",
            &["parts: []"],
            &["spec.parts: Invalid value", "should have at least 1 items"],
        ),
        (
            "set",
            &["tags: [a, a]"],
            &[r#"spec.tags[1]: Duplicate value: "a""#],
        ),
        (
            "list-map",
            &["parts: [{name: a}, {name: a, count: 2}]"],
            &["spec.parts[1]: Duplicate value"],
        ),
    ];
    let mut wrong = Vec::new();
    for (name, spec, expected) in cases {
        let output =
            server.kubectl_with_stdin(&["apply", "-f", "-"], &gadget(name, &spec_with(spec)));
        let stderr = String::from_utf8_lossy(&output.stderr);
        if output.status.success() {
            wrong.push(format!("{name}: accepted"));
        } else if let Some(missing) = expected.iter().find(|e| !stderr.contains(*e)) {
            wrong.push(format!(
                "{name}: expected {missing:?} in: {}",
                stderr.trim()
            ));
        } else if exists(&server, name) {
            wrong.push(format!("{name}: rejected but stored"));
        }
    }
    assert!(
        wrong.is_empty(),
        "schema rules not enforced as kube-apiserver does:\n{}",
        wrong.join("\n")
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn int_or_string_accepts_only_integers_and_strings() {
    let server = server_with_gadgets().await;
    server.apply_yaml(&gadget("number", &spec_with(&["port: 8080"])), &[]);
    server.apply_yaml(&gadget("name", &spec_with(&["port: http"])), &[]);
    let refused = server.apply_yaml_err(&gadget("list", &spec_with(&["port: [1]"])), &[]);
    assert!(refused.contains("spec.port: Invalid value"), "{refused}");
    let refused = server.apply_yaml_err(&gadget("float", &spec_with(&["port: 1.5"])), &[]);
    assert!(refused.contains("spec.port: Invalid value"), "{refused}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cel_rule_rejects_with_its_message_at_its_field_path() {
    let server = server_with_gadgets().await;
    let refused = server.apply_yaml_err(&gadget("g1", &spec_with(&["size: 2", "minSize: 5"])), &[]);
    assert!(
        refused.contains(r#"spec.size: Invalid value: "object": size must be at least minSize"#),
        "{refused}"
    );
    assert!(!exists(&server, "g1"));
    server.apply_yaml(&gadget("g1", &spec_with(&["size: 5", "minSize: 5"])), &[]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transition_rule_keeps_the_serial_immutable_on_update() {
    let server = server_with_gadgets().await;
    server.apply_yaml(&gadget("g1", &MINIMAL), &[]);
    let refused = server.kubectl_err(&[
        "patch",
        "gadget",
        "g1",
        "--type=merge",
        "-p",
        r#"{"spec":{"serial":"ZZ-9999"}}"#,
    ]);
    assert!(
        refused.contains(r#"spec.serial: Invalid value: "string": serial is immutable"#),
        "{refused}"
    );
    let refused = server.apply_yaml_err(&gadget("g1", &spec_with(&["serial: ZZ-9999"])), &[]);
    assert!(refused.contains("serial is immutable"), "{refused}");
    let serial = server.kubectl_ok(&["get", "gadget", "g1", "-o", "jsonpath={.spec.serial}"]);
    assert_eq!(serial, "AB-1234");

    // Other fields still change.
    server.apply_yaml(&gadget("g1", &spec_with(&["color: blue"])), &[]);
    server.stop().await;
}
