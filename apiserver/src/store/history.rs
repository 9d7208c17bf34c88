//! The change history watches replay from, bounded three ways: by count, by the bytes of the
//! objects it holds, and by age. Without the byte bound a tenant writing a large object
//! repeatedly (a 2.5 MB object relabelled 160 times) kept every version in memory and on disk.
//!
//! A watch asking for a resourceVersion older than the history is answered `410 Expired`, as
//! kube-apiserver answers when etcd has compacted it, and clients relist.

use std::{
    collections::VecDeque,
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
}

struct Retained {
    event: Arc<Event>,
    at: Instant,
    bytes: usize,
}

/// The retained changes, oldest first.
pub(super) struct History {
    entries: VecDeque<Retained>,
    bytes: usize,
    limits: Limits,
}

/// The bytes a change keeps alive.
pub(super) fn size_of(event: &Event) -> usize {
    event.object.json.len() + event.previous.as_ref().map_or(0, |p| p.json.len())
}

impl History {
    pub(super) fn new(limits: Limits) -> Self {
        Self {
            entries: VecDeque::new(),
            bytes: 0,
            limits,
        }
    }

    /// How many changes, from the oldest held one through `incoming` (changes about to be
    /// added, committed now), must go so that what remains is within the limits at `now`.
    pub(super) fn overflow(&self, incoming: &[Event], now: Instant) -> usize {
        let total = self.entries.len() + incoming.len();
        let mut bytes = self.bytes + incoming.iter().map(size_of).sum::<usize>();
        let mut dropped = 0;
        while dropped < total {
            let (size, at) = match self.entries.get(dropped) {
                Some(held) => (held.bytes, Some(held.at)),
                None => (size_of(&incoming[dropped - self.entries.len()]), None),
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
    /// after the held ones.
    pub(super) fn rv_at(&self, n: usize, incoming: &[Event]) -> u64 {
        match self.entries.get(n) {
            Some(held) => held.event.rv,
            None => incoming[n - self.entries.len()].rv,
        }
    }

    /// Adds a change committed at `at`.
    pub(super) fn push(&mut self, event: Arc<Event>, at: Instant) {
        let bytes = size_of(&event);
        self.bytes += bytes;
        self.entries.push_back(Retained { event, at, bytes });
    }

    /// Drops the `n` oldest changes, and gives memory back when the history shrank well below
    /// what it had room for.
    pub(super) fn drop_oldest(&mut self, n: usize) {
        for retained in self.entries.drain(..n.min(self.entries.len())) {
            self.bytes -= retained.bytes;
        }
        if self.entries.capacity() > 64 && self.entries.len() < self.entries.capacity() / 4 {
            self.entries.shrink_to(self.entries.len() * 2);
        }
    }

    /// The changes after `rv`, or [`TooOld`] when some of them are no longer held; `current` is
    /// the store's last resourceVersion.
    pub(super) fn after(&self, rv: u64, current: u64) -> Result<Vec<Arc<Event>>, TooOld> {
        if rv >= current {
            return Ok(Vec::new());
        }
        // Every change after `rv` must still be held: the first held one must be `rv + 1`.
        let oldest = self.entries.front().map_or(current + 1, |e| e.event.rv);
        if oldest > rv + 1 {
            return Err(TooOld {
                requested: rv,
                oldest: oldest.saturating_sub(1),
            });
        }
        let start = self.entries.partition_point(|e| e.event.rv <= rv);
        Ok(self
            .entries
            .range(start..)
            .map(|e| e.event.clone())
            .collect())
    }

    /// How many changes are held, and the bytes they keep alive.
    pub(super) fn size(&self) -> (usize, usize) {
        (self.entries.len(), self.bytes)
    }
}
