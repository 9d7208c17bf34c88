//! Benchmark of the control plane's OpenAPI v3 documents, the ones `kubectl apply` and `kubectl
//! explain` read: how long a build takes for every served resource (the built-in kinds and every
//! Compass CRD, each CRD in a second version too, as during a version migration), and how long an
//! update takes after one CRD changes.
//!
//! Run with `cargo bench -p compass --bench openapi` (`COMPASS_BENCH_RUNS` changes how many
//! builds are averaged). The figures are also written as JSON.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use compass_apiserver::{
    openapi::OpenApiDocuments,
    registry::{builtin::builtin_resources, crd::served_versions},
    resource::ResourceInfo,
};
use serde_json::json;

mod support;

use support::write_json;

/// What a server holding the product's CRDs serves: the built-in kinds, every Compass CRD, and a
/// second version of each CRD.
fn served_resources() -> Vec<ResourceInfo> {
    let mut resources: Vec<ResourceInfo> = builtin_resources()
        .into_iter()
        .map(|(info, _)| info)
        .collect();
    let crds: Vec<ResourceInfo> = compass_crds::all_crds()
        .iter()
        .flat_map(served_versions)
        .map(|served| served.info)
        .collect();
    let migrating = crds.iter().cloned().map(|mut info| {
        info.version = "v1beta1".into();
        info.storage_version = false;
        info
    });
    resources.extend(migrating.collect::<Vec<_>>());
    resources.extend(crds);
    resources
}

/// The same resources after the Application CRD's schema changed (a new description, as when a
/// CRD is re-applied).
fn with_application_changed(resources: &[ResourceInfo]) -> Vec<ResourceInfo> {
    let mut changed = resources.to_vec();
    let application = changed
        .iter_mut()
        .find(|r| r.kind == "Application" && r.version == "v1alpha1")
        .expect("the Application CRD is served");
    let mut schema = application.schema.as_deref().cloned().expect("a schema");
    schema["description"] = "changed".into();
    application.schema = Some(Arc::new(schema));
    changed
}

fn main() {
    let runs: u32 = std::env::var("COMPASS_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let resources = served_resources();

    let started = Instant::now();
    let docs = OpenApiDocuments::build(&resources);
    let first = started.elapsed();

    let started = Instant::now();
    for _ in 0..runs {
        OpenApiDocuments::build(&resources);
    }
    let each = started.elapsed() / runs;

    let changed = with_application_changed(&resources);
    let started = Instant::now();
    for _ in 0..runs {
        docs.update(&changed);
    }
    let update = started.elapsed() / runs;

    let documents = docs.group_version_paths().count();
    let bytes: usize = docs
        .group_version_paths()
        .filter_map(|path| docs.document(path))
        .map(|(document, _)| document.len())
        .sum();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{} resources, {documents} documents, {bytes} bytes\n\
         first build (includes generating the built-in schemas): {first:?}\n\
         later builds: {each:?} each ({runs} runs)\n\
         update after one CRD change: {update:?} each",
        resources.len()
    );
    write_json(
        "openapi",
        &json!({
            "resources": resources.len(),
            "documents": documents,
            "bytes": bytes,
            "first_build_ms": ms(first),
            "build_ms": ms(each),
            "update_after_one_crd_change_ms": ms(update),
        }),
    );
}
