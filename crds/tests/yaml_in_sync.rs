//! The committed `crds/yaml/` must be exactly what the types generate, so the installed schemas
//! never drift from the code that reads the objects.

use std::path::Path;

#[test]
fn committed_crd_yaml_matches_the_types() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("yaml");
    let checked = compass_crds::CRDGEN.check(&dir, &compass_crds::all_crds());
    if let Err(problem) = checked {
        panic!("{problem}");
    }
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
