//! The RBAC objects as the authorizer reads them: every Role, ClusterRole and binding, parsed
//! once into a [`Policy`] and rebuilt only when one of them changed, so a request costs a few map
//! lookups rather than a parse of every binding.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use k8s_openapi::api::rbac::v1::{ClusterRole, PolicyRule, Role, RoleRef, Subject};
use serde::de::DeserializeOwned;

use super::{
    attributes::Attributes,
    rules::{self},
};
use crate::{
    auth::user::{UserInfo, service_account_user},
    store::Store,
};

/// Storage keys of the RBAC kinds.
pub mod keys {
    /// Roles.
    pub const ROLES: &str = "rbac.authorization.k8s.io/roles";
    /// ClusterRoles.
    pub const CLUSTER_ROLES: &str = "rbac.authorization.k8s.io/clusterroles";
    /// RoleBindings.
    pub const ROLE_BINDINGS: &str = "rbac.authorization.k8s.io/rolebindings";
    /// ClusterRoleBindings.
    pub const CLUSTER_ROLE_BINDINGS: &str = "rbac.authorization.k8s.io/clusterrolebindings";
    /// All four.
    pub const ALL: [&str; 4] = [ROLES, CLUSTER_ROLES, ROLE_BINDINGS, CLUSTER_ROLE_BINDINGS];
}

/// A RoleBinding or ClusterRoleBinding, reduced to what decisions need.
#[derive(Clone, Debug)]
pub struct Binding {
    /// Its name.
    pub name: String,
    /// Its namespace; empty for a ClusterRoleBinding.
    pub namespace: String,
    /// The role it grants.
    pub role_ref: RoleRef,
    /// Whom it grants it to.
    pub subjects: Vec<Subject>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct AnyBinding {
    metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    role_ref: RoleRef,
    #[serde(default)]
    subjects: Option<Vec<Subject>>,
}

/// Every RBAC object at one point in time.
#[derive(Default)]
pub struct Policy {
    cluster_roles: HashMap<String, Vec<PolicyRule>>,
    roles: HashMap<(String, String), Vec<PolicyRule>>,
    cluster_bindings: Vec<Binding>,
    bindings: HashMap<String, Vec<Binding>>,
}

fn parse_all<T: DeserializeOwned>(store: &Store, key: &str) -> Vec<T> {
    let page = store.list_all(key, None);
    page.items
        .iter()
        .filter_map(|(_, stored)| serde_json::from_slice(&stored.packed.json()).ok())
        .collect()
}

impl Policy {
    /// Reads every RBAC object from the store.
    pub fn load(store: &Store) -> Self {
        let mut policy = Self::default();
        for role in parse_all::<ClusterRole>(store, keys::CLUSTER_ROLES) {
            let name = role.metadata.name.unwrap_or_default();
            policy
                .cluster_roles
                .insert(name, role.rules.unwrap_or_default());
        }
        for role in parse_all::<Role>(store, keys::ROLES) {
            let key = (
                role.metadata.namespace.unwrap_or_default(),
                role.metadata.name.unwrap_or_default(),
            );
            policy.roles.insert(key, role.rules.unwrap_or_default());
        }
        let binding = |b: AnyBinding| Binding {
            name: b.metadata.name.unwrap_or_default(),
            namespace: b.metadata.namespace.unwrap_or_default(),
            role_ref: b.role_ref,
            subjects: b.subjects.unwrap_or_default(),
        };
        policy.cluster_bindings = parse_all::<AnyBinding>(store, keys::CLUSTER_ROLE_BINDINGS)
            .into_iter()
            .map(binding)
            .collect();
        for parsed in parse_all::<AnyBinding>(store, keys::ROLE_BINDINGS) {
            let parsed = binding(parsed);
            policy
                .bindings
                .entry(parsed.namespace.clone())
                .or_default()
                .push(parsed);
        }
        policy
    }

    /// The rules a role reference grants: a ClusterRole, or a Role in `namespace`.
    pub fn role_rules(&self, role_ref: &RoleRef, namespace: &str) -> Option<&[PolicyRule]> {
        match role_ref.kind.as_str() {
            "ClusterRole" => self.cluster_roles.get(&role_ref.name),
            "Role" => self
                .roles
                .get(&(namespace.to_owned(), role_ref.name.clone())),
            _ => None,
        }
        .map(Vec::as_slice)
    }

    /// Calls `visit` with every binding that applies to `user` in `namespace` (cluster-wide ones
    /// always, RoleBindings of `namespace` when it is not empty) and the rules it grants, until
    /// `visit` returns true; returns whether it did.
    pub fn visit(
        &self,
        user: &UserInfo,
        namespace: &str,
        mut visit: impl FnMut(&Binding, &[PolicyRule]) -> bool,
    ) -> bool {
        let local = (!namespace.is_empty())
            .then(|| self.bindings.get(namespace))
            .flatten()
            .into_iter()
            .flatten();
        for binding in self.cluster_bindings.iter().chain(local) {
            if !binding
                .subjects
                .iter()
                .any(|s| applies(s, user, &binding.namespace))
            {
                continue;
            }
            let Some(rules) = self.role_rules(&binding.role_ref, &binding.namespace) else {
                continue;
            };
            if visit(binding, rules) {
                return true;
            }
        }
        false
    }

    /// Every rule `user` holds in `namespace` (cluster-wide rules included).
    pub fn rules_for(&self, user: &UserInfo, namespace: &str) -> Vec<PolicyRule> {
        let mut all = Vec::new();
        self.visit(user, namespace, |_, rules| {
            all.extend_from_slice(rules);
            false
        });
        all
    }

    /// Why RBAC allows the request, or `None` when no rule does.
    pub fn allowed_by(&self, user: &UserInfo, attributes: &Attributes) -> Option<String> {
        let namespace = attributes
            .resource()
            .map(|r| r.namespace.as_str())
            .unwrap_or_default();
        let mut reason = None;
        self.visit(user, namespace, |binding, rules| {
            if !rules.iter().any(|rule| rules::allows(rule, attributes)) {
                return false;
            }
            reason = Some(describe_grant(binding, user));
            true
        });
        reason
    }
}

/// Whether a binding's subject is `user`; a ServiceAccount subject without a namespace is in
/// the binding's.
fn applies(subject: &Subject, user: &UserInfo, binding_namespace: &str) -> bool {
    match subject.kind.as_str() {
        "User" => subject.name == user.name,
        "Group" => user.groups.contains(&subject.name),
        "ServiceAccount" => {
            let namespace = subject
                .namespace
                .as_deref()
                .filter(|ns| !ns.is_empty())
                .unwrap_or(binding_namespace);
            user.name == service_account_user(namespace, &subject.name)
        }
        _ => false,
    }
}

/// `RBAC: allowed by RoleBinding "view/team-a" of ClusterRole "view" to User "alice"`.
fn describe_grant(binding: &Binding, user: &UserInfo) -> String {
    let (kind, name) = if binding.namespace.is_empty() {
        ("ClusterRoleBinding", binding.name.clone())
    } else {
        (
            "RoleBinding",
            format!("{}/{}", binding.name, binding.namespace),
        )
    };
    let subject = binding
        .subjects
        .iter()
        .find(|s| applies(s, user, &binding.namespace))
        .map(|s| format!("{} {:?}", s.kind, s.name))
        .unwrap_or_default();
    format!(
        "RBAC: allowed by {kind} {name:?} of {} {:?} to {subject}",
        binding.role_ref.kind, binding.role_ref.name
    )
}

/// The current [`Policy`], rebuilt when an RBAC object changes.
#[derive(Default)]
pub struct PolicyCache {
    current: Mutex<Option<(u64, Arc<Policy>)>>,
}

impl PolicyCache {
    /// The policy as of the store's latest RBAC change.
    pub fn get(&self, store: &Store) -> Arc<Policy> {
        let changed = store.last_change(&keys::ALL);
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((version, policy)) = current.as_ref()
            && *version == changed
        {
            return policy.clone();
        }
        // NB: a change committed while loading is seen on the next call, since the version is
        // read before the objects.
        let policy = Arc::new(Policy::load(store));
        *current = Some((changed, policy.clone()));
        policy
    }
}
