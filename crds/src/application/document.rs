//! Documents of an application: Markdown pages that describe it to the people who consume it.

use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::source::{DataSource, FetchRequest};
use crate::schema::{
    DESCRIPTION_MAX_LENGTH, INLINE_DATA_MAX_LENGTH, LONG_STRING_MAX_LENGTH, SHORT_STRING_MAX_LENGTH,
};

/// A document about the application. Documents are added and removed, never edited in place.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new(crate::schema::AT_MOST_ONE_SOURCE_RULE)
    .message(crate::schema::AT_MOST_ONE_SOURCE_MESSAGE))]
pub struct Document {
    /// Title of the document, unique among the application's documents.
    #[schemars(length(min = 1, max = SHORT_STRING_MAX_LENGTH))]
    pub title: String,

    /// Name shown to people.
    #[schemars(length(min = 1, max = SHORT_STRING_MAX_LENGTH))]
    pub display_name: String,

    /// What the document covers.
    #[schemars(length(min = 1, max = DESCRIPTION_MAX_LENGTH))]
    pub description: String,

    /// Markup of the document.
    pub format: DocumentFormat,

    /// Free-form category, for example `Service Class`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = LONG_STRING_MAX_LENGTH))]
    pub kind: Option<String>,

    /// The document inline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = INLINE_DATA_MAX_LENGTH))]
    pub data: Option<String>,

    /// The document held in a ConfigMap, for documents too large to inline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_from: Option<DataSource>,

    /// Download the document from a URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetch_request: Option<Box<FetchRequest>>,
}

/// Markup of a document.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum DocumentFormat {
    /// Markdown.
    #[serde(rename = "MARKDOWN")]
    Markdown,
}
