//! Changing parts of an application over HTTP, as the original's `TestUpdateApplicationParts`:
//! labels (with label definitions and the scenarios label, [`labels`]), webhooks, API and event
//! definitions and documents ([`children`]); and the input rules each mutation applies, naming
//! the field it refuses ([`input_rules`]).

use crate::director_application_env;

mod children;
mod input_rules;
mod labels;

use director_application_env::{Env, register};
use serde_json::json;

/// Registers an application named `name`; its id.
async fn app_id(env: &Env, name: &str) -> String {
    register(&env.client, json!({ "name": name })).await["id"]
        .as_str()
        .unwrap()
        .to_owned()
}
