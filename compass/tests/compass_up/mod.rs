//! A real `compass up` process for the process-level tests: started on a data directory with free
//! ports, everything it prints kept, and killed when dropped so a failing test leaves no process
//! behind.

// Each test binary includes this module and uses only part of it.
#![allow(dead_code)]

use std::{
    io::{BufRead, BufReader, Read},
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    sync::{Arc, Mutex, mpsc},
    thread,
    time::Duration,
};

use kube::{
    Client, Config,
    config::{KubeConfigOptions, Kubeconfig},
};

/// How long a test waits for the process to become ready before it fails.
pub const READY_DEADLINE: Duration = Duration::from_secs(30);

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate sits in the repository root")
        .to_path_buf()
}

/// A loopback port free at the time of asking.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// `compass up` on `data_dir` and free loopback ports, with `extra` arguments; nothing piped yet.
/// The control plane's port is chosen here because its kubeconfig names it; the other listeners
/// take any free port (tests run in parallel, so the defaults would collide).
pub fn command(data_dir: &Path, extra: &[&str]) -> Command {
    let mut command = compass_command("up", data_dir);
    command
        .args(["--apiserver-address", &format!("127.0.0.1:{}", free_port())])
        .args(["--admin-address", "127.0.0.1:0"])
        .args(["--api-address", "127.0.0.1:0"])
        .args(extra);
    command
}

/// `compass apiserver` on `data_dir` and a free loopback port, with `extra` arguments; nothing
/// piped yet.
pub fn apiserver_command(data_dir: &Path, extra: &[&str]) -> Command {
    let mut command = compass_command("apiserver", data_dir);
    command.args(["--address", "127.0.0.1:0"]).args(extra);
    command
}

/// The `compass` binary's `subcommand` on `data_dir`, with no KUBECONFIG from the environment,
/// no colour and no standard streams yet.
fn compass_command(subcommand: &str, data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_compass"));
    command
        .args([subcommand, "--data-dir"])
        .arg(data_dir)
        .env_remove("KUBECONFIG")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    command
}

/// A running `compass up` (or `compass apiserver`) and everything it printed so far.
pub struct CompassUp {
    child: Child,
    data_dir: PathBuf,
    log: Arc<Mutex<Vec<String>>>,
    /// The threads reading its stdout and stderr into `log`; they end with the process.
    readers: Vec<thread::JoinHandle<()>>,
}

impl CompassUp {
    /// Starts `compass up` on `data_dir` with `extra` arguments and waits until it says it is
    /// ready.
    pub fn start(data_dir: &Path, extra: &[&str]) -> Self {
        Self::spawn(command(data_dir, extra), data_dir)
    }

    /// Starts `compass apiserver` on `data_dir` with `extra` arguments and waits until it says
    /// it is ready.
    pub fn start_apiserver(data_dir: &Path, extra: &[&str]) -> Self {
        Self::spawn(apiserver_command(data_dir, extra), data_dir)
    }

    /// Starts `command`, which serves from `data_dir`, and waits until it says it is ready.
    pub fn spawn(mut command: Command, data_dir: &Path) -> Self {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("compass starts");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (ready, is_ready) = mpsc::channel();
        let stdout: Box<dyn Read + Send> = Box::new(child.stdout.take().expect("a piped stdout"));
        let stderr: Box<dyn Read + Send> = Box::new(child.stderr.take().expect("a piped stderr"));
        // Both streams are read until the process ends, so neither pipe ever fills up.
        let readers = [stdout, stderr]
            .into_iter()
            .map(|stream| {
                let (log, ready) = (log.clone(), ready.clone());
                thread::spawn(move || {
                    for line in BufReader::new(stream).lines().map_while(Result::ok) {
                        if line.contains("compass: ready") {
                            let _ = ready.send(());
                        }
                        log.lock().unwrap().push(line);
                    }
                })
            })
            .collect();
        let compass = Self {
            child,
            data_dir: data_dir.to_owned(),
            log,
            readers,
        };
        is_ready
            .recv_timeout(READY_DEADLINE)
            .unwrap_or_else(|_| panic!("compass is not ready: {:#?}", compass.lines()));
        compass
    }

    /// Every line it printed so far, stdout and stderr interleaved as read.
    pub fn lines(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Whether it printed a line containing `text`.
    pub fn logged(&self, text: &str) -> bool {
        self.lines().iter().any(|line| line.contains(text))
    }

    /// The Director's URL it printed (`https://127.0.0.1:<port>/director/graphql`).
    pub fn director_url(&self) -> String {
        self.lines()
            .iter()
            .find_map(|line| line.strip_prefix("compass: Director GraphQL"))
            .map(|url| url.trim().to_owned())
            .unwrap_or_else(|| panic!("no Director URL printed: {:#?}", self.lines()))
    }

    /// The API's base URL (`https://127.0.0.1:<port>`), where both the Director and the
    /// Connector answer.
    pub fn api_url(&self) -> String {
        let director = self.director_url();
        director
            .strip_suffix("/director/graphql")
            .unwrap_or(&director)
            .to_owned()
    }

    /// A kube-rs client from the kubeconfig it wrote into its data directory.
    pub async fn client(&self) -> Client {
        let kubeconfig = Kubeconfig::read_from(self.data_dir.join("kubeconfig"))
            .expect("compass up wrote a kubeconfig");
        let config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
            .await
            .expect("the kubeconfig is valid");
        Client::try_from(config).expect("a client")
    }

    /// Runs the real `kubectl` against it, from the repository root.
    pub fn kubectl(&self, args: &[&str]) -> Output {
        Command::new("kubectl")
            .args(args)
            .env("KUBECONFIG", self.data_dir.join("kubeconfig"))
            .env("KUBECACHEDIR", self.data_dir.join("kubectl-cache"))
            .current_dir(repo())
            .output()
            .expect("kubectl is on PATH")
    }

    /// Runs `kubectl` and returns its stdout, failing the test with its stderr when it fails.
    pub fn kubectl_ok(&self, args: &[&str]) -> String {
        let output = self.kubectl(args);
        assert!(
            output.status.success(),
            "kubectl {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Ctrl-C, as a person stops it; waits for the process to end and returns all it printed.
    pub fn interrupt(mut self) -> Vec<String> {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let exit = self.child.wait().expect("compass up ends");
        assert!(
            exit.success(),
            "compass up exited with {exit}: {:#?}",
            self.lines()
        );
        // Everything it printed is read once both streams end, which they do with the process.
        for reader in self.readers.drain(..) {
            reader.join().expect("the log reader ends");
        }
        self.lines()
    }

    /// Sends SIGKILL and reaps the process.
    pub fn kill(mut self) {
        self.child.kill().expect("compass up is killed");
        self.child.wait().expect("compass up is reaped");
    }
}

impl Drop for CompassUp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // A failing test shows what the process said, which is where the cause usually is.
        if std::thread::panicking() {
            eprintln!("compass said:\n{}", self.lines().join("\n"));
        }
    }
}
