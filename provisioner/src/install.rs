//! Installing the Runtime Agent into a cluster the provisioner did not make, and removing it
//! again: every object it creates carries the label [`INSTALLED_FOR`] with the runtime's id, and
//! only objects with that label are ever changed or deleted. Namespaces and CRDs that were there
//! before (a Kyma cluster's own Application CRD) are used as they are; any other object of the
//! agent's that someone else made stops the installation, naming it.

use std::time::Duration;

use k8s_openapi::{ByteString, api::core::v1::Secret};
use kube::{
    Api, Client,
    api::{DeleteParams, DynamicObject, GroupVersionKind, ObjectMeta, Patch, PatchParams},
    core::ApiResource,
};
use serde_json::{Value, json};

use crate::{
    provider::{AgentBootstrap, Progress, ProviderError},
    render,
};

/// Label on everything the provisioner made in a runtime's cluster: the runtime's id.
pub const INSTALLED_FOR: &str = "compass.kyma-project.io/installed-for-runtime";
/// Field manager of what the provisioner writes in a runtime's cluster.
const FIELD_MANAGER: &str = "compass-provisioner";
/// Annotation on the agent's configuration while the agent is to pair again with it: kept until
/// its `CompassConnection` is deleted, so a step cut short is finished on the next call.
const RECONNECT_PENDING: &str = "compass.kyma-project.io/reconnect-pending";
/// The agent's configuration Secret.
pub const AGENT_NAMESPACE: &str = "compass-system";
/// The agent's configuration Secret's name.
pub const AGENT_CONFIGURATION: &str = "compass-agent-configuration";
/// How soon to look again while objects are being deleted.
const DELETION_POLL: Duration = Duration::from_secs(2);

/// Who made an object found in the cluster.
enum Found {
    Absent,
    Ours,
    Others,
}

/// Installs the agent with `image` for the runtime `runtime_id`, with `agent` as its
/// configuration when given (otherwise the configuration there stays as it is).
pub(crate) async fn install(
    client: &Client,
    runtime_id: &str,
    image: &str,
    agent: Option<&AgentBootstrap>,
) -> Result<Progress, ProviderError> {
    let mut kept = Vec::new();
    for object in render::agent_objects(image) {
        let api = api_for(client, &object);
        let name = object["metadata"]["name"].as_str().unwrap_or_default();
        let described = describe(&object);
        match found(&api, name, runtime_id, &described).await? {
            Found::Others if shared(&object) => kept.push(described),
            Found::Others => return Err(foreign(&described)),
            Found::Absent | Found::Ours => apply(&api, object, runtime_id, &described).await?,
        }
    }
    let configured = match agent {
        Some(agent) => {
            configure(client, runtime_id, agent).await?;
            "with a fresh one-time token"
        }
        None => "with the configuration it had",
    };
    let kept = match kept.as_slice() {
        [] => String::new(),
        kept => format!("; kept as they were: {}", kept.join(", ")),
    };
    Ok(Progress::Done(format!(
        "the Runtime Agent ({image}) is installed {configured}{kept}"
    )))
}

/// Deletes what [`install`] made for `runtime_id`; done when all of it is gone.
pub(crate) async fn uninstall(
    client: &Client,
    runtime_id: &str,
) -> Result<Progress, ProviderError> {
    let mut objects = vec![configuration_reference()];
    objects.extend(render::agent_objects(IMAGE_FOR_NAMES).into_iter().rev());
    let mut remaining = Vec::new();
    for object in objects {
        let api = api_for(client, &object);
        let name = object["metadata"]["name"].as_str().unwrap_or_default();
        let described = describe(&object);
        let Some(live) = get(&api, name, &described).await? else {
            continue;
        };
        if !marked(&live.metadata, runtime_id) {
            continue;
        }
        if live.metadata.deletion_timestamp.is_none() {
            delete(&api, name, &described).await?;
        }
        remaining.push(described);
    }
    if remaining.is_empty() {
        return Ok(Progress::Done(
            "the Runtime Agent and everything installed for it are removed".into(),
        ));
    }
    let waiting = format!("waiting for {} to be deleted", remaining.join(", "));
    Ok(Progress::Waiting(waiting, DELETION_POLL))
}

/// Names do not depend on the image.
const IMAGE_FOR_NAMES: &str = "compass";

/// Namespaces and CRDs someone else made are used as they are.
fn shared(object: &Value) -> bool {
    matches!(
        object["kind"].as_str(),
        Some("Namespace" | "CustomResourceDefinition")
    )
}

fn foreign(described: &str) -> ProviderError {
    ProviderError::Invalid(format!(
        "{described} exists in the cluster and was not installed by Compass for this runtime: \
         another agent seems installed there; remove it, or give a cluster without one"
    ))
}

/// `kind namespace/name` of an object.
fn describe(object: &Value) -> String {
    let kind = object["kind"].as_str().unwrap_or_default();
    let name = object["metadata"]["name"].as_str().unwrap_or_default();
    match object["metadata"]["namespace"].as_str() {
        Some(namespace) => format!("{kind} {namespace}/{name}"),
        None => format!("{kind} {name}"),
    }
}

/// The API of the kind of `object`, in its namespace when it has one.
fn api_for(client: &Client, object: &Value) -> Api<DynamicObject> {
    let api_version = object["apiVersion"].as_str().unwrap_or_default();
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let kind = object["kind"].as_str().unwrap_or_default();
    let resource = ApiResource::from_gvk(&GroupVersionKind::gvk(group, version, kind));
    match object["metadata"]["namespace"].as_str() {
        Some(namespace) => Api::namespaced_with(client.clone(), namespace, &resource),
        None => Api::all_with(client.clone(), &resource),
    }
}

fn marked(metadata: &ObjectMeta, runtime_id: &str) -> bool {
    let labels = metadata.labels.as_ref();
    labels
        .and_then(|l| l.get(INSTALLED_FOR))
        .map(String::as_str)
        == Some(runtime_id)
}

async fn get(
    api: &Api<DynamicObject>,
    name: &str,
    described: &str,
) -> Result<Option<DynamicObject>, ProviderError> {
    api.get_opt(name)
        .await
        .map_err(|e| ProviderError::Failed(format!("reading {described} failed: {e}")))
}

async fn found(
    api: &Api<DynamicObject>,
    name: &str,
    runtime_id: &str,
    described: &str,
) -> Result<Found, ProviderError> {
    Ok(match get(api, name, described).await? {
        None => Found::Absent,
        Some(live) if marked(&live.metadata, runtime_id) => Found::Ours,
        Some(_) => Found::Others,
    })
}

async fn apply(
    api: &Api<DynamicObject>,
    mut object: Value,
    runtime_id: &str,
    described: &str,
) -> Result<(), ProviderError> {
    let mark = serde_json::Map::from_iter([(INSTALLED_FOR.to_owned(), json!(runtime_id))]);
    render::add_labels(&mut object["metadata"], &mark);
    let name = object["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let params = PatchParams::apply(FIELD_MANAGER).force();
    api.patch(&name, &params, &Patch::Apply(&object))
        .await
        .map_err(|e| ProviderError::Failed(format!("applying {described} failed: {e}")))?;
    Ok(())
}

async fn delete(
    api: &Api<DynamicObject>,
    name: &str,
    described: &str,
) -> Result<(), ProviderError> {
    match api.delete(name, &DeleteParams::background()).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 404 => Ok(()),
        Err(e) => Err(ProviderError::Failed(format!(
            "deleting {described} failed: {e}"
        ))),
    }
}

/// The configuration Secret as [`describe`] and [`api_for`] take it.
fn configuration_reference() -> Value {
    json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": { "name": AGENT_CONFIGURATION, "namespace": AGENT_NAMESPACE },
    })
}

/// Writes the agent's configuration. When the agent had another one-time token before (a
/// ReconnectRuntime), its `CompassConnection` is deleted after the write, so it pairs again
/// with the new token rather than keep its old identity.
pub(crate) async fn configure(
    client: &Client,
    runtime_id: &str,
    agent: &AgentBootstrap,
) -> Result<(), ProviderError> {
    let described = describe(&configuration_reference());
    let secrets: Api<Secret> = Api::namespaced(client.clone(), AGENT_NAMESPACE);
    let live = secrets
        .get_opt(AGENT_CONFIGURATION)
        .await
        .map_err(|e| ProviderError::Failed(format!("reading {described} failed: {e}")))?;
    if live
        .as_ref()
        .is_some_and(|s| !marked(&s.metadata, runtime_id))
    {
        return Err(foreign(&described));
    }
    let token_changed = live.as_ref().is_some_and(|s| {
        let token = s.data.as_ref().and_then(|d| d.get("TOKEN"));
        token.is_none_or(|t| t.0 != agent.token.as_bytes())
    });
    let pending = live.as_ref().is_some_and(|s| {
        let annotations = s.metadata.annotations.as_ref();
        annotations.is_some_and(|a| a.contains_key(RECONNECT_PENDING))
    });
    let reconnect = token_changed || pending;
    write_configuration(&secrets, runtime_id, agent, reconnect).await?;
    if reconnect {
        forget_connection(client).await?;
        write_configuration(&secrets, runtime_id, agent, false).await?;
    }
    Ok(())
}

async fn write_configuration(
    secrets: &Api<Secret>,
    runtime_id: &str,
    agent: &AgentBootstrap,
    reconnect_pending: bool,
) -> Result<(), ProviderError> {
    let mut entries = vec![
        ("CONNECTOR_URL", agent.connector_url.clone()),
        ("RUNTIME_ID", agent.runtime_id.clone()),
        ("TENANT", agent.tenant.clone()),
        ("TOKEN", agent.token.clone()),
    ];
    if let Some(ca) = &agent.ca_cert {
        entries.push(("CA_CERT", ca.clone()));
    }
    let mut metadata = ObjectMeta {
        name: Some(AGENT_CONFIGURATION.to_owned()),
        namespace: Some(AGENT_NAMESPACE.to_owned()),
        labels: Some([(INSTALLED_FOR.to_owned(), runtime_id.to_owned())].into()),
        ..ObjectMeta::default()
    };
    if reconnect_pending {
        metadata.annotations = Some([(RECONNECT_PENDING.to_owned(), "true".to_owned())].into());
    }
    let data = entries
        .into_iter()
        .map(|(k, v)| (k.to_owned(), ByteString(v.into_bytes())));
    let secret = Secret {
        metadata,
        data: Some(data.collect()),
        type_: Some("Opaque".to_owned()),
        ..Secret::default()
    };
    let params = PatchParams::apply(FIELD_MANAGER).force();
    secrets
        .patch(AGENT_CONFIGURATION, &params, &Patch::Apply(&secret))
        .await
        .map_err(|e| {
            // The error never carries the body sent, so the token stays out of the message.
            ProviderError::Failed(format!("writing the agent's configuration failed: {e}"))
        })?;
    Ok(())
}

/// Deletes the agent's `CompassConnection` (cluster-scoped, named `compass-connection`).
async fn forget_connection(client: &Client) -> Result<(), ProviderError> {
    let connection = json!({
        "apiVersion": "compass.kyma-project.io/v1alpha1",
        "kind": "CompassConnection",
        "metadata": { "name": CONNECTION_NAME },
    });
    let api = api_for(client, &connection);
    delete(&api, CONNECTION_NAME, &describe(&connection)).await
}

/// The name the agent keeps its `CompassConnection` under.
const CONNECTION_NAME: &str = "compass-connection";
