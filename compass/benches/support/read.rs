//! The Director's answers as the benches read them: into types, every field a bench's
//! operations ask for, as a client generated from the schema reads them (labels, which hold
//! any JSON, as JSON values). Not into a tree of JSON values: the benches' client shares two
//! cores with the server, and a tree of a page of 100, copied, cost it 1.5 to 1.9 times the CPU
//! of reading it this way; the API server's reference reads its objects into types too.

use serde::Deserialize;
use serde_json::Value;

/// A page of applications.
#[derive(Deserialize)]
pub struct Listed {
    /// The items.
    pub data: Vec<ApplicationRead>,
    /// Where the page is, when asked for.
    #[serde(rename = "pageInfo")]
    pub page_info: Option<PageInfo>,
    /// How many match, when asked for.
    #[serde(rename = "totalCount")]
    pub total_count: Option<u64>,
}

/// Where a page is.
#[derive(Deserialize)]
pub struct PageInfo {
    /// The cursor after its last item.
    #[serde(rename = "endCursor")]
    pub end_cursor: Option<String>,
    /// Whether more follow.
    #[serde(rename = "hasNextPage")]
    pub has_next_page: bool,
}

/// An application, with what the benches' operations ask of it.
#[derive(Deserialize)]
pub struct ApplicationRead {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// What it is.
    pub description: Option<String>,
    /// Its labels: any JSON under each key.
    pub labels: Option<Value>,
    /// Where it stands.
    pub status: Option<Status>,
    /// Its APIs.
    #[serde(rename = "apiDefinitions")]
    pub api_definitions: Option<Page<ApiDefinitionRead>>,
    /// Its events.
    #[serde(rename = "eventDefinitions")]
    pub event_definitions: Option<Page<Named>>,
}

/// Where an application stands.
#[derive(Deserialize)]
pub struct Status {
    /// Its state.
    pub condition: String,
}

/// A page of an application's children.
#[derive(Deserialize)]
pub struct Page<T> {
    /// The children.
    pub data: Vec<T>,
    /// How many there are, when asked for.
    #[serde(rename = "totalCount")]
    pub total_count: Option<u64>,
}

/// A child known by its id and name.
#[derive(Deserialize)]
pub struct Named {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// An API definition.
#[derive(Deserialize)]
pub struct ApiDefinitionRead {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Where it is served.
    #[serde(rename = "targetURL")]
    pub target_url: String,
    /// Its specification, when asked for.
    pub spec: Option<SpecRead>,
}

/// A specification.
#[derive(Deserialize)]
pub struct SpecRead {
    /// Its kind (`OPEN_API`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// Its format (`YAML`, `JSON`, ...).
    pub format: String,
    /// The document, when held.
    pub data: Option<String>,
}
