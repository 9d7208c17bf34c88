//! GraphQL for tests: the product's Director client, with answers that fail the test when they
//! are not what the test expects.

use compass_api::client::{Answer, DirectorClient};
use serde_json::Value;

/// One caller of the Director: a URL, a bearer token and (optionally) a tenant.
#[derive(Clone)]
pub struct Graphql(DirectorClient);

/// A response: HTTP status and the JSON body.
#[derive(Clone, Debug)]
pub struct Response {
    /// HTTP status code.
    pub status: u16,
    /// The body.
    pub body: Value,
}

impl From<Answer> for Response {
    fn from(answer: Answer) -> Self {
        Self {
            status: answer.status,
            body: answer.body,
        }
    }
}

impl Response {
    /// `data`, failing the test when the response carries errors.
    pub fn data(&self) -> &Value {
        assert!(
            self.body.get("errors").is_none(),
            "the operation failed: {}",
            self.body
        );
        &self.body["data"]
    }

    /// The first error's message and `extensions.code`, failing the test when there is none.
    pub fn error(&self) -> (String, String) {
        let error = &self.body["errors"][0];
        assert!(!error.is_null(), "expected an error, got {}", self.body);
        (
            error["message"].as_str().unwrap_or_default().to_owned(),
            error["extensions"]["code"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )
    }
}

impl Graphql {
    /// A caller of `url` trusting the CA `ca_pem`, presenting `token`.
    pub fn new(url: &str, ca_pem: &str, token: &str) -> Self {
        Self(DirectorClient::new(url, ca_pem, token).expect("a Director client"))
    }

    /// The tests' view of a client made otherwise (a client certificate, other headers).
    pub fn from_client(client: DirectorClient) -> Self {
        Self(client)
    }

    /// The product's client underneath.
    pub fn client(&self) -> &DirectorClient {
        &self.0
    }

    /// The same caller sending `name: value` with every request too.
    pub fn with_header(&self, name: &str, value: &str) -> Self {
        Self(self.0.with_header(name, value))
    }

    /// The same caller acting in the tenant with this external id.
    pub fn tenant(&self, external_id: &str) -> Self {
        Self(self.0.tenant(external_id))
    }

    /// The same caller with another token.
    pub fn with_token(&self, token: &str) -> Self {
        Self(self.0.with_token(token))
    }

    /// The URL operations are sent to.
    pub fn url(&self) -> &str {
        self.0.url()
    }

    /// Sends `query` with `variables`.
    pub async fn send(&self, query: &str, variables: Value) -> Response {
        let answer = self.0.execute(query, variables).await;
        answer.expect("the Director answers").into()
    }

    /// Sends a raw body.
    pub async fn post(&self, body: Vec<u8>) -> Response {
        let answer = self.0.post(body).await;
        answer.expect("the Director answers").into()
    }

    /// Sends a query by `GET`, its URL parameters already encoded as `query_string`.
    pub async fn get(&self, query_string: &str) -> Response {
        let answer = self.0.get(query_string).await;
        answer.expect("the Director answers").into()
    }

    /// Sends `query` and returns `data`, failing the test on errors.
    pub async fn data(&self, query: &str, variables: Value) -> Value {
        self.send(query, variables).await.data().clone()
    }

    /// Sends `query` until it answers without errors, for an effect the Director has yet to see
    /// (`what`: a new tenant, an object applied with kubectl); returns that answer's `data`.
    /// Fails the test after [`DEADLINE`](crate::DEADLINE).
    pub async fn data_eventually(&self, what: &str, query: &str, variables: Value) -> Value {
        crate::eventually(what, || async {
            let response = self.send(query, variables.clone()).await;
            response
                .body
                .get("errors")
                .is_none()
                .then(|| response.body["data"].clone())
        })
        .await
    }
}

/// The most pages [`Graphql::pages`] follows before it fails the test: a cursor that never ends
/// would otherwise hang the test instead of failing it.
pub const MAX_PAGES: usize = 50;

impl Graphql {
    /// Every page of a paged field: sends `query` with `variables` plus `$after` set to each
    /// page's `pageInfo.endCursor` (null for the first), until a page says `hasNextPage: false`.
    /// `page` picks the page out of `data`. Fails the test after [`MAX_PAGES`] pages.
    pub async fn pages(
        &self,
        query: &str,
        variables: Value,
        page: impl Fn(&Value) -> &Value,
    ) -> Vec<Value> {
        let mut pages: Vec<Value> = Vec::new();
        let mut after = Value::Null;
        loop {
            assert!(
                pages.len() < MAX_PAGES,
                "still a next page after {MAX_PAGES} pages of {query}; the last: {}",
                pages.last().unwrap_or(&Value::Null)
            );
            let mut variables = variables.clone();
            variables["after"] = after;
            let data = self.data(query, variables).await;
            let found = page(&data).clone();
            let more = found["pageInfo"]["hasNextPage"]
                .as_bool()
                .unwrap_or_else(|| panic!("no pageInfo.hasNextPage in {found}"));
            after = found["pageInfo"]["endCursor"].clone();
            pages.push(found);
            if !more {
                return pages;
            }
        }
    }
}
