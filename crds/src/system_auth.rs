//! The SystemAuth kind: one client identity of an application, runtime or integration system. Its
//! uid is the client id: the CN of the certificates issued to it and its OAuth client id.

use crate::conditions::Condition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::schema::OBJECT_NAME_PATTERN;

/// The digest a secret (a one-time token, a client secret) is stored as: `sha256:` and the
/// hexadecimal SHA-256 of the secret.
pub fn token_digest(token: &str) -> String {
    use sha2::{Digest, Sha256};
    let hex = crate::hex::lower(&Sha256::digest(token.as_bytes()));
    format!("sha256:{hex}")
}

/// Pattern of a stored token or secret digest: never the secret itself.
pub const SHA256_DIGEST_PATTERN: &str = "^sha256:[0-9a-f]{64}$";
/// Pattern of a certificate serial number: lowercase hexadecimal.
pub const SERIAL_NUMBER_PATTERN: &str = "^[0-9a-f]{1,40}$";

/// One client identity of an application, runtime or integration system.
// NB: clippy reads the repeated keys of separate `printcolumn(...)` entries as duplicated attributes.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[kube(
    group = "compass.kyma-project.io",
    version = "v1alpha1",
    kind = "SystemAuth",
    namespaced,
    status = "SystemAuthStatus",
    shortname = "sysauth",
    category = "compass",
    derive = "PartialEq",
    doc = "One client identity of an application, runtime or integration system. Its uid is the client id: the common name of the certificates the Connector issues to it and its OAuth client id. The status records one-time tokens (as SHA-256 digests only), issued OAuth client secrets (digests only) and issued certificates; revoking a certificate takes effect at once.",
    printcolumn(
        name = "Subject Kind",
        type_ = "string",
        json_path = ".spec.subject.kind"
    ),
    printcolumn(name = "Subject", type_ = "string", json_path = ".spec.subject.name"),
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    // NB: a string, not a date: kubectl shows a date as the time since it, and `<invalid>` for
    // one in the future, which an expiry always is while it matters.
    printcolumn(
        name = "Certificate Expiry",
        type_ = "string",
        json_path = ".status.certificateExpiry"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct SystemAuthSpec {
    /// The object this identity belongs to. Cannot change.
    #[x_kube(validation = Rule::new("self == oldSelf").message("subject cannot be changed"))]
    pub subject: SystemAuthSubject,

    /// Serial numbers (lowercase hexadecimal) of certificates that are revoked. Calls with a
    /// revoked certificate are refused at once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100), inner(regex(pattern = SERIAL_NUMBER_PATTERN)))]
    #[x_kube(merge_strategy = ListMerge::Set)]
    pub revoked_certificates: Vec<String>,
}

/// The object a system auth belongs to.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SystemAuthSubject {
    /// Kind of the object.
    pub kind: SubjectKind,
    /// Name of the object: an Application or Runtime in the same namespace, or a cluster-scoped
    /// IntegrationSystem.
    #[schemars(length(min = 1, max = 253), regex(pattern = OBJECT_NAME_PATTERN))]
    pub name: String,
}

/// Kind of object a system auth belongs to.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum SubjectKind {
    /// An Application.
    Application,
    /// A Runtime.
    Runtime,
    /// An IntegrationSystem.
    IntegrationSystem,
}

/// Credentials issued to a system auth, and what the operator observed about them.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct SystemAuthStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,

    /// Current state: `Ready` when the subject exists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Vec<Condition>,

    /// One-time tokens issued for this identity; expired ones are removed by the operator.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 20))]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["tokenHash".into()]))]
    pub one_time_tokens: Vec<OneTimeTokenRecord>,

    /// The OAuth client secret issued for this identity, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth_client: Option<OAuthClientRecord>,

    /// Certificates issued to this identity.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100))]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["serialNumber".into()]))]
    pub certificates: Vec<IssuedCertificate>,

    /// When the latest-expiring certificate that is not revoked expires.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_expiry: Option<Time>,
}

/// A one-time token, recorded by digest.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OneTimeTokenRecord {
    /// `sha256:` followed by the hexadecimal SHA-256 digest of the token.
    #[schemars(regex(pattern = SHA256_DIGEST_PATTERN))]
    pub token_hash: String,
    /// What the token may be exchanged for.
    pub purpose: TokenPurpose,
    /// When the token was issued.
    pub issued_at: Time,
    /// When the token stops being accepted.
    pub expires_at: Time,
    /// Whether the token has been exchanged; a token is accepted once.
    #[serde(default)]
    pub used: bool,
    /// When the token was exchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_at: Option<Time>,
}

/// What a one-time token may be exchanged for.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum TokenPurpose {
    /// Pairing: the Connector's configuration, for an application or runtime.
    Pairing,
    /// Signing one certificate signing request.
    CertificateSigning,
}

/// An OAuth client secret, recorded by digest.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OAuthClientRecord {
    /// `sha256:` followed by the hexadecimal SHA-256 digest of the client secret.
    #[schemars(regex(pattern = SHA256_DIGEST_PATTERN))]
    pub client_secret_hash: String,
    /// When the secret was issued.
    pub issued_at: Time,
}

/// A certificate the Connector signed for this identity.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct IssuedCertificate {
    /// Serial number, lowercase hexadecimal.
    #[schemars(regex(pattern = SERIAL_NUMBER_PATTERN))]
    pub serial_number: String,
    /// `sha256:` followed by the hexadecimal SHA-256 digest of the DER certificate.
    #[schemars(regex(pattern = SHA256_DIGEST_PATTERN))]
    pub fingerprint: String,
    /// Subject distinguished name.
    #[schemars(length(max = 1024))]
    pub subject: String,
    /// Start of validity.
    pub not_before: Time,
    /// End of validity.
    pub not_after: Time,
    /// Whether the serial number is listed in `spec.revokedCertificates`; kept in step with the
    /// spec by the operator.
    // NB: left out when false, so a Connector applying its certificate records never claims (and
    // resets) the flag the operator maintains.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub revoked: bool,
}
