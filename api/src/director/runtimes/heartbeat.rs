//! The Runtime Agent's heartbeat, kept by the Director on the agent's behalf: an agent reaches
//! the management plane only through this API, so each time a runtime's own agent reads its
//! applications (`applicationsForRuntime` with its certificate or token), the Lease labelled with
//! the runtime's name in its tenant namespace is renewed; each report the agent sends (its
//! version, state and counts) renews it too and is kept on it. The operator derives the
//! runtime's `Available` condition and `status.agent` from that Lease.

use compass_crds::{AGENT_REPORT_ANNOTATION, AgentReport, Runtime, well_known::RUNTIME_LABEL};
use k8s_openapi::{
    api::coordination::v1::{Lease, LeaseSpec},
    apimachinery::pkg::apis::meta::v1::MicroTime,
};
use kube::{
    Api, Client, ResourceExt,
    api::{ObjectMeta, Patch, PatchParams},
};

use crate::{
    director::context::{FIELD_MANAGER, caches, caller, client},
    gateway::ConsumerKind,
};

/// How long a heartbeat counts, in seconds: the agent reports every 15 s, an old agent polls
/// every 20 s or more often.
const LEASE_SECONDS: i32 = 40;
/// Field manager of the agents' reports on their Leases.
const REPORT_FIELD_MANAGER: &str = "compass-director-agent-report";
/// Renewals closer together than this are skipped: an agent polling every few seconds does not
/// write the Lease each time.
const RENEW_EVERY_SECONDS: i64 = 10;

/// Renews the heartbeat of `runtime` in `namespace` when the caller is that runtime's agent.
/// A failure is logged and never fails the query it rides on.
pub async fn beat(ctx: &async_graphql::Context<'_>, namespace: &str, runtime: &Runtime) {
    let Ok(caller) = caller(ctx) else { return };
    let uid = runtime.uid().unwrap_or_default();
    if caller.kind != ConsumerKind::Runtime || caller.id != uid {
        return;
    }
    // A renewal is due by the clock, so a kept answer would skip it.
    crate::director::answers::forbid_reuse(ctx);
    let name = lease_name(&runtime.name_any());
    let now = jiff::Timestamp::now();
    let held = caches(ctx).heartbeat_leases.get(namespace, &name);
    let recent = held
        .as_ref()
        .and_then(|lease| lease.spec.as_ref()?.renew_time.as_ref().map(|t| t.0))
        .is_some_and(|renewed| now.as_second() - renewed.as_second() < RENEW_EVERY_SECONDS);
    if recent {
        return;
    }
    let renewal = renew(
        client(ctx),
        namespace,
        runtime,
        caller.client_id.clone(),
        None,
    );
    if let Err(error) = renewal.await {
        tracing::warn!(%error, runtime = %runtime.name_any(), "Renewing the agent's heartbeat Lease failed");
    }
}

/// Renews the heartbeat Lease of `runtime`, held by `holder`; with the agent's `report`, keeps
/// that too. A report is written under a field manager of its own, so that a renewal without
/// one (an old agent's poll) keeps the last report.
pub async fn renew(
    client: Client,
    namespace: &str,
    runtime: &Runtime,
    holder: Option<String>,
    report: Option<&AgentReport>,
) -> Result<(), kube::Error> {
    let name = lease_name(&runtime.name_any());
    let annotations = match report {
        Some(report) => {
            let json = serde_json::to_string(report).unwrap_or_default();
            Some([(AGENT_REPORT_ANNOTATION.to_owned(), json)].into())
        }
        None => None,
    };
    let lease = Lease {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: Some(namespace.to_owned()),
            labels: Some([(RUNTIME_LABEL.to_owned(), runtime.name_any())].into()),
            annotations,
            ..ObjectMeta::default()
        },
        spec: Some(LeaseSpec {
            holder_identity: holder,
            lease_duration_seconds: Some(LEASE_SECONDS),
            renew_time: Some(MicroTime(jiff::Timestamp::now())),
            ..LeaseSpec::default()
        }),
    };
    let manager = match report {
        Some(_) => REPORT_FIELD_MANAGER,
        None => FIELD_MANAGER,
    };
    let leases: Api<Lease> = Api::namespaced(client, namespace);
    let params = PatchParams::apply(manager).force();
    leases.patch(&name, &params, &Patch::Apply(&lease)).await?;
    Ok(())
}

/// The heartbeat Lease's name: the runtime's name and `-agent`, within the 253 characters of a
/// name.
fn lease_name(runtime: &str) -> String {
    let stem: String = runtime.chars().take(253 - "-agent".len()).collect();
    format!("{stem}-agent")
}
