//! Where the content of a spec or document comes from, and the version metadata of definitions.

use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    auth::Auth,
    schema::{DNS_LABEL_PATTERN, LONG_STRING_MAX_LENGTH, OBJECT_NAME_PATTERN},
};

// Held boxed where optional, as `Auth` is, and for the same reason (about 350 bytes inline).
/// A request the operator sends to download a spec or document.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct FetchRequest {
    /// URL the content is downloaded from.
    #[schemars(length(min = 1, max = LONG_STRING_MAX_LENGTH))]
    #[x_kube(validation = Rule::new(crate::schema::URL_RULE).message(crate::schema::URL_MESSAGE))]
    pub url: String,

    /// Credentials presented to `url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<Box<Auth>>,

    /// What the URL returns: one document (`SINGLE`, the default), an archive (`PACKAGE`) or an
    /// index of documents (`INDEX`).
    // No schema default: defaults inside list items make every client-side re-apply a change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<FetchMode>,

    /// Which files to take from a `PACKAGE` or `INDEX` response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = LONG_STRING_MAX_LENGTH))]
    pub filter: Option<String>,
}

/// What a fetch request's URL returns.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
pub enum FetchMode {
    /// A single document.
    #[default]
    #[serde(rename = "SINGLE")]
    Single,
    /// An archive of documents.
    #[serde(rename = "PACKAGE")]
    Package,
    /// An index listing documents.
    #[serde(rename = "INDEX")]
    Index,
}

/// Content kept outside the custom resource, for specs too large to inline.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DataSource {
    /// A key of a ConfigMap in the same namespace.
    pub config_map_key_ref: ConfigMapKeyReference,
}

/// A key of a ConfigMap in the namespace of the referring object.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConfigMapKeyReference {
    /// Name of the ConfigMap.
    #[schemars(length(min = 1, max = 253), regex(pattern = OBJECT_NAME_PATTERN))]
    pub name: String,
    /// Key within the ConfigMap's `data`.
    #[schemars(length(min = 1, max = 253), regex(pattern = r"^[-._a-zA-Z0-9]+$"))]
    pub key: String,
}

/// Version of an API or event definition.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Version {
    /// The version, for example `v1` or `2.3.0`.
    #[schemars(length(min = 1, max = LONG_STRING_MAX_LENGTH))]
    pub value: String,

    /// Whether this version is deprecated. Defaults to false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<bool>,

    /// The version since which this one is deprecated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = LONG_STRING_MAX_LENGTH))]
    pub deprecated_since: Option<String>,

    /// Whether this version will be removed. Defaults to false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub for_removal: Option<bool>,
}

/// Pattern of child names that are also used in object names (webhooks).
pub(crate) const CHILD_NAME_PATTERN: &str = DNS_LABEL_PATTERN;
