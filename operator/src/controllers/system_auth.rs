//! The SystemAuth controller: a system auth is Ready when its subject (an Application or Runtime
//! of its namespace, or an IntegrationSystem) exists, and is owned by that subject so it goes with
//! it, as the original's `system_auths` rows cascaded. It also keeps what the Connector recorded
//! tidy: expired one-time tokens are removed, each certificate's `revoked` flag follows
//! `spec.revokedCertificates`, and `certificateExpiry` is the latest expiry of a certificate that
//! is not revoked.
//!
//! The Connector writes `status.oneTimeTokens` and `status.certificates` under its own field
//! manager, so this controller changes them only with JSON patches that first test the entry they
//! touch; its own fields (`conditions`, `observedGeneration`, `certificateExpiry`) are written with
//! server-side apply.

use std::{collections::HashSet, sync::Arc, time::Duration};

use compass_crds::{
    Application, IntegrationSystem, Runtime, SubjectKind, SystemAuth, SystemAuthStatus,
    SystemAuthSubject, conditions::READY,
};
use futures_util::{Stream, StreamExt, stream};
use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{OwnerReference, Time};
use kube::{
    Api, Resource, ResourceExt,
    runtime::{
        Controller,
        controller::Action,
        reflector::{ObjectRef, Store},
    },
};
use serde_json::{Value, json};

use super::{
    Context, ControllerTask,
    checks::Verdict,
    error::{Error, Result, error_policy, key},
    in_use::{json_patch, json_patch_status},
    status::{Conditions, apply_status, report_ready_transition},
    stores::Watches,
    triggers::{self, fan_out, spec_changes},
};
use crate::shutdown::Shutdown;

/// Name of this controller in logs and metrics.
pub const CONTROLLER_NAME: &str = "system_auth";
/// Field manager of everything this controller writes.
pub const FIELD_MANAGER: &str = "system-auth-controller.compass.kyma-project.io";

/// The SystemAuth controller's task.
pub fn controller(watches: &Watches, ctx: Arc<Context>, shutdown: Shutdown) -> ControllerTask {
    let related = fan_out(subjects(watches), expand(ctx.stores.system_auths.clone()));
    Box::pin(
        Controller::for_shared_stream(
            watches.system_auths().subscribe(),
            watches.system_auths().store(),
        )
        .reconcile_on(related)
        .with_config(triggers::config(&ctx))
        .graceful_shutdown_on(shutdown.wait())
        .run(reconcile, error_policy(CONTROLLER_NAME), ctx)
        .for_each(|_| std::future::ready(())),
    )
}

/// A subject that appeared, changed or went: its kind, namespace (none for integration systems)
/// and name.
type SubjectKey = (SubjectKind, Option<String>, String);

fn subjects(watches: &Watches) -> impl Stream<Item = SubjectKey> + Send + 'static {
    let applications = spec_changes(&watches.applications()).map(|c| {
        let app = c.object();
        (SubjectKind::Application, app.namespace(), app.name_any())
    });
    let runtimes = spec_changes(&watches.runtimes()).map(|c| {
        let runtime = c.object();
        (
            SubjectKind::Runtime,
            runtime.namespace(),
            runtime.name_any(),
        )
    });
    let systems = spec_changes(&watches.integration_systems())
        .map(|c| (SubjectKind::IntegrationSystem, None, c.object().name_any()));
    stream::select(applications, stream::select(runtimes, systems))
}

/// The system auths of a batch of subjects.
fn expand(auths: Store<SystemAuth>) -> impl Fn(&HashSet<SubjectKey>) -> Vec<ObjectRef<SystemAuth>> {
    move |subjects| {
        auths
            .state()
            .iter()
            .filter(|auth| {
                let subject = &auth.spec.subject;
                let namespace = match subject.kind {
                    SubjectKind::IntegrationSystem => None,
                    _ => auth.namespace(),
                };
                subjects.contains(&(subject.kind, namespace, subject.name.clone()))
            })
            .map(|auth| ObjectRef::from_obj(auth.as_ref()))
            .collect()
    }
}

/// Gives a SystemAuth its subject as owner, drops expired one-time tokens and marks revoked
/// certificates, and reports whether its subject exists. Requeued by the time the next token
/// expires, or the resync period if sooner.
async fn reconcile(auth: Arc<SystemAuth>, ctx: Arc<Context>) -> Result<Action> {
    let _timer = ctx.metrics.reconcile(CONTROLLER_NAME);
    if !ctx.stores.wait_until_ready().await {
        return Ok(Action::await_change());
    }
    if auth.meta().deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let namespace = auth.namespace().ok_or(Error::Missing("namespace"))?;
    let api: Api<SystemAuth> = Api::namespaced(ctx.client.clone(), &namespace);
    let owner = subject_of(&ctx, &auth.spec.subject, &namespace);
    if let Some(owner) = &owner {
        adopt(&api, &auth, owner).await?;
    }

    let now = Timestamp::now();
    let current = auth.status.clone().unwrap_or_default();
    let edits = status_edits(&current, &auth.spec.revoked_certificates, now);
    if !edits.is_empty() {
        json_patch_status(&api, &auth.name_any(), Value::Array(edits)).await?;
    }

    let desired = desired_status(&auth, &current, &namespace, owner.is_some());
    // Only the fields this controller owns are compared and applied; the Connector's stay.
    let mine = owned_status(&current);
    apply_status(&api, auth.as_ref(), FIELD_MANAGER, Some(&mine), &desired).await?;
    report_ready_transition(
        &ctx,
        auth.as_ref(),
        &current.conditions,
        &desired.conditions,
    );
    ctx.succeeded(&key(auth.as_ref()));
    let recheck = next_token_expiry(&current, now)
        .map_or(ctx.config.resync, |left| left.min(ctx.config.resync));
    Ok(Action::requeue(recheck))
}

/// The fields of the status this controller owns, as it should have them: `Ready` (whether the
/// subject exists) and the latest expiry of a certificate that is not revoked.
fn desired_status(
    auth: &SystemAuth,
    current: &SystemAuthStatus,
    namespace: &str,
    subject_exists: bool,
) -> SystemAuthStatus {
    let mut conditions = Conditions::new(&current.conditions, auth.metadata.generation);
    let ready = subject_verdict(&auth.spec.subject, namespace, subject_exists);
    conditions.set(READY, ready.holds, ready.reason, ready.message);
    SystemAuthStatus {
        observed_generation: auth.metadata.generation,
        conditions: conditions.into_vec(),
        certificate_expiry: certificate_expiry(current, &auth.spec.revoked_certificates),
        ..SystemAuthStatus::default()
    }
}

/// The fields of the stored status this controller owns, the others left empty.
fn owned_status(current: &SystemAuthStatus) -> SystemAuthStatus {
    SystemAuthStatus {
        observed_generation: current.observed_generation,
        conditions: current.conditions.clone(),
        certificate_expiry: current.certificate_expiry.clone(),
        ..SystemAuthStatus::default()
    }
}

/// An owner reference to the subject, when it exists (in the cache).
fn subject_of(
    ctx: &Context,
    subject: &SystemAuthSubject,
    namespace: &str,
) -> Option<OwnerReference> {
    let name = subject.name.as_str();
    match subject.kind {
        SubjectKind::Application => ctx
            .stores
            .applications
            .get(&ObjectRef::<Application>::new(name).within(namespace))
            .and_then(|o| o.owner_ref(&())),
        SubjectKind::Runtime => ctx
            .stores
            .runtimes
            .get(&ObjectRef::<Runtime>::new(name).within(namespace))
            .and_then(|o| o.owner_ref(&())),
        SubjectKind::IntegrationSystem => ctx
            .stores
            .integration_systems
            .get(&ObjectRef::<IntegrationSystem>::new(name))
            .and_then(|o| o.owner_ref(&())),
    }
}

/// Adds `owner` to the system auth's owner references unless it is there (a metadata patch,
/// which leaves the spec alone).
async fn adopt(api: &Api<SystemAuth>, auth: &SystemAuth, owner: &OwnerReference) -> Result<()> {
    let current = auth.owner_references();
    if current.iter().any(|o| o.uid == owner.uid) {
        return Ok(());
    }
    let patch = if current.is_empty() {
        json!([
            { "op": "test", "path": "/metadata/ownerReferences", "value": null },
            { "op": "add", "path": "/metadata/ownerReferences", "value": [owner] },
        ])
    } else {
        json!([
            { "op": "test", "path": "/metadata/ownerReferences", "value": current },
            { "op": "add", "path": "/metadata/ownerReferences/-", "value": owner },
        ])
    };
    json_patch(api, &auth.name_any(), patch).await
}

fn subject_verdict(subject: &SystemAuthSubject, namespace: &str, found: bool) -> Verdict {
    let kind = format!("{:?}", subject.kind);
    let where_ = match subject.kind {
        SubjectKind::IntegrationSystem => String::new(),
        _ => format!(" in namespace {namespace}"),
    };
    if found {
        Verdict::pass(
            "SubjectFound",
            format!(
                "{kind} {}{where_} exists and owns this identity",
                subject.name
            ),
        )
    } else {
        Verdict::fail(
            "SubjectNotFound",
            format!(
                "{kind} {}{where_} does not exist; create it, or delete this SystemAuth",
                subject.name
            ),
        )
    }
}

/// JSON patch operations on the status: remove expired one-time tokens and set each
/// certificate's `revoked` flag from the spec. Each change first tests the entry it touches, so
/// a concurrent write by the Connector makes the patch fail rather than hit the wrong entry.
fn status_edits(status: &SystemAuthStatus, revoked: &[String], now: Timestamp) -> Vec<Value> {
    let mut edits = Vec::new();
    // From the end, so each removal leaves the indices still to come in place.
    for (index, token) in status.one_time_tokens.iter().enumerate().rev() {
        if token.expires_at.0 <= now {
            let path = format!("/status/oneTimeTokens/{index}");
            edits.push(json!({ "op": "test", "path": format!("{path}/tokenHash"), "value": token.token_hash }));
            edits.push(json!({ "op": "remove", "path": path }));
        }
    }
    for (index, certificate) in status.certificates.iter().enumerate() {
        let wanted = revoked.contains(&certificate.serial_number);
        if wanted == certificate.revoked {
            continue;
        }
        let path = format!("/status/certificates/{index}");
        edits.push(json!({ "op": "test", "path": format!("{path}/serialNumber"), "value": certificate.serial_number }));
        edits.push(if wanted {
            json!({ "op": "add", "path": format!("{path}/revoked"), "value": true })
        } else {
            json!({ "op": "remove", "path": format!("{path}/revoked") })
        });
    }
    edits
}

/// The latest expiry of a certificate whose serial number is not revoked.
fn certificate_expiry(status: &SystemAuthStatus, revoked: &[String]) -> Option<Time> {
    status
        .certificates
        .iter()
        .filter(|c| !revoked.contains(&c.serial_number))
        .map(|c| c.not_after.clone())
        .max_by_key(|t| t.0)
}

/// How long until the next one-time token expires.
fn next_token_expiry(status: &SystemAuthStatus, now: Timestamp) -> Option<Duration> {
    status
        .one_time_tokens
        .iter()
        .map(|t| t.expires_at.0)
        .filter(|at| *at > now)
        .min()
        .map(|at| {
            Duration::try_from(at.duration_since(now)).unwrap_or_default()
                + Duration::from_millis(50)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(second: i64) -> String {
        Timestamp::from_second(second).unwrap().to_string()
    }

    fn status() -> SystemAuthStatus {
        serde_json::from_value(json!({
            "oneTimeTokens": [
                { "tokenHash": format!("sha256:{}", "a".repeat(64)), "purpose": "Pairing", "issuedAt": at(0), "expiresAt": at(100) },
                { "tokenHash": format!("sha256:{}", "b".repeat(64)), "purpose": "Pairing", "issuedAt": at(0), "expiresAt": at(300) },
                { "tokenHash": format!("sha256:{}", "c".repeat(64)), "purpose": "CertificateSigning", "issuedAt": at(0), "expiresAt": at(150), "used": true },
            ],
            "certificates": [
                { "serialNumber": "0a", "fingerprint": format!("sha256:{}", "d".repeat(64)), "subject": "CN=x", "notBefore": at(0), "notAfter": at(5000) },
                { "serialNumber": "0b", "fingerprint": format!("sha256:{}", "e".repeat(64)), "subject": "CN=x", "notBefore": at(0), "notAfter": at(9000), "revoked": true },
                { "serialNumber": "0c", "fingerprint": format!("sha256:{}", "f".repeat(64)), "subject": "CN=x", "notBefore": at(0), "notAfter": at(7000) },
            ],
        }))
        .unwrap()
    }

    #[test]
    fn expired_tokens_are_removed_from_the_end_after_testing_their_hash() {
        let edits = status_edits(
            &status(),
            &["0b".to_owned()],
            Timestamp::from_second(200).unwrap(),
        );
        let paths: Vec<(&str, &str)> = edits
            .iter()
            .map(|e| (e["op"].as_str().unwrap(), e["path"].as_str().unwrap()))
            .collect();
        assert_eq!(
            paths,
            [
                ("test", "/status/oneTimeTokens/2/tokenHash"),
                ("remove", "/status/oneTimeTokens/2"),
                ("test", "/status/oneTimeTokens/0/tokenHash"),
                ("remove", "/status/oneTimeTokens/0"),
            ]
        );
        assert_eq!(
            next_token_expiry(&status(), Timestamp::from_second(200).unwrap()),
            Some(Duration::from_millis(100_050))
        );
    }

    #[test]
    fn revoked_flags_follow_the_spec_and_revoked_certificates_do_not_count() {
        let edits = status_edits(
            &status(),
            &["0c".to_owned()],
            Timestamp::from_second(0).unwrap(),
        );
        assert_eq!(edits.len(), 4);
        assert_eq!(
            edits[1],
            json!({ "op": "remove", "path": "/status/certificates/1/revoked" })
        );
        assert_eq!(
            edits[3],
            json!({ "op": "add", "path": "/status/certificates/2/revoked", "value": true })
        );
        let expiry = certificate_expiry(&status(), &["0b".to_owned()]).unwrap();
        assert_eq!(expiry.0, Timestamp::from_second(7000).unwrap());
        assert_eq!(
            certificate_expiry(&status(), &["0a".into(), "0b".into(), "0c".into()]),
            None
        );
    }
}
