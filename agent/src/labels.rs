//! What the agent reports on its runtime in the management plane: the labels
//! `runtime_eventServiceUrl` and `runtime_consoleUrl`, as the original agent set them, written
//! only when the runtime does not already carry those values.

use compass_api::client::DirectorClient;
use serde_json::{Value, json};

/// Label of the runtime's event service URL.
pub const EVENT_SERVICE_URL_LABEL: &str = "runtime_eventServiceUrl";
/// Label of the runtime's console URL.
pub const CONSOLE_URL_LABEL: &str = "runtime_consoleUrl";

const LABELS: &str = "query ($id: ID!) { runtime(id: $id) { labels } }";
const SET: &str = "mutation ($id: ID!, $key: String!, $value: Any!) { setRuntimeLabel(runtimeID: $id, key: $key, value: $value) { key } }";

/// Sets each of `wanted` (label, value) the runtime `runtime_id` does not carry yet; returns how
/// many it set.
pub async fn report(
    director: &DirectorClient,
    runtime_id: &str,
    wanted: &[(&str, &str)],
) -> Result<usize, String> {
    if wanted.is_empty() {
        return Ok(0);
    }
    let answer = director
        .execute(LABELS, json!({ "id": runtime_id }))
        .await?;
    if answer.body.get("errors").is_some() {
        return Err(format!(
            "reading the runtime's labels failed: {}",
            answer.body
        ));
    }
    let labels = &answer.body["data"]["runtime"]["labels"];
    let mut set = 0;
    for (key, value) in wanted {
        if labels.get(*key) == Some(&Value::String((*value).to_owned())) {
            continue;
        }
        let variables = json!({ "id": runtime_id, "key": key, "value": value });
        let answer = director.execute(SET, variables).await?;
        if answer.body.get("errors").is_some() {
            return Err(format!(
                "setting the runtime's label {key} failed: {}",
                answer.body
            ));
        }
        set += 1;
    }
    Ok(set)
}

/// Sets the runtime's URL labels the options name, when it does not carry them yet.
pub async fn report_options(
    options: &crate::run::AgentOptions,
    director: &compass_api::client::DirectorClient,
    runtime_id: &str,
) -> Result<(), String> {
    let wanted: Vec<(&str, &str)> = [
        (
            EVENT_SERVICE_URL_LABEL,
            options.event_service_url.as_deref(),
        ),
        (CONSOLE_URL_LABEL, options.console_url.as_deref()),
    ]
    .into_iter()
    .filter_map(|(key, value)| Some((key, value?)))
    .collect();
    report(director, runtime_id, &wanted).await.map(|_| ())
}
