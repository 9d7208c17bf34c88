//! From the original's inputs to an Application's stored children: enums mapped, credentials and
//! large content moved into objects the application owns, webhooks named.

use compass_crds::application as crd;

use super::{
    child_inputs::{
        ApiDefinitionInput, DocumentInput, EventDefinitionInput, FetchRequestInput, VersionInput,
        WebhookInput,
    },
    content, credentials,
    owned::Owned,
};
use crate::director::{
    enums::{
        ApiSpecType, ApplicationWebhookType, DocumentFormat, EventSpecType, FetchMode, SpecFormat,
    },
    names::webhook_name,
};

/// A webhook named `name`.
pub fn webhook(
    input: &WebhookInput,
    name: String,
    application: &str,
    owned: &mut Owned,
) -> crd::Webhook {
    crd::Webhook {
        name,
        type_: match input.type_ {
            ApplicationWebhookType::ConfigurationChanged => crd::WebhookType::ConfigurationChanged,
        },
        url: input.url.clone(),
        auth: input
            .auth
            .as_ref()
            .map(|a| Box::new(credentials::store(a, application, owned))),
    }
}

/// Webhooks of a new application, named in order.
pub fn webhooks(
    inputs: &[WebhookInput],
    application: &str,
    owned: &mut Owned,
) -> Vec<crd::Webhook> {
    let mut named: Vec<crd::Webhook> = Vec::with_capacity(inputs.len());
    for input in inputs {
        let name = webhook_name(input.type_, named.iter().map(|w| w.name.as_str()));
        named.push(webhook(input, name, application, owned));
    }
    named
}

/// An API definition (without per-runtime credentials).
pub fn api_definition(
    input: &ApiDefinitionInput,
    application: &str,
    owned: &mut Owned,
) -> crd::ApiDefinition {
    crd::ApiDefinition {
        name: input.name.clone(),
        description: input.description.clone(),
        target_url: input.target_url.clone(),
        group: input.group.clone(),
        version: input.version.as_ref().map(version),
        spec: input.spec.as_ref().map(|spec| {
            let (data, data_from) = content::store(spec.data.as_ref(), application, owned);
            crd::ApiSpec {
                type_: match spec.type_ {
                    ApiSpecType::OpenApi => crd::ApiSpecType::OpenApi,
                    ApiSpecType::Odata => crd::ApiSpecType::Odata,
                },
                format: spec_format(spec.format),
                data,
                data_from,
                fetch_request: spec
                    .fetch_request
                    .as_ref()
                    .map(|f| fetch_request(f, application, owned)),
            }
        }),
        default_auth: input
            .default_auth
            .as_ref()
            .map(|a| Box::new(credentials::store(a, application, owned))),
        runtime_auths: Vec::new(),
    }
}

/// An event definition.
pub fn event_definition(
    input: &EventDefinitionInput,
    application: &str,
    owned: &mut Owned,
) -> crd::EventDefinition {
    crd::EventDefinition {
        name: input.name.clone(),
        description: input.description.clone(),
        group: input.group.clone(),
        version: input.version.as_ref().map(version),
        spec: input.spec.as_ref().map(|spec| {
            let (data, data_from) = content::store(spec.data.as_ref(), application, owned);
            crd::EventSpec {
                type_: match spec.type_ {
                    EventSpecType::AsyncApi => crd::EventSpecType::AsyncApi,
                },
                format: spec_format(spec.format),
                data,
                data_from,
                fetch_request: spec
                    .fetch_request
                    .as_ref()
                    .map(|f| fetch_request(f, application, owned)),
            }
        }),
    }
}

/// A document.
pub fn document(input: &DocumentInput, application: &str, owned: &mut Owned) -> crd::Document {
    let (data, data_from) = content::store(input.data.as_ref(), application, owned);
    crd::Document {
        title: input.title.clone(),
        display_name: input.display_name.clone(),
        description: input.description.clone(),
        format: match input.format {
            DocumentFormat::Markdown => crd::DocumentFormat::Markdown,
        },
        kind: input.kind.clone(),
        data,
        data_from,
        fetch_request: input
            .fetch_request
            .as_ref()
            .map(|f| fetch_request(f, application, owned)),
    }
}

fn fetch_request(
    input: &FetchRequestInput,
    application: &str,
    owned: &mut Owned,
) -> Box<crd::FetchRequest> {
    Box::new(crd::FetchRequest {
        url: input.url.clone(),
        auth: input
            .auth
            .as_ref()
            .map(|a| Box::new(credentials::store(a, application, owned))),
        mode: Some(match input.mode.unwrap_or_default() {
            FetchMode::Single => crd::FetchMode::Single,
            FetchMode::Package => crd::FetchMode::Package,
            FetchMode::Index => crd::FetchMode::Index,
        }),
        filter: input.filter.clone(),
    })
}

fn version(input: &VersionInput) -> crd::Version {
    crd::Version {
        value: input.value.clone(),
        deprecated: input.deprecated,
        deprecated_since: input.deprecated_since.clone(),
        for_removal: input.for_removal,
    }
}

fn spec_format(format: SpecFormat) -> crd::SpecFormat {
    match format {
        SpecFormat::Yaml => crd::SpecFormat::Yaml,
        SpecFormat::Json => crd::SpecFormat::Json,
        SpecFormat::Xml => crd::SpecFormat::Xml,
    }
}

// === from stored to shown ===

/// The original's enum of a stored spec format.
pub fn shown_format(format: crd::SpecFormat) -> SpecFormat {
    match format {
        crd::SpecFormat::Yaml => SpecFormat::Yaml,
        crd::SpecFormat::Json => SpecFormat::Json,
        crd::SpecFormat::Xml => SpecFormat::Xml,
    }
}

/// The original's enum of a stored API specification's kind.
pub fn shown_api_type(kind: crd::ApiSpecType) -> ApiSpecType {
    match kind {
        crd::ApiSpecType::OpenApi => ApiSpecType::OpenApi,
        crd::ApiSpecType::Odata => ApiSpecType::Odata,
    }
}

/// The original's enum of a stored fetch mode.
pub fn shown_mode(mode: Option<crd::FetchMode>) -> FetchMode {
    match mode.unwrap_or_default() {
        crd::FetchMode::Single => FetchMode::Single,
        crd::FetchMode::Package => FetchMode::Package,
        crd::FetchMode::Index => FetchMode::Index,
    }
}
