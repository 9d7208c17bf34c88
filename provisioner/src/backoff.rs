//! How long before a failed provider step is tried again: 5 s after a runtime's first failure,
//! doubling with each failure in a row up to 80 s, so a cluster that is down is not hammered
//! while a passing hiccup costs seconds; a step that does not fail starts it over.

use std::{collections::HashMap, sync::Mutex, time::Duration};

/// The pause after the first failure.
const FIRST: Duration = Duration::from_secs(5);
/// Failures in a row after which the pause stops growing (5 s · 2⁴ = 80 s).
const DOUBLINGS: u32 = 4;

/// Failures in a row, by runtime id.
#[derive(Default)]
pub(crate) struct Backoff {
    failures: Mutex<HashMap<String, u32>>,
}

impl Backoff {
    /// Records whether the step of runtime `id` failed; answers how long to wait before it is
    /// tried again if it did.
    pub(crate) fn after(&self, id: &str, failed: bool) -> Duration {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if !failed {
            failures.remove(id);
            return FIRST;
        }
        let count = failures.entry(id.to_owned()).or_default();
        let doublings = (*count).min(DOUBLINGS);
        *count = count.saturating_add(1);
        FIRST * 2u32.pow(doublings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pause_doubles_per_failure_in_a_row_up_to_a_bound_and_a_success_starts_over() {
        let backoff = Backoff::default();
        let pauses: Vec<u64> = (0..7).map(|_| backoff.after("a", true).as_secs()).collect();
        assert_eq!(pauses, [5, 10, 20, 40, 80, 80, 80]);
        assert_eq!(
            backoff.after("b", true).as_secs(),
            5,
            "each runtime counts its own"
        );
        backoff.after("a", false);
        assert_eq!(backoff.after("a", true).as_secs(), 5);
    }
}
