//! Parsed GraphQL documents kept by their text: clients send the same few operations again and
//! again (agents' polls, the Cockpit's views, a legacy client's queries with new variables), so a
//! document is parsed, and checked for its variables' usages, once. Bounded in entries and in the
//! length of a text kept; a text past either bound is parsed every time, as before. Each is kept
//! with whether its answers may be charged item by item (see [`super::charged`]).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use async_graphql::{Request, parser::types::ExecutableDocument};

use crate::audit::graphql::{self, Operation};

/// Most documents kept.
const ENTRIES: usize = 1_024;
/// Longest text kept, in bytes: larger documents are rare and would crowd out the common ones.
const TEXT_BYTES: usize = 16 * 1024;
/// Most times a document answered item by item may ask for one field along a path (see
/// [`super::repetition`]): ten aliases of one spec are an ordinary question, a thousand are not.
const REPEATS: usize = 16;

/// A document kept.
pub struct Kept {
    /// The document, parsed and past every check made at parsing.
    pub document: Arc<ExecutableDocument>,
    /// Whether its answers may be charged item by item: it asks no field more than 16 times
    /// along a path.
    pub charged_per_item: bool,
}

/// The parsed documents kept, filled in by the schema's hooks (`hooks`) once a document
/// has passed every check made at parsing.
#[derive(Clone, Default)]
pub struct ParsedDocuments {
    kept: Arc<Mutex<HashMap<String, Arc<Kept>>>>,
}

impl ParsedDocuments {
    /// How many documents it keeps now.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether it keeps none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Gives `request` its parsed document when its text is kept, before anything else reads
    /// the request (the audit line names the operation from it): a kept text is not
    /// parsed again by anyone. Whether its answer may be charged item by item (false when the
    /// text is not kept: only a kept document has passed the checks made at parsing).
    pub fn fill(&self, request: &mut Request) -> bool {
        match self.kept(&request.query) {
            Some(kept) => {
                request.set_parsed_query((*kept.document).clone());
                kept.charged_per_item
            }
            None => false,
        }
    }

    /// The operation `request` runs, from its kept document when there is one (nothing copied),
    /// else from the document parsed now and left in the request for its run.
    pub fn operation_of(&self, request: &mut Request) -> Operation {
        match self.kept(&request.query) {
            Some(kept) => graphql::of_document(
                &kept.document,
                request.operation_name.as_deref(),
                &request.variables,
            ),
            None => graphql::operation(request),
        }
    }

    /// Keeps `document`, parsed from `query` and past every check made at parsing (see
    /// [`super::hooks`]), unless its text is too long to keep.
    pub(super) fn keep(&self, query: &str, document: &ExecutableDocument) {
        if query.len() > TEXT_BYTES || self.lock().contains_key(query) {
            return;
        }
        // Classified and copied before the lock is taken again: every request reads under it.
        let entry = Arc::new(Kept {
            charged_per_item: super::repetition::at_most(document, REPEATS),
            document: Arc::new(document.clone()),
        });
        let mut kept = self.lock();
        if kept.len() >= ENTRIES && !kept.contains_key(query) {
            // Any one goes: the operations that matter come back at once.
            let evicted = kept.keys().next().cloned();
            if let Some(evicted) = evicted {
                kept.remove(&evicted);
            }
        }
        kept.entry(query.to_owned()).or_insert(entry);
    }

    /// The document kept for the text `query`.
    fn kept(&self, query: &str) -> Option<Arc<Kept>> {
        self.lock().get(query).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Kept>>> {
        self.kept.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema, Variables};

    use super::*;

    struct Query;

    #[Object]
    impl Query {
        async fn hello(&self, name: String) -> String {
            format!("hello {name}")
        }
    }

    fn schema(documents: &ParsedDocuments) -> Schema<Query, EmptyMutation, EmptySubscription> {
        Schema::build(Query, EmptyMutation, EmptySubscription)
            .extension(super::super::hooks::Hooks::new(documents.clone()))
            .finish()
    }

    #[tokio::test]
    async fn a_document_is_parsed_once_and_answers_every_request_with_its_own_variables() {
        let documents = ParsedDocuments::default();
        let schema = schema(&documents);
        let query = "query ($name: String!) { hello(name: $name) }";
        for name in ["ada", "grace"] {
            let variables = Variables::from_json(serde_json::json!({ "name": name }));
            let request = async_graphql::Request::new(query).variables(variables);
            let answer = schema.execute(request).await;
            assert!(answer.errors.is_empty(), "{:?}", answer.errors);
            assert_eq!(
                answer.data.into_json().unwrap(),
                serde_json::json!({ "hello": format!("hello {name}") })
            );
        }
        assert_eq!(documents.len(), 1);
    }

    #[tokio::test]
    async fn a_kept_document_is_given_to_a_request_before_it_runs() {
        let documents = ParsedDocuments::default();
        let schema = schema(&documents);
        let query = "{ hello(name: \"ada\") }";
        assert!(schema.execute(query).await.errors.is_empty());
        let mut request = async_graphql::Request::new(query);
        documents.fill(&mut request);
        // Only the kept document can answer now: the text no longer parses.
        request.query = "{ hello(name: ".into();
        let answer = schema.execute(request).await;
        assert!(answer.errors.is_empty(), "{:?}", answer.errors);
    }

    #[tokio::test]
    async fn a_kept_document_repeating_no_field_much_may_be_charged_per_item() {
        let documents = ParsedDocuments::default();
        let schema = schema(&documents);
        let plain = "{ hello(name: \"ada\") }";
        let aliases: String = (0..=REPEATS)
            .map(|i| format!("h{i}: hello(name: \"x\") "))
            .collect();
        let aliased = format!("{{ {aliases} }}");
        for query in [plain, aliased.as_str()] {
            let mut request = async_graphql::Request::new(query);
            assert!(!documents.fill(&mut request), "not kept yet: {query}");
            assert!(schema.execute(query).await.errors.is_empty());
        }
        assert!(documents.fill(&mut async_graphql::Request::new(plain)));
        assert!(!documents.fill(&mut async_graphql::Request::new(aliased)));
    }

    #[tokio::test]
    async fn what_does_not_parse_and_what_is_too_long_is_not_kept() {
        let documents = ParsedDocuments::default();
        let schema = schema(&documents);
        for _ in 0..2 {
            let answer = schema.execute("{ hello(name: ").await;
            assert!(!answer.errors.is_empty());
        }
        let padding = " ".repeat(TEXT_BYTES);
        let long = format!("{{ hello(name: \"x\") }}{padding}");
        assert!(schema.execute(long.as_str()).await.errors.is_empty());
        assert!(documents.is_empty());
    }

    #[tokio::test]
    async fn the_number_of_documents_kept_is_bounded() {
        let documents = ParsedDocuments::default();
        let schema = schema(&documents);
        for i in 0..ENTRIES + 10 {
            let query = format!("{{ hello(name: \"{i}\") }}");
            assert!(schema.execute(query.as_str()).await.errors.is_empty());
        }
        assert_eq!(documents.len(), ENTRIES);
    }
}
