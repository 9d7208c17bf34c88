//! What the agent writes in the runtime: Kyma Applications, with the specifications of their APIs
//! and events in ConfigMaps and their credentials in Secrets, converted from the Director's
//! answer to [`APPLICATIONS_FOR_RUNTIME`].
//!
//! [`desired`] is pure: one application of the Director's answer in, the objects to apply out.
//! Applying them (server-side apply, the field manager, deletion) is the sync loop's.

mod convert;
mod names;
mod read;
mod types;

#[cfg(test)]
mod tests;

pub use convert::{Desired, desired, owned_by};
pub use names::application_name;
pub use types::{
    Application, ApplicationSpec, ApplicationStatus, Authentication, CompassMetadata, Credentials,
    CsrfInfo, Entry, EntryType, InstallationStatus, Service,
};

/// Namespace of the ConfigMaps and Secrets of every Application, as in Kyma.
pub const NAMESPACE: &str = "kyma-integration";

/// The `app.kubernetes.io/managed-by` label.
pub const MANAGED_BY_LABEL: &str = "app.kubernetes.io/managed-by";
/// Value of [`MANAGED_BY_LABEL`] on every object the agent writes; it touches no other.
pub const MANAGED_BY: &str = "compass-runtime-agent";
/// Label holding the Compass id of the application an object belongs to.
pub const APPLICATION_ID_LABEL: &str = "compass.kyma-project.io/application-id";
/// Label of a ConfigMap or Secret holding the Compass id of the API or event definition it
/// belongs to.
pub const DEFINITION_ID_LABEL: &str = "compass.kyma-project.io/definition-id";
/// Annotation of a specification's ConfigMap: the kind of specification (`OPEN_API`, `ODATA`,
/// `ASYNC_API`).
pub const SPEC_TYPE_ANNOTATION: &str = "compass.kyma-project.io/spec-type";
/// Annotation of a specification's ConfigMap: its serialization (`JSON`, `YAML`, `XML`).
pub const SPEC_FORMAT_ANNOTATION: &str = "compass.kyma-project.io/spec-format";
/// Key of the specification in its ConfigMap.
pub const SPEC_KEY: &str = "spec";

/// Most API or event definitions of one application the query reads: the Director's largest
/// page. An application with more is not converted (see [`desired`]).
pub const DEFINITIONS_PAGE_SIZE: i32 = 100;

/// The query the agent sends to the Director with its certificate: one page of the applications
/// assigned to the runtime (`$first` of them, after `$after`), with everything [`desired`] reads.
///
/// Credentials are read with `auth(runtimeID:)`: the runtime's own, else those the application's
/// webhook returned for it, else the API's default. Documents are not read: Kyma Applications
/// have no place for them.
pub const APPLICATIONS_FOR_RUNTIME: &str = r#"query ApplicationsForRuntime($runtimeID: ID!, $first: Int, $after: PageCursor) {
  applicationsForRuntime(runtimeID: $runtimeID, first: $first, after: $after) {
    data {
      id
      name
      providerName
      description
      labels
      auths { id }
      apiDefinitions(first: 100) {
        data {
          id
          name
          description
          targetURL
          spec { data format type }
          auth(runtimeID: $runtimeID) {
            auth {
              credential {
                __typename
                ... on BasicCredentialData { username password }
                ... on OAuthCredentialData { clientId clientSecret url }
              }
              additionalHeaders
              additionalQueryParams
              requestAuth { csrf { tokenEndpointURL } }
            }
          }
        }
        pageInfo { hasNextPage }
        totalCount
      }
      eventDefinitions(first: 100) {
        data {
          id
          name
          description
          spec { data format type }
        }
        pageInfo { hasNextPage }
        totalCount
      }
    }
    pageInfo { endCursor hasNextPage }
    totalCount
  }
}"#;
