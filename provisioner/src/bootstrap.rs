//! The Runtime Agent's configuration for a runtime being provisioned: the tenant's external id,
//! the Connector and its CA, and one fresh one-time token per provisioning, kept until the
//! provisioning succeeds.

use compass_crds::Tenant;
use kube::{Api, api::ListParams};

use crate::{
    controller::{Context, Error},
    provider::{AgentBootstrap, RuntimeTarget},
};

/// The agent's configuration for `target`, with the token issued for this provisioning (one per
/// provisioning, kept until it succeeds).
pub(crate) async fn bootstrap(
    ctx: &Context,
    target: &RuntimeTarget,
) -> Result<AgentBootstrap, Error> {
    let tenants: Api<Tenant> = Api::all(ctx.client.clone());
    let listed = tenants
        .list(&ListParams::default())
        .await
        .map_err(|e| Error(format!("reading the tenants failed: {e}")))?;
    let tenant = listed
        .items
        .iter()
        .find(|t| t.namespace_name() == target.namespace)
        .map(|t| t.spec.external_id.clone())
        .ok_or_else(|| Error(format!("no tenant owns namespace {}", target.namespace)))?;
    let mut tokens = ctx.tokens.lock().await;
    let token = match tokens.get(&target.id) {
        Some(token) => token.clone(),
        None => {
            let issued = (ctx.config.issue_token)(target.namespace.clone(), target.name.clone())
                .await
                .map_err(|e| Error(format!("issuing the agent's one-time token failed: {e}")))?;
            tokens.insert(target.id.clone(), issued.clone());
            issued
        }
    };
    Ok(AgentBootstrap {
        connector_url: ctx.config.connector_url.clone(),
        runtime_id: target.id.clone(),
        tenant,
        token,
        ca_cert: ctx.config.ca_cert.clone(),
    })
}
