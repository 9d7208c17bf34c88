//! The committed SDL (`api/schema.graphql`) must be exactly what the schema generates, so
//! changes to the Director's surface are visible in review.

use std::path::Path;

#[test]
fn committed_sdl_matches_the_schema() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    let generated = compass_api::director::sdl();
    if std::env::var_os("UPDATE_SDL").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "api/schema.graphql is stale: run `UPDATE_SDL=1 cargo test -p compass-api --test sdl` and commit it"
    );
}
