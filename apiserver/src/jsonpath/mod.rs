//! The JSONPath dialect of Kubernetes (client-go `util/jsonpath`), as CRD
//! `additionalPrinterColumns` use it, and the cells kube-apiserver builds from it for
//! `kubectl get` tables.
//!
//! Supported: `.field` (with `\.` escapes), `['key']`, `[n]`, `[-n]`, `[start:end:step]`,
//! `[*]`, `.*`, `[a,b]` unions, `..` recursive descent, filters `[?(@.a == "x")]` with `==`,
//! `!=`, `<`, `>`, `<=`, `>=` against string, number and boolean literals or other paths, and
//! existence filters `[?(@.a.b)]`. The surrounding `{...}` is optional; text outside braces is
//! literal. Missing fields yield no result rather than an error, as for printer columns.
//! `range`/`end` templates parse but do not evaluate.

mod cell;
mod eval;
mod parser;

use serde_json::Value;

pub use cell::{cell, human_duration};

use parser::Segment;

/// An expression that does not parse, or that fails on a document (an index out of range,
/// indexing a non-list, comparing values of different types).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum JsonPathError {
    /// The expression is not valid JSONPath; the message is client-go's.
    #[error("{0}")]
    Parse(String),
    /// The expression is valid but cannot be evaluated on this document.
    #[error("{0}")]
    Evaluate(String),
}

/// A parsed expression, to evaluate on many objects.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonPath {
    segments: Vec<Segment>,
}

impl JsonPath {
    /// Parses an expression with or without its `{...}`, such as `.spec.replicas` or
    /// `{.status.conditions[?(@.type=="Ready")].status}`.
    pub fn parse(expression: &str) -> Result<Self, JsonPathError> {
        // Printer columns are bare paths, which kube-apiserver wraps in braces itself.
        let template = if has_action(expression) {
            expression.to_owned()
        } else {
            format!("{{{expression}}}")
        };
        parser::parse_template(&template)
            .map(|segments| Self { segments })
            .map_err(JsonPathError::Parse)
    }

    /// The results of each segment of the template (client-go's `FindResults`): literal text
    /// yields itself, each `{...}` yields the values it selects.
    pub fn find_results(&self, object: &Value) -> Result<Vec<Vec<Value>>, JsonPathError> {
        self.segments
            .iter()
            .map(|segment| match segment {
                Segment::Text(text) => Ok(vec![Value::String(text.clone())]),
                Segment::Action(nodes) => eval::eval_action(object, nodes)
                    .map(|items| items.into_iter().map(|i| i.into_owned()).collect())
                    .map_err(JsonPathError::Evaluate),
            })
            .collect()
    }

    /// All results, in order.
    pub fn evaluate(&self, object: &Value) -> Result<Vec<Value>, JsonPathError> {
        Ok(self.find_results(object)?.into_iter().flatten().collect())
    }

    /// The value a printer column shows before typing: kube-apiserver takes the first result of
    /// the first segment, and an evaluation error shows as no value.
    #[cfg(test)]
    pub fn column_value(&self, object: &Value) -> Option<Value> {
        let mut results = self.find_results(object).ok()?.into_iter().next()?;
        (!results.is_empty()).then(|| results.swap_remove(0))
    }
}

/// Whether an expression is already a template: it has a `{` outside quoted strings.
fn has_action(expression: &str) -> bool {
    let mut quote = None;
    for c in expression.chars() {
        match (quote, c) {
            (None, '{') => return true,
            (None, '"' | '\'') => quote = Some(c),
            (Some(open), _) if c == open => quote = None,
            _ => {}
        }
    }
    false
}

/// Parses `expression` and evaluates it on `object`; see [`JsonPath::evaluate`].
pub fn evaluate(expression: &str, object: &Value) -> Result<Vec<Value>, JsonPathError> {
    JsonPath::parse(expression)?.evaluate(object)
}

#[cfg(test)]
mod tests;
