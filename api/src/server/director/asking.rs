//! One operation of a Director request (the request itself, or one of a batch): answered with
//! the answer kept for the same question while nothing it read has changed, or run, and its
//! answer kept when it may be. A batch's operations share one answer bound, kept answers
//! included.

use std::sync::Arc;

use async_graphql::Request;
use axum::body::Bytes;

use super::{Api, DIRECTOR};
use crate::{
    audit::{
        self, RequestId,
        graphql::{self, Operation},
    },
    connector::PublicUrl,
    director::{
        answer_limit::AnswerBudget,
        answers::{Answer, Question, Reuse, keepable},
        charged::ItemCharges,
        written,
    },
    gateway::Caller,
};

/// What every operation of one HTTP request is asked with.
pub(super) struct Asking<'a> {
    pub api: &'a Api,
    pub request_id: &'a RequestId,
    pub caller: &'a Caller,
    pub consumer: &'a audit::Consumer,
    pub public_url: &'a PublicUrl,
    /// The bytes the request's answer may still take, shared by its operations.
    pub budget: Arc<AnswerBudget>,
}

/// An operation's answer, and what its audit line says.
pub(super) struct Answered {
    /// The answer's JSON, as sent.
    body: Bytes,
    operation: Operation,
    errors: Vec<String>,
}

impl Asking<'_> {
    /// Answers `request`: the kept answer when there is one and it fits the bound, else the
    /// request run (and its answer kept when it may be). Not audited yet: see [`Self::audited`].
    pub async fn answer(&self, request: Request) -> Answered {
        let asked = self.question_of(&request);
        if let Some((question, changes)) = &asked {
            let kept = (self.api.answers.get(question, *changes))
                // A kept answer counts against the bound as the same answer computed would.
                .filter(|kept| self.budget.charge(kept.body.len()));
            self.api.metrics.director_answer(kept.is_some());
            if let Some(Answer { body, operation }) = kept {
                let errors = Vec::new();
                return Answered {
                    body,
                    operation,
                    errors,
                };
            }
        }
        let (response, operation, reuse) = self.run(request).await;
        let body = Bytes::from(written::response(&response));
        let errors = graphql::error_codes(&response);
        if let Some((question, changes)) = asked
            && keepable(&response, &operation, &reuse)
            // Nothing changed while it ran, or it may already be stale.
            && self.api.caches.changes() == Some(changes)
        {
            let answer = Answer {
                body: body.clone(),
                operation: operation.clone(),
            };
            self.api.answers.keep(question, changes, answer);
        }
        Answered {
            body,
            operation,
            errors,
        }
    }

    /// Records the audit line of an operation answered; its body.
    pub fn audited(&self, answered: Answered) -> Bytes {
        graphql::record_one(
            &self.api.audit,
            self.request_id,
            DIRECTOR,
            Some(self.consumer),
            &answered.operation,
            answered.errors,
        );
        answered.body
    }

    /// The question `request` asks, with the change count read before anything runs, so that
    /// an answer is kept only as of what it could have read (none while a change is under way).
    fn question_of(&self, request: &Request) -> Option<(Question, u64)> {
        let changes = self.api.caches.changes()?;
        let question = Question::of(self.caller, &self.public_url.0, request)?;
        Some((question, changes))
    }

    /// Runs `request`: on the schema charging items when its document is kept and allows it,
    /// else on the one charging every field. With the operation it ran and whether its
    /// resolvers allowed keeping the answer.
    async fn run(&self, mut request: Request) -> (async_graphql::Response, Operation, Reuse) {
        let charged_per_item = self.api.documents.fill(&mut request);
        let operation = graphql::operation(&mut request);
        let reuse = Reuse::default();
        let request = request
            .data(self.caller.clone())
            .data(self.public_url.clone())
            .data(reuse.clone());
        let schemas = &self.api.schemas;
        let response = if charged_per_item {
            let charges = ItemCharges::new(self.budget.clone());
            let request = request.data(charges.clone());
            charges.finish(schemas.charged_per_item.execute(request).await)
        } else {
            let request = request.data(self.budget.clone());
            schemas.charged_per_field.execute(request).await
        };
        (response, operation, reuse)
    }
}
