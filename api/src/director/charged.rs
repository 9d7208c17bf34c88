//! Answers bounded item by item. A request whose kept document asks no field under many names
//! (the Director's `repetition` rule) runs on the schema without per-field hooks, where objects
//! resolve field after field (`in_order`); its answer is charged to the same [`AnswerBudget`]
//! as each item of a list of objects resolves, and whole once it is made. Before an item is
//! charged its own fields hold at most a few copies of what it stores, and once the budget is
//! spent no further item resolves.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use async_graphql::{
    ContainerType, ContextSelectionSet, OutputType, Positioned, Response, ServerResult, Value,
    parser::types::Field,
};

use super::{
    answer_limit::{AnswerBudget, size_of},
    in_order,
    plain::Plain,
};

/// What one operation charges to its request's budget, item by item.
#[derive(Debug)]
pub struct ItemCharges {
    budget: Arc<AnswerBudget>,
    /// The bytes this operation has charged so far (a batch's operations share the budget).
    charged: AtomicUsize,
}

impl ItemCharges {
    /// Charges against `budget`, shared by the operations of one request.
    pub fn new(budget: Arc<AnswerBudget>) -> Arc<Self> {
        Arc::new(Self {
            budget,
            charged: AtomicUsize::new(0),
        })
    }

    fn charge(&self, bytes: usize) -> bool {
        self.charged.fetch_add(bytes, Ordering::Relaxed);
        self.budget.charge(bytes)
    }

    /// The bytes charged so far.
    pub(super) fn charged(&self) -> usize {
        self.charged.load(Ordering::Relaxed)
    }

    /// Gives back what was charged since [`charged`](Self::charged) returned `before`: items
    /// built for an answer that is then made another way, which charges them again. Nothing
    /// else of this operation charges in between (its fields resolve one at a time).
    pub(super) fn refund(&self, before: usize) {
        let bytes = self.charged().saturating_sub(before);
        self.charged.fetch_sub(bytes, Ordering::Relaxed);
        self.budget.refund(bytes);
    }

    /// Before an item resolves: refused once the budget is spent, else what was charged so far,
    /// for [`close`](Self::close).
    pub(super) fn open(&self) -> ServerResult<usize> {
        if self.budget.is_spent() {
            return Err(self.budget.error());
        }
        Ok(self.charged())
    }

    /// An item of `size` bytes, resolved since [`open`](Self::open) returned `before`,
    /// charged: its size less what its own items were charged as they resolved (they are in
    /// its bytes too).
    pub(super) fn close(&self, before: usize, size: usize) -> ServerResult<()> {
        let nested = self.charged().saturating_sub(before);
        if self.charge(size.saturating_sub(nested)) {
            Ok(())
        } else {
            Err(self.budget.error())
        }
    }

    /// `response` once made: what its items were not charged is charged now, and if the budget
    /// was spent the answer is the one error saying so, as with per-field charging.
    pub fn finish(&self, response: Response) -> Response {
        let rest = size_of(&response.data).saturating_sub(self.charged());
        self.charge(rest);
        self.budget.answer(response)
    }
}

/// An item of a list of objects, answered as `T` field after field and charged once resolved.
/// Without [`ItemCharges`] in the request (the per-field hooks charge it then) it is just `T`.
pub struct Charged<T>(pub T);

impl<T: ContainerType + Plain> OutputType for Charged<T> {
    in_order::shown_as_the_wrapped_type!();

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        let Some(charges) = ctx.data_opt::<Arc<ItemCharges>>() else {
            return self.0.resolve(ctx, field).await;
        };
        let before = charges.open()?;
        let value = in_order::boxed(ctx, &self.0).await?;
        charges.close(before, size_of(&value))?;
        Ok(value)
    }
}

/// `items`, each [`Charged`].
pub fn each<T>(items: impl IntoIterator<Item = T>) -> Vec<Charged<T>> {
    items.into_iter().map(Charged).collect()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use async_graphql::{Context, EmptyMutation, EmptySubscription, Object, Schema};

    use super::*;
    use crate::director::plain;

    /// How many items have resolved their text.
    type Resolved = Arc<AtomicUsize>;

    struct Item;

    impl Plain for Item {}

    #[Object]
    impl Item {
        async fn text(&self, ctx: &Context<'_>) -> String {
            ctx.data_unchecked::<Resolved>()
                .fetch_add(1, Ordering::Relaxed);
            "x".repeat(100)
        }
    }

    /// An item whose every field is answered in place, counted as it is made.
    struct InPlace;

    #[Object]
    impl InPlace {
        async fn text(&self) -> String {
            "x".repeat(100)
        }
    }

    impl Plain for InPlace {
        fn plain(&self, ctx: &Context<'_>, out: &mut plain::Json) -> Option<ServerResult<()>> {
            ctx.data_unchecked::<Resolved>()
                .fetch_add(1, Ordering::Relaxed);
            out.text(&"x".repeat(100));
            Some(Ok(()))
        }
    }

    /// Holds items answered in place.
    struct Holder;

    #[Object]
    impl Holder {
        async fn items(&self) -> Vec<Charged<InPlace>> {
            items()
        }
    }

    impl Plain for Holder {
        fn plain(&self, ctx: &Context<'_>, out: &mut plain::Json) -> Option<ServerResult<()>> {
            (ctx.item.node.name.node == "items").then(|| plain::list(ctx, &items(), out))?
        }
    }

    fn items() -> Vec<Charged<InPlace>> {
        each((0..1_000).map(|_| InPlace))
    }

    struct Query;

    #[Object]
    impl Query {
        async fn items(&self) -> Vec<Charged<Item>> {
            each((0..1_000).map(|_| Item))
        }

        async fn holder(&self) -> in_order::InOrder<Holder> {
            in_order::InOrder(Holder)
        }
    }

    fn schema(resolved: &Resolved) -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query, EmptyMutation, EmptySubscription)
            .data(resolved.clone())
            .finish()
    }

    #[tokio::test]
    async fn items_stop_resolving_once_the_budget_is_spent_and_are_plain_without_it() {
        let resolved = Resolved::default();
        let schema = schema(&resolved);
        let charges = ItemCharges::new(AnswerBudget::new(1_000));
        let request = async_graphql::Request::new("{ items { text } }").data(charges.clone());
        let answer = charges.finish(schema.execute(request).await);
        assert_eq!(answer.data, Value::Null);
        assert!(answer.errors[0].message.contains("larger than 1000 bytes"));
        // About ten items fill the budget; the rest never resolve.
        let count = resolved.swap(0, Ordering::Relaxed);
        assert!((9..=20).contains(&count), "{count} items resolved");

        // Without charges in the request (the per-field hooks' schema), nothing is charged here.
        let answer = schema.execute("{ items { text } }").await;
        assert!(answer.errors.is_empty(), "{:?}", answer.errors);
        assert_eq!(resolved.load(Ordering::Relaxed), 1_000);
    }

    #[tokio::test]
    async fn items_answered_in_place_stop_being_made_once_the_budget_is_spent() {
        let resolved = Resolved::default();
        let schema = schema(&resolved);
        let charges = ItemCharges::new(AnswerBudget::new(1_000));
        let query = "{ holder { items { text } } }";
        let request = async_graphql::Request::new(query).data(charges.clone());
        let answer = charges.finish(schema.execute(request).await);
        assert_eq!(answer.data, Value::Null);
        assert!(answer.errors[0].message.contains("larger than 1000 bytes"));
        let count = resolved.load(Ordering::Relaxed);
        assert!((9..=20).contains(&count), "{count} items made");
    }

    #[tokio::test]
    async fn an_answer_within_the_budget_is_whole_and_charged_once() {
        let schema = schema(&Resolved::default());
        let budget = AnswerBudget::new(1_000_000);
        let charges = ItemCharges::new(budget.clone());
        let request = async_graphql::Request::new("{ items { text } }").data(charges.clone());
        let answer = charges.finish(schema.execute(request).await);
        assert!(answer.errors.is_empty(), "{:?}", answer.errors);
        let json = answer.data.into_json().unwrap().to_string();
        // Every byte charged once: items as they resolved, the rest when finished.
        let charged = charges.charged();
        assert!(
            charged >= json.len() && charged <= json.len() * 2,
            "{charged} charged for {} bytes",
            json.len()
        );
    }

    #[tokio::test]
    async fn a_leaf_asked_twice_is_written_once_and_its_object_stays_in_place() {
        let resolved = Resolved::default();
        let schema = schema(&resolved);
        let charges = ItemCharges::new(AnswerBudget::new(1 << 20));
        let query = "{ holder { items { text again: text text } } }";
        let request = async_graphql::Request::new(query).data(charges.clone());
        let answer = charges.finish(schema.execute(request).await);
        assert!(answer.errors.is_empty(), "{:?}", answer.errors);
        let data = crate::director::written::unwritten(answer.data)
            .into_json()
            .unwrap();
        let items = data["holder"]["items"].as_array().unwrap();
        assert_eq!(items.len(), 1_000);
        let text = "x".repeat(100);
        assert_eq!(
            items[999],
            serde_json::json!({ "text": text, "again": text })
        );
        // Two fields written per item. Had the repeat declined, the list would have been
        // resolved item by item, field after field, the repeated field answered again (3,002).
        assert_eq!(resolved.load(Ordering::Relaxed), 2_000);
    }
}
