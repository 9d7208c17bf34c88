//! The Runtime Agent end to end, with two control planes: the management plane's (operator and
//! API) and a bare one for the runtime. The agent pairs through a runtime token from its
//! configuration Secret, applies the applications of the runtime's scenarios as Kyma
//! Applications, deletes one only when the management plane positively no longer assigns it,
//! and keeps everything when it can no longer reach the management plane with its certificate.
//! Beside it: the plane unreachable or answering short ([`outage`]), the agent's certificate
//! renewed and its connection deleted ([`identity`]), and agents of the original kind that only
//! poll ([`polling`]). One binary, so that they run in parallel.

mod identity;
mod installed;
mod outage;
mod polling;

use std::time::Duration;

use compass_tests::{
    TestServer,
    agent::{RunningAgent, applied, configure, connection_status, options},
    eventually,
};
use kube::{Api, ResourceExt, api::ListParams};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_pairs_applies_assigned_applications_and_deletes_only_on_a_positive_answer() {
    let management = TestServer::start().await;
    let director = management.start_director(Vec::new()).await;
    let api = &director.api;
    let shop = api.register_application("shop").await;
    let crm = api.register_application("crm").await;
    let runtime_id = api.register_runtime("edge").await;

    let runtime_server = TestServer::start().await;
    let runtime = runtime_server.client().await;
    let configuration = api.agent_settings(&runtime_id).await;
    configure(&runtime, &configuration).await;
    let options = compass_agent::run::AgentOptions {
        event_service_url: Some("https://gateway.edge.example.com".into()),
        ..options(Default::default(), Duration::from_millis(500))
    };
    let agent = RunningAgent::start(&runtime, options.clone());

    // Both applications share the DEFAULT scenario with the runtime: both appear.
    let mut expected = vec![shop.clone(), crm.clone()];
    expected.sort();
    eventually("both applications are applied", || async {
        (applied(&runtime).await == expected).then_some(())
    })
    .await;
    // The state follows the applications it reports on.
    let status = eventually("the connection reports the synchronisation", || async {
        let status = connection_status(&runtime).await;
        (status["connectionState"] == "Synchronized").then_some(status)
    })
    .await;
    assert_eq!(status["conditions"][0]["type"], "Ready", "{status}");
    assert_eq!(status["conditions"][0]["status"], "True", "{status}");
    // The agent's reads renew its heartbeat: the management plane shows the runtime Available.
    let runtimes: Api<compass_crds::Runtime> = Api::namespaced(
        management.client().await,
        compass_crds::well_known::DEFAULT_TENANT_NAMESPACE,
    );
    eventually("the runtime is Available", || async {
        let listed = runtimes.list(&ListParams::default()).await.ok()?;
        let edge = listed
            .items
            .into_iter()
            .find(|r| r.uid().as_deref() == Some(runtime_id.as_str()))?;
        let conditions = edge.status?.conditions;
        conditions
            .iter()
            .any(|c| c.type_ == "Available" && c.status == "True")
            .then_some(())
    })
    .await;
    let certificate = &status["connectionStatus"]["certificateStatus"];
    assert!(certificate["notAfter"].is_string(), "{status}");
    // The certificate's own notBefore (backdated by the Connector), not when it was acquired.
    let time = |field: &str| certificate[field].as_str()?.parse::<jiff::Timestamp>().ok();
    assert!(time("notBefore") < time("acquired"), "{status}");
    // The agent's report: its version, state, counts and certificate expiry on the Runtime.
    let reported = eventually("the runtime shows the agent's report", || async {
        let listed = runtimes.list(&ListParams::default()).await.ok()?;
        let edge = listed
            .items
            .into_iter()
            .find(|r| r.uid().as_deref() == Some(runtime_id.as_str()))?;
        let agent = edge.status?.agent?;
        (agent.report.applied_applications == Some(2)).then_some(agent)
    })
    .await;
    assert_eq!(
        reported.report.connection_state,
        Some(compass_crds::ConnectionState::Synchronized)
    );
    assert_eq!(reported.report.failed_applications, Some(0));
    assert!(reported.report.version.is_some() && reported.report.certificate_expiry.is_some());
    let wide = management.kubectl_ok(&[
        "get",
        "runtimes",
        "-n",
        compass_crds::well_known::DEFAULT_TENANT_NAMESPACE,
        "-o",
        "wide",
    ]);
    assert!(wide.contains("Synchronized"), "{wide}");
    // It reported the runtime's event service URL as the label the original agent set.
    let labels = api
        .default_tenant()
        .data(
            "query ($id: ID!) { runtime(id: $id) { labels } }",
            json!({ "id": runtime_id }),
        )
        .await;
    assert_eq!(
        labels["runtime"]["labels"]["runtime_eventServiceUrl"], "https://gateway.edge.example.com",
        "{labels}"
    );

    // The CRM leaves the runtime's scenarios: it goes, the shop stays, and an Event says why.
    api.allow_scenarios(&["DEFAULT", "OTHER"]).await;
    api.set_application_scenarios(&crm, &["OTHER"]).await;
    eventually("the unassigned application is deleted", || async {
        (applied(&runtime).await == vec![shop.clone()]).then_some(())
    })
    .await;
    let events = runtime_server.kubectl_ok(&["get", "events", "-A", "-o", "json"]);
    assert!(
        events.contains("Unassigned") && events.contains(&crm),
        "{events}"
    );

    // A restarted agent picks up its stored identity: no pairing (the token is spent), nothing
    // deleted, nothing written again (the Applications' digests say they are in place),
    // synchronised again.
    agent.stop().await;
    let before = connection_status(&runtime).await["synchronizationStatus"]["lastAttempt"].clone();
    let agent = RunningAgent::start(&runtime, options.clone());
    eventually("the restarted agent synchronises", || async {
        let status = connection_status(&runtime).await;
        (status["connectionState"] == "Synchronized"
            && status["synchronizationStatus"]["lastAttempt"] != before)
            .then_some(())
    })
    .await;
    assert_eq!(
        applied(&runtime).await,
        vec![shop.clone()],
        "nothing deleted on a restart"
    );
    assert_eq!(
        agent.metrics.applied.get(),
        0,
        "nothing written again on a restart"
    );

    // The management plane refuses the agent (its identity deleted): nothing is deleted, and
    // the connection says so.
    let auths = management.kubectl_ok(&[
        "delete",
        "systemauths",
        "--all",
        "-n",
        compass_crds::well_known::DEFAULT_TENANT_NAMESPACE,
    ]);
    assert!(auths.contains("deleted"), "{auths}");
    eventually("the agent reports the refusal", || async {
        let status = connection_status(&runtime).await;
        (status["connectionState"] == "ConnectionFailed"
            && status["conditions"][0]["status"] == "False")
            .then_some(())
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        applied(&runtime).await,
        vec![shop.clone()],
        "nothing deleted on a refusal"
    );

    agent.stop().await;
    director.stop().await;
}

/// With a full resynchronisation only every ten minutes, a newly assigned application still
/// arrives within the test's deadline (20 s): the push channel woke the agent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assignment_change_arrives_over_the_push_channel() {
    let management = TestServer::start().await;
    let director = management.start_director(Vec::new()).await;
    let api = &director.api;
    let first = api.register_application("first").await;
    let runtime_id = api.register_runtime("edge").await;
    let runtime_server = TestServer::start().await;
    let runtime = runtime_server.client().await;
    let overrides = api.agent_settings(&runtime_id).await;
    let agent = RunningAgent::start(&runtime, options(overrides, Duration::from_secs(600)));
    eventually("the first application is applied", || async {
        (applied(&runtime).await == vec![first.clone()]).then_some(())
    })
    .await;
    let second = api.register_application("second").await;
    let mut both = vec![first.clone(), second.clone()];
    both.sort();
    eventually(
        "the second application arrives without a resync",
        || async { (applied(&runtime).await == both).then_some(()) },
    )
    .await;

    // The runtime leaves DEFAULT: every application goes (more than the guard's share, so a
    // second complete answer confirmed it first); back in DEFAULT, both return.
    api.allow_scenarios(&["DEFAULT", "OTHER"]).await;
    let tenant = api.default_tenant();
    let set_runtime_scenarios = |names: &'static [&'static str]| {
        tenant.data(
            "mutation ($id: ID!, $names: Any!) { setRuntimeLabel(runtimeID: $id, key: \"scenarios\", value: $names) { key } }",
            json!({ "id": runtime_id, "names": names }),
        )
    };
    set_runtime_scenarios(&["OTHER"]).await;
    eventually(
        "the runtime's applications go with its scenario",
        || async { applied(&runtime).await.is_empty().then_some(()) },
    )
    .await;
    set_runtime_scenarios(&["DEFAULT"]).await;
    eventually("they come back with it", || async {
        (applied(&runtime).await == both).then_some(())
    })
    .await;
    agent.stop().await;
    director.stop().await;
}

/// The agents' report door: only the runtime's own agent may send a report, only a well-formed
/// one is kept, and a refused one leaves the kept report as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_runtimes_own_agent_reports_and_only_well_formed_reports_are_kept() {
    use compass_api::client::DirectorClient;
    use k8s_openapi::api::coordination::v1::Lease;

    let management = TestServer::start().await;
    let director = management.start_director(Vec::new()).await;
    let api = &director.api;
    let edge = api.register_runtime("edge").await;
    let other = api.register_runtime("other").await;
    let identity = api.pair(&api.runtime_token(&edge).await).await;
    let agent = DirectorClient::builder(&api.url)
        .trust_pem(&api.ca_pem)
        .certificate(&identity.certificate_chain_pem, &identity.key_pem)
        .build()
        .unwrap();
    let admin = DirectorClient::builder(&api.url)
        .trust_pem(&api.ca_pem)
        .build()
        .unwrap();
    let token = management.control_plane.admin_token.as_str();
    let tenant = compass_crds::well_known::DEFAULT_TENANT_EXTERNAL_ID;
    // `request` sends no bearer token of its own: the admin's goes as a header.
    let put = |client: &DirectorClient, bearer: Option<&str>, id: &str, body: &str| {
        let path = compass_api::server::AGENT_REPORT_PATH.replace("{id}", id);
        let client = client.clone();
        let body = body.as_bytes().to_vec();
        let authorization = bearer.map(|token| format!("Bearer {token}"));
        async move {
            let mut headers = vec![("tenant", tenant), ("content-type", "application/json")];
            if let Some(authorization) = &authorization {
                headers.push(("authorization", authorization.as_str()));
            }
            let answer = client
                .request(http::Method::PUT, &path, &headers, body)
                .await
                .unwrap();
            let text = String::from_utf8_lossy(answer.body()).into_owned();
            (answer.status().as_u16(), text)
        }
    };
    let good = r#"{"version":"1.0.0","connectionState":"Synchronized","appliedApplications":3}"#;
    assert_eq!(put(&agent, None, &edge, good).await.0, 204);

    let (status, body) = put(&agent, None, &edge, r#"{"colour":"red"}"#).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("colour: unknown field"), "{body}");
    let (status, body) = put(&agent, None, &edge, r#"{"appliedApplications":-4}"#).await;
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("appliedApplications"), "{body}");
    let (status, body) = put(&agent, None, &other, good).await;
    assert_eq!(status, 403, "another runtime's report: {body}");
    let (status, body) = put(&admin, Some(token), &edge, good).await;
    assert_eq!(status, 403, "not an agent: {body}");

    let leases: Api<Lease> = Api::namespaced(
        management.client().await,
        compass_crds::well_known::DEFAULT_TENANT_NAMESPACE,
    );
    let lease = leases.get("edge-agent").await.unwrap();
    let kept = &lease.annotations()[compass_crds::AGENT_REPORT_ANNOTATION];
    let kept: serde_json::Value = serde_json::from_str(kept).unwrap();
    assert_eq!(kept["version"], "1.0.0", "{kept}");
    assert_eq!(kept["appliedApplications"], 3, "{kept}");
    assert!(leases.get_opt("other-agent").await.unwrap().is_none());
    director.stop().await;
}
