//! One-time tokens: 256 random bits handed to the caller once and stored only as a SHA-256 digest
//! in the subject's SystemAuth status, with what it is for, when it expires and whether it was
//! used. Issuing and redeeming are read-modify-write cycles on the SystemAuth guarded by its
//! resourceVersion, so any number of API replicas agree: a token is redeemed exactly once.

use std::{sync::Arc, time::Duration};

use base64::Engine;
use compass_cache::kinds::{subject_tag, token_tag};
use compass_crds::{
    OneTimeTokenRecord, SubjectKind, SystemAuth, SystemAuthSpec, SystemAuthStatus,
    SystemAuthSubject, TokenPurpose,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::{
    Api, Client,
    api::{ObjectMeta, PostParams},
};

use crate::{
    errors::{ApiResult, Code, error, from_kube},
    metrics::{ApiMetrics, TokenEvent},
    state::{Caches, Shared},
};

/// How long tokens stay valid, by what they are for.
#[derive(Clone, Copy, Debug)]
pub struct TokenLifetimes {
    /// A token for an application to pair with (the original's default: 5 minutes).
    pub application: Duration,
    /// A token for a runtime's agent to pair with (60 minutes: an agent may start late).
    pub runtime: Duration,
    /// A token for signing one certificate request (5 minutes).
    pub certificate_signing: Duration,
}

impl Default for TokenLifetimes {
    fn default() -> Self {
        Self {
            application: Duration::from_secs(5 * 60),
            runtime: Duration::from_secs(60 * 60),
            certificate_signing: Duration::from_secs(5 * 60),
        }
    }
}

/// At most this many token records a SystemAuth holds (the schema's bound); the operator
/// removes expired ones.
const MAX_RECORDS: usize = 20;

/// How many times a write that lost a race with another writer is tried again.
const ATTEMPTS: usize = 16;

pub use compass_crds::token_digest;

/// A fresh token: 32 random bytes, base64url without padding.
pub(crate) fn fresh_token() -> ApiResult<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| {
        tracing::error!(error = %e, "The system's random source failed");
        error(Code::Internal, "Internal Server Error: no random source")
    })?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// Issues a token for the subject `kind`/`name` of `namespace`, recorded in its SystemAuth (made
/// now if it has none); returns the token, which is never stored. Counted in `metrics`.
pub async fn issue(
    client: &Client,
    auths: &Shared<SystemAuth>,
    namespace: &str,
    subject: (SubjectKind, &str),
    purpose: TokenPurpose,
    lifetime: Duration,
    metrics: &ApiMetrics,
) -> ApiResult<String> {
    let api: Api<SystemAuth> = Api::namespaced(client.clone(), namespace);
    let name = system_auth_of(&api, auths, namespace, subject).await?;
    issue_on(client, auths, namespace, &name, purpose, lifetime, metrics).await
}

/// Issues a token for `purpose` recorded in the SystemAuth `namespace`/`name`; returns the
/// token, which is never stored, once the store tokens are redeemed from holds it: a caller
/// redeeming it at once must not find it unknown. Counted in `metrics`.
pub async fn issue_on(
    client: &Client,
    auths: &Shared<SystemAuth>,
    namespace: &str,
    name: &str,
    purpose: TokenPurpose,
    lifetime: Duration,
    metrics: &ApiMetrics,
) -> ApiResult<String> {
    let token = fresh_token()?;
    let api: Api<SystemAuth> = Api::namespaced(client.clone(), namespace);
    let now = jiff::Timestamp::now();
    let expires = now
        .checked_add(jiff::SignedDuration::try_from(lifetime).unwrap_or_default())
        .unwrap_or(now);
    let record = OneTimeTokenRecord {
        token_hash: token_digest(&token),
        purpose,
        issued_at: Time(now),
        expires_at: Time(expires),
        used: false,
        used_at: None,
    };
    let written = update_status(&api, name, |status| {
        status.one_time_tokens.retain(|t| t.expires_at.0 > now);
        if status.one_time_tokens.len() >= MAX_RECORDS {
            return Err(error(
                Code::Conflict,
                format!(
                    "too many one-time tokens outstanding for {name}: at most {MAX_RECORDS} may be unexpired; use or wait out one first"
                ),
            ));
        }
        status.one_time_tokens.push(record.clone());
        Ok(())
    })
    .await?;
    let version = written.metadata.resource_version.as_deref();
    auths
        .wait_for(namespace, name, version.unwrap_or_default())
        .await;
    metrics.one_time_token(TokenEvent::Issued);
    Ok(token)
}

/// The SystemAuth `token` was issued for, as the store holds it, without redeeming it: the
/// Connector checks a request fully before it spends the caller's token.
pub fn holder(caches: &Caches, token: &str) -> ApiResult<Arc<SystemAuth>> {
    caches
        .system_auths
        .tagged(&token_tag(&token_digest(token)))
        .into_iter()
        .next()
        .ok_or_else(refused)
}

fn refused() -> async_graphql::Error {
    error(
        Code::Unauthenticated,
        "the one-time token is not valid: unknown, already used or expired",
    )
}

/// Redeems `token` for `purpose`: marks it used and returns the SystemAuth it was issued for.
/// Of any number of concurrent redemptions of one token, on any replica, exactly one succeeds.
/// Redemptions, and tokens presented after their expiry, are counted in `metrics`.
pub async fn redeem(
    client: &Client,
    caches: &Caches,
    token: &str,
    purpose: TokenPurpose,
    metrics: &ApiMetrics,
) -> ApiResult<SystemAuth> {
    let digest = token_digest(token);
    let holder = holder(caches, token)?;
    let namespace = holder.metadata.namespace.clone().unwrap_or_default();
    let name = holder.metadata.name.clone().unwrap_or_default();
    let api: Api<SystemAuth> = Api::namespaced(client.clone(), &namespace);
    let now = jiff::Timestamp::now();
    // Set when the token was found unused but expired (a retried write decides afresh).
    let expired = std::sync::atomic::AtomicBool::new(false);
    let redeemed = update_status(&api, &name, |status| {
        let record = status
            .one_time_tokens
            .iter_mut()
            .find(|t| t.token_hash == digest && t.purpose == purpose)
            .ok_or_else(refused)?;
        let late = !record.used && record.expires_at.0 <= now;
        expired.store(late, std::sync::atomic::Ordering::Relaxed);
        if record.used || late {
            return Err(refused());
        }
        record.used = true;
        record.used_at = Some(Time(now));
        Ok(())
    })
    .await;
    match &redeemed {
        Ok(_) => metrics.one_time_token(TokenEvent::Redeemed),
        Err(_) if expired.load(std::sync::atomic::Ordering::Relaxed) => {
            metrics.one_time_token(TokenEvent::Expired);
        }
        Err(_) => {}
    }
    redeemed
}

/// The name of the subject's SystemAuth: the oldest one not being deleted, or a new one.
async fn system_auth_of(
    api: &Api<SystemAuth>,
    auths: &Shared<SystemAuth>,
    namespace: &str,
    (kind, name): (SubjectKind, &str),
) -> ApiResult<String> {
    let existing = auths
        .tagged(&subject_tag(namespace, &kind, name))
        .into_iter()
        .filter(|a| a.metadata.deletion_timestamp.is_none())
        .min_by_key(|a| a.metadata.creation_timestamp.as_ref().map(|t| t.0));
    if let Some(existing) = existing {
        return Ok(existing.metadata.name.clone().unwrap_or_default());
    }
    let created = create_system_auth(api, namespace, (kind, name)).await?;
    Ok(created.metadata.name.unwrap_or_default())
}

/// Creates a new SystemAuth for the subject `kind`/`name` in `namespace`, its name generated
/// from the subject's.
pub(crate) async fn create_system_auth(
    api: &Api<SystemAuth>,
    namespace: &str,
    (kind, name): (SubjectKind, &str),
) -> ApiResult<SystemAuth> {
    let object = SystemAuth {
        metadata: ObjectMeta {
            generate_name: Some(format!("{}-", name.chars().take(40).collect::<String>())),
            namespace: Some(namespace.to_owned()),
            ..ObjectMeta::default()
        },
        spec: SystemAuthSpec {
            subject: SystemAuthSubject {
                kind,
                name: name.to_owned(),
            },
            revoked_certificates: Vec::new(),
        },
        status: None,
    };
    api.create(&PostParams::default(), &object)
        .await
        .map_err(|e| from_kube(e, "SystemAuth", name))
}

/// Reads the SystemAuth from the API server, changes its status with `change`, and writes it
/// back guarded by the resourceVersion it read; a lost race reads and decides again.
pub(crate) async fn update_status(
    api: &Api<SystemAuth>,
    name: &str,
    change: impl Fn(&mut SystemAuthStatus) -> ApiResult<()>,
) -> ApiResult<SystemAuth> {
    for _ in 0..ATTEMPTS {
        let mut object = api
            .get(name)
            .await
            .map_err(|e| from_kube(e, "SystemAuth", name))?;
        change(object.status.get_or_insert_with(SystemAuthStatus::default))?;
        match api
            .replace_status(name, &PostParams::default(), &object)
            .await
        {
            Ok(written) => return Ok(written),
            Err(kube::Error::Api(status)) if status.code == 409 => continue,
            Err(e) => return Err(from_kube(e, "SystemAuth", name)),
        }
    }
    Err(error(
        Code::Conflict,
        format!("SystemAuth {name} changed too often to be updated; try again"),
    ))
}
