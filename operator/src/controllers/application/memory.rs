//! The last status the controller wrote for each application that has fetch requests or
//! webhooks. The shared cache lags behind a write by a watch event; a reconcile started in that
//! window would see the old status and fetch or call a webhook again. The controller is the only
//! writer of the status, so what it wrote last is never older than what the cache holds.
//!
//! A written status is trusted for [`TTL`]: long enough to outlast the cache's lag and a watch
//! reconnect, short enough that a status changed by someone else is corrected soon.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use compass_crds::{Application, ApplicationStatus};
use kube::{ResourceExt, runtime::reflector::Store};

/// How long a written status is preferred over the cached one.
pub const TTL: Duration = Duration::from_secs(60);

/// How often what is no longer worth remembering is forgotten.
const PRUNE_EVERY: Duration = Duration::from_secs(30);

/// A status written for the application of a uid, and when.
type Written = (String, Arc<ApplicationStatus>, Instant);

/// Statuses written, by namespace and name, with the uid they were written for.
#[derive(Default)]
pub struct Memory {
    written: Mutex<HashMap<(String, String), Written>>,
}

fn key(app: &Application) -> (String, String) {
    (app.namespace().unwrap_or_default(), app.name_any())
}

impl Memory {
    /// The application's latest status: the one written last, or the cached one.
    pub fn latest(&self, app: &Application) -> ApplicationStatus {
        let written = self.written.lock().unwrap_or_else(|p| p.into_inner());
        match written.get(&key(app)) {
            Some((uid, status, at))
                if Some(uid) == app.metadata.uid.as_ref() && at.elapsed() < TTL =>
            {
                (**status).clone()
            }
            _ => app.status.clone().unwrap_or_default(),
        }
    }

    /// Records a status that was written. Statuses that carry nothing a reconcile acts on
    /// (no fetch results, no webhook deliveries) are not kept.
    pub fn wrote(&self, app: &Application, status: &ApplicationStatus) {
        let mut written = self.written.lock().unwrap_or_else(|p| p.into_inner());
        if worth_keeping(status) {
            let uid = app.metadata.uid.clone().unwrap_or_default();
            written.insert(key(app), (uid, Arc::new(status.clone()), Instant::now()));
        } else {
            written.remove(&key(app));
        }
    }

    /// Forgets an application.
    pub fn forget(&self, app: &Application) {
        self.written
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&key(app));
    }

    /// Prunes the memory every [`PRUNE_EVERY`], for as long as the controller runs.
    pub async fn pruning(self: Arc<Self>, applications: Store<Application>) {
        let mut every = tokio::time::interval(PRUNE_EVERY);
        loop {
            every.tick().await;
            self.prune(&applications);
        }
    }

    /// Forgets applications that are gone from the cache (or were replaced by another of the
    /// same name), those the cache has caught up with, and statuses older than [`TTL`].
    pub fn prune(&self, applications: &Store<Application>) {
        let mut written = self.written.lock().unwrap_or_else(|p| p.into_inner());
        written.retain(|(namespace, name), (uid, status, at)| {
            if at.elapsed() >= TTL {
                return false;
            }
            let reference = kube::runtime::reflector::ObjectRef::new(name).within(namespace);
            applications.get(&reference).is_some_and(|app| {
                app.metadata.uid.as_ref() == Some(uid) && app.status.as_ref() != Some(status)
            })
        });
    }
}

fn worth_keeping(status: &ApplicationStatus) -> bool {
    let fetches = [
        &status.api_definitions,
        &status.event_definitions,
        &status.documents,
    ]
    .into_iter()
    .flatten()
    .any(|d| d.fetch.is_some());
    fetches
        || !status.runtime_credentials.is_empty()
        || !status.webhook_failures.is_empty()
        || status.observed_refetch.is_some()
}

#[cfg(test)]
mod tests {
    use compass_crds::application::{RuntimeCredentialStatus, WebhookFailureStatus};
    use serde_json::json;

    use super::*;

    fn app(uid: &str) -> Application {
        serde_json::from_value(json!({
            "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Application",
            "metadata": { "name": "shop", "namespace": "acme", "uid": uid },
            "spec": {}, "status": { "runtimeCount": 1 },
        }))
        .unwrap()
    }

    #[test]
    fn the_written_status_wins_over_the_cached_one_for_the_same_object_only() {
        let memory = Memory::default();
        let written = ApplicationStatus {
            runtime_credentials: vec![RuntimeCredentialStatus {
                runtime: "edge".into(),
                secret: None,
                received_at: crate::controllers::status::now(),
            }],
            ..ApplicationStatus::default()
        };
        assert_eq!(memory.latest(&app("a")).runtime_count, Some(1));
        memory.wrote(&app("a"), &written);
        assert_eq!(memory.latest(&app("a")), written);
        assert_eq!(
            memory.latest(&app("b")).runtime_count,
            Some(1),
            "a new object of the same name"
        );
        memory.forget(&app("a"));
        assert_eq!(memory.latest(&app("a")).runtime_count, Some(1));
    }

    #[test]
    fn statuses_without_side_effects_are_not_kept() {
        let memory = Memory::default();
        let failing = ApplicationStatus {
            webhook_failures: vec![WebhookFailureStatus {
                runtime: "edge".into(),
                attempts: 1,
                last_attempt_time: crate::controllers::status::now(),
                message: "down".into(),
                answered: Vec::new(),
                secret: None,
            }],
            ..ApplicationStatus::default()
        };
        memory.wrote(&app("a"), &failing);
        memory.wrote(&app("a"), &ApplicationStatus::default());
        assert_eq!(memory.latest(&app("a")).runtime_count, Some(1));
    }
}
