//! Limits the control plane keeps against a careless or hostile tenant: a private data directory,
//! Events that expire, and a change history that stays within its bounds.

use std::{
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    time::Duration,
};

use compass_tests::{DEADLINE, TestServer};
use futures_util::{StreamExt, TryStreamExt};
use k8s_openapi::api::{
    core::v1::{ConfigMap, Event as CoreEvent, ObjectReference, Secret},
    events::v1::Event,
};
use kube::{
    Api,
    api::{ObjectMeta, PostParams},
    runtime::watcher::{self, watcher},
};

/// Every path below `dir` with its permission bits.
fn modes(dir: &Path) -> Vec<(PathBuf, u32)> {
    let mut found = vec![(
        dir.to_path_buf(),
        std::fs::metadata(dir).unwrap().permissions().mode() & 0o7777,
    )];
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(modes(&path));
        } else {
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o7777;
            found.push((path, mode));
        }
    }
    found
}

fn assert_private(dir: &Path) {
    let files = modes(dir);
    let names: Vec<String> = files
        .iter()
        .filter_map(|(p, _)| p.file_name()?.to_str().map(str::to_owned))
        .collect();
    for expected in [
        "state.db",
        "state.db-wal",
        "ca.key",
        "ca.crt",
        "admin-token",
    ] {
        assert!(names.iter().any(|n| n == expected), "{expected}: {names:?}");
    }
    for (path, mode) in files {
        let wanted = if path.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode, wanted, "{} is {mode:o}", path.display());
    }
}

async fn store_a_secret(server: &TestServer, name: &str) {
    let secrets: Api<Secret> = Api::namespaced(server.client().await, "default");
    let secret = Secret {
        metadata: ObjectMeta {
            name: Some(name.into()),
            ..Default::default()
        },
        string_data: Some([("password".to_owned(), "hunter2".to_owned())].into()),
        ..Default::default()
    };
    secrets
        .create(&PostParams::default(), &secret)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_data_directory_and_everything_in_it_is_private_and_is_made_so_on_start() {
    let server = TestServer::start().await;
    store_a_secret(&server, "first").await;
    assert_private(server.data_dir());

    // Loosened by hand, or left so by an older version: the next start fixes it.
    let dir = server.stop().await;
    for (path, _) in modes(dir.path()) {
        let mode = if path.is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    let server = TestServer::start_in(dir).await;
    store_a_secret(&server, "second").await;
    assert_private(server.data_dir());
    server.stop().await;
}

fn core_event(name: &str) -> CoreEvent {
    CoreEvent {
        metadata: ObjectMeta {
            name: Some(name.into()),
            ..Default::default()
        },
        involved_object: ObjectReference {
            kind: Some("ConfigMap".into()),
            name: Some("settings".into()),
            namespace: Some("default".into()),
            ..Default::default()
        },
        reason: Some("Tested".into()),
        message: Some("an event that expires".into()),
        type_: Some("Normal".into()),
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_expire_after_their_ttl_and_watches_of_both_event_apis_see_them_go() {
    let server = TestServer::start_with(|config| {
        config.server.event_ttl = Duration::from_secs(2);
    })
    .await;
    let client = server.client().await;
    let core: Api<CoreEvent> = Api::namespaced(client.clone(), "default");
    let events: Api<Event> = Api::namespaced(client.clone(), "default");
    let maps: Api<ConfigMap> = Api::namespaced(client, "default");
    let mut watch = watcher(events.clone(), watcher::Config::default()).boxed();
    // The initial list: Init, then InitDone with nothing in between.
    for _ in 0..2 {
        tokio::time::timeout(DEADLINE, watch.try_next())
            .await
            .unwrap()
            .unwrap();
    }
    core.create(&PostParams::default(), &core_event("short-lived"))
        .await
        .unwrap();
    let deleted = tokio::time::timeout(DEADLINE, async {
        loop {
            match watch.try_next().await.unwrap() {
                Some(watcher::Event::Delete(event)) => return event,
                Some(_) => {}
                None => panic!("the watch ended"),
            }
        }
    })
    .await
    .expect("the expired Event is deleted within the deadline");
    assert_eq!(deleted.metadata.name.as_deref(), Some("short-lived"));
    assert!(core.get_opt("short-lived").await.unwrap().is_none());
    // Other kinds do not expire.
    maps.create(
        &PostParams::default(),
        &ConfigMap {
            metadata: ObjectMeta {
                name: Some("settings".into()),
                ..Default::default()
            },
            ..Default::default()
        },
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert!(maps.get_opt("settings").await.unwrap().is_some());
    server.stop().await;
}
