//! The committed `agent/yaml/` must be exactly what the types generate, so the definitions
//! installed by hand never drift from those the agent installs.

use std::{collections::BTreeSet, fs, path::Path};

use compass_agent::install;

const REGENERATE: &str = "run `cargo agent-crdgen` and commit agent/yaml/";

#[test]
fn committed_crd_yaml_matches_the_types() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("yaml");
    let crds = install::crds();

    let mut expected = BTreeSet::from(["kustomization.yaml".to_owned()]);
    for crd in &crds {
        let name = install::crd_file_name(crd);
        let committed = fs::read_to_string(dir.join(&name))
            .unwrap_or_else(|_| panic!("agent/yaml/{name} is missing: {REGENERATE}"));
        assert!(
            committed == install::crd_yaml(crd),
            "agent/yaml/{name} is stale: {REGENERATE}"
        );
        expected.insert(name);
    }
    let kustomization = fs::read_to_string(dir.join("kustomization.yaml")).unwrap_or_default();
    assert!(
        kustomization == install::kustomization_yaml(&crds),
        "agent/yaml/kustomization.yaml is stale: {REGENERATE}"
    );

    let present: BTreeSet<String> = fs::read_dir(&dir)
        .expect("agent/yaml exists")
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        present, expected,
        "agent/yaml holds files the types do not generate: {REGENERATE}"
    );
}
