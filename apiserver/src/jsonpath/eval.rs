//! Evaluation of parsed JSONPath actions over a JSON document, following client-go's
//! `util/jsonpath` with missing keys allowed (as printer columns and `kubectl -o jsonpath` use
//! it): a missing field yields nothing, not an error.

use std::borrow::Cow;
use std::cmp::Ordering;

use serde_json::{Number, Value};

use super::parser::{Node, Param};

/// A value met during evaluation: part of the document, or a literal from the expression.
type Item<'a> = Cow<'a, Value>;

/// Evaluates one action (the nodes of a `{...}`) against `root`.
pub(super) fn eval_action<'a>(root: &'a Value, nodes: &[Node]) -> Result<Vec<Item<'a>>, String> {
    eval_list(vec![Cow::Borrowed(root)], nodes)
}

fn eval_list<'a>(mut current: Vec<Item<'a>>, nodes: &[Node]) -> Result<Vec<Item<'a>>, String> {
    for node in nodes {
        current = eval_node(current, node)?;
    }
    Ok(current)
}

/// The members or elements of a container, borrowed when the container is.
fn children<'a>(item: &Item<'a>) -> Vec<Item<'a>> {
    match item {
        Cow::Borrowed(value) => match value {
            Value::Object(map) => map.values().map(Cow::Borrowed).collect(),
            Value::Array(items) => items.iter().map(Cow::Borrowed).collect(),
            _ => Vec::new(),
        },
        Cow::Owned(value) => match value {
            Value::Object(map) => map.values().cloned().map(Cow::Owned).collect(),
            Value::Array(items) => items.iter().cloned().map(Cow::Owned).collect(),
            _ => Vec::new(),
        },
    }
}

/// How Go names the type of a decoded JSON value, for error messages.
fn go_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float64",
        Value::Number(_) => "int64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

fn eval_node<'a>(input: Vec<Item<'a>>, node: &Node) -> Result<Vec<Item<'a>>, String> {
    let literal = |value: Value| Ok(vec![Cow::Owned(value)]);
    match node {
        Node::Text(text) => literal(Value::String(text.clone())),
        Node::Int(int) => literal(Value::from(*int)),
        Node::Float(float) => literal(Number::from_f64(*float).map_or(Value::Null, Value::Number)),
        Node::Bool(boolean) => literal(Value::Bool(*boolean)),
        Node::Identifier(word) => Err(format!("unrecognized identifier {word}")),
        Node::Field(name) if name.is_empty() => Ok(input),
        Node::Field(name) => Ok(input
            .iter()
            .filter_map(|item| match item {
                Cow::Borrowed(value) => value.get(name).map(Cow::Borrowed),
                Cow::Owned(value) => value.get(name).cloned().map(Cow::Owned),
            })
            .collect()),
        Node::Wildcard => Ok(input.iter().flat_map(children).collect()),
        Node::Union(alternatives) => {
            let mut results = Vec::new();
            for alternative in alternatives {
                results.extend(eval_list(input.clone(), alternative)?);
            }
            Ok(results)
        }
        Node::Recursive => {
            let mut results = Vec::new();
            for item in input {
                descend(item, &mut results);
            }
            Ok(results)
        }
        Node::Slice(params) => {
            let mut results = Vec::new();
            for item in &input {
                results.extend(slice(item, *params)?);
            }
            Ok(results)
        }
        Node::Filter {
            left,
            operator,
            right,
        } => {
            let mut results = Vec::new();
            for item in &input {
                results.extend(filter(item, left, operator, right)?);
            }
            Ok(results)
        }
    }
}

/// `..`: the value itself and every non-empty container below it, depth first.
fn descend<'a>(item: Item<'a>, results: &mut Vec<Item<'a>>) {
    let below = children(&item);
    if below.is_empty() {
        return;
    }
    results.push(item);
    for child in below {
        descend(child, results);
    }
}

/// `[start:end:step]` with client-go's bounds rules: negative indices count from the end, an
/// index out of range is an error, and an empty range is fine.
fn slice<'a>(item: &Item<'a>, params: [Param; 3]) -> Result<Vec<Item<'a>>, String> {
    let len = match item.as_ref() {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => i64::try_from(items.len()).unwrap_or(i64::MAX),
        other => return Err(format!("{} is not array or slice", go_type(other))),
    };
    let [first, last, step] = params;
    let mut start = if first.known { first.value } else { 0 };
    if start < 0 {
        start += len;
    }
    let mut end = if last.known { last.value } else { len };
    if end < 0 || (end == 0 && last.derived) {
        end += len;
    }
    if start == end {
        return Ok(Vec::new());
    }
    if start < 0 || start >= len {
        return Err(format!(
            "array index out of bounds: index {start}, length {len}"
        ));
    }
    if end < 0 || end > len {
        return Err(format!(
            "array index out of bounds: index {}, length {len}",
            end - 1
        ));
    }
    if start > end {
        return Err(format!(
            "starting index {start} is greater than ending index {end}"
        ));
    }
    let step = if step.known { step.value } else { 1 };
    if step <= 0 {
        return Err("step must be > 0".to_owned());
    }
    let elements = children(item);
    let (start, end, step) = (to_index(start), to_index(end), to_index(step));
    Ok(elements
        .into_iter()
        .take(end)
        .skip(start)
        .step_by(step)
        .collect())
}

fn to_index(value: i64) -> usize {
    usize::try_from(value).unwrap_or(0)
}

/// `[?(...)]`: the elements of an array for which the condition holds.
fn filter<'a>(
    item: &Item<'a>,
    left: &[Node],
    operator: &str,
    right: &[Node],
) -> Result<Vec<Item<'a>>, String> {
    match item.as_ref() {
        Value::Null => return Ok(Vec::new()),
        Value::Array(_) => {}
        other => {
            return Err(format!(
                "{} is not array or slice and cannot be filtered",
                go_type(other)
            ));
        }
    }
    let mut results = Vec::new();
    for element in children(item) {
        let lefts = eval_list(vec![element.clone()], left);
        if operator == "exists" {
            if lefts.is_ok_and(|l| !l.is_empty()) {
                results.push(element);
            }
            continue;
        }
        let Some(lhs) = single(lefts?)? else { continue };
        let Some(rhs) = single(eval_list(vec![element.clone()], right)?)? else {
            continue;
        };
        if compare(operator, &lhs, &rhs)? {
            results.push(element);
        }
    }
    Ok(results)
}

/// The one value a side of a comparison yields; `None` when it yields nothing.
fn single(mut values: Vec<Item<'_>>) -> Result<Option<Value>, String> {
    match values.len() {
        0 => Ok(None),
        1 => Ok(values.pop().map(Cow::into_owned)),
        _ => Err("can only compare one element at a time".to_owned()),
    }
}

/// A filter comparison, as Go's template `eq`/`lt`... compare basic values. Unlike Go, an
/// integer compares with a float by value instead of failing.
fn compare(operator: &str, left: &Value, right: &Value) -> Result<bool, String> {
    let ordering = match (left, right) {
        (Value::Number(a), Value::Number(b)) => match (a.as_i64(), b.as_i64()) {
            (Some(a), Some(b)) => Some(a.cmp(&b)),
            _ => a
                .as_f64()
                .zip(b.as_f64())
                .and_then(|(a, b)| a.partial_cmp(&b)),
        },
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        (Value::Bool(a), Value::Bool(b)) => {
            // Booleans are equal or not; they have no order.
            return match operator {
                "==" => Ok(a == b),
                "!=" => Ok(a != b),
                "<" | ">" | "<=" | ">=" => Err("invalid type for comparison".to_owned()),
                _ => Err(format!("unrecognized filter operator {operator}")),
            };
        }
        (Value::Null | Value::Array(_) | Value::Object(_), _)
        | (_, Value::Null | Value::Array(_) | Value::Object(_)) => {
            return Err("invalid type for comparison".to_owned());
        }
        _ => return Err("incompatible types for comparison".to_owned()),
    };
    let Some(ordering) = ordering else {
        return Ok(false);
    };
    match operator {
        "==" => Ok(ordering == Ordering::Equal),
        "!=" => Ok(ordering != Ordering::Equal),
        "<" => Ok(ordering == Ordering::Less),
        ">" => Ok(ordering == Ordering::Greater),
        "<=" => Ok(ordering != Ordering::Greater),
        ">=" => Ok(ordering != Ordering::Less),
        _ => Err(format!("unrecognized filter operator {operator}")),
    }
}
