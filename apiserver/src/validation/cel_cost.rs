//! The cost of CEL rules, in the units kube-apiserver budgets them in (about one unit per
//! comparison, variable read or loop step; traversing a string costs a tenth of a unit per byte).
//!
//! The `cel` interpreter has no runtime budget (cel-rust#56), so the same estimate runs twice:
//! when a CRD is written, with the largest sizes its schema allows (`maxItems`, `maxLength`,
//! `maxProperties`, enums; without them, as much as a 3 MiB request can hold), against
//! kube-apiserver's limits per rule and per CRD; and before each evaluation, with the sizes of
//! the object at hand, against the per-call and per-object budgets. The runtime figure is an
//! upper bound of what the evaluation can do, so an evaluation it allows cannot run away.
//!
//! Where kube's model and this interpreter differ, the interpreter wins: `map` and `filter`
//! append to their result by copying it, so each step costs the size of the list built so far.

use serde_json::Value;

use kube_cel::cel::Program;
use kube_cel::cel::common::ast::{EntryExpr, Expr, IdedExpr, LiteralValue};

use super::schema::{Additional, Kind, Node};

/// kube-apiserver's limit on one rule's estimated cost times the times it can run per object.
pub(super) const PER_EXPRESSION_LIMIT: u64 = 10_000_000;
/// kube-apiserver's limit on the estimated cost of all rules of one schema.
pub(super) const PER_CRD_LIMIT: u64 = 100_000_000;
/// kube-apiserver's limit on one evaluation at run time.
pub(super) const PER_CALL_LIMIT: u64 = 1_000_000;
/// kube-apiserver's budget for all evaluations on one object.
pub(super) const PER_OBJECT_BUDGET: u64 = 10_000_000;

/// kube-apiserver's largest request: what sizes are estimated from when a schema sets no bound.
const MAX_REQUEST_BYTES: u64 = 3 * 1024 * 1024;
/// Cost of traversing one byte of a string.
const TRAVERSAL: f64 = 0.1;
/// Cost factor of a regular expression's length.
const REGEX_FACTOR: f64 = 0.25;
/// Cost of building a list or a map literal.
const LIST_LITERAL: f64 = 10.0;
const MAP_LITERAL: f64 = 30.0;

/// What is known of a value: how large it can be, and of what its parts are made.
#[derive(Clone, Debug)]
enum Shape<'a> {
    /// Any value the schema node allows.
    Schema(&'a Node),
    /// One of these values (at run time), typed by the node when there is one.
    Values(Vec<&'a Value>, Option<&'a Node>),
    /// A string of at most this many bytes.
    Str(u64),
    /// A list of at most this many elements.
    List(u64, Box<Shape<'a>>),
    /// A value of size one: a number, a boolean, a type.
    Scalar,
    /// Anything at all.
    Unknown,
}

/// The estimated cost of one evaluation of `program` with `self` (and `oldSelf`) any value
/// `node` allows.
pub(super) fn static_cost(program: &Program, node: &Node) -> u64 {
    let shape = Shape::Schema(node);
    let mut scope = vec![("self", shape.clone()), ("oldSelf", shape)];
    saturate(estimate(program.expression(), &mut scope).cost)
}

/// The estimated cost of one evaluation of `program` on `value` (and `old`) typed by `node`.
pub(super) fn runtime_cost(
    program: &Program,
    node: &Node,
    value: &Value,
    old: Option<&Value>,
) -> u64 {
    let shape = Shape::Values(vec![value], Some(node));
    let old = old.map_or(Shape::Scalar, |o| Shape::Values(vec![o], Some(node)));
    let mut scope = vec![("self", shape), ("oldSelf", old)];
    saturate(estimate(program.expression(), &mut scope).cost)
}

/// How many values of `node`'s list (or map) a value can hold, for multiplying the cost of rules
/// below it.
pub(super) fn max_elements(node: &Node) -> u64 {
    Shape::Schema(node).size()
}

fn saturate(cost: f64) -> u64 {
    if cost >= u64::MAX as f64 {
        u64::MAX
    } else {
        cost.ceil() as u64
    }
}

struct Estimate<'a> {
    cost: f64,
    shape: Shape<'a>,
}

impl<'a> Estimate<'a> {
    fn new(cost: f64, shape: Shape<'a>) -> Self {
        Self { cost, shape }
    }
}

type Scope<'e, 'a> = Vec<(&'e str, Shape<'a>)>;

fn estimate<'e, 'a>(expr: &'e IdedExpr, scope: &mut Scope<'e, 'a>) -> Estimate<'a> {
    match &expr.expr {
        Expr::Literal(LiteralValue::String(s)) => Estimate::new(0.0, Shape::Str(len(s.inner()))),
        Expr::Literal(LiteralValue::Bytes(b)) => Estimate::new(0.0, Shape::Str(b.len() as u64)),
        Expr::Literal(_) | Expr::Unspecified => Estimate::new(0.0, Shape::Scalar),
        Expr::Ident(name) => {
            let shape = scope
                .iter()
                .rev()
                .find(|(bound, _)| *bound == name.as_str())
                .map_or(Shape::Scalar, |(_, shape)| shape.clone());
            Estimate::new(1.0, shape)
        }
        Expr::Select(select) => {
            let operand = estimate(&select.operand, scope);
            let shape = if select.test {
                Shape::Scalar
            } else {
                operand.shape.field(&select.field)
            };
            Estimate::new(operand.cost + 1.0, shape)
        }
        Expr::List(list) => {
            let elements: Vec<_> = list.elements.iter().map(|e| estimate(e, scope)).collect();
            let cost = LIST_LITERAL + elements.iter().map(|e| e.cost).sum::<f64>();
            let element = largest(elements.into_iter().map(|e| e.shape));
            Estimate::new(
                cost,
                Shape::List(list.elements.len() as u64, Box::new(element)),
            )
        }
        Expr::Map(map) => entries(&map.entries, scope),
        Expr::Struct(s) => entries(&s.entries, scope),
        Expr::Call(call) => {
            let target = call.target.as_deref().map(|t| estimate(t, scope));
            let args: Vec<_> = call.args.iter().map(|a| estimate(a, scope)).collect();
            let literal = call.args.first().and_then(|a| match &a.expr {
                Expr::Literal(LiteralValue::String(s)) => Some(len(s.inner())),
                _ => None,
            });
            self::call(&call.func_name, target, args, literal)
        }
        Expr::Comprehension(c) => comprehension(c, scope),
    }
}

fn entries<'e, 'a>(
    entries: &'e [kube_cel::cel::common::ast::IdedEntryExpr],
    scope: &mut Scope<'e, 'a>,
) -> Estimate<'a> {
    let mut cost = MAP_LITERAL;
    for entry in entries {
        cost += match &entry.expr {
            EntryExpr::MapEntry(e) => estimate(&e.key, scope).cost + estimate(&e.value, scope).cost,
            EntryExpr::StructField(f) => estimate(&f.value, scope).cost,
        };
    }
    Estimate::new(
        cost,
        Shape::List(entries.len() as u64, Box::new(Shape::Unknown)),
    )
}

fn comprehension<'e, 'a>(
    c: &'e kube_cel::cel::common::ast::ComprehensionExpr,
    scope: &mut Scope<'e, 'a>,
) -> Estimate<'a> {
    let range = estimate(&c.iter_range, scope);
    let steps = range.shape.size() as f64;
    let depth = scope.len();
    match &c.iter_var2 {
        // Two variables: index and element of a list, or key and value of a map.
        Some(second) => {
            let first = if range.shape.is_map() {
                range.shape.iterated()
            } else {
                Shape::Scalar
            };
            scope.push((c.iter_var.as_str(), first));
            scope.push((second.as_str(), range.shape.indexed()));
        }
        None => scope.push((c.iter_var.as_str(), range.shape.iterated())),
    }
    let init = estimate(&c.accu_init, scope);
    // `map` and `filter` build a list by appending one element per step.
    let accumulated = match appended(&c.loop_step, &c.accu_var) {
        Some(element) => {
            let element = estimate(element, scope).shape;
            Shape::List(range.shape.size(), Box::new(element))
        }
        None => init.shape,
    };
    scope.push((c.accu_var.as_str(), accumulated));
    let per_step = estimate(&c.loop_cond, scope).cost + estimate(&c.loop_step, scope).cost;
    let result = estimate(&c.result, scope);
    scope.truncate(depth);
    let cost = range.cost + init.cost + steps * per_step + result.cost;
    Estimate::new(cost, result.shape)
}

/// The element a step appends to the accumulator (`accu + [element]`), if it does.
fn appended<'e>(step: &'e IdedExpr, accumulator: &str) -> Option<&'e IdedExpr> {
    let Expr::Call(call) = &step.expr else {
        return None;
    };
    if call.func_name == "_+_"
        && let [first, second] = call.args.as_slice()
        && matches!(&first.expr, Expr::Ident(name) if name == accumulator)
        && let Expr::List(list) = &second.expr
        && let [element] = list.elements.as_slice()
    {
        return Some(element);
    }
    call.args.iter().find_map(|a| appended(a, accumulator))
}

/// Functions whose result is a string as long as their inputs together.
const STRING_RESULTS: &[&str] = &[
    "lowerAscii",
    "upperAscii",
    "replace",
    "trim",
    "substring",
    "join",
    "format",
    "string",
    "reverse",
    "quote",
    "charAt",
];
/// Functions whose result is a list of strings.
const LIST_RESULTS: &[&str] = &["split", "findAll"];

fn call<'a>(
    function: &str,
    target: Option<Estimate<'a>>,
    args: Vec<Estimate<'a>>,
    literal: Option<u64>,
) -> Estimate<'a> {
    let inputs: Vec<Estimate<'a>> = target.into_iter().chain(args).collect();
    let base = 1.0 + inputs.iter().map(|e| e.cost).sum::<f64>();
    let shapes: Vec<&Shape<'a>> = inputs.iter().map(|e| &e.shape).collect();
    let weight = |i: usize| shapes.get(i).map_or(0.0, |s| s.weight() as f64);
    let size = |i: usize| shapes.get(i).map_or(0, |s| s.size());
    match function {
        "_&&_" | "_||_" | "!_" | "@not_strictly_false" | "size" | "has" => {
            Estimate::new(base, Shape::Scalar)
        }
        "_?_:_" => {
            let shape = largest(inputs.into_iter().skip(1).map(|e| e.shape));
            Estimate::new(base, shape)
        }
        "_==_" | "_!=_" | "_<_" | "_<=_" | "_>_" | "_>=_" => {
            Estimate::new(base + TRAVERSAL * weight(0).min(weight(1)), Shape::Scalar)
        }
        "_+_" if shapes.iter().any(|s| s.is_list()) => {
            let element = shapes[0].iterated();
            let total = size(0) + size(1);
            Estimate::new(base + total as f64, Shape::List(total, Box::new(element)))
        }
        "_+_" if shapes.iter().any(|s| s.is_string()) => {
            let total = size(0) + size(1);
            Estimate::new(base + TRAVERSAL * total as f64, Shape::Str(total))
        }
        "_[_]" | "_[?_]" => Estimate::new(base, shapes[0].indexed()),
        "@in" => {
            let per_element = 1.0 + TRAVERSAL * weight(0);
            let collection = if shapes[1].is_map() { 1 } else { size(1) };
            Estimate::new(base + collection as f64 * per_element, Shape::Scalar)
        }
        // Only the prefix or suffix is compared.
        "startsWith" | "endsWith" => Estimate::new(base + TRAVERSAL * weight(1), Shape::Scalar),
        "matches" => {
            let regex = literal.map_or_else(|| weight(1), |l| l as f64);
            let cost = TRAVERSAL * weight(0) * (REGEX_FACTOR * regex).max(1.0);
            Estimate::new(base + cost, Shape::Scalar)
        }
        _ => {
            // Library functions traverse their inputs once; set operations compare every pair.
            let total: f64 = (0..shapes.len()).map(weight).sum();
            let mut cost = base + TRAVERSAL * total;
            if function.starts_with("sets.") {
                cost += size(0) as f64 * size(1) as f64;
            }
            let length = total.min(MAX_REQUEST_BYTES as f64) as u64;
            let shape = if STRING_RESULTS.contains(&function) {
                Shape::Str(length)
            } else if LIST_RESULTS.contains(&function) {
                Shape::List(length, Box::new(Shape::Str(length)))
            } else {
                Shape::Scalar
            };
            Estimate::new(cost, shape)
        }
    }
}

/// The shape of the largest of several.
fn largest<'a>(shapes: impl Iterator<Item = Shape<'a>>) -> Shape<'a> {
    shapes.max_by_key(Shape::weight).unwrap_or(Shape::Unknown)
}

fn len(s: &str) -> u64 {
    s.len() as u64
}

// === impl Shape ===

impl<'a> Shape<'a> {
    /// How many elements (lists, maps), bytes (strings) or properties (objects) it can have.
    fn size(&self) -> u64 {
        match self {
            Self::Schema(node) => schema_size(node),
            Self::Values(values, _) => values.iter().map(|v| value_size(v)).max().unwrap_or(0),
            Self::Str(n) | Self::List(n, _) => *n,
            Self::Scalar => 1,
            Self::Unknown => MAX_REQUEST_BYTES,
        }
    }

    /// How much there is to traverse in it, nested values included; at most what a request can
    /// hold.
    fn weight(&self) -> u64 {
        let weight = match self {
            Self::Schema(node) => schema_weight(node),
            Self::Values(values, _) => values.iter().map(|v| value_weight(v)).max().unwrap_or(0),
            Self::Str(n) => *n,
            Self::List(n, element) => n.saturating_mul(element.weight().max(1)),
            Self::Scalar => 1,
            Self::Unknown => MAX_REQUEST_BYTES,
        };
        weight.min(MAX_REQUEST_BYTES)
    }

    fn is_list(&self) -> bool {
        match self {
            Self::Schema(node) => node.kind == Some(Kind::Array),
            Self::Values(values, _) => values.iter().any(|v| v.is_array()),
            Self::List(..) => true,
            _ => false,
        }
    }

    fn is_string(&self) -> bool {
        match self {
            Self::Schema(node) => node.kind == Some(Kind::String),
            Self::Values(values, _) => values.iter().any(|v| v.is_string()),
            Self::Str(_) => true,
            _ => false,
        }
    }

    fn is_map(&self) -> bool {
        match self {
            Self::Schema(node) => node.kind == Some(Kind::Object),
            Self::Values(values, _) => values.iter().any(|v| v.is_object()),
            _ => false,
        }
    }

    /// A property of it.
    fn field(&self, name: &str) -> Shape<'a> {
        match self {
            Self::Schema(node) => match child_node(node, name) {
                Some(child) => Self::Schema(child),
                None => Self::Unknown,
            },
            Self::Values(values, node) => {
                let children = values.iter().filter_map(|v| v.get(name)).collect();
                Self::Values(children, node.and_then(|n| child_node(n, name)))
            }
            _ => Self::Unknown,
        }
    }

    /// What iterating over it yields: the elements of a list, the keys of a map.
    fn iterated(&self) -> Shape<'a> {
        match self {
            Self::Values(values, _) if values.iter().any(|v| v.is_object()) => {
                let longest = values
                    .iter()
                    .filter_map(|v| v.as_object())
                    .flat_map(|m| m.keys().map(|k| len(k)))
                    .max()
                    .unwrap_or(0);
                Self::Str(longest)
            }
            Self::Schema(node) if node.kind == Some(Kind::Object) => Self::Str(MAX_REQUEST_BYTES),
            other => other.indexed(),
        }
    }

    /// What indexing it yields: an element of a list, a value of a map.
    fn indexed(&self) -> Shape<'a> {
        match self {
            Self::Schema(node) => match (&node.items, &node.additional) {
                (Some(items), _) => Self::Schema(items),
                (None, Additional::Schema(value)) => Self::Schema(value),
                _ => Self::Unknown,
            },
            Self::Values(values, node) => {
                let elements = values
                    .iter()
                    .flat_map(|v| match v {
                        Value::Array(items) => items.iter().collect::<Vec<_>>(),
                        Value::Object(map) => map.values().collect(),
                        _ => Vec::new(),
                    })
                    .collect();
                let element_node = node.and_then(|n| match (&n.items, &n.additional) {
                    (Some(items), _) => Some(items.as_ref()),
                    (None, Additional::Schema(value)) => Some(value.as_ref()),
                    _ => None,
                });
                Self::Values(elements, element_node)
            }
            Self::List(_, element) => (**element).clone(),
            _ => Self::Unknown,
        }
    }
}

fn child_node<'a>(node: &'a Node, name: &str) -> Option<&'a Node> {
    node.properties.get(name).or(match &node.additional {
        Additional::Schema(value) => Some(value),
        _ => None,
    })
}

/// The largest size a schema allows, or what a request could hold without a bound.
fn schema_size(node: &Node) -> u64 {
    let checks = &node.checks;
    match node.kind {
        Some(Kind::Array) => checks.max_items.unwrap_or_else(|| {
            let element = node.items.as_deref().map_or(1, min_size);
            (MAX_REQUEST_BYTES - 2) / (element + 1)
        }),
        Some(Kind::String) => string_size(node),
        Some(Kind::Object) if node.properties.is_empty() => {
            checks.max_properties.unwrap_or_else(|| {
                let value = match &node.additional {
                    Additional::Schema(value) => min_size(value),
                    _ => 1,
                };
                // `"":` before each value and a comma after it.
                (MAX_REQUEST_BYTES - 2) / (value + 4)
            })
        }
        Some(Kind::Object) => node.properties.len() as u64,
        None if node.int_or_string => string_size(node),
        None => MAX_REQUEST_BYTES,
        _ => 1,
    }
}

fn string_size(node: &Node) -> u64 {
    if let Some(values) = &node.checks.enumeration {
        return values
            .iter()
            .filter_map(|v| v.as_str().map(len))
            .max()
            .unwrap_or(0);
    }
    node.checks.max_length.unwrap_or(MAX_REQUEST_BYTES - 2)
}

/// The fewest bytes a value of the node takes in a JSON request.
fn min_size(node: &Node) -> u64 {
    match node.kind {
        Some(Kind::String) => 2,
        Some(Kind::Boolean) => 4,
        Some(Kind::Array | Kind::Object) => 2,
        _ => 1,
    }
}

/// How much there is to traverse in any value the schema allows.
fn schema_weight(node: &Node) -> u64 {
    let size = schema_size(node);
    match node.kind {
        Some(Kind::Array) => {
            let element = node.items.as_deref().map_or(1, schema_weight);
            size.saturating_mul(element.max(1))
        }
        Some(Kind::Object) => {
            let properties: u64 = node
                .properties
                .values()
                .map(schema_weight)
                .fold(0, u64::saturating_add);
            let additional = match &node.additional {
                Additional::Schema(value) if node.properties.is_empty() => {
                    size.saturating_mul(schema_weight(value).max(1))
                }
                Additional::Any => MAX_REQUEST_BYTES,
                _ => 0,
            };
            properties.saturating_add(additional).max(1)
        }
        _ => size,
    }
    .min(MAX_REQUEST_BYTES)
}

fn value_size(value: &Value) -> u64 {
    match value {
        Value::Array(items) => items.len() as u64,
        Value::Object(map) => map.len() as u64,
        Value::String(s) => len(s),
        _ => 1,
    }
}

fn value_weight(value: &Value) -> u64 {
    match value {
        Value::Array(items) => items.iter().map(value_weight).sum::<u64>().max(1),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| len(k) + value_weight(v))
            .sum::<u64>()
            .max(1),
        Value::String(s) => len(s),
        _ => 1,
    }
}
