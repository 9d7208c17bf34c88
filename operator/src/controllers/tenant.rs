//! The Tenant controller: creates and owns each tenant's namespace (labelled with the tenant,
//! annotated with its external id), the tenant's defaults (the `DEFAULT` scenario) and the Roles
//! and RoleBindings of its users (see [`tenant_access`]). Deleting a Tenant deletes its namespace,
//! and with it everything the tenant registered, by owner reference.

use std::sync::Arc;

use compass_crds::{
    Scenario, Tenant, TenantStatus, conditions::READY, is_system_namespace,
    labels::DEFAULT_SCENARIO,
};
use futures_util::{StreamExt, stream};
use k8s_openapi::api::core::v1::Namespace;
use kube::{
    Api, Resource, ResourceExt,
    api::{Patch, PatchParams},
    runtime::{Controller, controller::Action, reflector::ObjectRef},
};
use serde_json::json;

use super::{
    Context, ControllerTask,
    checks::Verdict,
    error::{Error, Result, error_policy, key},
    namesakes::older_claim,
    status::{Conditions, apply_status, report_ready_transition},
    stores::{TENANT_LABEL, Watches},
    tenant_access,
    triggers::{self, own_changes, spec_changes},
};
use crate::shutdown::Shutdown;

/// Name of this controller in logs and metrics.
pub const CONTROLLER_NAME: &str = "tenant";
/// Field manager of everything this controller writes.
pub const FIELD_MANAGER: &str = "tenant-controller.compass.kyma-project.io";
/// Annotation on a tenant's namespace with the tenant's external id (which need not be a valid
/// label value).
pub const EXTERNAL_ID_ANNOTATION: &str = "compass.kyma-project.io/external-tenant-id";
/// Name of the object holding each tenant's `DEFAULT` scenario.
pub const DEFAULT_SCENARIO_OBJECT: &str = "default";

/// The Tenant controller's task.
pub fn controller(watches: &Watches, ctx: Arc<Context>, shutdown: Shutdown) -> ControllerTask {
    let tenants = ctx.stores.tenants.clone();
    let by_namespace = ctx.stores.tenants.clone();
    // Another tenant with the same external id appearing or going changes this one.
    let namesakes = spec_changes(&watches.tenants()).flat_map(move |change| {
        let changed = change.object();
        let namesakes: Vec<_> = tenants
            .state()
            .into_iter()
            .filter(|t| {
                t.spec.external_id == changed.spec.external_id && t.name_any() != changed.name_any()
            })
            .map(|t| ObjectRef::from_obj(t.as_ref()))
            .collect();
        stream::iter(namesakes)
    });
    // A scenario of the namespace created, changed or deleted: the DEFAULT one is made again.
    let scenarios = spec_changes(&watches.scenarios()).filter_map(move |change| {
        let namespace = change.object().namespace().unwrap_or_default();
        let tenant = by_namespace
            .state()
            .into_iter()
            .find(|t| t.namespace_name() == namespace)
            .map(|t| ObjectRef::from_obj(t.as_ref()));
        std::future::ready(tenant)
    });
    Box::pin(
        Controller::for_shared_stream(own_changes(&watches.tenants()), watches.tenants().store())
            .watches_shared_stream(
                watches.tenant_namespaces().subscribe(),
                |namespace: Arc<Namespace>| {
                    namespace
                        .labels()
                        .get(TENANT_LABEL)
                        .map(|tenant| ObjectRef::new(tenant))
                },
            )
            .reconcile_on(namesakes)
            .reconcile_on(scenarios)
            .with_config(triggers::config(&ctx))
            .graceful_shutdown_on(shutdown.wait())
            .run(reconcile, error_policy(CONTROLLER_NAME), ctx)
            .for_each(|_| std::future::ready(())),
    )
}

/// Sets a tenant up (its namespace, `DEFAULT` scenario and users' access) unless something
/// stands in the way, and reports which in `Ready`. A namespace still being deleted is looked at
/// again soon.
async fn reconcile(tenant: Arc<Tenant>, ctx: Arc<Context>) -> Result<Action> {
    let _timer = ctx.metrics.reconcile(CONTROLLER_NAME);
    if !ctx.stores.wait_until_ready().await {
        return Ok(Action::await_change());
    }
    if tenant.meta().deletion_timestamp.is_some() {
        // The namespace goes with the Tenant, by owner reference.
        return Ok(Action::await_change());
    }
    let current = tenant.status.clone().unwrap_or_default();
    let mut conditions = Conditions::new(&current.conditions, tenant.metadata.generation);
    let namespace = tenant.namespace_name().to_owned();
    let ready = match refusal(&ctx, &tenant, &namespace) {
        Some(refused) => refused,
        None => set_up(&ctx, &tenant, &namespace).await?,
    };
    conditions.set(READY, ready.holds, ready.reason, ready.message);
    let desired = TenantStatus {
        observed_generation: tenant.metadata.generation,
        conditions: conditions.into_vec(),
        namespace: Some(namespace),
    };
    let api: Api<Tenant> = Api::all(ctx.client.clone());
    apply_status(
        &api,
        tenant.as_ref(),
        FIELD_MANAGER,
        tenant.status.as_ref(),
        &desired,
    )
    .await?;
    report_ready_transition(
        &ctx,
        tenant.as_ref(),
        &current.conditions,
        &desired.conditions,
    );
    ctx.succeeded(&key(tenant.as_ref()));
    Ok(Action::requeue(recheck_after(&ctx, &desired)))
}

/// Why the tenant may not be set up in `namespace`: the namespace belongs to the system, or an
/// older tenant claims the same external id.
fn refusal(ctx: &Context, tenant: &Tenant, namespace: &str) -> Option<Verdict> {
    let system = namespace == ctx.config.system_namespace || is_system_namespace(namespace);
    match duplicate_of(ctx, tenant) {
        // The schema refuses the well-known system namespaces; this also covers an operator
        // installed in a namespace of another name.
        _ if system => Some(Verdict::fail(
            "SystemNamespace",
            format!(
                "Namespace {namespace} belongs to the system and can never be a tenant's; set spec.namespace"
            ),
        )),
        Some(other) => Some(Verdict::fail(
            "DuplicateExternalId",
            format!(
                "Tenant {other} already has external id {:?}; external ids are unique",
                tenant.spec.external_id
            ),
        )),
        None => None,
    }
}

/// Creates or adopts the tenant's namespace, then its `DEFAULT` scenario and its users' access;
/// or says why the namespace cannot be the tenant's (yet).
async fn set_up(ctx: &Context, tenant: &Tenant, namespace: &str) -> Result<Verdict> {
    let verdict = match ensure_namespace(ctx, tenant, namespace).await? {
        NamespaceState::Ready => {
            ensure_default_scenario(ctx, namespace).await?;
            tenant_access::ensure(ctx, tenant, namespace).await?;
            Verdict::pass(
                "NamespaceReady",
                format!("Namespace {namespace} holds the tenant's objects"),
            )
        }
        NamespaceState::Foreign => Verdict::fail(
            "NamespaceConflict",
            format!(
                "Namespace {namespace} exists and does not belong to this tenant; label it {TENANT_LABEL}={} to hand it over, or set spec.namespace",
                tenant.name_any()
            ),
        ),
        NamespaceState::Terminating => Verdict::fail(
            "NamespaceTerminating",
            format!("Namespace {namespace} is being deleted; it is created again once it is gone"),
        ),
    };
    Ok(verdict)
}

/// When to look at the tenant again: soon while its namespace is still being deleted, else
/// after the resync period.
fn recheck_after(ctx: &Context, desired: &TenantStatus) -> std::time::Duration {
    if desired
        .conditions
        .iter()
        .any(|c| c.type_ == READY && c.reason == "NamespaceTerminating")
    {
        return std::time::Duration::from_secs(2);
    }
    ctx.config.resync
}

/// The older tenant that already claims this tenant's external id, if any.
fn duplicate_of(ctx: &Context, tenant: &Tenant) -> Option<String> {
    let tenants = ctx.stores.tenants.state();
    let same_id = tenants
        .iter()
        .filter(|other| other.spec.external_id == tenant.spec.external_id);
    older_claim(tenant, same_id)
}

enum NamespaceState {
    /// The namespace exists and belongs to the tenant.
    Ready,
    /// A namespace of that name belongs to something else.
    Foreign,
    /// The namespace is being deleted.
    Terminating,
}

/// Creates the tenant's namespace, or adopts an existing one labelled with the tenant.
async fn ensure_namespace(ctx: &Context, tenant: &Tenant, name: &str) -> Result<NamespaceState> {
    let api: Api<Namespace> = Api::all(ctx.client.clone());
    let existing = api.get_opt(name).await?;
    if let Some(namespace) = &existing {
        if namespace.labels().get(TENANT_LABEL).map(String::as_str) != Some(&tenant.name_any()) {
            return Ok(NamespaceState::Foreign);
        }
        if namespace.metadata.deletion_timestamp.is_some() {
            return Ok(NamespaceState::Terminating);
        }
    }
    let owner = tenant
        .controller_owner_ref(&())
        .ok_or(Error::Missing("uid"))?;
    let desired = json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": name,
            "labels": { TENANT_LABEL: tenant.name_any() },
            "annotations": { EXTERNAL_ID_ANNOTATION: tenant.spec.external_id },
            "ownerReferences": [owner],
        },
    });
    let already = existing.as_ref().is_some_and(|ns| {
        ns.annotations().get(EXTERNAL_ID_ANNOTATION) == Some(&tenant.spec.external_id)
            && ns
                .owner_references()
                .iter()
                .any(|o| Some(&o.uid) == tenant.metadata.uid.as_ref())
    });
    if !already {
        api.patch(
            name,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&desired),
        )
        .await?;
    }
    Ok(NamespaceState::Ready)
}

/// Creates the tenant's `DEFAULT` scenario unless a scenario of that name exists.
async fn ensure_default_scenario(ctx: &Context, namespace: &str) -> Result<()> {
    let exists = ctx.stores.scenarios.state().iter().any(|s| {
        s.namespace().as_deref() == Some(namespace)
            && (s.scenario_name() == DEFAULT_SCENARIO || s.name_any() == DEFAULT_SCENARIO_OBJECT)
    });
    if exists {
        return Ok(());
    }
    let api: Api<Scenario> = Api::namespaced(ctx.client.clone(), namespace);
    if api.get_opt(DEFAULT_SCENARIO_OBJECT).await?.is_some() {
        return Ok(());
    }
    let scenario = json!({
        "apiVersion": Scenario::api_version(&()),
        "kind": "Scenario",
        "metadata": { "name": DEFAULT_SCENARIO_OBJECT },
        "spec": {
            "name": DEFAULT_SCENARIO,
            "description": "Applications and runtimes that name no scenario belong here.",
        },
    });
    api.patch(
        DEFAULT_SCENARIO_OBJECT,
        &PatchParams::apply(FIELD_MANAGER),
        &Patch::Apply(&scenario),
    )
    .await?;
    Ok(())
}
