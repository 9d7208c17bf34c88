//! Outbound calls a tenant can aim are guarded: a tenant-restricted user registers, through
//! GraphQL, fetch requests and webhooks pointing at the control plane, loopback in its other
//! spellings, the cloud metadata address and a redirect inward. The operator connects to none of
//! them, the Director returns no content, every refusal reads the same whether something listens
//! or not, and only the destination the operator allowed is reached.

use std::time::Duration;

use axum::{
    Router,
    response::Redirect,
    routing::{get, post},
};
use compass_api::gateway::{StaticUser, digest};
use compass_crds::well_known::{DEFAULT_TENANT_EXTERNAL_ID, DEFAULT_TENANT_NAMESPACE};
use compass_operator::{controllers::OperatorConfig, http::guard::OutboundPolicy};
use compass_tests::{TestServer, eventually};
use serde_json::{Value, json};

const REGISTER: &str =
    "mutation ($in: ApplicationRegisterInput!) { registerApplication(in: $in) { id } }";
const SPECS: &str = "query ($id: ID!) { application(id: $id) { apiDefinitions { data { name spec { data fetchRequest { status { condition } } } } } } }";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_cannot_make_the_operator_reach_internal_addresses() {
    let server = TestServer::start().await;
    // The one allowed destination: a spec server, which also redirects inward.
    let apiserver = url::Url::parse(&server.control_plane.url).unwrap();
    let apiserver_port = apiserver.port().unwrap();
    let inward = format!("https://127.0.0.1:{apiserver_port}/version");
    let hooks = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = hooks.clone();
    let router = Router::new()
        .route("/spec", get(|| async { "openapi: 3.0.0\n" }))
        .route("/moved", get(|| async { Redirect::temporary("/spec") }))
        .route(
            "/inward",
            get(move || async move { Redirect::temporary(&inward) }),
        )
        .route(
            "/hook",
            post(move || async move {
                counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                "{}"
            }),
        );
    let base = compass_tests::serve(router).await;
    let allowed = base.trim_start_matches("http://").to_owned();
    let config = OperatorConfig {
        fetch_timeout: Duration::from_secs(3),
        webhook_timeout: Duration::from_secs(3),
        outbound: OutboundPolicy::new(vec![allowed.to_string().parse().unwrap()]),
        ..OperatorConfig::default()
    };
    let operator = server.start_operator(config).await;
    let tenant_user = StaticUser {
        name: "tenant-admin".into(),
        token_sha256: digest("tenant-token"),
        scopes: ["application:read", "application:write"]
            .map(str::to_owned)
            .into(),
        tenants: [DEFAULT_TENANT_EXTERNAL_ID.to_owned()].into(),
    };
    let api = server.start_api(vec![tenant_user]).await;
    server.wait_tenant_ready("default").await;
    let tenant = api
        .admin
        .tenant(DEFAULT_TENANT_EXTERNAL_ID)
        .with_token("tenant-token");

    let refused = [
        (
            "apiserver",
            format!("https://127.0.0.1:{apiserver_port}/version"),
        ),
        ("closed", "http://127.0.0.1:1/metrics".to_owned()),
        (
            "localhost",
            format!("http://localhost:{apiserver_port}/version"),
        ),
        (
            "decimal",
            format!("http://2130706433:{apiserver_port}/version"),
        ),
        (
            "unspecified",
            format!("http://0.0.0.0:{apiserver_port}/version"),
        ),
        (
            "mapped",
            format!("http://[::ffff:127.0.0.1]:{apiserver_port}/version"),
        ),
        (
            "ipv6loopback",
            format!("http://[::1]:{apiserver_port}/version"),
        ),
        (
            "metadata",
            "http://169.254.169.254/latest/meta-data/".to_owned(),
        ),
        ("private", "http://10.0.0.1/spec".to_owned()),
        ("redirect", format!("http://{allowed}/inward")),
    ];
    let mut definitions: Vec<Value> = refused
        .iter()
        .map(|(name, url)| api_definition(name, url))
        .collect();
    definitions.push(api_definition(
        "allowed",
        &format!("http://{allowed}/moved"),
    ));
    let input = json!({
        "name": "prober",
        "apiDefinitions": definitions,
        // Webhooks are called in order, so the allowed one is reached before the refused one.
        "webhooks": [{ "type": "CONFIGURATION_CHANGED", "url": format!("http://{allowed}/hook") },
                     { "type": "CONFIGURATION_CHANGED", "url": format!("https://127.0.0.1:{apiserver_port}/api") }],
    });
    let id = tenant.data(REGISTER, json!({ "in": input })).await["registerApplication"]["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Every fetch settles: the allowed one (through a redirect on the same host) succeeds, the
    // rest fail without content.
    let specs = eventually("every fetch request settles", || async {
        let app = tenant.data(SPECS, json!({ "id": id })).await;
        let data = app["application"]["apiDefinitions"]["data"]
            .as_array()?
            .clone();
        data.iter()
            .all(|d| d["spec"]["fetchRequest"]["status"]["condition"] != "INITIAL")
            .then_some(data)
    })
    .await;
    for definition in &specs {
        let name = definition["name"].as_str().unwrap();
        let condition = &definition["spec"]["fetchRequest"]["status"]["condition"];
        if name == "allowed" {
            assert_eq!(condition, "SUCCEEDED", "{definition}");
            assert_eq!(definition["spec"]["data"], "openapi: 3.0.0\n");
        } else {
            assert_eq!(condition, "FAILED", "{definition}");
            assert!(definition["spec"]["data"].is_null(), "{definition}");
        }
    }

    // The reasons, as kubectl shows them, say the destination is refused and read the same for
    // an open port, a closed port and an address that does not answer at all.
    let object = server.kubectl_ok(&[
        "get",
        "application",
        "prober",
        "-n",
        DEFAULT_TENANT_NAMESPACE,
        "-o",
        "json",
    ]);
    let object: Value = serde_json::from_str(&object).unwrap();
    let statuses = object["status"]["apiDefinitions"].as_array().unwrap();
    let mut reasons = Vec::new();
    for (name, _) in &refused {
        let status = statuses
            .iter()
            .find(|s| s["name"] == *name)
            .unwrap_or_else(|| panic!("no status for {name}: {object}"));
        let message = status["fetch"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("is not an address outbound calls may reach"),
            "{name}: {message}"
        );
        assert!(!message.contains("refused (os error") && !message.contains("timed out"));
        // Everything after the host is the same for every refusal.
        let after = message.split_once(" is not ").map(|(_, rest)| rest);
        reasons.push(after.unwrap_or(message).to_owned());
    }
    reasons.dedup();
    assert_eq!(reasons.len(), 1, "refusals differ: {reasons:?}");

    // The webhook to the API server is refused; the allowed one is delivered.
    let runtime = "mutation { registerRuntime(in: { name: \"edge\" }) { id } }";
    api.admin
        .tenant(DEFAULT_TENANT_EXTERNAL_ID)
        .data(runtime, json!({}))
        .await;
    eventually("the allowed webhook is delivered", || async {
        (hooks.load(std::sync::atomic::Ordering::SeqCst) > 0).then_some(())
    })
    .await;
    let webhook_condition = eventually("the refused webhook is reported", || async {
        let text = server.kubectl_ok(&[
            "get",
            "application",
            "prober",
            "-n",
            DEFAULT_TENANT_NAMESPACE,
            "-o",
            "jsonpath={.status.conditions[?(@.type==\"WebhooksDelivered\")].message}",
        ]);
        text.contains("is not an address outbound calls may reach")
            .then_some(text)
    })
    .await;
    assert!(
        webhook_condition.contains("127.0.0.1"),
        "{webhook_condition}"
    );

    api.stop().await;
    operator.stop().await;
    server.stop().await;
}

fn api_definition(name: &str, url: &str) -> Value {
    json!({
        "name": name,
        "targetURL": "https://shop.example.com",
        "spec": { "type": "OPEN_API", "format": "YAML", "fetchRequest": { "url": url } },
    })
}
