//! Watch streams as kube-apiserver sends them: one JSON event per line, initial ADDED events or a
//! replay from a resourceVersion, selector-aware event types, bookmarks, the end-of-initial-events
//! bookmark, timeouts, and "too old" as an in-stream 410 ERROR event.

use std::{convert::Infallible, sync::Arc, time::Duration};

use axum::{
    body::Body,
    http::{HeaderValue, header},
    response::Response,
};
use bytes::{BufMut, Bytes, BytesMut};
use serde_json::json;
use tokio::sync::{broadcast::error::RecvError, mpsc};

use super::{
    ServerState, Target,
    query::Query,
    read::{Filter, Page, encode},
    table::{self, IncludeObject},
};
use crate::{
    errors::{ApiError, ApiResult},
    registry::Served,
    store::{Event, EventType, StoredObject},
};

/// Opens a watch on `target`; with `table`, each event carries its object as a one-row Table, as
/// `kubectl get -w` asks for.
pub fn watch(
    state: Arc<ServerState>,
    target: Target,
    query: &Query,
    table: Option<IncludeObject>,
) -> ApiResult<Response> {
    let served = target.served.clone();
    let filter = Filter::parse(&served, query)?;
    let requested = query.resource_version()?;
    let bookmarks = query.flag("allowWatchBookmarks");
    let send_initial = match query.get("sendInitialEvents") {
        Some("true") => {
            if !bookmarks {
                return Err(ApiError::bad_request(
                    "sendInitialEvents requires setting allowWatchBookmarks to true",
                ));
            }
            true
        }
        _ => false,
    };
    let timeout = match query.timeout_seconds()? {
        Some(seconds) => Duration::from_secs(seconds),
        None => state.options.watch_timeout,
    };
    // A few events in flight are enough to keep the connection busy; a client that stops reading
    // then holds at most these, not a backlog of (possibly large) objects.
    let (sender, receiver) = mpsc::channel::<Bytes>(8);
    let namespace = target.namespace.clone();
    let start = Start {
        requested,
        send_initial,
    };
    tokio::spawn(stream(
        state, served, namespace, filter, start, bookmarks, timeout, sender, table,
    ));
    let body = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver
            .recv()
            .await
            .map(|chunk| (Ok::<_, Infallible>(chunk), receiver))
    });
    let mut response = Response::new(Body::from_stream(body));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

struct Start {
    requested: Option<u64>,
    send_initial: bool,
}

#[allow(clippy::too_many_arguments)]
async fn stream(
    state: Arc<ServerState>,
    served: Arc<Served>,
    namespace: Option<String>,
    filter: Filter,
    start: Start,
    bookmarks: bool,
    timeout: Duration,
    sender: mpsc::Sender<Bytes>,
    table: Option<IncludeObject>,
) {
    let watcher = Watcher {
        served,
        namespace,
        filter,
        sender,
        table,
    };
    let store = &state.store;
    let (mut last_rv, mut changes) =
        if start.send_initial || matches!(start.requested, None | Some(0)) {
            let (items, rv, changes) = store
                .snapshot_and_follow(&watcher.served.storage_key, watcher.namespace.as_deref());
            for (key, item) in &items {
                let selected = watcher
                    .filter
                    .matches(&watcher.served, (&key.0, &key.1), item);
                if selected && !watcher.send_object(EventType::Added, item).await {
                    return;
                }
            }
            if start.send_initial && !watcher.bookmark(rv, true).await {
                return;
            }
            (rv, changes)
        } else {
            let requested = start.requested.unwrap_or_default();
            // Subscribed first: a commit after the replay is read wakes the loop below.
            let changes = store.subscribe();
            match store.changes_after(requested).await {
                Ok(replay) => {
                    let mut last = requested;
                    for event in replay {
                        last = event.rv;
                        if !watcher.forward(&event).await {
                            return;
                        }
                    }
                    (last.max(requested), changes)
                }
                Err(too_old) => {
                    watcher.expired(&too_old.to_string()).await;
                    return;
                }
            }
        };
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    let mut ticks = tokio::time::interval(state.options.bookmark_interval);
    ticks.tick().await;
    loop {
        tokio::select! {
            () = &mut deadline => return,
            () = watcher.sender.closed() => return,
            _ = ticks.tick(), if bookmarks => {
                if !watcher.bookmark(last_rv, false).await {
                    return;
                }
            }
            // A wake-up (or several missed ones) means changes after `last_rv` are in the
            // history; a watch that fell so far behind that they left it is expired.
            received = changes.recv() => match received {
                Ok(_) | Err(RecvError::Lagged(_)) => match store.changes_after(last_rv).await {
                    Ok(changed) => {
                        for event in changed {
                            last_rv = event.rv;
                            if !watcher.forward(&event).await {
                                return;
                            }
                        }
                    }
                    Err(too_old) => {
                        watcher.expired(&too_old.to_string()).await;
                        return;
                    }
                },
                Err(RecvError::Closed) => return,
            },
        }
    }
}

struct Watcher {
    served: Arc<Served>,
    namespace: Option<String>,
    filter: Filter,
    sender: mpsc::Sender<Bytes>,
    table: Option<IncludeObject>,
}

impl Watcher {
    /// Sends a change if it concerns this watch, with the type the watch's selection implies.
    async fn forward(&self, event: &Event) -> bool {
        if event.key.resource != self.served.storage_key
            || self
                .namespace
                .as_ref()
                .is_some_and(|ns| *ns != event.key.namespace)
        {
            return true;
        }
        let key = (event.key.namespace.as_str(), event.key.name.as_str());
        let now = self.filter.matches(&self.served, key, &event.object);
        let before = match (&event.previous, event.type_) {
            (Some(previous), _) => self.filter.matches(&self.served, key, previous),
            (None, EventType::Added) => false,
            // NB: the object before this change predates the event log loaded at startup.
            // Assume it matched: a client that never had the object ignores a DELETED for it,
            // while one that did would otherwise keep it forever.
            (None, EventType::Modified) => true,
            (None, EventType::Deleted) => now,
        };
        let type_ = match (event.type_, before, now) {
            (EventType::Deleted, true, _) | (EventType::Deleted, _, true) => EventType::Deleted,
            (EventType::Deleted, false, false) => return true,
            (_, false, true) => EventType::Added,
            (_, true, true) => EventType::Modified,
            (_, true, false) => EventType::Deleted,
            (_, false, false) => return true,
        };
        self.send_object(type_, &event.object).await
    }

    async fn send_object(&self, type_: EventType, object: &StoredObject) -> bool {
        match self.table {
            None => {
                self.send(type_.as_str(), &encode(&self.served, object))
                    .await
            }
            Some(include) => {
                let page = Page {
                    items: vec![object.clone()],
                    rv: object.rv,
                    continue_token: None,
                    remaining: None,
                };
                let table = table::table(&self.served, &page, include);
                self.send(
                    type_.as_str(),
                    &serde_json::to_vec(&table).unwrap_or_default(),
                )
                .await
            }
        }
    }

    async fn send(&self, type_: &str, object: &[u8]) -> bool {
        let mut line = BytesMut::with_capacity(object.len() + 32);
        line.put_slice(b"{\"type\":\"");
        line.put_slice(type_.as_bytes());
        line.put_slice(b"\",\"object\":");
        line.put_slice(object);
        line.put_slice(b"}\n");
        self.sender.send(line.freeze()).await.is_ok()
    }

    async fn bookmark(&self, rv: u64, initial_events_end: bool) -> bool {
        let mut metadata = json!({ "resourceVersion": rv.to_string() });
        if initial_events_end {
            metadata["annotations"] = json!({ "k8s.io/initial-events-end": "true" });
        }
        let object = json!({ "kind": self.served.info.kind, "apiVersion": self.served.info.api_version(), "metadata": metadata });
        self.send("BOOKMARK", &serde_json::to_vec(&object).unwrap_or_default())
            .await
    }

    async fn expired(&self, message: &str) {
        let status = ApiError::expired(message.to_owned()).status();
        self.send("ERROR", &serde_json::to_vec(&status).unwrap_or_default())
            .await;
    }
}
