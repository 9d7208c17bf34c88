//! One copy in the process of values many objects repeat (the status lists of names, condition
//! texts): a value read or built again is handed the copy already held, as long as any object
//! still holds it.

use std::{
    borrow::Borrow,
    collections::{HashMap, hash_map::RandomState},
    hash::{BuildHasher, Hash},
    sync::{Arc, LazyLock, Mutex, PoisonError, Weak},
};

use foldhash::{fast, quality};

/// Digests held before the first sweep of values no object holds any more; after a sweep, twice
/// as many as were left.
pub(crate) const FIRST_SWEEP: usize = 1024;

/// The copies held of one kind of value.
pub(crate) struct OneCopy<T: ?Sized + 'static>(LazyLock<Mutex<Held<T>>>);

/// Every copy held, by the digest of its value; a copy no object holds any more stays as a dead
/// weak reference (its value already freed) until the next sweep.
struct Held<T: ?Sized> {
    /// The digests are already hashes; the map only folds them once more.
    by_digest: HashMap<u64, Vec<Weak<T>>, fast::FixedState>,
    /// Seeded at random in each process: values chosen to share a digest (texts carry what
    /// users wrote) cannot be worked out ahead to make one list of alike values long.
    digests: quality::FixedState,
    sweep_at: usize,
}

impl<T: ?Sized + Hash + Eq> OneCopy<T> {
    /// Nothing held yet.
    pub(crate) const fn new() -> Self {
        Self(LazyLock::new(Held::empty))
    }

    /// The copy of `value` already held, or `value` itself, held from now on.
    pub(crate) fn of<V: Borrow<T> + Into<Arc<T>>>(&self, value: V) -> Arc<T> {
        let mut held = self.held();
        // foldhash, not the standard library's SipHash: a start files 100,000 status lists of
        // a kilobyte or more, and SipHash over them was about 1 % of its CPU (foldhash: 0.25 %).
        let digest = held.digests.hash_one(value.borrow());
        held.sweep_if_due();
        let alike = held.by_digest.entry(digest).or_default();
        alike.retain(|copy| copy.strong_count() > 0);
        let wanted = value.borrow();
        if let Some(copy) = alike
            .iter()
            .filter_map(Weak::upgrade)
            .find(|c| **c == *wanted)
        {
            return copy;
        }
        let copy = value.into();
        alike.push(Arc::downgrade(&copy));
        copy
    }

    fn held(&self) -> std::sync::MutexGuard<'_, Held<T>> {
        // Nothing under the lock can panic half-way through, so a poisoned lock's copies are whole.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// How many digests are held, for the tests.
    #[cfg(test)]
    pub(crate) fn digests_held(&self) -> usize {
        self.held().by_digest.len()
    }
}

impl<T: ?Sized> Held<T> {
    fn empty() -> Mutex<Self> {
        Mutex::new(Self {
            by_digest: HashMap::default(),
            digests: quality::FixedState::with_seed(RandomState::new().hash_one(0u8)),
            sweep_at: FIRST_SWEEP,
        })
    }

    /// Drops the digests of copies no object holds any more, once there are twice as many
    /// digests as the last sweep left: the sweeps cost a constant share of the copies made.
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
