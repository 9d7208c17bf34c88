//! The push channel: a long poll of the Gateway's `/director/runtimes/{id}/assignment` with the
//! agent's certificate, which answers as soon as what the runtime is assigned changes. Each
//! change wakes the synchronisation at once; when the channel fails it waits a little and polls
//! again, and the periodic full resynchronisation covers what it missed meanwhile.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use compass_api::client::DirectorClient;
use tokio::sync::Notify;

use crate::metrics::AgentMetrics;

/// How long the Gateway holds one poll.
const HOLD_SECONDS: u64 = 30;
/// Pause after a failed poll.
const RETRY: Duration = Duration::from_secs(5);

/// What wakes the synchronisation: a change seen on the channel, and since when it waits.
#[derive(Debug, Default)]
pub struct Wake {
    notify: Notify,
    noticed: Mutex<Option<Instant>>,
}

impl Wake {
    /// Wakes the synchronisation, remembering when the first unapplied change was noticed.
    pub fn notice(&self) {
        let mut noticed = self.noticed.lock().unwrap_or_else(|e| e.into_inner());
        noticed.get_or_insert_with(Instant::now);
        self.notify.notify_one();
    }

    /// Wakes the synchronisation for another reason than a change of the assignment.
    pub fn poke(&self) {
        self.notify.notify_one();
    }

    /// Completes at the next notice.
    pub async fn noticed(&self) {
        self.notify.notified().await;
    }

    /// When the change a synchronisation starting now applies was noticed, if one was; the
    /// next notice starts afresh.
    pub fn take(&self) -> Option<Instant> {
        self.noticed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }
}

/// Polls until the task is dropped, waking `wake` for every change of the assignment of
/// `runtime_id` (and once at the start).
pub async fn watch(
    director: DirectorClient,
    runtime_id: String,
    tenant: String,
    wake: Arc<Wake>,
    metrics: AgentMetrics,
) {
    let mut after = String::new();
    loop {
        let path = format!(
            "{}?after={after}&wait={HOLD_SECONDS}",
            compass_api::server::ASSIGNMENT_PATH.replace("{id}", &runtime_id)
        );
        let headers = [("tenant", tenant.as_str())];
        let answer = director
            .request(http::Method::GET, &path, &headers, Vec::new())
            .await;
        let body = match answer {
            Ok(response) if response.status() == 200 => response.into_body(),
            Ok(response) => {
                tracing::debug!(status = %response.status(), "The push channel was refused; polling again later");
                metrics.channel_reconnects.inc();
                tokio::time::sleep(RETRY).await;
                continue;
            }
            Err(error) => {
                tracing::debug!(%error, "The push channel failed; polling again later");
                metrics.channel_reconnects.inc();
                tokio::time::sleep(RETRY).await;
                continue;
            }
        };
        let Ok(answer) = serde_json::from_slice::<serde_json::Value>(&body) else {
            metrics.channel_reconnects.inc();
            tokio::time::sleep(RETRY).await;
            continue;
        };
        if answer["changed"] == true {
            after = answer["fingerprint"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            wake.notice();
        }
    }
}
