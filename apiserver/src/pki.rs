//! Credentials of the embedded control plane, kept in its data directory: a certificate authority
//! (generated once), a serving certificate signed by it for the configured host names, the admin
//! bearer token, and a kubeconfig that carries all of them for clients.

use std::{
    fs,
    io::{self, Write as _},
    os::unix::fs::OpenOptionsExt,
    path::Path,
    sync::Arc,
};

use base64::Engine as _;
use jiff::{Timestamp, tz::TimeZone};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, date_time_ymd,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::json;

/// File names inside the data directory.
pub mod files {
    /// The certificate authority's certificate (PEM).
    pub const CA_CERT: &str = "ca.crt";
    /// The certificate authority's private key (PEM, mode 0600).
    pub const CA_KEY: &str = "ca.key";
    /// When the certificate authority was created (Unix seconds); part of its name.
    pub const CA_CREATED: &str = "ca.created";
    /// The admin bearer token (mode 0600).
    pub const ADMIN_TOKEN: &str = "admin-token";
    /// A kubeconfig for the admin (mode 0600).
    pub const KUBECONFIG: &str = "kubeconfig";
}

/// What the listener and clients need.
pub struct Credentials {
    /// The CA certificate clients trust, PEM.
    pub ca_pem: String,
    /// TLS configuration of the listener, with a serving certificate for the configured hosts.
    pub tls: Arc<rustls::ServerConfig>,
    /// The admin bearer token.
    pub admin_token: String,
    /// The serving certificate followed by the CA certificate.
    pub chain: Vec<CertificateDer<'static>>,
}

fn pki_error(error: rcgen::Error) -> io::Error {
    io::Error::other(format!("certificate generation failed: {error}"))
}

/// Loads the CA and admin token from `data_dir`, creating them on first start, and issues a
/// serving certificate for `hosts` (IP addresses and DNS names).
pub fn load_or_create(data_dir: &Path, hosts: &[String]) -> io::Result<Credentials> {
    fs::create_dir_all(data_dir)?;
    let ca_key_path = data_dir.join(files::CA_KEY);
    let created_path = data_dir.join(files::CA_CREATED);
    let (ca_key, ca_pem, ca_params) = if ca_key_path.exists() {
        let pem = fs::read_to_string(&ca_key_path)?;
        let key = KeyPair::from_pem_and_sign_algo(&pem, &rcgen::PKCS_ECDSA_P256_SHA256)
            .map_err(pki_error)?;
        let created = fs::read_to_string(&created_path)?
            .trim()
            .parse()
            .map_err(io::Error::other)?;
        let certificate = fs::read_to_string(data_dir.join(files::CA_CERT))?;
        (key, certificate, ca_params(created))
    } else {
        let created = Timestamp::now().as_second();
        let params = ca_params(created);
        let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(pki_error)?;
        let certificate = params.self_signed(&key).map_err(pki_error)?;
        write_private(&ca_key_path, key.serialize_pem().as_bytes())?;
        write_private(&data_dir.join(files::CA_CERT), certificate.pem().as_bytes())?;
        write_private(&created_path, created.to_string().as_bytes())?;
        (key, certificate.pem(), params)
    };
    let issuer = Issuer::new(ca_params, &ca_key);
    let server_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(pki_error)?;
    let mut params = CertificateParams::new(hosts.to_vec()).map_err(pki_error)?;
    params.distinguished_name = name("compass-apiserver");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    set_validity(&mut params, 1);
    let server_cert = params.signed_by(&server_key, &issuer).map_err(pki_error)?;

    let ca_der = pem_to_der(&ca_pem)?;
    let chain = vec![server_cert.der().clone(), ca_der];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let mut tls = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(io::Error::other)?
    .with_no_client_auth()
    .with_single_cert(chain.clone(), key)
    .map_err(io::Error::other)?;
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];

    let token_path = data_dir.join(files::ADMIN_TOKEN);
    let admin_token = if token_path.exists() {
        fs::read_to_string(&token_path)?.trim().to_owned()
    } else {
        let token = random_token();
        write_private(&token_path, token.as_bytes())?;
        token
    };
    Ok(Credentials {
        ca_pem,
        tls: Arc::new(tls),
        admin_token,
        chain,
    })
}

/// The CA's parameters. Its name carries the creation time, as k3s does, so that CAs of
/// different data directories never share a name: a client holding an old CA then fails with
/// "unknown issuer" instead of a confusing signature failure.
fn ca_params(created: i64) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = name(&format!("compass-ca@{created}"));
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    set_validity(&mut params, 10);
    params
}

fn name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    name
}

/// Makes `params` valid from the start of today (UTC) for `years` years.
fn set_validity(params: &mut CertificateParams, years: i32) {
    let today = Timestamp::now().to_zoned(TimeZone::UTC).date();
    let (year, month, day) = (
        i32::from(today.year()),
        today.month() as u8,
        today.day() as u8,
    );
    params.not_before = date_time_ymd(year, month, day);
    params.not_after = date_time_ymd(year + years, month, day.min(28));
}

fn pem_to_der(pem: &str) -> io::Result<CertificateDer<'static>> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(io::Error::other)?;
    Ok(CertificateDer::from(der))
}

/// 32 random bytes, hex-encoded.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes a file only its owner may read.
pub fn write_private(path: &Path, contents: &[u8]) -> io::Result<()> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents)
}

/// Writes a kubeconfig for `server` that trusts `ca_pem` and authenticates with `token`.
pub fn write_kubeconfig(path: &Path, server: &str, ca_pem: &str, token: &str) -> io::Result<()> {
    let mut cluster = json!({ "server": server });
    if server.starts_with("https://") {
        cluster["certificate-authority-data"] =
            json!(base64::engine::general_purpose::STANDARD.encode(ca_pem));
    }
    let config = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{ "name": "compass", "cluster": cluster }],
        "users": [{ "name": "compass-admin", "user": { "token": token } }],
        "contexts": [{ "name": "compass", "context": { "cluster": "compass", "user": "compass-admin" } }],
        "current-context": "compass",
    });
    let text = serde_yaml::to_string(&config).map_err(io::Error::other)?;
    write_private(path, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use rustls::{
        client::{WebPkiServerVerifier, danger::ServerCertVerifier},
        pki_types::{ServerName, UnixTime},
    };

    use super::*;

    fn verifies(ca_pem: &str, chain: &[CertificateDer<'static>]) -> bool {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(pem_to_der(ca_pem).unwrap()).unwrap();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .unwrap();
        let name = ServerName::try_from("127.0.0.1").unwrap();
        verifier
            .verify_server_cert(&chain[0], &chain[1..], &name, &[], UnixTime::now())
            .is_ok()
    }

    /// The serving certificate verifies against the CA after a restart, when the CA key is read
    /// back from disk, as it does on first start.
    #[test]
    fn a_reloaded_certificate_authority_signs_verifiable_certificates() {
        let dir = tempfile::tempdir().unwrap();
        let hosts = vec!["127.0.0.1".to_owned()];
        let first = load_or_create(dir.path(), &hosts).unwrap();
        let second = load_or_create(dir.path(), &hosts).unwrap();
        assert_eq!(first.ca_pem, second.ca_pem, "the CA is kept");
        assert_eq!(first.admin_token, second.admin_token, "the token is kept");
        let other = load_or_create(tempfile::tempdir().unwrap().path(), &hosts).unwrap();
        assert!(
            !verifies(&other.ca_pem, &first.chain),
            "another data directory's CA is not trusted"
        );
        assert!(verifies(&first.ca_pem, &first.chain), "first start");
        assert!(verifies(&second.ca_pem, &second.chain), "after a restart");
    }
}
