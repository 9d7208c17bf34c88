//! `CONFIGURATION_CHANGED` webhooks, delivered: when a runtime starts to see the application,
//! each such webhook is POSTed a JSON description of the application and the runtime. An answer
//! may carry credentials for that runtime (the Director's `AuthInput` shape); they are stored in a
//! Secret owned by the application. Failed calls are retried with backoff and reported, but do not
//! make the application un-Ready. When a runtime stops seeing the application, its Secret goes.

use std::{collections::BTreeSet, sync::Arc, time::Duration};

use compass_crds::{
    Application, ApplicationStatus, Runtime,
    application::{RuntimeCredentialStatus, Webhook, WebhookFailureStatus, WebhookType},
};
use futures_util::{StreamExt, stream};
use k8s_openapi::{api::core::v1::Secret, apimachinery::pkg::apis::meta::v1::Time};
use kube::{
    Api, ResourceExt,
    api::{DeleteParams, Patch, PatchParams},
};

use super::{
    FIELD_MANAGER,
    answer::{ReturnedCredential, parse_answer, secret_manifest},
    children::{backoff, credentials_secret_name, remaining},
};
use crate::{
    controllers::{
        Context,
        error::{Error, Result},
        status::{EventType, publish},
    },
    http::{secrets::SecretSource, status_text},
};

/// How many runtimes of one application are called at once.
const PARALLEL_CALLS: usize = 16;
/// Most runtimes one reconcile calls the webhooks for; the rest follow in the next one, so that a
/// reconcile takes at most a few webhook timeouts however many runtimes are due.
const MAX_RUNTIMES_PER_RECONCILE: usize = 32;
/// Largest webhook answer read.
const ANSWER_MAX_BYTES: usize = 64 * 1024;

/// What the webhooks answered, per runtime that sees the application.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Deliveries {
    /// Whether the application has any `CONFIGURATION_CHANGED` webhook.
    pub has_webhooks: bool,
    /// Runtimes whose webhooks all answered.
    pub credentials: Vec<RuntimeCredentialStatus>,
    /// Runtimes with a failed call.
    pub failures: Vec<WebhookFailureStatus>,
    /// When the earliest failure is retried.
    pub retry_in: Option<Duration>,
}

/// The application's `CONFIGURATION_CHANGED` webhooks.
fn configuration_changed(app: &Application) -> Vec<&Webhook> {
    app.spec
        .webhooks
        .iter()
        .filter(|w| w.type_ == WebhookType::ConfigurationChanged)
        .collect()
}

/// The deliveries as `previous` recorded them, without calling anything: for the status written
/// while fetches run.
pub fn unchanged(app: &Application, previous: &ApplicationStatus) -> Deliveries {
    Deliveries {
        has_webhooks: !configuration_changed(app).is_empty(),
        credentials: previous.runtime_credentials.clone(),
        failures: previous.webhook_failures.clone(),
        retry_in: None,
    }
}

/// Calls the webhooks for every runtime in `visible` that has not had its answers yet and whose
/// backoff has passed, and removes the credentials of runtimes no longer in `visible`.
pub async fn run<S: SecretSource>(
    ctx: &Context,
    app: &Application,
    visible: &[Arc<Runtime>],
    previous: &ApplicationStatus,
    secrets: &S,
    now: &Time,
) -> Result<Deliveries> {
    let hooks = configuration_changed(app);
    let seen: BTreeSet<String> = visible.iter().map(|r| r.name_any()).collect();
    let mut deliveries = Deliveries {
        has_webhooks: !hooks.is_empty(),
        ..Deliveries::default()
    };
    for entry in &previous.runtime_credentials {
        if seen.contains(&entry.runtime) {
            deliveries.credentials.push(entry.clone());
        } else {
            remove_secret(ctx, app, &entry.runtime, entry.secret.as_deref()).await?;
        }
    }
    for entry in &previous.webhook_failures {
        if !seen.contains(&entry.runtime) || hooks.is_empty() {
            remove_secret(ctx, app, &entry.runtime, entry.secret.as_deref()).await?;
        }
    }
    if hooks.is_empty() {
        return Ok(deliveries);
    }
    let mut due = Vec::new();
    for runtime in visible {
        let name = runtime.name_any();
        if deliveries.credentials.iter().any(|c| c.runtime == name) {
            continue;
        }
        let failure = previous.webhook_failures.iter().find(|f| f.runtime == name);
        match failure.map(|f| remaining(&f.last_attempt_time, f.attempts, now)) {
            Some(wait) if !wait.is_zero() => {
                deliveries.failures.extend(failure.cloned());
                deliveries.retry(wait);
            }
            _ if due.len() == MAX_RUNTIMES_PER_RECONCILE => {
                // Left for the next reconcile, which follows at once.
                deliveries.failures.extend(failure.cloned());
                deliveries.retry(Duration::ZERO);
            }
            _ => due.push((runtime.clone(), failure.cloned())),
        }
    }
    let outcomes: Vec<Result<Delivery>> = stream::iter(due)
        .map(|(runtime, failure)| deliver(ctx, app, &hooks, runtime, failure, secrets, now))
        .buffer_unordered(PARALLEL_CALLS)
        .collect()
        .await;
    for outcome in outcomes {
        match outcome? {
            Delivery::Done(entry) => deliveries.credentials.push(entry),
            Delivery::Failed(entry) => {
                deliveries.retry(backoff(entry.attempts));
                deliveries.failures.push(entry);
            }
        }
    }
    deliveries
        .credentials
        .sort_by(|a, b| a.runtime.cmp(&b.runtime));
    deliveries
        .failures
        .sort_by(|a, b| a.runtime.cmp(&b.runtime));
    Ok(deliveries)
}

impl Deliveries {
    fn retry(&mut self, wait: Duration) {
        self.retry_in = Some(self.retry_in.map_or(wait, |r| r.min(wait)));
    }
}

enum Delivery {
    Done(RuntimeCredentialStatus),
    Failed(WebhookFailureStatus),
}

/// Calls, for one runtime, each webhook that has not answered for it yet, in order, stopping at
/// the first failure.
async fn deliver<S: SecretSource>(
    ctx: &Context,
    app: &Application,
    hooks: &[&Webhook],
    runtime: Arc<Runtime>,
    failure: Option<WebhookFailureStatus>,
    secrets: &S,
    now: &Time,
) -> Result<Delivery> {
    let runtime_name = runtime.name_any();
    let mut answered = failure
        .as_ref()
        .map(|f| f.answered.clone())
        .unwrap_or_default();
    let mut secret = failure.as_ref().and_then(|f| f.secret.clone());
    for hook in hooks {
        if answered.contains(&hook.name) {
            continue;
        }
        match call(ctx, app, hook, &runtime, secrets).await {
            Ok((status, returned)) => {
                let mut note = format!(
                    "Webhook {} answered {} for runtime {runtime_name}",
                    hook.name,
                    status_text(status)
                );
                if let Some(credential) = returned {
                    let name = store(ctx, app, &runtime_name, &credential).await?;
                    note.push_str(&format!("; its credentials are in Secret {name}"));
                    secret = Some(name);
                }
                publish(
                    ctx,
                    app,
                    EventType::Normal,
                    "WebhookDelivered",
                    "Webhook",
                    note,
                );
                answered.push(hook.name.clone());
            }
            Err(message) => {
                let attempts = failure.as_ref().map_or(0, |f| f.attempts).saturating_add(1);
                let message = format!("webhook {}: {message}", hook.name);
                // The same words for every attempt, so that repeats count in one Event's series
                // instead of making an Event each; the attempts are in the status.
                let note = format!("Runtime {runtime_name}: {message}; retried with backoff");
                publish(
                    ctx,
                    app,
                    EventType::Warning,
                    "WebhookFailed",
                    "Webhook",
                    note,
                );
                return Ok(Delivery::Failed(WebhookFailureStatus {
                    runtime: runtime_name,
                    attempts,
                    last_attempt_time: now.clone(),
                    message,
                    answered,
                    secret,
                }));
            }
        }
    }
    Ok(Delivery::Done(RuntimeCredentialStatus {
        runtime: runtime_name,
        secret,
        received_at: now.clone(),
    }))
}

/// POSTs the event to one webhook: the answer's status and the credentials it carried, or why
/// the call failed.
async fn call<S: SecretSource>(
    ctx: &Context,
    app: &Application,
    hook: &Webhook,
    runtime: &Runtime,
    secrets: &S,
) -> Result<(u16, Option<ReturnedCredential>), String> {
    let url = &hook.url;
    let timeout = ctx.config.webhook_timeout;
    let failed = |e: &dyn std::fmt::Display| format!("POST {url} failed: {e}");
    let body = serde_json::json!({
        "event": "CONFIGURATION_CHANGED",
        "application": {
            "id": app.uid().unwrap_or_default(),
            "name": app.name_any(),
            "namespace": app.namespace().unwrap_or_default(),
        },
        "runtime": { "id": runtime.uid().unwrap_or_default(), "name": runtime.name_any() },
        "tenant": app.namespace().unwrap_or_default(),
    });
    let request = http::Request::post(url.as_str())
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(http_body_util::Full::new(bytes::Bytes::from(
            body.to_string(),
        )))
        .map_err(|e| failed(&e))?;
    let response = ctx
        .http
        .call(
            request,
            hook.auth.as_deref(),
            secrets,
            timeout,
            ANSWER_MAX_BYTES,
        )
        .await
        .map_err(|e| failed(&e))?;
    if !(200..300).contains(&response.status) {
        return Err(format!(
            "POST {url} answered {}",
            status_text(response.status)
        ));
    }
    let credential = parse_answer(&response.body).map_err(|e| format!("POST {url}: {e}"))?;
    Ok((response.status, credential))
}

/// Writes the credentials returned for `runtime` into the application's Secret for it.
async fn store(
    ctx: &Context,
    app: &Application,
    runtime: &str,
    credential: &ReturnedCredential,
) -> Result<String> {
    let namespace = app.namespace().ok_or(Error::Missing("namespace"))?;
    let name = credentials_secret_name(&app.name_any(), runtime);
    let manifest = secret_manifest(app, runtime, &name, credential)?;
    let api: Api<Secret> = Api::namespaced(ctx.client.clone(), &namespace);
    api.patch(
        &name,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(&manifest),
    )
    .await?;
    Ok(name)
}

/// Deletes the credentials Secret of a runtime that no longer sees the application.
async fn remove_secret(
    ctx: &Context,
    app: &Application,
    runtime: &str,
    secret: Option<&str>,
) -> Result<()> {
    let (Some(secret), Some(namespace)) = (secret, app.namespace()) else {
        return Ok(());
    };
    let api: Api<Secret> = Api::namespaced(ctx.client.clone(), &namespace);
    match api.delete(secret, &DeleteParams::default()).await {
        Ok(_) => {}
        Err(kube::Error::Api(status)) if status.is_not_found() => return Ok(()),
        Err(error) => return Err(error.into()),
    }
    let note = format!("Runtime {runtime} no longer sees the application; deleted Secret {secret}");
    publish(
        ctx,
        app,
        EventType::Normal,
        "CredentialsRemoved",
        "Webhook",
        note,
    );
    Ok(())
}
