//! The Connector's certificate authority: its certificate and key live in a Secret of the system
//! namespace (`ca.crt`, `ca.key`), generated on first start or supplied by the operator of the
//! installation. Every certificate in `ca.crt` is trusted for client authentication; the first
//! one, whose key is `ca.key`, signs. It is a CA of its own, never the control plane's: a
//! certificate issued to an application must not also open the Kubernetes API.

use std::{collections::BTreeMap, time::Duration};

use k8s_openapi::{ByteString, api::core::v1::Secret};
use kube::{
    Api, Client,
    api::{ObjectMeta, PostParams},
};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PKCS_ECDSA_P256_SHA256,
};
use rustls::pki_types::{CertificateDer, pem::PemObject};

/// Key of the CA certificate(s) in the Secret: PEM, the signing certificate first.
pub const CA_CERTIFICATE_KEY: &str = "ca.crt";
/// Key of the signing certificate's private key in the Secret: PEM (PKCS#8).
pub const CA_KEY_KEY: &str = "ca.key";
/// Name of the Secret, in the system namespace, unless configured otherwise.
pub const DEFAULT_SECRET: &str = "compass-connector-ca";

/// How long a generated CA is valid.
const CA_VALIDITY: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// The Connector's certificate authority.
pub struct Authority {
    issuer: Issuer<'static, KeyPair>,
    /// The signing certificate, PEM.
    pub certificate_pem: String,
    /// Every trusted CA certificate (the signing one first), DER.
    pub trusted: Vec<CertificateDer<'static>>,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authority")
            .field("trusted", &self.trusted.len())
            .finish_non_exhaustive()
    }
}

impl Authority {
    /// Reads the CA from the Secret `namespace`/`name`, or generates one and stores it there
    /// when the Secret does not exist. Of several replicas starting at once, one creates it and
    /// the others read what it created.
    pub async fn load_or_create(
        client: &Client,
        namespace: &str,
        name: &str,
    ) -> Result<Self, String> {
        let api: Api<Secret> = Api::namespaced(client.clone(), namespace);
        let where_ = format!("the Connector's CA Secret {namespace}/{name}");
        if let Some(secret) = api
            .get_opt(name)
            .await
            .map_err(|e| format!("reading {where_} failed: {e}"))?
        {
            return Self::from_secret(&secret).map_err(|e| format!("{where_}: {e}"));
        }
        let (certificate, key) = generate()?;
        let secret = Secret {
            metadata: ObjectMeta {
                name: Some(name.to_owned()),
                namespace: Some(namespace.to_owned()),
                ..ObjectMeta::default()
            },
            data: Some(BTreeMap::from([
                (
                    CA_CERTIFICATE_KEY.to_owned(),
                    ByteString(certificate.into_bytes()),
                ),
                (CA_KEY_KEY.to_owned(), ByteString(key.into_bytes())),
            ])),
            ..Secret::default()
        };
        let stored = match api.create(&PostParams::default(), &secret).await {
            Ok(created) => created,
            Err(kube::Error::Api(status)) if status.code == 409 => api
                .get(name)
                .await
                .map_err(|e| format!("reading {where_} failed: {e}"))?,
            Err(e) => return Err(format!("creating {where_} failed: {e}")),
        };
        Self::from_secret(&stored).map_err(|e| format!("{where_}: {e}"))
    }

    /// The CA a Secret holds.
    pub fn from_secret(secret: &Secret) -> Result<Self, String> {
        let field = |key: &str| {
            secret
                .data
                .as_ref()
                .and_then(|d| d.get(key))
                .and_then(|v| String::from_utf8(v.0.clone()).ok())
                .ok_or_else(|| format!("data.{key} is missing or not PEM text"))
        };
        Self::from_pem(&field(CA_CERTIFICATE_KEY)?, &field(CA_KEY_KEY)?)
    }

    /// The CA of PEM certificates (the signing one first) and the signing key.
    pub fn from_pem(certificates: &str, key: &str) -> Result<Self, String> {
        let trusted = CertificateDer::pem_slice_iter(certificates.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("{CA_CERTIFICATE_KEY} is not PEM certificates: {e}"))?;
        let signing = trusted
            .first()
            .ok_or_else(|| format!("{CA_CERTIFICATE_KEY} holds no certificate"))?;
        let key = KeyPair::from_pem(key)
            .map_err(|e| format!("{CA_KEY_KEY} is not a usable private key: {e}"))?;
        let (_, parsed) = x509_parser::parse_x509_certificate(signing).map_err(|e| {
            format!("{CA_CERTIFICATE_KEY}: the first certificate does not parse: {e}")
        })?;
        if parsed.public_key().subject_public_key.data.as_ref() != key.public_key_raw() {
            return Err(format!(
                "{CA_KEY_KEY} is not the key of the first certificate in {CA_CERTIFICATE_KEY}"
            ));
        }
        if !parsed.is_ca() {
            return Err(format!(
                "the first certificate in {CA_CERTIFICATE_KEY} is not a CA (basicConstraints CA:TRUE)"
            ));
        }
        let issuer = Issuer::from_ca_cert_der(signing, key)
            .map_err(|e| format!("{CA_CERTIFICATE_KEY}: {e}"))?;
        let certificate_pem = compass_apiserver::pki::pem("CERTIFICATE", signing);
        Ok(Self {
            issuer,
            certificate_pem,
            trusted,
        })
    }

    /// The issuer that signs client certificates.
    pub(crate) fn issuer(&self) -> &Issuer<'static, KeyPair> {
        &self.issuer
    }
}

/// A new self-signed P-256 CA: its certificate and key, PEM.
fn generate() -> Result<(String, String), String> {
    let failed = |e: rcgen::Error| format!("generating the Connector's CA failed: {e}");
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).map_err(failed)?;
    let now = jiff::Timestamp::now();
    let mut name = DistinguishedName::new();
    name.push(DnType::OrganizationName, "Compass on Kubernetes");
    // The creation time in the name keeps CAs of different installations apart: a client holding
    // another installation's CA fails with "unknown authority", not a signature error.
    name.push(
        DnType::CommonName,
        format!("Compass Connector CA {}", now.as_second()),
    );
    let mut params = CertificateParams::default();
    params.distinguished_name = name;
    params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let epoch = rcgen::date_time_ymd(1970, 1, 1);
    let since = Duration::from_secs(now.as_second().max(0) as u64);
    params.not_before = epoch + since.saturating_sub(Duration::from_secs(3600));
    params.not_after = epoch + since + CA_VALIDITY;
    params.serial_number = Some(super::signing::random_serial()?.0);
    let certificate = params.self_signed(&key).map_err(failed)?;
    Ok((certificate.pem(), key.serialize_pem()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_ca_reads_back_and_a_foreign_key_is_refused() {
        let (certificate, key) = generate().unwrap();
        let authority = Authority::from_pem(&certificate, &key).unwrap();
        assert_eq!(authority.trusted.len(), 1);
        assert_eq!(authority.certificate_pem.trim(), certificate.trim());
        let (_, other_key) = generate().unwrap();
        let error = Authority::from_pem(&certificate, &other_key).unwrap_err();
        assert!(
            error.contains("not the key of the first certificate"),
            "{error}"
        );
        let error = Authority::from_pem("", &key).unwrap_err();
        assert!(error.contains("holds no certificate"), "{error}");
    }
}
