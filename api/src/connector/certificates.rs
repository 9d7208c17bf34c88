//! Certificates of one identity: signing a CSR for it with the validity of its kind, recording
//! what was issued in its SystemAuth's status, and revoking by serial number in its spec. Each
//! write is waited for in the store the Gateway reads, so the certificate works (or stops
//! working) on the caller's very next request.

use std::time::Duration;

use compass_crds::{IssuedCertificate, SubjectKind, SystemAuth};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::{Api, api::PostParams};

use super::{Connector, schema::takes_certificates, signing::Signed, tokens::update_status};
use crate::{
    errors::{ApiResult, Code, error, from_kube},
    gateway::certificates::CertificateIdentity,
    state::Caches,
};

/// How long certificates are valid, by the kind of their holder. Set per kind: one value for
/// all would cut long-lived application certificates to what suits runtimes, or the reverse.
#[derive(Clone, Copy, Debug)]
pub struct CertificateValidity {
    /// For applications (90 days, as the original).
    pub application: Duration,
    /// For runtimes' agents, which renew on their own (30 days).
    pub runtime: Duration,
}

impl Default for CertificateValidity {
    fn default() -> Self {
        Self {
            application: Duration::from_secs(90 * 24 * 3600),
            runtime: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

/// The most certificates (and revoked serial numbers) one identity keeps: the schema's bound.
const MAX_CERTIFICATES: usize = 100;

/// How many times a write that lost a race with another writer is tried again.
const ATTEMPTS: usize = 16;

/// Signs `csr` for the identity `auth`, refusing a CSR that breaks a rule with INVALID_INPUT.
pub fn sign_for(connector: &Connector, auth: &SystemAuth, csr: &str) -> ApiResult<Signed> {
    if !takes_certificates(auth) {
        return Err(no_certificates());
    }
    let validity = match auth.spec.subject.kind {
        SubjectKind::Runtime => connector.validity.runtime,
        _ => connector.validity.application,
    };
    let client_id = auth.metadata.uid.as_deref().unwrap_or_default();
    super::signing::sign(
        &connector.authority,
        csr,
        &connector.subject,
        client_id,
        validity,
    )
    .map_err(|refused| error(Code::InvalidInput, refused))
}

/// The refusal of a certificate to an integration system.
pub(super) fn no_certificates() -> async_graphql::Error {
    error(
        Code::InvalidInput,
        "only applications and runtimes get certificates; integration systems use client credentials",
    )
}

/// Records `signed` in the status of `auth` (dropping records of expired certificates) and waits
/// until the Gateway's store shows it.
pub async fn record(
    connector: &Connector,
    caches: &Caches,
    auth: &SystemAuth,
    signed: &Signed,
) -> ApiResult<()> {
    let (namespace, name) = names(auth);
    let api: Api<SystemAuth> = Api::namespaced(connector.client.clone(), &namespace);
    let at = |seconds: i64| Time(jiff::Timestamp::from_second(seconds).unwrap_or_default());
    let record = IssuedCertificate {
        serial_number: signed.serial.clone(),
        fingerprint: signed.fingerprint.clone(),
        subject: connector
            .subject
            .subject_for(auth.metadata.uid.as_deref().unwrap_or_default()),
        not_before: at(signed.not_before),
        not_after: at(signed.not_after),
        revoked: false,
    };
    let now = jiff::Timestamp::now();
    let written = update_status(&api, &name, |status| {
        status.certificates.retain(|c| c.not_after.0 > now);
        if status.certificates.len() >= MAX_CERTIFICATES {
            return Err(error(
                Code::Conflict,
                format!("{name} holds {MAX_CERTIFICATES} unexpired certificates, the most one identity may; revoke or wait out some first"),
            ));
        }
        status.certificates.push(record.clone());
        Ok(())
    })
    .await?;
    settle(caches, &written).await;
    Ok(())
}

/// Adds the certificate's serial number to the revoked ones of its identity (dropping serial
/// numbers of certificates that have expired), and waits until the Gateway's store shows it.
pub async fn revoke(
    connector: &Connector,
    caches: &Caches,
    identity: &CertificateIdentity,
) -> ApiResult<()> {
    let (namespace, name) = names(&identity.auth);
    let api: Api<SystemAuth> = Api::namespaced(connector.client.clone(), &namespace);
    let now = jiff::Timestamp::now();
    for _ in 0..ATTEMPTS {
        let mut auth = api
            .get(&name)
            .await
            .map_err(|e| from_kube(e, "SystemAuth", &name))?;
        let expired: Vec<String> = auth
            .status
            .iter()
            .flat_map(|s| &s.certificates)
            .filter(|c| c.not_after.0 <= now)
            .map(|c| c.serial_number.clone())
            .collect();
        let revoked = &mut auth.spec.revoked_certificates;
        revoked.retain(|serial| !expired.contains(serial));
        if !revoked.contains(&identity.serial) {
            if revoked.len() >= MAX_CERTIFICATES {
                return Err(error(
                    Code::Conflict,
                    format!(
                        "{name} lists {MAX_CERTIFICATES} revoked certificates, the most one identity may"
                    ),
                ));
            }
            revoked.push(identity.serial.clone());
        }
        match api.replace(&name, &PostParams::default(), &auth).await {
            Ok(written) => {
                settle(caches, &written).await;
                return Ok(());
            }
            Err(kube::Error::Api(status)) if status.code == 409 => continue,
            Err(e) => return Err(from_kube(e, "SystemAuth", &name)),
        }
    }
    Err(error(
        Code::Conflict,
        format!("SystemAuth {name} changed too often to be updated; try again"),
    ))
}

/// Waits until the store holds `written` (or the read-your-writes bound passes).
async fn settle(caches: &Caches, written: &SystemAuth) {
    let (namespace, name) = names(written);
    let version = written
        .metadata
        .resource_version
        .as_deref()
        .unwrap_or_default();
    caches
        .system_auths
        .wait_for(&namespace, &name, version)
        .await;
}

/// The namespace and name of a SystemAuth.
pub(super) fn names(auth: &SystemAuth) -> (String, String) {
    (
        auth.metadata.namespace.clone().unwrap_or_default(),
        auth.metadata.name.clone().unwrap_or_default(),
    )
}
