//! Answers kept whole. Clients ask the same few queries again and again (an agent's poll, the
//! Cockpit's views, a dashboard's refresh); when the same caller asks the same query, with the
//! same operation and variables, and nothing the Director reads has changed since, the bytes
//! answered before are the answer, without parsing, validating or resolving anything again.
//!
//! Only queries that answered without errors are kept, and none whose resolvers did more than
//! read the caches ([`forbid_reuse`]). What "nothing changed" means is the caches' change count
//! ([`crate::state::Caches::changes`]), read before the query runs and again after it: any change
//! to any object the Director reads makes every kept answer stale, and an answer computed while
//! one was under way is not kept. Bounded in entries and in bytes (the questions' included).

use std::{
    collections::HashMap,
    hash::{BuildHasher, RandomState},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
};

use async_graphql::{Context, Request, Response};
use axum::body::Bytes;

use crate::{audit::graphql::Operation, gateway::Caller};

/// Most answers kept.
const ENTRIES: usize = 4_096;
/// Most bytes of answers kept in all.
const BYTES: usize = 16 * 1024 * 1024;
/// Largest answer kept: a larger one would push out many smaller, more frequent ones.
const ONE_ANSWER_BYTES: usize = 1024 * 1024;

/// The answers kept, shared by every request of the Director.
#[derive(Default)]
pub struct Answers {
    kept: Mutex<Kept>,
    hasher: RandomState,
}

#[derive(Default)]
struct Kept {
    entries: HashMap<u64, Entry>,
    bytes: usize,
    /// The change count at which stale entries were last dropped: none older than it remain.
    swept: u64,
}

struct Entry {
    question: Question,
    /// The caches' change count read before the answer was computed.
    changes: u64,
    answer: Answer,
}

/// A kept answer: its JSON body and the operation it ran, for the audit line.
#[derive(Clone, Debug)]
pub struct Answer {
    /// The body answered, as sent.
    pub body: Bytes,
    /// The operation the request ran.
    pub operation: Operation,
}

/// What makes two requests the same question: everything the answer depends on besides the
/// caches. Whatever else the handler gives a request for resolvers to read (with
/// `Request::data`) must be part of it too, or be the same for every request.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Question {
    caller: Caller,
    public_url: String,
    query: String,
    operation_name: Option<String>,
    /// The variables as JSON text.
    variables: String,
}

impl Question {
    /// The question `caller` asks with `request`, answered under `public_url`; `None` when its
    /// variables cannot be written down.
    pub fn of(caller: &Caller, public_url: &str, request: &Request) -> Option<Self> {
        Some(Self {
            caller: caller.clone(),
            public_url: public_url.to_owned(),
            query: request.query.clone(),
            operation_name: request.operation_name.clone(),
            variables: serde_json::to_string(&request.variables).ok()?,
        })
    }

    /// Bytes it holds, about.
    fn size(&self) -> usize {
        let caller = &self.caller;
        let scopes: usize = caller.scopes.iter().map(String::len).sum();
        self.public_url.len()
            + self.query.len()
            + self.operation_name.as_ref().map_or(0, String::len)
            + self.variables.len()
            + caller.id.len()
            + caller.client_id.as_ref().map_or(0, String::len)
            + caller.tenant.as_ref().map_or(0, String::len)
            + scopes
    }
}

impl Answers {
    /// How many answers are kept now.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The answer kept for `question` if nothing changed since it was computed: `changes` is
    /// the caches' change count now.
    pub fn get(&self, question: &Question, changes: u64) -> Option<Answer> {
        let key = self.key(question);
        let kept = self.lock();
        let entry = kept.entries.get(&key)?;
        (entry.changes == changes && entry.question == *question).then(|| entry.answer.clone())
    }

    /// Keeps `answer` to `question`, computed from the caches as they were at the change count
    /// `changes` (read before it ran, and still the count after it ran).
    pub fn keep(&self, question: Question, changes: u64, answer: Answer) {
        let entry = Entry {
            question,
            changes,
            answer,
        };
        let size = entry.size();
        if size > ONE_ANSWER_BYTES {
            return;
        }
        let key = self.key(&entry.question);
        let mut kept = self.lock();
        if let Some(replaced) = kept.entries.remove(&key) {
            kept.bytes -= replaced.size();
        }
        let full = |kept: &Kept| kept.entries.len() >= ENTRIES || kept.bytes + size > BYTES;
        if full(&kept) && changes > kept.swept {
            // The stale go first (older than what this answer read); a pass over all, so only
            // once per change count.
            let mut freed = 0;
            kept.entries.retain(|_, entry| {
                let fresh = entry.changes >= changes;
                if !fresh {
                    freed += entry.size();
                }
                fresh
            });
            kept.bytes -= freed;
            kept.swept = changes;
        }
        while full(&kept) {
            // Then any: the entries are in no useful order, and a question asked again soon is
            // computed again once.
            let Some(evicted) = kept.entries.keys().next().copied() else {
                break;
            };
            if let Some(entry) = kept.entries.remove(&evicted) {
                kept.bytes -= entry.size();
            }
        }
        kept.bytes += size;
        kept.entries.insert(key, entry);
    }

    fn key(&self, question: &Question) -> u64 {
        self.hasher.hash_one(question)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Entry {
    /// Bytes it holds, about: the answer and the question.
    fn size(&self) -> usize {
        self.answer.body.len() + self.question.size()
    }
}

/// Whether the answer of one request may be kept: a resolver that did more than read the caches
/// (renewed a heartbeat, read the clock) says it may not.
#[derive(Clone, Debug, Default)]
pub struct Reuse(Arc<AtomicBool>);

impl Reuse {
    /// Whether no resolver forbade keeping the answer.
    pub fn allowed(&self) -> bool {
        !self.0.load(Ordering::Relaxed)
    }
}

/// Says the answer of the request being resolved must not be kept.
pub fn forbid_reuse(ctx: &Context<'_>) {
    if let Ok(reuse) = ctx.data::<Reuse>() {
        reuse.0.store(true, Ordering::Relaxed);
    }
}

/// Whether `response` may be kept: without errors or HTTP headers of its own, to a query whose
/// resolvers allowed it.
pub fn keepable(response: &Response, operation: &Operation, reuse: &Reuse) -> bool {
    operation.kind == crate::audit::OperationKind::Query
        && reuse.allowed()
        && response.errors.is_empty()
        && response.http_headers.is_empty()
        && response.cache_control.value().is_none()
}

#[cfg(test)]
mod tests;
