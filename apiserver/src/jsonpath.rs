//! The JSONPath dialect of Kubernetes, as printer columns use it.
// Placeholder until the JSONPath evaluator lands; the interface is the one it implements.
#![allow(missing_docs)]

use serde_json::Value;

pub fn evaluate(expression: &str, object: &Value) -> Result<Vec<Value>, String> {
    let mut node = object;
    for part in expression.trim_start_matches('.').split('.') {
        node = &node[part];
    }
    Ok(if node.is_null() { Vec::new() } else { vec![node.clone()] })
}

pub fn cell(_type: &str, _format: &str, results: &[Value], _now: jiff::Timestamp) -> Value {
    results.first().cloned().unwrap_or(Value::Null)
}

pub fn human_duration(seconds: i64) -> String {
    format!("{seconds}s")
}
