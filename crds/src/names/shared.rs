//! One copy of each list of names in the process: a list read or built again is handed the copy
//! already held, as long as any object still holds it.

use std::{
    collections::{HashMap, hash_map::DefaultHasher},
    hash::{Hash, Hasher},
    sync::{Arc, LazyLock, Mutex, PoisonError, Weak},
};

use super::Listed;

/// Digests held before the first sweep of lists no object holds any more; after a sweep, twice
/// as many as were left.
pub(super) const FIRST_SWEEP: usize = 1024;

/// Every list held, by the digest of its names; a list no object holds any more stays as a dead
/// weak reference (its names already freed) until the next sweep.
struct Held {
    by_digest: HashMap<u64, Vec<Weak<Listed>>>,
    sweep_at: usize,
}

static HELD: LazyLock<Mutex<Held>> = LazyLock::new(|| {
    Mutex::new(Held {
        by_digest: HashMap::new(),
        sweep_at: FIRST_SWEEP,
    })
});

/// The copy of `listed` already held, or `listed` itself, held from now on.
pub(super) fn one_copy(listed: Listed) -> Arc<Listed> {
    let mut hasher = DefaultHasher::new();
    listed.hash(&mut hasher);
    let digest = hasher.finish();
    // Nothing under the lock can panic half-way through, so a poisoned lock's lists are whole.
    let mut held = HELD.lock().unwrap_or_else(PoisonError::into_inner);
    held.sweep_if_due();
    let alike = held.by_digest.entry(digest).or_default();
    alike.retain(|copy| copy.strong_count() > 0);
    if let Some(copy) = alike
        .iter()
        .filter_map(Weak::upgrade)
        .find(|copy| **copy == listed)
    {
        return copy;
    }
    let copy = Arc::new(listed);
    alike.push(Arc::downgrade(&copy));
    copy
}

impl Held {
    /// Drops the digests of lists no object holds any more, once there are twice as many digests
    /// as the last sweep left: the sweeps cost a constant share of the lists made.
    fn sweep_if_due(&mut self) {
        if self.by_digest.len() < self.sweep_at {
            return;
        }
        self.by_digest.retain(|_, alike| {
            alike.retain(|copy| copy.strong_count() > 0);
            !alike.is_empty()
        });
        self.by_digest.shrink_to_fit();
        self.sweep_at = (self.by_digest.len() * 2).max(FIRST_SWEEP);
    }
}

/// How many digests are held, for the tests.
#[cfg(test)]
pub(super) fn digests_held() -> usize {
    HELD.lock()
        .unwrap_or_else(PoisonError::into_inner)
        .by_digest
        .len()
}
