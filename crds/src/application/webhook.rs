//! Webhooks of an application: endpoints the management plane calls when something the
//! application cares about changes.

use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::source::CHILD_NAME_PATTERN;
use crate::{auth::Auth, schema::LONG_STRING_MAX_LENGTH};

/// An endpoint of the application that the management plane calls.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct Webhook {
    /// Name of the webhook, unique among the application's webhooks. Lowercase letters, digits
    /// and `-`.
    #[schemars(length(min = 1, max = 63), regex(pattern = CHILD_NAME_PATTERN))]
    pub name: String,

    /// When the webhook is called.
    #[serde(rename = "type")]
    pub type_: WebhookType,

    /// URL the management plane sends the call to.
    #[schemars(length(min = 1, max = LONG_STRING_MAX_LENGTH))]
    #[x_kube(validation = Rule::new(crate::schema::URL_RULE).message(crate::schema::URL_MESSAGE))]
    pub url: String,

    /// Credentials presented to the webhook.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<Box<Auth>>,
}

/// When a webhook is called.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum WebhookType {
    /// When the application's configuration for a runtime changes, for example when a runtime
    /// starts to see the application through a shared scenario. The webhook may answer with
    /// credentials for that runtime.
    #[serde(rename = "CONFIGURATION_CHANGED")]
    ConfigurationChanged,
}
