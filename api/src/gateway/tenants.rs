//! Which tenant a request acts in: the `Tenant` header's external id, resolved to the one Ready
//! tenant carrying it, within the tenants the caller may use.

use std::sync::Arc;

use compass_crds::{
    Tenant,
    conditions::{READY, is_true_for},
    is_system_namespace,
};

use super::{Caller, TenantAccess};
use crate::errors::{ApiResult, Code, error};

/// The tenant a request acts in.
#[derive(Clone, Debug)]
pub struct TenantScope {
    /// The Tenant object.
    pub tenant: Arc<Tenant>,
    /// Its namespace, where its objects live.
    pub namespace: String,
}

/// Resolves the caller's `Tenant` header against the tenants carrying that external id. Only a
/// tenant the operator found sound answers: exactly one Tenant with the id must be `Ready` (a
/// duplicate of the id, or a tenant whose namespace belongs to someone else, is not), and its
/// namespace is never one of the system's own.
pub fn resolve_tenant(
    caller: &Caller,
    candidates: impl Fn(&str) -> Vec<Arc<Tenant>>,
) -> ApiResult<TenantScope> {
    let Some(external) = caller.tenant.as_deref() else {
        return Err(error(
            Code::TenantRequired,
            "Tenant not found: the Tenant header is required",
        ));
    };
    if let TenantAccess::Only(allowed) = &caller.tenants
        && !allowed.contains(external)
    {
        return Err(error(
            Code::TenantMismatch,
            format!(
                "tenant mismatch: {} may not act in tenant {external}",
                caller.id
            ),
        ));
    }
    let not_found = |why: &str| {
        error(
            Code::TenantNotFound,
            format!("Tenant not found [externalTenant={external}]{why}"),
        )
    };
    let all = candidates(external);
    let mut ready = all.iter().filter(|t| serving(t));
    let (Some(tenant), None) = (ready.next(), ready.next()) else {
        return Err(match all.len() {
            0 => not_found(""),
            _ => not_found(": no Tenant with this external id is Ready"),
        });
    };
    let namespace = tenant
        .status
        .as_ref()
        .and_then(|s| s.namespace.clone())
        .unwrap_or_else(|| tenant.namespace_name().to_owned());
    if is_system_namespace(&namespace) {
        return Err(not_found(": its namespace is a system namespace"));
    }
    Ok(TenantScope {
        tenant: tenant.clone(),
        namespace,
    })
}

/// Whether the operator found `tenant` sound for its current spec: `Ready`, for this generation.
fn serving(tenant: &Tenant) -> bool {
    tenant
        .status
        .as_ref()
        .is_some_and(|status| is_true_for(&status.conditions, READY, tenant.metadata.generation))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::gateway::ConsumerKind;

    fn caller(tenant: &str, tenants: &[&str]) -> Caller {
        Caller {
            id: "alice".into(),
            client_id: None,
            kind: ConsumerKind::User,
            scopes: BTreeSet::new(),
            tenants: if tenants == ["*"] {
                TenantAccess::All
            } else {
                TenantAccess::Only(tenants.iter().map(|t| (*t).to_owned()).collect())
            },
            tenant: Some(tenant.into()),
        }
    }

    #[test]
    fn users_act_only_in_their_tenants() {
        let none = |_: &str| Vec::new();
        let mismatch = resolve_tenant(&caller("t2", &["t1"]), none).unwrap_err();
        assert!(mismatch.message.contains("tenant mismatch"));
        let unknown = resolve_tenant(&caller("t2", &["*"]), none).unwrap_err();
        assert!(unknown.message.contains("Tenant not found"));
    }

    fn tenant(name: &str, namespace: &str, ready: bool) -> Arc<Tenant> {
        use compass_crds::{TenantSpec, TenantStatus, conditions::Condition};
        use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
        let mut tenant = Tenant::new(
            name,
            TenantSpec {
                external_id: "ext".into(),
                display_name: None,
                provider: None,
                namespace: Some(namespace.into()),
            },
        );
        tenant.metadata.generation = Some(1);
        tenant.status = Some(TenantStatus {
            observed_generation: Some(1),
            conditions: vec![Condition {
                type_: READY.into(),
                status: if ready { "True" } else { "False" }.into(),
                reason: "Test".into(),
                message: "".into(),
                last_transition_time: Time(jiff::Timestamp::UNIX_EPOCH),
                observed_generation: Some(1),
            }],
            namespace: Some(namespace.into()),
        });
        Arc::new(tenant)
    }

    #[test]
    fn only_the_one_ready_tenant_answers_to_an_external_id() {
        let caller = caller("ext", &["*"]);
        let rightful = tenant("acme", "acme", true);
        let duplicate = tenant("acme-copy", "acme-copy", false);
        let scope = resolve_tenant(&caller, |_| vec![duplicate.clone(), rightful.clone()]).unwrap();
        assert_eq!(scope.namespace, "acme");
        let error = resolve_tenant(&caller, |_| vec![duplicate.clone()]).unwrap_err();
        assert!(error.message.contains("is Ready"), "{}", error.message);
        let twins = resolve_tenant(&caller, |_| vec![rightful.clone(), rightful.clone()]);
        assert!(twins.is_err(), "two Ready tenants are ambiguous");
        let system = tenant("sys", "kube-flow", true);
        assert!(resolve_tenant(&caller, |_| vec![system.clone()]).is_err());
    }
}
