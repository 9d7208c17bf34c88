//! The committed `agent/yaml/` must be exactly what the types generate, so the definitions
//! installed by hand never drift from those the agent installs.

use std::path::Path;

use compass_agent::install;

#[test]
fn committed_crd_yaml_matches_the_types() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("yaml");
    if let Err(problem) = install::AGENT_CRDGEN.check(&dir, &install::crds()) {
        panic!("{problem}");
    }
}
