//! Namespace lifecycle rules that apply to every namespaced write: the namespace must exist and
//! must not be terminating.

use super::{ServerState, Target};
use crate::{
    errors::{ApiError, ApiResult, Qualified},
    store::ObjectKey,
};

/// Checks that the object `name` may be created in the target's namespace.
pub fn check_can_create(state: &ServerState, target: &Target, name: &str) -> ApiResult<()> {
    if !target.served.info.namespaced {
        return Ok(());
    }
    let Some(namespace) = target.namespace.as_deref() else {
        return Err(ApiError::bad_request(
            "the namespace of the object is required",
        ));
    };
    let key = ObjectKey {
        resource: "/namespaces".into(),
        namespace: String::new(),
        name: namespace.to_owned(),
    };
    match state.store.get(&key) {
        None => Err(ApiError::not_found(
            Qualified {
                group: "",
                name: "namespaces",
            },
            namespace,
        )),
        Some(stored) if stored.meta.deleting => Err(ApiError::forbidden(format!(
            "{} \"{}\" is forbidden: unable to create new content in namespace {namespace} because it is being terminated",
            target.served.info.qualified_resource(),
            name,
        ))),
        Some(_) => Ok(()),
    }
}
