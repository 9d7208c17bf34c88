//! Child processes kept running: each in a process group of its own, its output appended to a
//! log file, restarted with a growing pause when it dies, and stopped with its whole group
//! (children of children included) when asked or when the supervisor is dropped.

use std::{
    path::PathBuf,
    process::Stdio,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use tokio::{process::Command, sync::watch, task::JoinHandle};

/// Pause before the first restart; it doubles up to [`LONGEST_PAUSE`].
const FIRST_PAUSE: Duration = Duration::from_secs(1);
const LONGEST_PAUSE: Duration = Duration::from_secs(30);
/// A process that ran this long before dying is restarted after the first pause again.
const STABLE_AFTER: Duration = Duration::from_secs(60);
/// How long a stopped group has between SIGTERM and SIGKILL.
const GRACE: Duration = Duration::from_secs(5);

/// The environment variable telling a `compass` child its parent's pid: it exits when that
/// parent is gone.
pub const PARENT_VARIABLE: &str = "COMPASS_EXIT_WITH_PARENT";

/// One supervised process.
pub struct Supervised {
    stop: watch::Sender<bool>,
    group: Arc<Mutex<Option<i32>>>,
    task: Option<JoinHandle<()>>,
}

impl Supervised {
    /// Starts `command()` now and again whenever it dies, its output appended to `log`.
    pub fn start(
        what: String,
        log: PathBuf,
        command: impl Fn() -> Command + Send + Sync + 'static,
    ) -> Self {
        let (stop, stopped) = watch::channel(false);
        let group = Arc::new(Mutex::new(None));
        let task = tokio::spawn(keep_running(what, log, command, stopped, group.clone()));
        Self {
            stop,
            group,
            task: Some(task),
        }
    }

    /// Stops the process and its group: SIGTERM, then SIGKILL after a grace period.
    pub async fn stop(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Whether it is still being kept running.
    pub fn is_running(&self) -> bool {
        self.task.as_ref().is_some_and(|t| !t.is_finished())
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        // Dropped without `stop` (the management plane stopping): no group is left behind.
        if let Some(group) = *self.group.lock().unwrap_or_else(|e| e.into_inner()) {
            signal_group(group, rustix::process::Signal::KILL);
        }
    }
}

async fn keep_running(
    what: String,
    log: PathBuf,
    command: impl Fn() -> Command,
    mut stopped: watch::Receiver<bool>,
    group: Arc<Mutex<Option<i32>>>,
) {
    let mut pause = FIRST_PAUSE;
    loop {
        let started = Instant::now();
        let child = open_log(&log).and_then(|(out, err)| {
            let mut command = command();
            command
                .stdin(Stdio::null())
                .stdout(out)
                .stderr(err)
                .process_group(0)
                .kill_on_drop(true);
            // A management plane killed outright (SIGKILL) cannot stop its runtimes' processes;
            // they watch for that themselves and exit.
            command.env(PARENT_VARIABLE, std::process::id().to_string());
            command.spawn()
        });
        match child {
            Ok(mut child) => {
                let pid = child.id().and_then(|id| i32::try_from(id).ok());
                *group.lock().unwrap_or_else(|e| e.into_inner()) = pid;
                tokio::select! {
                    exit = child.wait() => {
                        tracing::warn!(process = %what, ?exit, log = %log.display(), "A runtime's process stopped; starting it again");
                    }
                    () = asked_to_stop(&mut stopped) => {
                        if let Some(pid) = pid {
                            stop_group(pid, &mut child).await;
                        }
                        *group.lock().unwrap_or_else(|e| e.into_inner()) = None;
                        return;
                    }
                }
                *group.lock().unwrap_or_else(|e| e.into_inner()) = None;
            }
            Err(error) => {
                tracing::warn!(process = %what, %error, "Starting a runtime's process failed");
            }
        }
        if started.elapsed() >= STABLE_AFTER {
            pause = FIRST_PAUSE;
        }
        tokio::select! {
            () = tokio::time::sleep(pause) => {}
            () = asked_to_stop(&mut stopped) => return,
        }
        pause = (pause * 2).min(LONGEST_PAUSE);
    }
}

/// Completes once a stop is asked for (or the supervisor is gone).
async fn asked_to_stop(stopped: &mut watch::Receiver<bool>) {
    while !*stopped.borrow_and_update() {
        if stopped.changed().await.is_err() {
            return;
        }
    }
}

/// The log file, appended to, as stdout and stderr of a child.
fn open_log(log: &PathBuf) -> std::io::Result<(Stdio, Stdio)> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)?;
    let copy = file.try_clone()?;
    Ok((Stdio::from(file), Stdio::from(copy)))
}

/// SIGTERM to the group, SIGKILL after [`GRACE`], and the child reaped.
async fn stop_group(pid: i32, child: &mut tokio::process::Child) {
    signal_group(pid, rustix::process::Signal::TERM);
    if tokio::time::timeout(GRACE, child.wait()).await.is_err() {
        signal_group(pid, rustix::process::Signal::KILL);
        let _ = child.wait().await;
    }
    // Children of the child that outlived it still go.
    signal_group(pid, rustix::process::Signal::KILL);
}

fn signal_group(pid: i32, signal: rustix::process::Signal) {
    if let Some(group) = rustix::process::Pid::from_raw(pid) {
        let _ = rustix::process::kill_process_group(group, signal);
    }
}
