//! Writes the Director's, the Connector's and the Provisioner's schemas, as the code defines
//! them, to `api/schema.graphql`, `api/connector.graphql` and `api/provisioner.graphql` (the
//! committed SDL that review reads and a
//! test compares with the code).

use std::{io, path::Path};

fn main() -> io::Result<()> {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (file, sdl) in [
        ("schema.graphql", compass_api::director::sdl()),
        ("connector.graphql", compass_api::connector::schema::sdl()),
        ("provisioner.graphql", compass_api::provisioner::sdl()),
    ] {
        let path = directory.join(file);
        std::fs::write(&path, sdl)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
