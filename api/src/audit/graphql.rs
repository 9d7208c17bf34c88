//! Audit entries of GraphQL requests: which operation of each request in a batch runs (by the
//! document and its `operationName`, as async-graphql chooses), its kind and root field names,
//! and the error codes its answer carried. Only names are taken from the document: never
//! arguments, and variables only to see whether `@skip`/`@include` leave a root field out.

use std::collections::HashSet;

use async_graphql::{
    BatchRequest, BatchResponse, Request, Response, Variables,
    parser::types::{
        Directive, DocumentOperations, ExecutableDocument, OperationDefinition, OperationType,
        Selection, SelectionSet,
    },
};

use super::{Audit, AuditEntry, Consumer, OperationKind, RequestId};

/// Code written for an error that carries none: the document failed validation, so nothing ran.
pub const UNCODED: &str = "GRAPHQL_ERROR";

/// What one request of a batch asks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Operation {
    /// Query, mutation, or unknown (the document does not parse, or names no such operation).
    pub kind: OperationKind,
    /// The operation's name.
    pub name: Option<String>,
    /// Its root field names, in order, once each.
    pub fields: Vec<String>,
}

/// The operation of each request of `batch`, in order. Parses each document (async-graphql
/// keeps the parsed document, so it is not parsed again when the request runs).
pub fn operations(batch: &mut BatchRequest) -> Vec<Operation> {
    batch.iter_mut().map(operation).collect()
}

/// The operation `request` runs.
pub fn operation(request: &mut Request) -> Operation {
    let chosen = request.operation_name.clone();
    let variables = request.variables.clone();
    match request.parsed_query() {
        Ok(document) => of_document(document, chosen.as_deref(), &variables),
        Err(_) => Operation::default(),
    }
}

/// The operation of `document` that `chosen` names (or its only one), with its root fields.
pub fn of_document(
    document: &ExecutableDocument,
    chosen: Option<&str>,
    variables: &Variables,
) -> Operation {
    // The same choice as async-graphql's: a name must match a named operation; without one the
    // document must hold exactly one operation.
    let selected: Option<(Option<&str>, &OperationDefinition)> =
        match (&document.operations, chosen) {
            (DocumentOperations::Single(op), None) => Some((None, &op.node)),
            (DocumentOperations::Single(_), Some(_)) => None,
            (DocumentOperations::Multiple(ops), Some(name)) => {
                ops.get(name).map(|op| (Some(name), &op.node))
            }
            (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops
                .iter()
                .next()
                .map(|(name, op)| (Some(name.as_str()), &op.node)),
            (DocumentOperations::Multiple(_), None) => None,
        };
    let Some((name, definition)) = selected else {
        return Operation {
            name: chosen.map(str::to_owned),
            ..Operation::default()
        };
    };
    let kind = match definition.ty {
        OperationType::Mutation => OperationKind::Mutation,
        OperationType::Query | OperationType::Subscription => OperationKind::Query,
    };
    let mut walk = Walk {
        document,
        variables,
        visited: HashSet::new(),
        fields: Vec::new(),
    };
    walk.root_fields(&definition.selection_set.node);
    Operation {
        kind,
        name: name.map(str::to_owned),
        fields: walk.fields,
    }
}

/// The walk over an operation's root selection.
struct Walk<'a> {
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    /// Fragments already looked into: each adds its fields once, so neither a cycle (refused
    /// only later, by validation) nor fragments spread many times over make the walk long.
    visited: HashSet<&'a str>,
    /// The root field names found so far.
    fields: Vec<String>,
}

impl<'a> Walk<'a> {
    /// Adds the names of the fields `set` selects, through fragments too. Inline fragments nest
    /// at most as deep as the parser allows (64).
    fn root_fields(&mut self, set: &'a SelectionSet) {
        for selection in &set.items {
            if skipped(selection.node.directives(), self.variables) {
                continue;
            }
            match &selection.node {
                Selection::Field(field) => {
                    let name = field.node.name.node.as_str();
                    if name != "__typename" && !self.fields.iter().any(|f| f == name) {
                        self.fields.push(name.to_owned());
                    }
                }
                Selection::FragmentSpread(spread) => {
                    let name = spread.node.fragment_name.node.as_str();
                    if !self.visited.insert(name) {
                        continue;
                    }
                    if let Some(fragment) = self.document.fragments.get(name) {
                        self.root_fields(&fragment.node.selection_set.node);
                    }
                }
                Selection::InlineFragment(inline) => {
                    self.root_fields(&inline.node.selection_set.node);
                }
            }
        }
    }
}

/// Whether `@skip`/`@include` leave a selection out, decided as async-graphql does: by a literal
/// or a variable's boolean, anything else counting as false.
fn skipped(directives: &[async_graphql::Positioned<Directive>], variables: &Variables) -> bool {
    directives.iter().any(|directive| {
        let include = match directive.node.name.node.as_str() {
            "skip" => false,
            "include" => true,
            _ => return false,
        };
        let Some(condition) = directive.node.get_argument("if") else {
            return false;
        };
        let value = match &condition.node {
            async_graphql_value::Value::Boolean(value) => *value,
            async_graphql_value::Value::Variable(name) => matches!(
                variables.get(name),
                Some(async_graphql::Value::Boolean(true))
            ),
            _ => false,
        };
        include != value
    })
}

/// The codes of the errors of `response`, in order, once each; [`UNCODED`] for an error without
/// a code.
pub fn error_codes(response: &Response) -> Vec<String> {
    let mut codes: Vec<String> = Vec::new();
    for error in &response.errors {
        let code = error
            .extensions
            .as_ref()
            .and_then(|extensions| extensions.get("code"))
            .and_then(|code| match code {
                async_graphql::Value::String(code) => Some(code.as_str()),
                _ => None,
            })
            .unwrap_or(UNCODED);
        if !codes.iter().any(|c| c == code) {
            codes.push(code.to_owned());
        }
    }
    codes
}

/// Records one entry per operation of a batch that `consumer` (if known) sent to `api`, given
/// the [`operations`] read before it ran and its answers.
pub fn record(
    audit: &Audit,
    request_id: &RequestId,
    api: &'static str,
    consumer: Option<&Consumer>,
    operations: &[Operation],
    answers: &BatchResponse,
) {
    let answers: &[Response] = match answers {
        BatchResponse::Single(answer) => std::slice::from_ref(answer),
        BatchResponse::Batch(answers) => answers,
    };
    for (operation, answer) in operations.iter().zip(answers) {
        record_one(
            audit,
            request_id,
            api,
            consumer,
            operation,
            error_codes(answer),
        );
    }
}

/// Records the entry of one operation answered with `errors` (codes).
pub fn record_one(
    audit: &Audit,
    request_id: &RequestId,
    api: &'static str,
    consumer: Option<&Consumer>,
    operation: &Operation,
    errors: Vec<String>,
) {
    let mut entry = AuditEntry::new(request_id, api);
    if let Some(consumer) = consumer {
        entry = entry.consumer(consumer);
    }
    let entry = entry
        .operation(operation.kind, operation.name.as_deref(), &operation.fields)
        .errors(errors);
    audit.record(&entry);
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    fn of(query: &str, chosen: Option<&str>, variables: serde_json::Value) -> Operation {
        let document = parse_query(query).unwrap();
        let variables = Variables::from_json(variables);
        of_document(&document, chosen, &variables)
    }

    fn fields(names: &[&str]) -> Vec<String> {
        names.iter().map(|n| (*n).to_owned()).collect()
    }

    #[test]
    fn the_root_fields_of_a_mutation_are_its_names_not_aliases() {
        let op = of(
            "mutation M($in: ApplicationRegisterInput!) { a: registerApplication(in: $in) { id } b: registerApplication(in: $in) { id } deleteRuntime(id: \"x\") { id } __typename }",
            None,
            serde_json::json!({}),
        );
        assert_eq!(op.kind, OperationKind::Mutation);
        assert_eq!(op.name.as_deref(), Some("M"));
        assert_eq!(op.fields, fields(&["registerApplication", "deleteRuntime"]));
    }

    #[test]
    fn the_operation_name_chooses_among_several() {
        let document =
            "query Q { runtimes { totalCount } } mutation Del { deleteRuntime(id: \"1\") { id } }";
        let chosen = of(document, Some("Del"), serde_json::json!({}));
        assert_eq!(chosen.kind, OperationKind::Mutation);
        assert_eq!(chosen.fields, fields(&["deleteRuntime"]));
        let query = of(document, Some("Q"), serde_json::json!({}));
        assert_eq!(query.kind, OperationKind::Query);
        // Without a name, or with an unknown one, nothing runs.
        assert_eq!(
            of(document, None, serde_json::json!({})).kind,
            OperationKind::Unknown
        );
        let unknown = of(document, Some("Nope"), serde_json::json!({}));
        assert_eq!(unknown.kind, OperationKind::Unknown);
        // A name given for an anonymous operation is refused by async-graphql too.
        let anonymous = of("mutation { a }", Some("A"), serde_json::json!({}));
        assert_eq!(anonymous.kind, OperationKind::Unknown);
        // One named operation runs without its name being given.
        let only = of("mutation Only { a }", None, serde_json::json!({}));
        assert_eq!(only.name.as_deref(), Some("Only"));
    }

    #[test]
    fn fragments_count_and_skipped_fields_do_not() {
        let op = of(
            "mutation ($yes: Boolean!, $no: Boolean!) { ...F ... on Mutation { b } c @skip(if: true) d @include(if: $no) e @skip(if: $no) f @include(if: $yes) } fragment F on Mutation { a ...F }",
            None,
            serde_json::json!({ "yes": true, "no": false }),
        );
        assert_eq!(op.fields, fields(&["a", "b", "e", "f"]));
    }

    #[test]
    fn a_document_that_does_not_parse_is_unknown() {
        let mut request = Request::new("mutation { oops(");
        assert_eq!(operation(&mut request), Operation::default());
    }
}
