//! API definitions of an application: an endpoint, its spec, and the credentials runtimes use.

use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::source::{DataSource, FetchRequest, Version};
use crate::{
    auth::Auth,
    schema::{
        DEFINITION_NAME_MAX_LENGTH, DESCRIPTION_MAX_LENGTH, GROUP_MAX_LENGTH,
        INLINE_DATA_MAX_LENGTH, LONG_STRING_MAX_LENGTH, OBJECT_NAME_PATTERN,
        PRINTABLE_ASCII_PATTERN,
    },
};

/// An API the application exposes.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApiDefinition {
    /// Name of the API, unique among the application's API definitions. Printable ASCII.
    #[schemars(length(min = 1, max = DEFINITION_NAME_MAX_LENGTH), regex(pattern = PRINTABLE_ASCII_PATTERN))]
    pub name: String,

    /// What the API offers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = DESCRIPTION_MAX_LENGTH))]
    pub description: Option<String>,

    /// Base URL runtimes call the API at.
    #[serde(rename = "targetURL")]
    #[schemars(length(min = 1, max = LONG_STRING_MAX_LENGTH))]
    #[x_kube(validation = Rule::new(crate::schema::URL_RULE).message(crate::schema::URL_MESSAGE))]
    pub target_url: String,

    /// Groups versions of the same API, for example `orders`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = GROUP_MAX_LENGTH))]
    pub group: Option<String>,

    /// Version of the API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Version>,

    /// The API's specification document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<ApiSpec>,

    /// Credentials for calling the API, used for every runtime without its own entry in
    /// `runtimeAuths`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_auth: Option<Box<Auth>>,

    /// Credentials for calling the API from one particular runtime.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 500))]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["runtime".into()]))]
    pub runtime_auths: Vec<RuntimeAuth>,
}

/// Credentials of one runtime for one API.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeAuth {
    /// Name of the Runtime in the same namespace.
    #[schemars(length(min = 1, max = 253), regex(pattern = OBJECT_NAME_PATTERN))]
    pub runtime: String,
    /// Credentials that runtime uses.
    pub auth: Auth,
}

/// The specification document of an API: its type and format, and exactly one source of content.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("self.type == 'OPEN_API' ? self.format in ['YAML', 'JSON'] : self.format in ['XML', 'JSON']")
        .message(Message::Expression("self.format + ' is not a valid spec format for spec type ' + self.type + ' (OPEN_API takes YAML or JSON, ODATA takes XML or JSON)'".into()))
        .field_path(".format"),
    validation = Rule::new(crate::schema::ONE_SOURCE_RULE).message(crate::schema::ONE_SOURCE_MESSAGE),
)]
pub struct ApiSpec {
    /// Kind of specification.
    #[serde(rename = "type")]
    pub type_: ApiSpecType,

    /// Serialization of the specification.
    pub format: SpecFormat,

    /// The specification inline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = INLINE_DATA_MAX_LENGTH))]
    pub data: Option<String>,

    /// The specification held in a ConfigMap, for documents too large to inline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_from: Option<DataSource>,

    /// Download the specification from a URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetch_request: Option<Box<FetchRequest>>,
}

/// Kind of API specification.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum ApiSpecType {
    /// OpenAPI (Swagger).
    #[serde(rename = "OPEN_API")]
    OpenApi,
    /// OData.
    #[serde(rename = "ODATA")]
    Odata,
}

/// Serialization of a specification.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum SpecFormat {
    /// YAML.
    #[serde(rename = "YAML")]
    Yaml,
    /// JSON.
    #[serde(rename = "JSON")]
    Json,
    /// XML.
    #[serde(rename = "XML")]
    Xml,
}
