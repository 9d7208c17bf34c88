//! `compass kubeconfig`: a kubeconfig for a user of the embedded control plane, with a client
//! certificate its certificate authority signs.

use std::{io::Write, process::ExitCode};

use crate::cli::KubeconfigArgs;

/// `compass kubeconfig`: a kubeconfig for a user, printed or written to `--output`.
pub fn run(args: KubeconfigArgs) -> ExitCode {
    let KubeconfigArgs {
        user,
        groups,
        namespace,
        data_dir,
        expiry,
        output,
    } = args;
    let request = compass_apiserver::pki::user::UserRequest {
        user,
        groups,
        namespace,
        validity: expiry,
    };
    let written = compass_apiserver::pki::user::user_kubeconfig(&data_dir, &request)
        .map_err(|e| e.to_string())
        .and_then(|text| match &output {
            Some(path) => compass_apiserver::pki::write_private(path, text.as_bytes())
                .map_err(|e| format!("--output {}: {e}", path.display())),
            None => std::io::stdout()
                .lock()
                .write_all(text.as_bytes())
                .map_err(|e| e.to_string()),
        });
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
