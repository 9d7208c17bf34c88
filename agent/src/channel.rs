//! The push channel: a long poll of the Gateway's `/director/runtimes/{id}/assignment` with the
//! agent's certificate, which answers as soon as what the runtime is assigned changes. Each
//! change wakes the synchronisation at once; when the channel fails it waits a little and polls
//! again, and the periodic full resynchronisation covers what it missed meanwhile.

use std::{sync::Arc, time::Duration};

use compass_api::client::DirectorClient;
use tokio::sync::Notify;

/// How long the Gateway holds one poll.
const HOLD_SECONDS: u64 = 30;
/// Pause after a failed poll.
const RETRY: Duration = Duration::from_secs(5);

/// Polls until the task is dropped, notifying `changed` for every change of the assignment of
/// `runtime_id` (and once at the start).
pub async fn watch(
    director: DirectorClient,
    runtime_id: String,
    tenant: String,
    changed: Arc<Notify>,
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
                tokio::time::sleep(RETRY).await;
                continue;
            }
            Err(error) => {
                tracing::debug!(%error, "The push channel failed; polling again later");
                tokio::time::sleep(RETRY).await;
                continue;
            }
        };
        let Ok(answer) = serde_json::from_slice::<serde_json::Value>(&body) else {
            tokio::time::sleep(RETRY).await;
            continue;
        };
        if answer["changed"] == true {
            after = answer["fingerprint"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            changed.notify_one();
        }
    }
}
