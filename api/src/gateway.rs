//! The Gateway: who is calling, with which scopes, for which tenant. Callers present a bearer
//! token; tokens are known only by their SHA-256 digests. The `Tenant` header names the tenant by
//! its external id, which resolves to the tenant's namespace.

use std::{collections::BTreeSet, sync::Arc};

use axum::http::HeaderMap;
use compass_crds::Tenant;
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
        let token = headers
            .get(axum::http::header::AUTHORIZATION)?
            .to_str()
            .ok()?
            .strip_prefix("Bearer ")?
            .trim();
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
        match (&self.tenants, &self.tenant) {
            (TenantAccess::Only(allowed), Some(external)) => allowed.contains(external),
            _ => true,
        }
    }
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

/// Resolves the caller's `Tenant` header against the known tenants.
pub fn resolve_tenant(
    caller: &Caller,
    find: impl Fn(&str) -> Option<Arc<Tenant>>,
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
    let tenant = find(external).ok_or_else(|| {
        error(
            Code::TenantNotFound,
            format!("Tenant not found [externalTenant={external}]"),
        )
    })?;
    let namespace = tenant
        .status
        .as_ref()
        .and_then(|s| s.namespace.clone())
        .unwrap_or_else(|| tenant.namespace_name().to_owned());
    Ok(TenantScope { tenant, namespace })
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
        headers.insert("authorization", HeaderValue::from_static("Bearer wrong"));
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
        let none = |_: &str| None;
        let mismatch = resolve_tenant(&caller("t2", &["t1"]), none).unwrap_err();
        assert!(mismatch.message.contains("tenant mismatch"));
        let unknown = resolve_tenant(&caller("t2", &["*"]), none).unwrap_err();
        assert!(unknown.message.contains("Tenant not found"));
        let users = parse_users("users:\n  - name: bob\n    tokenSha256: ab\n    scopes: [runtime:read]\n    tenants: ['*']\n").unwrap();
        assert_eq!(users[0].name, "bob");
    }
}
