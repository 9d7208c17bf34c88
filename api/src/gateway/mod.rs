//! The Gateway: who is calling, of which kind, with which scopes, for which tenant. Static users
//! present a bearer token known by its digest; applications, runtimes and integration systems an
//! access token of the Gateway's own token endpoint (their OAuth client credentials);
//! applications and runtimes a client certificate the Connector issued; people of an external
//! identity provider its JWT (OIDC). Identity headers a client could set itself are never read.

mod access_tokens;
pub mod certificates;
pub mod oidc;
mod tenants;
mod users;

use std::{collections::BTreeSet, sync::Arc};

use axum::http::HeaderMap;
use compass_apiserver::jwk::Unverified;
use compass_crds::SubjectKind;

use crate::{oauth::Issuer, scopes::ScopesConfig, state::Caches};

pub use tenants::{TenantScope, resolve_tenant};
pub(crate) use users::constant_time_eq;
pub use users::{StaticUser, digest, parse_users};

/// Which tenants a caller may act in.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TenantAccess {
    /// Every tenant.
    All,
    /// Only the tenants with these external ids.
    Only(BTreeSet<String>),
}

/// What kind of consumer a caller is, as the original's consumer types.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ConsumerKind {
    /// A person or tool with a static token or an OIDC identity.
    User,
    /// An application, by the identity the Connector gave it.
    Application,
    /// A runtime's agent, by the identity the Connector gave it.
    Runtime,
    /// An integration system, by its OAuth client.
    IntegrationSystem,
}

impl From<SubjectKind> for ConsumerKind {
    fn from(kind: SubjectKind) -> Self {
        match kind {
            SubjectKind::Application => Self::Application,
            SubjectKind::Runtime => Self::Runtime,
            SubjectKind::IntegrationSystem => Self::IntegrationSystem,
        }
    }
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
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Caller {
    /// Who: a user's name, or the id of the application, runtime or integration system (as the
    /// original's consumer id, which `viewer` answers).
    pub id: String,
    /// The client id (SystemAuth uid) a system called with: its certificate's common name or
    /// its OAuth client; `None` for users.
    pub client_id: Option<String>,
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
    /// `missing_credentials`, `unknown_token`, `malformed_token`, `invalid_signature`,
    /// `invalid_claims`, `expired_token`, `revoked`, `subject_gone`, `unavailable`,
    /// `expired_certificate`, ...
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
    issuer: Option<Arc<Issuer>>,
    oidc: Option<Arc<oidc::Oidc>>,
}

impl Gateway {
    /// A gateway knowing these users, and the identities in `caches`, with the fixed scopes of
    /// each kind of system consumer from `scopes`.
    pub fn new(users: Vec<StaticUser>, caches: Caches, scopes: ScopesConfig) -> Self {
        Self {
            users: Arc::new(users),
            caches,
            scopes: Arc::new(scopes),
            issuer: None,
            oidc: None,
        }
    }

    /// The same gateway, also accepting the access tokens `issuer` issues.
    pub fn with_access_tokens(self, issuer: Arc<Issuer>) -> Self {
        Self {
            issuer: Some(issuer),
            ..self
        }
    }

    /// The same gateway, also accepting users of an external OIDC identity provider.
    pub fn with_oidc(self, oidc: Arc<oidc::Oidc>) -> Self {
        Self {
            oidc: Some(oidc),
            ..self
        }
    }

    /// The caller of a request: by its bearer token when it sends one (a static user's token,
    /// an access token of the token endpoint, or a JWT of the OIDC provider), else by the client
    /// certificate its connection presented (DER). Headers that claim an identity
    /// (`Client-Id-From-Certificate` and the like) are never read.
    pub async fn authenticate(
        &self,
        headers: &HeaderMap,
        certificate: Option<&[u8]>,
    ) -> Result<Caller, Refusal> {
        if let Some(token) = bearer_token(headers) {
            return self.bearer(token, tenant_header(headers)).await;
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

    /// The caller a bearer token stands for. Static users' tokens are looked up by digest;
    /// anything else must be a JWT, checked by whoever its `iss` names.
    async fn bearer(&self, token: &str, tenant: Option<String>) -> Result<Caller, Refusal> {
        if let Some(caller) = users::user_with_token(&self.users, token, tenant.clone()) {
            return Ok(caller);
        }
        let unknown = || {
            Refusal::new(
                "unknown_token",
                "unauthenticated: the bearer token is not valid",
            )
        };
        if token.split('.').count() != 3 {
            return Err(unknown());
        }
        let parsed = Unverified::parse(token).map_err(|_| {
            Refusal::new(
                "malformed_token",
                "unauthenticated: the bearer token is not a well-formed JWT",
            )
        })?;
        let issuer = parsed.unverified_claims()["iss"]
            .as_str()
            .unwrap_or_default();
        if let Some(own) = &self.issuer
            && issuer == own.issuer()
        {
            let now = jiff::Timestamp::now().as_second();
            return access_tokens::caller(own, parsed, tenant, now);
        }
        if let Some(oidc) = &self.oidc
            && issuer == oidc.issuer()
        {
            return oidc.caller(parsed, tenant).await;
        }
        Err(unknown())
    }

    /// The scopes each operation requires.
    pub fn scopes(&self) -> &ScopesConfig {
        &self.scopes
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

    #[tokio::test]
    async fn a_known_token_authenticates_and_carries_the_tenant_header() {
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
        let caller = gateway.authenticate(&headers, None).await.unwrap();
        assert_eq!(
            (caller.id.as_str(), caller.tenant.as_deref()),
            ("alice", Some("t1"))
        );
        headers.insert(
            "authorization",
            HeaderValue::from_static("bEaReR  secret-token"),
        );
        assert!(gateway.authenticate(&headers, None).await.is_ok());
        headers.insert("authorization", HeaderValue::from_static("Bearer wrong"));
        let refusal = gateway.authenticate(&headers, None).await.unwrap_err();
        assert_eq!(refusal.reason, "unknown_token");
        headers.insert(
            "authorization",
            HeaderValue::from_static("Basic secret-token"),
        );
        let refusal = gateway.authenticate(&headers, None).await.unwrap_err();
        assert_eq!(refusal.reason, "missing_credentials");
    }

    #[tokio::test]
    async fn access_tokens_are_told_apart_by_issuer_and_checked_against_the_client() {
        use crate::oauth::{ACCESS_TOKEN_TYPE, Issuer, KeySet, OAuthConfig};
        let issuer = Issuer::new(
            OAuthConfig::default(),
            KeySet::ephemeral(),
            None,
            "compass-system".into(),
            Caches::empty(),
            ScopesConfig::default_config(),
        );
        let now = jiff::Timestamp::now().as_second();
        let claims = serde_json::json!({
            "iss": issuer.issuer(), "aud": issuer.audience(), "sub": "gone",
            "iat": now, "exp": now + 60, "scope": "application:read",
        });
        let signed = issuer
            .keys()
            .signing()
            .sign_typed(ACCESS_TOKEN_TYPE, &claims);
        let gateway = Gateway::new(Vec::new(), Caches::empty(), ScopesConfig::default_config())
            .with_access_tokens(Arc::new(issuer));
        let reason = |token: &str| {
            let mut headers = HeaderMap::new();
            let value = HeaderValue::from_str(&format!("Bearer {token}")).unwrap();
            headers.insert("authorization", value);
            let gateway = gateway.clone();
            async move {
                gateway
                    .authenticate(&headers, None)
                    .await
                    .unwrap_err()
                    .reason
            }
        };
        assert_eq!(reason(&signed).await, "revoked", "no such client");
        let mut foreign = claims.clone();
        foreign["iss"] = "https://elsewhere".into();
        let foreign = compass_apiserver::jwt::SigningKey::ephemeral().sign(&foreign);
        assert_eq!(reason(&foreign).await, "unknown_token");
        assert_eq!(reason("a.b.c").await, "malformed_token");
        assert_eq!(reason("opaque").await, "unknown_token");
    }
}
