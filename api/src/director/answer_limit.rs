//! A bound on the bytes of one answer. Depth and complexity bound how many fields a request
//! resolves, not how large they are: a thousand aliases of one 250 KB spec field resolve cheaply
//! and answer 250 MB. Every resolved field is charged its approximate size in the answer, against
//! a budget shared by all operations of one HTTP request (a batch); once the budget is spent no
//! further field is resolved, and the whole answer is one error instead of a partial one.

use std::sync::{
    Arc,
    atomic::{AtomicBool, AtomicUsize, Ordering},
};

use async_graphql::{
    Response, ServerError, ServerResult, Value,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextExecute, NextResolve, ResolveInfo,
    },
    registry::MetaTypeName,
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
    fn charge(&self, bytes: usize) -> bool {
        let used = self.used.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if used > self.limit {
            self.exceeded.store(true, Ordering::Relaxed);
        }
        !self.is_spent()
    }

    fn is_spent(&self) -> bool {
        self.exceeded.load(Ordering::Relaxed)
    }

    fn error(&self) -> ServerError {
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
}

/// The extension charging every resolved field to the request's [`AnswerBudget`] (requests
/// without one are not bounded).
pub struct AnswerLimit;

impl ExtensionFactory for AnswerLimit {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(AnswerLimitExtension)
    }
}

struct AnswerLimitExtension;

#[async_graphql::async_trait::async_trait]
impl Extension for AnswerLimitExtension {
    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let response = next.run(ctx, operation_name).await;
        match ctx.data_opt::<Arc<AnswerBudget>>() {
            Some(budget) if budget.is_spent() => Response::from_errors(vec![budget.error()]),
            _ => response,
        }
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let Some(budget) = ctx.data_opt::<Arc<AnswerBudget>>().cloned() else {
            return next.run(ctx, info).await;
        };
        if budget.is_spent() {
            return Err(budget.error());
        }
        let list_item = info.parent_type.starts_with('[');
        let key = if list_item {
            1
        } else {
            info.alias.unwrap_or(info.name).len() + 4
        };
        let leaf = ctx
            .schema_env
            .registry
            .concrete_type_by_name(info.return_type)
            .is_some_and(|t| t.is_leaf());
        // The items of a list of scalars pass through here one by one; the list is not charged
        // again as a whole.
        let whole_list = matches!(
            MetaTypeName::create(info.return_type.trim_end_matches('!')),
            MetaTypeName::List(_)
        );
        let value = next.run(ctx, info).await?;
        let size = match &value {
            Some(value) if leaf && !whole_list => key + size_of(value),
            _ => key,
        };
        if budget.charge(size) {
            Ok(value)
        } else {
            Err(budget.error())
        }
    }
}

/// About how many bytes `value` takes in a JSON answer.
fn size_of(value: &Value) -> usize {
    match value {
        Value::Null => 4,
        Value::Boolean(_) => 5,
        Value::Number(_) => 12,
        Value::String(text) => text.len() + 2,
        Value::Enum(name) => name.len() + 2,
        Value::Binary(bytes) => bytes.len() * 4 / 3 + 2,
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
