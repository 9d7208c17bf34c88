//! Reading ahead: against a stand-in list that records what it is asked, and against the real
//! control plane in the process.

use std::{
    convert::Infallible,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    body::Body,
    http::{Request, Response, header::AUTHORIZATION},
};
use kube::client::Body as Asked;
use tower::{ServiceExt, service_fn};

use super::{ReadAhead, continue_token, next_page};

/// What a stand-in list was asked: each request's path and query, and its credentials.
type Asks = Arc<Mutex<Vec<(String, String)>>>;

/// A service listing the names `n0` … `n9` in pages of `limit` (of 4 when none is asked, so that
/// an unpaged request also gets a continue token), the continue token being the index to go on
/// from, written as the control plane writes a page; it records every request.
fn stand_in(
    asks: Asks,
) -> impl tower::Service<
    Request<Asked>,
    Response = Response<Body>,
    Error = Infallible,
    Future = impl Send,
> + Clone
+ Send
+ 'static {
    service_fn(move |request: Request<Asked>| {
        let asks = asks.clone();
        async move {
            let uri = request.uri().to_string();
            let credentials = (request.headers().get(AUTHORIZATION))
                .map(|value| value.to_str().unwrap().to_owned())
                .unwrap_or_default();
            asks.lock().unwrap().push((uri, credentials));
            let query: Vec<(String, String)> =
                url::form_urlencoded::parse(request.uri().query().unwrap_or_default().as_bytes())
                    .into_owned()
                    .collect();
            let param = |name: &str| {
                (query.iter())
                    .find(|(key, _)| key == name)
                    .map(|(_, value)| value.parse::<usize>().unwrap())
            };
            let from = param("continue").unwrap_or(0);
            let to = (from + param("limit").unwrap_or(4)).min(10);
            let items: Vec<String> = (from..to).map(|i| format!("\"n{i}\"")).collect();
            let token = match to < 10 {
                true => format!(",\"continue\":\"{to}\""),
                false => String::new(),
            };
            let page = format!(
                "{{\"apiVersion\":\"v1\",\"kind\":\"NameList\",\"metadata\":{{\"resourceVersion\":\"7\"{token}}},\"items\":[{}]}}",
                items.join(",")
            );
            Ok::<_, Infallible>(Response::new(Body::from(page)))
        }
    })
}

fn get(uri: &str, credentials: &str) -> Request<Asked> {
    Request::get(uri)
        .header(AUTHORIZATION, credentials)
        .body(Asked::empty())
        .unwrap()
}

async fn text(response: Response<Body>) -> String {
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// Waits until `asks` holds `count` requests.
async fn asked(asks: &Asks, count: usize) -> Vec<(String, String)> {
    for _ in 0..500 {
        let seen = asks.lock().unwrap().clone();
        if seen.len() >= count {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("not asked {count} times: {:?}", asks.lock().unwrap());
}

#[tokio::test]
async fn each_next_page_is_asked_for_ahead_and_answers_its_request_once() {
    let asks = Asks::default();
    let service = ReadAhead::new(stand_in(asks.clone()));
    let first = (service.clone())
        .oneshot(get("/names?limit=4&resourceVersion=0", "Bearer a"))
        .await
        .unwrap();
    assert!(
        text(first)
            .await
            .contains(r#""items":["n0","n1","n2","n3"]"#)
    );
    // The next page is asked for at once, as a continued list: no resourceVersion of its own.
    let seen = asked(&asks, 2).await;
    assert_eq!(seen[1].0, "/names?limit=4&continue=4");
    assert_eq!(seen[1].1, "Bearer a");

    // Asked for with its parameters in another order, it is the page read ahead; the page after
    // it is then asked for in turn.
    let second = (service.clone())
        .oneshot(get("/names?continue=4&limit=4", "Bearer a"))
        .await
        .unwrap();
    assert!(
        text(second)
            .await
            .contains(r#""items":["n4","n5","n6","n7"]"#)
    );
    let seen = asked(&asks, 3).await;
    assert_eq!(seen[2].0, "/names?limit=4&continue=8");
    let third = (service.clone())
        .oneshot(get("/names?limit=4&continue=8", "Bearer a"))
        .await
        .unwrap();
    assert!(text(third).await.contains(r#""items":["n8","n9"]"#));
    // The last page names no next one; a page served once is not served again.
    let again = (service.clone())
        .oneshot(get("/names?limit=4&continue=8", "Bearer a"))
        .await
        .unwrap();
    assert!(text(again).await.contains(r#""items":["n8","n9"]"#));
    tokio::time::sleep(Duration::from_millis(50)).await;
    let seen = asks.lock().unwrap().clone();
    let uris: Vec<&str> = seen.iter().map(|(uri, _)| uri.as_str()).collect();
    assert_eq!(
        uris,
        [
            "/names?limit=4&resourceVersion=0",
            "/names?limit=4&continue=4",
            "/names?limit=4&continue=8",
            "/names?limit=4&continue=8",
        ]
    );
}

#[tokio::test]
async fn a_page_read_ahead_for_one_caller_is_never_served_to_another() {
    let asks = Asks::default();
    let service = ReadAhead::new(stand_in(asks.clone()));
    let first = (service.clone())
        .oneshot(get("/names?limit=4", "Bearer a"))
        .await
        .unwrap();
    text(first).await;
    asked(&asks, 2).await;
    let other = (service.clone())
        .oneshot(get("/names?limit=4&continue=4", "Bearer b"))
        .await
        .unwrap();
    assert!(
        text(other)
            .await
            .contains(r#""items":["n4","n5","n6","n7"]"#)
    );
    let seen = asked(&asks, 3).await;
    assert_eq!(
        seen[2],
        (
            "/names?limit=4&continue=4".to_owned(),
            "Bearer b".to_owned()
        ),
        "the second caller's own request reached the list"
    );
}

#[tokio::test]
async fn only_pages_of_lists_are_read_ahead() {
    let asks = Asks::default();
    let service = ReadAhead::new(stand_in(asks.clone()));
    let whole = (service.clone())
        .oneshot(get("/names", "Bearer a"))
        .await
        .unwrap();
    // A token comes back, yet a request without `limit` is not a page: nothing is read ahead.
    assert!(text(whole).await.contains(r#""continue":"4""#));
    let watch = get("/names?limit=4&watch=true", "Bearer a");
    text(service.clone().oneshot(watch).await.unwrap()).await;
    let mut posted = get("/names?limit=4", "Bearer a");
    *posted.method_mut() = axum::http::Method::POST;
    text(service.clone().oneshot(posted).await.unwrap()).await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    let asked = asks.lock().unwrap().clone();
    assert_eq!(asked.len(), 3, "{asked:?}");
}

#[test]
fn the_continue_token_is_read_from_the_head_of_a_page() {
    let page = br#"{"apiVersion":"v1","kind":"ConfigMapList","metadata":{"resourceVersion":"5","continue":"abc","remainingItemCount":3},"items":[{"metadata":{"continue":"no"}}]}"#;
    assert_eq!(continue_token(page).as_deref(), Some("abc"));
    let last = br#"{"apiVersion":"v1","kind":"ConfigMapList","metadata":{"resourceVersion":"5"},"items":[{"metadata":{"continue":"no"}}]}"#;
    assert_eq!(continue_token(last), None);
    let empty =
        br#"{"apiVersion":"v1","kind":"ConfigMapList","metadata":{"continue":""},"items":[]}"#;
    assert_eq!(continue_token(empty), None);
    // Written another way (items first), nothing is read ahead rather than a wrong page.
    let other = br#"{"items":[],"metadata":{"continue":"abc"}}"#;
    assert_eq!(continue_token(other), None);
    assert_eq!(continue_token(b"not json"), None);
}

#[test]
fn the_next_page_goes_on_from_the_token_without_a_resource_version() {
    let asked = get(
        "/api/v1/configmaps?labelSelector=a%3Db&limit=2&resourceVersion=0&resourceVersionMatch=NotOlderThan",
        "Bearer a",
    );
    let next = next_page(&asked, "x+y/z=").unwrap();
    assert_eq!(
        next.uri().to_string(),
        "/api/v1/configmaps?labelSelector=a%3Db&limit=2&continue=x%2By%2Fz%3D"
    );
    assert_eq!(next.headers()[AUTHORIZATION], "Bearer a");
}

/// The real control plane's pages: a list read in pages through the read-ahead is the whole list
/// in order, and each page after the first was the one read ahead (the control plane is asked
/// once per page, not twice).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_list_of_the_control_plane_read_in_pages_is_whole_and_asked_once_per_page() {
    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::api::{Api, ListParams, PostParams};

    let data_dir = tempfile::tempdir().unwrap();
    let control_plane = crate::apiserver::start_control_plane(
        data_dir.path(),
        "127.0.0.1:0".parse().unwrap(),
        Vec::new(),
        false,
    )
    .await
    .unwrap();
    let asks = Arc::new(Mutex::new(0_usize));
    let counted = {
        let asks = asks.clone();
        let router = control_plane.in_process();
        service_fn(move |request: Request<Asked>| {
            *asks.lock().unwrap() += 1;
            router.clone().oneshot(request)
        })
    };
    let bearer = format!("Bearer {}", control_plane.admin_token);
    let service = tower::ServiceBuilder::new()
        .map_request(move |mut request: Request<Asked>| {
            let value = bearer.parse().unwrap();
            request.headers_mut().insert(AUTHORIZATION, value);
            request
        })
        .map_err(|never: Infallible| -> tower::BoxError { match never {} })
        .layer_fn(ReadAhead::new)
        .service(counted);
    let client = kube::Client::new(service, "default");
    let config_maps: Api<ConfigMap> = Api::namespaced(client, "default");
    let mut created = Vec::new();
    for i in 0..23 {
        let name = format!("read-ahead-{i:02}");
        let config_map = serde_json::from_value(serde_json::json!({"metadata": {"name": name}}));
        (config_maps.create(&PostParams::default(), &config_map.unwrap()))
            .await
            .unwrap();
        created.push(name);
    }
    *asks.lock().unwrap() = 0;
    let mut listed = Vec::new();
    let mut params = ListParams::default().limit(5);
    loop {
        let page = config_maps.list(&params).await.unwrap();
        listed.extend(page.items.into_iter().filter_map(|c| c.metadata.name));
        if listed.len() == 5 {
            // The second page is asked for before the caller asks.
            let mut waited = 0;
            while *asks.lock().unwrap() < 2 {
                assert!(waited < 500, "the second page was not read ahead");
                tokio::time::sleep(Duration::from_millis(10)).await;
                waited += 1;
            }
        }
        match page.metadata.continue_.filter(|token| !token.is_empty()) {
            Some(token) => params = params.continue_token(&token),
            None => break,
        }
    }
    assert_eq!(listed, created);
    assert_eq!(*asks.lock().unwrap(), 5, "five pages, each asked for once");

    // The stores' watches list the same way: their pages are read ahead too.
    use futures_util::StreamExt as _;
    use kube::runtime::watcher;
    *asks.lock().unwrap() = 0;
    let config = watcher::Config::default().page_size(5);
    let mut events = watcher(config_maps, config).boxed();
    let mut watched = Vec::new();
    while let Some(event) = events.next().await {
        match event.unwrap() {
            watcher::Event::InitApply(config_map) => watched.extend(config_map.metadata.name),
            watcher::Event::InitDone => break,
            _ => {}
        }
    }
    watched.retain(|name| name.starts_with("read-ahead-"));
    assert_eq!(watched, created);
    let pages = *asks.lock().unwrap();
    assert_eq!(pages, 5, "five pages, each asked for once");
    control_plane.shutdown().await;
}
