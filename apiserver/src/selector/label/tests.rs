//! Tests of label selectors: every operator, the grammar's corners and apimachinery's errors.

use serde_json::{Map, Value, json};

use super::*;

fn labels(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap()
}

fn matches(selector: &str, value: Value) -> bool {
    LabelSelector::parse(selector)
        .unwrap_or_else(|e| panic!("{selector}: {e}"))
        .matches(&labels(value))
}

fn error(selector: &str) -> String {
    LabelSelector::parse(selector).unwrap_err().to_string()
}

#[test]
fn equality_operators_match_the_value() {
    let set = json!({"app": "web", "tier": "frontend"});
    assert!(matches("app=web", set.clone()));
    assert!(matches("app==web", set.clone()));
    assert!(!matches("app=api", set.clone()));
    assert!(matches("app!=api", set.clone()));
    assert!(!matches("app!=web", set.clone()));
    // != also matches objects without the label.
    assert!(matches("missing!=x", set));
}

#[test]
fn set_operators_match_membership() {
    let set = json!({"env": "prod"});
    assert!(matches("env in (prod,staging)", set.clone()));
    assert!(!matches("env in (dev)", set.clone()));
    assert!(matches("env notin (dev,qa)", set.clone()));
    assert!(!matches("env notin (prod)", set.clone()));
    assert!(matches("other notin (prod)", set.clone()));
    assert!(!matches("other in (prod)", set));
}

#[test]
fn existence_operators_check_presence() {
    let set = json!({"app": "web"});
    assert!(matches("app", set.clone()));
    assert!(!matches("!app", set.clone()));
    assert!(matches("!other", set.clone()));
    assert!(!matches("other", set));
}

#[test]
fn numeric_operators_compare_integers() {
    let set = json!({"replicas": "5", "name": "x"});
    assert!(matches("replicas>3", set.clone()));
    assert!(!matches("replicas>5", set.clone()));
    assert!(matches("replicas<10", set.clone()));
    assert!(!matches("name>1", set.clone()));
    assert!(!matches("missing<1", set));
}

#[test]
fn commas_and_and_whitespace_is_tolerated() {
    let set = json!({"app": "web", "env": "prod", "empty": ""});
    assert!(matches(
        " app = web ,  env in ( prod , dev ) , !gone ",
        set.clone()
    ));
    assert!(!matches("app=web,env=dev", set.clone()));
    // `+` in a query string arrives here as a space.
    assert!(matches("env in (prod, dev)", set.clone()));
    assert!(matches("empty=", set.clone()));
    assert!(matches("empty in (,x)", set.clone()));
    assert!(matches("empty in ()", set));
    assert!(matches("", json!({})));
}

#[test]
fn in_and_notin_are_ordinary_words_as_keys_and_values() {
    let set = json!({"in": "notin"});
    assert!(matches("in=notin", set.clone()));
    assert!(matches("in in (notin)", set));
}

#[test]
fn prefixed_keys_are_accepted() {
    assert!(matches(
        "app.kubernetes.io/name=compass",
        json!({"app.kubernetes.io/name": "compass"})
    ));
}

#[test]
fn requirements_are_sorted_and_printed_canonically() {
    let selector = LabelSelector::parse("z notin (b,a),a==1,!m,k").unwrap();
    assert_eq!(selector.to_string(), "a==1,k,!m,z notin (a,b)");
    assert_eq!(selector.requirements()[3].values(), ["a", "b"]);
    assert_eq!(
        selector.requirements()[0].operator(),
        Operator::DoubleEquals
    );
}

#[test]
fn invalid_keys_are_reported_like_kube() {
    assert_eq!(
        error("a:=b"),
        "unable to parse requirement: <nil>: Invalid value: \"a:\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
    );
    assert!(
        error(&format!("{}=b", "k".repeat(64)))
            .ends_with("name part must be no more than 63 characters")
    );
}

#[test]
fn invalid_values_are_reported_with_their_path() {
    assert_eq!(
        error("app in (ok,-bad)"),
        "unable to parse requirement: values[0][app]: Invalid value: \"-bad\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
    );
    assert_eq!(
        error("replicas>abc"),
        "unable to parse requirement: values[0]: Invalid value: \"abc\": for 'Gt', 'Lt' operators, the value must be an integer"
    );
}

#[test]
fn grammar_errors_are_worded_like_kube() {
    assert_eq!(
        error("app=web=x"),
        "found '=', expected: ',' or 'end of string'"
    );
    assert_eq!(
        error("app=web,"),
        "found '', expected: identifier after ','"
    );
    assert_eq!(
        error(",app"),
        "found ',', expected: !, identifier, or 'end of string'"
    );
    assert_eq!(
        error("env IN (a)"),
        "unable to parse requirement: found 'IN', expected: in, notin, =, ==, !=, gt, lt"
    );
    assert_eq!(
        error("env in a"),
        "unable to parse requirement: found 'a' expected: '('"
    );
    assert_eq!(
        error("env in (a b)"),
        "unable to parse requirement: found 'b', expected: ',' or ')'"
    );
    assert_eq!(
        error("env in (a"),
        "unable to parse requirement: found '', expected: ',' or ')'"
    );
    assert_eq!(
        error("!"),
        "unable to parse requirement: found '', expected: identifier"
    );
    assert_eq!(
        error("!app=x"),
        "found '=', expected: ',' or 'end of string'"
    );
    assert_eq!(
        error("app=("),
        "unable to parse requirement: found '(', expected: identifier"
    );
}

#[test]
fn objects_are_matched_on_their_metadata_labels() {
    let selector = LabelSelector::parse("app=web").unwrap();
    assert!(selector.matches_object(&json!({"metadata": {"labels": {"app": "web"}}})));
    assert!(!selector.matches_object(&json!({"metadata": {"name": "x"}})));
    assert!(
        LabelSelector::parse("!app")
            .unwrap()
            .matches_object(&json!({}))
    );
    let error = LabelSelector::parse("a b").unwrap_err().to_api_error();
    assert_eq!(error.code, 400);
}

#[test]
fn the_apimachinery_doc_example_parses() {
    let selector = LabelSelector::parse("x in (foo,,baz),y,z notin ()").unwrap();
    assert_eq!(selector.to_string(), "x in (,baz,foo),y,z notin ()");
    assert!(selector.matches(&labels(json!({"x": "", "y": "1", "z": "a"}))));
    assert!(!selector.matches(&labels(json!({"x": "foo", "y": "1", "z": ""}))));
}
