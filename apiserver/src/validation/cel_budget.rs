//! Applying kube-apiserver's CEL cost limits: when a CRD is written, every rule's estimated cost
//! times the number of times it can run on one object, against the per-rule and per-schema
//! limits, with kube-apiserver's messages; at run time, each evaluation against the per-call
//! limit and all of an object's evaluations against its budget and the request's deadline.

use std::time::Instant;

use serde_json::Value;

use super::cel::CelRule;
use super::cel_cost::{
    self, PER_CALL_LIMIT, PER_CRD_LIMIT, PER_EXPRESSION_LIMIT, PER_OBJECT_BUDGET,
};
use super::child;
use super::schema::{Additional, Node};
use crate::errors::FieldError;

/// How many of the most expensive rules are named when a schema's total is over its limit.
const MOST_EXPENSIVE: usize = 4;

/// Checks the estimated costs of every rule of a compiled schema; error paths are relative to the
/// schema root, an empty path meaning the root itself.
pub(super) fn check_static(root: &Node) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let mut costs = Vec::new();
    visit(root, 1.0, &mut costs, &mut errors);
    let total = costs
        .iter()
        .map(|(_, cost)| *cost)
        .fold(0u64, u64::saturating_add);
    if total > PER_CRD_LIMIT {
        costs.sort_by_key(|(_, cost)| std::cmp::Reverse(*cost));
        for (path, _) in costs
            .iter()
            .filter(|(_, cost)| *cost >= PER_CRD_LIMIT / 100)
            .take(MOST_EXPENSIVE)
        {
            errors.push(FieldError::forbidden(
                path.clone(),
                "contributed to estimated rule & messageExpression cost total exceeding cost limit for entire OpenAPIv3 schema",
            ));
        }
        errors.push(FieldError::forbidden(
            "",
            exceeds(
                "x-kubernetes-validations estimated rule & messageExpression cost total for entire OpenAPIv3 schema",
                total,
                PER_CRD_LIMIT,
            ),
        ));
    }
    errors
}

/// Estimates the rules of `node` and below; `cardinality` is how many times a value at `node`
/// can occur in one object.
fn visit(node: &Node, cardinality: f64, costs: &mut Vec<(String, u64)>, out: &mut Vec<FieldError>) {
    for rule in &node.rules {
        let programs = [
            ("rule", Some(&rule.program)),
            ("messageExpression", rule.message_program.as_ref()),
        ];
        for (field, program) in programs {
            let Some(program) = program else { continue };
            let once = cel_cost::static_cost(program, node) as f64;
            let cost = saturate(once * cardinality);
            let path = child(&rule.path, field);
            if cost > PER_EXPRESSION_LIMIT {
                let what = format!("estimated {field} cost");
                out.push(FieldError::forbidden(
                    &path,
                    exceeds(&what, cost, PER_EXPRESSION_LIMIT),
                ));
            }
            costs.push((path, cost));
        }
    }
    for property in node.properties.values() {
        visit(property, cardinality, costs, out);
    }
    let repeated = cardinality * cel_cost::max_elements(node) as f64;
    if let Some(items) = &node.items {
        visit(items, repeated, costs, out);
    }
    if let Additional::Schema(value) = &node.additional {
        visit(value, repeated, costs, out);
    }
}

fn saturate(cost: f64) -> u64 {
    if cost >= u64::MAX as f64 {
        u64::MAX
    } else {
        cost as u64
    }
}

/// kube-apiserver's wording of a cost over its limit.
fn exceeds(what: &str, cost: u64, limit: u64) -> String {
    let factor = cost as f64 / limit as f64;
    let factor = if factor > 100.0 {
        "more than 100x".to_owned()
    } else if factor < 1.5 {
        format!("{factor:.6}x")
    } else {
        format!("{factor:.1}x")
    };
    format!(
        "{what} exceeds budget by factor of {factor} (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)"
    )
}

/// What the evaluations on one object may still spend.
pub struct Budget {
    remaining: u64,
    deadline: Option<Instant>,
    hand_off_at: Option<Instant>,
    exhausted: bool,
    handed_off: bool,
}

impl Budget {
    /// kube-apiserver's per-object budget, and the request's deadline if it has one.
    pub fn new(deadline: Option<Instant>) -> Self {
        Self {
            remaining: PER_OBJECT_BUDGET,
            deadline,
            hand_off_at: None,
            exhausted: false,
            handed_off: false,
        }
    }

    /// The same budget, for a validation on a thread serving requests: a rule due to start at
    /// `at` or later does not, and no further rule runs, so that the object is validated again
    /// on a thread of its own. Not a failure: no error is reported.
    pub fn handing_off_at(self, at: Option<Instant>) -> Self {
        Self {
            hand_off_at: at,
            ..self
        }
    }

    /// Whether the validation stopped to be handed off.
    pub fn handed_off(&self) -> bool {
        self.handed_off
    }

    /// Whether no more rules run on this object.
    pub(super) fn exhausted(&self) -> bool {
        self.exhausted
    }

    /// Charges one evaluation of `rule` on `value` at `path`, or explains why it may not run.
    /// After the budget or the deadline ran out, nothing more runs; the error says so once.
    pub(super) fn charge(
        &mut self,
        rule: &CelRule,
        node: &Node,
        value: &Value,
        old: Option<&Value>,
        path: &str,
    ) -> Result<(), Option<FieldError>> {
        if self.exhausted {
            return Err(None);
        }
        // One reading of the clock per rule, for both times.
        let now = (self.hand_off_at.is_some() || self.deadline.is_some()).then(Instant::now);
        let past = |at: Option<Instant>| at.zip(now).is_some_and(|(at, now)| now >= at);
        if past(self.hand_off_at) {
            self.exhausted = true;
            self.handed_off = true;
            return Err(None);
        }
        // Named only in a refusal: most evaluations are charged and run.
        let type_name = || Value::from(node.type_name(value));
        if past(self.deadline) {
            self.exhausted = true;
            let detail = format!(
                "validation did not finish in the time the request had, no further validation rules will be run (stopped before rule: {}); simplify the rules or make the object smaller",
                rule.error_string()
            );
            return Err(Some(FieldError::invalid(path, type_name(), detail)));
        }
        let cost = cel_cost::runtime_cost(&rule.program, node, value, old);
        if cost > PER_CALL_LIMIT {
            self.remaining = self.remaining.saturating_sub(PER_CALL_LIMIT);
            let detail = format!(
                "call cost exceeds limit for rule: {} (estimated cost {cost} for this object, limit {PER_CALL_LIMIT})",
                rule.error_string()
            );
            return Err(Some(FieldError::invalid(path, type_name(), detail)));
        }
        match self.remaining.checked_sub(cost) {
            Some(remaining) => {
                self.remaining = remaining;
                Ok(())
            }
            None => {
                self.exhausted = true;
                let detail = format!(
                    "validation failed due to running out of cost budget, no further validation rules will be run (the budget of {PER_OBJECT_BUDGET} ran out at rule: {})",
                    rule.error_string()
                );
                Err(Some(FieldError::invalid(path, type_name(), detail)))
            }
        }
    }
}
