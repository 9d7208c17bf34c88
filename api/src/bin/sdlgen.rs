//! Writes the Director's schema, as the code defines it, to `api/schema.graphql` (the committed
//! SDL that review reads and a test compares with the code).

use std::{io, path::Path};

fn main() -> io::Result<()> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    std::fs::write(&path, compass_api::director::sdl())?;
    println!("wrote {}", path.display());
    Ok(())
}
