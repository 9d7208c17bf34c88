//! One cycle of the agent: read the configuration, make sure the agent has a certificate
//! (pairing through the one-time token when it has none or `CompassConnection` was deleted;
//! renewing at 70 % of its lifetime or when `spec.refreshCredentialsNow` asks), then
//! synchronise, reporting each step in `CompassConnection` and in the agent's report.

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use compass_crds::ConnectionState;
use compass_operator::controllers::events::EventRecorder;
use jiff::Timestamp;
use kube::{
    Api, Client,
    api::{Patch, PatchParams, PostParams},
};
use serde_json::{Value, json};

use crate::{
    channel::Wake,
    config::AgentConfig,
    connection::{CONNECTION_NAME, CompassConnection},
    credentials::Credentials,
    kyma, labels,
    metrics::AgentMetrics,
    run::AgentOptions,
    status::{Reporter, report_time},
    sync::{self, SyncError},
};

/// How often every application is applied, changed or not; between, only those whose digest
/// differs from what was applied.
pub const FULL_APPLY_EVERY: Duration = Duration::from_secs(600);

/// What a cycle found: the configuration, the credentials, and how the synchronisation went.
pub type Outcome = (AgentConfig, Credentials, Result<(), String>);

/// Everything a cycle works with.
pub struct Agent {
    /// The runtime cluster.
    pub client: Client,
    /// How the agent runs.
    pub options: AgentOptions,
    /// Events about the Applications it deletes.
    pub recorder: EventRecorder,
    /// Where it says how it is.
    pub reporter: Reporter,
    /// Its metrics.
    pub metrics: AgentMetrics,
    /// What wakes it, and since when a change waits.
    pub wake: Arc<Wake>,
    /// When every application was last applied, changed or not.
    pub last_full_apply: Mutex<Option<Instant>>,
}

impl Agent {
    fn connections(&self) -> Api<CompassConnection> {
        Api::all(self.client.clone())
    }

    /// One cycle: credentials, then synchronisation.
    pub async fn cycle(&self) -> Result<Outcome, String> {
        let options = &self.options;
        let config =
            match AgentConfig::read(&self.client, &options.namespace, &options.overrides).await {
                Ok(config) => config,
                Err(error) => {
                    let status = json!({ "connectionStatus": { "error": error } });
                    self.reporter
                        .report(ConnectionState::ConnectionFailed, status)
                        .await;
                    return Err(error);
                }
            };
        let connection = self
            .connections()
            .get_opt(CONNECTION_NAME)
            .await
            .map_err(|e| e.to_string())?;
        let credentials = self.credentials(&config, connection.as_ref()).await?;
        let expiry = credentials.not_after;
        self.metrics.certificate_expiry.set(expiry.as_second());
        self.reporter
            .note(|report| report.certificate_expiry = report_time(expiry));
        let synced = self.synchronise(&config, &credentials).await;
        if connection.is_some_and(|c| c.spec.resync_now) {
            self.clear_request("resyncNow").await;
        }
        Ok((config, credentials, synced))
    }

    /// The agent's credentials: the stored ones, renewed when due; new ones by pairing when
    /// there are none or `CompassConnection` is gone.
    async fn credentials(
        &self,
        config: &AgentConfig,
        connection: Option<&CompassConnection>,
    ) -> Result<Credentials, String> {
        let namespace = &self.options.namespace;
        let stored = match connection {
            Some(_) => Credentials::load(&self.client, namespace).await?,
            None => None,
        };
        let now = Timestamp::now();
        let Some(stored) = stored else {
            return self.pair(config).await;
        };
        let asked = connection.is_some_and(|c| c.spec.refresh_credentials_now);
        if !asked && !stored.due_for_renewal(now) {
            return Ok(stored);
        }
        match stored.renew(config).await {
            Ok(renewed) => {
                renewed.store(&self.client, namespace).await?;
                if asked {
                    self.clear_request("refreshCredentialsNow").await;
                }
                let status = json!({ "connectionStatus": {
                    "renewed": now, "lastSuccess": now, "error": null,
                    "certificateStatus": certificate_status(&renewed),
                }});
                self.reporter
                    .report(ConnectionState::Connected, status)
                    .await;
                Ok(renewed)
            }
            Err(error) => {
                let error = format!("renewing the certificate failed: {error}");
                let status = json!({ "connectionStatus": { "error": error } });
                self.reporter
                    .report(ConnectionState::ConnectionMaintenanceFailed, status)
                    .await;
                // The current certificate still works until it expires.
                Ok(stored)
            }
        }
    }

    /// Pairs with the configuration's one-time token and keeps the credentials.
    async fn pair(&self, config: &AgentConfig) -> Result<Credentials, String> {
        let paired = match Credentials::pair(config).await {
            Ok(paired) => paired,
            Err(error) => {
                let error = format!("pairing with the one-time token failed: {error}");
                self.ensure_connection(config, None).await?;
                let status = json!({ "connectionStatus": { "error": error } });
                self.reporter
                    .report(ConnectionState::ConnectionFailed, status)
                    .await;
                return Err(error);
            }
        };
        paired.store(&self.client, &self.options.namespace).await?;
        self.ensure_connection(config, Some(&paired)).await?;
        let now = Timestamp::now();
        let status = json!({ "connectionStatus": {
            "established": now, "lastSuccess": now, "error": null,
            "certificateStatus": certificate_status(&paired),
        }});
        self.reporter
            .report(ConnectionState::Connected, status)
            .await;
        Ok(paired)
    }

    /// Sets the request flag `field` of `CompassConnection`'s spec back to false: done.
    async fn clear_request(&self, field: &str) {
        let clear = json!({ "spec": { field: false } });
        let params = PatchParams::default();
        let cleared = self
            .connections()
            .patch(CONNECTION_NAME, &params, &Patch::Merge(&clear))
            .await;
        if let Err(error) = cleared {
            tracing::warn!(%error, field, "Clearing a request in CompassConnection failed");
        }
    }

    /// Creates `CompassConnection` when it does not exist, naming where the management plane is.
    async fn ensure_connection(
        &self,
        config: &AgentConfig,
        credentials: Option<&Credentials>,
    ) -> Result<(), String> {
        let director = credentials
            .map(|c| c.director_url.clone())
            .unwrap_or_default();
        let management = json!({ "connectorUrl": config.connector_url, "directorUrl": director });
        let object = json!({
            "apiVersion": "compass.kyma-project.io/v1alpha1",
            "kind": "CompassConnection",
            "metadata": { "name": CONNECTION_NAME, "labels": crate::managed_labels() },
            "spec": { "managementInfo": management },
        });
        let object: CompassConnection =
            serde_json::from_value(object).map_err(|e| e.to_string())?;
        let connections = self.connections();
        match connections.create(&PostParams::default(), &object).await {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(status)) if status.code == 409 => {
                if credentials.is_some() {
                    let spec = json!({ "spec": { "managementInfo": management } });
                    let params = PatchParams::default();
                    let _ = connections
                        .patch(CONNECTION_NAME, &params, &Patch::Merge(&spec))
                        .await;
                }
                Ok(())
            }
            Err(e) => Err(format!("creating CompassConnection failed: {e}")),
        }
    }

    /// Fetches, applies and deletes, reporting the outcome.
    async fn synchronise(
        &self,
        config: &AgentConfig,
        credentials: &Credentials,
    ) -> Result<(), String> {
        let started = Instant::now();
        let noticed = self.wake.take();
        let synced = self.fetch_and_apply(config, credentials).await;
        self.metrics
            .sync_duration
            .observe(started.elapsed().as_secs_f64());
        if synced.is_ok()
            && let Some(noticed) = noticed
        {
            let waited = noticed.elapsed().as_secs_f64();
            self.metrics.change_to_applied.observe(waited);
        }
        synced
    }

    async fn fetch_and_apply(
        &self,
        config: &AgentConfig,
        credentials: &Credentials,
    ) -> Result<(), String> {
        let now = Timestamp::now();
        let director = credentials.director(config)?;
        let fetched = match sync::fetch(&director, &config.runtime_id).await {
            Ok(fetched) => fetched,
            Err(error) => {
                let state = match error {
                    SyncError::Refused(_) => ConnectionState::ConnectionFailed,
                    _ => ConnectionState::SynchronizationFailed,
                };
                let status = json!({ "synchronizationStatus": { "lastAttempt": now, "error": error.to_string() } });
                self.reporter.report(state, status).await;
                return Err(error.to_string());
            }
        };
        let assigned = ids(&fetched);
        let managed = sync::managed(&self.client)
            .await
            .map_err(|e| e.to_string())?;
        let applied = self.apply(&config.tenant, &fetched, &managed).await;
        let unassigned = sync::unassigned(managed, &assigned);
        let unassigned = self
            .confirmed(
                &director,
                &config.runtime_id,
                &assigned,
                unassigned,
                applied.applied.len(),
            )
            .await?;
        let deleted = sync::delete(
            &self.client,
            &self.recorder,
            &config.runtime_id,
            &unassigned,
        )
        .await
        .map_err(|e| e.to_string())?;
        self.metrics.deleted.inc_by(deleted as u64);
        if let Err(error) =
            labels::report_options(&self.options, &director, &config.runtime_id).await
        {
            let status = json!({ "synchronizationStatus": { "lastAttempt": now, "error": error } });
            self.reporter
                .report(ConnectionState::MetadataUpdateFailed, status)
                .await;
            return Err(error);
        }
        self.report_synchronised(&applied, now).await;
        Ok(())
    }

    /// Applies the `fetched` applications, skipping those whose digest among the `managed`
    /// ones says they are in place, except on a full apply; counts what it did.
    async fn apply(
        &self,
        tenant: &str,
        fetched: &[Value],
        managed: &[kyma::Application],
    ) -> sync::Applied {
        let full = self.full_apply_due();
        let in_place = match full {
            true => BTreeMap::new(),
            false => sync::digests(managed),
        };
        let applied = sync::apply(&self.client, tenant, fetched, &in_place).await;
        if full && applied.failed.is_empty() {
            *self
                .last_full_apply
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        }
        self.metrics.applied.inc_by(applied.written as u64);
        self.metrics.failed.inc_by(applied.failed.len() as u64);
        applied
    }

    /// Reports a synchronisation that fetched and applied (some applications may have failed)
    /// in the agent's report and `CompassConnection`.
    async fn report_synchronised(&self, applied: &sync::Applied, now: Timestamp) {
        let count = |n: usize| Some(i32::try_from(n).unwrap_or(i32::MAX));
        self.reporter.note(|report| {
            report.applied_applications = count(applied.applied.len());
            report.failed_applications = count(applied.failed.len());
            report.last_sync_time = report_time(now);
        });
        let (state, error) = match applied.failed.as_slice() {
            [] => (ConnectionState::Synchronized, Value::Null),
            failed => (
                ConnectionState::ResourceApplicationFailed,
                json!(format!("{failed:?}")),
            ),
        };
        let status = json!({
            "connectionStatus": { "lastSync": now, "lastSuccess": now },
            "synchronizationStatus": {
                "lastAttempt": now, "lastSuccessfulFetch": now,
                "lastSuccessfulApplication": if applied.failed.is_empty() { json!(now) } else { Value::Null },
                "error": error,
            },
        });
        self.reporter.report(state, status).await;
    }

    /// The `unassigned` applications, to delete; none when they are more than the guard's
    /// share of the managed ones and a second complete answer does not confirm them.
    async fn confirmed(
        &self,
        director: &compass_api::client::DirectorClient,
        runtime_id: &str,
        assigned: &BTreeSet<String>,
        unassigned: Vec<kyma::Application>,
        applied: usize,
    ) -> Result<Vec<kyma::Application>, String> {
        let managed = applied + unassigned.len();
        if sync::within_guard(unassigned.len(), managed, self.options.delete_guard) {
            return Ok(unassigned);
        }
        // A second complete answer must agree before that many go.
        let again = sync::fetch(director, runtime_id)
            .await
            .map_err(|e| e.to_string())?;
        Ok(match ids(&again) == *assigned {
            true => unassigned,
            false => Vec::new(),
        })
    }

    /// Whether this synchronisation applies every application, changed or not: one every
    /// [`FULL_APPLY_EVERY`], which also repairs what was changed or deleted by hand.
    fn full_apply_due(&self) -> bool {
        let last = *self
            .last_full_apply
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        last.is_none_or(|at| at.elapsed() >= FULL_APPLY_EVERY)
    }
}

/// The ids of the applications of an answer.
fn ids(applications: &[Value]) -> BTreeSet<String> {
    applications
        .iter()
        .filter_map(|a| a["id"].as_str().map(str::to_owned))
        .collect()
}

fn certificate_status(credentials: &Credentials) -> Value {
    json!({ "acquired": credentials.acquired, "notBefore": credentials.not_before, "notAfter": credentials.not_after })
}
