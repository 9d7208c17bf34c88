//! The Connector's flow from the client's side, as `compass connect` and the Runtime Agent run
//! it: a one-time token (or the current certificate) opens `configuration`, which hands out a
//! token for one CSR, the subject it must carry and where the Director is; a CSR with exactly that
//! subject, signed by the client's own key, is sent to `signCertificateSigningRequest`; the
//! answer is the client certificate, checked here to be for that key and that subject. Nothing
//! here touches files.

use base64::Engine;
/// A client's key pair (rcgen's), for [`pair`] and [`renew`].
pub use rcgen::KeyPair;
use rcgen::{
    CertificateParams, DistinguishedName, DnType, DnValue, PKCS_ECDSA_P256_SHA256,
    string::PrintableString,
};
use serde_json::{Value, json};
use x509_parser::prelude::{FromDer, X509Certificate};

use super::DirectorClient;

/// Header the one-time tokens travel in.
pub const TOKEN_HEADER: &str = "Connector-Token";

const CONFIGURATION: &str = "query { configuration { token { token } certificateSigningRequestInfo { subject keyAlgorithm } managementPlaneInfo { directorURL certificateSecuredConnectorURL } } }";
const SIGN: &str = "mutation ($csr: String!) { signCertificateSigningRequest(csr: $csr) { certificateChain caCertificate clientCertificate } }";
const REVOKE: &str = "mutation { revokeCertificate }";

/// Why a step of the flow failed.
#[derive(Debug, thiserror::Error)]
pub enum PairingError {
    /// No HTTP answer: the URL is unreachable, or TLS failed (the server's certificate is not
    /// trusted, or the client certificate was refused).
    #[error("{0}")]
    Unreachable(String),
    /// The Connector answered with a GraphQL error.
    #[error("the Connector refused {operation}: {message}")]
    Refused {
        /// `configuration`, `signCertificateSigningRequest` or `revokeCertificate`.
        operation: &'static str,
        /// Its message.
        message: String,
        /// Its `extensions.code` (`UNAUTHENTICATED`, `INVALID_INPUT`, ...).
        code: String,
    },
    /// The answer is not what the Connector answers: a wrong URL, or another server.
    #[error("{0}")]
    Unexpected(String),
    /// The client's side failed: its key, its CSR, or the certificate it got back.
    #[error("{0}")]
    Local(String),
}

/// What `requestOneTimeTokenForApplication`/`…ForRuntime` hands out: the token and where to
/// redeem it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invitation {
    /// The one-time token.
    pub token: String,
    /// The Connector's URL.
    pub connector_url: String,
}

impl Invitation {
    /// From the `rawEncoded` field: base64 of the JSON `{"token", "connectorURL"}`.
    pub fn decode(raw_encoded: &str) -> Result<Self, String> {
        let compact: String = raw_encoded.chars().filter(|c| !c.is_whitespace()).collect();
        // Padding or not, standard or URL-safe alphabet: whatever a copy and paste kept.
        let unpadded = compact.trim_end_matches('=');
        let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
            .decode(unpadded)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(unpadded))
            .map_err(|_| "it is not base64")?;
        let raw: Value =
            serde_json::from_slice(&bytes).map_err(|_| "its base64 does not hold JSON")?;
        let field = |name: &str| {
            raw.get(name)
                .and_then(Value::as_str)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| format!("its JSON has no string field {name:?}"))
        };
        Ok(Self {
            token: field("token")?,
            connector_url: field("connectorURL")?,
        })
    }
}

/// What `configuration` answers.
#[derive(Clone, Debug)]
pub struct Configuration {
    /// The token for one `signCertificateSigningRequest`.
    pub csr_token: String,
    /// The subject the CSR must carry, `O=…,OU=…,L=…,ST=…,C=…,CN=<client id>`.
    pub subject: String,
    /// The key algorithm the Connector names (`rsa2048`; P-256 is accepted too).
    pub key_algorithm: String,
    /// The Director's URL.
    pub director_url: String,
    /// The Connector's URL for calls with the certificate (renewal, revocation).
    pub certificate_secured_connector_url: String,
}

/// A certificate the Connector signed, with its key and what the management plane told.
#[derive(Clone, Debug)]
pub struct Identity {
    /// The private key, PEM.
    pub key_pem: String,
    /// The client certificate followed by the Connector's CA certificate, PEM.
    pub certificate_chain_pem: String,
    /// The client certificate alone, PEM.
    pub client_certificate_pem: String,
    /// The Connector's CA certificate, PEM.
    pub ca_certificate_pem: String,
    /// The client id: the certificate's common name.
    pub client_id: String,
    /// The certificate's serial number, lowercase hexadecimal.
    pub serial_number: String,
    /// Start of the certificate's validity.
    pub not_before: jiff::Timestamp,
    /// End of the certificate's validity.
    pub not_after: jiff::Timestamp,
    /// The Director's URL.
    pub director_url: String,
    /// The Connector's URL for calls with the certificate.
    pub certificate_secured_connector_url: String,
}

/// A new P-256 key, the kind `compass connect` makes (ring makes no RSA keys).
pub fn generate_key() -> Result<KeyPair, PairingError> {
    KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)
        .map_err(|e| PairingError::Local(format!("generating a P-256 key failed: {e}")))
}

/// A private key from PEM: PKCS#8 (`BEGIN PRIVATE KEY`), RSA of 2048 to 4096 bits or ECDSA P-256.
pub fn read_key(pem: &str) -> Result<KeyPair, String> {
    if pem.contains("BEGIN RSA PRIVATE KEY") || pem.contains("BEGIN EC PRIVATE KEY") {
        return Err(
            "the key is not PKCS#8; convert it with `openssl pkcs8 -topk8 -nocrypt -in OLD -out NEW`"
                .to_owned(),
        );
    }
    KeyPair::from_pem(pem).map_err(|e| {
        format!("not a PKCS#8 PEM private key of RSA or ECDSA P-256 (BEGIN PRIVATE KEY): {e}")
    })
}

/// The CSR (PEM) for `subject` as `configuration` returns it, signed with `key`.
pub fn certificate_signing_request(subject: &str, key: &KeyPair) -> Result<String, PairingError> {
    let local = |message: String| PairingError::Local(message);
    let mut name = DistinguishedName::new();
    for part in subject.split(',') {
        let (short, value) = part
            .split_once('=')
            .ok_or_else(|| local(format!("the subject {subject:?} has a part without '='")))?;
        let kind = match short.trim() {
            "O" => DnType::OrganizationName,
            "OU" => DnType::OrganizationalUnitName,
            "L" => DnType::LocalityName,
            "ST" => DnType::StateOrProvinceName,
            "C" => DnType::CountryName,
            "CN" => DnType::CommonName,
            other => {
                return Err(local(format!(
                    "the subject {subject:?} names a field {other:?} this client does not know"
                )));
            }
        };
        // Country codes are PrintableString, as X.509 asks and openssl writes them.
        let value = match (&kind, PrintableString::try_from(value)) {
            (DnType::CountryName, Ok(printable)) => DnValue::PrintableString(printable),
            _ => DnValue::Utf8String(value.to_owned()),
        };
        name.push(kind, value);
    }
    let mut params = CertificateParams::default();
    params.distinguished_name = name;
    let request = params.serialize_request(key).map_err(|e| {
        local(format!(
            "making the certificate signing request failed: {e}"
        ))
    })?;
    request.pem().map_err(|e| {
        local(format!(
            "encoding the certificate signing request failed: {e}"
        ))
    })
}

/// Calls `configuration` with whatever `connector` presents (a `Connector-Token` header or a
/// client certificate).
pub async fn configuration(connector: &DirectorClient) -> Result<Configuration, PairingError> {
    let data = call(connector, "configuration", CONFIGURATION, json!({})).await?;
    let configuration = &data["configuration"];
    let text = |path: &[&str]| {
        path.iter()
            .fold(configuration, |value, key| &value[key])
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| {
                PairingError::Unexpected(format!(
                    "{} answered configuration without {}",
                    connector.url(),
                    path.join(".")
                ))
            })
    };
    Ok(Configuration {
        csr_token: text(&["token", "token"])?,
        subject: text(&["certificateSigningRequestInfo", "subject"])?,
        key_algorithm: text(&["certificateSigningRequestInfo", "keyAlgorithm"])?,
        director_url: text(&["managementPlaneInfo", "directorURL"])?,
        certificate_secured_connector_url: text(&[
            "managementPlaneInfo",
            "certificateSecuredConnectorURL",
        ])?,
    })
}

/// Sends `csr_pem` to `signCertificateSigningRequest` with whatever `connector` presents (the
/// CSR token, or the current certificate); returns the chain, the CA and the client
/// certificate, PEM.
pub async fn sign(
    connector: &DirectorClient,
    csr_pem: &str,
) -> Result<(String, String, String), PairingError> {
    let csr = base64::engine::general_purpose::STANDARD.encode(csr_pem);
    let data = call(
        connector,
        "signCertificateSigningRequest",
        SIGN,
        json!({ "csr": csr }),
    )
    .await?;
    let result = &data["signCertificateSigningRequest"];
    let pem = |field: &str| {
        result[field]
            .as_str()
            .and_then(|b64| base64::engine::general_purpose::STANDARD.decode(b64).ok())
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(|| {
                PairingError::Unexpected(format!(
                    "{} answered signCertificateSigningRequest without a base64 PEM {field}",
                    connector.url()
                ))
            })
    };
    Ok((
        pem("certificateChain")?,
        pem("caCertificate")?,
        pem("clientCertificate")?,
    ))
}

/// Redeems `invitation` and has a certificate signed for `key`, trusting `ca_pem` for the
/// server's certificate (else the public web PKI's roots).
pub async fn pair(
    invitation: &Invitation,
    ca_pem: Option<&str>,
    key: KeyPair,
) -> Result<Identity, PairingError> {
    let base = DirectorClient::builder(&invitation.connector_url)
        .trust(ca_pem)
        .build()
        .map_err(PairingError::Local)?;
    let configuration = configuration(&base.with_header(TOKEN_HEADER, &invitation.token)).await?;
    let csr = certificate_signing_request(&configuration.subject, &key)?;
    let signing = base.with_header(TOKEN_HEADER, &configuration.csr_token);
    let signed = sign(&signing, &csr).await?;
    identity(key, &configuration, signed)
}

/// Renews the certificate `chain_pem` (with its key `key_pem`) at the Connector's
/// certificate-secured URL: a new certificate for `key` (a new key, or the current one again).
pub async fn renew(
    connector_url: &str,
    ca_pem: Option<&str>,
    (chain_pem, key_pem): (&str, &str),
    key: KeyPair,
) -> Result<Identity, PairingError> {
    let connector = DirectorClient::builder(connector_url)
        .trust(ca_pem)
        .certificate(chain_pem, key_pem)
        .build()
        .map_err(PairingError::Local)?;
    let configuration = configuration(&connector).await?;
    let csr = certificate_signing_request(&configuration.subject, &key)?;
    let signed = sign(&connector, &csr).await?;
    identity(key, &configuration, signed)
}

/// Revokes the certificate `connector` presents.
pub async fn revoke(connector: &DirectorClient) -> Result<(), PairingError> {
    let data = call(connector, "revokeCertificate", REVOKE, json!({})).await?;
    match data["revokeCertificate"].as_bool() {
        Some(true) => Ok(()),
        _ => Err(PairingError::Unexpected(format!(
            "{} answered revokeCertificate with {data}",
            connector.url()
        ))),
    }
}

/// The identity of a signed certificate, checked to be for `key` and the handed-out subject.
fn identity(
    key: KeyPair,
    configuration: &Configuration,
    (chain, ca, client): (String, String, String),
) -> Result<Identity, PairingError> {
    let local = |message: String| PairingError::Local(message);
    let (_, pem) = x509_parser::pem::parse_x509_pem(client.as_bytes())
        .map_err(|e| local(format!("the client certificate returned is not PEM: {e}")))?;
    let (_, certificate) = X509Certificate::from_der(&pem.contents).map_err(|e| {
        local(format!(
            "the client certificate returned does not parse: {e}"
        ))
    })?;
    let spki = certificate.public_key();
    if spki.subject_public_key.data.as_ref() != key.public_key_raw() {
        return Err(local(
            "the certificate returned is not for the key the request was signed with".to_owned(),
        ));
    }
    let client_id = certificate
        .subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .unwrap_or_default()
        .to_owned();
    if !configuration.subject.ends_with(&format!("CN={client_id}")) || client_id.is_empty() {
        return Err(local(format!(
            "the certificate returned is for {client_id:?}, not the subject {}",
            configuration.subject
        )));
    }
    let not_before = certificate.validity().not_before.timestamp();
    let not_after = certificate.validity().not_after.timestamp();
    Ok(Identity {
        key_pem: key.serialize_pem(),
        certificate_chain_pem: chain,
        client_certificate_pem: client,
        ca_certificate_pem: ca,
        client_id,
        serial_number: compass_crds::hex::lower(certificate.raw_serial()),
        not_before: jiff::Timestamp::from_second(not_before)
            .map_err(|e| local(format!("the certificate's notBefore is out of range: {e}")))?,
        not_after: jiff::Timestamp::from_second(not_after)
            .map_err(|e| local(format!("the certificate's notAfter is out of range: {e}")))?,
        director_url: configuration.director_url.clone(),
        certificate_secured_connector_url: configuration.certificate_secured_connector_url.clone(),
    })
}

/// Sends one operation; its `data`, or why there is none.
async fn call(
    connector: &DirectorClient,
    operation: &'static str,
    query: &str,
    variables: Value,
) -> Result<Value, PairingError> {
    let answer = connector
        .execute(query, variables)
        .await
        .map_err(PairingError::Unreachable)?;
    if let Some(error) = answer.body["errors"].get(0) {
        return Err(PairingError::Refused {
            operation,
            message: error["message"].as_str().unwrap_or_default().to_owned(),
            code: error["extensions"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        });
    }
    match answer.body.get("data") {
        Some(data) if answer.status == 200 && data.is_object() => Ok(data.clone()),
        _ => {
            let mut body = answer.body.to_string();
            body.truncate(200);
            Err(PairingError::Unexpected(format!(
                "{} is not the Connector: it answered {operation} with HTTP {} {body}",
                connector.url(),
                answer.status
            )))
        }
    }
}

#[cfg(test)]
mod tests;
