//! The Runtime Agent end to end, with two control planes: the management plane's (operator and
//! API) and a bare one for the runtime. The agent pairs through a runtime token from its
//! configuration Secret, applies the applications of the runtime's scenarios as Kyma
//! Applications, deletes one only when the management plane positively no longer assigns it,
//! and keeps everything when it can no longer reach the management plane with its certificate.

use std::time::Duration;

use compass_agent::{
    APPLICATION_ID_LABEL,
    connection::{CONNECTION_NAME, CompassConnection},
    kyma,
    run::{AgentOptions, run},
};
use compass_tests::{TestServer, eventually};
use k8s_openapi::api::core::v1::{Namespace, Secret};
use kube::{
    Api, Client, ResourceExt,
    api::{ListParams, ObjectMeta, PostParams},
};
use serde_json::{Value, json};

/// The agent's configuration Secret in the runtime, as an operator of the runtime writes it.
async fn configure(runtime: &Client, data: &[(&str, &str)]) {
    let namespaces: Api<Namespace> = Api::all(runtime.clone());
    let namespace = Namespace {
        metadata: ObjectMeta {
            name: Some("compass-system".into()),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    };
    let _ = namespaces.create(&PostParams::default(), &namespace).await;
    let secret = Secret {
        metadata: ObjectMeta {
            name: Some("compass-agent-configuration".into()),
            namespace: Some("compass-system".into()),
            ..ObjectMeta::default()
        },
        string_data: Some(
            data.iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        ),
        ..Secret::default()
    };
    let secrets: Api<Secret> = Api::namespaced(runtime.clone(), "compass-system");
    secrets
        .create(&PostParams::default(), &secret)
        .await
        .unwrap();
}

/// The ids of the applications the runtime holds.
async fn applied(runtime: &Client) -> Vec<String> {
    let applications: Api<kyma::Application> = Api::all(runtime.clone());
    let mut ids: Vec<String> = applications
        .list(&ListParams::default())
        .await
        .map(|list| list.items)
        .unwrap_or_default()
        .iter()
        .filter_map(|a| a.labels().get(APPLICATION_ID_LABEL).cloned())
        .collect();
    ids.sort();
    ids
}

/// `CompassConnection`'s status as JSON.
async fn connection_status(runtime: &Client) -> Value {
    let connections: Api<CompassConnection> = Api::all(runtime.clone());
    match connections.get_opt(CONNECTION_NAME).await {
        Ok(Some(connection)) => serde_json::to_value(connection).unwrap()["status"].clone(),
        _ => Value::Null,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_agent_pairs_applies_assigned_applications_and_deletes_only_on_a_positive_answer() {
    let management = TestServer::start().await;
    let director = management.start_director(Vec::new()).await;
    let api = &director.api;
    let shop = api.register_application("shop").await;
    let crm = api.register_application("crm").await;
    let runtime_id = api.register_runtime("edge").await;
    let invitation = api.runtime_token(&runtime_id).await;

    let runtime_server = TestServer::start().await;
    let runtime = runtime_server.client().await;
    let tenant = compass_crds::well_known::DEFAULT_TENANT_EXTERNAL_ID;
    configure(
        &runtime,
        &[
            ("CONNECTOR_URL", invitation.connector_url.as_str()),
            ("RUNTIME_ID", runtime_id.as_str()),
            ("TENANT", tenant),
            ("TOKEN", invitation.token.as_str()),
            ("CA_CERT", management.control_plane.ca_pem.as_str()),
        ],
    )
    .await;
    let options = AgentOptions {
        namespace: "compass-system".into(),
        overrides: Default::default(),
        sync_interval: Duration::from_millis(500),
        delete_guard: 0.5,
        event_service_url: Some("https://gateway.edge.example.com".into()),
        console_url: None,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let agent = tokio::spawn(run(runtime.clone(), options.clone(), async {
        let _ = stopped.await;
    }));

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
    assert!(
        status["connectionStatus"]["certificateStatus"]["notAfter"].is_string(),
        "{status}"
    );
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
    let schema = json!({
        "type": "array", "minItems": 1, "uniqueItems": true,
        "items": {
            "type": "string",
            "pattern": "^[A-Za-z0-9]([-_A-Za-z0-9\\s]*[A-Za-z0-9])$",
            "maxLength": 128,
            "enum": ["DEFAULT", "OTHER"],
        },
    });
    api.default_tenant()
        .data(
            "mutation ($in: LabelDefinitionInput!) { updateLabelDefinition(in: $in) { key } }",
            json!({ "in": { "key": "scenarios", "schema": schema.to_string() } }),
        )
        .await;
    api.default_tenant()
        .data(
            "mutation ($id: ID!) { setApplicationLabel(applicationID: $id, key: \"scenarios\", value: [\"OTHER\"]) { key } }",
            json!({ "id": crm }),
        )
        .await;
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
    // deleted, synchronised again.
    let _ = stop.send(());
    agent.await.unwrap().unwrap();
    let before = connection_status(&runtime).await["synchronizationStatus"]["lastAttempt"].clone();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let agent = tokio::spawn(run(runtime.clone(), options.clone(), async {
        let _ = stopped.await;
    }));
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

    let _ = stop.send(());
    agent.await.unwrap().unwrap();
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
    let invitation = api.runtime_token(&runtime_id).await;
    let runtime_server = TestServer::start().await;
    let runtime = runtime_server.client().await;
    let tenant = compass_crds::well_known::DEFAULT_TENANT_EXTERNAL_ID;
    let overrides = [
        ("CONNECTOR_URL", invitation.connector_url.as_str()),
        ("RUNTIME_ID", runtime_id.as_str()),
        ("TENANT", tenant),
        ("TOKEN", invitation.token.as_str()),
        ("CA_CERT", management.control_plane.ca_pem.as_str()),
    ];
    let options = AgentOptions {
        namespace: "compass-system".into(),
        overrides: overrides
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        sync_interval: Duration::from_secs(600),
        delete_guard: 0.5,
        event_service_url: None,
        console_url: None,
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let agent = tokio::spawn(run(runtime.clone(), options, async {
        let _ = stopped.await;
    }));
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
    let _ = stop.send(());
    agent.await.unwrap().unwrap();
    director.stop().await;
}
