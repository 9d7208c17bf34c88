//! Every kind the product reads, each watched at most once per process: a kind's watch starts
//! the first time some part of the process (the Director, the controllers) takes its store, and
//! every part that takes it shares that one store. Kinds nobody reads are not watched.

use std::sync::{Arc, Mutex};

use compass_crds::{
    Application, ApplicationTemplate, IntegrationSystem, LabelDefinition, Runtime, Scenario,
    SystemAuth, Tenant,
    well_known::{APPLICATION_LABEL, CREDENTIALS_LABEL, RUNTIME_LABEL, TENANT_LABEL},
};
use k8s_openapi::api::{
    coordination::v1::Lease,
    core::v1::{ConfigMap, Namespace, Secret},
};
use kube::{Api, Client, runtime::watcher};
use tokio::task::JoinSet;

use crate::{
    index::Indexing,
    kinds,
    shared::{Cached, Shared},
};

/// The shared stores of one process. Cheap to clone; the watches stop when the last clone is
/// dropped or [`Watches::stop`] is called.
#[derive(Clone)]
pub struct Watches {
    client: Option<Client>,
    kinds: Arc<Kinds>,
    feeds: Arc<Mutex<JoinSet<()>>>,
}

struct Kinds {
    tenants: Shared<Tenant>,
    applications: Shared<Application>,
    runtimes: Shared<Runtime>,
    scenarios: Shared<Scenario>,
    label_definitions: Shared<LabelDefinition>,
    integration_systems: Shared<IntegrationSystem>,
    application_templates: Shared<ApplicationTemplate>,
    system_auths: Shared<SystemAuth>,
    credential_secrets: Shared<Secret>,
    spec_config_maps: Shared<ConfigMap>,
    heartbeat_leases: Shared<Lease>,
    tenant_namespaces: Shared<Namespace>,
}

/// Declares an accessor per kind: it starts the kind's watch (once) and hands out its store.
macro_rules! kinds {
    ($($(#[$doc:meta])* $name:ident: $kind:ty, $config:expr;)*) => {
        impl Watches {
            $(
                $(#[$doc])*
                pub fn $name(&self) -> Shared<$kind> {
                    self.started(&self.kinds.$name, $config)
                }
            )*
        }
    };
}

kinds! {
    /// Tenants (cluster-scoped), tagged by external id.
    tenants: Tenant, watcher::Config::default();
    /// Applications of every namespace, by child id, tagged by scenario and label key.
    applications: Application, watcher::Config::default();
    /// Runtimes of every namespace, tagged by scenario and label key.
    runtimes: Runtime, watcher::Config::default();
    /// Scenarios of every namespace.
    scenarios: Scenario, watcher::Config::default();
    /// Label definitions of every namespace, tagged by key.
    label_definitions: LabelDefinition, watcher::Config::default();
    /// Integration systems (cluster-scoped).
    integration_systems: IntegrationSystem, watcher::Config::default();
    /// Application templates (cluster-scoped).
    application_templates: ApplicationTemplate, watcher::Config::default();
    /// System auths of every namespace, tagged by subject.
    system_auths: SystemAuth, watcher::Config::default();
    /// Secrets the Director created for credentials (labelled as such).
    credential_secrets: Secret, watcher::Config::default().labels(CREDENTIALS_LABEL);
    /// ConfigMaps holding applications' spec content (labelled with their application).
    spec_config_maps: ConfigMap, watcher::Config::default().labels(APPLICATION_LABEL);
    /// Runtime Agents' heartbeat Leases (labelled with their runtime).
    heartbeat_leases: Lease, watcher::Config::default().labels(RUNTIME_LABEL);
    /// Tenants' namespaces (labelled with their tenant).
    tenant_namespaces: Namespace, watcher::Config::default().labels(TENANT_LABEL);
}

impl Watches {
    /// The stores of a process talking to the API server through `client`; nothing is
    /// watched until a store is taken.
    pub fn new(client: Client) -> Self {
        Self::with_client(Some(client))
    }

    /// Stores that nothing ever fills, for unit tests of what reads them.
    pub fn unwatched() -> Self {
        Self::with_client(None)
    }

    fn with_client(client: Option<Client>) -> Self {
        let kinds = Kinds {
            tenants: Shared::new(kinds::tenants()),
            applications: Shared::new(kinds::applications()),
            runtimes: Shared::new(kinds::runtimes()),
            scenarios: Shared::new(Indexing::default()),
            label_definitions: Shared::new(kinds::label_definitions()),
            integration_systems: Shared::new(Indexing::default()),
            application_templates: Shared::new(Indexing::default()),
            system_auths: Shared::new(kinds::system_auths()),
            credential_secrets: Shared::new(Indexing::default()),
            spec_config_maps: Shared::new(Indexing::default()),
            heartbeat_leases: Shared::new(Indexing::default()),
            tenant_namespaces: Shared::new(Indexing::default()),
        };
        Self {
            client,
            kinds: Arc::new(kinds),
            feeds: Arc::default(),
        }
    }

    /// Stops every watch; the stores keep what they hold.
    pub fn stop(&self) {
        self.feeds
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .abort_all();
    }

    fn started<K: Cached>(&self, shared: &Shared<K>, config: watcher::Config) -> Shared<K> {
        // Only the first taker finds the store without its feed; later ones build nothing.
        if let Some(client) = self.client.clone().filter(|_| !shared.is_fed())
            && let Some(feed) = shared.feed(Api::all(client), config)
        {
            self.feeds
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .spawn(feed);
        }
        shared.clone()
    }
}
