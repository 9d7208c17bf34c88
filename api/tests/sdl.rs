//! The committed SDL (`api/schema.graphql`) must be exactly what the schema generates, so
//! changes to the Director's surface are visible in review. The test only compares; `cargo
//! sdlgen` rewrites the file.

use std::path::Path;

#[test]
fn committed_sdl_matches_the_schema() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    let generated = compass_api::director::sdl();
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "api/schema.graphql is stale: run `cargo sdlgen` and commit it"
    );
}
