//! OAuth clients: registering one (a new SystemAuth for the subject, whose uid is the client id,
//! with the SHA-256 digest of a fresh secret in `status.oauthClient`) and finding a registered
//! one again, for the token endpoint and for the Gateway on every request.
//!
//! A client counts only where the Director itself would have put it: an application's or
//! runtime's in a tenant's namespace, an integration system's in the system namespace. So a SystemAuth someone wrote by hand into a tenant namespace naming an integration
//! system never acts in every tenant.

use compass_crds::{OAuthClientRecord, SubjectKind, SystemAuth, is_system_namespace};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::{Api, Client, ResourceExt, api::DeleteParams};

use crate::{
    connector::tokens::{create_system_auth, fresh_token, token_digest, update_status},
    errors::{ApiResult, Code, error},
    gateway::{
        ConsumerKind,
        certificates::{subject_uid, tenant_of},
    },
    state::Caches,
};

/// Client credentials as issued: shown to the caller once, kept only as a digest.
#[derive(Clone, Debug)]
pub struct ClientCredentials {
    /// The client id: the new SystemAuth's uid.
    pub client_id: String,
    /// The client secret: 256 random bits, base64url.
    pub client_secret: String,
}

/// Registers a new OAuth client for the subject `kind`/`name` in `namespace`: a new SystemAuth
/// (each call makes one, as the original registered a new client each time) with the digest of
/// a fresh secret. Returns once the stores show the client, so a token can be requested at once.
pub async fn issue_client_credentials(
    client: &Client,
    caches: &Caches,
    namespace: &str,
    (kind, name): (SubjectKind, &str),
) -> ApiResult<ClientCredentials> {
    let secret = fresh_token()?;
    let api: Api<SystemAuth> = Api::namespaced(client.clone(), namespace);
    let created = create_system_auth(&api, namespace, (kind, name)).await?;
    let auth_name = created.name_any();
    let record = OAuthClientRecord {
        client_secret_hash: token_digest(&secret),
        issued_at: Time(jiff::Timestamp::now()),
    };
    let written = update_status(&api, &auth_name, |status| {
        status.oauth_client = Some(record.clone());
        Ok(())
    })
    .await;
    let written = match written {
        Ok(written) => written,
        Err(e) => {
            // Nothing half-made remains: a client without a secret is no client.
            let _ = api.delete(&auth_name, &DeleteParams::default()).await;
            return Err(e);
        }
    };
    let version = written.resource_version().unwrap_or_default();
    caches
        .system_auths
        .wait_for(namespace, &auth_name, &version)
        .await;
    let client_id = written.uid().ok_or_else(|| {
        error(
            Code::Internal,
            "Internal Server Error: the SystemAuth has no uid",
        )
    })?;
    Ok(ClientCredentials {
        client_id,
        client_secret: secret,
    })
}

/// A registered client, found by its id.
#[derive(Clone, Debug)]
pub(crate) struct Registered {
    /// What kind of consumer it is.
    pub kind: ConsumerKind,
    /// The uid of its application, runtime or integration system.
    pub subject_uid: String,
    /// The external id of its tenant (applications and runtimes).
    pub tenant: Option<String>,
    /// Its secret's record.
    pub secret: OAuthClientRecord,
}

/// Why an id names no usable client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ClientProblem {
    /// No SystemAuth with this uid, it is being deleted, it has no secret, or it is not where
    /// the Director puts its kind.
    Unknown,
    /// Its application, runtime or integration system (or the tenant holding it) is gone.
    SubjectGone,
}

/// The client with id `client_id` in `caches`, if it exists, has a secret, and its subject (and
/// for an application or runtime, its tenant) exists.
pub(crate) fn registered(
    caches: &Caches,
    system_namespace: &str,
    client_id: &str,
) -> Result<Registered, ClientProblem> {
    let auth = caches
        .system_auths
        .by_uid(client_id)
        .filter(|a| a.metadata.deletion_timestamp.is_none())
        .ok_or(ClientProblem::Unknown)?;
    let secret = (auth.status.as_ref())
        .and_then(|s| s.oauth_client.clone())
        .ok_or(ClientProblem::Unknown)?;
    let namespace = auth.namespace().unwrap_or_default();
    let kind = ConsumerKind::from(auth.spec.subject.kind);
    let in_system_namespace = namespace == system_namespace || is_system_namespace(&namespace);
    if (kind == ConsumerKind::IntegrationSystem) != (namespace == system_namespace)
        || (kind != ConsumerKind::IntegrationSystem && in_system_namespace)
    {
        return Err(ClientProblem::Unknown);
    }
    let subject_uid = subject_uid(caches, &auth).ok_or(ClientProblem::SubjectGone)?;
    let tenant = match kind {
        ConsumerKind::IntegrationSystem => None,
        _ => Some(tenant_of(caches, &auth).ok_or(ClientProblem::SubjectGone)?),
    };
    Ok(Registered {
        kind,
        subject_uid,
        tenant,
        secret,
    })
}
