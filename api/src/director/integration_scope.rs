//! What an integration system may change: it acts in any tenant (its `Tenant` header picks one),
//! but changes only the applications that name it as their integration system, and the
//! applications it registers (directly or from a template) name it. The original documented
//! this rule without enforcing it.
//!
//! Every change of an application or its children goes through `applications::edit`, which
//! checks [`may_change`] against each version it writes; unregistering, issuing an application's
//! credentials and deleting them check it where they find the application; registering and
//! `updateApplication` choose the integration system through [`named_system`].

use compass_crds::{Application, SubjectKind};

use crate::{
    director::context::{caches, caller},
    errors::{ApiResult, Code, error},
    gateway::ConsumerKind,
};

/// The name of the integration system the caller is, or `None` for every other caller.
pub fn acting_system(ctx: &async_graphql::Context<'_>) -> ApiResult<Option<String>> {
    let caller = caller(ctx)?;
    if caller.kind != ConsumerKind::IntegrationSystem {
        return Ok(None);
    }
    let client_id = caller.client_id.as_deref().unwrap_or_default();
    caches(ctx)
        .system_auths
        .by_uid(client_id)
        .filter(|auth| auth.spec.subject.kind == SubjectKind::IntegrationSystem)
        .map(|auth| Some(auth.spec.subject.name.clone()))
        .ok_or_else(|| {
            error(
                Code::Unauthenticated,
                "the integration system's OAuth client no longer exists",
            )
        })
}

/// Refuses the integration system `system` (if the caller is one) a change of `application`
/// unless the application names it.
pub fn check_owner(system: Option<&str>, application: &Application) -> ApiResult<()> {
    let Some(system) = system else {
        return Ok(());
    };
    let owner = application.spec.integration_system.as_deref();
    if owner == Some(system) {
        return Ok(());
    }
    let name = application.metadata.name.as_deref().unwrap_or_default();
    let named = owner.map_or_else(
        || "no integration system".to_owned(),
        |o| format!("integration system {o}"),
    );
    Err(error(
        Code::Forbidden,
        format!(
            "integration system {system} may change only the applications that name it as their integration system; application {name} names {named}"
        ),
    ))
}

/// Refuses an integration system caller a change of `application` unless the application names
/// it; every other caller may.
pub fn may_change(ctx: &async_graphql::Context<'_>, application: &Application) -> ApiResult<()> {
    check_owner(acting_system(ctx)?.as_deref(), application)
}

/// The integration system an application registered or updated by the caller names, given the
/// one the input at `field` asks for: an integration system's applications name it (when the
/// input names none, it is set), and one naming another system is refused.
pub fn named_system(
    ctx: &async_graphql::Context<'_>,
    field: &str,
    requested: Option<String>,
) -> ApiResult<Option<String>> {
    let Some(system) = acting_system(ctx)? else {
        return Ok(requested);
    };
    match requested {
        Some(other) if other != system => Err(error(
            Code::Forbidden,
            format!(
                "integration system {system} may register and change only applications that name it as their integration system; {field} names {other}"
            ),
        )),
        _ => Ok(Some(system)),
    }
}

#[cfg(test)]
mod tests {
    use compass_crds::ApplicationSpec;

    use super::*;

    fn application(system: Option<&str>) -> Application {
        let spec: ApplicationSpec = serde_json::from_value(serde_json::json!({})).unwrap();
        let mut application = Application::new("crm", spec);
        application.spec.integration_system = system.map(str::to_owned);
        application
    }

    #[test]
    fn an_integration_system_changes_only_its_own_applications() {
        assert!(check_owner(None, &application(Some("other"))).is_ok());
        assert!(check_owner(Some("mine"), &application(Some("mine"))).is_ok());
        let refused = check_owner(Some("mine"), &application(Some("other"))).unwrap_err();
        assert!(
            refused
                .message
                .contains("may change only the applications that name it"),
            "{}",
            refused.message
        );
        assert!(check_owner(Some("mine"), &application(None)).is_err());
    }
}
