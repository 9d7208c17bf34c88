//! Fields answered in place. Most of what the Director shows is a read of an object already in
//! memory, and a page of applications asks for thousands of such fields. Resolved through
//! async-graphql each is a future of about a kilobyte, made, moved and matched by name; a type
//! that implements [`Plain`] answers them straight as GraphQL values instead, nested objects and
//! lists included. A field a type does not answer so (arguments given, a lookup that waits) goes
//! through its resolver as before. Only on the schema without per-field hooks ([`in_order`]),
//! where no extension needs to see each field.
//!
//! [`in_order`]: super::in_order

use std::sync::Arc;

use async_graphql::{
    Context, ContextSelectionSet, InputType, ScalarType, ServerResult, Value, indexmap::IndexMap,
};

use super::{
    charged::{Charged, ItemCharges},
    in_order,
};
use crate::pagination::PageInfo;

/// A type that answers some of its fields in place.
pub trait Plain {
    /// The value of the field `ctx` asks for, when this type answers it in place; `None` sends
    /// the field through the type's resolver. A type declines by the document's shape (the
    /// field, its arguments, what it asks of nested objects), not by what it holds, so that the
    /// items of a list decline at the first, before the others are built.
    fn plain(&self, ctx: &Context<'_>) -> Option<ServerResult<Value>> {
        let _ = ctx;
        None
    }
}

/// The field `ctx` asks of `root` answered in place, or `None`, having charged nothing: what
/// the items built before `root` declined were charged is given back, as the resolver that
/// answers instead charges them again.
pub fn field<T: Plain + ?Sized>(root: &T, ctx: &Context<'_>) -> Option<ServerResult<Value>> {
    let charges = ctx.data_opt::<Arc<ItemCharges>>()?;
    let before = charges.charged();
    let value = root.plain(ctx);
    if value.is_none() {
        charges.refund(before);
    }
    value
}

/// The object `value` with the fields the field `ctx` asks of it, each answered in place; `None`
/// when one is not.
pub fn object<T: Plain + async_graphql::ContainerType>(
    ctx: &Context<'_>,
    value: &T,
) -> Option<ServerResult<Value>> {
    fields(&ctx.with_selection_set(&ctx.item.node.selection_set), value)
}

/// [`object`] of `value` if there is one, else null.
pub fn optional<T: Plain + async_graphql::ContainerType>(
    ctx: &Context<'_>,
    value: Option<&T>,
) -> Option<ServerResult<Value>> {
    match value {
        Some(value) => object(ctx, value),
        None => Some(Ok(Value::Null)),
    }
}

/// The fields of `root` the selection set of `ctx` asks for, gathered as [`in_order`] gathers
/// them, each answered in place; `None` when one is not, or carries a directive.
///
/// [`in_order`]: super::in_order
fn fields<T: Plain + async_graphql::ContainerType>(
    ctx: &ContextSelectionSet<'_>,
    root: &T,
) -> Option<ServerResult<Value>> {
    let asked = match in_order::asked(ctx, root) {
        Ok(asked) => asked?,
        Err(error) => return Some(Err(error)),
    };
    let mut answer = IndexMap::with_capacity(asked.len());
    for field in asked {
        let key = field.node.response_key().node.clone();
        let value = if field.node.name.node == "__typename" {
            in_order::type_name_of(root)
        } else {
            match root.plain(&ctx.with_field(field))? {
                Ok(value) => value,
                Err(error) => return Some(Err(error)),
            }
        };
        in_order::merge(&mut answer, key, value);
    }
    Some(Ok(in_order::object_of(answer)))
}

/// Items of a list of objects, each answered in place and charged once made, as [`Charged`]
/// charges them when they resolve; no item is made once the budget is spent.
pub fn list<T: Plain + async_graphql::ContainerType>(
    ctx: &Context<'_>,
    items: &[Charged<T>],
) -> Option<ServerResult<Value>> {
    let charges = ctx.data_opt::<Arc<ItemCharges>>()?;
    // Stops at the first item declined or refused.
    let values: Option<ServerResult<Vec<Value>>> = items
        .iter()
        .map(|item| charged(ctx, charges, &item.0))
        .collect();
    Some(values?.map(Value::List))
}

/// The item `value` answered in place and charged.
fn charged<T: Plain + async_graphql::ContainerType>(
    ctx: &Context<'_>,
    charges: &ItemCharges,
    value: &T,
) -> Option<ServerResult<Value>> {
    let before = match charges.open() {
        Ok(before) => before,
        Err(error) => return Some(Err(error)),
    };
    Some(object(ctx, value)?.and_then(|value| charges.close(before, value)))
}

/// A text.
pub fn text(text: &str) -> Value {
    Value::String(text.to_owned())
}

/// A text if there is one, else null.
pub fn optional_text(text: Option<&str>) -> Value {
    text.map_or(Value::Null, self::text)
}

/// A value of an enum.
pub fn enumerated<T: InputType>(item: T) -> Value {
    item.to_value()
}

/// A value of a scalar if there is one, else null.
pub fn scalar<T: ScalarType>(value: Option<T>) -> Value {
    value.map_or(Value::Null, |value| value.to_value())
}

impl Plain for PageInfo {
    fn plain(&self, ctx: &Context<'_>) -> Option<ServerResult<Value>> {
        Some(Ok(match ctx.item.node.name.node.as_str() {
            "startCursor" => ScalarType::to_value(&self.start_cursor),
            "endCursor" => ScalarType::to_value(&self.end_cursor),
            "hasNextPage" => Value::Boolean(self.has_next_page),
            _ => return None,
        }))
    }
}
