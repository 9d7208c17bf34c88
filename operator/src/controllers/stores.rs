//! The controllers' view of the process's shared stores (see `compass_cache`): each kind is
//! listed and watched once per process, held once, and read by every controller (and, under
//! `compass up`, by the Director too).

use compass_crds::{
    Application, ApplicationTemplate, IntegrationSystem, LabelDefinition, Runtime, Scenario,
    SystemAuth, Tenant,
};
use k8s_openapi::api::{coordination::v1::Lease, core::v1::Namespace};
use std::sync::Arc;

use kube::{Resource, runtime::reflector::Store};
use tokio::sync::OnceCell;

pub use compass_cache::Watches;
pub use compass_crds::well_known::{RUNTIME_LABEL, TENANT_LABEL};

/// Read access to every store the controllers read.
#[derive(Clone)]
pub struct Stores {
    /// Tenants.
    pub tenants: Store<Tenant>,
    /// Applications.
    pub applications: Store<Application>,
    /// Runtimes.
    pub runtimes: Store<Runtime>,
    /// Scenarios.
    pub scenarios: Store<Scenario>,
    /// Label definitions.
    pub label_definitions: Store<LabelDefinition>,
    /// Integration systems.
    pub integration_systems: Store<IntegrationSystem>,
    /// Application templates.
    pub application_templates: Store<ApplicationTemplate>,
    /// System auths.
    pub system_auths: Store<SystemAuth>,
    /// Runtime Agents' heartbeat Leases.
    pub leases: Store<Lease>,
    /// Tenant namespaces.
    pub namespaces: Store<Namespace>,
    watches: Watches,
    /// Whether every store synced, once known: reconciles ask on every pass.
    synced: Arc<OnceCell<bool>>,
}

impl Stores {
    /// The controllers' stores among `watches` (their watches start now, if no other part of
    /// the process started them).
    pub fn new(watches: &Watches) -> Self {
        Self {
            tenants: watches.tenants().store(),
            applications: watches.applications().store(),
            runtimes: watches.runtimes().store(),
            scenarios: watches.scenarios().store(),
            label_definitions: watches.label_definitions().store(),
            integration_systems: watches.integration_systems().store(),
            application_templates: watches.application_templates().store(),
            system_auths: watches.system_auths().store(),
            leases: watches.heartbeat_leases().store(),
            namespaces: watches.tenant_namespaces().store(),
            watches: watches.clone(),
            synced: Arc::default(),
        }
    }

    /// The applications of `namespace` in any of `scenarios` (scenario names in effect), from
    /// the stores' scenario index: those that may be visible to a runtime in them, rather than
    /// every application of every tenant.
    pub fn applications_in(&self, namespace: &str, scenarios: &[String]) -> Vec<Arc<Application>> {
        in_scenarios(&self.watches.applications(), namespace, scenarios)
    }

    /// The runtimes of `namespace` in any of `scenarios`, as [`applications_in`](Self::applications_in).
    pub fn runtimes_in(&self, namespace: &str, scenarios: &[String]) -> Vec<Arc<Runtime>> {
        in_scenarios(&self.watches.runtimes(), namespace, scenarios)
    }

    /// Whether `namespace` is a tenant's (so the Tenant controller keeps its defaults there).
    pub fn is_tenant_namespace(&self, namespace: &str) -> bool {
        self.tenants
            .state()
            .iter()
            .any(|t| t.namespace_name() == namespace && t.meta().deletion_timestamp.is_none())
    }

    /// Completes once every store holds its first full list; `false` if a watch stopped first.
    /// Any number of callers may wait at once; once known, the answer is immediate. Every
    /// reconcile waits for it: one before would judge from part of the landscape (a runtime
    /// from some of its applications, a scenario from some of its users) and write a status
    /// undone moments later.
    pub async fn wait_until_ready(&self) -> bool {
        *self
            .synced
            .get_or_init(|| self.wait_for_every_store())
            .await
    }

    async fn wait_for_every_store(&self) -> bool {
        let watches = &self.watches;
        watches.tenants().ready().await
            && watches.applications().ready().await
            && watches.runtimes().ready().await
            && watches.scenarios().ready().await
            && watches.label_definitions().ready().await
            && watches.integration_systems().ready().await
            && watches.application_templates().ready().await
            && watches.system_auths().ready().await
            && watches.heartbeat_leases().ready().await
            && watches.tenant_namespaces().ready().await
    }
}

fn in_scenarios<K: compass_cache::Cached>(
    shared: &compass_cache::Shared<K>,
    namespace: &str,
    scenarios: &[String],
) -> Vec<Arc<K>> {
    let tags: Vec<String> = (scenarios.iter())
        .map(|scenario| compass_cache::kinds::scenario_tag(namespace, scenario))
        .collect();
    shared.tagged_any(&tags)
}
