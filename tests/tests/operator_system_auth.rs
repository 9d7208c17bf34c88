//! The SystemAuth controller against a real control plane: the subject must exist and owns the
//! identity, expired one-time tokens recorded by another writer are removed while unexpired ones
//! stay, and revoked certificates do not count towards `certificateExpiry`.

use std::time::Duration;

use compass_crds::SystemAuth;
use compass_operator::controllers::OperatorConfig;
use compass_tests::{TestServer, eventually, ready, unchanged_for, wait_gone};
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::{
    Api,
    api::{DeleteParams, Patch, PatchParams},
};
use serde_json::{Value, json};

const NS: &str = compass_crds::well_known::DEFAULT_TENANT_NAMESPACE;
/// The field manager standing in for the Connector, which records tokens and certificates.
const CONNECTOR: &str = "connector.compass.kyma-project.io";

fn in_seconds(seconds: i64) -> String {
    Timestamp::now()
        .checked_add(SignedDuration::from_secs(seconds))
        .unwrap()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn token(letter: char, expires: &str) -> Value {
    json!({ "tokenHash": format!("sha256:{}", letter.to_string().repeat(64)), "purpose": "Pairing",
            "issuedAt": in_seconds(-7200), "expiresAt": expires })
}

fn certificate(serial: &str, not_after: &str) -> Value {
    json!({ "serialNumber": serial, "fingerprint": format!("sha256:{}", "f".repeat(64)),
            "subject": "CN=x", "notBefore": in_seconds(-7200), "notAfter": not_after })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_system_auth_is_ready_once_its_subject_exists_and_goes_with_it() {
    let server = TestServer::start().await;
    let operator = server.start_operator(OperatorConfig::default()).await;
    let client = server.client().await;
    server.wait_tenant_ready("default").await;
    server.apply_yaml(
        r#"
apiVersion: compass.kyma-project.io/v1alpha1
kind: SystemAuth
metadata: { name: orders-cert, namespace: default-tenant }
spec: { subject: { kind: Application, name: orders } }
---
apiVersion: compass.kyma-project.io/v1alpha1
kind: SystemAuth
metadata: { name: sap-sync-oauth, namespace: compass-system }
spec: { subject: { kind: IntegrationSystem, name: sap-sync } }
"#,
        &[],
    );
    let auths: Api<SystemAuth> = Api::namespaced(client.clone(), NS);
    let missing = eventually("orders-cert reports its missing subject", || async {
        let auth = auths.get("orders-cert").await.ok()?;
        (ready(&auth)?.1 == "SubjectNotFound").then_some(auth)
    })
    .await;
    let (status, _, message) = ready(&missing).unwrap();
    assert_eq!(status, "False");
    assert!(
        message.contains("Application orders in namespace default-tenant does not exist"),
        "{message}"
    );

    server.apply_yaml(
        r#"
apiVersion: compass.kyma-project.io/v1alpha1
kind: Application
metadata: { name: orders, namespace: default-tenant }
spec: {}
---
apiVersion: compass.kyma-project.io/v1alpha1
kind: IntegrationSystem
metadata: { name: sap-sync }
spec: {}
"#,
        &[],
    );
    eventually(
        "orders-cert is Ready, current and owned by orders",
        || async {
            let auth = auths.get("orders-cert").await.ok()?;
            let current = auth.status.as_ref()?.observed_generation == auth.metadata.generation;
            (ready(&auth)?.1 == "SubjectFound"
                && current
                && auth.metadata.owner_references.is_some())
            .then_some(())
        },
    )
    .await;
    // Converged: nothing is rewritten while nothing changes.
    let found = unchanged_for(&auths, "orders-cert", Duration::from_secs(2)).await;
    let owner = &found.metadata.owner_references.unwrap()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str()),
        ("Application", "orders")
    );
    assert_ne!(
        owner.controller,
        Some(true),
        "the subject is an owner, not a controller"
    );
    let system_auths: Api<SystemAuth> = Api::namespaced(client.clone(), "compass-system");
    eventually(
        "sap-sync-oauth is owned by the integration system",
        || async {
            let auth = system_auths.get("sap-sync-oauth").await.ok()?;
            let owners = auth.metadata.owner_references.clone()?;
            (ready(&auth)?.1 == "SubjectFound" && owners[0].kind == "IntegrationSystem")
                .then_some(())
        },
    )
    .await;

    // Deleting the subject removes its identities.
    server.kubectl_ok(&["delete", "capp", "orders", "-n", NS]);
    wait_gone(&auths, "orders-cert").await;

    operator.stop().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_tokens_are_removed_and_revoked_certificates_do_not_count() {
    let server = TestServer::start().await;
    let operator = server.start_operator(OperatorConfig::default()).await;
    let client = server.client().await;
    server.wait_tenant_ready("default").await;
    server.apply_yaml(
        r#"
apiVersion: compass.kyma-project.io/v1alpha1
kind: Runtime
metadata: { name: edge, namespace: default-tenant }
spec: {}
---
apiVersion: compass.kyma-project.io/v1alpha1
kind: SystemAuth
metadata: { name: edge-agent, namespace: default-tenant }
spec:
  subject: { kind: Runtime, name: edge }
  revokedCertificates: ["0b"]
"#,
        &[],
    );
    let auths: Api<SystemAuth> = Api::namespaced(client.clone(), NS);
    eventually("edge-agent is Ready", || async {
        let auth = auths.get("edge-agent").await.ok()?;
        (ready(&auth)?.1 == "SubjectFound").then_some(())
    })
    .await;

    // The Connector records three tokens (one expired, one expiring in 3 s, one valid for an
    // hour) and two certificates, the later-expiring of which is revoked.
    let (soon, later) = (in_seconds(3), in_seconds(3600));
    let (first_expiry, second_expiry) = (in_seconds(30 * 86400), in_seconds(60 * 86400));
    let records = json!({
        "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "SystemAuth",
        "status": {
            "oneTimeTokens": [token('a', &in_seconds(-3600)), token('b', &soon), token('c', &later)],
            "certificates": [certificate("0a", &first_expiry), certificate("0b", &second_expiry)],
        },
    });
    auths
        .patch_status(
            "edge-agent",
            &PatchParams::apply(CONNECTOR),
            &Patch::Apply(&records),
        )
        .await
        .unwrap();
    let hashes = |auth: &SystemAuth| -> Vec<char> {
        auth.status
            .as_ref()
            .map(|s| {
                s.one_time_tokens
                    .iter()
                    .map(|t| t.token_hash.chars().last().unwrap())
                    .collect()
            })
            .unwrap_or_default()
    };
    let tidied = eventually("the expired token is removed", || async {
        let auth = auths.get("edge-agent").await.ok()?;
        (hashes(&auth) == ['b', 'c']).then_some(auth)
    })
    .await;
    let status = tidied.status.unwrap();
    let expiry = |s: &compass_crds::SystemAuthStatus| {
        s.certificate_expiry
            .as_ref()
            .map(|t| t.0.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
    };
    eventually(
        "certificateExpiry ignores the revoked certificate",
        || async {
            let auth = auths.get("edge-agent").await.ok()?;
            let status = auth.status?;
            let revoked: Vec<bool> = status.certificates.iter().map(|c| c.revoked).collect();
            (expiry(&status) == Some(first_expiry.clone()) && revoked == [false, true])
                .then_some(())
        },
    )
    .await;
    assert_eq!(status.certificates.len(), 2, "certificates are kept");

    // The token expiring in 3 s goes without any further change to the object: the wait's
    // deadline (20 s), far below the 600 s resync, shows the controller requeued itself for it.
    eventually("the second token is removed once it expires", || async {
        let auth = auths.get("edge-agent").await.ok()?;
        (hashes(&auth) == ['c']).then_some(())
    })
    .await;

    // Unrevoking the certificate brings its expiry back.
    let unrevoke = json!({ "spec": { "revokedCertificates": null } });
    auths
        .patch(
            "edge-agent",
            &PatchParams::default(),
            &Patch::Merge(&unrevoke),
        )
        .await
        .unwrap();
    eventually(
        "certificateExpiry counts the unrevoked certificate",
        || async {
            let auth = auths.get("edge-agent").await.ok()?;
            let status = auth.status?;
            let revoked: Vec<bool> = status.certificates.iter().map(|c| c.revoked).collect();
            (expiry(&status) == Some(second_expiry.clone()) && revoked == [false, false])
                .then_some(())
        },
    )
    .await;

    // The Connector applies its records again, without the tokens that are gone: no conflict
    // with the operator's fields, and the operator's conditions stay.
    let again = json!({
        "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "SystemAuth",
        "status": {
            "oneTimeTokens": [token('c', &later)],
            "certificates": [certificate("0a", &first_expiry), certificate("0b", &second_expiry)],
        },
    });
    let applied = auths
        .patch_status(
            "edge-agent",
            &PatchParams::apply(CONNECTOR),
            &Patch::Apply(&again),
        )
        .await
        .unwrap();
    assert_eq!(ready(&applied).unwrap().1, "SubjectFound");

    auths
        .delete("edge-agent", &DeleteParams::default())
        .await
        .unwrap();
    operator.stop().await;
    server.stop().await;
}
