//! The Runtime Agent's heartbeat: the Lease it renews in the runtime's namespace, labelled with
//! the runtime's name, says whether the agent is there (`Available`), when it last reported and,
//! in its annotation, what it reported about itself.

use std::{sync::Arc, time::Duration};

use compass_crds::{AGENT_REPORT_ANNOTATION, AgentReport, AgentStatus, conditions::status};
use jiff::{SignedDuration, Timestamp};
use k8s_openapi::{api::coordination::v1::Lease, apimachinery::pkg::apis::meta::v1::Time};
use kube::ResourceExt;

use super::AVAILABLE;
use crate::controllers::{status::Conditions, stores::RUNTIME_LABEL};

/// Lease duration assumed when a heartbeat Lease does not state one.
const DEFAULT_LEASE_SECONDS: i64 = 40;
/// How often `status.agent.lastHeartbeatTime` follows the Lease while the heartbeat is current.
const HEARTBEAT_REPORT_INTERVAL: SignedDuration = SignedDuration::from_secs(60);

/// What the Runtime Agent's heartbeat Lease says.
#[derive(Clone, Debug, PartialEq)]
pub enum Heartbeat {
    /// No Lease names the runtime.
    NeverConnected,
    /// The agent renewed the Lease recently enough.
    Current {
        lease: String,
        renewed: Timestamp,
        until: Timestamp,
        grace: SignedDuration,
        report: AgentReport,
    },
    /// The agent stopped renewing the Lease (or never did).
    Missed {
        lease: String,
        renewed: Option<Timestamp>,
        grace: SignedDuration,
        report: AgentReport,
    },
}

impl Heartbeat {
    /// What `status.agent` shows, given what it shows now. While the heartbeat stays current the
    /// reported time (and the agent's last synchronisation) moves at most once per
    /// [`HEARTBEAT_REPORT_INTERVAL`], so a thousand agents renewing their Leases do not rewrite
    /// a thousand statuses every few seconds; anything else the agent reports shows at once.
    pub fn reported(&self, stored: Option<&AgentStatus>) -> Option<AgentStatus> {
        let fresh = self.agent();
        let same_but_times = |stored: &AgentStatus, fresh: &AgentStatus| {
            let untimed = |report: &AgentReport| AgentReport {
                last_sync_time: None,
                ..report.clone()
            };
            stored.lease == fresh.lease && untimed(&stored.report) == untimed(&fresh.report)
        };
        if let (Self::Current { .. }, Some(stored), Some(fresh)) = (self, stored, &fresh)
            && same_but_times(stored, fresh)
            && let (Some(old), Some(new)) =
                (&stored.last_heartbeat_time, &fresh.last_heartbeat_time)
            && new.0 >= old.0
            && new.0.duration_since(old.0) < HEARTBEAT_REPORT_INTERVAL
        {
            return Some(stored.clone());
        }
        fresh
    }

    /// What `status.agent` shows when it is written afresh.
    pub fn agent(&self) -> Option<AgentStatus> {
        let (lease, renewed, report) = match self {
            Self::NeverConnected => return None,
            Self::Current {
                lease,
                renewed,
                report,
                ..
            } => (lease, Some(*renewed), report),
            Self::Missed {
                lease,
                renewed,
                report,
                ..
            } => (lease, *renewed, report),
        };
        Some(AgentStatus {
            // Times are stored to the second; keeping more would make every status differ.
            last_heartbeat_time: renewed
                .and_then(|t| Timestamp::from_second(t.as_second()).ok())
                .map(Time),
            lease: Some(lease.clone()),
            report: report.clone(),
        })
    }

    /// How long until a current heartbeat turns stale.
    pub fn expires_in(&self, now: Timestamp) -> Option<Duration> {
        let Self::Current { until, .. } = self else {
            return None;
        };
        let left = until.duration_since(now);
        // A little past the instant, so the next reconcile sees it expired.
        Some(Duration::try_from(left).unwrap_or_default() + Duration::from_millis(50))
    }
}

/// The heartbeat of `runtime` from the Leases labelled with its name in its namespace: the one
/// renewed last counts, and it is current for `grace` lease durations after its renewal.
pub fn heartbeat(
    runtime: &str,
    namespace: &str,
    leases: &[Arc<Lease>],
    grace: u32,
    now: Timestamp,
) -> Heartbeat {
    let renewed = |lease: &Lease| {
        let spec = lease.spec.as_ref()?;
        spec.renew_time
            .as_ref()
            .or(spec.acquire_time.as_ref())
            .map(|t| t.0)
    };
    let latest = leases
        .iter()
        .filter(|l| {
            l.namespace().as_deref() == Some(namespace)
                && l.labels().get(RUNTIME_LABEL).map(String::as_str) == Some(runtime)
        })
        .max_by_key(|l| (renewed(l), l.name_any()));
    let Some(lease) = latest else {
        return Heartbeat::NeverConnected;
    };
    let seconds = lease
        .spec
        .as_ref()
        .and_then(|s| s.lease_duration_seconds)
        .map_or(DEFAULT_LEASE_SECONDS, i64::from);
    let grace = SignedDuration::from_secs(seconds.saturating_mul(i64::from(grace.max(1))));
    let name = lease.name_any();
    // A report that does not read is no report: the heartbeat still counts.
    let report = lease
        .annotations()
        .get(AGENT_REPORT_ANNOTATION)
        .and_then(|json| AgentReport::from_json(json.as_bytes()).ok())
        .unwrap_or_default();
    match renewed(lease) {
        Some(at) => match at.checked_add(grace) {
            Ok(until) if until > now => Heartbeat::Current {
                lease: name,
                renewed: at,
                until,
                grace,
                report,
            },
            _ => Heartbeat::Missed {
                lease: name,
                renewed: Some(at),
                grace,
                report,
            },
        },
        None => Heartbeat::Missed {
            lease: name,
            renewed: None,
            grace,
            report,
        },
    }
}

pub fn set_available(
    conditions: &mut Conditions,
    runtime: &str,
    namespace: &str,
    beat: &Heartbeat,
) {
    match beat {
        Heartbeat::NeverConnected => conditions.set_status(
            AVAILABLE,
            status::UNKNOWN,
            "AgentNeverConnected",
            format!(
                "No heartbeat Lease labelled {RUNTIME_LABEL}={runtime} exists in namespace {namespace}; the Runtime Agent has not connected yet: install it in the runtime cluster with a one-time token for this runtime"
            ),
        ),
        Heartbeat::Current { lease, grace, .. } => conditions.set(
            AVAILABLE,
            true,
            "HeartbeatCurrent",
            format!(
                "The Runtime Agent renews Lease {lease}; it counts as gone {}s after its last renewal",
                grace.as_secs()
            ),
        ),
        Heartbeat::Missed {
            lease,
            renewed,
            grace,
            ..
        } => conditions.set(
            AVAILABLE,
            false,
            "HeartbeatMissed",
            match renewed {
                Some(at) => format!(
                    "The Runtime Agent last renewed Lease {lease} at {}, more than {}s ago; check that the agent runs in the runtime cluster and can reach the management plane",
                    Timestamp::from_second(at.as_second()).unwrap_or(*at),
                    grace.as_secs()
                ),
                None => format!(
                    "Lease {lease} was never renewed; check that the Runtime Agent runs in the runtime cluster"
                ),
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn lease(name: &str, runtime: &str, renewed: Option<i64>, seconds: i32) -> Arc<Lease> {
        let mut spec = json!({ "leaseDurationSeconds": seconds });
        if let Some(at) = renewed {
            spec["renewTime"] = json!(
                Timestamp::from_second(at)
                    .unwrap()
                    .strftime("%Y-%m-%dT%H:%M:%S.000000Z")
                    .to_string()
            );
        }
        Arc::new(
            serde_json::from_value(json!({
                "metadata": { "name": name, "namespace": "acme", "labels": { RUNTIME_LABEL: runtime } },
                "spec": spec,
            }))
            .unwrap(),
        )
    }

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(second).unwrap()
    }

    #[test]
    fn no_lease_means_the_agent_never_connected() {
        let leases = vec![lease("other", "other-runtime", Some(1000), 10)];
        assert_eq!(
            heartbeat("prod", "acme", &leases, 3, at(1000)),
            Heartbeat::NeverConnected
        );
        assert_eq!(
            heartbeat("other-runtime", "elsewhere", &leases, 3, at(1000)),
            Heartbeat::NeverConnected,
            "leases count only in the runtime's namespace"
        );
    }

    #[test]
    fn a_lease_is_current_for_grace_durations_after_its_latest_renewal() {
        let leases = vec![
            lease("old", "prod", Some(900), 10),
            lease("new", "prod", Some(1000), 10),
        ];
        let beat = heartbeat("prod", "acme", &leases, 3, at(1020));
        assert_eq!(
            beat,
            Heartbeat::Current {
                lease: "new".into(),
                renewed: at(1000),
                until: at(1030),
                grace: SignedDuration::from_secs(30),
                report: AgentReport::default(),
            }
        );
        let left = beat.expires_in(at(1020)).unwrap();
        assert!(left >= Duration::from_secs(10) && left < Duration::from_secs(11));
        let agent = beat.agent().unwrap();
        assert_eq!(agent.lease.as_deref(), Some("new"));
        assert_eq!(agent.last_heartbeat_time, Some(Time(at(1000))));

        let stale = heartbeat("prod", "acme", &leases, 3, at(1030));
        assert!(matches!(stale, Heartbeat::Missed { .. }), "{stale:?}");
        assert_eq!(stale.expires_in(at(1030)), None);
    }

    #[test]
    fn the_reported_heartbeat_moves_once_a_minute_while_current() {
        let beat = |renewed| {
            heartbeat(
                "prod",
                "acme",
                &[lease("l", "prod", Some(renewed), 10)],
                3,
                at(renewed),
            )
        };
        let stored = beat(1000).reported(None).unwrap();
        assert_eq!(beat(1030).reported(Some(&stored)), Some(stored.clone()));
        let moved = beat(1060).reported(Some(&stored)).unwrap();
        assert_eq!(moved.last_heartbeat_time, Some(Time(at(1060))));
        let missed = heartbeat(
            "prod",
            "acme",
            &[lease("l", "prod", Some(1030), 10)],
            3,
            at(1100),
        );
        assert_eq!(
            missed.reported(Some(&stored)).unwrap().last_heartbeat_time,
            Some(Time(at(1030))),
            "a missed heartbeat reports the exact last renewal"
        );
    }

    #[test]
    fn the_agents_report_shows_at_once_and_its_sync_time_once_a_minute() {
        let reporting = |renewed: i64, report: serde_json::Value| {
            let mut lease = Arc::unwrap_or_clone(lease("l", "prod", Some(renewed), 10));
            lease.metadata.annotations =
                Some([(AGENT_REPORT_ANNOTATION.to_owned(), report.to_string())].into());
            heartbeat("prod", "acme", &[Arc::new(lease)], 3, at(renewed))
        };
        let synced = |second: i64| Timestamp::from_second(second).unwrap().to_string();
        let first = json!({ "connectionState": "Synchronized", "appliedApplications": 2, "lastSyncTime": synced(1000) });
        let stored = reporting(1000, first).reported(None).unwrap();
        assert_eq!(stored.report.applied_applications, Some(2));
        let later = json!({ "connectionState": "Synchronized", "appliedApplications": 2, "lastSyncTime": synced(1030) });
        assert_eq!(
            reporting(1030, later).reported(Some(&stored)),
            Some(stored.clone()),
            "only times moved, within the minute"
        );
        let failed = json!({ "connectionState": "SynchronizationFailed", "appliedApplications": 2, "lastSyncTime": synced(1000) });
        let changed = reporting(1030, failed).reported(Some(&stored)).unwrap();
        assert_eq!(
            changed.report.connection_state,
            Some(compass_crds::ConnectionState::SynchronizationFailed)
        );
        let garbled = reporting(1030, json!({ "colour": "red" }));
        assert!(matches!(garbled, Heartbeat::Current { .. }), "{garbled:?}");
        assert_eq!(garbled.agent().unwrap().report, AgentReport::default());
    }

    #[test]
    fn a_lease_never_renewed_is_a_missed_heartbeat() {
        let leases = vec![lease("prod", "prod", None, 10)];
        assert!(matches!(
            heartbeat("prod", "acme", &leases, 3, at(1000)),
            Heartbeat::Missed { renewed: None, .. }
        ));
    }
}
