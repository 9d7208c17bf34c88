//! The Gateway: who is calling, of which kind, with which scopes, for which tenant. Static users
//! present a bearer token known by its digest; applications and runtimes present a client
//! certificate the Connector issued. Identity headers a client could set itself are never read.

pub mod certificates;
mod tenants;
mod users;

use std::{collections::BTreeSet, sync::Arc};

use axum::http::HeaderMap;

use crate::{scopes::ScopesConfig, state::Caches};

pub use tenants::{TenantScope, resolve_tenant};
pub use users::{StaticUser, digest, parse_users};

/// Which tenants a caller may act in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TenantAccess {
    /// Every tenant.
    All,
    /// Only the tenants with these external ids.
    Only(BTreeSet<String>),
}

/// What kind of consumer a caller is, as the original's consumer types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConsumerKind {
    /// A person or tool with a static token (or, later, an OIDC identity).
    User,
    /// An application, by the identity the Connector gave it.
    Application,
    /// A runtime's agent, by the identity the Connector gave it.
    Runtime,
    /// An integration system, by its OAuth client.
    IntegrationSystem,
}

impl ConsumerKind {
    /// The name audit lines and metrics use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Application => "application",
            Self::Runtime => "runtime",
            Self::IntegrationSystem => "integration_system",
        }
    }
}

/// The authenticated caller of one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// Who: a user's name, or the client id (SystemAuth uid) of a system.
    pub id: String,
    /// What kind of consumer it is.
    pub kind: ConsumerKind,
    /// The caller's scopes.
    pub scopes: BTreeSet<String>,
    /// The tenants the caller may act in.
    pub tenants: TenantAccess,
    /// The external tenant id it acts in: from the `Tenant` header, or its own tenant for an
    /// application or runtime that sends none.
    pub tenant: Option<String>,
}

/// Why a request was not authenticated: a short reason for metrics and audit lines, and a
/// message for the caller. Neither ever holds the credential presented.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// `missing_credentials`, `unknown_token`, `revoked`, `expired_certificate`, ...
    pub reason: &'static str,
    /// What the caller is told.
    pub message: String,
}

impl Refusal {
    /// A refusal for `reason`, telling the caller `message`.
    pub fn new(reason: &'static str, message: &str) -> Self {
        Self {
            reason,
            message: message.to_owned(),
        }
    }
}

/// Authenticates requests.
#[derive(Clone)]
pub struct Gateway {
    users: Arc<Vec<StaticUser>>,
    caches: Caches,
    scopes: Arc<ScopesConfig>,
}

impl Gateway {
    /// A gateway knowing these users, and the identities in `caches`, with the fixed scopes of
    /// each kind of system consumer from `scopes`.
    pub fn new(users: Vec<StaticUser>, caches: Caches, scopes: ScopesConfig) -> Self {
        Self {
            users: Arc::new(users),
            caches,
            scopes: Arc::new(scopes),
        }
    }

    /// The caller of a request: by its bearer token when it sends one, else by the client
    /// certificate its connection presented (DER). Headers that claim an identity
    /// (`Client-Id-From-Certificate` and the like) are never read.
    pub fn authenticate(
        &self,
        headers: &HeaderMap,
        certificate: Option<&[u8]>,
    ) -> Result<Caller, Refusal> {
        if let Some(token) = bearer_token(headers) {
            return users::user_with_token(&self.users, token, tenant_header(headers)).ok_or_else(
                || {
                    Refusal::new(
                        "unknown_token",
                        "unauthenticated: the bearer token is not valid",
                    )
                },
            );
        }
        let Some(der) = certificate else {
            return Err(Refusal::new(
                "missing_credentials",
                "unauthenticated: send Authorization: Bearer <token>, or a client certificate issued by the Connector",
            ));
        };
        let now = jiff::Timestamp::now().as_second();
        let identity = certificates::identify(&self.caches, der, now)?;
        let scopes = self.scopes.consumer_scopes(identity.kind());
        certificates::caller_of(&self.caches, &identity, scopes, tenant_header(headers))
    }

    /// The stores identities are checked against.
    pub fn caches(&self) -> &Caches {
        &self.caches
    }
}

/// The external tenant id the `Tenant` header names, if any.
pub fn tenant_header(headers: &HeaderMap) -> Option<String> {
    headers
        .get("tenant")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .filter(|t| !t.is_empty())
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
        let gateway = Gateway::new(
            vec![user(&["t1"])],
            Caches::empty(),
            ScopesConfig::default_config(),
        );
        let mut headers = HeaderMap::new();
        headers.insert(
            "authorization",
            HeaderValue::from_static("Bearer secret-token"),
        );
        headers.insert("Tenant", HeaderValue::from_static("t1"));
        let caller = gateway.authenticate(&headers, None).unwrap();
        assert_eq!(
            (caller.id.as_str(), caller.tenant.as_deref()),
            ("alice", Some("t1"))
        );
        headers.insert(
            "authorization",
            HeaderValue::from_static("bEaReR  secret-token"),
        );
        assert!(gateway.authenticate(&headers, None).is_ok());
        headers.insert("authorization", HeaderValue::from_static("Bearer wrong"));
        assert!(gateway.authenticate(&headers, None).is_err());
        headers.insert(
            "authorization",
            HeaderValue::from_static("Basic secret-token"),
        );
        assert!(gateway.authenticate(&headers, None).is_err());
    }
}
