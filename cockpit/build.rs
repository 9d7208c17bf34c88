//! Lists every file under `assets/` into `$OUT_DIR/assets.rs` as `include_bytes!` entries with a
//! digest of their content for the ETag, so a new or changed asset rebuilds the crate (`include_bytes!` alone
//! would not notice a new file).

use std::{
    env, fs,
    path::{Path, PathBuf},
};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    // A directory here makes cargo rerun this script when any file below it changes or appears.
    println!("cargo:rerun-if-changed=assets");
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    let mut out = String::from("/// Every embedded file: path below `assets/`, bytes, digest.\n");
    out.push_str("pub(crate) static FILES: &[(&str, &[u8], u64)] = &[\n");
    for path in files {
        let relative = path.strip_prefix(&root).expect("below assets/");
        let name = relative.to_string_lossy().replace('\\', "/");
        // Notes for maintainers (VENDORED.md) are not served.
        if name.ends_with(".md") {
            continue;
        }
        let bytes = fs::read(&path).expect("an asset is readable");
        out.push_str(&format!(
            "    ({name:?}, include_bytes!({path:?}), 0x{:016x}),\n",
            digest(&bytes),
            path = path.display().to_string(),
        ));
    }
    out.push_str("];\n");
    let target = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("assets.rs");
    fs::write(target, out).expect("OUT_DIR is writable");
}

/// Every regular file below `dir`.
fn collect(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("assets/ is readable").flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, files);
        } else {
            files.push(path);
        }
    }
}

/// FNV-1a over the bytes, as `embedded::digest` computes it: enough to tell two versions of one
/// file apart for an ETag, with no dependency in the build script.
fn digest(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3)
    })
}
