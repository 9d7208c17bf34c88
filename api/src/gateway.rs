//! The Gateway: who is calling, with which scopes, for which tenant. Callers present a bearer
//! token; tokens are known only by their SHA-256 digests. The `Tenant` header names the tenant by
//! its external id, which resolves to the tenant's namespace.

use std::{collections::BTreeSet, sync::Arc};

use axum::http::HeaderMap;
use compass_crds::{
    Tenant,
    conditions::{READY, is_true_for},
    is_system_namespace,
};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::errors::{ApiResult, Code, error};

/// Which tenants a caller may act in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TenantAccess {
    /// Every tenant.
    All,
    /// Only the tenants with these external ids.
    Only(BTreeSet<String>),
}

/// A user known by the digest of its token, as in the original's static users file.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StaticUser {
    /// Name, reported by `viewer`.
    pub name: String,
    /// Hexadecimal SHA-256 digest of the user's bearer token.
    pub token_sha256: String,
    /// Scopes the user holds.
    pub scopes: BTreeSet<String>,
    /// External ids of the tenants the user may act in; `*` for all.
    pub tenants: BTreeSet<String>,
}

#[derive(Deserialize)]
struct UsersFile {
    users: Vec<StaticUser>,
}

/// Parses a static users file (`users: [{name, tokenSha256, scopes, tenants}]`).
pub fn parse_users(text: &str) -> Result<Vec<StaticUser>, String> {
    serde_yaml::from_str::<UsersFile>(text)
        .map(|file| file.users)
        .map_err(|e| format!("the static users file is not valid: {e}"))
}

/// The authenticated caller of one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// Who: the user's name.
    pub id: String,
    /// The caller's scopes.
    pub scopes: BTreeSet<String>,
    /// The tenants the caller may act in.
    pub tenants: TenantAccess,
    /// The external tenant id from the `Tenant` header.
    pub tenant: Option<String>,
}

/// Authenticates requests.
#[derive(Clone, Debug, Default)]
pub struct Gateway {
    users: Arc<Vec<StaticUser>>,
}

/// The hexadecimal SHA-256 digest of a token.
pub fn digest(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Gateway {
    /// A gateway knowing these users.
    pub fn new(users: Vec<StaticUser>) -> Self {
        Self {
            users: Arc::new(users),
        }
    }

    /// The caller presenting the request's bearer token, or `None`.
    pub fn authenticate(&self, headers: &HeaderMap) -> Option<Caller> {
        let token = bearer_token(headers)?;
        let presented = digest(token);
        let user = self
            .users
            .iter()
            .find(|u| constant_time_eq(u.token_sha256.as_bytes(), presented.as_bytes()))?;
        let tenant = headers
            .get("tenant")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .filter(|t| !t.is_empty());
        let tenants = if user.tenants.contains("*") {
            TenantAccess::All
        } else {
            TenantAccess::Only(user.tenants.clone())
        };
        Some(Caller {
            id: user.name.clone(),
            scopes: user.scopes.clone(),
            tenants,
            tenant,
        })
    }
}

impl Caller {
    /// Whether the caller may act in the tenant its `Tenant` header names (true without a header).
    pub fn may_use_named_tenant(&self) -> bool {
        self.tenant
            .as_deref()
            .is_none_or(|external| self.may_use(external))
    }

    /// Whether the caller may act in the tenant with this external id.
    pub fn may_use(&self, external_id: &str) -> bool {
        match &self.tenants {
            TenantAccess::All => true,
            TenantAccess::Only(allowed) => allowed.contains(external_id),
        }
    }
}

/// The token of an `Authorization: Bearer <token>` header. The scheme is case-insensitive, as
/// RFC 9110 says of every authentication scheme.
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.trim_start().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

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
    use axum::http::HeaderValue;

    use super::*;

    fn user(tenants: &[&str]) -> StaticUser {
        StaticUser {
            name: "alice".into(),
            token_sha256: digest("secret-token"),
            scopes: ["application:read".to_owned()].into(),
            tenants: tenants.iter().map(|t| (*t).to_owned()).collect(),
        }
    }

    #[test]
    fn a_known_token_authenticates_and_carries_the_tenant_header() {
        let gateway = Gateway::new(vec![user(&["t1"])]);
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            HeaderValue::from_static("Bearer secret-token"),
        );
        headers.insert("Tenant", HeaderValue::from_static("t1"));
        let caller = gateway.authenticate(&headers).unwrap();
        assert_eq!(
            (caller.id.as_str(), caller.tenant.as_deref()),
            ("alice", Some("t1"))
        );
        headers.insert(
            "authorization",
            HeaderValue::from_static("bEaReR  secret-token"),
        );
        assert!(gateway.authenticate(&headers).is_some());
        headers.insert("authorization", HeaderValue::from_static("Bearer wrong"));
        assert!(gateway.authenticate(&headers).is_none());
        headers.insert(
            "authorization",
            HeaderValue::from_static("Basic secret-token"),
        );
        assert!(gateway.authenticate(&headers).is_none());
    }

    #[test]
    fn users_act_only_in_their_tenants() {
        let caller = |tenant: &str, tenants: &[&str]| Caller {
            id: "alice".into(),
            scopes: BTreeSet::new(),
            tenants: if tenants == ["*"] {
                TenantAccess::All
            } else {
                TenantAccess::Only(tenants.iter().map(|t| (*t).to_owned()).collect())
            },
            tenant: Some(tenant.into()),
        };
        let none = |_: &str| Vec::new();
        let mismatch = resolve_tenant(&caller("t2", &["t1"]), none).unwrap_err();
        assert!(mismatch.message.contains("tenant mismatch"));
        let unknown = resolve_tenant(&caller("t2", &["*"]), none).unwrap_err();
        assert!(unknown.message.contains("Tenant not found"));
        let users = parse_users("users:\n  - name: bob\n    tokenSha256: ab\n    scopes: [runtime:read]\n    tenants: ['*']\n").unwrap();
        assert_eq!(users[0].name, "bob");
    }

    fn tenant(name: &str, namespace: &str, ready: bool) -> Arc<Tenant> {
        use compass_crds::{TenantSpec, TenantStatus};
        use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
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
                message: String::new(),
                last_transition_time: Time(jiff::Timestamp::UNIX_EPOCH),
                observed_generation: Some(1),
            }],
            namespace: Some(namespace.into()),
        });
        Arc::new(tenant)
    }

    #[test]
    fn only_the_one_ready_tenant_answers_to_an_external_id() {
        let caller = Caller {
            id: "alice".into(),
            scopes: BTreeSet::new(),
            tenants: TenantAccess::All,
            tenant: Some("ext".into()),
        };
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
