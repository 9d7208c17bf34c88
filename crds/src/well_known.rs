//! Names every part agrees on: labels and annotations the operator and the Director API both read
//! or write on objects that are not Compass kinds (Secrets, ConfigMaps, Leases, Namespaces), and
//! the default tenant that `compass up` creates.

/// Label on the ConfigMaps and Secrets an application owns, naming the Application.
pub const APPLICATION_LABEL: &str = "compass.kyma-project.io/application";
/// Label naming a Runtime: on a credentials Secret, the runtime the credentials are for; on a
/// Runtime Agent's heartbeat Lease, the runtime it belongs to.
pub const RUNTIME_LABEL: &str = "compass.kyma-project.io/runtime";
/// Label on every Secret holding credentials of an application. The Director caches the
/// Secrets carrying it (and no others); the value says who wrote the Secret.
pub const CREDENTIALS_LABEL: &str = "compass.kyma-project.io/credentials";
/// Label on a tenant's namespace, naming the Tenant it belongs to.
pub const TENANT_LABEL: &str = "compass.kyma-project.io/tenant";
/// Annotation on an Application that, set to a new value, makes the operator fetch every spec
/// and document again.
pub const REFETCH_ANNOTATION: &str = "compass.kyma-project.io/refetch";

/// Name of the Tenant `compass up` creates.
pub const DEFAULT_TENANT_NAME: &str = "default";
/// External id of the default tenant: the one the original Compass used for its default tenant,
/// so clients written for it find it.
pub const DEFAULT_TENANT_EXTERNAL_ID: &str = "3e64ebae-38b5-46a0-b1ed-9ccee153a0ae";
/// The namespace of the default tenant.
pub const DEFAULT_TENANT_NAMESPACE: &str = "default-tenant";
