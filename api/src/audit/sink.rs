//! Where audit lines go, and the writer that puts them there: a thread of its own fed through a
//! bounded channel, so a slow disk never holds up a request. The file sink rotates at a bound:
//! `audit.log` is renamed `audit.log.1` (replacing the older one) and a new `audit.log` begins.

use std::{
    fs::{File, OpenOptions},
    io::{self, Write},
    path::{Path, PathBuf},
    sync::mpsc::Receiver,
};

/// Where audit lines are written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuditSink {
    /// Nowhere: auditing is off.
    Off,
    /// Standard output, one line each (for a container's log collector).
    Stdout,
    /// A file (mode 0600), rotated to `<path>.1` once it would pass `max_bytes`.
    File {
        /// The file.
        path: PathBuf,
        /// Bound of the file's size, in bytes.
        max_bytes: u64,
    },
}

/// Default bound of the audit file: 64 MiB (with the rotated file, at most 128 MiB on disk).
pub const DEFAULT_MAX_BYTES: u64 = 64 * 1024 * 1024;

impl AuditSink {
    /// The sink a command line names: `-` for standard output, `off` for none, else a file
    /// path (write `./off` for a file named `off`).
    pub fn from_arg(arg: &str, max_bytes: u64) -> Self {
        match arg {
            "-" => Self::Stdout,
            "off" => Self::Off,
            path => Self::File {
                path: PathBuf::from(path),
                max_bytes,
            },
        }
    }
}

/// An open destination of lines.
pub(super) enum Writer {
    Stdout(io::Stdout),
    File(RotatingFile),
}

impl Writer {
    /// Opens `sink` (`None` for [`AuditSink::Off`]). A file that cannot be opened fails here, at
    /// start-up, rather than losing every line later.
    pub(super) fn open(sink: &AuditSink) -> io::Result<Option<Self>> {
        Ok(match sink {
            AuditSink::Off => None,
            AuditSink::Stdout => Some(Self::Stdout(io::stdout())),
            AuditSink::File { path, max_bytes } => {
                Some(Self::File(RotatingFile::open(path, *max_bytes)?))
            }
        })
    }

    /// Writes one line (without its newline).
    fn write_line(&mut self, line: &str) -> io::Result<()> {
        match self {
            Self::Stdout(out) => {
                let mut out = out.lock();
                out.write_all(line.as_bytes())?;
                out.write_all(b"\n")
            }
            Self::File(file) => file.write_line(line),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Self::Stdout(out) => out.flush(),
            Self::File(file) => file.file.flush(),
        }
    }

    /// Writes lines from `lines` until every sender is gone, flushing whenever the channel runs
    /// dry; `failed` hears of each line that could not be written.
    pub(super) fn run(mut self, lines: Receiver<String>, failed: impl Fn(&io::Error)) {
        while let Ok(line) = lines.recv() {
            if let Err(error) = self.write_line(&line) {
                failed(&error);
            }
            // Lines queued behind this one are written before the flush.
            while let Ok(line) = lines.try_recv() {
                if let Err(error) = self.write_line(&line) {
                    failed(&error);
                }
            }
            if let Err(error) = self.flush() {
                tracing::warn!(%error, "Flushing the audit log failed");
            }
        }
    }
}

/// A file renamed to `<path>.1` when the next line would take it past its bound.
pub(super) struct RotatingFile {
    path: PathBuf,
    max_bytes: u64,
    file: io::BufWriter<File>,
    size: u64,
}

impl RotatingFile {
    pub(super) fn open(path: &Path, max_bytes: u64) -> io::Result<Self> {
        let file = open_append(path)?;
        let size = file.metadata()?.len();
        Ok(Self {
            path: path.to_owned(),
            max_bytes,
            file: io::BufWriter::new(file),
            size,
        })
    }

    pub(super) fn write_line(&mut self, line: &str) -> io::Result<()> {
        let bytes = line.len() as u64 + 1;
        // A line longer than the bound still goes into a file of its own rather than nowhere.
        if self.size > 0 && self.size + bytes > self.max_bytes {
            self.rotate()?;
        }
        self.file.write_all(line.as_bytes())?;
        self.file.write_all(b"\n")?;
        self.size += bytes;
        Ok(())
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.file.flush()?;
        let mut rotated = self.path.clone().into_os_string();
        rotated.push(".1");
        std::fs::rename(&self.path, &rotated)?;
        self.file = io::BufWriter::new(open_append(&self.path)?);
        self.size = 0;
        Ok(())
    }
}

/// Opens `path` for appending, created private to its user: audit lines name who did what.
fn open_append(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_rotates_before_it_would_pass_its_bound() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.log");
        let mut file = RotatingFile::open(&path, 25).unwrap();
        for line in ["first-line", "second-ln", "third-line", "fourth-ln"] {
            file.write_line(line).unwrap();
        }
        file.file.flush().unwrap();
        let read = |p: &Path| std::fs::read_to_string(p).unwrap();
        assert_eq!(read(&path), "third-line\nfourth-ln\n");
        assert_eq!(
            read(&dir.path().join("audit.log.1")),
            "first-line\nsecond-ln\n"
        );
        // Reopened, it counts what is already there.
        let mut reopened = RotatingFile::open(&path, 25).unwrap();
        reopened.write_line("fifth-line").unwrap();
        reopened.file.flush().unwrap();
        assert_eq!(read(&path), "fifth-line\n");
        assert_eq!(
            read(&dir.path().join("audit.log.1")),
            "third-line\nfourth-ln\n"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn the_command_line_names_a_sink() {
        assert_eq!(AuditSink::from_arg("-", 1), AuditSink::Stdout);
        assert_eq!(AuditSink::from_arg("off", 1), AuditSink::Off);
        assert_eq!(
            AuditSink::from_arg("./off", 7),
            AuditSink::File {
                path: "./off".into(),
                max_bytes: 7
            }
        );
    }
}
