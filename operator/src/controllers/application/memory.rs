//! The last status the controller wrote for each application that has fetch requests or
//! webhooks. The shared cache lags behind a write by a watch event; a reconcile started in that
//! window would see the old status and fetch or call a webhook again. The controller is the only
//! writer of the status, so what it wrote last is never older than what the cache holds.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use compass_crds::{Application, ApplicationStatus};
use kube::{ResourceExt, runtime::reflector::Store};

/// A status written for the application of a uid.
type Written = (String, Arc<ApplicationStatus>);

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
            Some((uid, status)) if Some(uid) == app.metadata.uid.as_ref() => (**status).clone(),
            _ => app.status.clone().unwrap_or_default(),
        }
    }

    /// Records a status that was written. Statuses that carry nothing a reconcile acts on
    /// (no fetch results, no webhook deliveries) are not kept.
    pub fn wrote(&self, app: &Application, status: &ApplicationStatus) {
        let mut written = self.written.lock().unwrap_or_else(|p| p.into_inner());
        if worth_keeping(status) {
            let uid = app.metadata.uid.clone().unwrap_or_default();
            written.insert(key(app), (uid, Arc::new(status.clone())));
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

    /// Forgets applications that are gone from the cache (or were replaced by another of the
    /// same name), and those the cache has caught up with.
    pub fn prune(&self, applications: &Store<Application>) {
        let mut written = self.written.lock().unwrap_or_else(|p| p.into_inner());
        written.retain(|(namespace, name), (uid, status)| {
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
