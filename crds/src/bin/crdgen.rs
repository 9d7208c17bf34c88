//! Writes every CustomResourceDefinition to `crds/yaml/`, one file per kind plus a
//! `kustomization.yaml`, and removes files of kinds that no longer exist.

use std::{io, path::Path};

fn main() -> io::Result<()> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("yaml");
    let crds = compass_crds::all_crds();
    compass_crds::CRDGEN.write(&dir, &crds)?;
    println!(
        "wrote {} CustomResourceDefinitions to {}",
        crds.len(),
        dir.display()
    );
    Ok(())
}
