//! The reconcile controllers: one per kind, each a thin reconcile over pure steps, all sharing one
//! watch per kind, one context and one shutdown signal.
//!
//! Every controller follows the same shape (see `tenant.rs`): a `controller()` that wires its
//! triggers, a `reconcile()` that reads the object and the caches, computes the status with pure
//! functions, applies what it owns, and writes `/status` only when it changed; an Event when the
//! `Ready` condition changes; retries with backoff through [`error::error_policy`].

pub mod application;
mod application_template;
pub mod assignment;
mod checks;
mod context;
pub mod error;
pub mod event_queue;
pub mod events;
mod in_use;
mod integration_system;
mod label_definition;
pub mod labels;
mod namesakes;
mod runtime;
mod scenario;
pub mod status;
pub mod stores;
mod system_auth;
mod tenant;
pub mod tenant_access;
mod triggers;

use std::{
    future::Future,
    pin::Pin,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};

pub use context::{Context, OperatorConfig};
use futures_util::future::join_all;
use kube::Client;

use crate::{metrics::Metrics, shutdown::Shutdown};

/// A controller's task.
pub type ControllerTask = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Runs every controller on the shared stores of `watches` until `shutdown`. `ready` turns true
/// once every store the controllers read is synced.
pub async fn run(
    client: Client,
    watches: stores::Watches,
    config: OperatorConfig,
    metrics: Arc<Metrics>,
    ready: Arc<AtomicBool>,
    shutdown: Shutdown,
) {
    let stores = stores::Stores::new(&watches);
    let ctx = Arc::new(Context::new(
        client.clone(),
        stores.clone(),
        metrics,
        config,
    ));
    let controllers: Vec<ControllerTask> = vec![
        tenant::controller(&watches, ctx.clone(), shutdown.clone()),
        application::controller(&watches, ctx.clone(), shutdown.clone()),
        runtime::controller(&watches, ctx.clone(), shutdown.clone()),
        scenario::controller(&watches, ctx.clone(), shutdown.clone()),
        label_definition::controller(&watches, ctx.clone(), shutdown.clone()),
        integration_system::controller(&watches, ctx.clone(), shutdown.clone()),
        application_template::controller(&watches, ctx.clone(), shutdown.clone()),
        system_auth::controller(&watches, ctx.clone(), shutdown.clone()),
    ];
    let readiness = async move {
        if stores.wait_until_ready().await {
            ready.store(true, Ordering::SeqCst);
            tracing::info!("Caches synced; controllers are running");
        }
    };
    // The stores may outlive the controllers (under `compass up` the Director reads them too),
    // so the wait for them ends with the controllers.
    let readiness = tokio::spawn(readiness);
    join_all(controllers).await;
    readiness.abort();
    ctx.events.drain().await;
}

/// Sets each controller's backlog from the caches: objects whose latest generation its status
/// does not reflect yet.
pub fn queue_depths(stores: &stores::Stores, metrics: &Metrics) {
    use kube::Resource;
    fn behind<K: Resource>(objects: Vec<Arc<K>>, observed: impl Fn(&K) -> Option<i64>) -> usize {
        objects
            .iter()
            .filter(|o| o.meta().deletion_timestamp.is_none() && observed(o) != o.meta().generation)
            .count()
    }
    macro_rules! depth {
        ($controller:literal, $store:ident) => {
            metrics.set_queue_depth(
                $controller,
                behind(stores.$store.state(), |o| {
                    o.status.as_ref().and_then(|s| s.observed_generation)
                }),
            )
        };
    }
    depth!("tenant", tenants);
    depth!("application", applications);
    depth!("runtime", runtimes);
    depth!("scenario", scenarios);
    depth!("label_definition", label_definitions);
    depth!("integration_system", integration_systems);
    depth!("application_template", application_templates);
    depth!("system_auth", system_auths);
}
