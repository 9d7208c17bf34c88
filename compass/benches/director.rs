//! Benchmark of the Director GraphQL API beside the API server it reads from: the release
//! `compass up` (controllers off, so nothing else loads the machine) with 10,000 Applications in
//! one tenant, each operation measured next to the direct API-server request returning the same
//! objects, in the same run.
//!
//! Run with `cargo bench -p compass --bench director` (`COMPASS_BENCH_OBJECTS` changes
//! the count; `COMPASS_BENCH_SAMPLES` the number of `application(id)` calls, say for a
//! profiler).

use std::time::Duration;

use compass_crds::Application;
use kube::{
    Api,
    api::{ListParams, PostParams},
};
use serde_json::json;

mod support;

use support::{
    APPLICATIONS_PAGE, CONCURRENCY, Figures, Server, application, count, data, measure, write_json,
};

/// The namespace of `compass up`'s default tenant.
const NAMESPACE: &str = compass_crds::well_known::DEFAULT_TENANT_NAMESPACE;

const APPLICATION: &str = "query ($id: ID!) { application(id: $id) { id name description labels status { condition } apiDefinitions { data { id name targetURL spec { type format data } } totalCount } eventDefinitions { data { id name } } } }";
const FOR_RUNTIME: &str = "query ($runtime: ID!) { applicationsForRuntime(runtimeID: $runtime, first: 100) { data { id name labels apiDefinitions { data { id name targetURL } } } totalCount } }";
const REGISTER: &str =
    "mutation ($in: ApplicationRegisterInput!) { registerApplication(in: $in) { id name } }";

fn compare(what: &str, director: &Figures, direct: &Figures) {
    director.report(&format!("{what}: Director"));
    direct.report(&format!("{what}: API server"));
    let p50 = |f: &Figures| {
        let mut sorted = f.latencies.clone();
        sorted.sort();
        sorted[sorted.len() / 2]
    };
    let throughput = |f: &Figures| f.latencies.len() as f64 / f.elapsed.as_secs_f64();
    println!(
        "{:<44} p50 x{:.2}   throughput x{:.2}\n",
        format!("{what}: Director / API server"),
        p50(director).as_secs_f64() / p50(direct).as_secs_f64(),
        throughput(director) / throughput(direct),
    );
}

#[tokio::main]
async fn main() {
    let n = count("COMPASS_BENCH_OBJECTS", 10_000);
    println!(
        "Director benchmark: {n} Applications in one tenant, {CONCURRENCY} concurrent requests, HTTPS\n"
    );
    let (server, _) = Server::start(tempfile::tempdir().unwrap(), &["--no-controllers"]);
    let client = server.client().await;
    let director = server.admin().client;

    support::ready_default_tenant(&client).await;
    // The Director's tenant cache sees the verdict before the first call.
    tokio::time::sleep(Duration::from_millis(500)).await;
    support::create_applications(&client, NAMESPACE, n).await;
    let apps: Api<Application> = Api::namespaced(client.clone(), NAMESPACE);
    let runtime = data(
        &director,
        "mutation { registerRuntime(in: { name: \"edge\" }) { id } }",
        json!({}),
    )
    .await["registerRuntime"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // The Director's caches catch up with the objects created behind its back.
    loop {
        let seen = data(
            &director,
            "{ applications(first: 1) { totalCount } }",
            json!({}),
        )
        .await;
        if seen["applications"]["totalCount"].as_u64() == Some(n as u64) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let listed = data(
        &director,
        "{ applications(first: 100) { data { id name } } }",
        json!({}),
    )
    .await;
    let ids: Vec<(String, String)> = listed["applications"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["id"].as_str().unwrap().to_owned(),
                a["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect();

    let samples = count("COMPASS_BENCH_SAMPLES", 2_000);
    support::phase("application(id)");
    let by_id = measure(samples, |i| {
        let director = director.clone();
        let id = ids[i % ids.len()].0.clone();
        async move {
            data(&director, APPLICATION, json!({ "id": id })).await;
        }
    })
    .await;
    let get = measure(samples, |i| {
        let apps = apps.clone();
        let name = ids[i % ids.len()].1.clone();
        async move {
            apps.get(&name).await.unwrap();
        }
    })
    .await;
    compare("application(id) vs GET", &by_id, &get);

    let pages = count("COMPASS_BENCH_PAGES", 200);
    support::phase("applications page");
    let page = measure(pages, |_| {
        let director = director.clone();
        async move {
            let data = data(&director, APPLICATIONS_PAGE, json!({})).await;
            assert_eq!(data["applications"]["data"].as_array().unwrap().len(), 100);
        }
    })
    .await;
    let list = measure(pages, |_| {
        let apps = apps.clone();
        async move {
            assert_eq!(
                apps.list(&ListParams::default().limit(100))
                    .await
                    .unwrap()
                    .items
                    .len(),
                100
            );
        }
    })
    .await;
    compare("applications(first: 100) vs LIST limit=100", &page, &list);

    support::phase("applicationsForRuntime");
    let for_runtime = measure(pages, |_| {
        let director = director.clone();
        let runtime = runtime.clone();
        async move {
            let data = data(&director, FOR_RUNTIME, json!({ "runtime": runtime })).await;
            assert_eq!(data["applicationsForRuntime"]["totalCount"], n);
        }
    })
    .await;
    compare(
        "applicationsForRuntime vs LIST limit=100",
        &for_runtime,
        &list,
    );

    let registrations = 1_000;
    support::phase("registerApplication");
    let register = measure(registrations, |i| {
        let director = director.clone();
        async move {
            let input = json!({
                "name": format!("registered-{i:05}"),
                "providerName": "Bench Corp",
                "description": "Registered through the Director",
                "labels": { "region": "eu" },
                "apiDefinitions": [{ "name": "orders", "targetURL": format!("https://registered-{i}.bench.example/orders"),
                    "spec": { "type": "OPEN_API", "format": "YAML", "data": "openapi: 3.0.0\n" } }],
            });
            data(&director, REGISTER, json!({ "in": input })).await;
        }
    })
    .await;
    let create = measure(registrations, |i| {
        let apps = apps.clone();
        async move {
            let mut app = application(i);
            app.metadata.name = Some(format!("created-{i:05}"));
            apps.create(&PostParams::default(), &app).await.unwrap();
        }
    })
    .await;
    compare("registerApplication vs create", &register, &create);

    let (rss, peak) = server.memory_kib();
    println!(
        "{:<44} {:>8} MiB   (peak {} MiB)",
        // The loaded applications, and those registered through each door.
        format!("compass up memory, {} Applications", n + 2 * registrations),
        rss / 1024,
        peak / 1024
    );
    write_json(
        "director",
        &json!({
            "applications": n,
            "application_by_id": by_id.summary(),
            "reference_get": get.summary(),
            "applications_page": page.summary(),
            "applications_for_runtime": for_runtime.summary(),
            "reference_list_100": list.summary(),
            "register_application": register.summary(),
            "reference_create": create.summary(),
            "memory": { "rss_mib": rss / 1024, "peak_rss_mib": peak / 1024 },
        }),
    );
    server.stop();
}
