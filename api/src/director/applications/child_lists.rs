//! The list edits every child mutation is made of: add (refused when the name is taken), replace
//! and remove one entry of a list in an Application's spec, each a read-modify-write of the whole
//! list; and asking the operator to fetch specs and documents again.

use std::sync::Arc;

use async_graphql::Context;
use compass_crds::{Application, ApplicationSpec, well_known::REFETCH_ANNOTATION};
use serde::Serialize;
use serde_json::{Value, json};

use super::{
    edit::{edit, to_json},
    owned::Owned,
};
use crate::errors::{ApiResult, Code, error, invalid, not_found};

/// One list of an application's spec: where it is, its JSON name, and each entry's key.
pub struct List<T: 'static> {
    /// The list in a spec.
    pub of: fn(&ApplicationSpec) -> &Vec<T>,
    /// Its field name in the spec.
    pub field: &'static str,
    /// An entry's name (or title).
    pub key: fn(&T) -> &str,
    /// What an entry is called in errors.
    pub what: &'static str,
}

fn patch_of<T: Serialize>(list: &List<T>, items: &[T]) -> ApiResult<Value> {
    Ok(json!({ "spec": { list.field: to_json(&items)? } }))
}

/// Adds `item` (named by `name(current)`) to `list`; refused when an entry has that name.
pub async fn add<T: Clone + Serialize>(
    ctx: &Context<'_>,
    application: Arc<Application>,
    owned: Owned,
    list: &List<T>,
    item: impl Fn(&Application) -> T,
) -> ApiResult<(Arc<Application>, String)> {
    let added = std::sync::Mutex::new(String::new());
    let (_, after) = edit(ctx, application, owned, |current| {
        let mut items = (list.of)(&current.spec).clone();
        let new = item(current);
        let name = (list.key)(&new).to_owned();
        if items.iter().any(|i| (list.key)(i) == name) {
            return Err(error(
                Code::NotUnique,
                format!(
                    "Object name is not unique [object={}; name={name}]",
                    list.what
                ),
            ));
        }
        items.push(new);
        *added.lock().unwrap_or_else(|p| p.into_inner()) = name;
        patch_of(list, &items)
    })
    .await?;
    let name = added.into_inner().unwrap_or_else(|p| p.into_inner());
    Ok((after, name))
}

/// Replaces the entry `name` of `list` with `replace(current entry)`.
pub async fn replace<T: Clone + Serialize>(
    ctx: &Context<'_>,
    application: Arc<Application>,
    owned: Owned,
    list: &List<T>,
    name: &str,
    replace: impl Fn(&T) -> ApiResult<T>,
) -> ApiResult<(Arc<Application>, Arc<Application>)> {
    edit(ctx, application, owned, |current| {
        let mut items = (list.of)(&current.spec).clone();
        let position = items
            .iter()
            .position(|i| (list.key)(i) == name)
            .ok_or_else(|| not_found(list.what, name))?;
        items[position] = replace(&items[position])?;
        patch_of(list, &items)
    })
    .await
}

/// Removes the entry `name` of `list`; returns the application before and after.
pub async fn remove<T: Clone + Serialize>(
    ctx: &Context<'_>,
    application: Arc<Application>,
    list: &List<T>,
    name: &str,
) -> ApiResult<(Arc<Application>, Arc<Application>)> {
    edit(ctx, application, Owned::default(), |current| {
        let mut items = (list.of)(&current.spec).clone();
        let position = items
            .iter()
            .position(|i| (list.key)(i) == name)
            .ok_or_else(|| not_found(list.what, name))?;
        items.remove(position);
        patch_of(list, &items)
    })
    .await
}

/// Asks the operator to fetch the application's specs and documents again.
pub async fn request_refetch(
    ctx: &Context<'_>,
    application: Arc<Application>,
) -> ApiResult<Arc<Application>> {
    let value = format!(
        "{}-{}",
        jiff::Timestamp::now(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );
    let patch = json!({ "metadata": { "annotations": { REFETCH_ANNOTATION: value } } });
    let (_, after) = edit(ctx, application, Owned::default(), |_| Ok(patch.clone())).await?;
    Ok(after)
}

/// Definitions and documents keep their names: their ids derive from them.
pub fn refuse_child_rename(field: &str, current: &str, wanted: &str) -> ApiResult<()> {
    if current != wanted {
        return Err(invalid(
            field,
            format!(
                "cannot rename {current} to {wanted}: its id derives from its name; delete it and add a new one instead"
            ),
        ));
    }
    Ok(())
}
