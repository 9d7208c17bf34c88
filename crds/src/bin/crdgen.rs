//! Writes every CustomResourceDefinition to `crds/yaml/`, one file per kind plus a
//! `kustomization.yaml`, and removes files of kinds that no longer exist.

use std::{collections::BTreeSet, fs, io, path::Path};

fn main() -> io::Result<()> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("yaml");
    fs::create_dir_all(&dir)?;
    let crds = compass_crds::all_crds();
    let mut written = BTreeSet::from(["kustomization.yaml".to_owned()]);
    for crd in &crds {
        let name = compass_crds::crd_file_name(crd);
        fs::write(dir.join(&name), compass_crds::to_yaml(crd))?;
        written.insert(name);
    }
    fs::write(
        dir.join("kustomization.yaml"),
        compass_crds::kustomization_yaml(&crds),
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
