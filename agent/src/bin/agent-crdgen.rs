//! Writes the CustomResourceDefinitions of the kinds the Runtime Agent writes to `agent/yaml/`,
//! one file per kind plus a `kustomization.yaml`, and removes files of kinds that no longer exist.

use std::{collections::BTreeSet, fs, io, path::Path};

use compass_agent::install;

fn main() -> io::Result<()> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("yaml");
    fs::create_dir_all(&dir)?;
    let crds = install::crds();
    let mut written = BTreeSet::from(["kustomization.yaml".to_owned()]);
    for crd in &crds {
        let name = install::crd_file_name(crd);
        fs::write(dir.join(&name), install::crd_yaml(crd))?;
        written.insert(name);
    }
    fs::write(
        dir.join("kustomization.yaml"),
        install::kustomization_yaml(&crds),
    )?;
    for entry in fs::read_dir(&dir)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if !written.contains(&name) {
            fs::remove_file(dir.join(&name))?;
        }
    }
    println!(
        "wrote {} CustomResourceDefinitions to {}",
        crds.len(),
        dir.display()
    );
    Ok(())
}
