//! The feed's contract, driven with watch events directly: lookups follow every change, waiters
//! all wake once the first list is in, late subscribers miss nothing, and a relist reports what
//! vanished while the watch was down; the change count follows what readers can see.

use std::{sync::Arc, time::Duration};

use futures_util::{FutureExt, StreamExt};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::{
    api::ObjectMeta,
    runtime::{reflector::store::Writer, watcher::Event},
};

use crate::{Change, Indexing, Shared};

fn config_map(name: &str, uid: &str, colour: &str) -> ConfigMap {
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(name.to_owned()),
            namespace: Some("tenant".to_owned()),
            uid: Some(uid.to_owned()),
            labels: Some([("colour".to_owned(), colour.to_owned())].into()),
            ..ObjectMeta::default()
        },
        ..ConfigMap::default()
    }
}

fn by_colour() -> Indexing<ConfigMap> {
    Indexing {
        extra_keys: |c| {
            vec![format!(
                "name={}",
                c.metadata.name.clone().unwrap_or_default()
            )]
        },
        tags: |c| {
            c.metadata
                .labels
                .iter()
                .flatten()
                .map(|(_, v)| v.clone())
                .collect()
        },
        // A change that keeps the colour is quiet.
        quiet: |before, after| before.metadata.labels == after.metadata.labels,
    }
}

fn names(objects: Vec<Arc<ConfigMap>>) -> Vec<String> {
    objects
        .iter()
        .map(|o| o.metadata.name.clone().unwrap_or_default())
        .collect()
}

/// Feeds `shared` a first list of `objects`.
async fn listed(
    shared: &Shared<ConfigMap>,
    writer: &mut Writer<ConfigMap>,
    objects: impl IntoIterator<Item = ConfigMap>,
) {
    shared.apply(writer, &Event::Init).await;
    for object in objects {
        shared.apply(writer, &Event::InitApply(object)).await;
    }
    shared.apply(writer, &Event::InitDone).await;
}

#[tokio::test]
async fn lookups_follow_every_change() {
    let shared = Shared::new(by_colour());
    let mut writer = shared.writer.lock().unwrap().take().unwrap();
    shared.apply(&mut writer, &Event::Init).await;
    shared
        .apply(&mut writer, &Event::InitApply(config_map("a", "1", "red")))
        .await;
    assert!(
        shared.get("tenant", "a").is_none(),
        "nothing shows before the list is done"
    );
    shared.apply(&mut writer, &Event::InitDone).await;
    assert_eq!(names(shared.tagged("red")), ["a"]);

    shared
        .apply(&mut writer, &Event::Apply(config_map("a", "1", "blue")))
        .await;
    shared
        .apply(&mut writer, &Event::Apply(config_map("b", "2", "blue")))
        .await;
    assert!(shared.tagged("red").is_empty(), "the old tag is forgotten");
    assert!(!shared.has_tag("red"));
    assert_eq!(names(shared.tagged("blue")), ["a", "b"]);
    assert_eq!(names(shared.in_namespace("tenant")), ["a", "b"]);
    assert_eq!(names(shared.by_uid("2").into_iter().collect()), ["b"]);
    assert_eq!(
        names(shared.by_extra("name=a").into_iter().collect()),
        ["a"]
    );

    shared
        .apply(&mut writer, &Event::Delete(config_map("a", "1", "blue")))
        .await;
    assert!(shared.get("tenant", "a").is_none());
    assert!(shared.by_uid("1").is_none());
    assert!(shared.by_extra("name=a").is_none());
    assert_eq!(names(shared.tagged("blue")), ["b"]);
}

#[tokio::test]
async fn the_change_count_grows_with_what_readers_see_and_only_then() {
    let shared = Shared::new(by_colour());
    let mut writer = shared.writer.lock().unwrap().take().unwrap();
    assert_eq!(shared.changes(), 0);
    shared.apply(&mut writer, &Event::Init).await;
    shared
        .apply(&mut writer, &Event::InitApply(config_map("a", "1", "red")))
        .await;
    assert_eq!(shared.changes(), 0, "a list in progress shows nothing yet");
    shared.apply(&mut writer, &Event::InitDone).await;
    let listed = shared.changes();
    assert!(listed > 0);

    shared
        .apply(&mut writer, &Event::Apply(config_map("a", "1", "blue")))
        .await;
    let applied = shared.changes();
    assert!(applied > listed);
    assert_eq!(names(shared.tagged("blue")), ["a"], "seen once counted");
    let mut same_colour = config_map("a", "1", "blue");
    same_colour.data = Some([("beat".to_owned(), "1".to_owned())].into());
    shared.apply(&mut writer, &Event::Apply(same_colour)).await;
    assert_eq!(shared.changes(), applied, "a quiet change is not counted");
    assert_eq!(shared.changes_begun(), shared.changes(), "none under way");
    assert!(
        shared.get("tenant", "a").unwrap().data.is_some(),
        "yet shown"
    );
    shared
        .apply(&mut writer, &Event::Delete(config_map("a", "1", "blue")))
        .await;
    assert!(shared.changes() > applied);
    assert!(
        shared.clone().changes() == shared.changes(),
        "clones share it"
    );
}

#[tokio::test]
async fn every_waiter_wakes_once_the_first_list_is_in() {
    let shared = Shared::<ConfigMap>::new(Indexing::default());
    let waiters: Vec<_> = (0..4)
        .map(|_| {
            let shared = shared.clone();
            tokio::spawn(async move { shared.ready().await })
        })
        .collect();
    tokio::task::yield_now().await;
    let mut writer = shared.writer.lock().unwrap().take().unwrap();
    shared.apply(&mut writer, &Event::Init).await;
    shared.apply(&mut writer, &Event::InitDone).await;
    for waiter in waiters {
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("every waiter is woken")
            .expect("the waiter completes");
    }
    assert!(shared.is_ready());
}

#[tokio::test]
async fn a_late_subscriber_starts_from_what_is_held() {
    let shared = Shared::new(by_colour());
    let mut writer = shared.writer.lock().unwrap().take().unwrap();
    listed(&shared, &mut writer, [config_map("a", "1", "red")]).await;

    let mut changes = Box::pin(shared.subscribe_changes());
    shared
        .apply(&mut writer, &Event::Delete(config_map("a", "1", "red")))
        .await;
    let held = changes.next().await.unwrap();
    assert!(matches!(held, Change::Applied(ref a) if a.metadata.uid.as_deref() == Some("1")));
    assert!(changes.next().await.unwrap().is_deleted());
}

#[tokio::test]
async fn a_relist_reports_what_vanished_while_the_watch_was_down() {
    let shared = Shared::new(by_colour());
    let mut writer = shared.writer.lock().unwrap().take().unwrap();
    let mut changes = Box::pin(shared.subscribe_changes());
    let (a, b) = (config_map("a", "1", "red"), config_map("b", "2", "red"));
    listed(&shared, &mut writer, [a, b.clone()]).await;
    // The watch broke; the relist no longer finds "a".
    listed(&shared, &mut writer, [b]).await;
    let mut seen = Vec::new();
    for _ in 0..4 {
        let change = changes.next().await.unwrap();
        let name = change.object().metadata.name.clone().unwrap();
        seen.push((change.is_deleted(), name));
    }
    // The first list comes in store order, which is no order.
    seen[..2].sort();
    let expected = [(false, "a"), (false, "b"), (true, "a"), (false, "b")];
    let expected: Vec<_> = expected
        .iter()
        .map(|(d, n)| (*d, (*n).to_owned()))
        .collect();
    assert_eq!(seen, expected);
    assert!(changes.next().now_or_never().is_none(), "nothing else");
    assert_eq!(names(shared.tagged("red")), ["b"]);
}
