//! Walking the Director's pages: the cursor of every page of a paged field, found with a light
//! query of its own so that walking keeps no answer a measurement will ask for; and timing the
//! nested page query asked again, or once after each cursor.

use compass_api::client::DirectorClient;
use serde_json::{Value, json};

use super::{APPLICATIONS_PAGE, Figures, data, measure};

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

/// Times [`APPLICATIONS_PAGE`] (the first page) asked `times` times, after asking it once: an
/// answer the Director keeps.
pub async fn page_asked_again(director: &DirectorClient, times: usize) -> Figures {
    full_page(data(director, APPLICATIONS_PAGE, json!({})).await);
    measure(times, |_| {
        let director = director.clone();
        async move { full_page(data(&director, APPLICATIONS_PAGE, json!({})).await) }
    })
    .await
}

/// Times [`APPLICATIONS_PAGE`] asked once after each of `cursors` (each a full page) in each of
/// `rounds` rounds ([`Rounds`]): answers the Director computes, `rounds` times as many as there
/// are pages.
pub async fn each_page_once(
    director: &DirectorClient,
    cursors: &[Value],
    rounds: usize,
) -> Figures {
    let rounds = Rounds::new(APPLICATIONS_PAGE, cursors, rounds);
    measure(rounds.len(), |i| {
        let director = director.clone();
        let (query, after) = rounds.ask(i);
        async move { full_page(data(&director, &query, json!({ "after": after })).await) }
    })
    .await
}

/// Each of some cursors asked once per round, every round under an operation name of its own
/// ([`named`]), so that no answer kept from an earlier round answers a later one.
pub struct Rounds<'a> {
    queries: Vec<String>,
    cursors: &'a [Value],
}

impl<'a> Rounds<'a> {
    /// `query` after each of `cursors`, in `rounds` rounds.
    pub fn new(query: &str, cursors: &'a [Value], rounds: usize) -> Self {
        let queries = (0..rounds).map(|round| named(query, round)).collect();
        Self { queries, cursors }
    }

    /// How many calls the rounds make.
    pub fn len(&self) -> usize {
        self.queries.len() * self.cursors.len()
    }

    /// Call `i`'s query text and cursor.
    pub fn ask(&self, i: usize) -> (String, Value) {
        let query = self.queries[i / self.cursors.len()].clone();
        (query, self.cursors[i % self.cursors.len()].clone())
    }
}

/// `query` (starting `query (`) with its operation named after `round`: another question for
/// the Director, so the answers kept for the rounds before do not answer it.
fn named(query: &str, round: usize) -> String {
    let named = query.replacen("query (", &format!("query Round{round} ("), 1);
    assert_ne!(named, query, "an unnamed query taking variables");
    named
}

/// Fails unless `data` holds a page of 100 applications.
fn full_page(data: Value) {
    assert_eq!(
        data["applications"]["data"].as_array().map(Vec::len),
        Some(100)
    );
}
