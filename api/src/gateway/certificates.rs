//! Callers by client certificate. The TLS handshake has checked that the certificate chains to
//! the Connector's CA; here, on every request, it must also be one the Connector issued to a
//! SystemAuth that still exists (common name = its uid, serial number and fingerprint in its
//! status), not revoked, within its validity, and the SystemAuth's subject must still exist.
//! Checking per request (not per connection) is what makes a revocation or a deletion take effect
//! on the very next call, even on a kept-alive or resumed TLS session.

use std::{collections::BTreeSet, sync::Arc};

use compass_crds::{SubjectKind, SystemAuth};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::{Caller, ConsumerKind, Refusal, TenantAccess};
use crate::{
    connector::signing::fingerprint,
    state::{Caches, tenant_namespace_tag},
};

/// A verified certificate of a live identity.
#[derive(Clone, Debug)]
pub struct CertificateIdentity {
    /// The SystemAuth it was issued to.
    pub auth: Arc<SystemAuth>,
    /// Its serial number, lowercase hexadecimal.
    pub serial: String,
}

impl CertificateIdentity {
    /// The kind of consumer the identity's subject is.
    pub fn kind(&self) -> ConsumerKind {
        self.auth.spec.subject.kind.into()
    }

    /// The client id: the SystemAuth's uid.
    pub fn client_id(&self) -> &str {
        self.auth.metadata.uid.as_deref().unwrap_or_default()
    }
}

/// The identity a client certificate (DER) stands for at `now` (Unix seconds).
pub fn identify(caches: &Caches, der: &[u8], now: i64) -> Result<CertificateIdentity, Refusal> {
    let refused = |reason, message: &str| Err(Refusal::new(reason, message));
    let Ok((_, certificate)) = X509Certificate::from_der(der) else {
        return refused("bad_certificate", "the client certificate does not parse");
    };
    let validity = certificate.validity();
    if now < validity.not_before.timestamp() || now > validity.not_after.timestamp() {
        return refused(
            "expired_certificate",
            "the client certificate is not valid now",
        );
    }
    let Some(client_id) = certificate
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
    else {
        return refused(
            "bad_certificate",
            "the client certificate has no common name",
        );
    };
    let serial = compass_crds::hex::lower(certificate.raw_serial());
    let unknown = "the client certificate's identity does not exist (any more)";
    let Some(auth) = caches.system_auths.by_uid(client_id) else {
        return refused("unknown_identity", unknown);
    };
    if auth.metadata.deletion_timestamp.is_some() || subject_uid(caches, &auth).is_none() {
        return refused("unknown_identity", unknown);
    }
    let print = fingerprint(der);
    let issued = auth.status.as_ref().is_some_and(|status| {
        status
            .certificates
            .iter()
            .any(|c| c.serial_number == serial && c.fingerprint == print)
    });
    if !issued {
        return refused(
            "unknown_certificate",
            "the client certificate was not issued to this identity",
        );
    }
    if auth.spec.revoked_certificates.contains(&serial) {
        return refused("revoked", "the client certificate is revoked");
    }
    Ok(CertificateIdentity { auth, serial })
}

/// The uid of the application, runtime or integration system a SystemAuth identifies, while it
/// exists and is not being deleted.
pub(crate) fn subject_uid(caches: &Caches, auth: &SystemAuth) -> Option<String> {
    let namespace = auth.metadata.namespace.as_deref().unwrap_or_default();
    let name = &auth.spec.subject.name;
    let meta = match auth.spec.subject.kind {
        SubjectKind::Application => caches
            .applications
            .get(namespace, name)
            .map(|a| a.metadata.clone()),
        SubjectKind::Runtime => caches
            .runtimes
            .get(namespace, name)
            .map(|r| r.metadata.clone()),
        SubjectKind::IntegrationSystem => caches
            .integration_systems
            .get("", name)
            .map(|s| s.metadata.clone()),
    }?;
    meta.deletion_timestamp.is_none().then_some(meta.uid?)
}

/// The external id of the tenant whose namespace holds `auth`.
pub fn tenant_of(caches: &Caches, auth: &SystemAuth) -> Option<String> {
    let namespace = auth.metadata.namespace.as_deref()?;
    let mut tenants = caches.tenants.tagged(&tenant_namespace_tag(namespace));
    // Only one tenant is granted a namespace; two claiming it make neither trustworthy.
    match (tenants.pop(), tenants.pop()) {
        (Some(tenant), None) => Some(tenant.spec.external_id.clone()),
        _ => None,
    }
}

/// The caller a certificate identity is: its kind's fixed scopes, confined to its own tenant.
pub fn caller_of(
    caches: &Caches,
    identity: &CertificateIdentity,
    scopes: BTreeSet<String>,
    tenant_header: Option<String>,
) -> Result<Caller, Refusal> {
    let kind = identity.kind();
    let tenants = match kind {
        ConsumerKind::IntegrationSystem => TenantAccess::All,
        _ => match tenant_of(caches, &identity.auth) {
            Some(own) => TenantAccess::Only(BTreeSet::from([own])),
            None => {
                return Err(Refusal::new(
                    "unknown_identity",
                    "the identity's tenant does not exist (any more)",
                ));
            }
        },
    };
    let tenant = match &tenants {
        TenantAccess::Only(own) => tenant_header.or_else(|| own.first().cloned()),
        TenantAccess::All => tenant_header,
    };
    let id = subject_uid(caches, &identity.auth).unwrap_or_default();
    Ok(Caller {
        id,
        client_id: Some(identity.client_id().to_owned()),
        kind,
        scopes,
        tenants,
        tenant,
    })
}
