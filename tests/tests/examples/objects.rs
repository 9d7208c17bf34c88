//! Every valid example object: typed without losing a field, within the CEL rules of its CRD, in
//! a file that says what it shows; and an example of every kind.

use std::collections::BTreeSet;

use super::{
    COMPASS_KINDS, cel_validate, differences, examples_dir, file_name, files_with_extension, read,
    typed_round_trip, valid_examples,
};

#[test]
fn every_example_object_deserializes_into_its_type_without_losing_a_field() {
    let mut failures = Vec::new();
    for example in valid_examples() {
        match typed_round_trip(&example.object) {
            Ok(typed) => {
                for difference in differences(&example.object, &typed, "") {
                    failures.push(format!("{}: {difference}", example.origin));
                }
            }
            Err(e) => failures.push(format!("{}: {e}", example.origin)),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_compass_example_passes_the_cel_rules_of_its_crd() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for example in valid_examples().iter().filter(|e| e.is_compass()) {
        checked += 1;
        if let Err(errors) = cel_validate(&example.object) {
            failures.push(format!("{} ({}): {errors}", example.origin, example.name()));
        }
    }
    assert!(checked > 0, "no compass object among the examples");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_example_file_opens_with_a_comment_saying_what_it_shows() {
    for path in files_with_extension(&examples_dir(), "yaml") {
        let text = read(&path);
        let first = text.lines().next().unwrap_or_default();
        assert!(
            first.starts_with("# ") && first.len() > 2,
            "{}: start with a comment saying what the file shows",
            file_name(&path)
        );
    }
}

#[test]
fn every_compass_kind_has_an_example() {
    let kinds: BTreeSet<String> = valid_examples()
        .iter()
        .filter(|e| e.is_compass())
        .map(|e| e.kind().to_owned())
        .collect();
    for kind in COMPASS_KINDS {
        assert!(kinds.contains(kind), "no example of {kind}");
    }
}
