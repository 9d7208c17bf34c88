//! The Director's enums, with the original's names and values.

use async_graphql::Enum;

/// Kind of API specification.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "APISpecType", rename_items = "SCREAMING_SNAKE_CASE")]
pub enum ApiSpecType {
    /// OData.
    Odata,
    /// OpenAPI.
    OpenApi,
}

/// Kind of event specification.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum EventSpecType {
    /// AsyncAPI.
    AsyncApi,
}

/// Serialization of a specification.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum SpecFormat {
    /// YAML.
    Yaml,
    /// JSON.
    Json,
    /// XML.
    Xml,
}

/// Markup of a document.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum DocumentFormat {
    /// Markdown.
    Markdown,
}

/// What a fetch request's URL returns.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum FetchMode {
    /// One document.
    #[default]
    Single,
    /// An archive of documents.
    Package,
    /// An index of documents.
    Index,
}

/// Where a fetch request stands.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum FetchRequestStatusCondition {
    /// Not fetched yet.
    Initial,
    /// Fetched.
    Succeeded,
    /// The last attempt failed.
    Failed,
}

/// State of an application.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum ApplicationStatusCondition {
    /// Not reconciled yet.
    Initial,
    /// State unknown.
    Unknown,
    /// Registered and consumable.
    Ready,
    /// Something needs fixing (the conditions say what).
    Failed,
}

/// State of a runtime.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum RuntimeStatusCondition {
    /// Not reconciled yet.
    Initial,
    /// Registered.
    Ready,
    /// Something needs fixing.
    Failed,
}

/// When an application webhook is called.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum ApplicationWebhookType {
    /// When the application's configuration for a runtime changes.
    ConfigurationChanged,
}

/// Who may use an application template.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum ApplicationTemplateAccessLevel {
    /// Every tenant.
    Global,
}

/// Kind of health check.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum HealthCheckType {
    /// The management plane's check of an application.
    ManagementPlaneApplicationHealthcheck,
}

/// Outcome of a health check.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum HealthCheckStatusCondition {
    /// Healthy.
    Succeeded,
    /// Unhealthy.
    Failed,
}

/// Kind of caller.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum ViewerType {
    /// A Runtime Agent.
    Runtime,
    /// An application.
    Application,
    /// An integration system.
    IntegrationSystem,
    /// A person or static user.
    User,
}
