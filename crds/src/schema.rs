//! Schema building blocks shared by the kinds: field limits of the original Compass, reusable CEL
//! rules, and schema functions for values the derive cannot describe on its own.

use schemars::{Schema, SchemaGenerator, json_schema};

/// Longest name of an application, runtime, integration system, template or placeholder.
pub const NAME_MAX_LENGTH: u32 = 36;
/// Longest description of any object.
pub const DESCRIPTION_MAX_LENGTH: u32 = 2000;
/// Longest "long string": URLs, provider names, version values, document kinds, fetch filters.
pub const LONG_STRING_MAX_LENGTH: u32 = 256;
/// Longest "short string": document titles and display names.
pub const SHORT_STRING_MAX_LENGTH: u32 = 128;
/// Longest API or event definition name.
pub const DEFINITION_NAME_MAX_LENGTH: u32 = 100;
/// Longest API or event definition group.
pub const GROUP_MAX_LENGTH: u32 = 36;
/// Longest label key.
pub const LABEL_KEY_MAX_LENGTH: u32 = 256;
/// Longest scenario name.
pub const SCENARIO_NAME_MAX_LENGTH: u32 = 128;
/// Largest inline spec or document body, in bytes. Larger content belongs in a ConfigMap
/// (`dataFrom`) or behind a fetch request, so no object approaches the 1.5 MB object limit.
pub const INLINE_DATA_MAX_LENGTH: u32 = 262_144;

/// The scenario name rule of the original: letters, digits, `-`, `_` and whitespace, starting and
/// ending with a letter or digit.
pub const SCENARIO_NAME_PATTERN: &str = r"^[A-Za-z0-9]([-_A-Za-z0-9\s]*[A-Za-z0-9])$";
/// Printable ASCII, the rule for API and event definition names.
pub const PRINTABLE_ASCII_PATTERN: &str = r"^[\x20-\x7E]+$";
/// A Kubernetes object name (DNS-1123 subdomain) used to refer to another object.
pub const OBJECT_NAME_PATTERN: &str =
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
/// A DNS-1123 label: the names of webhooks, placeholders and namespaces.
pub const DNS_LABEL_PATTERN: &str = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";

/// CEL rule for every URL field: absolute, with an http or https scheme and a host.
// NB: the scheme is checked with `startsWith` rather than `url(self).getScheme()`: the kube-cel
// crate, which evaluates these rules client-side and in the embedded API server, reports an
// empty scheme for every `http://localhost` URL.
pub const URL_RULE: &str = "isURL(self) && (self.startsWith('http://') || self.startsWith('https://')) \
     && url(self).getHostname() != ''";
/// Message shown when [`URL_RULE`] fails.
pub const URL_MESSAGE: &str = "must be an absolute http or https URL";

/// Schema of a value that may be any JSON: string, number, boolean, array, object or null.
pub fn any_json(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "x-kubernetes-preserve-unknown-fields": true })
}

/// Schema of a free-form JSON object whose fields are kept as written.
pub fn free_form_object(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "object", "x-kubernetes-preserve-unknown-fields": true })
}

/// CEL rule on a spec: exactly one of `data`, `dataFrom` and `fetchRequest` is set.
pub const ONE_SOURCE_RULE: &str = "(has(self.data) ? 1 : 0) + (has(self.dataFrom) ? 1 : 0) + (has(self.fetchRequest) ? 1 : 0) == 1";
/// Message shown when [`ONE_SOURCE_RULE`] fails.
pub const ONE_SOURCE_MESSAGE: &str = "exactly one of data, dataFrom or fetchRequest must be set";
/// CEL rule on a document: at most one of `data`, `dataFrom` and `fetchRequest` is set.
pub const AT_MOST_ONE_SOURCE_RULE: &str = "(has(self.data) ? 1 : 0) + (has(self.dataFrom) ? 1 : 0) + (has(self.fetchRequest) ? 1 : 0) <= 1";
/// Message shown when [`AT_MOST_ONE_SOURCE_RULE`] fails.
pub const AT_MOST_ONE_SOURCE_MESSAGE: &str =
    "at most one of data, dataFrom or fetchRequest may be set";
