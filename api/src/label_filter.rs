//! Label filters of `applications(filter:)` and `runtimes(filter:)`, with the original's
//! semantics: a key alone matches objects carrying the key; a key with a query matches when the
//! value JSON-contains the query's JSON; for `scenarios`, the query is the restricted JSON path
//! `$[*] ? (@ == "A" || @ == "B")` and matches objects in any of those scenarios. Filters combine
//! with AND.

use std::sync::LazyLock;

use async_graphql::InputObject;
use regex::Regex;
use serde_json::Value;

use crate::errors::{ApiResult, invalid};

/// A label filter as clients send it.
#[derive(Clone, Debug, InputObject)]
pub struct LabelFilter {
    /// Label key. Without a query, every object carrying the key matches, whatever its value.
    pub key: String,
    /// JSON the value must contain, or for `scenarios` a JSON path such as
    /// `$[*] ? (@ == "A" || @ == "B")`. Without a query, every object carrying the key matches.
    pub query: Option<String>,
}

/// A filter, checked and compiled.
#[derive(Clone, Debug, PartialEq)]
pub enum Compiled {
    /// The key is present.
    Exists(String),
    /// The value at the key JSON-contains this.
    Contains(String, Value),
    /// The object is in at least one of these scenarios.
    ScenariosAnyOf(Vec<String>),
}

static SCENARIO_QUERY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"^\$\[\*\]\s*\?\s*\(\s*@\s*==\s*"[^"]*"\s*(\|\|\s*@\s*==\s*"[^"]*"\s*)*\)$"#)
        .expect("a valid regex")
});
static SCENARIO_VALUE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""([^"]*)""#).expect("a valid regex"));
static ALLOWED_VALUE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z0-9\-_\s]+$").expect("a valid regex"));

/// Checks and compiles filters; a malformed query is an error naming it.
pub fn compile(filters: &[LabelFilter]) -> ApiResult<Vec<Compiled>> {
    filters.iter().map(compile_one).collect()
}

fn compile_one(filter: &LabelFilter) -> ApiResult<Compiled> {
    if filter.key.is_empty() {
        return Err(invalid("filter.key", "cannot be empty"));
    }
    let Some(query) = filter.query.as_deref().filter(|q| !q.is_empty()) else {
        return Ok(Compiled::Exists(filter.key.clone()));
    };
    if filter.key.eq_ignore_ascii_case("scenarios") {
        if !SCENARIO_QUERY.is_match(query) {
            return Err(invalid(
                "filter.query",
                format!(
                    r#"{query} is not supported for scenarios; use $[*] ? (@ == "A" || @ == "B")"#
                ),
            ));
        }
        let values: Vec<String> = SCENARIO_VALUE
            .captures_iter(query)
            .map(|c| c[1].to_owned())
            .collect();
        if let Some(bad) = values.iter().find(|v| !ALLOWED_VALUE.is_match(v)) {
            return Err(invalid(
                "filter.query",
                format!("scenario {bad:?} has characters a scenario name cannot have"),
            ));
        }
        return Ok(Compiled::ScenariosAnyOf(values));
    }
    let value: Value = serde_json::from_str(query)
        .map_err(|e| invalid("filter.query", format!("{query} is not valid JSON: {e}")))?;
    Ok(Compiled::Contains(filter.key.clone(), value))
}

/// Whether an object's labels (scenarios included under `scenarios`) pass every filter.
pub fn matches(filters: &[Compiled], label: impl Fn(&str) -> Option<Value>) -> bool {
    filters.iter().all(|filter| match filter {
        Compiled::Exists(key) => label(key).is_some(),
        Compiled::Contains(key, wanted) => label(key).is_some_and(|value| contains(&value, wanted)),
        Compiled::ScenariosAnyOf(names) => label("scenarios")
            .and_then(|v| v.as_array().cloned())
            .is_some_and(|scenarios| {
                scenarios
                    .iter()
                    .any(|s| s.as_str().is_some_and(|s| names.iter().any(|n| n == s)))
            }),
    })
}

/// JSON containment as PostgreSQL's `@>` defines it: objects contain objects whose keys they have
/// with contained values; arrays contain arrays whose every element they contain (and a bare
/// scalar they hold); scalars contain equal scalars.
pub fn contains(haystack: &Value, needle: &Value) -> bool {
    match (haystack, needle) {
        (Value::Object(have), Value::Object(want)) => want
            .iter()
            .all(|(k, v)| have.get(k).is_some_and(|h| contains(h, v))),
        (Value::Array(have), Value::Array(want)) => {
            want.iter().all(|w| have.iter().any(|h| contains(h, w)))
        }
        (Value::Array(have), scalar) if !scalar.is_object() => have.iter().any(|h| h == scalar),
        (a, b) => a == b,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn filter(key: &str, query: Option<&str>) -> LabelFilter {
        LabelFilter {
            key: key.into(),
            query: query.map(Into::into),
        }
    }

    #[test]
    fn containment_follows_postgres() {
        assert!(contains(&json!({"a": 1, "b": 2}), &json!({"a": 1})));
        assert!(!contains(&json!({"a": 1}), &json!({"a": 2})));
        assert!(contains(&json!(["x", "y"]), &json!(["y"])));
        assert!(contains(&json!(["x", "y"]), &json!("x")));
        assert!(contains(&json!("val"), &json!("val")));
        assert!(contains(&json!({"a": [1, 2, 3]}), &json!({"a": [3, 1]})));
        assert!(!contains(&json!("x"), &json!(["x"])));
    }

    #[test]
    fn scenario_queries_are_any_of_and_other_shapes_are_refused() {
        let compiled = compile(&[filter(
            "scenarios",
            Some(r#"$[*] ? (@ == "DEFAULT" || @ == "Sales EMEA")"#),
        )])
        .unwrap();
        assert_eq!(
            compiled,
            vec![Compiled::ScenariosAnyOf(vec![
                "DEFAULT".into(),
                "Sales EMEA".into()
            ])]
        );
        let labels =
            |scenarios: Value| move |key: &str| (key == "scenarios").then(|| scenarios.clone());
        assert!(matches(
            &compiled,
            labels(json!(["marketing", "Sales EMEA"]))
        ));
        assert!(!matches(&compiled, labels(json!(["marketing"]))));
        assert!(compile(&[filter("scenarios", Some(r#"$.a"#))]).is_err());
        assert!(compile(&[filter("scenarios", Some(r#"$[*] ? (@ == "a/b")"#))]).is_err());
    }

    #[test]
    fn filters_combine_with_and() {
        let compiled = compile(&[filter("region", Some(r#""eu""#)), filter("tier", None)]).unwrap();
        let both = |key: &str| match key {
            "region" => Some(json!("eu")),
            "tier" => Some(json!(1)),
            _ => None,
        };
        let one = |key: &str| (key == "region").then(|| json!("eu"));
        assert!(matches(&compiled, both));
        assert!(!matches(&compiled, one));
        assert!(compile(&[filter("region", Some("not json"))]).is_err());
    }
}
