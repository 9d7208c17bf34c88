//! Agents of the original kind, which poll `applicationsForRuntime` with their certificate and
//! know nothing of the push channel, are still served: without paging arguments they get every
//! application of their scenarios at once, with `first` and `after` page by page; another
//! runtime's assignment is refused them.

use std::collections::BTreeSet;

use compass_crds::well_known::DEFAULT_TENANT_EXTERNAL_ID;
use compass_tests::TestServer;
use serde_json::{Value, json};

/// The original agent's query: no paging arguments.
const UNPAGED: &str = "query ($id: ID!) { applicationsForRuntime(runtimeID: $id) { data { id name } pageInfo { hasNextPage } totalCount } }";
/// The same, a page of two at a time.
const PAGED: &str = "query ($id: ID!, $after: PageCursor) { applicationsForRuntime(runtimeID: $id, first: 2, after: $after) { data { id name } pageInfo { endCursor hasNextPage } totalCount } }";

/// The names of the applications of one `applicationsForRuntime` page.
fn names(page: &Value) -> Vec<String> {
    let data = page["data"].as_array().expect("a list of applications");
    data.iter()
        .map(|a| a["name"].as_str().expect("a name").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_polling_agent_reads_its_applications_whole_or_by_pages_and_no_other_runtimes() {
    let management = TestServer::start().await;
    let director = management.start_director(Vec::new()).await;
    let api = &director.api;
    for name in ["billing", "orders", "shop"] {
        api.register_application(name).await;
    }
    api.allow_scenarios(&["DEFAULT", "OTHER"]).await;
    let elsewhere = api.register_application("elsewhere").await;
    api.set_application_scenarios(&elsewhere, &["OTHER"]).await;
    let edge = api.register_runtime("edge").await;
    let neighbour = api.register_runtime("neighbour").await;
    let identity = api.pair(&api.runtime_token(&edge).await).await;
    // As the original agent: its certificate, and the Tenant header.
    let agent = api
        .director_as(&identity)
        .tenant(DEFAULT_TENANT_EXTERNAL_ID);
    let expected = ["billing", "orders", "shop"].map(str::to_owned);

    let whole = agent.data(UNPAGED, json!({ "id": edge })).await;
    let whole = &whole["applicationsForRuntime"];
    let mut seen = names(whole);
    seen.sort();
    assert_eq!(seen, expected, "{whole}");
    assert_eq!(whole["totalCount"], 3, "{whole}");
    assert_eq!(whole["pageInfo"]["hasNextPage"], false, "{whole}");

    let pages = agent
        .pages(
            PAGED,
            json!({ "id": edge }),
            |data| &data["applicationsForRuntime"],
        )
        .await;
    assert_eq!(pages.len(), 2, "{pages:?}");
    assert_eq!(names(&pages[0]).len(), 2, "{pages:?}");
    let paged: BTreeSet<String> = pages.iter().flat_map(names).collect();
    assert_eq!(paged, BTreeSet::from(expected), "{pages:?}");
    assert!(pages.iter().all(|p| p["totalCount"] == 3), "{pages:?}");

    let refused = agent.send(UNPAGED, json!({ "id": neighbour })).await;
    let (message, code) = refused.error();
    assert!(
        refused.body["data"]["applicationsForRuntime"].is_null(),
        "{}",
        refused.body
    );
    assert_eq!(code, "INSUFFICIENT_SCOPES", "{message}");
    director.stop().await;
}
