//! The agent facing a management plane that goes away, or answers short, through a TCP proxy
//! between them (the agent pairs through it, so the Connector hands it the Director's URL at
//! the proxy too): nothing applied is deleted, `CompassConnection` tells of the failure, and the
//! agent comes back by itself; after an outage within 5 s of the plane's return, woken by its
//! push channel, not by a resynchronisation.

use std::time::Duration;

use compass_agent::connection::{CONNECTION_NAME, CompassConnection};
use compass_tests::{
    TestDirector, TestServer,
    agent::{RunningAgent, applied, connection_status, options, settings, wait_state},
    eventually, eventually_within,
    proxy::FaultyProxy,
};
use kube::{Api, Client};
use serde_json::json;

/// How long the management plane stays unreachable.
const OUTAGE: Duration = Duration::from_secs(60);
/// How soon after the plane's return the agent must have applied what changed meanwhile.
const CONVERGENCE: Duration = Duration::from_secs(5);

/// A management plane, a bare runtime, and an agent there that reaches the plane only through
/// a proxy.
struct BehindProxy {
    _management: TestServer,
    director: TestDirector,
    _runtime_server: TestServer,
    runtime: Client,
    proxy: FaultyProxy,
    agent: RunningAgent,
}

impl BehindProxy {
    /// Registers a runtime, starts the runtime's control plane and its agent (a full resync
    /// every `sync_interval`), pairing through a proxy in front of the API.
    async fn start(
        management: TestServer,
        director: TestDirector,
        sync_interval: Duration,
    ) -> Self {
        let api = &director.api;
        let runtime_id = api.register_runtime("edge").await;
        let invitation = api.runtime_token(&runtime_id).await;
        let proxy = FaultyProxy::in_front_of(&api.connector_url).await;
        let overrides = settings(
            &proxy.rewrite(&invitation.connector_url),
            &runtime_id,
            &invitation.token,
            &management.control_plane.ca_pem,
        );
        let runtime_server = TestServer::start().await;
        let runtime = runtime_server.client().await;
        let agent = RunningAgent::start(&runtime, options(overrides, sync_interval));
        Self {
            _management: management,
            director,
            _runtime_server: runtime_server,
            runtime,
            proxy,
            agent,
        }
    }

    /// Waits until the runtime holds exactly `expected` (sorted) and the agent reports
    /// `Synchronized`, then checks that the agent reaches the Director through the proxy.
    async fn synchronised(&self, expected: &[String]) {
        eventually("the applications are applied", || async {
            (applied(&self.runtime).await == expected).then_some(())
        })
        .await;
        wait_state(&self.runtime, "Synchronized").await;
        let connections: Api<CompassConnection> = Api::all(self.runtime.clone());
        let connection = connections.get(CONNECTION_NAME).await.unwrap();
        let director = connection.spec.management_info.director_url;
        assert_eq!(
            director,
            self.proxy.rewrite(&self.director.api.url),
            "the agent must reach the Director through the proxy"
        );
    }

    async fn stop(self) {
        self.agent.stop().await;
        self.director.stop().await;
    }
}

/// Whether `state` is one the agent reports when it cannot synchronise.
fn is_failure(state: &serde_json::Value) -> bool {
    state == "SynchronizationFailed" || state == "ConnectionFailed"
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_minute_unreachable_the_agent_converges_within_five_seconds_and_deleted_nothing() {
    let management = TestServer::start().await;
    let director = management.start_director(Vec::new()).await;
    let first = director.api.register_application("first").await;
    // A full resync only every ten minutes: what converges in time came over the push channel.
    let world = BehindProxy::start(management, director, Duration::from_secs(600)).await;
    world.synchronised(std::slice::from_ref(&first)).await;

    world.proxy.go_down();
    let outage = tokio::time::Instant::now();
    // The admin still reaches the API directly: the assignment changes during the outage.
    let second = world.director.api.register_application("second").await;
    let status = eventually("the agent reports the outage", || async {
        let status = connection_status(&world.runtime).await;
        is_failure(&status["connectionState"]).then_some(status)
    })
    .await;
    assert_eq!(status["conditions"][0]["status"], "False", "{status}");
    while outage.elapsed() < OUTAGE {
        assert_eq!(
            applied(&world.runtime).await,
            vec![first.clone()],
            "nothing deleted"
        );
        let state = connection_status(&world.runtime).await["connectionState"].clone();
        assert!(is_failure(&state), "still failing while out, not {state}");
        tokio::time::sleep(Duration::from_secs(5)).await;
    }

    world.proxy.come_up().await;
    let mut both = vec![first.clone(), second.clone()];
    both.sort();
    let ((), took) = eventually_within(CONVERGENCE, "the change made while out", || async {
        (applied(&world.runtime).await == both).then_some(())
    })
    .await;
    println!("applied {took:?} after the management plane was back");
    wait_state(&world.runtime, "Synchronized").await;
    world.stop().await;
}

/// Registers an application `name` whose description takes the most room allowed, so that its
/// entry makes `applicationsForRuntime`'s answer long.
async fn register_long(director: &TestDirector, name: &str) -> String {
    let description: String = (0..2000)
        .map(|i| char::from(b'a' + (i * 7 % 26) as u8))
        .collect();
    let data = director
        .api
        .default_tenant()
        .data(
            "mutation ($in: ApplicationRegisterInput!) { registerApplication(in: $in) { id } }",
            json!({ "in": { "name": name, "description": description } }),
        )
        .await;
    data["registerApplication"]["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Bytes from the server the proxy lets through on each connection when it cuts. TLS carries
/// an answer in records of at most 16 KiB, and a record cut short is lost whole: the answer spans
/// two records (twelve applications of 2000 characters of description, about 14 KiB more than
/// one record holds), and the cut falls in the second, past the TLS handshake (about 1.4 KiB) and
/// the first record (headers and the body's first 16 KiB). The agent gets the headers and part of
/// the body, then the end of the connection.
const CUT_AFTER: usize = 22_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_cut_short_delete_nothing_and_the_agent_recovers() {
    let management = TestServer::start().await;
    let director = management.start_director(Vec::new()).await;
    let mut all = Vec::new();
    for index in 0..12 {
        all.push(register_long(&director, &format!("app-{index}")).await);
    }
    let leaving = all[0].clone();
    all.sort();
    let staying: Vec<String> = all.iter().filter(|id| **id != leaving).cloned().collect();
    let world = BehindProxy::start(management, director, Duration::from_secs(1)).await;
    world.synchronised(&all).await;

    world.proxy.cut_after(CUT_AFTER);
    let status = eventually("the agent reports the cut answer", || async {
        let status = connection_status(&world.runtime).await;
        (status["connectionState"] == "SynchronizationFailed").then_some(status)
    })
    .await;
    // Cut inside the body: the headers came, the answer did not.
    let error = status["synchronizationStatus"]["error"]
        .as_str()
        .unwrap_or_default();
    assert!(error.contains("reading the answer"), "{status}");
    assert!(world.proxy.cut_connections() > 0, "the proxy cut nothing");
    // One application leaves the runtime's scenarios: a complete answer would delete it, the
    // cut ones (one a second) must not.
    let api = &world.director.api;
    api.allow_scenarios(&["DEFAULT", "OTHER"]).await;
    api.set_application_scenarios(&leaving, &["OTHER"]).await;
    let cut_before = world.proxy.cut_connections();
    eventually("more cut answers", || async {
        (world.proxy.cut_connections() >= cut_before + 3).then_some(())
    })
    .await;
    assert_eq!(applied(&world.runtime).await, all, "nothing deleted");

    world.proxy.forward();
    let recovered = eventually("the agent synchronises again", || async {
        let status = connection_status(&world.runtime).await;
        (status["connectionState"] == "Synchronized").then_some(status)
    })
    .await;
    assert!(
        recovered["synchronizationStatus"]["error"].is_null(),
        "{recovered}"
    );
    // The first complete answer deletes the application that left, and only it.
    eventually("the application that left is deleted", || async {
        (applied(&world.runtime).await == staying).then_some(())
    })
    .await;
    world.stop().await;
}
