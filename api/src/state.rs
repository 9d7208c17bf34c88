//! Everything the Director serves from: the process's shared stores of every kind it reads
//! (see `compass_cache`), with the tags its queries look objects up by.

use std::sync::Arc;

use compass_cache::Watches;
use compass_crds::{
    Application, ApplicationTemplate, IntegrationSystem, LabelDefinition, Runtime, Scenario,
    SystemAuth, Tenant,
};
use k8s_openapi::api::{
    coordination::v1::Lease,
    core::v1::{ConfigMap, Secret},
};

pub use compass_cache::{
    Cached, Shared,
    kinds::{
        definition_tag, external_id_tag, label_tag, scenario_tag, subject_tag, tenant_namespace_tag,
    },
};
pub use compass_crds::well_known::{APPLICATION_LABEL, CREDENTIALS_LABEL};

use crate::director::Renderings;

/// The stores of every kind the Director reads.
#[derive(Clone)]
pub struct Caches {
    /// Tenants, tagged by external id ([`external_id_tag`]) and by the namespace their status
    /// names ([`tenant_namespace_tag`]).
    pub tenants: Shared<Tenant>,
    /// Applications, also by the ids of their children, and tagged by scenario and label key
    /// ([`scenario_tag`], [`label_tag`]).
    pub applications: Shared<Application>,
    /// Runtimes, tagged by scenario and label key.
    pub runtimes: Shared<Runtime>,
    /// Scenarios.
    pub scenarios: Shared<Scenario>,
    /// Label definitions, tagged by key ([`definition_tag`]).
    pub label_definitions: Shared<LabelDefinition>,
    /// Integration systems.
    pub integration_systems: Shared<IntegrationSystem>,
    /// Application templates.
    pub application_templates: Shared<ApplicationTemplate>,
    /// System auths, tagged by subject ([`subject_tag`]).
    pub system_auths: Shared<SystemAuth>,
    /// Secrets the Director created for credentials.
    pub secrets: Shared<Secret>,
    /// ConfigMaps holding spec content.
    pub config_maps: Shared<ConfigMap>,
    /// The Runtime Agents' heartbeat Leases, which the Director renews for them.
    pub heartbeat_leases: Shared<Lease>,
    /// The applications' fields rendered as JSON, one rendering for each version held.
    pub renderings: Arc<Renderings>,
}

impl Caches {
    /// The Director's stores among `watches` (their watches start now, if no other part of the
    /// process started them).
    pub fn new(watches: &Watches) -> Self {
        let applications = watches.applications();
        let renderings = Arc::new(Renderings::default());
        // Rendered as the watch delivers them; without a runtime (unit tests) as read.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (kept, changes) = (renderings.clone(), applications.subscribe_changes());
            runtime.spawn(async move { kept.keep(changes).await });
        }
        Self {
            tenants: watches.tenants(),
            applications,
            runtimes: watches.runtimes(),
            scenarios: watches.scenarios(),
            label_definitions: watches.label_definitions(),
            integration_systems: watches.integration_systems(),
            application_templates: watches.application_templates(),
            system_auths: watches.system_auths(),
            secrets: watches.credential_secrets(),
            config_maps: watches.spec_config_maps(),
            heartbeat_leases: watches.heartbeat_leases(),
            renderings,
        }
    }

    /// Stores that stay empty, for unit tests of what reads them.
    #[cfg(test)]
    pub fn empty() -> Self {
        Self::new(&Watches::unwatched())
    }

    /// A reading of the stores the Director answers queries from, for telling later whether
    /// any of them changed: `None` while one is applying a change (what a query reads then may
    /// be half of it). Equal readings mean none of them changed in between. The heartbeat
    /// Leases are left out: no answer shows them, and agents renew them all the time.
    pub fn changes(&self) -> Option<u64> {
        macro_rules! sum {
            ($count:ident) => {
                self.tenants.$count()
                    + self.applications.$count()
                    + self.runtimes.$count()
                    + self.scenarios.$count()
                    + self.label_definitions.$count()
                    + self.integration_systems.$count()
                    + self.application_templates.$count()
                    + self.system_auths.$count()
                    + self.secrets.$count()
                    + self.config_maps.$count()
            };
        }
        // Shown, then begun: a change begun after the first sum shows as a difference.
        let shown = sum!(changes);
        let begun = sum!(changes_begun);
        (shown == begun).then_some(shown)
    }

    /// Completes once every store holds its first full list; `false` if a watch stopped first.
    pub async fn ready(&self) -> bool {
        self.tenants.ready().await
            && self.applications.ready().await
            && self.runtimes.ready().await
            && self.scenarios.ready().await
            && self.label_definitions.ready().await
            && self.integration_systems.ready().await
            && self.application_templates.ready().await
            && self.system_auths.ready().await
            && self.secrets.ready().await
            && self.config_maps.ready().await
            && self.heartbeat_leases.ready().await
    }
}
