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
}

fn pki_error(error: rcgen::Error) -> io::Error {
    io::Error::other(format!("certificate generation failed: {error}"))
}

/// Loads the CA and admin token from `data_dir`, creating them on first start, and issues a
/// serving certificate for `hosts` (IP addresses and DNS names).
pub fn load_or_create(data_dir: &Path, hosts: &[String]) -> io::Result<Credentials> {
    fs::create_dir_all(data_dir)?;
    let ca_key_path = data_dir.join(files::CA_KEY);
    let ca_params = ca_params();
    let (ca_key, ca_pem) = if ca_key_path.exists() {
        let key = KeyPair::from_pem(&fs::read_to_string(&ca_key_path)?).map_err(pki_error)?;
        (key, fs::read_to_string(data_dir.join(files::CA_CERT))?)
    } else {
        let key = KeyPair::generate().map_err(pki_error)?;
        let certificate = ca_params.self_signed(&key).map_err(pki_error)?;
        write_private(&ca_key_path, key.serialize_pem().as_bytes())?;
        fs::write(data_dir.join(files::CA_CERT), certificate.pem())?;
        (key, certificate.pem())
    };
    let issuer = Issuer::new(ca_params, &ca_key);
    let server_key = KeyPair::generate().map_err(pki_error)?;
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
    .with_single_cert(chain, key)
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
    })
}

fn ca_params() -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = name("compass-ca");
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
