//! Benchmark of the Director GraphQL API beside the API server it reads from: the release
//! `compass up` (controllers off, so nothing else loads the machine) with 10,000 Applications in
//! one tenant, each operation measured next to the direct API-server request returning the same
//! objects, in the same run.
//!
//! Run with `cargo bench -p compass --bench director` (`COMPASS_BENCH_OBJECTS` changes
//! the count; `COMPASS_BENCH_SAMPLES` the number of `application(id)` calls, say for a
//! profiler; `COMPASS_BENCH_ROUNDS` how many times each page is asked as a new question).

use std::time::Duration;

use compass_api::{client::DirectorClient, gateway::digest};
use compass_crds::Application;
use kube::{
    Api,
    api::{ListParams, PostParams},
};
use serde_json::{Value, json};

mod support;

use support::{
    APPLICATIONS_PAGE, CONCURRENCY, Figures, Server, application, count, cpu_times, data,
    measure_on,
    pages::{computed_twice, full, read_page},
    read::{ApplicationRead, Listed},
    typed_data, write_json,
};

/// The namespace of `compass up`'s default tenant.
const NAMESPACE: &str = compass_crds::well_known::DEFAULT_TENANT_NAMESPACE;

const APPLICATION: &str = "query ($id: ID!) { application(id: $id) { id name description labels status { condition } apiDefinitions { data { id name targetURL spec { type format data } } totalCount } eventDefinitions { data { id name } } } }";
const FOR_RUNTIME: &str = "query ($runtime: ID!, $after: PageCursor) { applicationsForRuntime(runtimeID: $runtime, first: 100, after: $after) { data { id name labels apiDefinitions { data { id name targetURL } } } totalCount } }";
/// A light query walking the runtime's pages, asked only to find every page's cursor.
const WALK_FOR_RUNTIME: &str = "query ($runtime: ID!, $after: PageCursor) { applicationsForRuntime(runtimeID: $runtime, first: 100, after: $after) { data { id name } pageInfo { endCursor hasNextPage } } }";
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
    let cpu = |f: &Figures| f.server_cpu_per_call().unwrap_or_default().as_secs_f64() * 1e6;
    println!(
        "{:<44} p50 x{:.2}   throughput x{:.2}   server CPU per call {:.0} vs {:.0} us\n",
        format!("{what}: Director / API server"),
        p50(director).as_secs_f64() / p50(direct).as_secs_f64(),
        throughput(director) / throughput(direct),
        cpu(director),
        cpu(direct),
    );
}

/// How many operations a batching client sends in one request (Apollo's `BatchHttpLink` sends
/// up to ten by default, the Director's bound).
const BATCH: usize = 10;

/// [`compare`] of a measurement whose every call was a batch of [`BATCH`] operations: its
/// throughput and server CPU per operation beside the reference's per call.
fn compare_batched(what: &str, batched: &Figures, direct: &Figures) {
    batched.report(&format!("{what}: Director, batches"));
    let per_operation = |f: &Figures, each: usize| {
        let operations = (f.latencies.len() * each) as f64;
        let cpu = f.server_cpu.unwrap_or_default().as_secs_f64() * 1e6 / operations;
        (operations / f.elapsed.as_secs_f64(), cpu)
    };
    let (batched_rate, batched_cpu) = per_operation(batched, BATCH);
    let (direct_rate, direct_cpu) = per_operation(direct, 1);
    println!(
        "{:<44} operations/s x{:.2} ({batched_rate:.0}/s)   server CPU per operation {batched_cpu:.1} vs {direct_cpu:.0} us\n",
        format!("{what}: Director / API server"),
        batched_rate / direct_rate,
    );
}

/// [`Figures::summary`] of calls that were batches of [`BATCH`] operations: `per_second` counts
/// batches, `operations_per_second` operations.
fn batches_summary(batched: &Figures) -> Value {
    let mut summary = batched.summary();
    let batches = summary["per_second"].as_f64().unwrap_or_default();
    summary["operations_per_second"] = json!(batches * BATCH as f64);
    summary
}

/// Asks `query` as a persisted query: by its hash alone, or with its text too (`with_text`), as
/// an Apollo client sends it the first time or after `PersistedQueryNotFound`.
async fn ask_persisted(director: &DirectorClient, query: &str, with_text: bool, variables: Value) {
    let mut body = json!({
        "variables": variables,
        "extensions": { "persistedQuery": { "version": 1, "sha256Hash": digest(query) } },
    });
    if with_text {
        body["query"] = json!(query);
    }
    let answer = director.post(body.to_string().into_bytes()).await.unwrap();
    assert!(
        answer.body.get("errors").is_none(),
        "the persisted query failed: {}",
        answer.body
    );
}

/// Asks `query` once with each of `variables`, one after another (the first asker of a question).
async fn ask(director: &DirectorClient, query: &str, variables: impl IntoIterator<Item = Value>) {
    for variables in variables {
        data(director, query, variables).await;
    }
}

/// `registerApplication` of `registrations` applications beside creating as many directly.
async fn registrations_beside_creates(
    pid: u32,
    director: &DirectorClient,
    apps: &Api<Application>,
    registrations: usize,
) -> (Figures, Figures) {
    support::phase("registerApplication");
    let register = measure_on(pid, registrations, |i| {
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
    let create = measure_on(pid, registrations, |i| {
        let apps = apps.clone();
        async move {
            let mut app = application(i);
            app.metadata.name = Some(format!("created-{i:05}"));
            apps.create(&PostParams::default(), &app).await.unwrap();
        }
    })
    .await;
    compare("registerApplication vs create", &register, &create);
    (register, create)
}

/// Asks [`APPLICATION`] for `id`, reading the answer as a typed client does; fails unless the
/// application answered is the one asked for.
async fn found(director: &DirectorClient, id: String) {
    #[derive(serde::Deserialize)]
    struct Found {
        application: Option<ApplicationRead>,
    }
    let found: Found = typed_data(director, APPLICATION, json!({ "id": id })).await;
    assert_eq!(found.application.map(|a| a.id), Some(id));
}

/// [`measure_on`] the server, with its own timing of the same calls beside the client's.
async fn measure_timed<F, Fut>(server: &Server, n: usize, operation: F) -> Figures
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    server.timed(measure_on(server.pid(), n, operation)).await
}

#[tokio::main]
async fn main() {
    let n = count("COMPASS_BENCH_OBJECTS", 10_000);
    println!(
        "Director benchmark: {n} Applications in one tenant, {CONCURRENCY} concurrent requests, HTTPS\n"
    );
    let (server, _) = Server::start(tempfile::tempdir().unwrap(), &["--no-controllers"]);
    let pid = server.pid();
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
    let (page_cursors, listed) =
        support::pages::walk(&director, support::pages::APPLICATIONS_WALK, json!({})).await;
    assert_eq!(listed.len(), n);
    let (runtime_cursors, _) =
        support::pages::walk(&director, WALK_FOR_RUNTIME, json!({ "runtime": runtime })).await;

    // Each operation twice: asked again (its answer kept, as for an agent's or a dashboard's
    // repeated query; one request before measuring, as the first asker computes it), and each
    // request a question not asked before (its answer computed).
    let samples = count("COMPASS_BENCH_SAMPLES", 20_000);
    let ids = &listed[..100.min(n)];
    support::phase("application(id)");
    ask(
        &director,
        APPLICATION,
        ids.iter().map(|(id, _)| json!({ "id": id })),
    )
    .await;
    let by_id = measure_timed(&server, samples, |i| {
        let director = director.clone();
        let id = ids[i % ids.len()].0.clone();
        async move { found(&director, id).await }
    })
    .await;
    // The same, each by its persisted query's hash alone (the text sent once before).
    ask_persisted(&director, APPLICATION, true, json!({ "id": ids[0].0 })).await;
    let by_hash = measure_timed(&server, samples, |i| {
        let director = director.clone();
        let id = ids[i % ids.len()].0.clone();
        async move { ask_persisted(&director, APPLICATION, false, json!({ "id": id })).await }
    })
    .await;
    // The same, ten to a request, as a batching client sends them (more calls: each is ten).
    let batched = measure_timed(&server, samples / 2, |i| {
        let director = director.clone();
        let operation = |at: usize| {
            let id = &ids[(i * BATCH + at) % ids.len()].0;
            json!({ "query": APPLICATION, "variables": { "id": id } })
        };
        let batch: Vec<Value> = (0..BATCH).map(operation).collect();
        async move {
            let answer = director
                .post(json!(batch).to_string().into_bytes())
                .await
                .unwrap();
            let answers = answer.body.as_array().expect("a batch's answers");
            assert!(answers.len() == BATCH && answers.iter().all(|a| a.get("errors").is_none()));
        }
    })
    .await;
    let by_id_computed = measure_timed(&server, samples.min(n - ids.len()), |i| {
        let director = director.clone();
        let id = listed[ids.len() + i].0.clone();
        async move { found(&director, id).await }
    })
    .await;
    let get = measure_on(pid, samples, |i| {
        let apps = apps.clone();
        let name = ids[i % ids.len()].1.clone();
        async move {
            apps.get(&name).await.unwrap();
        }
    })
    .await;
    compare("application(id) vs GET", &by_id, &get);
    compare("application(id) by hash vs GET", &by_hash, &get);
    compare("application(id) computed vs GET", &by_id_computed, &get);
    compare_batched("application(id) ten to a batch vs GET", &batched, &get);

    let pages = count("COMPASS_BENCH_PAGES", 2_000);
    support::phase("applications page");
    let cpu = cpu_times(pid);
    let page = server
        .timed(async {
            let page = support::pages::page_asked_again(&director, pages).await;
            page.on_server(pid, cpu)
        })
        .await;
    // Every page but the first (asked above) and the last (which may be short), each once in
    // each round: 98 pages at 10,000 Applications are too few for a p99.
    let rounds = count("COMPASS_BENCH_ROUNDS", 5);
    let distinct = &page_cursors[1..page_cursors.len() - 1];
    let [page_computed, page_paced] = computed_twice(
        &server,
        &director,
        APPLICATIONS_PAGE,
        distinct,
        rounds,
        json!({}),
        &full,
    )
    .await;
    let list = measure_on(pid, pages, |_| {
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
    compare("applications page computed vs LIST", &page_computed, &list);
    page_paced.report("applications page computed, half that rate");
    println!();

    support::phase("applicationsForRuntime");
    let for_runtime_check = |listed: Listed| assert_eq!(listed.total_count, Some(n as u64));
    ask(&director, FOR_RUNTIME, [json!({ "runtime": runtime })]).await;
    let for_runtime = measure_timed(&server, pages, |_| {
        let director = director.clone();
        let runtime = runtime.clone();
        async move {
            for_runtime_check(
                read_page(&director, FOR_RUNTIME, json!({ "runtime": runtime })).await,
            )
        }
    })
    .await;
    let distinct = &runtime_cursors[1..];
    let variables = json!({ "runtime": runtime });
    let [for_runtime_computed, for_runtime_paced] = computed_twice(
        &server,
        &director,
        FOR_RUNTIME,
        distinct,
        rounds,
        variables,
        &for_runtime_check,
    )
    .await;
    compare(
        "applicationsForRuntime vs LIST limit=100",
        &for_runtime,
        &list,
    );
    compare(
        "applicationsForRuntime computed vs LIST",
        &for_runtime_computed,
        &list,
    );
    for_runtime_paced.report("applicationsForRuntime computed, half that rate");
    println!();

    let registrations = 1_000;
    let (register, create) =
        registrations_beside_creates(pid, &director, &apps, registrations).await;

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
            "application_by_id_computed": by_id_computed.summary(),
            "application_by_hash": by_hash.summary(),
            "application_by_id_batches_of_10": batches_summary(&batched),
            "reference_get": get.summary(),
            "applications_page": page.summary(),
            "applications_page_computed": page_computed.summary(),
            "applications_page_computed_half_rate": page_paced.summary(),
            "applications_for_runtime": for_runtime.summary(),
            "applications_for_runtime_computed": for_runtime_computed.summary(),
            "applications_for_runtime_computed_half_rate": for_runtime_paced.summary(),
            "reference_list_100": list.summary(),
            "register_application": register.summary(),
            "reference_create": create.summary(),
            "memory": { "rss_mib": rss / 1024, "peak_rss_mib": peak / 1024 },
        }),
    );
    server.stop();
}
