//! Walking the Director's pages: the cursor of every page of a paged field, found with a light
//! query of its own so that walking keeps no answer a measurement will ask for; timing the
//! nested page query asked again, or once after each cursor; and reading a page's answer as a
//! typed client does.

use std::{collections::HashMap, ops::Range};

use compass_api::client::DirectorClient;
use serde_json::{Value, json};

use super::{
    APPLICATIONS_PAGE, CONCURRENCY, Figures, Load, Server, cpu_times, measure, measure_under,
    read::Listed, typed_data,
};

/// A light query walking the pages of `applications`, asked only to find every page's cursor.
pub const APPLICATIONS_WALK: &str = "query ($after: PageCursor) { applications(first: 100, after: $after) { data { id name } pageInfo { endCursor hasNextPage } } }";

/// The `after` of every page that `query` (taking `$after`, asking for one paged field with
/// `pageInfo { endCursor hasNextPage }` and `data { id name }`) pages through: `null` for the
/// first; with the ids and names of everything listed. `variables` are sent with each page.
pub async fn walk(
    director: &DirectorClient,
    query: &str,
    variables: Value,
) -> (Vec<Value>, Vec<(String, String)>) {
    let mut cursors = vec![Value::Null];
    let mut listed = Vec::new();
    loop {
        let mut asked = variables.clone();
        asked["after"] = cursors.last().cloned().unwrap_or_default();
        let page = read_page(director, query, asked).await;
        listed.extend(page.data.into_iter().map(|item| (item.id, item.name)));
        match page.page_info {
            Some(info) if info.has_next_page => cursors.push(Value::from(info.end_cursor)),
            _ => return (cursors, listed),
        }
    }
}

/// Times [`APPLICATIONS_PAGE`] (the first page) asked `times` times, after asking it once: an
/// answer the Director keeps.
pub async fn page_asked_again(director: &DirectorClient, times: usize) -> Figures {
    full(read_page(director, APPLICATIONS_PAGE, json!({})).await);
    measure(times, |_| {
        let director = director.clone();
        async move { full(read_page(&director, APPLICATIONS_PAGE, json!({})).await) }
    })
    .await
}

/// Times [`APPLICATIONS_PAGE`] asked once after each of `cursors` (each a full page) in each of
/// `rounds` rounds ([`Rounds`]), [`CONCURRENCY`] at a time: answers the Director computes,
/// `rounds` times as many as there are pages.
pub async fn each_page_once(
    director: &DirectorClient,
    cursors: &[Value],
    rounds: usize,
) -> Figures {
    let rounds = Rounds::new(APPLICATIONS_PAGE, cursors, 0..rounds);
    each_once(
        director,
        &rounds,
        json!({}),
        Load::InFlight(CONCURRENCY),
        &full,
    )
    .await
}

/// Times each call of `rounds` under `load`, with `variables` besides its `after`; every page
/// read goes to `check`.
pub async fn each_once(
    director: &DirectorClient,
    rounds: &Rounds<'_>,
    variables: Value,
    load: Load,
    check: &impl Fn(Listed),
) -> Figures {
    measure_under(load, rounds.len(), |i| {
        let director = director.clone();
        let (query, after) = rounds.ask(i);
        let mut variables = variables.clone();
        variables["after"] = after;
        async move { check(read_page(&director, &query, variables).await) }
    })
    .await
}

/// `query` asked after each of `cursors` in `rounds` rounds of new texts (answers computed),
/// with `variables`, each page read going to `check`: first [`CONCURRENCY`] in flight, then
/// the same number of new questions sent at half the rate that reached, so that what a page
/// takes is seen without the queue a saturated server builds. Each with the server's CPU and
/// its own timing. `director`'s connections are open already: a new client's TLS handshakes
/// would fall on the first pages measured.
pub async fn computed_twice(
    server: &Server,
    director: &DirectorClient,
    query: &str,
    cursors: &[Value],
    rounds: usize,
    variables: Value,
    check: &impl Fn(Listed),
) -> [Figures; 2] {
    let pid = server.pid();
    let run = |numbered, load| {
        let rounds = Rounds::new(query, cursors, numbered);
        let (director, variables) = (director.clone(), variables.clone());
        async move {
            let cpu = cpu_times(pid);
            let pages = each_once(&director, &rounds, variables, load, check).await;
            pages.on_server(pid, cpu)
        }
    };
    let saturated = server
        .timed(run(0..rounds, Load::InFlight(CONCURRENCY)))
        .await;
    let rate = saturated.latencies.len() as f64 / saturated.elapsed.as_secs_f64() / 2.0;
    let paced = server
        .timed(run(rounds..2 * rounds, Load::PerSecond(rate)))
        .await;
    [saturated, paced]
}

/// Each of some cursors asked once per round, every round under an operation name of its own
/// ([`named`]), so that no answer kept from an earlier round answers a later one.
pub struct Rounds<'a> {
    queries: Vec<String>,
    cursors: &'a [Value],
}

impl<'a> Rounds<'a> {
    /// `query` after each of `cursors`, in the rounds numbered `rounds` (rounds of another
    /// number are other questions).
    pub fn new(query: &str, cursors: &'a [Value], rounds: Range<usize>) -> Self {
        let queries = rounds.map(|round| named(query, round)).collect();
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

/// Fails unless `page` holds 100 applications, each with its id and name.
pub fn full(page: Listed) {
    assert_eq!(page.data.len(), 100);
    let unnamed = page
        .data
        .iter()
        .find(|a| a.id.is_empty() || a.name.is_empty());
    assert!(unnamed.is_none(), "an application without id or name");
}

/// The one paged field that `query` with `variables` answers, read as a typed client reads it
/// ([`typed_data`]). Fails when the operation has errors.
pub async fn read_page(director: &DirectorClient, query: &str, variables: Value) -> Listed {
    let fields: HashMap<String, Listed> = typed_data(director, query, variables).await;
    fields.into_values().next().expect("a paged field")
}
