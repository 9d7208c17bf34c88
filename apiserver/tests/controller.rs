//! A kube-runtime Controller on the embedded API server: it adds its finalizer with a JSON patch,
//! writes status with server-side apply until nothing changes any more, and on deletion runs its
//! cleanup, removes the finalizer and lets the object go.

use crate::test_server;

use std::{
    future::ready,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use futures_util::{StreamExt, TryStreamExt};
use kube::{
    Api, Client, CustomResource, CustomResourceExt, KubeSchema, Resource, ResourceExt,
    api::{DeleteParams, Patch, PatchParams, PostParams, WatchParams},
    core::WatchEvent,
    runtime::{
        Controller,
        controller::Action,
        finalizer::{self, finalizer},
        watcher,
    },
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use test_server::{DEADLINE, TestServer, eventually};
use tokio::sync::oneshot;

const FINALIZER: &str = "widgets.compass.test/cleanup";
const FIELD_MANAGER: &str = "widget-controller";

/// What a widget should be.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[kube(
    group = "widgets.compass.test",
    version = "v1",
    kind = "Widget",
    namespaced,
    status = "WidgetStatus",
    doc = "A test-only resource that the test's controller reconciles."
)]
pub struct WidgetSpec {
    /// Any number; the status reports it doubled.
    pub size: i32,
}

/// What the controller made of a widget.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WidgetStatus {
    /// The generation this status describes.
    pub observed_generation: Option<i64>,
    /// Twice the size.
    pub doubled: i32,
}

/// What the controller did, for the test to look at.
#[derive(Default)]
struct Counters {
    reconciles: AtomicUsize,
    cleanups: AtomicUsize,
    errors: Mutex<Vec<String>>,
}

struct Context {
    client: Client,
    counters: Arc<Counters>,
}

/// The status apply configuration of a widget: the same for the same spec and generation.
fn desired_status(widget: &Widget) -> Value {
    json!({
        "apiVersion": Widget::api_version(&()),
        "kind": Widget::kind(&()),
        "status": {
            "observedGeneration": widget.metadata.generation,
            "doubled": widget.spec.size * 2,
        },
    })
}

async fn reconcile(
    widget: Arc<Widget>,
    context: Arc<Context>,
) -> Result<Action, finalizer::Error<kube::Error>> {
    context.counters.reconciles.fetch_add(1, Ordering::SeqCst);
    let namespace = widget.namespace().expect("widgets are namespaced");
    let api: Api<Widget> = Api::namespaced(context.client.clone(), &namespace);
    let api = &api;
    let counters = &context.counters;
    finalizer(api, FINALIZER, widget, |event| async move {
        match event {
            finalizer::Event::Apply(widget) => {
                let apply = PatchParams::apply(FIELD_MANAGER).force();
                let status = Patch::Apply(desired_status(&widget));
                api.patch_status(&widget.name_any(), &apply, &status)
                    .await?;
                Ok(Action::await_change())
            }
            finalizer::Event::Cleanup(_) => {
                counters.cleanups.fetch_add(1, Ordering::SeqCst);
                Ok(Action::await_change())
            }
        }
    })
    .await
}

fn error_policy(
    _: Arc<Widget>,
    error: &finalizer::Error<kube::Error>,
    context: Arc<Context>,
) -> Action {
    context
        .counters
        .errors
        .lock()
        .unwrap()
        .push(error.to_string());
    Action::requeue(Duration::from_millis(200))
}

/// Waits until the widget's resourceVersion and the reconcile count stay the same for a second;
/// returns that resourceVersion.
async fn settled(widgets: &Api<Widget>, name: &str, counters: &Counters) -> String {
    let snapshot = || async {
        let rv = widgets.get(name).await.unwrap().resource_version().unwrap();
        (rv, counters.reconciles.load(Ordering::SeqCst))
    };
    let deadline = tokio::time::Instant::now() + DEADLINE;
    let mut last = snapshot().await;
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let now = snapshot().await;
        if now == last {
            return now.0;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the widget and its controller did not settle: {last:?} then {now:?}"
        );
        last = now;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_controller_adds_its_finalizer_converges_on_applied_status_and_cleans_up_on_delete() {
    let server = TestServer::start().await;
    server.create_crds(vec![Widget::crd()]).await;
    server.create_namespace("factory").await;
    let client = server.client().await;
    let widgets: Api<Widget> = Api::namespaced(client.clone(), "factory");
    let counters = Arc::new(Counters::default());
    let context = Arc::new(Context {
        client,
        counters: counters.clone(),
    });
    let (stop, stopped) = oneshot::channel::<()>();
    let controller = Controller::new(widgets.clone(), watcher::Config::default())
        .graceful_shutdown_on(async {
            let _ = stopped.await;
        })
        .run(reconcile, error_policy, context)
        .for_each(|_| ready(()));
    let controller = tokio::spawn(controller);

    let widget = Widget::new("w1", WidgetSpec { size: 21 });
    widgets
        .create(&PostParams::default(), &widget)
        .await
        .unwrap();
    let converged = eventually("the controller to write status", || async {
        let found = widgets.get("w1").await.ok()?;
        (found.status.as_ref()?.doubled == 42).then_some(found)
    })
    .await;
    assert_eq!(converged.finalizers(), [FINALIZER]);
    assert_eq!(
        converged.status.as_ref().unwrap().observed_generation,
        converged.metadata.generation
    );

    // The controller's status write triggers one more reconcile whose identical apply must be a
    // no-op; otherwise the controller would loop and never settle.
    let rv = settled(&widgets, "w1", &counters).await;
    let reconciles = counters.reconciles.load(Ordering::SeqCst);
    assert!((2..=4).contains(&reconciles), "{reconciles} reconciles");

    let mut changes = widgets
        .watch(&WatchParams::default().timeout(2), &rv)
        .await
        .unwrap()
        .boxed();
    let apply = PatchParams::apply(FIELD_MANAGER).force();
    let again = widgets
        .patch_status("w1", &apply, &Patch::Apply(desired_status(&converged)))
        .await
        .unwrap();
    assert_eq!(again.resource_version().as_deref(), Some(rv.as_str()));
    while let Some(event) = changes.try_next().await.unwrap() {
        assert!(
            matches!(event, WatchEvent::Bookmark(_)),
            "an identical apply caused {event:?}"
        );
    }

    let deleting = widgets
        .delete("w1", &DeleteParams::default())
        .await
        .unwrap();
    let deleting = deleting.left().expect("the finalizer holds the widget");
    assert!(deleting.meta().deletion_timestamp.is_some());
    eventually("the widget to be gone", || async {
        widgets.get_opt("w1").await.unwrap().is_none().then_some(())
    })
    .await;
    assert_eq!(counters.cleanups.load(Ordering::SeqCst), 1);
    assert_eq!(*counters.errors.lock().unwrap(), Vec::<String>::new());

    stop.send(()).unwrap();
    tokio::time::timeout(DEADLINE, controller)
        .await
        .expect("the controller stops in time")
        .unwrap();
    server.stop().await;
}
