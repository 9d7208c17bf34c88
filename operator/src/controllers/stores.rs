//! One watch per kind, shared: each kind is listed and watched once, cached in a reflector store
//! that every controller reads, and fanned out to every controller it triggers, so ten thousand
//! Applications are held and decoded once rather than once per controller.

use std::{fmt::Debug, future::Future, hash::Hash, pin::Pin, sync::Arc};

use compass_crds::{
    Application, ApplicationTemplate, IntegrationSystem, LabelDefinition, Runtime, Scenario,
    SystemAuth, Tenant,
};
use futures_util::{Stream, StreamExt};
use k8s_openapi::api::{coordination::v1::Lease, core::v1::Namespace};
use kube::{
    Api, Client, Resource,
    runtime::{
        WatchStreamExt,
        reflector::{self, ReflectHandle, Store, store::Writer},
        watcher,
    },
};
use serde::de::DeserializeOwned;
use tokio::sync::broadcast;

pub use compass_crds::well_known::{RUNTIME_LABEL, TENANT_LABEL};

/// How many changes a shared watch buffers for a slow subscriber before it waits.
const BUFFER: usize = 1024;

/// One shared watch: its store, and subscriptions handed out before it starts.
pub struct Shared<K: Resource + Clone + 'static>
where
    K::DynamicType: Eq + Hash + Clone,
{
    /// The cache every controller reads.
    pub store: Store<K>,
    writer: Writer<K>,
    config: watcher::Config,
    // NB: a shared store's subscriptions carry only objects that are still in the store, so
    // deletions reach the controllers through this channel instead.
    deleted: broadcast::Sender<Arc<K>>,
}

impl<K> Shared<K>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
    K::DynamicType: Eq + Hash + Clone + Default,
{
    fn new(config: watcher::Config) -> Self {
        let (store, writer) = reflector::store_shared(BUFFER);
        let (deleted, _) = broadcast::channel(BUFFER);
        Self {
            store,
            writer,
            config,
            deleted,
        }
    }

    /// A stream of every object that changes, for a controller's triggers.
    pub fn subscribe(&self) -> ReflectHandle<K> {
        self.writer
            .subscribe()
            .expect("shared stores hand out subscriptions")
    }

    /// A stream of every object deleted from now on, as it was last seen. Objects that vanish
    /// while the watch is down (and are dropped by the relist) are not reported.
    pub fn subscribe_deleted(&self) -> impl Stream<Item = Arc<K>> + Send + 'static {
        futures_util::stream::unfold(self.deleted.subscribe(), |mut receiver| async move {
            loop {
                match receiver.recv().await {
                    Ok(object) => return Some((object, receiver)),
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(missed, kind = %K::kind(&Default::default()), "A subscriber missed deletions");
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        })
    }

    /// The task that lists and watches the kind and feeds the store and subscribers.
    fn driver(self, api: Api<K>) -> Pin<Box<dyn Future<Output = ()> + Send>> {
        let deleted = self.deleted;
        Box::pin(
            watcher(api, self.config)
                .default_backoff()
                // No controller reads managedFields; dropping them keeps the caches small.
                .modify(|object| object.meta_mut().managed_fields = None)
                .reflect_shared(self.writer)
                .for_each(move |event| {
                    match event {
                        Ok(watcher::Event::Delete(object)) => {
                            // No receiver is not an error: nothing subscribed to this kind's deletions.
                            let _ = deleted.send(Arc::new(object));
                        }
                        Ok(_) => {}
                        Err(error) => {
                            tracing::warn!(%error, kind = %K::kind(&Default::default()), "Watch failed; retrying");
                        }
                    }
                    std::future::ready(())
                }),
        )
    }
}

/// Every watched kind.
pub struct Watches {
    /// Tenants.
    pub tenants: Shared<Tenant>,
    /// Applications in every namespace.
    pub applications: Shared<Application>,
    /// Runtimes in every namespace.
    pub runtimes: Shared<Runtime>,
    /// Scenarios in every namespace.
    pub scenarios: Shared<Scenario>,
    /// Label definitions in every namespace.
    pub label_definitions: Shared<LabelDefinition>,
    /// Integration systems.
    pub integration_systems: Shared<IntegrationSystem>,
    /// Application templates.
    pub application_templates: Shared<ApplicationTemplate>,
    /// System auths in every namespace.
    pub system_auths: Shared<SystemAuth>,
    /// Runtime Agents' heartbeat Leases (those labelled with their runtime).
    pub leases: Shared<Lease>,
    /// Tenants' namespaces (those labelled with their tenant).
    pub namespaces: Shared<Namespace>,
    synced: Synced,
}

/// Read access to every cache.
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
    /// Heartbeat Leases.
    pub leases: Store<Lease>,
    /// Tenant namespaces.
    pub namespaces: Store<Namespace>,
    synced: Synced,
}

/// Whether every cache holds its first full list; set once, by whichever caller waits first.
type Synced = Arc<tokio::sync::OnceCell<bool>>;

impl Default for Watches {
    fn default() -> Self {
        let all = watcher::Config::default;
        Self {
            tenants: Shared::new(all()),
            applications: Shared::new(all()),
            runtimes: Shared::new(all()),
            scenarios: Shared::new(all()),
            label_definitions: Shared::new(all()),
            integration_systems: Shared::new(all()),
            application_templates: Shared::new(all()),
            system_auths: Shared::new(all()),
            leases: Shared::new(all().labels(RUNTIME_LABEL)),
            namespaces: Shared::new(all().labels(TENANT_LABEL)),
            synced: Synced::default(),
        }
    }
}

impl Watches {
    /// Read handles of every cache.
    pub fn stores(&self) -> Stores {
        Stores {
            tenants: self.tenants.store.clone(),
            applications: self.applications.store.clone(),
            runtimes: self.runtimes.store.clone(),
            scenarios: self.scenarios.store.clone(),
            label_definitions: self.label_definitions.store.clone(),
            integration_systems: self.integration_systems.store.clone(),
            application_templates: self.application_templates.store.clone(),
            system_auths: self.system_auths.store.clone(),
            leases: self.leases.store.clone(),
            namespaces: self.namespaces.store.clone(),
            synced: self.synced.clone(),
        }
    }

    /// The watch tasks. Start them after every controller has subscribed.
    pub fn drivers(self, client: &Client) -> Vec<Pin<Box<dyn Future<Output = ()> + Send>>> {
        vec![
            self.tenants.driver(Api::all(client.clone())),
            self.applications.driver(Api::all(client.clone())),
            self.runtimes.driver(Api::all(client.clone())),
            self.scenarios.driver(Api::all(client.clone())),
            self.label_definitions.driver(Api::all(client.clone())),
            self.integration_systems.driver(Api::all(client.clone())),
            self.application_templates.driver(Api::all(client.clone())),
            self.system_auths.driver(Api::all(client.clone())),
            self.leases.driver(Api::all(client.clone())),
            self.namespaces.driver(Api::all(client.clone())),
        ]
    }
}

impl Stores {
    /// Whether `namespace` is a tenant's (so the Tenant controller keeps its defaults there).
    pub fn is_tenant_namespace(&self, namespace: &str) -> bool {
        self.tenants
            .state()
            .iter()
            .any(|t| t.namespace_name() == namespace && t.meta().deletion_timestamp.is_none())
    }

    /// Completes once every cache holds its first full list; `false` if a watch ended first.
    ///
    /// Any number of callers may wait at once. (A kube store wakes only the last of several
    /// concurrent waiters, so only one caller waits on the stores and the others on it.)
    pub async fn wait_until_ready(&self) -> bool {
        *self
            .synced
            .get_or_init(|| async { self.wait_for_every_store().await.is_ok() })
            .await
    }

    async fn wait_for_every_store(&self) -> Result<(), reflector::store::WriterDropped> {
        self.tenants.wait_until_ready().await?;
        self.applications.wait_until_ready().await?;
        self.runtimes.wait_until_ready().await?;
        self.scenarios.wait_until_ready().await?;
        self.label_definitions.wait_until_ready().await?;
        self.integration_systems.wait_until_ready().await?;
        self.application_templates.wait_until_ready().await?;
        self.system_auths.wait_until_ready().await?;
        self.leases.wait_until_ready().await?;
        self.namespaces.wait_until_ready().await
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn init_done<K>(shared: &mut Shared<K>)
    where
        K: Resource + Clone + DeserializeOwned + Debug + Send + Sync + 'static,
        K::DynamicType: Eq + Hash + Clone + Default,
    {
        shared.writer.apply_watcher_event(&watcher::Event::InitDone);
    }

    #[tokio::test]
    async fn every_concurrent_waiter_learns_the_caches_are_synced() {
        let mut watches = Watches::default();
        let stores = watches.stores();
        let waiters: Vec<_> = (0..4)
            .map(|_| {
                let stores = stores.clone();
                tokio::spawn(async move { stores.wait_until_ready().await })
            })
            .collect();
        // Every waiter is parked before the caches fill, as reconciles are after a restart.
        tokio::time::sleep(Duration::from_millis(50)).await;
        init_done(&mut watches.tenants);
        init_done(&mut watches.applications);
        init_done(&mut watches.runtimes);
        init_done(&mut watches.scenarios);
        init_done(&mut watches.label_definitions);
        init_done(&mut watches.integration_systems);
        init_done(&mut watches.application_templates);
        init_done(&mut watches.system_auths);
        init_done(&mut watches.leases);
        init_done(&mut watches.namespaces);
        for waiter in waiters {
            let synced = tokio::time::timeout(Duration::from_secs(5), waiter)
                .await
                .expect("every waiter is woken")
                .expect("the waiter completes");
            assert!(synced);
        }
    }
}
