//! Everything the Director serves from: the Kubernetes client and the caches of every kind it
//! reads, started together.

use compass_crds::{
    Application, ApplicationTemplate, IntegrationSystem, LabelDefinition, Runtime, Scenario,
    SystemAuth, Tenant, labels::effective_scenarios,
};
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::{Api, Client, runtime::watcher};

use crate::cache::{Cache, Task, no_extra};

pub use compass_crds::well_known::{APPLICATION_LABEL, CREDENTIALS_LABEL};

/// The caches of every kind the Director reads.
#[derive(Clone)]
pub struct Caches {
    /// Tenants, tagged by external id ([`external_id_tag`]).
    pub tenants: Cache<Tenant>,
    /// Applications, also by the ids of their children, and tagged by scenario and label key
    /// ([`scenario_tag`], [`label_tag`]).
    pub applications: Cache<Application>,
    /// Runtimes, tagged by scenario and label key.
    pub runtimes: Cache<Runtime>,
    /// Scenarios.
    pub scenarios: Cache<Scenario>,
    /// Label definitions.
    pub label_definitions: Cache<LabelDefinition>,
    /// Integration systems.
    pub integration_systems: Cache<IntegrationSystem>,
    /// Application templates.
    pub application_templates: Cache<ApplicationTemplate>,
    /// System auths.
    pub system_auths: Cache<SystemAuth>,
    /// Secrets the Director created for credentials.
    pub secrets: Cache<Secret>,
    /// ConfigMaps holding spec content.
    pub config_maps: Cache<ConfigMap>,
}

/// Tag of the tenants with an external id: several may carry one, and only the operator's
/// verdict (`Ready`) tells which of them answers to it.
pub fn external_id_tag(external_id: &str) -> String {
    format!("external-id\0{external_id}")
}

/// A tenant's tags: its external id.
fn external_id(tenant: &Tenant) -> Vec<String> {
    vec![external_id_tag(&tenant.spec.external_id)]
}

/// An application's extra keys: the ids of its API definitions, event definitions, documents
/// and webhooks.
fn child_ids(application: &Application) -> Vec<String> {
    use compass_crds::ids::{ChildKind, child_id};
    let Some(uid) = application.metadata.uid.as_deref() else {
        return Vec::new();
    };
    let spec = &application.spec;
    let apis = spec
        .api_definitions
        .iter()
        .map(|d| child_id(uid, ChildKind::ApiDefinition, &d.name));
    let events = spec
        .event_definitions
        .iter()
        .map(|d| child_id(uid, ChildKind::EventDefinition, &d.name));
    let documents = spec
        .documents
        .iter()
        .map(|d| child_id(uid, ChildKind::Document, &d.title));
    let webhooks = spec
        .webhooks
        .iter()
        .map(|w| child_id(uid, ChildKind::Webhook, &w.name));
    apis.chain(events)
        .chain(documents)
        .chain(webhooks)
        .map(|id| id.to_string())
        .collect()
}

/// Tag of the objects of a tenant namespace in a scenario.
pub fn scenario_tag(namespace: &str, scenario: &str) -> String {
    format!("scenario\0{namespace}\0{scenario}")
}

/// Tag of the objects of a tenant namespace carrying a label key.
pub fn label_tag(namespace: &str, key: &str) -> String {
    format!("label\0{namespace}\0{key}")
}

/// Tags of an object with these labels and scenarios in effect.
fn tags<'a>(
    namespace: &str,
    labels: impl Iterator<Item = &'a String>,
    scenarios: Vec<String>,
) -> Vec<String> {
    labels
        .map(|key| label_tag(namespace, key))
        .chain(scenarios.iter().map(|s| scenario_tag(namespace, s)))
        .collect()
}

/// An application's tags: its scenarios in effect and its label keys.
fn application_tags(application: &Application) -> Vec<String> {
    let namespace = application
        .metadata
        .namespace
        .as_deref()
        .unwrap_or_default();
    tags(
        namespace,
        application.spec.labels.keys(),
        effective_scenarios(application.spec.scenarios.as_deref()),
    )
}

/// A runtime's tags: its scenarios in effect and its label keys.
fn runtime_tags(runtime: &Runtime) -> Vec<String> {
    let namespace = runtime.metadata.namespace.as_deref().unwrap_or_default();
    tags(
        namespace,
        runtime.spec.labels.keys(),
        effective_scenarios(runtime.spec.scenarios.as_deref()),
    )
}

impl Default for Caches {
    fn default() -> Self {
        Self {
            tenants: Cache::new(no_extra).with_tags(external_id),
            applications: Cache::new(child_ids).with_tags(application_tags),
            runtimes: Cache::new(no_extra).with_tags(runtime_tags),
            scenarios: Cache::new(no_extra),
            label_definitions: Cache::new(no_extra),
            integration_systems: Cache::new(no_extra),
            application_templates: Cache::new(no_extra),
            system_auths: Cache::new(no_extra),
            secrets: Cache::new(no_extra),
            config_maps: Cache::new(no_extra),
        }
    }
}

impl Caches {
    /// The watch tasks filling the caches.
    pub fn drivers(&self, client: &Client) -> Vec<Task> {
        let all = watcher::Config::default;
        vec![
            self.tenants.driver(Api::all(client.clone()), all()),
            self.applications.driver(Api::all(client.clone()), all()),
            self.runtimes.driver(Api::all(client.clone()), all()),
            self.scenarios.driver(Api::all(client.clone()), all()),
            self.label_definitions
                .driver(Api::all(client.clone()), all()),
            self.integration_systems
                .driver(Api::all(client.clone()), all()),
            self.application_templates
                .driver(Api::all(client.clone()), all()),
            self.system_auths.driver(Api::all(client.clone()), all()),
            self.secrets
                .driver(Api::all(client.clone()), all().labels(CREDENTIALS_LABEL)),
            self.config_maps
                .driver(Api::all(client.clone()), all().labels(APPLICATION_LABEL)),
        ]
    }

    /// Completes once every cache holds its first full list.
    pub async fn ready(&self) {
        self.tenants.ready().await;
        self.applications.ready().await;
        self.runtimes.ready().await;
        self.scenarios.ready().await;
        self.label_definitions.ready().await;
        self.integration_systems.ready().await;
        self.application_templates.ready().await;
        self.system_auths.ready().await;
        self.secrets.ready().await;
        self.config_maps.ready().await;
    }
}
