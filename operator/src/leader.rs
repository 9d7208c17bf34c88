//! Leader election through a `coordination.k8s.io/v1` Lease: when more than one operator replica
//! runs, only the holder of the Lease reconciles. The holder renews it and releases it when it
//! shuts down; another replica takes it over once it is released or has not been renewed for its
//! whole duration, or at once when it knows the holder is an earlier run of itself.

use std::time::Duration;

use k8s_openapi::{
    api::coordination::v1::{Lease, LeaseSpec},
    apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta},
};
use kube::{Api, Client, api::PostParams};

use crate::shutdown::Shutdown;

/// Name of the operator's Lease.
pub const LEASE_NAME: &str = "compass-operator";

/// How leadership is held.
#[derive(Clone, Debug)]
pub struct LeaderElection {
    /// Namespace of the Lease.
    pub namespace: String,
    /// This replica's identity.
    pub identity: String,
    /// How long a Lease stays valid without renewal.
    pub lease_duration: Duration,
    /// Identities starting with this prefix are earlier runs of this very replica, which cannot
    /// be alive any more: `compass up` holds its data directory's lock, so a Lease held under
    /// the directory's prefix was left by a process that was killed.
    pub predecessors: Option<String>,
}

impl LeaderElection {
    /// Leader election in `namespace` for a replica named after its host and process.
    pub fn new(namespace: impl Into<String>) -> Self {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "compass".to_owned());
        Self {
            namespace: namespace.into(),
            identity: format!("{host}-{}", uuid::Uuid::new_v4().simple()),
            lease_duration: Duration::from_secs(15),
            predecessors: None,
        }
    }

    /// The same election for a replica that is the only one of its kind (`compass up`): its
    /// identity starts with `prefix`, and a Lease held under that prefix is taken over at once.
    pub fn sole(namespace: impl Into<String>, prefix: &str) -> Self {
        Self {
            identity: format!("{prefix}-{}", uuid::Uuid::new_v4().simple()),
            predecessors: Some(format!("{prefix}-")),
            ..Self::new(namespace)
        }
    }

    /// Gives the Lease up, if this replica holds it, so that the next holder need not wait for
    /// it to expire. Failures only cost that wait.
    pub async fn release(&self, client: &Client) {
        let api: Api<Lease> = Api::namespaced(client.clone(), &self.namespace);
        let Ok(Some(mut lease)) = api.get_opt(LEASE_NAME).await else {
            return;
        };
        let Some(spec) = lease.spec.as_mut() else {
            return;
        };
        if spec.holder_identity.as_deref() != Some(&self.identity) {
            return;
        }
        spec.holder_identity = None;
        spec.lease_duration_seconds = Some(1);
        spec.renew_time = Some(MicroTime(jiff::Timestamp::now()));
        match api
            .replace(LEASE_NAME, &PostParams::default(), &lease)
            .await
        {
            Ok(_) => tracing::info!("Released the leader Lease"),
            Err(error) => tracing::debug!(%error, "Releasing the leader Lease failed"),
        }
    }

    fn renew_every(&self) -> Duration {
        self.lease_duration / 3
    }

    /// Waits until this replica holds the Lease. Returns false if shutdown came first.
    pub async fn acquire(&self, client: &Client, shutdown: &Shutdown) -> bool {
        let api: Api<Lease> = Api::namespaced(client.clone(), &self.namespace);
        loop {
            match self.try_hold(&api).await {
                Ok(true) => {
                    tracing::info!(identity = %self.identity, "Became the leader");
                    return true;
                }
                Ok(false) => tracing::info!("Another replica leads; waiting"),
                Err(error) => tracing::warn!(%error, "Leader election failed; retrying"),
            }
            tokio::select! {
                () = tokio::time::sleep(self.renew_every()) => {}
                () = shutdown.clone().wait() => return false,
            }
        }
    }

    /// Renews the Lease until shutdown; completes early if leadership is lost.
    pub async fn keep(&self, client: &Client, shutdown: Shutdown) -> Result<(), kube::Error> {
        let api: Api<Lease> = Api::namespaced(client.clone(), &self.namespace);
        let mut failures = 0;
        loop {
            tokio::select! {
                () = tokio::time::sleep(self.renew_every()) => {}
                () = shutdown.clone().wait() => return Ok(()),
            }
            match self.try_hold(&api).await {
                Ok(true) => failures = 0,
                Ok(false) => {
                    tracing::error!("Lost the leader Lease to another replica");
                    return Ok(());
                }
                // Two failed renewals leave a third of the duration: give up before another
                // replica may take over, rather than reconcile beside it.
                Err(error) if failures >= 1 => return Err(error),
                Err(error) => {
                    failures += 1;
                    tracing::warn!(%error, "Renewing the leader Lease failed");
                }
            }
        }
    }

    /// Takes or renews the Lease if it is free, ours or expired. Conflicts mean someone else
    /// wrote it first: not ours.
    async fn try_hold(&self, api: &Api<Lease>) -> Result<bool, kube::Error> {
        let now = MicroTime(jiff::Timestamp::now());
        let seconds = i32::try_from(self.lease_duration.as_secs()).unwrap_or(15);
        let Some(mut lease) = api.get_opt(LEASE_NAME).await? else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(LEASE_NAME.to_owned()),
                    ..ObjectMeta::default()
                },
                spec: Some(LeaseSpec {
                    holder_identity: Some(self.identity.clone()),
                    lease_duration_seconds: Some(seconds),
                    acquire_time: Some(now.clone()),
                    renew_time: Some(now),
                    lease_transitions: Some(0),
                    ..LeaseSpec::default()
                }),
            };
            return match api.create(&PostParams::default(), &lease).await {
                Ok(_) => Ok(true),
                Err(kube::Error::Api(status)) if status.code == 409 => Ok(false),
                Err(error) => Err(error),
            };
        };
        let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
        let holder = spec.holder_identity.as_deref().unwrap_or_default();
        let ours = holder == self.identity;
        let released = holder.is_empty();
        let predecessor = self
            .predecessors
            .as_deref()
            .is_some_and(|prefix| holder.starts_with(prefix));
        let expired = spec.renew_time.as_ref().is_none_or(|renewed| {
            let valid = i64::from(spec.lease_duration_seconds.unwrap_or(seconds));
            renewed.0.as_second() + valid < now.0.as_second()
        });
        if !ours && !released && !predecessor && !expired {
            return Ok(false);
        }
        if !ours {
            spec.holder_identity = Some(self.identity.clone());
            spec.acquire_time = Some(now.clone());
            spec.lease_transitions = Some(spec.lease_transitions.unwrap_or(0) + 1);
        }
        spec.renew_time = Some(now);
        spec.lease_duration_seconds = Some(seconds);
        match api
            .replace(LEASE_NAME, &PostParams::default(), &lease)
            .await
        {
            Ok(_) => Ok(true),
            Err(kube::Error::Api(status)) if status.code == 409 => Ok(false),
            Err(error) => Err(error),
        }
    }
}
