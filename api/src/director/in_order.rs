//! Objects resolved one field after another, in the order the document asks for them. The
//! Director's fields read what is already in memory, so resolving them concurrently, as
//! async-graphql's own container does, only costs: a boxed future of about a kilobyte and a
//! task in a `FuturesUnordered` for every field. Here each field's future is awaited in place
//! and only the object itself is boxed. Used on the schema without per-field hooks, where no
//! extension needs to see each field.

use std::{pin::Pin, sync::Arc};

use async_graphql::{
    ContainerType, ContextSelectionSet, Name, OutputType, Positioned, ServerError, ServerResult,
    Value,
    indexmap::{IndexMap, map::Entry},
    parser::types::{Field, Selection, SelectionSet},
    resolver_utils::resolve_container,
};

use super::{
    charged::ItemCharges,
    plain::{self, Plain},
    written,
};

/// An object answered as `T`: field after field ([`resolve`]) on the schema without per-field
/// hooks (the request holds [`ItemCharges`]), else as `T` answers itself.
pub struct InOrder<T>(pub T);

/// The type an output wrapper holding a `T` in its field `0` shows: `T`'s name and registry
/// entry, so that the schema and its SDL are those of `T`.
macro_rules! shown_as_the_wrapped_type {
    () => {
        fn type_name() -> ::std::borrow::Cow<'static, str> {
            T::type_name()
        }

        fn qualified_type_name() -> String {
            T::qualified_type_name()
        }

        fn introspection_type_name(&self) -> ::std::borrow::Cow<'static, str> {
            self.0.introspection_type_name()
        }

        fn create_type_info(registry: &mut ::async_graphql::registry::Registry) -> String {
            T::create_type_info(registry)
        }
    };
}
pub(crate) use shown_as_the_wrapped_type;

impl<T: ContainerType + Plain> OutputType for InOrder<T> {
    shown_as_the_wrapped_type!();

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        if ctx.data_opt::<Arc<ItemCharges>>().is_some() {
            boxed(ctx, &self.0).await
        } else {
            self.0.resolve(ctx, field).await
        }
    }
}

/// `root`'s fields that `ctx` asks for, each resolved in turn (in place where `root` answers it
/// so, see [`Plain`]): the same value and errors as async-graphql's own container gives, keys in
/// the order asked. A field carrying a custom directive sends the whole object through
/// async-graphql's container, which applies it.
async fn resolve<T: ContainerType + Plain + ?Sized>(
    ctx: &ContextSelectionSet<'_>,
    root: &T,
) -> ServerResult<Value> {
    let Some(asked) = asked(ctx, root)? else {
        return resolve_container(ctx, root).await;
    };
    let mut answer = IndexMap::with_capacity(asked.len());
    for field in asked {
        let key = field.node.response_key().node.clone();
        if field.node.name.node == "__typename" {
            merge(&mut answer, key, type_name_of(root));
            continue;
        }
        // A field's context is the same whichever selection set (the object's own, or a
        // fragment's) it came from: only the path and the field carry over.
        let field_ctx = ctx.with_field(field);
        let value = match plain::field(root, &field_ctx) {
            Some(value) => value,
            None => root
                .resolve_field(&field_ctx)
                .await
                .map(Option::unwrap_or_default),
        };
        match value {
            Ok(value) => merge(&mut answer, key, value),
            Err(error) => ctx.add_error(error),
        }
    }
    Ok(object_of(answer))
}

/// Every field of `root` that `ctx` asks for, fragments spread; `None` when one carries a
/// directive (async-graphql's container applies directives).
pub(super) fn asked<'a, T: ContainerType + ?Sized>(
    ctx: &ContextSelectionSet<'a>,
    root: &T,
) -> ServerResult<Option<Vec<&'a Positioned<Field>>>> {
    let mut asked = Vec::new();
    collect(ctx, root, ctx.item, &mut asked)?;
    let directed = asked.iter().any(|field| !field.node.directives.is_empty());
    Ok((!directed).then_some(asked))
}

/// The answer to `__typename` on `root`.
fn type_name_of<T: ContainerType + ?Sized>(root: &T) -> Value {
    Value::String(root.introspection_type_name().into_owned())
}

/// An object's answer from its fields' values: null when it has none.
fn object_of(answer: IndexMap<Name, Value>) -> Value {
    if answer.is_empty() {
        Value::Null
    } else {
        Value::Object(answer)
    }
}

/// [`resolve`] behind a pointer, its type erased: a field's future holds a nested object's
/// as one pointer, and a type may contain itself.
pub fn boxed<'a, T: ContainerType + Plain + ?Sized>(
    ctx: &'a ContextSelectionSet<'a>,
    root: &'a T,
) -> Pin<Box<dyn Future<Output = ServerResult<Value>> + Send + 'a>> {
    Box::pin(resolve(ctx, root))
}

/// Every field of the selection set `set`, fragments that apply to `root` spread in place.
fn collect<'a, T: ContainerType + ?Sized>(
    ctx: &ContextSelectionSet<'a>,
    root: &T,
    set: &'a Positioned<SelectionSet>,
    asked: &mut Vec<&'a Positioned<Field>>,
) -> ServerResult<()> {
    for selection in &set.node.items {
        let (condition, set) = match &selection.node {
            Selection::Field(field) => {
                asked.push(field);
                continue;
            }
            Selection::FragmentSpread(spread) => {
                let name = &spread.node.fragment_name.node;
                let Some(fragment) = ctx.query_env.fragments.get(name) else {
                    let message = format!(r#"Unknown fragment "{name}"."#);
                    return Err(ServerError::new(message, Some(spread.pos)));
                };
                let fragment = &fragment.node;
                (Some(&fragment.type_condition), &fragment.selection_set)
            }
            Selection::InlineFragment(fragment) => {
                let fragment = &fragment.node;
                (fragment.type_condition.as_ref(), &fragment.selection_set)
            }
        };
        let condition = condition.map(|condition| condition.node.on.node.as_str());
        if condition.is_none_or(|condition| applies(ctx, root, condition)) {
            collect(ctx, root, set, asked)?;
        }
    }
    Ok(())
}

/// Whether a fragment on type `condition` applies to `root`: its own type, or an interface it
/// implements.
fn applies<T: ContainerType + ?Sized>(
    ctx: &ContextSelectionSet<'_>,
    root: &T,
    condition: &str,
) -> bool {
    let name = root.introspection_type_name();
    name == condition
        || T::type_name() == condition
        || ctx
            .schema_env
            .registry
            .implements
            .get(&*name)
            .is_some_and(|interfaces| interfaces.contains(condition))
}

/// `value` put under `key`; when the key is already there (a field asked twice), objects are
/// merged key by key and lists of objects item by item, as GraphQL merges the two selections.
pub(super) fn merge(answer: &mut IndexMap<Name, Value>, key: Name, value: Value) {
    // One lookup by the key's hash, not a search and then an insert: every field comes here.
    let before = match answer.entry(key) {
        Entry::Vacant(vacant) => {
            vacant.insert(value);
            return;
        }
        Entry::Occupied(occupied) => occupied.into_mut(),
    };
    // JSON written in place is read back to be merged: a key asked twice is rare.
    *before = written::unwritten(std::mem::take(before));
    match (before, written::unwritten(value)) {
        (Value::List(before), Value::List(value)) => {
            for (before, value) in before.iter_mut().zip(value) {
                merge_objects(before, value);
            }
        }
        (before, value) => merge_objects(before, value),
    }
}

/// `value`'s keys merged into `before` when both are objects; anything else keeps `before`.
fn merge_objects(before: &mut Value, value: Value) {
    if let (Value::Object(before), Value::Object(value)) = (before, value) {
        for (key, value) in value {
            merge(before, key, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{EmptyMutation, EmptySubscription, Interface, Object, Request, Schema};
    use serde_json::json;

    use super::*;
    use crate::director::{
        answer_limit::{AnswerBudget, size_of},
        charged::{Charged, ItemCharges, each},
    };

    struct Item(usize);

    /// `n`, `child` and `children` answered in place, the rest through the resolvers.
    impl Plain for Item {
        fn plain(
            &self,
            ctx: &async_graphql::Context<'_>,
            out: &mut plain::Json,
        ) -> Option<ServerResult<()>> {
            let children = each([Item(self.0 + 100), Item(self.0 + 200)]);
            match ctx.item.node.name.node.as_str() {
                "n" => out.number(self.0 as i64),
                "child" => return plain::object(ctx, &Item(self.0 + 10), out),
                "children" => return plain::list(ctx, &children, out),
                _ => return None,
            }
            Some(Ok(()))
        }
    }

    #[Object]
    impl Item {
        async fn n(&self) -> usize {
            self.0
        }

        /// Answers only once polled again, as a field waiting on something would.
        async fn late(&self) -> usize {
            tokio::task::yield_now().await;
            self.0
        }

        async fn fails(&self) -> async_graphql::Result<usize> {
            Err(format!("item {} fails", self.0).into())
        }

        async fn child(&self) -> InOrder<Item> {
            InOrder(Item(self.0 + 10))
        }

        async fn children(&self) -> Vec<Charged<Item>> {
            each([Item(self.0 + 100), Item(self.0 + 200)])
        }
    }

    #[derive(Interface)]
    #[graphql(field(name = "n", ty = "usize"))]
    #[allow(dead_code)] // Only registered, so that fragments may be spread on it.
    enum Node {
        Item(Item),
    }

    struct Query;

    #[Object]
    impl Query {
        async fn items(&self) -> Vec<Charged<Item>> {
            each([Item(1), Item(2)])
        }
    }

    /// `query`'s answer (data and errors as JSON) with items resolved in order (and in place
    /// where `Item` answers so) when `in_order`, else by async-graphql's own container.
    async fn answer(query: &str, in_order: bool) -> serde_json::Value {
        let schema = Schema::build(Query, EmptyMutation, EmptySubscription)
            .register_output_type::<Node>()
            .finish();
        let mut request = Request::new(query);
        if in_order {
            request = request.data(ItemCharges::new(AnswerBudget::new(1 << 20)));
        }
        let answer = schema.execute(request).await;
        // Errors in path order: async-graphql's container reports them as its fields finish.
        let mut errors = answer.errors;
        errors.sort_by_key(|error| format!("{:?}", error.path));
        let data = written::unwritten(answer.data).into_json().unwrap();
        json!({ "data": data, "errors": errors })
    }

    #[tokio::test]
    async fn answers_as_async_graphqls_container_does() {
        let query = r#"
            query {
                items {
                    __typename kind: __typename n again: n
                    ...Fields
                    ... on Item { child { n } }
                    ... on Node { n }
                    ... { fails }
                    child { c: child { n } }
                    children { n children { n } }
                    waits: child { n late }
                    children { fails }
                }
            }
            fragment Fields on Item { child { d: n } n }
        "#;
        let plain = answer(query, false).await;
        assert_eq!(answer(query, true).await, plain);
        let items = &plain["data"]["items"];
        assert_eq!(
            items[1]["child"],
            json!({ "d": 12, "n": 12, "c": { "n": 22 } })
        );
        assert_eq!(items[0]["children"][1]["children"][0]["n"], json!(301));
        assert_eq!(plain["errors"].as_array().map(Vec::len), Some(6));
    }

    #[tokio::test]
    async fn an_object_declined_after_its_items_were_built_charges_them_once() {
        let schema = Schema::new(Query, EmptyMutation, EmptySubscription);
        let charges = ItemCharges::new(AnswerBudget::new(1 << 20));
        // `late` is not answered in place: each `child` is built with its `children` charged,
        // then declined and resolved field after field, charging the children again.
        let query = "{ items { child { children { n a: n b: n c: n d: n e: n } late } } }";
        let request = Request::new(query).data(charges.clone());
        let answer = charges.finish(schema.execute(request).await);
        assert!(answer.errors.is_empty(), "{:?}", answer.errors);
        assert_eq!(charges.charged(), size_of(&answer.data));
    }

    #[tokio::test]
    async fn keys_come_in_the_order_asked_even_when_a_field_waits() {
        let schema = Schema::new(Query, EmptyMutation, EmptySubscription);
        // The keys of the first item's object at `path` (from `items`), in the answer's order
        // (GraphQL's own value: JSON here would sort them).
        let keys = |answer: async_graphql::Response, path: &[&str]| -> Vec<String> {
            let field = |value: Option<&Value>, key: &str| match value {
                Some(Value::Object(object)) => object.get(key).cloned(),
                _ => None,
            };
            let items = field(Some(&written::unwritten(answer.data)), "items");
            let mut object = match items {
                Some(Value::List(items)) => items.first().cloned(),
                _ => None,
            };
            for key in path {
                object = field(object.as_ref(), key);
            }
            match object {
                Some(Value::Object(object)) => object.keys().map(|key| key.to_string()).collect(),
                _ => Vec::new(),
            }
        };
        let query = "{ items { late n child { late n } } }";
        let charges = ItemCharges::new(AnswerBudget::new(1 << 20));
        let answer = schema
            .execute(Request::new(query).data(charges.clone()))
            .await;
        assert_eq!(keys(answer, &["child"]), ["late", "n"]);
        let answer = schema.execute(Request::new(query).data(charges)).await;
        assert_eq!(keys(answer, &[]), ["late", "n", "child"]);
        // async-graphql's container puts the field that waited last.
        assert_eq!(keys(schema.execute(query).await, &["child"]), ["n", "late"]);
        assert_eq!(
            keys(schema.execute(query).await, &[]),
            ["n", "child", "late"]
        );
    }
}
