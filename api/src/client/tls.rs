//! The TLS side of a [`DirectorClient`](super::DirectorClient): whom it trusts (given CA
//! certificates, else the public web PKI) and the client certificate it presents.

use std::sync::Arc;

use hyper_rustls::ConfigBuilderExt;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};

/// A TLS client configuration with the ring provider and the safe protocol versions, trusting
/// the certificates in `ca_pem` when given, else the public web PKI's roots; errors call the
/// certificates `the <what> certificate` (`CA`, `OIDC CA`).
pub(crate) fn trusting(
    ca_pem: Option<&str>,
    what: &str,
) -> Result<rustls::ConfigBuilder<rustls::ClientConfig, rustls::client::WantsClientCert>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    // NB: `ClientConfig::builder()` would panic when two crypto providers are compiled in.
    let versions = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    Ok(match ca_pem {
        Some(ca_pem) => versions.with_root_certificates(roots(ca_pem, what)?),
        None => versions.with_webpki_roots(),
    })
}

/// The certificates of `ca_pem` as a root store.
fn roots(ca_pem: &str, what: &str) -> Result<rustls::RootCertStore, String> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        let cert = cert.map_err(|e| format!("the {what} certificate does not parse: {e}"))?;
        roots
            .add(cert)
            .map_err(|e| format!("the {what} certificate is not usable: {e}"))?;
    }
    if roots.is_empty() {
        return Err(format!("the {what} file holds no PEM certificate"));
    }
    Ok(roots)
}

/// A client certificate chain and its key, from PEM.
pub(super) fn identity(
    chain_pem: &str,
    key_pem: &str,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), String> {
    let chain = CertificateDer::pem_slice_iter(chain_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("the client certificate does not parse: {e}"))?;
    if chain.is_empty() {
        return Err("the client certificate file holds no PEM certificate".to_owned());
    }
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes())
        .map_err(|e| format!("the private key does not parse: {e}"))?;
    Ok((chain, key))
}
