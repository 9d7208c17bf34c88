//! Status conditions as the Kubernetes API conventions describe them: one entry per type, `Ready`
//! as the summary, and a transition time that moves only when the status value changes.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};

use crate::Text;

/// The summary condition every kind reports; `kubectl wait --for=condition=Ready` waits on it.
pub const READY: &str = "Ready";

/// Condition status values.
pub mod status {
    /// The condition holds.
    pub const TRUE: &str = "True";
    /// The condition does not hold.
    pub const FALSE: &str = "False";
    /// It is not known whether the condition holds.
    pub const UNKNOWN: &str = "Unknown";
}

/// One aspect of an object's state: whether it holds, why, and since when.
// The same JSON and schema as the conditions of Kubernetes' own kinds, but the texts are held
// once in the process: every Ready application reports the same few words.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// When the status last changed from one value to another.
    pub last_transition_time: Time,
    /// What the status means for this object, in words for people; may be empty.
    pub message: Text,
    /// The `metadata.generation` the condition was determined for. Lower than the object's
    /// generation means the condition does not describe the current spec yet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "generation_schema")]
    pub observed_generation: Option<i64>,
    /// Why the status is what it is: one CamelCase word that programs can match on.
    pub reason: Text,
    /// Whether the condition holds: `True`, `False` or `Unknown`.
    pub status: Text,
    /// Which aspect the condition reports, in CamelCase, for example `Ready`.
    #[serde(rename = "type")]
    pub type_: Text,
}

/// Schema of `observedGeneration`: an integer, absent rather than null.
fn generation_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "integer", "format": "int64" })
}

/// A condition a reconciler wants to report; [`set_condition`] turns it into a stored one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConditionUpdate<'a> {
    /// Condition type, for example [`READY`].
    pub type_: &'a str,
    /// One of the [`status`] values.
    pub status: &'a str,
    /// CamelCase machine-readable reason.
    pub reason: &'a str,
    /// Human-readable explanation: what is wrong and what to do about it.
    pub message: String,
}

/// Writes `update` into `conditions` for the object's `generation`.
///
/// The last transition time is kept when the status value is unchanged, so it tells when the
/// condition last flipped rather than when it was last written. Returns whether anything changed.
pub fn set_condition(
    conditions: &mut Vec<Condition>,
    update: ConditionUpdate<'_>,
    generation: Option<i64>,
    now: Time,
) -> bool {
    let existing = conditions.iter_mut().find(|c| c.type_ == update.type_);
    match existing {
        Some(current) => {
            let transition = current.status != update.status;
            let new_reason = current.reason != update.reason;
            let new_message = current.message != update.message;
            let changed = transition
                || new_reason
                || new_message
                || current.observed_generation != generation;
            // Only what changed is looked up among the texts held.
            if transition {
                current.last_transition_time = now;
                current.status = update.status.into();
            }
            if new_reason {
                current.reason = update.reason.into();
            }
            if new_message {
                current.message = update.message.into();
            }
            current.observed_generation = generation;
            changed
        }
        None => {
            conditions.push(Condition {
                type_: update.type_.into(),
                status: update.status.into(),
                reason: update.reason.into(),
                message: update.message.into(),
                observed_generation: generation,
                last_transition_time: now,
            });
            true
        }
    }
}

/// The condition of the given type, if present.
pub fn find<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

/// Whether the condition of the given type is `True` for the object's current `generation`.
pub fn is_true_for(conditions: &[Condition], type_: &str, generation: Option<i64>) -> bool {
    find(conditions, type_)
        .is_some_and(|c| c.status == status::TRUE && c.observed_generation == generation)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::jiff::Timestamp;

    fn at(seconds: i64) -> Time {
        Time(Timestamp::from_second(seconds).unwrap())
    }

    fn ready(status: &'static str, reason: &'static str) -> ConditionUpdate<'static> {
        ConditionUpdate {
            type_: READY,
            status,
            reason,
            message: format!("{reason} happened"),
        }
    }

    #[test]
    fn first_write_adds_the_condition() {
        let mut conditions = Vec::new();
        assert!(set_condition(
            &mut conditions,
            ready(status::TRUE, "Resolved"),
            Some(1),
            at(10)
        ));
        assert_eq!(conditions.len(), 1);
        assert_eq!(conditions[0].last_transition_time, at(10));
        assert!(is_true_for(&conditions, READY, Some(1)));
        assert!(!is_true_for(&conditions, READY, Some(2)));
    }

    #[test]
    fn same_status_keeps_the_transition_time_and_reports_no_change() {
        let mut conditions = Vec::new();
        set_condition(
            &mut conditions,
            ready(status::TRUE, "Resolved"),
            Some(1),
            at(10),
        );
        assert!(!set_condition(
            &mut conditions,
            ready(status::TRUE, "Resolved"),
            Some(1),
            at(20)
        ));
        assert_eq!(conditions[0].last_transition_time, at(10));
    }

    #[test]
    fn new_generation_is_a_change_but_not_a_transition() {
        let mut conditions = Vec::new();
        set_condition(
            &mut conditions,
            ready(status::TRUE, "Resolved"),
            Some(1),
            at(10),
        );
        assert!(set_condition(
            &mut conditions,
            ready(status::TRUE, "Resolved"),
            Some(2),
            at(20)
        ));
        assert_eq!(conditions[0].last_transition_time, at(10));
        assert_eq!(conditions[0].observed_generation, Some(2));
    }

    #[test]
    fn status_flip_moves_the_transition_time() {
        let mut conditions = Vec::new();
        set_condition(
            &mut conditions,
            ready(status::TRUE, "Resolved"),
            Some(1),
            at(10),
        );
        assert!(set_condition(
            &mut conditions,
            ready(status::FALSE, "Missing"),
            Some(1),
            at(30)
        ));
        assert_eq!(conditions[0].last_transition_time, at(30));
        assert_eq!(conditions[0].reason, "Missing");
        assert_eq!(conditions.len(), 1);
    }
}
