//! Secrets and ConfigMaps the Director makes for an application: credentials clients send, and
//! spec or document content too large to keep inline. They are created before the application
//! refers to them (so the operator never sees a dangling reference), owned by the application (so
//! they go with it), deleted again when the write that needed them fails, and deleted once the
//! application no longer refers to them (so replaced credentials leave nothing behind).

use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration,
};

use async_graphql::Context;
use compass_crds::{Application, ApplicationSpec, application::DataSource, auth::Auth};
use k8s_openapi::{
    ByteString,
    api::core::v1::{ConfigMap, Secret},
    apimachinery::pkg::apis::meta::v1::OwnerReference,
};
use kube::{
    Api, Client, Resource,
    api::{DeleteParams, ObjectMeta},
};
use serde_json::json;

use crate::{
    director::context::{caches, client, create, merge},
    errors::{ApiResult, Code, error},
    state::{APPLICATION_LABEL, CREDENTIALS_LABEL},
};

/// Label marking the objects the Director made; only those are ever deleted by it.
const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
/// Value of [`MANAGED_BY_LABEL`] on them.
const MANAGED_BY: &str = "compass-director";
/// Key of the content in a content ConfigMap, as in the operator's fetched-content ConfigMaps.
pub const CONTENT_KEY: &str = "content";

/// Objects one write needs, not yet created.
#[derive(Default)]
pub struct Owned {
    secrets: Vec<Secret>,
    config_maps: Vec<ConfigMap>,
}

/// A fresh name for an object of `application`: `<application>-<what>-<10 hex digits>`.
fn fresh_name(application: &str, what: &str) -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{application}-{what}-{}", &random[..10])
}

fn metadata(name: String, application: &str, credentials: bool) -> ObjectMeta {
    let mut labels = BTreeMap::from([
        (APPLICATION_LABEL.to_owned(), application.to_owned()),
        (MANAGED_BY_LABEL.to_owned(), MANAGED_BY.to_owned()),
    ]);
    if credentials {
        labels.insert(CREDENTIALS_LABEL.to_owned(), "director".to_owned());
    }
    ObjectMeta {
        name: Some(name),
        labels: Some(labels),
        ..ObjectMeta::default()
    }
}

/// The reference making an object owned by `application`.
pub fn owner_of(application: &Application) -> ApiResult<OwnerReference> {
    application
        .owner_ref(&())
        .ok_or_else(|| error(Code::Internal, "the application has no uid yet"))
}

impl Owned {
    /// Adds a Secret of `application` with `data`; returns its name.
    pub fn secret<const N: usize>(
        &mut self,
        application: &str,
        data: [(&str, String); N],
    ) -> String {
        let name = fresh_name(application, "auth");
        self.secrets.push(Secret {
            metadata: metadata(name.clone(), application, true),
            type_: Some("Opaque".to_owned()),
            data: Some(
                data.into_iter()
                    .map(|(k, v)| (k.to_owned(), ByteString(v.into_bytes())))
                    .collect(),
            ),
            ..Secret::default()
        });
        name
    }

    /// Adds a ConfigMap of `application` holding `content`; returns where it is.
    pub fn config_map(&mut self, application: &str, content: String) -> DataSource {
        let name = fresh_name(application, "data");
        self.config_maps.push(ConfigMap {
            metadata: metadata(name.clone(), application, false),
            data: Some([(CONTENT_KEY.to_owned(), content)].into()),
            ..ConfigMap::default()
        });
        DataSource {
            config_map_key_ref: compass_crds::application::ConfigMapKeyReference {
                name,
                key: CONTENT_KEY.to_owned(),
            },
        }
    }

    /// Creates every object in `namespace`, owned by `owner` when it is known; deletes those
    /// already created when one fails.
    pub async fn create(
        &self,
        ctx: &Context<'_>,
        namespace: &str,
        owner: Option<OwnerReference>,
    ) -> ApiResult<()> {
        let caches = caches(ctx);
        let secrets: Api<Secret> = Api::namespaced(client(ctx), namespace);
        let config_maps: Api<ConfigMap> = Api::namespaced(client(ctx), namespace);
        let owners = owner.map(|o| vec![o]);
        let mut result = Ok(());
        for secret in &self.secrets {
            let mut secret = secret.clone();
            secret.metadata.owner_references.clone_from(&owners);
            result = create(&secrets, &caches.secrets, &secret, "Secret")
                .await
                .map(drop);
            if result.is_err() {
                break;
            }
        }
        if result.is_ok() {
            for config_map in &self.config_maps {
                let mut config_map = config_map.clone();
                config_map.metadata.owner_references.clone_from(&owners);
                result = create(&config_maps, &caches.config_maps, &config_map, "ConfigMap")
                    .await
                    .map(drop);
                if result.is_err() {
                    break;
                }
            }
        }
        if result.is_err() {
            self.discard(ctx, namespace).await;
        }
        result
    }

    /// Makes every object owned by `owner`, created before the owner existed.
    pub async fn adopt(
        &self,
        ctx: &Context<'_>,
        namespace: &str,
        owner: OwnerReference,
    ) -> ApiResult<()> {
        let caches = caches(ctx);
        let patch = json!({ "metadata": { "ownerReferences": [owner] } });
        let secrets: Api<Secret> = Api::namespaced(client(ctx), namespace);
        for secret in &self.secrets {
            let name = secret.metadata.name.as_deref().unwrap_or_default();
            merge(&secrets, &caches.secrets, name, &patch, "Secret").await?;
        }
        let config_maps: Api<ConfigMap> = Api::namespaced(client(ctx), namespace);
        for config_map in &self.config_maps {
            let name = config_map.metadata.name.as_deref().unwrap_or_default();
            merge(&config_maps, &caches.config_maps, name, &patch, "ConfigMap").await?;
        }
        Ok(())
    }

    /// Deletes every object, as far as it was created.
    pub async fn discard(&self, ctx: &Context<'_>, namespace: &str) {
        let secrets = self.secrets.iter().filter_map(|s| s.metadata.name.clone());
        let config_maps = self
            .config_maps
            .iter()
            .filter_map(|c| c.metadata.name.clone());
        delete_all::<Secret>(ctx, namespace, secrets).await;
        delete_all::<ConfigMap>(ctx, namespace, config_maps).await;
    }
}

async fn delete_all<K>(ctx: &Context<'_>, namespace: &str, names: impl Iterator<Item = String>)
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    delete_names::<K>(client(ctx), namespace, names).await;
}

async fn delete_names<K>(client: Client, namespace: &str, names: impl Iterator<Item = String>)
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope, DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    let api: Api<K> = Api::namespaced(client, namespace);
    for name in names {
        match api.delete(&name, &DeleteParams::default()).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 404 => {}
            Err(e) => tracing::warn!(%e, namespace, name, "Could not delete an unused object"),
        }
    }
}

/// How long objects an application no longer refers to are kept: long enough for the mutation
/// that dropped them to answer with the object as it was, and for a reconcile that read the old
/// spec to finish with them.
const GARBAGE_DELAY: Duration = Duration::from_secs(1);

/// Deletes, shortly, the Secrets and ConfigMaps made by the Director that `before` refers to and
/// `after` no longer does. Failures are logged: a leftover is harmless and goes with the
/// application.
pub fn collect_garbage(
    ctx: &Context<'_>,
    namespace: &str,
    before: &ApplicationSpec,
    after: &ApplicationSpec,
) {
    let (secrets_before, maps_before) = references(before);
    let (secrets_after, maps_after) = references(after);
    let secrets: Vec<String> = secrets_before.difference(&secrets_after).cloned().collect();
    let maps: Vec<String> = maps_before.difference(&maps_after).cloned().collect();
    if secrets.is_empty() && maps.is_empty() {
        return;
    }
    let caches = caches(ctx).clone();
    let client = client(ctx);
    let namespace = namespace.to_owned();
    tokio::spawn(async move {
        tokio::time::sleep(GARBAGE_DELAY).await;
        let made = |labels: Option<&BTreeMap<String, String>>| {
            labels
                .and_then(|l| l.get(MANAGED_BY_LABEL))
                .map(String::as_str)
                == Some(MANAGED_BY)
        };
        let secrets = secrets.into_iter().filter(|name| {
            caches
                .secrets
                .get(&namespace, name)
                .is_some_and(|s| made(s.metadata.labels.as_ref()))
        });
        let secrets: Vec<String> = secrets.collect();
        delete_names::<Secret>(client.clone(), &namespace, secrets.into_iter()).await;
        let maps = maps.into_iter().filter(|name| {
            caches
                .config_maps
                .get(&namespace, name)
                .is_some_and(|c| made(c.metadata.labels.as_ref()))
        });
        let maps: Vec<String> = maps.collect();
        delete_names::<ConfigMap>(client, &namespace, maps.into_iter()).await;
    });
}

/// The Secrets and ConfigMaps a spec refers to.
fn references(spec: &ApplicationSpec) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut secrets = BTreeSet::new();
    let mut maps = BTreeSet::new();
    let mut auth = |auth: Option<&Auth>| {
        let Some(auth) = auth else { return };
        let mut credentials = vec![&auth.credential];
        credentials.extend(auth.request_auth.as_ref().map(|r| &r.csrf.credential));
        for credential in credentials {
            secrets.extend(credential.basic.as_ref().map(|b| b.secret_ref.name.clone()));
            secrets.extend(credential.oauth.as_ref().map(|o| o.secret_ref.name.clone()));
        }
    };
    for webhook in &spec.webhooks {
        auth(webhook.auth.as_deref());
    }
    let mut source = |data_from: Option<&DataSource>| {
        maps.extend(data_from.map(|d| d.config_map_key_ref.name.clone()));
    };
    for api in &spec.api_definitions {
        auth(api.default_auth.as_deref());
        for runtime in &api.runtime_auths {
            auth(Some(&runtime.auth));
        }
        if let Some(spec) = &api.spec {
            auth(spec.fetch_request.as_ref().and_then(|f| f.auth.as_deref()));
            source(spec.data_from.as_ref());
        }
    }
    for event in &spec.event_definitions {
        if let Some(spec) = &event.spec {
            auth(spec.fetch_request.as_ref().and_then(|f| f.auth.as_deref()));
            source(spec.data_from.as_ref());
        }
    }
    for document in &spec.documents {
        auth(
            document
                .fetch_request
                .as_ref()
                .and_then(|f| f.auth.as_deref()),
        );
        source(document.data_from.as_ref());
    }
    (secrets, maps)
}
