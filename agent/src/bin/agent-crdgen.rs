//! Writes the CustomResourceDefinitions of the kinds the Runtime Agent writes to `agent/yaml/`,
//! one file per kind plus a `kustomization.yaml`, and removes files of kinds that no longer exist.

use std::{io, path::Path};

use compass_agent::install;

fn main() -> io::Result<()> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("yaml");
    let crds = install::crds();
    install::AGENT_CRDGEN.write(&dir, &crds)?;
    println!(
        "wrote {} CustomResourceDefinitions to {}",
        crds.len(),
        dir.display()
    );
    Ok(())
}
