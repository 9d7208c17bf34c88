//! The committed `crds/yaml/` must be exactly what the types generate, so the installed schemas
//! never drift from the code that reads the objects.

use std::{collections::BTreeSet, fs, path::Path};

const REGENERATE: &str = "run `cargo run --bin crdgen` and commit crds/yaml/";

#[test]
fn committed_crd_yaml_matches_the_types() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("yaml");
    let crds = compass_crds::all_crds();

    let mut expected = BTreeSet::from(["kustomization.yaml".to_owned()]);
    for crd in &crds {
        let name = compass_crds::crd_file_name(crd);
        let committed = fs::read_to_string(dir.join(&name))
            .unwrap_or_else(|_| panic!("crds/yaml/{name} is missing: {REGENERATE}"));
        assert!(
            committed == compass_crds::to_yaml(crd),
            "crds/yaml/{name} is stale: {REGENERATE}"
        );
        expected.insert(name);
    }
    let kustomization = fs::read_to_string(dir.join("kustomization.yaml")).unwrap_or_default();
    assert!(
        kustomization == compass_crds::kustomization_yaml(&crds),
        "crds/yaml/kustomization.yaml is stale: {REGENERATE}"
    );

    let present: BTreeSet<String> = fs::read_dir(&dir)
        .expect("crds/yaml exists")
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        present, expected,
        "crds/yaml holds files the types do not generate: {REGENERATE}"
    );
}

#[test]
fn every_kind_is_in_the_compass_category_with_a_short_name_and_status() {
    for crd in compass_crds::all_crds() {
        let names = &crd.spec.names;
        assert_eq!(
            names.categories.as_deref(),
            Some(&["compass".to_owned()][..]),
            "{}",
            names.kind
        );
        assert!(
            names.short_names.as_ref().is_some_and(|s| !s.is_empty()),
            "{}",
            names.kind
        );
        let version = &crd.spec.versions[0];
        assert!(
            version
                .subresources
                .as_ref()
                .and_then(|s| s.status.as_ref())
                .is_some()
        );
        let columns = version
            .additional_printer_columns
            .as_deref()
            .unwrap_or_default();
        assert!(
            columns.iter().any(|c| c.name == "Ready"),
            "{} has no Ready column",
            names.kind
        );
    }
}
