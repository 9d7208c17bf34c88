//! Writes refused before any object is read: the workload kinds, which are only listed unless
//! the server stores them, and a server-side apply that would create an object its user may only
//! patch.

use super::super::{ServerState, Target};
use crate::{
    auth::user::UserInfo,
    errors::{ApiError, ApiResult},
    rbac::{
        self,
        attributes::{Attributes, ResourceRequest},
    },
    registry::Behaviour,
};

/// Refuses writes of the workload kinds, which are listed (always empty) only so that tools
/// such as `kubectl apply --prune` work, unless the server stores them
/// ([`store_workloads`](crate::ServerOptions::store_workloads)). Checked before a body is
/// decoded, so that kubectl's protobuf bodies get this answer too.
pub fn refuse_workloads(state: &ServerState, target: &Target) -> ApiResult<()> {
    let served = &target.served;
    if served.behaviour != Behaviour::Workload || state.options.store_workloads {
        return Ok(());
    }
    Err(ApiError::method_not_allowed(format!(
        "{} cannot be created here: this control plane runs no workloads; it lists them (always \
         empty) only so that tools such as kubectl apply --prune work",
        served.info.qualified_resource()
    )))
}

/// A server-side apply that creates the object was authorized as a `patch`; like kube-apiserver,
/// it also needs `create` on the object, so a grant to patch (or to patch one name) is never a
/// grant to create.
pub(super) fn authorize_create(
    state: &ServerState,
    user: &UserInfo,
    target: &Target,
    name: &str,
) -> ApiResult<()> {
    let info = &target.served.info;
    // A Namespace is requested in itself, as the request's own attributes have it.
    let namespace = match target.served.behaviour {
        Behaviour::Namespace => name.to_owned(),
        _ => target.namespace.clone().unwrap_or_default(),
    };
    let attributes = Attributes {
        verb: "create".into(),
        target: rbac::attributes::Target::Resource(ResourceRequest {
            namespace,
            group: info.group.clone(),
            version: info.version.clone(),
            resource: info.plural.clone(),
            subresource: String::new(),
            name: name.to_owned(),
        }),
    };
    match state.authorizer.decide(&state.store, user, &attributes) {
        Some(_) => Ok(()),
        None => Err(rbac::forbidden(user, &attributes)),
    }
}
