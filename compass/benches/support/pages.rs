//! Walking the Director's pages: the cursor of every page of a paged field, found with a light
//! query of its own so that walking keeps no answer a measurement will ask for.

use compass_api::client::DirectorClient;
use serde_json::{Value, json};

use super::data;

/// A light query walking the pages of `applications`, asked only to find every page's cursor.
pub const APPLICATIONS_WALK: &str = "query ($after: PageCursor) { applications(first: 100, after: $after) { data { id name } pageInfo { endCursor hasNextPage } } }";

/// The `after` of every page of the field `field` that `query` (taking `$after`, selecting
/// `pageInfo { endCursor hasNextPage }` and `data { id name }`) pages through: `null` for the
/// first; with the ids and names of everything listed. `variables` are sent with each page.
pub async fn walk(
    director: &DirectorClient,
    query: &str,
    field: &str,
    variables: Value,
) -> (Vec<Value>, Vec<(String, String)>) {
    let mut cursors = vec![Value::Null];
    let mut listed = Vec::new();
    loop {
        let mut asked = variables.clone();
        asked["after"] = cursors.last().cloned().unwrap_or_default();
        let answer = data(director, query, asked).await;
        let page = &answer[field];
        for item in page["data"].as_array().into_iter().flatten() {
            let id = item["id"].as_str().unwrap_or_default().to_owned();
            let name = item["name"].as_str().unwrap_or_default().to_owned();
            listed.push((id, name));
        }
        if page["pageInfo"]["hasNextPage"] != json!(true) {
            return (cursors, listed);
        }
        cursors.push(page["pageInfo"]["endCursor"].clone());
    }
}
