//! The Director schema's one async-graphql extension. Parsing keeps documents (see
//! [`super::parsed_documents`]) once their variable usages pass (see [`super::variable_usage`]);
//! execution bounds the answer's bytes (see [`super::answer_limit`]). One extension rather than
//! one per concern: async-graphql runs every field through each extension's hook, a boxed
//! future apiece, even for extensions that do nothing there, and a page of 100 applications
//! resolves about 4,000 fields. Installed on one of the Director's two schemas: kept documents
//! that repeat no field much run on the other, without it (see [`super::charged`]).

use std::sync::{Arc, OnceLock};

use async_graphql::{
    Response, ServerResult, Value, Variables,
    extensions::{
        Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextResolve,
        ResolveInfo,
    },
    parser::types::ExecutableDocument,
};

use super::{
    answer_limit::{AnswerBudget, FieldCharge},
    parsed_documents::ParsedDocuments,
    variable_usage,
};

/// Makes the hooks of each request, keeping documents in `documents`.
pub struct Hooks {
    documents: ParsedDocuments,
}

impl Hooks {
    /// Hooks keeping the documents that pass parsing in `documents`.
    pub fn new(documents: ParsedDocuments) -> Self {
        Self { documents }
    }
}

impl ExtensionFactory for Hooks {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RequestHooks {
            documents: self.documents.clone(),
            budget: OnceLock::new(),
        })
    }
}

/// The hooks of one request.
struct RequestHooks {
    documents: ParsedDocuments,
    /// The request's answer budget, looked up once rather than for every field; requests
    /// without one are not bounded.
    budget: OnceLock<Option<Arc<AnswerBudget>>>,
}

impl RequestHooks {
    fn budget(&self, ctx: &ExtensionContext<'_>) -> Option<&AnswerBudget> {
        self.budget
            .get_or_init(|| ctx.data_opt::<Arc<AnswerBudget>>().cloned())
            .as_deref()
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for RequestHooks {
    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        // The document arrives parsed from the request (kept, or parsed for the audit line) or
        // is parsed now; the checks run on it either way, and only then is it kept.
        let document = next.run(ctx, query, variables).await?;
        variable_usage::check(&ctx.schema_env.registry, &document)?;
        self.documents.keep(query, &document);
        Ok(document)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let response = next.run(ctx, operation_name).await;
        match self.budget(ctx) {
            Some(budget) => budget.answer(response),
            None => response,
        }
    }

    async fn resolve(
        &self,
        ctx: &ExtensionContext<'_>,
        info: ResolveInfo<'_>,
        next: NextResolve<'_>,
    ) -> ServerResult<Option<Value>> {
        let Some(budget) = self.budget(ctx) else {
            return next.run(ctx, info).await;
        };
        budget.before_field()?;
        let charge = FieldCharge::of(&info);
        let value = next.run(ctx, info).await?;
        charge.settle(budget, &ctx.schema_env.registry, value)
    }
}
