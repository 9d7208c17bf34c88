//! Events expire, as kube-apiserver's `--event-ttl` makes them (one hour by default): an Event
//! not written for that long is deleted, and watches see it go. Without this, a controller
//! reporting a failure every few seconds would grow the store without bound.
//!
//! kube-apiserver attaches an etcd lease to every Event write; here the time of the last write is
//! read from the object: its `creationTimestamp` and the times of its `managedFields`, which the
//! server sets on every write that changes it. A time in the future does not count, so a client
//! cannot make an Event outlive the TTL by writing such a time itself.

use std::time::Duration;

use jiff::Timestamp;
use serde::Deserialize;

use super::ServerState;
use crate::store::{Precondition, StoredObject, Write};

/// Storage key of Events (both `v1` and `events.k8s.io/v1`).
const EVENTS: &str = "/events";

/// How often Events are checked for expiry with a TTL of `ttl`: a tenth of it, between one second
/// and one minute, so an Event outlives its TTL by at most a tenth of it (or a minute).
pub fn check_interval(ttl: Duration) -> Duration {
    (ttl / 10).clamp(Duration::from_secs(1), Duration::from_secs(60))
}

/// Deletes every Event last written more than `ttl` ago; returns how many went.
pub fn expire(state: &ServerState, ttl: Duration) -> usize {
    let now = Timestamp::now();
    let Ok(ttl) = jiff::SignedDuration::try_from(ttl) else {
        return 0;
    };
    let page = state.store.list_all(EVENTS, None);
    let mut expired = 0;
    for ((namespace, name), event) in page.items {
        let Some(written) = last_written(&event, now) else {
            continue;
        };
        if now.duration_since(written) < ttl {
            continue;
        }
        let key = crate::store::ObjectKey {
            resource: EVENTS.to_owned(),
            namespace,
            name,
        };
        // NB: a conflict means the Event was written meanwhile; the next check looks again.
        let deleted = state.store.commit(vec![Write::Delete {
            key,
            precondition: Precondition::Version(event.rv),
        }]);
        if deleted.is_ok() {
            expired += 1;
        }
    }
    expired
}

/// The parts of an Event's metadata that tell when it was last written.
#[derive(Deserialize)]
struct Written {
    metadata: Metadata,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Metadata {
    creation_timestamp: Option<String>,
    #[serde(default)]
    managed_fields: Vec<ManagedFieldsTime>,
}

#[derive(Deserialize)]
struct ManagedFieldsTime {
    time: Option<String>,
}

/// When the Event was last written: the latest server-set time that is not in the future.
fn last_written(event: &StoredObject, now: Timestamp) -> Option<Timestamp> {
    let written: Written = serde_json::from_slice(&event.packed.json()).ok()?;
    let metadata = written.metadata;
    metadata
        .creation_timestamp
        .iter()
        .chain(
            metadata
                .managed_fields
                .iter()
                .filter_map(|m| m.time.as_ref()),
        )
        .filter_map(|time| time.parse::<Timestamp>().ok())
        .filter(|time| *time <= now)
        .max()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::store::{MetaSummary, Packed};

    fn event(metadata: serde_json::Value) -> StoredObject {
        let json = serde_json::json!({ "metadata": metadata });
        StoredObject {
            rv: 1,
            packed: Packed::pack(&serde_json::to_vec(&json).unwrap()),
            meta: Arc::new(MetaSummary::default()),
        }
    }

    #[test]
    fn the_last_write_is_the_latest_server_time_not_in_the_future() {
        let now: Timestamp = "2030-01-01T12:00:00Z".parse().unwrap();
        let created = event(serde_json::json!({ "creationTimestamp": "2030-01-01T10:00:00Z" }));
        assert_eq!(
            last_written(&created, now),
            Some("2030-01-01T10:00:00Z".parse().unwrap())
        );
        let updated = event(serde_json::json!({
            "creationTimestamp": "2030-01-01T10:00:00Z",
            "managedFields": [
                { "manager": "a", "time": "2030-01-01T11:30:00Z" },
                { "manager": "b", "time": "2031-01-01T00:00:00Z" },
            ],
        }));
        assert_eq!(
            last_written(&updated, now),
            Some("2030-01-01T11:30:00Z".parse().unwrap()),
            "a write moves the time on; a time in the future is ignored"
        );
    }

    #[test]
    fn the_check_interval_is_a_tenth_of_the_ttl_within_bounds() {
        assert_eq!(
            check_interval(Duration::from_secs(3600)),
            Duration::from_secs(60)
        );
        assert_eq!(
            check_interval(Duration::from_secs(100)),
            Duration::from_secs(10)
        );
        assert_eq!(
            check_interval(Duration::from_secs(2)),
            Duration::from_secs(1)
        );
    }
}
