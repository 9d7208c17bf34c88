//! Tests of the JSONPath dialect on a realistic custom resource, the printer-column cells and
//! the human-readable ages.

use k8s_openapi::jiff::Timestamp;
use serde_json::{Value, json};

use super::*;

fn application() -> Value {
    json!({
        "apiVersion": "compass.kyma-project.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": "orders",
            "namespace": "default",
            "creationTimestamp": "2024-05-01T10:00:00Z",
            "annotations": {"compass.kyma-project.io/owner": "team-a", "a.b": "dots"}
        },
        "spec": {
            "replicas": 3,
            "weight": 1.5,
            "enabled": true,
            "scenarios": ["DEFAULT", "PROD"],
            "items": [{"name": "a", "size": 1}, {"name": "b", "size": 5}, {"name": "c", "size": 10}]
        },
        "status": {
            "observedGeneration": 2,
            "conditions": [
                {"type": "Ready", "status": "True", "reason": "Reconciled"},
                {"type": "Synced", "status": "False"}
            ]
        }
    })
}

fn eval(expression: &str) -> Vec<Value> {
    evaluate(expression, &application()).unwrap_or_else(|e| panic!("{expression}: {e}"))
}

fn names(expression: &str) -> Vec<String> {
    eval(expression)
        .into_iter()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn printer_column_paths_select_values() {
    assert_eq!(eval(".spec.replicas"), [json!(3)]);
    assert_eq!(
        eval(".metadata.creationTimestamp"),
        [json!("2024-05-01T10:00:00Z")]
    );
    assert_eq!(eval(".spec.scenarios"), [json!(["DEFAULT", "PROD"])]);
    assert_eq!(eval("{.metadata.name}"), [json!("orders")]);
    assert_eq!(eval("$.metadata.namespace"), [json!("default")]);
}

#[test]
fn a_condition_filter_picks_the_ready_status() {
    assert_eq!(
        eval(r#".status.conditions[?(@.type=="Ready")].status"#),
        [json!("True")]
    );
    assert_eq!(
        eval(r#"{.status.conditions[?(@.type == 'Synced')].status}"#),
        [json!("False")]
    );
    assert_eq!(
        eval(r#".status.conditions[?(@.type!="Ready")].type"#),
        [json!("Synced")]
    );
    assert!(eval(r#".status.conditions[?(@.type=="Missing")].status"#).is_empty());
}

#[test]
fn numeric_filters_compare_by_value() {
    assert_eq!(names(".spec.items[?(@.size>2)].name"), ["b", "c"]);
    assert_eq!(names(".spec.items[?(@.size<5)].name"), ["a"]);
    assert_eq!(names(".spec.items[?(@.size<=5)].name"), ["a", "b"]);
    assert_eq!(names(".spec.items[?(@.size>=10)].name"), ["c"]);
    assert_eq!(names(".spec.items[?(@.size==1.0)].name"), ["a"]);
}

#[test]
fn existence_filters_keep_items_with_the_field() {
    assert_eq!(
        eval(".status.conditions[?(@.reason)].type"),
        [json!("Ready")]
    );
    assert!(eval(".status.conditions[?(@.missing.deeper)].type").is_empty());
}

#[test]
fn indexes_slices_wildcards_and_unions_select_elements() {
    assert_eq!(names(".spec.items[*].name"), ["a", "b", "c"]);
    assert_eq!(names(".spec.items[0].name"), ["a"]);
    assert_eq!(names(".spec.items[-1].name"), ["c"]);
    assert_eq!(names(".spec.items[1:3].name"), ["b", "c"]);
    assert_eq!(names(".spec.items[0:3:2].name"), ["a", "c"]);
    assert_eq!(names(".spec.items[:2].name"), ["a", "b"]);
    assert_eq!(names(".spec.items[0,2].name"), ["a", "c"]);
    assert_eq!(names(".spec.items[1:1].name"), Vec::<String>::new());
    assert_eq!(eval(".spec.scenarios.*"), [json!("DEFAULT"), json!("PROD")]);
}

#[test]
fn quoted_and_escaped_keys_reach_keys_with_dots() {
    assert_eq!(eval(".metadata.annotations['a.b']"), [json!("dots")]);
    assert_eq!(eval(r#".metadata.annotations["a.b"]"#), [json!("dots")]);
    assert_eq!(
        eval(r".metadata.annotations.compass\.kyma-project\.io/owner"),
        [json!("team-a")]
    );
}

#[test]
fn recursive_descent_finds_every_name() {
    assert_eq!(names("..name"), ["orders", "a", "b", "c"]);
    assert_eq!(eval("..observedGeneration"), [json!(2)]);
}

#[test]
fn braces_inside_quotes_do_not_make_a_template() {
    let object = json!({"items": [{"name": "{x}", "id": 1}]});
    assert_eq!(
        evaluate(r#".items[?(@.name=="{x}")].id"#, &object).unwrap(),
        [json!(1)]
    );
    assert_eq!(evaluate("{.}", &object).unwrap(), vec![object]);
}

#[test]
fn missing_fields_yield_nothing() {
    assert!(eval(".spec.absent").is_empty());
    assert!(eval(".spec.absent.deeper[0]").is_empty());
    assert!(eval(".spec.replicas.deeper").is_empty());
}

#[test]
fn text_outside_braces_is_literal() {
    let path = JsonPath::parse("name={.metadata.name} size={.spec.replicas}").unwrap();
    assert_eq!(
        path.find_results(&application()).unwrap(),
        [
            vec![json!("name=")],
            vec![json!("orders")],
            vec![json!(" size=")],
            vec![json!(3)]
        ]
    );
}

#[test]
fn parse_errors_are_worded_like_client_go() {
    let error = |e: &str| JsonPath::parse(e).unwrap_err().to_string();
    assert_eq!(error("{.spec"), "unclosed action");
    assert_eq!(error(".spec.items[0"), "unterminated array");
    assert_eq!(error(".spec.items[x]"), "invalid array index x");
    assert_eq!(
        error("#spec"),
        "unrecognized character in action: U+0023 '#'"
    );
    assert_eq!(error(".items[?(@.a==1)"), "unclosed array expect ]");
    assert_eq!(error("....a"), "invalid multiple recursive descent");
    assert!(matches!(
        JsonPath::parse(".a[?(@.b"),
        Err(JsonPathError::Parse(_))
    ));
}

#[test]
fn evaluation_errors_are_reported() {
    let error = |e: &str| evaluate(e, &application()).unwrap_err();
    assert_eq!(
        error(".spec.items[5]"),
        JsonPathError::Evaluate("array index out of bounds: index 5, length 3".into())
    );
    assert_eq!(
        error(".spec[0]"),
        JsonPathError::Evaluate("map[string]interface {} is not array or slice".into())
    );
    assert_eq!(
        error(r#".spec.items[?(@.size=="a")]"#),
        JsonPathError::Evaluate("incompatible types for comparison".into())
    );
    assert_eq!(
        error("{range .spec.items[*]}"),
        JsonPathError::Evaluate("unrecognized identifier range".into())
    );
}

#[test]
fn column_value_is_the_first_result_or_nothing() {
    let object = application();
    let value = |e: &str| JsonPath::parse(e).unwrap().column_value(&object);
    assert_eq!(value(".spec.items[*].name"), Some(json!("a")));
    assert_eq!(value(".spec.absent"), None);
    assert_eq!(value(".spec.items[9]"), None);
}

fn now() -> Timestamp {
    "2024-05-01T13:20:00Z".parse().unwrap()
}

#[test]
fn cells_follow_the_column_type() {
    let cell = |t: &str, v: Value| cell(t, "", &[v], now());
    assert_eq!(cell("integer", json!(3)), json!(3));
    assert_eq!(cell("integer", json!(3.9)), json!(3));
    assert_eq!(cell("integer", json!("3")), Value::Null);
    assert_eq!(cell("number", json!(2)), json!(2.0));
    assert_eq!(cell("number", json!(1.5)), json!(1.5));
    assert_eq!(cell("boolean", json!(true)), json!(true));
    assert_eq!(cell("boolean", json!("true")), Value::Null);
    assert_eq!(cell("string", json!("True")), json!("True"));
    assert_eq!(
        cell("string", json!(["DEFAULT", "PROD"])),
        json!(r#"["DEFAULT","PROD"]"#)
    );
    assert_eq!(cell("string", json!({"a": 1})), json!(r#"{"a":1}"#));
    assert_eq!(cell("string", json!(7)), json!("7"));
    assert_eq!(cell("string", json!(2.0)), json!("2"));
    assert_eq!(cell("string", json!(1500000.0)), json!("1.5e+06"));
    assert_eq!(cell("string", json!(0.00001)), json!("1e-05"));
    assert_eq!(cell("string", json!(false)), json!("false"));
    assert_eq!(cell("string", Value::Null), Value::Null);
}

#[test]
fn date_cells_show_the_age() {
    let date = |v: Value| cell("date", "date-time", &[v], now());
    assert_eq!(date(json!("2024-05-01T10:00:00Z")), json!("3h20m"));
    assert_eq!(date(json!("2024-05-01T13:19:15.5Z")), json!("44s"));
    assert_eq!(date(json!("2024-05-01T11:00:00+01:00")), json!("3h20m"));
    assert_eq!(date(json!("yesterday")), json!("<invalid>"));
    assert_eq!(date(json!("0001-01-01T00:00:00Z")), json!("<unknown>"));
    assert_eq!(date(json!("")), json!("<unknown>"));
    assert_eq!(date(json!("2024-05-01T13:30:00Z")), json!("<invalid>"));
    assert_eq!(date(json!(12)), Value::Null);
}

#[test]
fn no_results_give_an_empty_cell_and_only_the_first_counts() {
    assert_eq!(cell("string", "", &[], now()), Value::Null);
    assert_eq!(
        cell("string", "", &[json!("a"), json!("b")], now()),
        json!("a")
    );
    let object = application();
    let results = evaluate(r#".status.conditions[?(@.type=="Ready")].status"#, &object).unwrap();
    assert_eq!(cell("string", "", &results, now()), json!("True"));
}

#[test]
fn human_duration_follows_kubernetes_rules() {
    const MINUTE: i64 = 60;
    const HOUR: i64 = 60 * MINUTE;
    const DAY: i64 = 24 * HOUR;
    const YEAR: i64 = 365 * DAY;
    for (seconds, shown) in [
        (-2, "<invalid>"),
        (-1, "0s"),
        (0, "0s"),
        (45, "45s"),
        (119, "119s"),
        (2 * MINUTE, "2m"),
        (3 * MINUTE + 12, "3m12s"),
        (9 * MINUTE + 59, "9m59s"),
        (10 * MINUTE + 30, "10m"),
        (179 * MINUTE + 59, "179m"),
        (3 * HOUR, "3h"),
        (3 * HOUR + 20 * MINUTE, "3h20m"),
        (8 * HOUR + 59 * MINUTE, "8h"),
        (47 * HOUR, "47h"),
        (2 * DAY, "2d"),
        (2 * DAY + 5 * HOUR, "2d5h"),
        (7 * DAY + 23 * HOUR, "7d23h"),
        (8 * DAY, "8d"),
        (38 * DAY, "38d"),
        (729 * DAY, "729d"),
        (2 * YEAR, "2y"),
        (2 * YEAR + 150 * DAY, "2y150d"),
        (7 * YEAR + 364 * DAY, "7y364d"),
        (8 * YEAR, "8y"),
        (20 * YEAR + 100 * DAY, "20y"),
    ] {
        assert_eq!(human_duration(seconds), shown, "{seconds}s");
    }
}
