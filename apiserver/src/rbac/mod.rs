//! Authorization with Role-based access control, as kube-apiserver serves it: the four RBAC kinds
//! grant verbs on resources (and non-resource paths) to users, groups and ServiceAccounts;
//! members of `system:masters` may do everything. What a request asks is derived from it in
//! [`attributes`]; [`rules`] says what a rule allows; [`escalation`] stops users from granting
//! what they do not hold; [`bootstrap`] keeps the default roles and [`aggregation`] fills
//! aggregated ClusterRoles.

pub mod aggregation;
pub mod attributes;
pub mod bootstrap;
pub mod escalation;
mod policy;
pub mod rules;
pub mod validation;

use std::sync::Arc;

pub use policy::{Policy, PolicyCache, keys};

use self::attributes::{Attributes, Target};
use crate::{
    auth::user::UserInfo,
    errors::{ApiError, ApiResult, Qualified},
    store::Store,
};

/// Decides requests against the RBAC objects in the store.
#[derive(Default)]
pub struct Authorizer {
    cache: PolicyCache,
}

impl Authorizer {
    /// The RBAC objects as of now.
    pub fn policy(&self, store: &Store) -> Arc<Policy> {
        self.cache.get(store)
    }

    /// Why `user` may make the request, or `None` when nothing allows it.
    pub fn decide(
        &self,
        store: &Store,
        user: &UserInfo,
        attributes: &Attributes,
    ) -> Option<String> {
        if user.is_superuser() {
            // kube-apiserver's superuser authorizer allows without giving a reason.
            return Some(String::new());
        }
        self.policy(store).allowed_by(user, attributes)
    }

    /// Allows the request or refuses it with kube-apiserver's 403.
    pub fn authorize(
        &self,
        store: &Store,
        user: &UserInfo,
        attributes: &Attributes,
    ) -> ApiResult<()> {
        match self.decide(store, user, attributes) {
            Some(_) => Ok(()),
            None => Err(forbidden(user, attributes)),
        }
    }
}

/// kube-apiserver's refusal: `configmaps is forbidden: User "alice" cannot list resource
/// "configmaps" in API group "" in the namespace "team-a"`.
pub fn forbidden(user: &UserInfo, attributes: &Attributes) -> ApiError {
    let name = &user.name;
    let verb = &attributes.verb;
    match &attributes.target {
        Target::NonResource(path) => ApiError::forbidden(format!(
            "forbidden: User {name:?} cannot {verb} path {path:?}"
        )),
        Target::Resource(request) => {
            let resource = request.combined_resource();
            let group = &request.group;
            let scope = if request.namespace.is_empty() {
                "at the cluster scope".to_owned()
            } else {
                format!("in the namespace {:?}", request.namespace)
            };
            let why = format!(
                "User {name:?} cannot {verb} resource {resource:?} in API group {group:?} {scope}"
            );
            let qualified = Qualified {
                group,
                name: &request.resource,
            };
            ApiError::forbidden_about(qualified, &request.name, &why)
        }
    }
}

#[cfg(test)]
mod tests;
