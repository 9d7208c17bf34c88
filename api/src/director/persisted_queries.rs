//! Automatic persisted queries, as Apollo clients send them: a request may carry the SHA-256 of
//! its query text in `extensions.persistedQuery` instead of the text. A hash the caller has not
//! sent its text for is answered `PersistedQueryNotFound`, and the client sends the text with the
//! hash; the text is kept once the hash is checked against it, and later requests send the hash
//! alone. Texts are kept per caller, so one caller learns nothing of another's queries; bounded
//! in count and bytes, the earliest kept going first.

use std::{
    collections::{HashMap, VecDeque},
    sync::{Arc, Mutex},
};

use async_graphql::Request;
use serde_json::Value;

use crate::gateway::{Caller, digest};

/// Most texts kept, over every caller.
const ENTRIES: usize = 4_096;
/// Most bytes of text kept, over every caller.
const BYTES: usize = 8 * 1024 * 1024;
/// Longest text kept: a longer one is run each time it is sent, never kept.
const TEXT_BYTES: usize = 256 * 1024;
/// The extension's key in a request's `extensions`.
const EXTENSION: &str = "persistedQuery";

/// What became of a request's persisted query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The request named none: it is run as sent.
    Absent,
    /// Its hash was known: the request now holds the text kept for it.
    Found,
    /// It sent its text with the hash, which matched: the text is kept for next time.
    Kept,
    /// It sent its text with the hash, which matched, but the text is longer than
    /// `TEXT_BYTES`: it runs, and is not kept.
    TooLong,
}

impl Outcome {
    /// The outcome's name in metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Absent => "absent",
            Self::Found => "found",
            Self::Kept => "kept",
            Self::TooLong => "too_long",
        }
    }
}

/// Why a request's persisted query was not taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refused {
    /// The caller has sent no text for this hash, or it is no longer kept: the client is to send
    /// the text with the hash.
    NotFound,
    /// The extension is malformed, of a version not supported, or its hash is not the text's:
    /// the message names the field and the rule.
    Invalid(String),
}

impl Refused {
    /// The message an Apollo client recognizes (`PersistedQueryNotFound`), or the rule broken.
    pub fn message(&self) -> &str {
        match self {
            Self::NotFound => "PersistedQueryNotFound",
            Self::Invalid(message) => message,
        }
    }

    /// The error's `extensions.code`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotFound => "PERSISTED_QUERY_NOT_FOUND",
            Self::Invalid(_) => "INVALID_INPUT",
        }
    }
}

/// The texts kept for persisted queries, shared by every request to the Director.
#[derive(Default)]
pub struct PersistedQueries {
    kept: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    texts: HashMap<Key, Arc<str>>,
    /// Keys in the order they were kept, the earliest first.
    order: VecDeque<Key>,
    bytes: usize,
}

/// A text's hash (lowercase hexadecimal) and who sent it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    caller: String,
    hash: String,
}

impl PersistedQueries {
    /// How many texts are kept now.
    pub fn len(&self) -> usize {
        self.lock().texts.len()
    }

    /// Whether none is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Takes `request`'s persisted query as `caller` sent it: fills in the text kept for its
    /// hash, or keeps the text it sent. The extension is removed from the request either way.
    pub fn resolve(&self, caller: &Caller, request: &mut Request) -> Result<Outcome, Refused> {
        let Some(extension) = request.extensions.remove(EXTENSION) else {
            return Ok(Outcome::Absent);
        };
        let hash = requested_hash(extension.into_json().unwrap_or_default())?;
        let key = Key {
            caller: identity(caller),
            hash,
        };
        if request.query.is_empty() {
            let text = self.lock().texts.get(&key).cloned();
            let text = text.ok_or(Refused::NotFound)?;
            request.query = text.to_string();
            return Ok(Outcome::Found);
        }
        if digest(&request.query) != key.hash {
            return Err(Refused::Invalid(format!(
                "extensions.{EXTENSION}.sha256Hash: must be the SHA-256 of the query sent with \
                 it; it is not"
            )));
        }
        if request.query.len() > TEXT_BYTES {
            return Ok(Outcome::TooLong);
        }
        self.keep(key, &request.query);
        Ok(Outcome::Kept)
    }

    fn keep(&self, key: Key, text: &str) {
        let mut kept = self.lock();
        if kept.texts.contains_key(&key) {
            return;
        }
        while kept.texts.len() >= ENTRIES || kept.bytes + text.len() > BYTES {
            let Some(earliest) = kept.order.pop_front() else {
                break;
            };
            if let Some(gone) = kept.texts.remove(&earliest) {
                kept.bytes -= gone.len();
            }
        }
        kept.bytes += text.len();
        kept.order.push_back(key.clone());
        kept.texts.insert(key, Arc::from(text));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The hash `extension` names, lowercase, or why it is refused.
fn requested_hash(extension: Value) -> Result<String, Refused> {
    let invalid = |field: &str, rule: &str| {
        let at = if field.is_empty() {
            format!("extensions.{EXTENSION}")
        } else {
            format!("extensions.{EXTENSION}.{field}")
        };
        Err(Refused::Invalid(format!("{at}: {rule}")))
    };
    let Value::Object(fields) = extension else {
        return invalid("", "must be an object holding version and sha256Hash");
    };
    if fields.get("version").and_then(Value::as_i64) != Some(1) {
        return invalid("version", "must be 1, the only version supported");
    }
    match fields.get("sha256Hash").and_then(Value::as_str) {
        Some(hash) if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Ok(hash.to_ascii_lowercase())
        }
        _ => invalid(
            "sha256Hash",
            "must be the SHA-256 of the query, as 64 hexadecimal digits",
        ),
    }
}

/// Who sent a text: texts are kept per caller.
fn identity(caller: &Caller) -> String {
    let client = caller.client_id.as_deref().unwrap_or_default();
    format!("{:?}\0{}\0{client}", caller.kind, caller.id)
}

#[cfg(test)]
mod tests;
