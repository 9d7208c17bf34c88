//! Kubeconfigs for users other than the admin, as `kubeadm kubeconfig user` makes them: a new
//! key and a client certificate signed by the data directory's CA, whose common name is the user
//! and whose organizations are its groups, for the control plane's URL. What `compass kubeconfig`
//! prints; its errors name that command's flags.

use std::{
    fs,
    path::{Path, PathBuf},
    time::Duration,
};

use base64::{Engine as _, engine::general_purpose::STANDARD};
use jiff::Timestamp;
use rcgen::{
    CertificateParams, ExtendedKeyUsagePurpose, Issuer, KeyPair, KeyUsagePurpose, SerialNumber,
    date_time_ymd,
};
use ring::{
    rand::SystemRandom,
    signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair},
};
use serde_json::json;

use super::{Authority, files, load_ca, name};
use crate::{der, registry::crd::is_dns_label};

/// Longest validity a certificate may ask for: the CA itself lasts ten years.
pub(crate) const MAX_VALIDITY: Duration = Duration::from_secs(5 * 365 * 24 * 3600);
/// Shortest validity that makes sense for a session.
pub(crate) const MIN_VALIDITY: Duration = Duration::from_secs(60);
/// How far back a certificate is valid from, so a client whose clock is a little behind can
/// use it at once.
const CLOCK_SKEW: Duration = Duration::from_secs(300);

/// Who the kubeconfig is for.
#[derive(Clone, Debug)]
pub struct UserRequest {
    /// The user name (certificate common name).
    pub user: String,
    /// The groups (certificate organizations).
    pub groups: Vec<String>,
    /// The default namespace of the kubeconfig's context.
    pub namespace: Option<String>,
    /// How long the certificate is valid.
    pub validity: Duration,
}

/// Why no kubeconfig was made.
#[derive(Debug, thiserror::Error)]
pub enum MintError {
    /// `--user` is empty.
    #[error("--user must name the user; it must not be empty")]
    EmptyUser,
    /// A `--group` is empty.
    #[error("--group must not be empty")]
    EmptyGroup,
    /// `--namespace` is not a namespace name.
    #[error(
        "--namespace {0:?} is not a valid namespace name: it must be a lowercase RFC 1123 label \
         (lowercase letters, digits and '-', starting and ending with a letter or digit, at most \
         63 characters)"
    )]
    BadNamespace(String),
    /// `--expiry` is out of bounds.
    #[error("--expiry must be between 1m and 43800h (5 years)")]
    BadValidity,
    /// The data directory holds no CA.
    #[error(
        "--data-dir {0}: no certificate authority there; point it at the data directory of \
         `compass up`"
    )]
    NoAuthority(PathBuf),
    /// The data directory holds no admin kubeconfig to take the server URL from.
    #[error("--data-dir {0}: no kubeconfig with the server's URL there; start `compass up` first")]
    NoServer(PathBuf),
    /// Reading the data directory or signing failed.
    #[error("{0}")]
    Failed(String),
}

impl UserRequest {
    /// Checks the request before anything is signed.
    pub fn validate(&self) -> Result<(), MintError> {
        if self.user.trim().is_empty() {
            return Err(MintError::EmptyUser);
        }
        if self.groups.iter().any(|g| g.trim().is_empty()) {
            return Err(MintError::EmptyGroup);
        }
        if let Some(namespace) = &self.namespace
            && !is_dns_label(namespace)
        {
            return Err(MintError::BadNamespace(namespace.clone()));
        }
        if !(MIN_VALIDITY..=MAX_VALIDITY).contains(&self.validity) {
            return Err(MintError::BadValidity);
        }
        Ok(())
    }
}

/// A kubeconfig (YAML) for `request` against the control plane whose data directory is
/// `data_dir`.
pub fn user_kubeconfig(data_dir: &Path, request: &UserRequest) -> Result<String, MintError> {
    request.validate()?;
    let authority = load_ca(data_dir)
        .map_err(|e| MintError::Failed(format!("reading the CA failed: {e}")))?
        .ok_or_else(|| MintError::NoAuthority(data_dir.to_path_buf()))?;
    let server = server_url(data_dir)?;
    let (certificate, key) =
        client_certificate(&authority, &request.user, &request.groups, request.validity)?;
    let context_name = format!("{}@compass", request.user);
    let mut context = json!({ "cluster": "compass", "user": request.user });
    if let Some(namespace) = &request.namespace {
        context["namespace"] = json!(namespace);
    }
    let config = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{ "name": "compass", "cluster": {
            "server": server,
            "certificate-authority-data": STANDARD.encode(&authority.pem),
        } }],
        "users": [{ "name": request.user, "user": {
            "client-certificate-data": STANDARD.encode(certificate),
            "client-key-data": STANDARD.encode(key),
        } }],
        "contexts": [{ "name": context_name, "context": context }],
        "current-context": context_name,
    });
    serde_yaml::to_string(&config).map_err(|e| MintError::Failed(e.to_string()))
}

/// The server URL of the admin kubeconfig in `data_dir`.
fn server_url(data_dir: &Path) -> Result<String, MintError> {
    let no_server = || MintError::NoServer(data_dir.to_path_buf());
    let text = fs::read_to_string(data_dir.join(files::KUBECONFIG)).map_err(|_| no_server())?;
    let config: serde_json::Value = serde_yaml::from_str(&text).map_err(|_| no_server())?;
    config["clusters"][0]["cluster"]["server"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(no_server)
}

/// A new key and a client certificate for `user` in `groups`, signed by `authority`, both PEM.
pub(crate) fn client_certificate(
    authority: &Authority,
    user: &str,
    groups: &[String],
    validity: Duration,
) -> Result<(String, String), MintError> {
    let failed = |e: &dyn std::fmt::Display| MintError::Failed(format!("signing failed: {e}"));
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(|e| failed(&e))?;
    let mut params = CertificateParams::default();
    params.distinguished_name = name(user);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.use_authority_key_identifier_extension = true;
    let mut serial = [0u8; 16];
    getrandom::fill(&mut serial).map_err(|e| failed(&e))?;
    serial[0] &= 0x7f;
    params.serial_number = Some(SerialNumber::from_slice(&serial));
    let now = Duration::from_secs(Timestamp::now().as_second().max(0) as u64);
    let epoch = date_time_ymd(1970, 1, 1);
    params.not_before = epoch + now.saturating_sub(CLOCK_SKEW);
    params.not_after = epoch + now + validity;
    let issuer = Issuer::new(authority.params.clone(), &authority.key);
    let signed = params.signed_by(&key, &issuer).map_err(|e| failed(&e))?;
    let der = with_subject(signed.der(), user, groups, &authority.key)?;
    Ok((der::pem("CERTIFICATE", &der), key.serialize_pem()))
}

/// The certificate with its subject replaced by CN=`user` and one O per group, signed again by
/// the CA: the certificate library writes at most one organization.
fn with_subject(
    certificate: &[u8],
    user: &str,
    groups: &[String],
    ca_key: &KeyPair,
) -> Result<Vec<u8>, MintError> {
    let malformed = || MintError::Failed("the issued certificate does not parse".into());
    let (mut tbs, algorithm) = der::tbs_elements(certificate).ok_or_else(malformed)?;
    let subject = der::name(user, groups);
    let index = der::subject_index(&tbs);
    *tbs.get_mut(index).ok_or_else(malformed)? = &subject;
    let tbs = der::encode(der::SEQUENCE, &tbs.concat());
    let rng = SystemRandom::new();
    let signer = EcdsaKeyPair::from_pkcs8(
        &ECDSA_P256_SHA256_ASN1_SIGNING,
        &ca_key.serialize_der(),
        &rng,
    )
    .map_err(|e| MintError::Failed(format!("the CA key is unusable: {e}")))?;
    let signature = signer
        .sign(&rng, &tbs)
        .map_err(|e| MintError::Failed(format!("signing failed: {e}")))?;
    let bits = [&[0u8][..], signature.as_ref()].concat();
    let content = [tbs, algorithm.to_vec(), der::encode(der::BIT_STRING, &bits)].concat();
    Ok(der::encode(der::SEQUENCE, &content))
}

#[cfg(test)]
mod tests;
