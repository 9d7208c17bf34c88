//! The agent's identity over time: a short-lived certificate renewed by the agent itself before
//! it expires, synchronisation going on with the new one; and `CompassConnection` deleted, after
//! which the agent pairs again with the fresh token put in its configuration. Neither deletes
//! anything from the runtime.

use std::time::Duration;

use compass_agent::connection::{CONNECTION_NAME, CompassConnection};
use compass_api::connector::certificates::CertificateValidity;
use compass_tests::{
    TestServer,
    agent::{
        RunningAgent, applied, configure, connection_status, options, reconfigure, wait_state,
    },
    api_config, eventually, next_whole_second,
};
use jiff::Timestamp;
use kube::{Api, api::DeleteParams};
use serde_json::Value;

/// Lifetime of the runtime's certificates in the renewal test: renewed after 14 s (70 %).
const SHORT_VALIDITY: Duration = Duration::from_secs(20);

/// The time at `pointer` in `status`, failing the test when there is none.
fn time_at(status: &Value, pointer: &str) -> Timestamp {
    let text = status.pointer(pointer).and_then(Value::as_str);
    let text = text.unwrap_or_else(|| panic!("no time at {pointer}: {status}"));
    text.parse().expect("an RFC 3339 time")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_lived_certificate_is_renewed_and_synchronisation_goes_on_with_the_new_one() {
    let management = TestServer::start().await;
    let mut config = api_config(Vec::new());
    config.connector.validity = CertificateValidity {
        runtime: SHORT_VALIDITY,
        ..CertificateValidity::default()
    };
    let director = management.start_director_with(config).await;
    let api = &director.api;
    let app = api.register_application("shop").await;
    let runtime_id = api.register_runtime("edge").await;
    let overrides = api.agent_settings(&runtime_id).await;
    let runtime_server = TestServer::start().await;
    let runtime = runtime_server.client().await;
    // A cycle a second: the renewal is due between two of them.
    let agent = RunningAgent::start(&runtime, options(overrides, Duration::from_secs(1)));
    eventually("the application is applied", || async {
        (applied(&runtime).await == [app.clone()]).then_some(())
    })
    .await;
    let first = wait_state(&runtime, "Synchronized").await;
    let first_expiry = time_at(&first, "/connectionStatus/certificateStatus/notAfter");
    assert!(first["connectionStatus"]["renewed"].is_null(), "{first}");

    let renewed = eventually("the certificate is renewed", || async {
        let status = connection_status(&runtime).await;
        let expiry = &status["connectionStatus"]["certificateStatus"]["notAfter"];
        (status["connectionStatus"]["renewed"].is_string()
            && expiry.as_str().and_then(|t| t.parse::<Timestamp>().ok()) > Some(first_expiry))
        .then_some(status)
    })
    .await;
    let renewed_at = time_at(&renewed, "/connectionStatus/renewed");
    assert!(
        renewed_at < first_expiry,
        "renewed only after expiry: {renewed}"
    );
    // Past the first certificate's expiry only the new one is accepted: a synchronisation then
    // proves the agent uses it.
    let after_expiry = eventually(
        "a synchronisation after the first certificate expired",
        || async {
            let status = connection_status(&runtime).await;
            let attempt = status["synchronizationStatus"]["lastAttempt"].as_str()?;
            let attempt: Timestamp = attempt.parse().ok()?;
            (status["connectionState"] == "Synchronized" && attempt > first_expiry)
                .then_some(status)
        },
    )
    .await;
    assert!(
        after_expiry["synchronizationStatus"]["error"].is_null(),
        "{after_expiry}"
    );
    assert_eq!(applied(&runtime).await, vec![app.clone()]);
    agent.stop().await;
    director.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_connection_pairs_again_with_a_fresh_token_and_deletes_nothing() {
    let management = TestServer::start().await;
    let director = management.start_director(Vec::new()).await;
    let api = &director.api;
    let app = api.register_application("shop").await;
    let runtime_id = api.register_runtime("edge").await;
    let runtime_server = TestServer::start().await;
    let runtime = runtime_server.client().await;
    let configuration = api.agent_settings(&runtime_id).await;
    configure(&runtime, &configuration).await;
    let agent = RunningAgent::start(
        &runtime,
        options(Default::default(), Duration::from_secs(1)),
    );
    eventually("the application is applied", || async {
        (applied(&runtime).await == [app.clone()]).then_some(())
    })
    .await;
    let before = wait_state(&runtime, "Synchronized").await;
    let established = time_at(&before, "/connectionStatus/established");

    // The runtime's operator puts a fresh token in place, then deletes the connection.
    let fresh = api.runtime_token(&runtime_id).await;
    reconfigure(&runtime, "TOKEN", &fresh.token).await;
    // Times are kept to the second: the new pairing's is then visibly later.
    next_whole_second().await;
    let connections: Api<CompassConnection> = Api::all(runtime.clone());
    connections
        .delete(CONNECTION_NAME, &DeleteParams::default())
        .await
        .expect("the connection is deleted");

    let after = eventually("the agent pairs again and synchronises", || async {
        assert_eq!(
            applied(&runtime).await,
            vec![app.clone()],
            "nothing deleted"
        );
        let status = connection_status(&runtime).await;
        let again = status["connectionStatus"]["established"].as_str()?;
        (status["connectionState"] == "Synchronized"
            && again.parse::<Timestamp>().ok()? > established)
            .then_some(status)
    })
    .await;
    assert!(after["conditions"][0]["status"] == "True", "{after}");
    // The fresh token was spent on that pairing: a second use is refused.
    let key = compass_api::client::pairing::generate_key().unwrap();
    let reused = compass_api::client::pairing::pair(&fresh, Some(&api.ca_pem), key).await;
    assert!(reused.is_err(), "the fresh token still works");
    assert_eq!(applied(&runtime).await, vec![app.clone()]);
    agent.stop().await;
    director.stop().await;
}
