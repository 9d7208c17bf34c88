//! The leader Lease of the real `compass up` process: a stopped process releases it, and a killed
//! one's Lease is taken over at once by the next start on the same data directory, so neither
//! restart waits for the Lease to expire.

use std::{
    io::{BufRead, BufReader, Read},
    net::TcpListener,
    path::Path,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex, mpsc},
    thread,
    time::Duration,
};

/// How long the test waits for the process before it fails.
const DEADLINE: Duration = Duration::from_secs(30);

/// A running `compass up` and everything it logged so far.
struct Compass {
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
    /// The threads reading its stdout and stderr into `log`; they end with the process.
    readers: Vec<thread::JoinHandle<()>>,
}

impl Compass {
    fn start(data_dir: &Path) -> Self {
        let port = |_| {
            TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port()
        };
        let mut child = Command::new(env!("CARGO_BIN_EXE_compass"))
            .args(["up", "--data-dir"])
            .arg(data_dir)
            .args(["--apiserver-address", &format!("127.0.0.1:{}", port(()))])
            .args([
                "--admin-address",
                "127.0.0.1:0",
                "--api-address",
                "127.0.0.1:0",
            ])
            .env_remove("KUBECONFIG")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let (ready, is_ready) = mpsc::channel();
        let stdout: Box<dyn Read + Send> = Box::new(child.stdout.take().unwrap());
        let stderr: Box<dyn Read + Send> = Box::new(child.stderr.take().unwrap());
        let mut readers = Vec::new();
        for stream in [stdout, stderr] {
            let (log, ready) = (log.clone(), ready.clone());
            readers.push(thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if line.contains("compass: ready") {
                        let _ = ready.send(());
                    }
                    log.lock().unwrap().push(line);
                }
            }));
        }
        let compass = Self {
            child,
            log,
            readers,
        };
        is_ready
            .recv_timeout(DEADLINE)
            .unwrap_or_else(|_| panic!("compass up is not ready: {:#?}", compass.lines()));
        compass
    }

    fn lines(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    fn logged(&self, text: &str) -> bool {
        self.lines().iter().any(|line| line.contains(text))
    }

    /// Ctrl-C, as a person stops it; waits for the process to end.
    fn interrupt(mut self) -> Vec<String> {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = self.child.wait().unwrap();
        assert!(
            exit.success(),
            "compass up exited with {exit}: {:#?}",
            self.lines()
        );
        // Everything it logged is read once both streams end, which they do with the process.
        for reader in self.readers.drain(..) {
            reader.join().expect("the log reader ends");
        }
        self.lines()
    }

    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Compass {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn restarts_never_wait_for_the_leader_lease_to_expire() {
    let data_dir = tempfile::tempdir().unwrap();
    let first = Compass::start(data_dir.path());
    assert!(first.logged("Became the leader"));
    let log = first.interrupt();
    assert!(
        log.iter().any(|l| l.contains("Released the leader Lease")),
        "{log:#?}"
    );

    // Released: the next start takes it without waiting.
    let second = Compass::start(data_dir.path());
    assert!(second.logged("Became the leader"));
    assert!(
        !second.logged("Another replica leads"),
        "{:#?}",
        second.lines()
    );

    // Killed without a chance to release: the next start on the same directory knows the holder
    // was its own earlier run and takes the Lease at once.
    second.kill();
    let third = Compass::start(data_dir.path());
    assert!(third.logged("Became the leader"));
    assert!(
        !third.logged("Another replica leads"),
        "{:#?}",
        third.lines()
    );
    third.interrupt();
}
