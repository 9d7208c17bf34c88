//! Fields answered in place. Most of what the Director shows is a read of an object already in
//! memory, and a page of applications asks for thousands of such fields. Resolved through
//! async-graphql each is a future of about a kilobyte, made, moved and matched by name, and its
//! value a GraphQL value hashed into its object's map, serialized and dropped; a type that
//! implements [`Plain`] writes them straight as JSON instead ([`Json`]), nested objects and lists
//! included. A field a type does not answer so (arguments given, a lookup that waits) goes
//! through its resolver as before. Only on the schema without per-field hooks ([`in_order`]),
//! where no extension needs to see each field.
//!
//! [`in_order`]: super::in_order

use std::sync::Arc;

use async_graphql::{
    Context, ContextSelectionSet, Positioned, ServerResult, Value, parser::types::Field,
};

pub use super::written::Json;
use super::{
    charged::{Charged, ItemCharges},
    in_order,
};
use crate::pagination::PageInfo;

/// A type that answers some of its fields in place.
pub trait Plain {
    /// Writes the value of the field `ctx` asks for onto `out`, when this type answers it in
    /// place; `None` sends the field through the type's resolver (what was written is then
    /// dropped). A type declines by the document's shape (the field, its arguments, what it asks
    /// of nested objects), not by what it holds, so that the items of a list decline at the
    /// first, before the others are written.
    fn plain(&self, ctx: &Context<'_>, out: &mut Json) -> Option<ServerResult<()>> {
        let _ = (ctx, out);
        None
    }
}

/// The field `ctx` asks of `root` answered in place, as JSON written in place (see
/// [`written`](super::written)), or `None`, having charged nothing: what the items written
/// before `root` declined were charged is given back, as the resolver that answers instead
/// charges them again.
pub fn field<T: Plain + ?Sized>(root: &T, ctx: &Context<'_>) -> Option<ServerResult<Value>> {
    let charges = ctx.data_opt::<Arc<ItemCharges>>()?;
    let before = charges.charged();
    let mut out = Json::default();
    let Some(written) = root.plain(ctx, &mut out) else {
        charges.refund(before);
        return None;
    };
    Some(written.map(|()| out.into_value()))
}

/// The object `value` with the fields the field `ctx` asks of it, each answered in place; `None`
/// when one is not.
pub fn object<T: Plain + async_graphql::ContainerType>(
    ctx: &Context<'_>,
    value: &T,
    out: &mut Json,
) -> Option<ServerResult<()>> {
    fields(
        &ctx.with_selection_set(&ctx.item.node.selection_set),
        value,
        out,
    )
}

/// [`object`] of `value` if there is one, else null.
pub fn optional<T: Plain + async_graphql::ContainerType>(
    ctx: &Context<'_>,
    value: Option<&T>,
    out: &mut Json,
) -> Option<ServerResult<()>> {
    match value {
        Some(value) => object(ctx, value, out),
        None => {
            out.null();
            Some(Ok(()))
        }
    }
}

/// The fields of `root` the selection set of `ctx` asks for, gathered as [`in_order`] gathers
/// them, each answered in place; `None` when one is not, carries a directive, or asks for an
/// object under a key asked before (the resolvers merge the two selections).
///
/// [`in_order`]: super::in_order
fn fields<T: Plain + async_graphql::ContainerType>(
    ctx: &ContextSelectionSet<'_>,
    root: &T,
    out: &mut Json,
) -> Option<ServerResult<()>> {
    let asked = match in_order::asked(ctx, root) {
        Ok(asked) => asked?,
        Err(error) => return Some(Err(error)),
    };
    if asked.is_empty() {
        out.null();
        return Some(Ok(()));
    }
    out.open_object();
    let mut index = 0;
    for (position, field) in asked.iter().enumerate() {
        if asked_before(&asked[..position], field) {
            // The same field again (validation allows no other under one key): a leaf has its
            // answer written already; an object's selections would have to be merged.
            if field.node.selection_set.node.items.is_empty() {
                continue;
            }
            return None;
        }
        out.name_key(index, field.node.response_key().node.as_str());
        index += 1;
        let before = out.len();
        if field.node.name.node == "__typename" {
            out.text(&root.introspection_type_name());
        } else if let Err(error) = root.plain(&ctx.with_field(field), out)? {
            return Some(Err(error));
        }
        debug_assert!(
            out.len() > before,
            "{} wrote no value",
            field.node.name.node
        );
    }
    out.close_object();
    Some(Ok(()))
}

/// Whether `field`'s key is among `before`'s. An object asks for a handful of fields, so
/// comparing with each costs less than a set.
fn asked_before(before: &[&Positioned<Field>], field: &Positioned<Field>) -> bool {
    let key = &field.node.response_key().node;
    before
        .iter()
        .any(|earlier| earlier.node.response_key().node == *key)
}

/// Items of a list of objects, each answered in place and charged once written, as [`Charged`]
/// charges them when they resolve; no item is written once the budget is spent.
pub fn list<T: Plain + async_graphql::ContainerType>(
    ctx: &Context<'_>,
    items: &[Charged<T>],
    out: &mut Json,
) -> Option<ServerResult<()>> {
    let charges = ctx.data_opt::<Arc<ItemCharges>>()?;
    out.open_list();
    for (index, item) in items.iter().enumerate() {
        out.separate(index);
        // Stops at the first item declined or refused.
        if let Err(error) = charged(ctx, charges, &item.0, out)? {
            return Some(Err(error));
        }
    }
    out.close_list();
    Some(Ok(()))
}

/// The item `value` answered in place and charged what it took.
fn charged<T: Plain + async_graphql::ContainerType>(
    ctx: &Context<'_>,
    charges: &ItemCharges,
    value: &T,
    out: &mut Json,
) -> Option<ServerResult<()>> {
    let before = match charges.open() {
        Ok(before) => before,
        Err(error) => return Some(Err(error)),
    };
    let start = out.len();
    Some(object(ctx, value, out)?.and_then(|()| charges.close(before, out.len() - start)))
}

impl Plain for PageInfo {
    fn plain(&self, ctx: &Context<'_>, out: &mut Json) -> Option<ServerResult<()>> {
        match ctx.item.node.name.node.as_str() {
            "startCursor" => out.text(&self.start_cursor.0),
            "endCursor" => out.text(&self.end_cursor.0),
            "hasNextPage" => out.boolean(self.has_next_page),
            _ => return None,
        }
        Some(Ok(()))
    }
}
