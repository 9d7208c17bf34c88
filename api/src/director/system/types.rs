//! Types about callers, tenants, pairing and health: `Viewer`, `Tenant`, the one-time token
//! types, `HealthCheck`.

use async_graphql::{Interface, SimpleObject};

use crate::{
    director::enums::{HealthCheckStatusCondition, HealthCheckType, ViewerType},
    pagination::PageInfo,
    scalars::Timestamp,
};

/// Who is calling.
#[derive(Clone, Debug, PartialEq, SimpleObject)]
pub struct Viewer {
    /// The caller's id.
    pub id: async_graphql::ID,
    /// What kind of caller it is.
    #[graphql(name = "type")]
    pub type_: ViewerType,
}

/// A tenant.
#[derive(Clone, Debug, PartialEq, SimpleObject)]
pub struct Tenant {
    /// The external id callers send in the `Tenant` header.
    pub id: String,
    /// The internal id.
    #[graphql(name = "internalID")]
    pub internal_id: String,
    /// The name shown to people.
    pub name: Option<String>,
}

impl crate::director::plain::Plain for Tenant {}

/// A one-time token, exchanged at the Connector for a client certificate.
// NB: clippy reads the repeated keys of separate `field(...)` entries as duplicated attributes.
#[allow(clippy::duplicated_attributes)]
#[derive(Clone, Debug, PartialEq, Interface)]
#[graphql(
    field(name = "token", ty = "&String"),
    field(name = "connectorURL", method = "connector_url", ty = "&String"),
    field(name = "raw", ty = "&Option<String>"),
    field(name = "rawEncoded", method = "raw_encoded", ty = "&Option<String>")
)]
pub enum OneTimeToken {
    /// A token of an application.
    Application(OneTimeTokenForApplication),
    /// A token of a runtime.
    Runtime(OneTimeTokenForRuntime),
}

/// A one-time token of an application.
#[derive(Clone, Debug, PartialEq, Eq, SimpleObject)]
pub struct OneTimeTokenForApplication {
    /// The token.
    pub token: String,
    /// Where to exchange it.
    #[graphql(name = "connectorURL")]
    pub connector_url: String,
    /// The legacy Kyma connector URL, with the token.
    #[graphql(name = "legacyConnectorURL")]
    pub legacy_connector_url: String,
    /// `{"token","connectorURL"}` as JSON.
    pub raw: Option<String>,
    /// `raw`, base64-encoded.
    #[graphql(name = "rawEncoded")]
    pub raw_encoded: Option<String>,
}

/// A one-time token of a runtime.
#[derive(Clone, Debug, PartialEq, Eq, SimpleObject)]
pub struct OneTimeTokenForRuntime {
    /// The token.
    pub token: String,
    /// Where to exchange it.
    #[graphql(name = "connectorURL")]
    pub connector_url: String,
    /// `{"token","connectorURL"}` as JSON.
    pub raw: Option<String>,
    /// `raw`, base64-encoded.
    #[graphql(name = "rawEncoded")]
    pub raw_encoded: Option<String>,
}

/// The result of a health check.
#[derive(Clone, Debug, PartialEq, SimpleObject)]
pub struct HealthCheck {
    /// What was checked.
    #[graphql(name = "type")]
    pub type_: HealthCheckType,
    /// The outcome.
    pub condition: HealthCheckStatusCondition,
    /// Who checked.
    pub origin: Option<async_graphql::ID>,
    /// Details.
    pub message: Option<String>,
    /// When.
    pub timestamp: Timestamp,
}

/// A page of health checks.
#[derive(Clone, Debug, PartialEq, SimpleObject)]
#[graphql(rename_fields = "camelCase")]
pub struct HealthCheckPage {
    /// The health checks.
    pub data: Vec<HealthCheck>,
    /// Where the page is.
    pub page_info: PageInfo,
    /// How many there are.
    pub total_count: i32,
}
