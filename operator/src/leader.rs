//! Leader election through a `coordination.k8s.io/v1` Lease: when more than one operator replica
//! runs, only the holder of the Lease reconciles. The holder renews it; another replica takes it
//! over once it has not been renewed for its whole duration.

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
}

impl LeaderElection {
    /// Leader election in `namespace` for a replica named after its host and process.
    pub fn new(namespace: impl Into<String>) -> Self {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "compass".to_owned());
        Self {
            namespace: namespace.into(),
            identity: format!("{host}-{}", uuid::Uuid::new_v4().simple()),
            lease_duration: Duration::from_secs(15),
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
        let ours = spec.holder_identity.as_deref() == Some(&self.identity);
        let expired = spec.renew_time.as_ref().is_none_or(|renewed| {
            let valid = i64::from(spec.lease_duration_seconds.unwrap_or(seconds));
            renewed.0.as_second() + valid < now.0.as_second()
        });
        if !ours && !expired {
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
