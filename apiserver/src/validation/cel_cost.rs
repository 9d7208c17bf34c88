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

use super::cel_shape::{Shape, len};
use super::schema::Node;

/// kube-apiserver's limit on one rule's estimated cost times the times it can run per object.
pub(super) const PER_EXPRESSION_LIMIT: u64 = 10_000_000;
/// kube-apiserver's limit on the estimated cost of all rules of one schema.
pub(super) const PER_CRD_LIMIT: u64 = 100_000_000;
/// kube-apiserver's limit on one evaluation at run time.
pub(super) const PER_CALL_LIMIT: u64 = 1_000_000;
/// kube-apiserver's budget for all evaluations on one object.
pub(super) const PER_OBJECT_BUDGET: u64 = 10_000_000;

use super::cel_shape::MAX_REQUEST_BYTES;
/// Cost of traversing one byte of a string.
const TRAVERSAL: f64 = 0.1;
/// Cost factor of a regular expression's length.
const REGEX_FACTOR: f64 = 0.25;
/// Cost of building a list or a map literal.
const LIST_LITERAL: f64 = 10.0;
const MAP_LITERAL: f64 = 30.0;

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
