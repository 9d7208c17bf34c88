//! Batches of Director operations: each operation answered in its place with the answer kept
//! for the same question when there is one (counted as reused, as for a single request), each
//! following changes made behind the Director's back, and kept answers charged against the
//! batch's one answer bound; a page over the bound refused whole on either way of charging it.

use std::sync::Arc;

use compass_api::metrics::ApiMetrics;
use compass_crds::well_known::DEFAULT_TENANT_NAMESPACE;
use compass_tests::{TestServer, api_config, eventually};
use serde_json::{Value, json};

use crate::audit_and_limits::readings::scrape;

const APPLICATION: &str = "query ($id: ID!) { application(id: $id) { name description } }";
const COUNT: &str = "{ applications { totalCount } }";

/// How many answers `metrics` counted as reused.
async fn reused(metrics: &ApiMetrics) -> u64 {
    let prefix = "compass_api_director_answers_total{event=\"reused\"} ";
    let scraped = scrape(metrics).await;
    let line = scraped.lines().find_map(|line| line.strip_prefix(prefix));
    line.and_then(|count| count.trim().parse().ok())
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_reuses_kept_answers_follows_changes_and_charges_them_to_its_bound() {
    let server = TestServer::start().await;
    let metrics = Arc::new(ApiMetrics::default());
    let mut config = api_config(Vec::new());
    config.metrics = metrics.clone();
    // Room for two answers of the application below in one request, not three.
    config.limits.answer_bytes = 2_500;
    let director = server.start_director_with(config).await;
    let tenant = director.api.default_tenant();
    let description = "d".repeat(1_000);
    let id = tenant
        .data(
            "mutation ($in: ApplicationRegisterInput!) { registerApplication(in: $in) { id } }",
            json!({ "in": { "name": "batched", "description": description } }),
        )
        .await["registerApplication"]["id"]
        .clone();
    let asked = json!({ "query": APPLICATION, "variables": { "id": id } });
    let batch_of = |operations: &[&Value]| json!(operations).to_string().into_bytes();

    // Asked alone (computed and kept), then twice in a batch beside another question: each in
    // its place, with the answer kept, counted as reused. (The operator's status writes make
    // kept answers stale until the application is settled, hence the rounds.)
    let count = json!({ "query": COUNT });
    let alone = eventually("a batch answered with kept answers", || async {
        let alone = tenant.data(APPLICATION, json!({ "id": id })).await;
        let before = reused(&metrics).await;
        let answers = tenant.post(batch_of(&[&asked, &count, &asked])).await.body;
        assert_eq!(answers[0]["data"], alone, "{answers}");
        assert_eq!(answers[1]["data"]["applications"]["totalCount"], 1);
        assert_eq!(answers[2]["data"], alone);
        // Every operation of the batch reused: the count too, kept from the round before.
        (reused(&metrics).await == before + 3).then_some(alone)
    })
    .await;
    assert_eq!(alone["application"]["description"], description.as_str());

    // Kept answers count against the batch's bound: the first two fit, the third does not (it
    // is computed again, and stopped at the bound), and the two before it stand.
    let answers = tenant.post(batch_of(&[&asked, &asked, &asked])).await.body;
    assert_eq!(answers[0]["data"], alone, "{answers}");
    assert_eq!(answers[1]["data"], alone);
    let refusal = answers[2]["errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(refusal.contains("larger than 2500 bytes"), "{answers}");
    assert!(answers[2]["data"].is_null(), "{answers}");

    // Changed with kubectl: the batch's next answers show the change.
    server.kubectl_ok(&[
        "patch",
        "application",
        "batched",
        "-n",
        DEFAULT_TENANT_NAMESPACE,
        "--type",
        "merge",
        "-p",
        r#"{"spec":{"description":"second"}}"#,
    ]);
    eventually("the batch sees the change made with kubectl", || async {
        let answers = tenant.post(batch_of(&[&asked, &asked])).await.body;
        let seen = |at: usize| answers[at]["data"]["application"]["description"].clone();
        (seen(0) == "second" && seen(1) == "second").then_some(())
    })
    .await;

    // A page larger than the bound is refused whole, when its text is new (every field charged)
    // and when it is kept (charged application by application, the per-field hooks left out).
    for name in ["big-1", "big-2", "big-3"] {
        tenant
            .data(
                "mutation ($in: ApplicationRegisterInput!) { registerApplication(in: $in) { id } }",
                json!({ "in": { "name": name, "description": description } }),
            )
            .await;
    }
    let page = "{ applications { data { name description } } }";
    for asked in ["new", "kept"] {
        let answer = tenant.send(page, json!({})).await;
        let (message, _) = answer.error();
        assert!(
            message.contains("larger than 2500 bytes"),
            "{asked}: {message}"
        );
        assert!(answer.body["data"].is_null(), "{asked}: {}", answer.body);
    }
    director.stop().await;
}
