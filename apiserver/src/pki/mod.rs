//! Credentials of the embedded control plane, kept in its data directory: a certificate authority
//! (generated once), a serving certificate signed by it for the configured host names, the admin
//! bearer token, the key ServiceAccount tokens are signed with, and a kubeconfig that carries
//! them for clients. Client certificates for other users are minted in [`user`].

pub mod user;

pub use crate::der::pem;

use std::{
    fs,
    io::{self, Write as _},
    os::unix::fs::{OpenOptionsExt, PermissionsExt},
    path::Path,
    sync::Arc,
};

use base64::Engine as _;
use jiff::{Timestamp, tz::TimeZone};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, date_time_ymd,
};
use rustls::{
    pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer},
    server::WebPkiClientVerifier,
};
use serde_json::json;

/// File names inside the data directory.
pub(crate) mod files {
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
    /// The key ServiceAccount tokens are signed with (PKCS#8 PEM, mode 0600).
    pub const SERVICE_ACCOUNT_KEY: &str = "sa.key";
}

/// What the listener and clients need.
pub(crate) struct Credentials {
    /// The CA certificate clients trust, PEM.
    pub ca_pem: String,
    /// TLS configuration with a serving certificate for the configured hosts, asking for no
    /// client certificate: for the product's other listeners.
    pub tls: Arc<rustls::ServerConfig>,
    /// TLS configuration of the API server's listener: the same certificate, and an optional
    /// client certificate, which must chain to the CA when one is sent.
    pub apiserver_tls: Arc<rustls::ServerConfig>,
    /// The admin bearer token.
    pub admin_token: String,
    /// The serving certificate followed by the CA certificate, for the tests to verify.
    #[cfg(test)]
    pub chain: Vec<CertificateDer<'static>>,
}

fn pki_error(error: rcgen::Error) -> io::Error {
    io::Error::other(format!("certificate generation failed: {error}"))
}

/// Loads the CA and admin token from `data_dir`, creating them on first start, and issues a
/// serving certificate for `hosts` (IP addresses and DNS names).
pub(crate) fn load_or_create(data_dir: &Path, hosts: &[String]) -> io::Result<Credentials> {
    fs::create_dir_all(data_dir)?;
    let ca = match load_ca(data_dir)? {
        Some(ca) => ca,
        None => create_ca(data_dir)?,
    };
    let issuer = Issuer::new(ca.params, &ca.key);
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

    let ca_der = pem_to_der(&ca.pem)?;
    let chain = vec![server_cert.der().clone(), ca_der.clone()];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der()));
    let tls = server_config(chain.clone(), key.clone_key(), None)?;
    let apiserver_tls = server_config(chain.clone(), key, Some(ca_der))?;

    let token_path = data_dir.join(files::ADMIN_TOKEN);
    let admin_token = if token_path.exists() {
        fs::read_to_string(&token_path)?.trim().to_owned()
    } else {
        let token = random_token();
        write_private(&token_path, token.as_bytes())?;
        token
    };
    Ok(Credentials {
        ca_pem: ca.pem,
        tls,
        apiserver_tls,
        admin_token,
        #[cfg(test)]
        chain,
    })
}

/// The certificate authority of a data directory.
pub(crate) struct Authority {
    /// Its private key.
    pub key: KeyPair,
    /// Its certificate, PEM.
    pub pem: String,
    /// The parameters it was made with, for issuing.
    pub params: CertificateParams,
}

/// The CA of `data_dir`, if it has one.
pub(crate) fn load_ca(data_dir: &Path) -> io::Result<Option<Authority>> {
    let key_path = data_dir.join(files::CA_KEY);
    if !key_path.exists() {
        return Ok(None);
    }
    let pem = fs::read_to_string(&key_path)?;
    let key =
        KeyPair::from_pem_and_sign_algo(&pem, &rcgen::PKCS_ECDSA_P256_SHA256).map_err(pki_error)?;
    let created = fs::read_to_string(data_dir.join(files::CA_CREATED))?
        .trim()
        .parse()
        .map_err(io::Error::other)?;
    let certificate = fs::read_to_string(data_dir.join(files::CA_CERT))?;
    Ok(Some(Authority {
        key,
        pem: certificate,
        params: ca_params(created),
    }))
}

fn create_ca(data_dir: &Path) -> io::Result<Authority> {
    let (identity, key, params) = new_authority()?;
    for (file, contents) in &identity.files {
        if *file != files::ADMIN_TOKEN {
            write_private(&data_dir.join(file), contents.as_bytes())?;
        }
    }
    Ok(Authority {
        key,
        pem: identity.ca_pem,
        params,
    })
}

/// A control plane's identity made apart from it: its certificate authority and admin token,
/// as the files of a data directory. A provisioner makes one, keeps it, hands it to a control
/// plane it starts elsewhere ([`adopt_identity`]) and reaches that control plane with it.
pub struct Identity {
    /// File name in a data directory and contents, for each file of the identity.
    pub files: Vec<(&'static str, String)>,
    /// The CA certificate clients trust, PEM.
    pub ca_pem: String,
    /// The admin bearer token.
    pub admin_token: String,
}

/// A new identity.
pub fn new_identity() -> io::Result<Identity> {
    new_authority().map(|(identity, _, _)| identity)
}

fn new_authority() -> io::Result<(Identity, KeyPair, CertificateParams)> {
    let created = Timestamp::now().as_second();
    let params = ca_params(created);
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(pki_error)?;
    let certificate = params.self_signed(&key).map_err(pki_error)?;
    let admin_token = random_token();
    let identity = Identity {
        files: vec![
            (files::CA_KEY, key.serialize_pem()),
            (files::CA_CERT, certificate.pem()),
            (files::CA_CREATED, created.to_string()),
            (files::ADMIN_TOKEN, admin_token.clone()),
        ],
        ca_pem: certificate.pem(),
        admin_token,
    };
    Ok((identity, key, params))
}

/// Takes the identity whose files are in `seed_dir` into `data_dir`, unless `data_dir` already
/// has a certificate authority (a data directory keeps the identity it started with).
pub fn adopt_identity(seed_dir: &Path, data_dir: &Path) -> io::Result<()> {
    fs::create_dir_all(data_dir)?;
    if data_dir.join(files::CA_KEY).exists() {
        return Ok(());
    }
    // The CA key goes last: its presence is what marks the identity as taken.
    for file in [
        files::CA_CERT,
        files::CA_CREATED,
        files::ADMIN_TOKEN,
        files::CA_KEY,
    ] {
        let contents = fs::read(seed_dir.join(file))?;
        write_private(&data_dir.join(file), &contents)?;
    }
    Ok(())
}

/// A TLS configuration serving `chain`; with `client_ca`, clients may present a certificate,
/// which must then chain to it.
fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    client_ca: Option<CertificateDer<'static>>,
) -> io::Result<Arc<rustls::ServerConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?;
    let verifies_clients = client_ca.is_some();
    let mut config = match client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(ca).map_err(io::Error::other)?;
            // NB: `builder()` would panic when two crypto providers are compiled in.
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .allow_unauthenticated()
                .build()
                .map_err(io::Error::other)?;
            builder.with_client_cert_verifier(verifier)
        }
    }
    .with_single_cert(chain, key)
    .map_err(io::Error::other)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    if verifies_clients {
        // A resumed TLS 1.3 session keeps the client certificate of the first handshake without
        // checking it again, so an expired certificate would live on; every connection does a
        // full handshake instead (kubectl opens few connections).
        config.session_storage = Arc::new(rustls::server::NoServerSessionStorage {});
        config.send_tls13_tickets = 0;
    }
    Ok(Arc::new(config))
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

pub(crate) fn pem_to_der(pem: &str) -> io::Result<CertificateDer<'static>> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(io::Error::other)?;
    Ok(CertificateDer::from(der))
}

/// 32 random bytes, hex-encoded.
pub(crate) fn random_token() -> String {
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
    // `mode` only applies to a new file; an existing one is narrowed too.
    file.set_permissions(fs::Permissions::from_mode(0o600))?;
    file.write_all(contents)
}

/// Writes a kubeconfig for `server` that trusts `ca_pem` and authenticates with `token`.
pub(crate) fn write_kubeconfig(
    path: &Path,
    server: &str,
    ca_pem: &str,
    token: &str,
) -> io::Result<()> {
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
    fn an_adopted_identity_is_the_one_the_control_plane_serves_and_is_kept() {
        let (seed, data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let identity = new_identity().unwrap();
        for (file, contents) in &identity.files {
            fs::write(seed.path().join(file), contents).unwrap();
        }
        adopt_identity(seed.path(), data.path()).unwrap();
        let hosts = vec!["127.0.0.1".to_owned(), "runtime.example.svc".to_owned()];
        let credentials = load_or_create(data.path(), &hosts).unwrap();
        assert_eq!(credentials.admin_token, identity.admin_token);
        assert!(verifies(&identity.ca_pem, &credentials.chain));
        // Another identity offered later does not replace the one taken.
        let other = new_identity().unwrap();
        for (file, contents) in &other.files {
            fs::write(seed.path().join(file), contents).unwrap();
        }
        adopt_identity(seed.path(), data.path()).unwrap();
        let again = load_or_create(data.path(), &hosts).unwrap();
        assert_eq!(again.admin_token, identity.admin_token);
    }

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
