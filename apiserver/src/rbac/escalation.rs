//! Escalation prevention, which kube-apiserver enforces on every write of an RBAC object: a user
//! may create or update a Role or ClusterRole only with rules it holds itself at that scope (or
//! with the `escalate` verb on it), and a binding only to a role whose rules it holds there (or
//! with the `bind` verb on that role). Deletes and writes that leave the grants alone pass.

use k8s_openapi::api::rbac::v1::{PolicyRule, RoleRef};
use serde_json::Value;

use super::{
    Authorizer,
    attributes::{Attributes, ResourceRequest, Target},
    rules,
};
use crate::{
    auth::user::UserInfo,
    errors::{ApiError, ApiResult, Qualified},
    registry::{Behaviour, builtin::RBAC_GROUP},
    store::Store,
};

/// What a write of an RBAC object is checked against.
pub struct Write<'a> {
    /// Who writes.
    pub user: &'a UserInfo,
    /// Which kind.
    pub behaviour: Behaviour,
    /// The object's namespace; empty for cluster-scoped kinds.
    pub namespace: &'a str,
    /// The object before the write, for updates.
    pub old: Option<&'a Value>,
    /// The object as it would be stored.
    pub new: &'a Value,
    /// The object's name in the request's path; empty for a create by POST, so that an
    /// `escalate` or `bind` limited to names never covers a create, as in kube-apiserver.
    pub path_name: &'a str,
}

/// Refuses the write with 403 when it would grant more than the writer holds.
pub fn check(authorizer: &Authorizer, store: &Store, write: &Write<'_>) -> ApiResult<()> {
    if write.user.is_superuser() {
        return Ok(());
    }
    match write.behaviour {
        Behaviour::Role | Behaviour::ClusterRole => check_role(authorizer, store, write),
        Behaviour::RoleBinding | Behaviour::ClusterRoleBinding => {
            check_binding(authorizer, store, write)
        }
        _ => Ok(()),
    }
}

/// Whether the write changes nothing but what garbage collection manages (owner references and
/// finalizers): only then does kube-apiserver skip the check. Any other change, a label
/// included, is checked: a label can pull a role into an aggregated one.
fn only_gc_fields_change(write: &Write<'_>) -> bool {
    let Some(old) = write.old else {
        return false;
    };
    let strip = |object: &Value| {
        let mut object = object.clone();
        if let Some(metadata) = object["metadata"].as_object_mut() {
            for field in [
                "ownerReferences",
                "finalizers",
                "resourceVersion",
                "managedFields",
                "generation",
            ] {
                metadata.remove(field);
            }
        }
        object
    };
    strip(old) == strip(write.new)
}

fn check_role(authorizer: &Authorizer, store: &Store, write: &Write<'_>) -> ApiResult<()> {
    if only_gc_fields_change(write) {
        return Ok(());
    }
    let (plural, name) = names(write);
    let resource = qualified(plural);
    let granted: Vec<PolicyRule> =
        serde_json::from_value(write.new["rules"].clone()).unwrap_or_default();
    if rules::grant_count(&granted) > rules::MAX_GRANTS {
        return Err(ApiError::forbidden_about(
            resource,
            name,
            &format!(
                "its rules grant more than {} single permissions; write fewer, wider rules (with '*')",
                rules::MAX_GRANTS
            ),
        ));
    }
    let escalate = request("escalate", plural, write.namespace, write.path_name);
    if authorizer.decide(store, write.user, &escalate).is_some() {
        return Ok(());
    }
    let held = authorizer
        .policy(store)
        .rules_for(write.user, write.namespace);
    let aggregates =
        |object: Option<&Value>| object.is_some_and(|o| !o["aggregationRule"].is_null());
    if (aggregates(Some(write.new)) || aggregates(write.old))
        && !rules::uncovered(&held, &full_authority()).is_empty()
    {
        return Err(ApiError::forbidden_about(
            resource,
            name,
            "must have cluster-admin privileges to use the aggregationRule",
        ));
    }
    not_held(write.user, resource, name, &held, &granted)
}

fn check_binding(authorizer: &Authorizer, store: &Store, write: &Write<'_>) -> ApiResult<()> {
    if only_gc_fields_change(write) {
        return Ok(());
    }
    let (plural, name) = names(write);
    let resource = qualified(plural);
    let Ok(role_ref) = serde_json::from_value::<RoleRef>(write.new["roleRef"].clone()) else {
        // Validation reports a malformed roleRef with the field's name.
        return Ok(());
    };
    let role_plural = if role_ref.kind == "ClusterRole" {
        "clusterroles"
    } else {
        "roles"
    };
    let bind = request("bind", role_plural, write.namespace, &role_ref.name);
    if authorizer.decide(store, write.user, &bind).is_some() {
        return Ok(());
    }
    let policy = authorizer.policy(store);
    let Some(granted) = policy.role_rules(&role_ref, write.namespace) else {
        let why = format!("{}.{RBAC_GROUP} {:?} not found", role_plural, role_ref.name);
        return Err(ApiError::forbidden_about(resource, name, &why));
    };
    let held = policy.rules_for(write.user, write.namespace);
    not_held(write.user, resource, name, &held, granted)
}

/// 403 naming every grant in `granted` that `held` lacks; Ok when there is none.
fn not_held(
    user: &UserInfo,
    resource: Qualified<'_>,
    name: &str,
    held: &[PolicyRule],
    granted: &[PolicyRule],
) -> ApiResult<()> {
    let missing = rules::uncovered(held, granted);
    if missing.is_empty() {
        return Ok(());
    }
    let listed: Vec<String> = missing.iter().map(rules::describe).collect();
    let groups: Vec<String> = user.groups.iter().map(|g| format!("{g:?}")).collect();
    let why = format!(
        "user {:?} (groups=[{}]) is attempting to grant RBAC permissions not currently held:\n{}",
        user.name,
        groups.join(" "),
        listed.join("\n")
    );
    Err(ApiError::forbidden_about(resource, name, &why))
}

fn names<'a>(write: &'a Write<'_>) -> (&'static str, &'a str) {
    let plural = match write.behaviour {
        Behaviour::Role => "roles",
        Behaviour::ClusterRole => "clusterroles",
        Behaviour::RoleBinding => "rolebindings",
        _ => "clusterrolebindings",
    };
    (
        plural,
        write.new["metadata"]["name"].as_str().unwrap_or_default(),
    )
}

fn qualified(plural: &str) -> Qualified<'_> {
    Qualified {
        group: RBAC_GROUP,
        name: plural,
    }
}

/// The attributes of the `escalate` or `bind` check on one role.
fn request(verb: &str, plural: &str, namespace: &str, name: &str) -> Attributes {
    Attributes {
        verb: verb.into(),
        target: Target::Resource(ResourceRequest {
            namespace: namespace.into(),
            group: RBAC_GROUP.into(),
            version: "v1".into(),
            resource: plural.into(),
            subresource: String::new(),
            name: name.into(),
        }),
    }
}

/// Every verb on everything: what an aggregation rule could pull in.
pub fn full_authority() -> Vec<PolicyRule> {
    let all = || Some(vec![rules::ALL.to_owned()]);
    vec![
        PolicyRule {
            api_groups: all(),
            resources: all(),
            verbs: vec![rules::ALL.into()],
            ..PolicyRule::default()
        },
        PolicyRule {
            non_resource_urls: all(),
            verbs: vec![rules::ALL.into()],
            ..PolicyRule::default()
        },
    ]
}
