//! Deletion held while other objects refer to an object, as the original's foreign keys refused
//! it: a finalizer on every such object, released once nothing refers to it, and an `InUse`
//! condition naming who still does. The finalizer is changed with JSON patches that test the
//! current list first, so another controller's finalizer is never lost; the same JSON patch
//! helpers serve the SystemAuth controller's edits of what the Connector recorded.

use kube::{
    Api, Resource, ResourceExt,
    api::{Patch, PatchParams},
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use super::error::Result;

/// Condition type saying whether other objects still refer to the object.
pub const IN_USE: &str = "InUse";
/// Most referring objects an `InUse` message names.
pub const MAX_NAMED: usize = 10;

/// Adds `finalizer` unless the object has it (or is being deleted, when no finalizer may be
/// added). Returns whether it patched.
pub async fn ensure_finalizer<K>(api: &Api<K>, object: &K, finalizer: &str) -> Result<bool>
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug,
{
    if object.meta().deletion_timestamp.is_some()
        || object.finalizers().iter().any(|f| f == finalizer)
    {
        return Ok(false);
    }
    let patch = if object.finalizers().is_empty() {
        json!([
            { "op": "test", "path": "/metadata/finalizers", "value": null },
            { "op": "add", "path": "/metadata/finalizers", "value": [finalizer] },
        ])
    } else {
        json!([
            { "op": "test", "path": "/metadata/finalizers", "value": object.finalizers() },
            { "op": "add", "path": "/metadata/finalizers/-", "value": finalizer },
        ])
    };
    json_patch(api, &object.name_any(), patch).await?;
    Ok(true)
}

/// Removes `finalizer`, letting a deleted object go. An object already gone is fine.
pub async fn release_finalizer<K>(api: &Api<K>, object: &K, finalizer: &str) -> Result<()>
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug,
{
    let Some(index) = object.finalizers().iter().position(|f| f == finalizer) else {
        return Ok(());
    };
    let path = format!("/metadata/finalizers/{index}");
    let patch = json!([
        { "op": "test", "path": path, "value": finalizer },
        { "op": "remove", "path": path },
    ]);
    match json_patch(api, &object.name_any(), patch).await {
        Err(super::error::Error::Kube(kube::Error::Api(status))) if status.code == 404 => Ok(()),
        other => other,
    }
}

/// Sends a JSON patch (RFC 6902) to an object.
pub async fn json_patch<K>(api: &Api<K>, name: &str, patch: Value) -> Result<()>
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug,
{
    let patch = Patch::<()>::Json(serde_json::from_value(patch)?);
    api.patch(name, &PatchParams::default(), &patch).await?;
    Ok(())
}

/// Sends a JSON patch (RFC 6902) to an object's status.
pub async fn json_patch_status<K>(api: &Api<K>, name: &str, patch: Value) -> Result<()>
where
    K: Resource + Clone + DeserializeOwned + std::fmt::Debug,
{
    let patch = Patch::<()>::Json(serde_json::from_value(patch)?);
    api.patch_status(name, &PatchParams::default(), &patch)
        .await?;
    Ok(())
}

/// Names the first [`MAX_NAMED`] of `users`, and how many more there are:
/// `Application/orders, Runtime/prod-eu and 3 more`.
pub fn name_users(users: &[String]) -> String {
    let named = users
        .iter()
        .take(MAX_NAMED)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    match users.len().saturating_sub(MAX_NAMED) {
        0 => named,
        more => format!("{named} and {more} more"),
    }
}

/// A count with its noun: `1 application`, `2 applications`.
pub fn counted(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_as_english() {
        assert_eq!(counted(1, "runtime"), "1 runtime");
        assert_eq!(counted(0, "runtime"), "0 runtimes");
        assert_eq!(counted(2, "application"), "2 applications");
    }

    #[test]
    fn up_to_ten_users_are_named_and_the_rest_counted() {
        let users: Vec<String> = (1..=12).map(|i| format!("Application/app-{i}")).collect();
        assert_eq!(
            name_users(&users[..2]),
            "Application/app-1, Application/app-2"
        );
        let named = name_users(&users);
        assert!(named.ends_with("Application/app-10 and 2 more"), "{named}");
        assert!(!named.contains("app-11"));
    }
}
