//! The committed SDL (`api/schema.graphql`, `api/connector.graphql`, `api/provisioner.graphql`)
//! must be exactly what the schemas generate, so changes to the APIs' surface are visible in
//! review; the Connector and the Provisioner serve every field of the original's, typed as
//! before. The tests only compare; `cargo sdlgen` rewrites the files.

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

#[test]
fn committed_provisioner_sdl_matches_the_schema() {
    assert_committed("provisioner.graphql", &compass_api::provisioner::sdl());
}

/// The Connector's external schema of the original, field by field with nullability: clients
/// written for it must find every field they select, typed as before.
#[test]
fn the_connector_schema_is_the_originals() {
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
    let mut served = fields_of(&compass_api::connector::schema::sdl());
    served.sort();
    let mut original: Vec<String> = original.iter().map(|s| (*s).to_owned()).collect();
    original.sort();
    assert_eq!(served, original);
}

/// Every field of every object type of `sdl`, as `Type.field(arguments): Type`.
fn fields_of(sdl: &str) -> Vec<String> {
    use async_graphql::parser::{parse_schema, types::TypeSystemDefinition};
    let document = parse_schema(sdl).expect("the SDL parses");
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
    served
}

/// The Provisioner's operations and answers of the original, field by field with nullability:
/// clients written for it find every field they select, typed as before. Inputs may only have
/// grown more lenient (fields made optional, `providerConfig` added).
#[test]
fn the_provisioner_schema_serves_the_originals_operations() {
    let original = [
        "Query.runtimeStatus(id: String!): RuntimeStatus",
        "Query.runtimeOperationStatus(id: String!): OperationStatus",
        "Mutation.provisionRuntime(id: String!, config: ProvisionRuntimeInput!): String!",
        "Mutation.upgradeRuntime(id: String!, config: UpgradeRuntimeInput!): String!",
        "Mutation.deprovisionRuntime(id: String!): String!",
        "Mutation.cleanupRuntimeData(id: String!): CleanUpRuntimeDataResult!",
        "Mutation.reconnectRuntimeAgent(id: String!): String!",
        "OperationStatus.id: String",
        "OperationStatus.operation: OperationType!",
        "OperationStatus.state: OperationState!",
        "OperationStatus.message: String",
        "OperationStatus.runtimeID: String",
        "RuntimeStatus.lastOperationStatus: OperationStatus",
        "RuntimeStatus.runtimeConnectionStatus: RuntimeConnectionStatus",
        "RuntimeStatus.runtimeConfiguration: RuntimeConfig",
        "RuntimeConnectionStatus.status: RuntimeAgentConnectionStatus!",
        "RuntimeConnectionStatus.errors: [Error!]",
        "RuntimeConfig.clusterConfig: ClusterConfig",
        "RuntimeConfig.credentialsSecretName: String",
        "RuntimeConfig.kymaConfig: KymaConfig",
        "RuntimeConfig.kubeconfig: String",
        "Error.message: String",
        "GardenerConfig.nodeCount: Int",
        "GCPConfig.bootDiskSizeGB: Int",
        "KymaConfig.modules: [KymaModule]",
    ];
    let served = fields_of(&compass_api::provisioner::sdl());
    let missing: Vec<&&str> = original
        .iter()
        .filter(|field| !served.iter().any(|s| s == *field))
        .collect();
    assert!(
        missing.is_empty(),
        "not served as the original's: {missing:?}"
    );
}
