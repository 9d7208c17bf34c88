//! CEL rules (`x-kubernetes-validations`) at compile time: each rule checked the way
//! kube-apiserver checks it when a CRD is written, parsed once with the `cel` crate that kube-cel
//! builds on, and kept with its message, reason and resolved `fieldPath`.

use kube_cel::cel::Program;
use kube_cel::cel::common::ast::{EntryExpr, Expr, IdedExpr};
use serde_json::Value;

use super::child;
use super::field_path::{Segment, compile_field_path};
use super::schema::Place;
use crate::errors::FieldError;

/// The `reason` of a rule: which kind of field error a failure becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Reason {
    Invalid,
    Forbidden,
    Required,
    Duplicate,
}

const REASONS: [&str; 4] = [
    "FieldValueDuplicate",
    "FieldValueForbidden",
    "FieldValueInvalid",
    "FieldValueRequired",
];

/// A compiled rule.
#[derive(Debug)]
pub(super) struct CelRule {
    /// The rule, trimmed.
    pub rule: String,
    /// Where the rule is in the schema: `properties[spec].x-kubernetes-validations[0]`.
    pub path: String,
    /// The static message, trimmed; `None` when unset or blank.
    pub message: Option<String>,
    pub program: Program,
    pub message_program: Option<Program>,
    pub reason: Reason,
    pub field_path: Vec<Segment>,
    /// Whether the rule uses `oldSelf`.
    pub transition: bool,
    pub optional_old_self: bool,
}

impl CelRule {
    /// Where a failure of this rule is reported, for a node at `path`.
    pub(super) fn error_path(&self, path: &str) -> String {
        self.field_path
            .iter()
            .fold(path.to_owned(), |at, segment| match segment {
                Segment::Child(name) => child(&at, name),
                Segment::Key(key) => format!("{at}[{key}]"),
            })
    }

    /// kube-apiserver's `ruleErrorString`: the message, or else the rule.
    pub(super) fn error_string(&self) -> &str {
        self.message.as_deref().unwrap_or(&self.rule)
    }
}

/// Whether a text has line breaks, which kube-apiserver refuses in messages and paths.
pub(super) fn has_newlines(s: &str) -> bool {
    s.contains(['\n', '\r'])
}

/// Compiles the `x-kubernetes-validations` of one schema node, adding the errors kube-apiserver
/// reports for malformed or uncompilable rules to `errors`.
pub(super) fn compile_rules(
    schema: &Value,
    place: &Place,
    errors: &mut Vec<FieldError>,
) -> Vec<CelRule> {
    let Some(list) = schema.get("x-kubernetes-validations") else {
        return Vec::new();
    };
    let at = child(&place.path, "x-kubernetes-validations");
    let Some(list) = list.as_array() else {
        errors.push(FieldError::invalid(
            at,
            list.clone(),
            "must be a list of rules",
        ));
        return Vec::new();
    };
    list.iter()
        .enumerate()
        .filter_map(|(i, raw)| compile_rule(schema, raw, &format!("{at}[{i}]"), place, errors))
        .collect()
}

fn text<'a>(raw: &'a Value, key: &str) -> &'a str {
    raw.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The fields of one `x-kubernetes-validations` entry.
struct RawRule<'a> {
    rule: &'a str,
    message: &'a str,
    message_expression: &'a str,
    field_path: &'a str,
    reason: Option<&'a str>,
    optional_old_self: Option<bool>,
}

impl<'a> RawRule<'a> {
    fn read(raw: &'a Value) -> Self {
        Self {
            rule: text(raw, "rule"),
            message: text(raw, "message"),
            message_expression: text(raw, "messageExpression"),
            field_path: text(raw, "fieldPath"),
            reason: raw.get("reason").and_then(Value::as_str),
            optional_old_self: raw.get("optionalOldSelf").and_then(Value::as_bool),
        }
    }
}

fn compile_rule(
    schema: &Value,
    raw: &Value,
    at: &str,
    place: &Place,
    errors: &mut Vec<FieldError>,
) -> Option<CelRule> {
    if !raw.is_object() {
        errors.push(FieldError::invalid(at, raw.clone(), "must be an object"));
        return None;
    }
    let raw = RawRule::read(raw);
    let before = errors.len();
    check_texts(&raw, at, errors);
    let reason = parse_reason(raw.reason, at, errors);
    let field_path = compile_field_path(schema, raw.field_path, &child(at, "fieldPath"), errors);
    if errors.len() > before {
        return None;
    }
    let (program, transition) = compile_program(&raw, at, place, errors)?;
    let message_program = compile_message(raw.message_expression, at, errors);
    if errors.len() > before {
        return None;
    }
    Some(CelRule {
        rule: raw.rule.trim().to_owned(),
        path: at.to_owned(),
        message: Some(raw.message.trim().to_owned()).filter(|m| !m.is_empty()),
        program,
        message_program,
        reason,
        field_path: field_path.unwrap_or_default(),
        transition,
        optional_old_self: raw.optional_old_self == Some(true),
    })
}

/// The rule, message and messageExpression texts, checked as kube-apiserver checks them.
fn check_texts(raw: &RawRule<'_>, at: &str, errors: &mut Vec<FieldError>) {
    let (rule, message) = (raw.rule.trim(), raw.message);
    let message_at = child(at, "message");
    if rule.is_empty() {
        errors.push(FieldError::required(
            child(at, "rule"),
            "rule is not specified",
        ));
    } else if !message.is_empty() && message.trim().is_empty() {
        let detail = "message must be non-empty if specified";
        errors.push(FieldError::invalid(
            message_at,
            Value::from(message),
            detail,
        ));
    } else if has_newlines(message.trim()) {
        let detail = "message must not contain line breaks";
        errors.push(FieldError::invalid(
            message_at,
            Value::from(message),
            detail,
        ));
    } else if has_newlines(rule) && message.trim().is_empty() {
        let detail = "message must be specified if rule contains line breaks";
        errors.push(FieldError::required(message_at, detail));
    }
    if !raw.message_expression.is_empty() && raw.message_expression.trim().is_empty() {
        let detail = "messageExpression must be non-empty if specified";
        errors.push(FieldError::required(child(at, "messageExpression"), detail));
    }
}

fn parse_reason(reason: Option<&str>, at: &str, errors: &mut Vec<FieldError>) -> Reason {
    match reason {
        None | Some("FieldValueInvalid") => Reason::Invalid,
        Some("FieldValueForbidden") => Reason::Forbidden,
        Some("FieldValueRequired") => Reason::Required,
        Some("FieldValueDuplicate") => Reason::Duplicate,
        Some(other) => {
            let supported: Vec<Value> = REASONS.iter().map(|r| Value::from(*r)).collect();
            let value = Value::from(other);
            errors.push(FieldError::not_supported(
                child(at, "reason"),
                value,
                &supported,
            ));
            Reason::Invalid
        }
    }
}

/// Parses the rule, checks its identifiers and where it may use `oldSelf`; returns the program
/// and whether it is a transition rule.
fn compile_program(
    raw: &RawRule<'_>,
    at: &str,
    place: &Place,
    errors: &mut Vec<FieldError>,
) -> Option<(Program, bool)> {
    let rule_at = child(at, "rule");
    let invalid = |detail: String| FieldError::invalid(&rule_at, Value::from(raw.rule), detail);
    let program = match Program::compile(raw.rule.trim()) {
        Ok(program) => program,
        Err(e) => {
            errors.push(invalid(format!("compilation failed: {e}")));
            return None;
        }
    };
    if let Some(name) = undeclared_reference(program.expression()) {
        errors.push(invalid(format!(
            "compilation failed: ERROR: <input>: undeclared reference to '{name}' (in container '')"
        )));
        return None;
    }
    let transition = program.references().has_variable("oldSelf");
    if transition && let Some(within) = &place.uncorrelatable {
        errors.push(invalid(format!(
            "oldSelf cannot be used on the uncorrelatable portion of the schema within {within}"
        )));
    } else if !transition && let Some(flag) = raw.optional_old_self {
        let detail = "may not be set if oldSelf is not used in rule";
        errors.push(FieldError::invalid(
            child(at, "optionalOldSelf"),
            Value::from(flag),
            detail,
        ));
    }
    Some((program, transition))
}

fn compile_message(expression: &str, at: &str, errors: &mut Vec<FieldError>) -> Option<Program> {
    if expression.trim().is_empty() {
        return None;
    }
    match Program::compile(expression.trim()) {
        Ok(program) => Some(program),
        Err(e) => {
            let detail = format!("messageExpression compilation failed: {e}");
            let at = child(at, "messageExpression");
            errors.push(FieldError::invalid(at, Value::from(expression), detail));
            None
        }
    }
}

/// Identifiers a CRD rule may use besides comprehension variables: the rule's variables and CEL's
/// type names.
const DECLARED: [&str; 14] = [
    "self",
    "oldSelf",
    "int",
    "uint",
    "double",
    "bool",
    "string",
    "bytes",
    "list",
    "map",
    "null_type",
    "type",
    "dyn",
    "optional",
];

/// The first identifier that is neither declared nor bound by a macro, as the type checker of
/// kube-apiserver would report it. Call targets (`math.least(…)`) are namespaces, not variables.
fn undeclared_reference(expr: &IdedExpr) -> Option<String> {
    fn walk(expr: &IdedExpr, bound: &mut Vec<String>) -> Option<String> {
        match &expr.expr {
            Expr::Ident(name) => {
                (!DECLARED.contains(&name.as_str()) && !bound.contains(name)).then(|| name.clone())
            }
            Expr::Call(call) => {
                let target = call
                    .target
                    .as_deref()
                    .filter(|t| !matches!(t.expr, Expr::Ident(_)));
                target
                    .into_iter()
                    .chain(&call.args)
                    .find_map(|e| walk(e, bound))
            }
            Expr::Select(select) => walk(&select.operand, bound),
            Expr::Comprehension(c) => {
                let found = walk(&c.iter_range, bound);
                let depth = bound.len();
                bound.push(c.iter_var.clone());
                bound.extend(c.iter_var2.clone());
                bound.push(c.accu_var.clone());
                let found = found.or_else(|| {
                    [&c.accu_init, &c.loop_cond, &c.loop_step, &c.result]
                        .into_iter()
                        .find_map(|e| walk(e, bound))
                });
                bound.truncate(depth);
                found
            }
            Expr::List(list) => list.elements.iter().find_map(|e| walk(e, bound)),
            Expr::Map(map) => entries(&map.entries, bound),
            Expr::Struct(s) => entries(&s.entries, bound),
            Expr::Literal(_) | Expr::Unspecified => None,
        }
    }
    fn entries(
        entries: &[kube_cel::cel::common::ast::IdedEntryExpr],
        bound: &mut Vec<String>,
    ) -> Option<String> {
        entries.iter().find_map(|entry| match &entry.expr {
            EntryExpr::MapEntry(e) => walk(&e.key, bound).or_else(|| walk(&e.value, bound)),
            EntryExpr::StructField(f) => walk(&f.value, bound),
        })
    }
    walk(expr, &mut Vec::new())
}
