//! The committed SDL (`api/schema.graphql`, `api/connector.graphql`) must be exactly what the
//! schemas generate, so changes to the Director's and the Connector's surface are visible in
//! review. The tests only compare; `cargo sdlgen` rewrites the files.

use std::path::Path;

/// Fails when `api/<file>` is not exactly `generated`.
fn assert_committed(file: &str, generated: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "api/{file} is stale: run `cargo sdlgen` and commit it"
    );
}

#[test]
fn committed_sdl_matches_the_schema() {
    assert_committed("schema.graphql", &compass_api::director::sdl());
}

#[test]
fn committed_connector_sdl_matches_the_schema() {
    assert_committed("connector.graphql", &compass_api::connector::schema::sdl());
}

/// The Connector's external schema of the original, field by field with nullability: clients
/// written for it must find every field they select, typed as before.
#[test]
fn the_connector_schema_is_the_originals() {
    use async_graphql::parser::{parse_schema, types::TypeSystemDefinition};
    let original = [
        "Query.configuration: Configuration!",
        "Mutation.signCertificateSigningRequest(csr: String!): CertificationResult!",
        "Mutation.revokeCertificate: Boolean!",
        "Configuration.token: Token",
        "Configuration.certificateSigningRequestInfo: CertificateSigningRequestInfo",
        "Configuration.managementPlaneInfo: ManagementPlaneInfo",
        "Token.token: String!",
        "CertificateSigningRequestInfo.subject: String!",
        "CertificateSigningRequestInfo.keyAlgorithm: String!",
        "ManagementPlaneInfo.directorURL: String",
        "ManagementPlaneInfo.certificateSecuredConnectorURL: String",
        "CertificationResult.certificateChain: String!",
        "CertificationResult.caCertificate: String!",
        "CertificationResult.clientCertificate: String!",
    ];
    let document = parse_schema(compass_api::connector::schema::sdl()).expect("the SDL parses");
    let mut served = Vec::new();
    for definition in &document.definitions {
        let TypeSystemDefinition::Type(definition) = definition else {
            continue;
        };
        let async_graphql::parser::types::TypeKind::Object(object) = &definition.node.kind else {
            continue;
        };
        for field in &object.fields {
            let field = &field.node;
            let arguments: Vec<String> = field
                .arguments
                .iter()
                .map(|a| format!("{}: {}", a.node.name.node, a.node.ty.node))
                .collect();
            let arguments = if arguments.is_empty() {
                String::new()
            } else {
                format!("({})", arguments.join(", "))
            };
            served.push(format!(
                "{}.{}{arguments}: {}",
                definition.node.name.node, field.name.node, field.ty.node
            ));
        }
    }
    served.sort();
    let mut original: Vec<String> = original.iter().map(|s| (*s).to_owned()).collect();
    original.sort();
    assert_eq!(served, original);
}
