//! `compass connect`: an application's or runtime's identity from the Connector. With the
//! one-time token the Director handed out it runs the whole flow (`configuration`, a CSR with
//! exactly the subject returned, `signCertificateSigningRequest`); with `--renew` it renews the
//! certificate in the output directory with that certificate. The key never leaves this machine.

use std::{
    fs,
    io::Write,
    os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt},
    path::{Path, PathBuf},
    process::ExitCode,
};

use compass_api::client::pairing::{self, Identity, Invitation, PairingError};
use serde_json::json;

use crate::cli::ConnectArgs;

/// The files of an identity directory.
pub const KEY_FILE: &str = "key.pem";
/// The client certificate, then the Connector's CA.
pub const CERTIFICATE_FILE: &str = "certificate.pem";
/// The Connector's CA.
pub const CA_FILE: &str = "ca.pem";
/// Client id, validity and the management plane's URLs.
pub const INFO_FILE: &str = "info.json";

/// `compass connect`: connects or renews, prints what it wrote.
pub async fn run(args: ConnectArgs) -> ExitCode {
    match connect(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn connect(args: ConnectArgs) -> Result<(), String> {
    let ConnectArgs {
        token,
        url,
        ca_file,
        output_dir,
        renew,
        keep_key,
        key_file,
        force,
    } = args;
    let ca_pem = ca_file
        .as_deref()
        .map(|path| {
            fs::read_to_string(path).map_err(|e| format!("--ca-file {}: {e}", path.display()))
        })
        .transpose()?;
    if let Some(url) = &url {
        https_url(url, "--url")?;
    }
    let dir = output_dir.as_path();
    let key = match (&key_file, keep_key) {
        (Some(path), _) => Some(read_key(path, "--key-file")?),
        (None, true) => Some(read_key(&dir.join(KEY_FILE), "--keep-key")?),
        (None, false) => None,
    };
    let key = match key {
        Some(key) => key,
        None => pairing::generate_key().map_err(|e| e.to_string())?,
    };
    let identity = if renew {
        renewed(dir, url, ca_pem.as_deref(), key).await?
    } else {
        let token = token.ok_or("--token is required (or --renew)")?;
        let invitation = invitation(&token, url)?;
        if !force && dir.join(KEY_FILE).exists() {
            return Err(format!(
                "--output-dir {} already holds an identity ({KEY_FILE}); renew it with --renew, or replace it with --force",
                dir.display()
            ));
        }
        pairing::pair(&invitation, ca_pem.as_deref(), key)
            .await
            .map_err(|e| explain_pairing(e, &invitation.connector_url, key_file.as_deref()))?
    };
    write_identity(dir, &identity, !keep_key)?;
    report(dir, &identity, renew, keep_key, ca_file.as_deref());
    Ok(())
}

/// The identity in `dir` renewed for `key`, at `url` or the URL `info.json` names.
async fn renewed(
    dir: &Path,
    url: Option<String>,
    ca_pem: Option<&str>,
    key: pairing::KeyPair,
) -> Result<Identity, String> {
    let info = read_info(dir)?;
    let connector_url = match url {
        Some(url) => url,
        None => info_field(&info, "certificateSecuredConnectorURL", dir)?,
    };
    let chain = read_text(&dir.join(CERTIFICATE_FILE), "--output-dir")?;
    let current_key = read_text(&dir.join(KEY_FILE), "--output-dir")?;
    pairing::renew(&connector_url, ca_pem, (&chain, &current_key), key)
        .await
        .map_err(|e| explain_renewal(e, &connector_url, dir))
}

/// The invitation `--token` carries: a `rawEncoded` value, or a bare token with `--url`.
fn invitation(token: &str, url: Option<String>) -> Result<Invitation, String> {
    let token = token.trim();
    if token.is_empty() {
        return Err("--token is empty".to_owned());
    }
    match (Invitation::decode(token), url) {
        (Ok(decoded), Some(url)) => Ok(Invitation {
            connector_url: url,
            ..decoded
        }),
        (Ok(decoded), None) => {
            https_url(&decoded.connector_url, "--token's connectorURL")?;
            Ok(decoded)
        }
        (Err(_), Some(url)) => Ok(Invitation {
            token: token.to_owned(),
            connector_url: url,
        }),
        (Err(why), None) => Err(format!(
            "--token is not the rawEncoded value of requestOneTimeTokenForApplication/Runtime ({why}); to give the bare token, add --url <connectorURL>"
        )),
    }
}

/// Refuses anything but an `https://` URL with a host.
fn https_url(url: &str, what: &str) -> Result<(), String> {
    match url.strip_prefix("https://") {
        Some(rest) if !rest.is_empty() && !rest.starts_with('/') => Ok(()),
        _ => Err(format!(
            "{what} {url:?} is not an https:// URL of the Connector"
        )),
    }
}

/// The Connector's refusal or failure, naming the flag it concerns.
fn explain_pairing(error: PairingError, url: &str, key_file: Option<&Path>) -> String {
    match error {
        PairingError::Unreachable(cause) => {
            format!(
                "{cause}{}; check --url or the connectorURL in --token ({url})",
                tls_hint(&cause)
            )
        }
        PairingError::Refused {
            operation: "configuration",
            message,
            ..
        } => format!("--token: the Connector refused the one-time token: {message}"),
        PairingError::Refused {
            operation, message, ..
        } => match key_file {
            Some(path) if message.contains("key") => {
                format!(
                    "--key-file {}: the Connector refused {operation}: {message}",
                    path.display()
                )
            }
            _ => format!("the Connector refused {operation}: {message}"),
        },
        PairingError::Unexpected(message) => format!("--token or --url: {message}"),
        PairingError::Local(message) => message,
    }
}

/// A renewal's refusal or failure, naming the files or flag it concerns.
fn explain_renewal(error: PairingError, url: &str, dir: &Path) -> String {
    let certificate = dir.join(CERTIFICATE_FILE);
    match error {
        PairingError::Unreachable(cause) => format!(
            "{cause}{}; check --url or the certificateSecuredConnectorURL in {} ({url}); a certificate of a CA the Connector no longer trusts fails like this too",
            tls_hint(&cause),
            dir.join(INFO_FILE).display()
        ),
        PairingError::Refused {
            code,
            message,
            operation,
            ..
        } if code == "UNAUTHENTICATED" => format!(
            "the Connector refused the certificate {} for {operation}: {message}; connect again with a new one-time token",
            certificate.display()
        ),
        PairingError::Refused {
            operation, message, ..
        } => format!("the Connector refused {operation}: {message}"),
        PairingError::Unexpected(message) => {
            format!("--url or {}: {message}", dir.join(INFO_FILE).display())
        }
        PairingError::Local(message) => format!("{}: {message}", dir.display()),
    }
}

/// What to do when the server's certificate is not trusted.
fn tls_hint(cause: &str) -> &'static str {
    if cause.contains("UnknownIssuer") || cause.contains("invalid peer certificate") {
        "; the server's certificate is not signed by a CA this machine trusts: pass that CA with --ca-file"
    } else {
        ""
    }
}

fn read_text(path: &Path, flag: &str) -> Result<String, String> {
    fs::read_to_string(path).map_err(|e| format!("{flag} {}: {e}", path.display()))
}

fn read_key(path: &Path, flag: &str) -> Result<pairing::KeyPair, String> {
    let text = read_text(path, flag)?;
    pairing::read_key(&text).map_err(|e| format!("{flag} {}: {e}", path.display()))
}

fn read_info(dir: &Path) -> Result<serde_json::Value, String> {
    let path = dir.join(INFO_FILE);
    let text = read_text(&path, "--output-dir")?;
    serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))
}

fn info_field(info: &serde_json::Value, field: &str, dir: &Path) -> Result<String, String> {
    info[field].as_str().map(str::to_owned).ok_or_else(|| {
        format!(
            "{} has no {field}; give the Connector's URL with --url",
            dir.join(INFO_FILE).display()
        )
    })
}

/// Writes the identity into `dir` (made with mode 0700 if missing). Each file is written beside
/// its final name and renamed over it, so a reader sees the old file or the new one, never a
/// part; the key is written only when it is new.
fn write_identity(dir: &Path, identity: &Identity, new_key: bool) -> Result<(), String> {
    if !dir.exists() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| format!("--output-dir {}: {e}", dir.display()))?;
    }
    let info = json!({
        "clientId": identity.client_id,
        "serialNumber": identity.serial_number,
        "notAfter": identity.not_after.to_string(),
        "directorURL": identity.director_url,
        "certificateSecuredConnectorURL": identity.certificate_secured_connector_url,
    });
    let info = format!("{:#}\n", info);
    let mut files = vec![
        (
            CERTIFICATE_FILE,
            identity.certificate_chain_pem.as_str(),
            0o644,
        ),
        (CA_FILE, identity.ca_certificate_pem.as_str(), 0o644),
        (INFO_FILE, info.as_str(), 0o644),
    ];
    if new_key {
        files.insert(0, (KEY_FILE, identity.key_pem.as_str(), 0o600));
    }
    // Every file is written in full before the first is renamed into place.
    let staged: Vec<(PathBuf, PathBuf)> = files
        .iter()
        .map(|(name, contents, mode)| {
            let target = dir.join(name);
            let staging = dir.join(format!(".{name}.{}.tmp", std::process::id()));
            write_file(&staging, contents.as_bytes(), *mode)
                .map(|()| (staging, target))
                .map_err(|e| format!("writing {} failed: {e}", dir.join(name).display()))
        })
        .collect::<Result<_, _>>()?;
    for (staging, target) in staged {
        fs::rename(&staging, &target)
            .map_err(|e| format!("replacing {} failed: {e}", target.display()))?;
    }
    Ok(())
}

/// Writes a new file with `mode`, flushed to disk.
fn write_file(path: &Path, contents: &[u8], mode: u32) -> std::io::Result<()> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)?;
    file.set_permissions(fs::Permissions::from_mode(mode))?;
    file.write_all(contents)?;
    file.sync_all()
}

/// Says what was written and how to use it.
fn report(dir: &Path, identity: &Identity, renewed: bool, kept_key: bool, ca_file: Option<&Path>) {
    let path = |name: &str| dir.join(name).display().to_string();
    let verb = if renewed { "renewed" } else { "connected" };
    println!(
        "compass: {verb}: client id {}, certificate serial {}, valid until {}",
        identity.client_id, identity.serial_number, identity.not_after
    );
    if kept_key {
        println!("compass: kept    {}", path(KEY_FILE));
    } else {
        println!(
            "compass: wrote   {} (private key, mode 0600)",
            path(KEY_FILE)
        );
    }
    println!(
        "compass: wrote   {} (client certificate, then the Connector's CA)",
        path(CERTIFICATE_FILE)
    );
    println!("compass: wrote   {} (the Connector's CA)", path(CA_FILE));
    println!("compass: wrote   {}", path(INFO_FILE));
    println!("compass: Director GraphQL {}", identity.director_url);
    let cacert = ca_file.map_or(String::new(), |ca| format!("--cacert {} ", ca.display()));
    println!(
        "compass: try: curl {cacert}--cert {} --key {} -H 'Content-Type: application/json' -d '{{\"query\":\"{{ viewer {{ id type }} }}\"}}' {}",
        path(CERTIFICATE_FILE),
        path(KEY_FILE),
        identity.director_url
    );
}

#[cfg(test)]
mod tests;
