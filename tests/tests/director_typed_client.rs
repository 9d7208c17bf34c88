//! The Director's client reading answers into the caller's own types, as a client generated
//! from the schema does (the benches read so): the fields asked for read, an answer of another
//! shape an error that quotes it.

use crate::director_application_env;

use director_application_env::{Env, register};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_typed_client_reads_the_fields_it_asks_for_and_an_answer_of_another_shape_is_named() {
    #[derive(serde::Deserialize)]
    struct Answer {
        data: Listing,
    }
    #[derive(serde::Deserialize)]
    struct Listing {
        applications: Page,
    }
    #[derive(serde::Deserialize)]
    struct Page {
        data: Vec<Named>,
        #[serde(rename = "totalCount")]
        total_count: usize,
    }
    #[derive(serde::Deserialize)]
    struct Named {
        name: String,
    }
    let env = Env::start().await;
    register(&env.client, json!({ "name": "typed-read" })).await;
    let client = env.client.client();
    let query = "{ applications { data { name description labels } totalCount } }";
    let (status, answer) = client.execute_as::<Answer>(query, json!({})).await.unwrap();
    let names: Vec<&str> = answer
        .data
        .applications
        .data
        .iter()
        .map(|a| a.name.as_str())
        .collect();
    assert_eq!(
        (status, names, answer.data.applications.total_count),
        (200, vec!["typed-read"], 1)
    );

    // An answer with errors and no data is not an `Answer`: the error quotes it.
    let wrong = "{ applications { data { nameless } } }";
    let error = client
        .execute_as::<Answer>(wrong, json!({}))
        .await
        .err()
        .unwrap();
    assert!(
        error.contains("is not as expected") && error.contains("nameless"),
        "{error}"
    );
    env.stop().await;
}
