//! A bound on the bytes of one answer. Depth and complexity bound how many fields a request
//! resolves, not how large they are: a thousand aliases of one 250 KB spec field resolve cheaply
//! and answer 250 MB. Every resolved field is charged its approximate size in the answer, against
//! a budget shared by all operations of one HTTP request (a batch); once the budget is spent no
//! further field is resolved, and the whole answer is one error instead of a partial one. The
//! schema's hooks (`hooks`) charge each field here; a request whose document repeats no
//! field many times runs without them, charged item by item instead (see [`super::charged`]).

use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicUsize, Ordering},
};

use async_graphql::{
    Response, ServerError, ServerResult, Value,
    extensions::ResolveInfo,
    registry::{MetaTypeName, Registry},
};

use crate::errors::Code;

/// The bytes one request's answer may still take. Shared by the operations of a batch.
#[derive(Debug)]
pub struct AnswerBudget {
    limit: usize,
    used: AtomicUsize,
    exceeded: AtomicBool,
}

impl AnswerBudget {
    /// A budget of `limit` bytes.
    pub fn new(limit: usize) -> Arc<Self> {
        Arc::new(Self {
            limit,
            used: AtomicUsize::new(0),
            exceeded: AtomicBool::new(false),
        })
    }

    /// Charges `bytes`; false once the budget is spent.
    pub(crate) fn charge(&self, bytes: usize) -> bool {
        let used = self.used.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if used > self.limit {
            self.exceeded.store(true, Ordering::Relaxed);
        }
        !self.is_spent()
    }

    /// Gives back `bytes` charged for an answer not made after all. Only bytes whose charges
    /// succeeded: the budget was not spent by them.
    pub(super) fn refund(&self, bytes: usize) {
        self.used.fetch_sub(bytes, Ordering::Relaxed);
    }

    pub(super) fn is_spent(&self) -> bool {
        self.exceeded.load(Ordering::Relaxed)
    }

    pub(super) fn error(&self) -> ServerError {
        let mut error = ServerError::new(
            format!(
                "the answer would be larger than {} bytes: ask for fewer fields, fewer aliases or \
                 a smaller page",
                self.limit
            ),
            None,
        );
        let mut extensions = async_graphql::ErrorExtensionValues::default();
        extensions.set("code", Code::InvalidInput.as_str());
        error.extensions = Some(extensions);
        error
    }

    /// `response`, or the one error saying the budget was spent while it was made: a partial
    /// answer would look complete to a client that does not read errors.
    pub(super) fn answer(&self, response: Response) -> Response {
        if self.is_spent() {
            Response::from_errors(vec![self.error()])
        } else {
            response
        }
    }

    /// Refuses to resolve any further field once the budget is spent.
    pub(super) fn before_field(&self) -> ServerResult<()> {
        if self.is_spent() {
            Err(self.error())
        } else {
            Ok(())
        }
    }
}

/// What a field resolved is charged, read off its place before it resolves: its key, and its
/// value too when that is a leaf (a scalar or an enum, a JSON scalar's whole value included).
pub(super) struct FieldCharge<'a> {
    key: usize,
    return_type: &'a str,
}

impl<'a> FieldCharge<'a> {
    /// The charge of the field `info` is about to resolve.
    pub(super) fn of(info: &ResolveInfo<'a>) -> Self {
        // The items of a list pass through one by one, each charged a separator.
        let key = if info.parent_type.starts_with('[') {
            1
        } else {
            info.alias.unwrap_or(info.name).len() + 4
        };
        Self {
            key,
            return_type: info.return_type,
        }
    }

    /// Charges the field resolved to `value` to `budget`; the error once the budget is spent.
    pub(super) fn settle(
        self,
        budget: &AnswerBudget,
        registry: &Registry,
        value: Option<Value>,
    ) -> ServerResult<Option<Value>> {
        let size = match &value {
            // A list's items, and an object's fields, were charged as they resolved; asking the
            // registry only for objects keeps the common leaves (strings, ids) cheap.
            Some(Value::List(_)) if self.is_list() => self.key,
            Some(Value::Object(_)) if !self.is_leaf(registry) => self.key,
            Some(value) => self.key + size_of(value),
            None => self.key,
        };
        if budget.charge(size) {
            Ok(value)
        } else {
            Err(budget.error())
        }
    }

    fn is_list(&self) -> bool {
        matches!(
            MetaTypeName::create(self.return_type.trim_end_matches('!')),
            MetaTypeName::List(_)
        )
    }

    fn is_leaf(&self, registry: &Registry) -> bool {
        registry
            .concrete_type_by_name(self.return_type)
            .is_some_and(|t| t.is_leaf())
    }
}

/// About how many bytes `value` takes in a JSON answer.
pub(super) fn size_of(value: &Value) -> usize {
    match value {
        Value::Null => 4,
        Value::Boolean(_) => 5,
        Value::Number(_) => 12,
        Value::String(text) => text.len() + 2,
        Value::Enum(name) => name.len() + 2,
        // The Director's answers hold no binary scalar: a binary value is JSON written in place.
        Value::Binary(json) => json.len(),
        Value::List(items) => 2 + items.iter().map(|v| size_of(v) + 1).sum::<usize>(),
        Value::Object(fields) => {
            2 + fields
                .iter()
                .map(|(k, v)| k.len() + 4 + size_of(v))
                .sum::<usize>()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_approach_the_json_encoding() {
        let value = Value::from_json(serde_json::json!({
            "name": "shop", "labels": { "tier": ["gold", 1, true, null] }
        }))
        .unwrap();
        let json = value.clone().into_json().unwrap().to_string();
        let estimate = size_of(&value);
        assert!(
            estimate >= json.len() && estimate <= json.len() * 2,
            "{estimate} for {json}"
        );
    }

    #[test]
    fn a_budget_is_spent_once_and_stays_spent() {
        let budget = AnswerBudget::new(10);
        assert!(budget.charge(6));
        assert!(!budget.charge(6));
        assert!(!budget.charge(0));
        assert!(budget.error().message.contains("larger than 10 bytes"));
    }
}
