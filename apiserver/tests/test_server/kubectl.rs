//! The real `kubectl` against a [`TestServer`]: one-shot runs that must succeed or fail, runs fed
//! on standard input, and long-running ones (`get -w`) read line by line.

use std::{
    io::{BufRead, BufReader, Write},
    path::Path,
    process::{Child, Command, Output, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use super::{TestServer, repo_root};

impl TestServer {
    /// A `kubectl` command against this server, with a discovery cache of its own, not yet run.
    pub fn kubectl_command(&self, args: &[&str]) -> Command {
        self.kubectl_command_with(self.kubeconfig(), args)
    }

    /// A `kubectl` command with another kubeconfig (another user), not yet run.
    pub fn kubectl_command_with(&self, kubeconfig: &Path, args: &[&str]) -> Command {
        let mut command = Command::new("kubectl");
        command
            .args(args)
            .env("KUBECONFIG", kubeconfig)
            .env("KUBECACHEDIR", self.data_dir().join("kubectl-cache"))
            .env("HOME", self.data_dir())
            .current_dir(repo_root());
        command
    }

    /// Runs the real `kubectl` against this server.
    pub fn kubectl(&self, args: &[&str]) -> Output {
        self.kubectl_command(args)
            .output()
            .expect("kubectl is on PATH")
    }

    /// Runs `kubectl` with `input` on its standard input (for `-f -`).
    pub fn kubectl_with_stdin(&self, args: &[&str], input: &str) -> Output {
        with_stdin(self.kubectl_command(args), input)
    }

    /// `kubectl apply -f -` of a YAML text plus `extra` arguments; returns stdout and fails the
    /// test with stderr when it fails.
    pub fn apply_yaml(&self, yaml: &str, extra: &[&str]) -> String {
        let args: Vec<&str> = ["apply", "-f", "-"].iter().chain(extra).copied().collect();
        succeeded(&args, self.kubectl_with_stdin(&args, yaml))
    }

    /// `kubectl apply -f -` of a YAML text that must fail; returns stderr.
    pub fn apply_yaml_err(&self, yaml: &str, extra: &[&str]) -> String {
        let args: Vec<&str> = ["apply", "-f", "-"].iter().chain(extra).copied().collect();
        failed(&args, self.kubectl_with_stdin(&args, yaml))
    }

    /// Runs `kubectl` and returns its stdout, failing the test with stderr when it fails.
    pub fn kubectl_ok(&self, args: &[&str]) -> String {
        succeeded(args, self.kubectl(args))
    }

    /// Runs `kubectl` that must fail; returns its stderr, failing the test when it succeeds.
    pub fn kubectl_err(&self, args: &[&str]) -> String {
        failed(args, self.kubectl(args))
    }

    /// Starts a long-running `kubectl` (such as `get -w`) whose output lines are read as they come.
    pub fn kubectl_stream(&self, args: &[&str]) -> KubectlStream {
        self.kubectl_stream_with(self.kubeconfig(), args)
    }

    /// [`kubectl_stream`](Self::kubectl_stream) with another kubeconfig (another user).
    pub fn kubectl_stream_with(&self, kubeconfig: &Path, args: &[&str]) -> KubectlStream {
        let mut child = self
            .kubectl_command_with(kubeconfig, args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("kubectl is on PATH");
        let stdout = child.stdout.take().expect("a piped stdout");
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        KubectlStream {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Installs the product's CRDs (`crds/yaml`) and waits until they are Established.
    pub fn install_compass_crds(&self) {
        self.kubectl_ok(&["apply", "-k", "crds/yaml"]);
        self.kubectl_ok(&[
            "wait",
            "--for=condition=Established",
            "crd",
            "--all",
            "--timeout=30s",
        ]);
    }
}

/// The standard output of a `kubectl` that must succeed; fails the test with its stderr.
pub fn succeeded(args: &[&str], output: Output) -> String {
    assert!(
        output.status.success(),
        "kubectl {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The standard error of a `kubectl` that must fail; fails the test when it succeeds.
pub fn failed(args: &[&str], output: Output) -> String {
    assert!(
        !output.status.success(),
        "kubectl {} succeeded but should have failed; it printed: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stdout)
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs `command` with `input` on its standard input; its output.
pub fn with_stdin(mut command: Command, input: &str) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command runs");
    child
        .stdin
        .take()
        .expect("a piped stdin")
        .write_all(input.as_bytes())
        .expect("the command reads its stdin");
    child.wait_with_output().expect("the command runs")
}

/// A running `kubectl` whose standard output is read line by line; killed when dropped.
pub struct KubectlStream {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl KubectlStream {
    /// Waits up to `timeout` for a line that satisfies `wanted`, and returns it. Fails the test
    /// with every line seen so far when none comes.
    pub fn line_where(&mut self, timeout: Duration, wanted: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if wanted(&line) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no wanted line from kubectl within {timeout:?}; it printed:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }
}

impl Drop for KubectlStream {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
