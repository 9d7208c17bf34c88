//! The CustomResourceDefinitions as installed: derived from the types, plus the object-name rules
//! that a derive cannot express and descriptions reflowed for `kubectl explain`, rendered to YAML
//! the same way everywhere.

use std::{collections::BTreeMap, fs, io, path::Path};

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, JSONSchemaProps,
};
use kube::CustomResourceExt;

use crate::{
    Application, ApplicationTemplate, IntegrationSystem, LabelDefinition, Runtime, Scenario,
    SystemAuth, Tenant, schema::NAME_MAX_LENGTH,
};

/// Every CustomResourceDefinition of the product, in the order they are best installed.
pub fn all_crds() -> Vec<CustomResourceDefinition> {
    let mut crds = vec![
        Tenant::crd(),
        IntegrationSystem::crd(),
        ApplicationTemplate::crd(),
        Scenario::crd(),
        LabelDefinition::crd(),
        Application::crd(),
        Runtime::crd(),
        SystemAuth::crd(),
    ];
    for crd in &mut crds {
        reflow_descriptions(crd);
        if matches!(
            crd.spec.names.kind.as_str(),
            "Application" | "Runtime" | "IntegrationSystem" | "ApplicationTemplate"
        ) {
            restrict_object_name(crd);
        }
    }
    crds
}

/// Joins the lines of every description into paragraphs. Doc comments are wrapped for source
/// files; `kubectl explain` wraps descriptions itself, so a kept line break would end a line in
/// the middle of a sentence. Blank lines (paragraph breaks) stay.
pub fn reflow_descriptions(crd: &mut CustomResourceDefinition) {
    let mut value = serde_json::to_value(&*crd).expect("a CustomResourceDefinition serializes");
    reflow_in(&mut value);
    *crd = serde_json::from_value(value).expect("reflowed descriptions keep the CRD valid");
}

fn reflow_in(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, field) in map.iter_mut() {
                match field {
                    serde_json::Value::String(text) if key == "description" => {
                        *text = reflow(text);
                    }
                    other => reflow_in(other),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(reflow_in),
        _ => {}
    }
}

/// `text` with single line breaks turned into spaces and paragraphs kept.
fn reflow(text: &str) -> String {
    text.split("\n\n")
        .map(|paragraph| {
            paragraph
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|paragraph| !paragraph.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// Applies the original Compass name rule to `metadata.name`: at most 36 characters, starting
/// with a letter. (Kubernetes already requires a lowercase DNS-1123 subdomain.)
///
/// A structural schema may constrain only `metadata.name` and `metadata.generateName`, which is
/// exactly what this adds; kube-derive leaves `metadata` untyped, so it is done here.
fn restrict_object_name(crd: &mut CustomResourceDefinition) {
    let name = JSONSchemaProps {
        type_: Some("string".into()),
        max_length: Some(NAME_MAX_LENGTH.into()),
        pattern: Some("^[a-z][-a-z0-9.]*$".into()),
        ..Default::default()
    };
    let metadata = JSONSchemaProps {
        type_: Some("object".into()),
        properties: Some(BTreeMap::from([("name".to_owned(), name)])),
        ..Default::default()
    };
    for version in &mut crd.spec.versions {
        if let Some(root) = version
            .schema
            .as_mut()
            .and_then(|s| s.open_api_v3_schema.as_mut())
        {
            root.properties
                .get_or_insert_with(BTreeMap::new)
                .insert("metadata".to_owned(), metadata.clone());
        }
    }
}

/// File name of a CRD under `crds/yaml/`: `<group>_<plural>.yaml`.
pub fn crd_file_name(crd: &CustomResourceDefinition) -> String {
    format!("{}_{}.yaml", crd.spec.group, crd.spec.names.plural)
}

/// A generator of a directory of CRD files (one per kind, plus a `kustomization.yaml`), named
/// in the files' headers so that a reader knows how to regenerate them.
#[derive(Clone, Copy, Debug)]
pub struct CrdGenerator {
    /// The command that writes the directory.
    pub command: &'static str,
    /// Where the types come from.
    pub source: &'static str,
    /// The directory, from the repository's root.
    pub directory: &'static str,
}

/// The generator of `crds/yaml/`.
pub const CRDGEN: CrdGenerator = CrdGenerator {
    command: "cargo run --bin crdgen",
    source: "crds/src",
    directory: "crds/yaml",
};

impl CrdGenerator {
    /// The YAML document of a CRD, with a header saying where it comes from.
    pub fn to_yaml(&self, crd: &CustomResourceDefinition) -> String {
        let body =
            serde_yaml::to_string(crd).expect("a CustomResourceDefinition always serializes");
        format!(
            "# Generated by `{}` from {}; do not edit.\n{body}",
            self.command, self.source
        )
    }

    /// The `kustomization.yaml` listing every CRD file.
    pub fn kustomization_yaml(&self, crds: &[CustomResourceDefinition]) -> String {
        let mut out = format!(
            "# Generated by `{}`; do not edit.\n\
             apiVersion: kustomize.config.k8s.io/v1beta1\n\
             kind: Kustomization\n\
             resources:\n",
            self.command
        );
        for crd in crds {
            out.push_str(&format!("  - {}\n", crd_file_name(crd)));
        }
        out
    }

    /// Every file of the directory, by name, as the generator writes it.
    pub fn files(&self, crds: &[CustomResourceDefinition]) -> BTreeMap<String, String> {
        let mut files: BTreeMap<String, String> = crds
            .iter()
            .map(|crd| (crd_file_name(crd), self.to_yaml(crd)))
            .collect();
        files.insert(
            "kustomization.yaml".to_owned(),
            self.kustomization_yaml(crds),
        );
        files
    }

    /// Writes the files of `crds` to `dir` and removes those of kinds that no longer exist.
    pub fn write(&self, dir: &Path, crds: &[CustomResourceDefinition]) -> io::Result<()> {
        fs::create_dir_all(dir)?;
        let files = self.files(crds);
        for (name, text) in &files {
            fs::write(dir.join(name), text)?;
        }
        for entry in fs::read_dir(dir)? {
            let name = entry?.file_name().to_string_lossy().into_owned();
            if !files.contains_key(&name) {
                fs::remove_file(dir.join(&name))?;
            }
        }
        Ok(())
    }

    /// Whether `dir` holds exactly what the generator writes for `crds`; otherwise, which file
    /// differs and how to regenerate.
    pub fn check(&self, dir: &Path, crds: &[CustomResourceDefinition]) -> Result<(), String> {
        let regenerate = format!("run `{}` and commit {}/", self.command, self.directory);
        let files = self.files(crds);
        for (name, text) in &files {
            let committed = fs::read_to_string(dir.join(name))
                .map_err(|_| format!("{}/{name} is missing: {regenerate}", self.directory))?;
            if committed != *text {
                return Err(format!("{}/{name} is stale: {regenerate}", self.directory));
            }
        }
        for entry in fs::read_dir(dir).map_err(|e| format!("{}: {e}", self.directory))? {
            let name = entry
                .map_err(|e| e.to_string())?
                .file_name()
                .to_string_lossy()
                .into_owned();
            if !files.contains_key(&name) {
                return Err(format!(
                    "{}/{name} is not generated from the types: {regenerate}",
                    self.directory
                ));
            }
        }
        Ok(())
    }
}

/// The YAML document of a CRD of `crds/yaml/`.
pub fn to_yaml(crd: &CustomResourceDefinition) -> String {
    CRDGEN.to_yaml(crd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_read_as_paragraphs() {
        assert_eq!(
            reflow(
                "Scenarios the runtime is in; it sees\nevery application.\n\nOmit it for\n`DEFAULT`."
            ),
            "Scenarios the runtime is in; it sees every application.\n\nOmit it for `DEFAULT`."
        );
        fn descriptions(value: &serde_json::Value, found: &mut Vec<String>) {
            match value {
                serde_json::Value::Object(map) => {
                    for (key, field) in map {
                        match field {
                            serde_json::Value::String(text) if key == "description" => {
                                found.push(text.clone())
                            }
                            other => descriptions(other, found),
                        }
                    }
                }
                serde_json::Value::Array(items) => {
                    items.iter().for_each(|v| descriptions(v, found))
                }
                _ => {}
            }
        }
        let mut found = Vec::new();
        for crd in all_crds() {
            descriptions(&serde_json::to_value(&crd).unwrap(), &mut found);
        }
        assert!(found.len() > 100, "{}", found.len());
        for text in found {
            assert!(
                !text.replace("\n\n", "").contains('\n'),
                "a line break inside a paragraph: {text:?}"
            );
        }
    }
}
