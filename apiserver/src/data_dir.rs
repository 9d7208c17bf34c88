//! The data directory is private to the user running the server: it holds Secret data (in the
//! database and its write-ahead log), the CA key, the admin token and the kubeconfig. The
//! directory is made `0700` and everything in it `0600` (directories `0700`), on every start, so a
//! directory created by an older version, or loosened by hand, is fixed too.

use std::{
    fs::{self, File, OpenOptions, Permissions},
    io,
    os::unix::fs::{OpenOptionsExt, PermissionsExt},
    path::Path,
};

/// Mode of the data directory and of directories inside it.
const DIRECTORY_MODE: u32 = 0o700;
/// Mode of every file inside the data directory.
const FILE_MODE: u32 = 0o600;

/// Creates the data directory if needed and makes it, and everything already in it, private.
pub fn make_private(data_dir: &Path) -> io::Result<()> {
    fs::create_dir_all(data_dir)?;
    restrict(data_dir)
}

/// Sets the private modes on `path` and, for a directory, on everything below it. Symbolic
/// links are left alone: their targets are not ours to change.
fn restrict(path: &Path) -> io::Result<()> {
    let metadata = fs::symlink_metadata(path)?;
    if metadata.file_type().is_symlink() {
        return Ok(());
    }
    let mode = if metadata.is_dir() {
        DIRECTORY_MODE
    } else {
        FILE_MODE
    };
    if metadata.permissions().mode() & 0o7777 != mode {
        fs::set_permissions(path, Permissions::from_mode(mode))?;
    }
    if metadata.is_dir() {
        for entry in fs::read_dir(path)? {
            restrict(&entry?.path())?;
        }
    }
    Ok(())
}

/// Opens `path` for writing, creating it with mode `0600` if it does not exist. SQLite gives its
/// `-wal` and `-shm` files the mode of the database file, so creating the database this way keeps
/// them private too.
pub fn create_private(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .mode(FILE_MODE)
        .open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        fs::metadata(path).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn an_existing_open_directory_and_its_files_are_made_private() {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("data");
        fs::create_dir_all(dir.join("cache")).unwrap();
        fs::write(dir.join("state.db"), b"x").unwrap();
        fs::write(dir.join("cache/entry"), b"x").unwrap();
        for (path, mode) in [
            (dir.clone(), 0o755),
            (dir.join("cache"), 0o755),
            (dir.join("state.db"), 0o644),
            (dir.join("cache/entry"), 0o666),
        ] {
            fs::set_permissions(&path, Permissions::from_mode(mode)).unwrap();
        }
        make_private(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("cache")), 0o700);
        assert_eq!(mode(&dir.join("state.db")), 0o600);
        assert_eq!(mode(&dir.join("cache/entry")), 0o600);
        drop(create_private(&dir.join("new")).unwrap());
        assert_eq!(mode(&dir.join("new")), 0o600);
    }
}
