//! A child of a management plane (an embedded runtime's control plane or agent) exits when its
//! parent is gone, even when the parent was killed outright and could not stop it: the parent
//! names itself in `COMPASS_EXIT_WITH_PARENT`, and the child checks once a second.

use std::time::Duration;

use compass_provisioner::supervisor::PARENT_VARIABLE;

/// When the environment names a parent, exits as soon as this process is no longer its child.
pub fn exit_with_parent() {
    let Some(parent) = std::env::var(PARENT_VARIABLE)
        .ok()
        .and_then(|pid| pid.parse::<u32>().ok())
    else {
        return;
    };
    tokio::spawn(async move {
        loop {
            if std::os::unix::process::parent_id() != parent {
                eprintln!("compass: the parent process {parent} is gone; exiting");
                std::process::exit(1);
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}
