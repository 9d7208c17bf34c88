//! From one application of the Director's answer to the objects the agent applies in the runtime:
//! the Kyma Application, a ConfigMap per specification and a Secret per credential.

use std::collections::BTreeMap;

use k8s_openapi::{
    ByteString,
    api::core::v1::{ConfigMap, Secret},
    apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference},
};
use kube::Resource;
use serde_json::Value;

use super::{
    APPLICATION_ID_LABEL, DEFINITION_ID_LABEL, MANAGED_BY, MANAGED_BY_LABEL, NAMESPACE,
    SPEC_FORMAT_ANNOTATION, SPEC_KEY, SPEC_TYPE_ANNOTATION,
    names::{application_name, object_name, service_name},
    read::{label_value, optional, required},
    types::{
        Application, ApplicationSpec, Authentication, CompassMetadata, Credentials, CsrfInfo,
        Entry, EntryType, Service,
    },
};

/// What the original agent wrote where the Director gives no description.
const NO_DESCRIPTION: &str = "Description not provided";

/// The objects one Director application becomes in the runtime.
#[derive(Clone, Debug, PartialEq)]
pub struct Desired {
    /// The application's id in Compass.
    pub application_id: String,
    /// The Kyma Application (cluster-scoped), named by [`application_name`].
    pub application: Application,
    /// One ConfigMap in [`NAMESPACE`] per API or event specification, holding its text under
    /// [`SPEC_KEY`]. Named `<application>-<definition id>`.
    pub config_maps: Vec<ConfigMap>,
    /// One Secret in [`NAMESPACE`] per API credential (named `<application>-<definition id>`)
    /// and per API with extra headers or query parameters (`<application>-<definition
    /// id>-params`).
    pub secrets: Vec<Secret>,
}

/// Converts one element of `applicationsForRuntime.data`, as [`super::APPLICATIONS_FOR_RUNTIME`]
/// selects it, into the objects to apply; `tenant` is the runtime's tenant. Every object carries
/// the labels [`MANAGED_BY_LABEL`]` = `[`MANAGED_BY`] and [`APPLICATION_ID_LABEL`]; ConfigMaps
/// and Secrets also [`DEFINITION_ID_LABEL`].
///
/// Fails, naming the field, when an id or name is missing or unusable, when a credential is of
/// an unknown kind, or when the application has more API or event definitions than one page
/// ([`super::DEFINITIONS_PAGE_SIZE`]): a partial conversion would drop what the rest holds.
///
/// NB: the caller rejects an answer that carries GraphQL errors. A field that failed is `null`
/// in the data, and converting it would drop what it holds (a credential, the definitions).
pub fn desired(app: &Value, tenant: &str) -> Result<Desired, String> {
    let field = |name: &str| app.get(name).and_then(Value::as_str);
    let context = match (field("name"), field("id")) {
        (Some(name), _) => format!("application {name:?}"),
        (None, Some(id)) => format!("application {id}"),
        (None, None) => "application".to_owned(),
    };
    let at = |error: String| format!("{context}: {error}");
    let id = label_value(app, "", "id").map_err(at)?;
    let original_name = required(app, "", "name").map_err(at)?;
    let name = application_name(original_name, id);
    let mut out = Desired {
        application_id: id.to_owned(),
        application: Application::new(&name, ApplicationSpec::default()),
        config_maps: Vec::new(),
        secrets: Vec::new(),
    };
    out.application.metadata.labels = Some(managed_labels(id, None));
    let provider = optional(app, "", "providerName").map_err(at)?.unwrap_or("");
    let mut services = Vec::new();
    for (index, api) in definitions(app, "apiDefinitions").map_err(at)? {
        let path = format!("apiDefinitions.data[{index}]");
        services.push(api_service(&mut out, api, &path, provider).map_err(at)?);
    }
    for (index, event) in definitions(app, "eventDefinitions").map_err(at)? {
        let path = format!("eventDefinitions.data[{index}]");
        services.push(event_service(&mut out, event, &path, provider).map_err(at)?);
    }
    let client_ids = match app.get("auths") {
        Some(Value::Array(auths)) => auths
            .iter()
            .enumerate()
            .map(|(i, auth)| required(auth, &format!("auths[{i}]."), "id").map(str::to_owned))
            .collect::<Result<_, _>>()
            .map_err(at)?,
        _ => Vec::new(),
    };
    out.application.spec = ApplicationSpec {
        description: optional(app, "", "description")
            .map_err(at)?
            .filter(|d| !d.is_empty())
            .unwrap_or(NO_DESCRIPTION)
            .to_owned(),
        services,
        labels: labels(app.get("labels")),
        tenant: (!tenant.is_empty()).then(|| tenant.to_owned()),
        compass_metadata: Some(CompassMetadata {
            application_id: id.to_owned(),
            authentication: Authentication { client_ids },
        }),
        display_name: original_name.to_owned(),
        provider_display_name: provider.to_owned(),
        ..ApplicationSpec::default()
    };
    Ok(out)
}

/// Makes the Kyma Application the owner of every ConfigMap and Secret, once its `uid` is known
/// (after it is applied): deleting it deletes them. A namespaced object may have a
/// cluster-scoped owner.
pub fn owned_by(desired: &mut Desired, uid: &str) {
    let owner = OwnerReference {
        api_version: Application::api_version(&()).into_owned(),
        kind: Application::kind(&()).into_owned(),
        name: desired
            .application
            .metadata
            .name
            .clone()
            .unwrap_or_default(),
        uid: uid.to_owned(),
        controller: Some(true),
        // NB: not `blockOwnerDeletion`: setting it needs the `update` verb on the owner's
        // `finalizers` subresource where OwnerReferencesPermissionEnforcement is on.
        block_owner_deletion: None,
    };
    let metadata = desired
        .config_maps
        .iter_mut()
        .map(|c| &mut c.metadata)
        .chain(desired.secrets.iter_mut().map(|s| &mut s.metadata));
    for metadata in metadata {
        metadata.owner_references = Some(vec![owner.clone()]);
    }
}

// === Definitions ===

/// The elements of the page `field` of `app`; an absent or null page is empty.
fn definitions<'a>(app: &'a Value, field: &str) -> Result<Vec<(usize, &'a Value)>, String> {
    let Some(page) = app.get(field).filter(|p| !p.is_null()) else {
        return Ok(Vec::new());
    };
    if page["pageInfo"]["hasNextPage"].as_bool() == Some(true) {
        let total = page["totalCount"].as_i64().unwrap_or_default();
        return Err(format!(
            "{field} has {total} definitions, more than one page of {}; not converted",
            super::DEFINITIONS_PAGE_SIZE
        ));
    }
    match page.get("data") {
        Some(Value::Array(items)) => Ok(items.iter().enumerate().collect()),
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(_) => Err(format!("{field}.data is not a list")),
    }
}

fn api_service(
    out: &mut Desired,
    api: &Value,
    path: &str,
    provider: &str,
) -> Result<Service, String> {
    let prefix = format!("{path}.");
    let id = label_value(api, &prefix, "id")?;
    let name = required(api, &prefix, "name")?;
    let mut entry = Entry {
        type_: EntryType::Api,
        id: id.to_owned(),
        name: name.to_owned(),
        target_url: optional(api, &prefix, "targetURL")?
            .unwrap_or_default()
            .to_owned(),
        specification_url: None,
        api_type: spec_config_map(out, api, &prefix, id)?,
        credentials: None,
        request_parameters_secret_name: None,
    };
    if let Some(auth) = api.pointer("/auth/auth").filter(|a| !a.is_null()) {
        let auth_path = format!("{prefix}auth.auth.");
        entry.credentials = Some(credentials(out, auth, &auth_path, id)?);
        entry.request_parameters_secret_name = request_parameters(out, auth, id);
    }
    service(api, &prefix, id, name, provider, entry)
}

fn event_service(
    out: &mut Desired,
    event: &Value,
    path: &str,
    provider: &str,
) -> Result<Service, String> {
    let prefix = format!("{path}.");
    let id = label_value(event, &prefix, "id")?;
    let name = required(event, &prefix, "name")?;
    spec_config_map(out, event, &prefix, id)?;
    let entry = Entry {
        type_: EntryType::Events,
        id: id.to_owned(),
        name: name.to_owned(),
        target_url: String::new(),
        specification_url: None,
        api_type: None,
        credentials: None,
        request_parameters_secret_name: None,
    };
    service(event, &prefix, id, name, provider, entry)
}

fn service(
    definition: &Value,
    prefix: &str,
    id: &str,
    name: &str,
    provider: &str,
    entry: Entry,
) -> Result<Service, String> {
    Ok(Service {
        id: id.to_owned(),
        name: service_name(name, id),
        identifier: String::new(),
        display_name: name.to_owned(),
        description: optional(definition, prefix, "description")?
            .filter(|d| !d.is_empty())
            .unwrap_or(NO_DESCRIPTION)
            .to_owned(),
        provider_display_name: provider.to_owned(),
        entries: vec![entry],
    })
}

/// Adds the ConfigMap of the definition's specification, when it has one with text; returns the
/// specification's type.
fn spec_config_map(
    out: &mut Desired,
    definition: &Value,
    prefix: &str,
    id: &str,
) -> Result<Option<String>, String> {
    let Some(spec) = definition.get("spec").filter(|s| !s.is_null()) else {
        return Ok(None);
    };
    let spec_prefix = format!("{prefix}spec.");
    let type_ = optional(spec, &spec_prefix, "type")?.map(str::to_owned);
    let format = optional(spec, &spec_prefix, "format")?;
    let Some(data) = optional(spec, &spec_prefix, "data")?.filter(|d| !d.is_empty()) else {
        return Ok(type_);
    };
    let mut annotations = BTreeMap::new();
    if let Some(type_) = &type_ {
        annotations.insert(SPEC_TYPE_ANNOTATION.to_owned(), type_.clone());
    }
    if let Some(format) = format {
        annotations.insert(SPEC_FORMAT_ANNOTATION.to_owned(), format.to_owned());
    }
    let mut metadata = object_meta(out, id, None);
    metadata.annotations = Some(annotations);
    out.config_maps.push(ConfigMap {
        metadata,
        data: Some(BTreeMap::from([(SPEC_KEY.to_owned(), data.to_owned())])),
        ..ConfigMap::default()
    });
    Ok(type_)
}

/// Adds the Secret of an API's credential and returns how the entry refers to it.
fn credentials(
    out: &mut Desired,
    auth: &Value,
    prefix: &str,
    id: &str,
) -> Result<Credentials, String> {
    let credential = auth
        .get("credential")
        .filter(|c| c.is_object())
        .ok_or_else(|| format!("{prefix}credential is missing"))?;
    let credential_prefix = format!("{prefix}credential.");
    let typename = credential.get("__typename").and_then(Value::as_str);
    let basic = typename == Some("BasicCredentialData")
        || (typename.is_none() && credential.get("username").is_some());
    let oauth = typename == Some("OAuthCredentialData")
        || (typename.is_none() && credential.get("clientId").is_some());
    let (type_, keys, authentication_url) = if basic {
        ("Basic", &["username", "password"][..], None)
    } else if oauth {
        let url = required(credential, &credential_prefix, "url")?;
        ("OAuth", &["clientId", "clientSecret", "url"][..], Some(url))
    } else {
        return Err(format!(
            "{prefix}credential is neither basic nor OAuth ({})",
            typename.unwrap_or("no __typename")
        ));
    };
    let mut data = BTreeMap::new();
    for key in keys {
        let value = required(credential, &credential_prefix, key)?;
        data.insert((*key).to_owned(), ByteString(value.as_bytes().to_vec()));
    }
    let metadata = object_meta(out, id, None);
    let secret_name = metadata.name.clone().unwrap_or_default();
    out.secrets.push(secret(metadata, data));
    let csrf_info = auth
        .pointer("/requestAuth/csrf/tokenEndpointURL")
        .and_then(Value::as_str)
        .map(|url| CsrfInfo {
            token_endpoint_url: url.to_owned(),
        });
    Ok(Credentials {
        type_: type_.to_owned(),
        secret_name,
        authentication_url: authentication_url.map(str::to_owned),
        csrf_info,
    })
}

/// Adds the Secret of an API's extra headers and query parameters, when it has any, and returns
/// its name.
fn request_parameters(out: &mut Desired, auth: &Value, id: &str) -> Option<String> {
    let mut data = BTreeMap::new();
    for (field, key) in [
        ("additionalHeaders", "headers"),
        ("additionalQueryParams", "queryParameters"),
    ] {
        if let Some(value) = auth.get(field).filter(|v| !v.is_null()) {
            data.insert(key.to_owned(), ByteString(value.to_string().into_bytes()));
        }
    }
    if data.is_empty() {
        return None;
    }
    let metadata = object_meta(out, id, Some("params"));
    let name = metadata.name.clone();
    out.secrets.push(secret(metadata, data));
    name
}

fn secret(metadata: ObjectMeta, data: BTreeMap<String, ByteString>) -> Secret {
    Secret {
        metadata,
        data: Some(data),
        type_: Some("Opaque".to_owned()),
        ..Secret::default()
    }
}

// === Names and labels ===

/// Metadata of a ConfigMap or Secret of the definition `id`: named after the application and
/// the definition, in [`NAMESPACE`], labelled.
fn object_meta(out: &Desired, id: &str, suffix: Option<&str>) -> ObjectMeta {
    let application = out.application.metadata.name.as_deref().unwrap_or_default();
    ObjectMeta {
        name: Some(object_name(application, id, suffix)),
        namespace: Some(NAMESPACE.to_owned()),
        labels: Some(managed_labels(&out.application_id, Some(id))),
        ..ObjectMeta::default()
    }
}

fn managed_labels(application_id: &str, definition_id: Option<&str>) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([
        (MANAGED_BY_LABEL.to_owned(), MANAGED_BY.to_owned()),
        (APPLICATION_ID_LABEL.to_owned(), application_id.to_owned()),
    ]);
    if let Some(id) = definition_id {
        labels.insert(DEFINITION_ID_LABEL.to_owned(), id.to_owned());
    }
    labels
}

/// Director labels (any JSON value) as Kyma's string map: strings as they are, other values as
/// compact JSON; nulls are left out.
fn labels(labels: Option<&Value>) -> BTreeMap<String, String> {
    let Some(Value::Object(labels)) = labels else {
        return BTreeMap::new();
    };
    labels
        .iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(key, value)| {
            let value = match value {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            (key.clone(), value)
        })
        .collect()
}
