//! The agent's heartbeat: its report (version, state, counts, last synchronisation, certificate
//! expiry) sent to the Gateway's `PUT /director/runtimes/{id}/agent` with its certificate every
//! 15 s and as soon as the report changes. Each one renews the runtime's heartbeat Lease, so the
//! management plane sees the agent `Available` and what it says about itself.

use std::time::Duration;

use compass_api::client::DirectorClient;
use compass_crds::AgentReport;
use tokio::sync::watch;

/// Time between two reports when nothing changes; well within the Lease's 40 s.
pub const REPORT_EVERY: Duration = Duration::from_secs(15);
/// Longest one report may take.
const REPORT_TIMEOUT: Duration = Duration::from_secs(10);
/// Shortest time between two reports: an agent synchronising in a burst sends one a second.
const REPORT_GAP: Duration = Duration::from_secs(1);

/// Sends the report of `runtime_id` until the task is dropped or the reports end.
pub async fn send(
    director: DirectorClient,
    runtime_id: String,
    tenant: String,
    mut reports: watch::Receiver<AgentReport>,
) {
    let path = compass_api::server::AGENT_REPORT_PATH.replace("{id}", &runtime_id);
    let headers = [
        ("tenant", tenant.as_str()),
        ("content-type", "application/json"),
    ];
    loop {
        let report = reports.borrow_and_update().clone();
        let body = serde_json::to_vec(&report).unwrap_or_default();
        let sent = director.request(http::Method::PUT, &path, &headers, body);
        match tokio::time::timeout(REPORT_TIMEOUT, sent).await {
            Ok(Ok(answer)) if answer.status().is_success() => {}
            Ok(Ok(answer)) => {
                let body = String::from_utf8_lossy(answer.body());
                tracing::warn!(status = %answer.status(), %body, "The management plane refused the agent's report");
            }
            Ok(Err(error)) => tracing::debug!(%error, "Sending the agent's report failed"),
            Err(_) => tracing::debug!("Sending the agent's report timed out"),
        }
        tokio::time::sleep(REPORT_GAP).await;
        tokio::select! {
            () = tokio::time::sleep(REPORT_EVERY - REPORT_GAP) => {}
            changed = reports.changed() => if changed.is_err() { return },
        }
    }
}
