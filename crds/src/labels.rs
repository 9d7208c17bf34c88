//! Labels and scenarios as the original Compass has them: labels map keys to any JSON value, and
//! scenarios are the named groups that decide which runtimes see which applications.

mod sorted;

use schemars::{Schema, SchemaGenerator, json_schema};
use sha2::{Digest, Sha256};

use crate::schema::LABEL_KEY_MAX_LENGTH;

pub use sorted::Labels;

/// The label key under which the original Compass kept scenarios; here they have their own field.
pub const SCENARIOS_KEY: &str = "scenarios";

/// The scenario an application belongs to when it names none.
pub const DEFAULT_SCENARIO: &str = "DEFAULT";

/// Most labels one object may carry.
pub const MAX_LABELS: u32 = 128;

/// What is wrong with a label key's characters: control characters, or white space at either end
/// (a blank key). The schema cannot say it: a CEL rule over map keys of unbounded length costs
/// more than the API server's budget allows, so the Director refuses such keys and the operator
/// reports them.
pub fn key_characters_problem(key: &str) -> Option<&'static str> {
    if key.chars().any(char::is_control) {
        return Some("a label key cannot contain control characters");
    }
    if key.starts_with(char::is_whitespace) || key.ends_with(char::is_whitespace) {
        return Some("a label key cannot start or end with white space");
    }
    None
}

/// Schema of [`Labels`]: any JSON values, keys of 1 to 256 characters, and no `scenarios` key.
pub fn labels_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "maxProperties": MAX_LABELS,
        "additionalProperties": { "x-kubernetes-preserve-unknown-fields": true },
        "x-kubernetes-validations": [
            {
                "rule": format!("self.all(k, k.size() >= 1 && k.size() <= {LABEL_KEY_MAX_LENGTH})"),
                "message": format!("label keys must be 1 to {LABEL_KEY_MAX_LENGTH} characters long"),
            },
            {
                "rule": format!("!('{SCENARIOS_KEY}' in self)"),
                "message": "scenarios are listed in spec.scenarios, not as a label",
            },
        ],
    })
}

/// The scenarios in effect for an object: those it lists, or `DEFAULT` when it omits the list.
///
/// An explicit empty list stays empty: a Runtime with `scenarios: []` is in no scenario.
/// (An Application cannot have one; its schema requires at least one entry.)
pub fn effective_scenarios(listed: Option<&[String]>) -> Vec<String> {
    match listed {
        Some(names) => names.to_vec(),
        None => vec![DEFAULT_SCENARIO.to_owned()],
    }
}

/// Scenarios as one line for people (`DEFAULT, marketing`); `None` for none. A printer column of
/// a list would show it as JSON.
pub fn scenario_summary(scenarios: &[String]) -> Option<String> {
    (!scenarios.is_empty()).then(|| scenarios.join(", "))
}

/// Longest part of an object name taken from the name it encodes, leaving room for the suffix.
const ENCODED_NAME_MAX_LENGTH: usize = 200;

/// The object name for a scenario or label key that may not be a valid Kubernetes name.
///
/// The name is lower-cased and every run of characters other than letters and digits becomes
/// `-`. When that changes the name, `-` and the first 8 hex digits of the name's SHA-256 follow,
/// so that `Sales EMEA` and `sales emea` get different objects. The original name is kept in the
/// object's spec; this is only a handle.
pub fn object_name_for(name: &str) -> String {
    let mut base = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            base.push(c.to_ascii_lowercase());
        } else if !base.ends_with('-') {
            base.push('-');
        }
    }
    let mut base = base.trim_matches('-').to_owned();
    base.truncate(ENCODED_NAME_MAX_LENGTH);
    let base = base.trim_end_matches('-');
    if base == name {
        return base.to_owned();
    }
    let digest = Sha256::digest(name.as_bytes());
    let suffix = crate::hex::lower(&digest[..4]);
    if base.is_empty() {
        suffix
    } else {
        format!("{base}-{suffix}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_object_names_are_kept() {
        assert_eq!(object_name_for("marketing"), "marketing");
        assert_eq!(object_name_for("sales-emea"), "sales-emea");
    }

    #[test]
    fn other_names_get_a_readable_prefix_and_a_digest_suffix() {
        let emea = object_name_for("Sales EMEA");
        assert!(emea.starts_with("sales-emea-"), "{emea}");
        assert_eq!(emea.len(), "sales-emea-".len() + 8);
        assert_ne!(emea, object_name_for("sales emea"));
        assert_ne!(emea, object_name_for("Sales  EMEA"));
        assert!(
            object_name_for("runtime/event_service_url").starts_with("runtime-event-service-url-")
        );
        assert!(object_name_for("DEFAULT").starts_with("default-"));
    }

    #[test]
    fn encoded_names_are_valid_object_names() {
        let pattern = |n: &str| {
            !n.is_empty()
                && n.len() <= 253
                && n.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                && !n.starts_with('-')
                && !n.ends_with('-')
        };
        for name in ["__", "_a_", "Ä", &"x_".repeat(128), "A", "a b", "123 go"] {
            let encoded = object_name_for(name);
            assert!(pattern(&encoded), "{name:?} -> {encoded:?}");
        }
    }

    #[test]
    fn effective_scenarios_default_only_when_the_list_is_omitted() {
        assert_eq!(effective_scenarios(None), vec![DEFAULT_SCENARIO]);
        assert!(effective_scenarios(Some(&[])).is_empty());
        let listed = vec!["marketing".to_owned()];
        assert_eq!(effective_scenarios(Some(&listed)), listed);
    }
}
