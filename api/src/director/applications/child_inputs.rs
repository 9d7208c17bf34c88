//! What clients send for an application's children: webhooks, API and event definitions with
//! their specs, documents, fetch requests and versions, each with its `check(field)`.

use async_graphql::InputObject;

use super::{content, credentials, inputs::at};
use crate::{
    director::{
        auth::AuthInput,
        enums::{
            ApiSpecType, ApplicationWebhookType, DocumentFormat, EventSpecType, FetchMode,
            SpecFormat,
        },
        validate::{self, DEFINITION_NAME_MAX, DESCRIPTION_MAX, GROUP_MAX, LONG_MAX, SHORT_MAX},
    },
    errors::{ApiResult, invalid},
    scalars::Clob,
};

/// An endpoint of the application that the management plane calls.
#[derive(Clone, Debug, InputObject)]
pub struct WebhookInput {
    /// When it is called.
    #[graphql(name = "type")]
    pub type_: ApplicationWebhookType,
    /// **Validation:** an absolute http(s) URL.
    pub url: String,
    /// Credentials presented to it.
    pub auth: Option<AuthInput>,
}

/// An API of the application.
#[derive(Clone, Debug, InputObject)]
#[graphql(name = "APIDefinitionInput")]
pub struct ApiDefinitionInput {
    /// **Validation:** printable ASCII, at most 100 characters; unique in the application.
    pub name: String,
    /// What the API offers.
    pub description: Option<String>,
    /// **Validation:** an absolute http(s) URL.
    #[graphql(name = "targetURL")]
    pub target_url: String,
    /// **Validation:** at most 36 characters.
    pub group: Option<String>,
    /// The API's specification.
    pub spec: Option<ApiSpecInput>,
    /// Its version.
    pub version: Option<VersionInput>,
    /// Credentials for every runtime without its own.
    #[graphql(name = "defaultAuth")]
    pub default_auth: Option<AuthInput>,
}

/// An API specification.
#[derive(Clone, Debug, InputObject)]
#[graphql(name = "APISpecInput", rename_fields = "camelCase")]
pub struct ApiSpecInput {
    /// **Validation:** exactly one of data and fetchRequest.
    pub data: Option<Clob>,
    /// Kind of specification.
    #[graphql(name = "type")]
    pub type_: ApiSpecType,
    /// **Validation:** OPEN_API takes YAML or JSON; ODATA takes XML or JSON.
    pub format: SpecFormat,
    /// Where to download the specification from.
    pub fetch_request: Option<FetchRequestInput>,
}

/// Events of the application.
#[derive(Clone, Debug, InputObject)]
pub struct EventDefinitionInput {
    /// **Validation:** printable ASCII, at most 100 characters; unique in the application.
    pub name: String,
    /// What the events describe.
    pub description: Option<String>,
    /// The events' specification.
    pub spec: Option<EventSpecInput>,
    /// **Validation:** at most 36 characters.
    pub group: Option<String>,
    /// Their version.
    pub version: Option<VersionInput>,
}

/// An event specification.
#[derive(Clone, Debug, InputObject)]
#[graphql(rename_fields = "camelCase")]
pub struct EventSpecInput {
    /// **Validation:** exactly one of data and fetchRequest.
    pub data: Option<Clob>,
    /// Kind of specification.
    #[graphql(name = "type")]
    pub type_: EventSpecType,
    /// **Validation:** ASYNC_API takes YAML or JSON.
    pub format: SpecFormat,
    /// Where to download the specification from.
    pub fetch_request: Option<FetchRequestInput>,
}

/// A document about the application.
#[derive(Clone, Debug, InputObject)]
#[graphql(rename_fields = "camelCase")]
pub struct DocumentInput {
    /// **Validation:** 1 to 128 characters; unique in the application.
    pub title: String,
    /// **Validation:** 1 to 128 characters.
    pub display_name: String,
    /// **Validation:** 1 to 2000 characters.
    pub description: String,
    /// Markup of the document.
    pub format: DocumentFormat,
    /// **Validation:** at most 256 characters.
    pub kind: Option<String>,
    /// **Validation:** at most one of data and fetchRequest.
    pub data: Option<Clob>,
    /// Where to download the document from.
    pub fetch_request: Option<FetchRequestInput>,
}

/// Where to download a specification or document from.
#[derive(Clone, Debug, InputObject)]
pub struct FetchRequestInput {
    /// **Validation:** an absolute http(s) URL.
    pub url: String,
    /// Credentials presented to the URL.
    pub auth: Option<AuthInput>,
    /// What the URL returns; only SINGLE is fetched.
    #[graphql(default_with = "Some(FetchMode::Single)")]
    pub mode: Option<FetchMode>,
    /// **Validation:** at most 256 characters.
    pub filter: Option<String>,
}

/// A version of an API or events.
#[derive(Clone, Debug, InputObject)]
#[graphql(rename_fields = "camelCase")]
pub struct VersionInput {
    /// **Validation:** 1 to 256 characters.
    pub value: String,
    /// Whether the version is deprecated.
    #[graphql(default_with = "Some(false)")]
    pub deprecated: Option<bool>,
    /// **Validation:** at most 256 characters.
    pub deprecated_since: Option<String>,
    /// Whether the version will be removed.
    #[graphql(default_with = "Some(false)")]
    pub for_removal: Option<bool>,
}

impl WebhookInput {
    /// Checks the URL and credentials.
    pub fn check(&self, field: &str) -> ApiResult<()> {
        validate::url(&at(field, "url"), &self.url)?;
        optional_auth(&at(field, "auth"), self.auth.as_ref())
    }
}

impl ApiDefinitionInput {
    /// Checks every field.
    pub fn check(&self, field: &str) -> ApiResult<()> {
        validate::printable(&at(field, "name"), &self.name, DEFINITION_NAME_MAX)?;
        validate::optional_max_length(
            &at(field, "description"),
            self.description.as_deref(),
            DESCRIPTION_MAX,
        )?;
        validate::url(&at(field, "targetURL"), &self.target_url)?;
        validate::optional_max_length(&at(field, "group"), self.group.as_deref(), GROUP_MAX)?;
        if let Some(spec) = &self.spec {
            let here = at(field, "spec");
            let fits = match spec.type_ {
                ApiSpecType::OpenApi => matches!(spec.format, SpecFormat::Yaml | SpecFormat::Json),
                ApiSpecType::Odata => matches!(spec.format, SpecFormat::Xml | SpecFormat::Json),
            };
            if !fits {
                return Err(invalid(
                    &at(&here, "format"),
                    format!(
                        "{} is not a valid format for spec type {} (OPEN_API takes YAML or JSON, ODATA takes XML or JSON)",
                        format_name(spec.format),
                        api_type_name(spec.type_)
                    ),
                ));
            }
            check_source(&here, spec.data.as_ref(), spec.fetch_request.as_ref(), true)?;
        }
        optional_version(&at(field, "version"), self.version.as_ref())?;
        optional_auth(&at(field, "defaultAuth"), self.default_auth.as_ref())
    }
}

impl EventDefinitionInput {
    /// Checks every field.
    pub fn check(&self, field: &str) -> ApiResult<()> {
        validate::printable(&at(field, "name"), &self.name, DEFINITION_NAME_MAX)?;
        validate::optional_max_length(
            &at(field, "description"),
            self.description.as_deref(),
            DESCRIPTION_MAX,
        )?;
        validate::optional_max_length(&at(field, "group"), self.group.as_deref(), GROUP_MAX)?;
        if let Some(spec) = &self.spec {
            let here = at(field, "spec");
            if !matches!(spec.format, SpecFormat::Yaml | SpecFormat::Json) {
                return Err(invalid(
                    &at(&here, "format"),
                    format!(
                        "{} is not a valid format for spec type ASYNC_API (it takes YAML or JSON)",
                        format_name(spec.format)
                    ),
                ));
            }
            check_source(&here, spec.data.as_ref(), spec.fetch_request.as_ref(), true)?;
        }
        optional_version(&at(field, "version"), self.version.as_ref())
    }
}

impl DocumentInput {
    /// Checks every field.
    pub fn check(&self, field: &str) -> ApiResult<()> {
        validate::required(&at(field, "title"), &self.title, SHORT_MAX)?;
        validate::required(&at(field, "displayName"), &self.display_name, SHORT_MAX)?;
        validate::required(
            &at(field, "description"),
            &self.description,
            DESCRIPTION_MAX,
        )?;
        validate::optional_max_length(&at(field, "kind"), self.kind.as_deref(), LONG_MAX)?;
        check_source(
            field,
            self.data.as_ref(),
            self.fetch_request.as_ref(),
            false,
        )
    }
}

/// A spec takes exactly one of `data` and `fetchRequest`; a document at most one.
fn check_source(
    field: &str,
    data: Option<&Clob>,
    fetch_request: Option<&FetchRequestInput>,
    required: bool,
) -> ApiResult<()> {
    match (data, fetch_request) {
        (Some(_), Some(_)) => Err(invalid(
            &at(field, "data"),
            "give either data or fetchRequest, not both",
        )),
        (None, None) if required => Err(invalid(
            &at(field, "data"),
            "give either data or fetchRequest",
        )),
        (data, fetch_request) => {
            if let Some(data) = data {
                content::check_size(&at(field, "data"), &data.0)?;
            }
            fetch_request.map_or(Ok(()), |f| f.check(&at(field, "fetchRequest")))
        }
    }
}

impl FetchRequestInput {
    /// Checks the URL, filter and credentials.
    pub fn check(&self, field: &str) -> ApiResult<()> {
        validate::url(&at(field, "url"), &self.url)?;
        validate::optional_max_length(&at(field, "filter"), self.filter.as_deref(), LONG_MAX)?;
        optional_auth(&at(field, "auth"), self.auth.as_ref())
    }
}

fn optional_version(field: &str, version: Option<&VersionInput>) -> ApiResult<()> {
    let Some(version) = version else {
        return Ok(());
    };
    validate::required(&at(field, "value"), &version.value, LONG_MAX)?;
    validate::optional_max_length(
        &at(field, "deprecatedSince"),
        version.deprecated_since.as_deref(),
        LONG_MAX,
    )
}

fn optional_auth(field: &str, auth: Option<&AuthInput>) -> ApiResult<()> {
    auth.map_or(Ok(()), |auth| credentials::check(field, auth))
}

/// The original's name of a spec format.
pub fn format_name(format: SpecFormat) -> &'static str {
    match format {
        SpecFormat::Yaml => "YAML",
        SpecFormat::Json => "JSON",
        SpecFormat::Xml => "XML",
    }
}

fn api_type_name(type_: ApiSpecType) -> &'static str {
    match type_ {
        ApiSpecType::OpenApi => "OPEN_API",
        ApiSpecType::Odata => "ODATA",
    }
}
