//! The change history watches replay from, bounded three ways: by count, by the bytes of the
//! objects it holds, and by age. Without the byte bound a tenant writing a large object
//! repeatedly (a 2.5 MB object relabelled 160 times) kept every version in memory and on disk.
//!
//! Every retained change is in the database; only the latest of them (within `held_bytes`) are
//! also held in memory. A watch resuming from further back reads the older ones from the
//! database ([`Replay::on_disk`]): the history of a burst was the largest part of the memory of
//! a large landscape, and resuming from far back is rare.
//!
//! A watch asking for a resourceVersion older than the history is answered `410 Expired`, as
//! kube-apiserver answers when etcd has compacted it, and clients relist.

use std::{
    collections::VecDeque,
    ops::RangeInclusive,
    sync::Arc,
    time::{Duration, Instant},
};

use super::{Event, TooOld};

/// How much history is kept.
#[derive(Clone, Debug)]
pub struct Limits {
    /// At most this many changes.
    pub count: usize,
    /// At most this many bytes of objects (each change counts its object and the object before
    /// it, which it keeps alive).
    pub bytes: usize,
    /// No change older than this.
    pub age: Duration,
    /// Of those, at most this many bytes (counted the same way) of the latest held in memory.
    pub held_bytes: usize,
}

/// What the history knows of every change it retains, in memory or not.
struct Retained {
    rv: u64,
    at: Instant,
    bytes: usize,
}

/// The retained changes, oldest first, and the latest of them in memory.
pub(super) struct History {
    retained: VecDeque<Retained>,
    bytes: usize,
    /// The newest retained changes, oldest first: a suffix of `retained`.
    held: VecDeque<Arc<Event>>,
    held_bytes: usize,
    limits: Limits,
}

/// The changes after a resourceVersion: those only in the database, then those in memory.
pub(super) struct Replay {
    /// The resourceVersions to read from the database first, if any.
    pub on_disk: Option<RangeInclusive<u64>>,
    /// The changes held in memory after them.
    pub held: Vec<Arc<Event>>,
}

/// The bytes a change keeps alive.
pub(super) fn size_of(event: &Event) -> usize {
    event.object.packed.json_len() + event.previous.as_ref().map_or(0, |p| p.packed.json_len())
}

impl History {
    pub(super) fn new(limits: Limits) -> Self {
        Self {
            retained: VecDeque::new(),
            bytes: 0,
            held: VecDeque::new(),
            held_bytes: 0,
            limits,
        }
    }

    /// How many changes, from the oldest retained one through `incoming` (changes about to be
    /// added, committed now), must go so that what remains is within the limits at `now`.
    pub(super) fn overflow(&self, incoming: &[Event], now: Instant) -> usize {
        let total = self.retained.len() + incoming.len();
        let mut bytes = self.bytes + incoming.iter().map(size_of).sum::<usize>();
        let mut dropped = 0;
        while dropped < total {
            let (size, at) = match self.retained.get(dropped) {
                Some(held) => (held.bytes, Some(held.at)),
                None => (size_of(&incoming[dropped - self.retained.len()]), None),
            };
            let too_old = at.is_some_and(|at| now.duration_since(at) > self.limits.age);
            if total - dropped <= self.limits.count && bytes <= self.limits.bytes && !too_old {
                break;
            }
            bytes -= size;
            dropped += 1;
        }
        dropped
    }

    /// The resourceVersion of the `n`-th change from the oldest (0-based), counting `incoming`
    /// after the retained ones.
    pub(super) fn rv_at(&self, n: usize, incoming: &[Event]) -> u64 {
        match self.retained.get(n) {
            Some(retained) => retained.rv,
            None => incoming[n - self.retained.len()].rv,
        }
    }

    /// Adds a change committed at `at`, held in memory until newer ones take its place.
    pub(super) fn push(&mut self, event: Arc<Event>, at: Instant) {
        let bytes = size_of(&event);
        self.push_retained(event.rv, bytes, at);
        self.held_bytes += bytes;
        self.held.push_back(event);
        while self.held_bytes > self.limits.held_bytes && self.held.len() > 1 {
            self.let_go_of_oldest_held();
        }
    }

    /// Adds a change that stays in the database only (loading older changes at startup).
    pub(super) fn push_on_disk(&mut self, rv: u64, bytes: usize, at: Instant) {
        debug_assert!(
            self.held.is_empty(),
            "changes on disk only precede those held"
        );
        self.push_retained(rv, bytes, at);
    }

    fn push_retained(&mut self, rv: u64, bytes: usize, at: Instant) {
        self.bytes += bytes;
        self.retained.push_back(Retained { rv, at, bytes });
    }

    fn let_go_of_oldest_held(&mut self) {
        if let Some(event) = self.held.pop_front() {
            self.held_bytes -= size_of(&event);
        }
    }

    /// Drops the `n` oldest changes, and gives memory back when the history shrank well below
    /// what it had room for.
    pub(super) fn drop_oldest(&mut self, n: usize) {
        for retained in self.retained.drain(..n.min(self.retained.len())) {
            self.bytes -= retained.bytes;
        }
        let oldest = self.retained.front().map_or(u64::MAX, |r| r.rv);
        while self.held.front().is_some_and(|e| e.rv < oldest) {
            self.let_go_of_oldest_held();
        }
        shrink_when_sparse(&mut self.retained);
        shrink_when_sparse(&mut self.held);
    }

    /// The changes after `rv`, or [`TooOld`] when some of them are no longer retained;
    /// `current` is the store's last resourceVersion.
    pub(super) fn after(&self, rv: u64, current: u64) -> Result<Replay, TooOld> {
        if rv >= current {
            return Ok(Replay {
                on_disk: None,
                held: Vec::new(),
            });
        }
        // Every change after `rv` must still be retained: the first one must be `rv + 1`.
        let oldest = self.retained.front().map_or(current + 1, |r| r.rv);
        if oldest > rv + 1 {
            return Err(TooOld {
                requested: rv,
                oldest: oldest.saturating_sub(1),
            });
        }
        let oldest_held = self.held.front().map_or(current + 1, |e| e.rv);
        let on_disk = (rv + 1 < oldest_held).then(|| rv + 1..=oldest_held - 1);
        let start = self.held.partition_point(|e| e.rv <= rv);
        Ok(Replay {
            on_disk,
            held: self.held.range(start..).cloned().collect(),
        })
    }

    /// How many changes are retained, and the bytes of the objects they keep alive.
    pub(super) fn size(&self) -> (usize, usize) {
        (self.retained.len(), self.bytes)
    }

    /// How many of them are held in memory, and their bytes.
    pub(super) fn held_size(&self) -> (usize, usize) {
        (self.held.len(), self.held_bytes)
    }
}

/// Gives a queue's memory back when it holds well under what it has room for.
fn shrink_when_sparse<T>(queue: &mut VecDeque<T>) {
    if queue.capacity() > 64 && queue.len() < queue.capacity() / 4 {
        queue.shrink_to(queue.len() * 2);
    }
}
