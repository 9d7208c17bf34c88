//! The push channel: a long poll of the Gateway's `/director/runtimes/{id}/assignment` with the
//! agent's certificate, which answers as soon as what the runtime is assigned changes. Each
//! change wakes the synchronisation at once; when the channel fails it polls again after a short,
//! growing pause, and the periodic full resynchronisation covers what it missed meanwhile.
//! Losing the channel and getting it back wake the synchronisation too, so that
//! `CompassConnection` tells of an outage when it starts and when it ends, not a resync later.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use compass_api::client::DirectorClient;
use tokio::sync::Notify;

use crate::metrics::AgentMetrics;

/// How long the Gateway holds one poll.
const HOLD_SECONDS: u64 = 30;
/// Pause after the first failed poll; it doubles with each further failure.
const FIRST_RETRY: Duration = Duration::from_millis(250);
/// Longest pause between failed polls: a management plane back from an outage is seen within
/// about this long.
const LONGEST_RETRY: Duration = Duration::from_secs(2);

/// What wakes the synchronisation: a change seen on the channel (and since when it waits), or
/// another reason to synchronise at once.
#[derive(Debug, Default)]
pub struct Wake {
    notify: Notify,
    noticed: Mutex<Option<Instant>>,
}

impl Wake {
    /// Wakes the synchronisation for a change of the assignment, remembering when the first
    /// change not applied yet was noticed.
    pub fn notice(&self) {
        let mut noticed = self.noticed.lock().unwrap_or_else(|e| e.into_inner());
        noticed.get_or_insert_with(Instant::now);
        self.notify.notify_one();
    }

    /// Wakes the synchronisation for another reason than a change of the assignment.
    pub fn poke(&self) {
        self.notify.notify_one();
    }

    /// Completes at the next wake.
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
/// `runtime_id` (and once at the start), when the channel starts failing, and when it works
/// again (counted in `metrics` as a reconnect).
pub async fn watch(
    director: DirectorClient,
    runtime_id: String,
    tenant: String,
    wake: Arc<Wake>,
    metrics: AgentMetrics,
) {
    let mut after = String::new();
    let mut pause = FIRST_RETRY;
    let mut failing = false;
    loop {
        // Right after a failure the poll is not held: the agent learns at once that the
        // management plane is back, even when nothing changed meanwhile.
        let hold = if failing { 0 } else { HOLD_SECONDS };
        match poll(&director, &runtime_id, &tenant, &after, hold).await {
            Ok(fingerprint) => {
                pause = FIRST_RETRY;
                let recovered = std::mem::replace(&mut failing, false);
                let moved = fingerprint.is_some();
                if let Some(fingerprint) = fingerprint {
                    after = fingerprint;
                }
                if recovered {
                    metrics.channel_reconnects.inc();
                }
                if moved {
                    wake.notice();
                } else if recovered {
                    wake.poke();
                }
            }
            Err(error) => {
                tracing::debug!(%error, ?pause, "The push channel failed; polling again later");
                // Only the first failure of a run wakes the synchronisation, which then reports
                // the outage; the following ones would only repeat it.
                if !std::mem::replace(&mut failing, true) {
                    wake.poke();
                }
                tokio::time::sleep(pause).await;
                pause = next_pause(pause);
            }
        }
    }
}

/// One poll held up to `hold` seconds: the new fingerprint when the assignment differs from
/// `after`, `None` when it does not; an error when no usable answer came.
async fn poll(
    director: &DirectorClient,
    runtime_id: &str,
    tenant: &str,
    after: &str,
    hold: u64,
) -> Result<Option<String>, String> {
    let path = format!(
        "{}?after={after}&wait={hold}",
        compass_api::server::ASSIGNMENT_PATH.replace("{id}", runtime_id)
    );
    let headers = [("tenant", tenant)];
    let response = director
        .request(http::Method::GET, &path, &headers, Vec::new())
        .await?;
    if response.status() != 200 {
        return Err(format!(
            "the push channel was refused: {}",
            response.status()
        ));
    }
    let answer: serde_json::Value = serde_json::from_slice(response.body())
        .map_err(|e| format!("the push channel's answer is not JSON: {e}"))?;
    if answer["changed"] != true {
        return Ok(None);
    }
    Ok(Some(
        answer["fingerprint"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    ))
}

/// The pause after one more failure: twice `pause`, at most [`LONGEST_RETRY`].
fn next_pause(pause: Duration) -> Duration {
    (pause * 2).min(LONGEST_RETRY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pause_doubles_up_to_the_longest() {
        let mut pause = FIRST_RETRY;
        let mut pauses = Vec::new();
        for _ in 0..6 {
            pauses.push(pause.as_millis());
            pause = next_pause(pause);
        }
        assert_eq!(pauses, [250, 500, 1000, 2000, 2000, 2000]);
    }
}
