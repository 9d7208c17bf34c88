//! Command line of the `compass` binary. Every flag also reads an environment variable, so the
//! same binary is configured by flags on a workstation and by the environment in a Deployment.

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use clap::{Args, Parser, Subcommand};

mod agent;
mod audit_limits;
mod controllers;
mod oauth;
mod provisioner;
mod trust;

pub use agent::AgentArgs;
pub use controllers::{ControllerArgs, OutboundArgs};

pub use audit_limits::AuditLimitArgs;
pub use oauth::OAuthArgs;
pub use provisioner::ProvisionerArgs;
pub use trust::TrustArgs;

/// Compass on Kubernetes: registers applications and runtimes, groups them into scenarios and
/// establishes trust between them, all stored as Kubernetes custom resources.
#[derive(Debug, Parser)]
#[command(name = "compass", version, propagate_version = true)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,

    /// Log filter, in the syntax of RUST_LOG (for example `info` or `compass=debug`).
    #[arg(long, global = true, env = "COMPASS_LOG", default_value = "info")]
    pub log_level: String,

    /// Log format.
    #[arg(
        long,
        global = true,
        env = "COMPASS_LOG_FORMAT",
        value_enum,
        default_value = "plain"
    )]
    pub log_format: LogFormat,
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Plain,
    /// One JSON object per line.
    Json,
}

/// The parts of the product, each runnable on its own.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run everything on this machine: the embedded control plane, the controllers and the APIs.
    Up(UpArgs),
    /// Run the reconcile controllers against a Kubernetes API server.
    Operator(OperatorArgs),
    /// Serve the Director, Connector and Provisioner GraphQL APIs behind the Gateway.
    Api(ApiArgs),
    /// Run the Runtime Provisioner against a Kubernetes API server: runtimes asking for a
    /// cluster get one through the `embedded` (a StatefulSet per runtime), `kubeconfig` or
    /// `cluster-api` provider.
    Provisioner(ProvisionerArgs),
    /// Run the Runtime Agent inside a runtime cluster.
    Agent(AgentArgs),
    /// Run the embedded Kubernetes-compatible API server alone, without the product's CRDs,
    /// controllers or APIs: a runtime cluster on this machine for `compass agent`.
    Apiserver(ApiserverArgs),
    /// Print every CustomResourceDefinition of the product as YAML.
    Crds,
    /// Print a kubeconfig for a user of the embedded control plane, with a client certificate
    /// signed by its certificate authority (like `kubeadm kubeconfig user`).
    Kubeconfig(KubeconfigArgs),
    /// Get a client certificate for an application or runtime from the Connector, with the
    /// one-time token the Director handed out, or renew it; writes the key, the certificate and
    /// the management plane's URLs to a directory.
    Connect(ConnectArgs),
}

/// Options of `compass connect`.
#[derive(Debug, Args)]
pub struct ConnectArgs {
    /// The one-time token: the `rawEncoded` value `requestOneTimeTokenForApplication` or
    /// `requestOneTimeTokenForRuntime` returned (it names the Connector's URL), or the bare
    /// `token` with `--url`.
    #[arg(
        long,
        env = "COMPASS_CONNECT_TOKEN",
        // A bare token is URL-safe base64 and starts with `-` about once in 64.
        allow_hyphen_values = true,
        required_unless_present = "renew",
        conflicts_with = "renew"
    )]
    pub token: Option<String>,

    /// The Connector's URL: needed with a bare `--token`; overrides the URL a `rawEncoded` token
    /// names, or, with `--renew`, the certificateSecuredConnectorURL in info.json.
    #[arg(long, env = "COMPASS_CONNECT_URL")]
    pub url: Option<String>,

    /// CA certificates (PEM) the management plane's server certificate is checked against, when
    /// it is not publicly trusted (for `compass up`: `<data-dir>/ca.crt`). Without it, the
    /// public web PKI's roots.
    #[arg(long, env = "COMPASS_CONNECT_CA_FILE")]
    pub ca_file: Option<PathBuf>,

    /// Directory the identity is written to (created with mode 0700): `key.pem` (mode 0600),
    /// `certificate.pem` (the client certificate, then the CA), `ca.pem` (the Connector's CA)
    /// and `info.json` (client id, notAfter, the Director's and the Connector's URLs).
    #[arg(
        long,
        short = 'o',
        env = "COMPASS_CONNECT_OUTPUT_DIR",
        default_value = "compass-identity"
    )]
    pub output_dir: PathBuf,

    /// Renew the certificate in `--output-dir`, authenticated by that certificate, instead of
    /// redeeming a token; the files are replaced (each by a rename).
    #[arg(long, env = "COMPASS_CONNECT_RENEW")]
    pub renew: bool,

    /// With `--renew`: keep the current key rather than generate a new one.
    #[arg(
        long,
        env = "COMPASS_CONNECT_KEEP_KEY",
        requires = "renew",
        conflicts_with = "key_file"
    )]
    pub keep_key: bool,

    /// Use this private key instead of generating an ECDSA P-256 one: PKCS#8 PEM (`BEGIN
    /// PRIVATE KEY`), RSA of 2048 to 4096 bits or ECDSA P-256. It is copied to `key.pem`.
    #[arg(long, env = "COMPASS_CONNECT_KEY_FILE")]
    pub key_file: Option<PathBuf>,

    /// Replace an identity already in `--output-dir` when connecting with a token (its
    /// certificate stays valid until it expires or is revoked).
    #[arg(long, env = "COMPASS_CONNECT_FORCE", conflicts_with = "renew")]
    pub force: bool,
}

/// Options of `compass kubeconfig`.
#[derive(Debug, Args)]
pub struct KubeconfigArgs {
    /// The user name: the certificate's common name, which RBAC subjects of kind User match.
    #[arg(long, env = "COMPASS_KUBECONFIG_USER")]
    pub user: String,

    /// A group of the user: a certificate organization, which RBAC subjects of kind Group match
    /// (repeatable, or comma-separated in the variable). Tenant groups are
    /// `compass:tenant:<tenant>:viewers` and `compass:tenant:<tenant>:editors`.
    #[arg(
        long = "group",
        env = "COMPASS_KUBECONFIG_GROUPS",
        value_delimiter = ','
    )]
    pub groups: Vec<String>,

    /// The namespace the kubeconfig's context works in by default.
    #[arg(long, env = "COMPASS_KUBECONFIG_NAMESPACE")]
    pub namespace: Option<String>,

    /// The data directory of `compass up`, whose certificate authority signs the certificate and
    /// whose kubeconfig names the server.
    #[arg(long, env = "COMPASS_DATA_DIR", default_value = ".compass")]
    pub data_dir: PathBuf,

    /// How long the certificate is valid: a number with a unit, `s`, `m`, `h` or `d` (for
    /// example `8h` or `30d`). There is no revocation of client certificates, so keep it short.
    #[arg(long, env = "COMPASS_KUBECONFIG_EXPIRY", default_value = "24h", value_parser = parse_duration)]
    pub expiry: Duration,

    /// Write the kubeconfig to this file (mode 0600) instead of printing it.
    #[arg(long, short = 'o', env = "COMPASS_KUBECONFIG_OUTPUT")]
    pub output: Option<PathBuf>,
}

/// Parses `90s`, `30m`, `8h` or `7d`.
pub(crate) fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a number followed by s, m, h or d"))?;
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("{text:?} needs a unit: s, m, h or d")),
    };
    number
        .checked_mul(seconds)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("{text:?} is too long"))
}

/// Options of `compass up`.
#[derive(Debug, Args)]
pub struct UpArgs {
    /// Directory holding the database, the certificate authority, the kubeconfig and the admin
    /// token. Created if missing.
    #[arg(long, env = "COMPASS_DATA_DIR", default_value = ".compass")]
    pub data_dir: PathBuf,

    /// Address of the embedded Kubernetes API server.
    #[arg(
        long,
        env = "COMPASS_APISERVER_ADDRESS",
        default_value = "127.0.0.1:6443"
    )]
    pub apiserver_address: SocketAddr,

    /// Extra host names or addresses the API server's certificate is valid for, besides
    /// 127.0.0.1, ::1 and localhost (repeatable, or comma-separated in the variable).
    #[arg(long = "tls-san", env = "COMPASS_TLS_SANS", value_delimiter = ',')]
    pub tls_sans: Vec<String>,

    /// Address of the GraphQL APIs (HTTPS, with the certificate of the API server). Callers
    /// authenticate with the admin token as a bearer token.
    #[arg(long, env = "COMPASS_API_ADDRESS", default_value = "127.0.0.1:3000")]
    pub api_address: SocketAddr,

    /// Address of the admin listener: health, readiness and metrics.
    #[arg(long, env = "COMPASS_ADMIN_ADDRESS", default_value = "127.0.0.1:8080")]
    pub admin_address: SocketAddr,

    /// More callers besides the admin: a YAML file `users: [{name, tokenSha256, scopes,
    /// tenants}]` as `compass api` takes (for example a user limited to one tenant).
    #[arg(long, env = "COMPASS_UP_STATIC_USERS_FILE")]
    pub static_users_file: Option<PathBuf>,

    /// Run only the embedded control plane (with the CRDs and defaults installed) and the
    /// API, without the controllers; run `compass operator --kubeconfig DIR/kubeconfig` beside
    /// it instead. The admin listener then serves the API's metrics alone.
    #[arg(long, env = "COMPASS_NO_CONTROLLERS")]
    pub no_controllers: bool,

    /// How the controllers work and where they may send requests.
    #[command(flatten)]
    pub controllers: ControllerArgs,

    /// The API's settings (the audit log defaults to `audit.log` in the data directory).
    #[command(flatten)]
    pub settings: ApiSettingsArgs,
}

/// The API's settings besides its listener, shared by `compass up` and `compass api`.
#[derive(Debug, Args)]
pub struct ApiSettingsArgs {
    /// The Connector and the Gateway.
    #[command(flatten)]
    pub trust: TrustArgs,

    /// The API's audit log and rate limits.
    #[command(flatten)]
    pub audit_limits: AuditLimitArgs,

    /// OAuth access tokens and OIDC users.
    #[command(flatten)]
    pub oauth: OAuthArgs,
}

/// Options of `compass apiserver`. The variables differ from `compass up`'s, so both run side by
/// side from one environment.
#[derive(Debug, Args)]
pub struct ApiserverArgs {
    /// Directory holding the database, the certificate authority, the kubeconfig and the admin
    /// token. Created if missing.
    #[arg(
        long,
        env = "COMPASS_RUNTIME_DATA_DIR",
        default_value = ".compass-runtime"
    )]
    pub data_dir: PathBuf,

    /// Address of the API server; port 0 picks a free port (the kubeconfig names it).
    #[arg(
        long,
        env = "COMPASS_RUNTIME_ADDRESS",
        default_value = "127.0.0.1:7443"
    )]
    pub address: SocketAddr,

    /// Extra host names or addresses the API server's certificate is valid for, besides
    /// 127.0.0.1, ::1 and localhost (repeatable, or comma-separated in the variable).
    #[arg(
        long = "tls-san",
        env = "COMPASS_RUNTIME_TLS_SANS",
        value_delimiter = ','
    )]
    pub tls_sans: Vec<String>,

    /// Store the workload kinds (Deployments, Pods, Services, ...) like the other built-in kinds
    /// instead of refusing them, so that an installer (the `kubeconfig` provider, `kubectl apply
    /// -k`) can be tried against this server. Nothing runs them: there are no nodes or
    /// controllers, and only their metadata is validated. Off by default.
    #[arg(long, env = "COMPASS_RUNTIME_STORE_WORKLOADS")]
    pub store_workloads: bool,

    /// A directory holding the identity to start with (`ca.crt`, `ca.key`, `ca.created`,
    /// `admin-token`), as the provisioner makes it for a runtime it runs on a cluster; taken
    /// into the data directory on first start, ignored once that has an identity.
    #[arg(long, env = "COMPASS_RUNTIME_IDENTITY_DIR")]
    pub identity_dir: Option<PathBuf>,
}

/// How to reach a Kubernetes API server.
#[derive(Debug, Args)]
pub struct ClusterArgs {
    /// Kubeconfig file to use. Without it the in-cluster configuration is used, then
    /// `~/.kube/config`.
    #[arg(long, env = "KUBECONFIG")]
    pub kubeconfig: Option<PathBuf>,
}

/// Options of `compass operator`.
#[derive(Debug, Args)]
pub struct OperatorArgs {
    /// The API server to reconcile against.
    #[command(flatten)]
    pub cluster: ClusterArgs,

    /// Address of the admin listener: health, readiness and metrics.
    #[arg(long, env = "COMPASS_ADMIN_ADDRESS", default_value = "0.0.0.0:8080")]
    pub admin_address: SocketAddr,

    /// How the controllers work and where they may send requests.
    #[command(flatten)]
    pub controllers: ControllerArgs,
}

/// Options of `compass api`.
#[derive(Debug, Args)]
pub struct ApiArgs {
    /// The API server holding the objects.
    #[command(flatten)]
    pub cluster: ClusterArgs,

    /// Address of the GraphQL APIs (HTTPS).
    #[arg(long, env = "COMPASS_API_ADDRESS", default_value = "0.0.0.0:3000")]
    pub api_address: SocketAddr,

    /// Serving certificate of the API listener, PEM (the chain, leaf first).
    #[arg(long, env = "COMPASS_TLS_CERT_FILE")]
    pub tls_cert_file: PathBuf,

    /// Private key of the serving certificate, PEM.
    #[arg(long, env = "COMPASS_TLS_KEY_FILE")]
    pub tls_key_file: PathBuf,

    /// Callers the Gateway accepts: a YAML file `users: [{name, tokenSha256, scopes, tenants}]`
    /// where `tokenSha256` is the hex SHA-256 of the bearer token and `tenants` lists external
    /// tenant ids (`'*'` for all).
    #[arg(long, env = "COMPASS_STATIC_USERS_FILE")]
    pub static_users_file: PathBuf,

    /// Scopes each operation requires (`graphql.query.<name>` and `graphql.mutation.<name>`);
    /// the built-in configuration, the original Compass's, when unset.
    #[arg(long, env = "COMPASS_SCOPES_FILE")]
    pub scopes_file: Option<PathBuf>,

    /// Address of the admin listener: health, readiness and the API's metrics.
    #[arg(long, env = "COMPASS_ADMIN_ADDRESS", default_value = "0.0.0.0:8080")]
    pub admin_address: SocketAddr,

    /// The API's settings (the audit log goes to standard output by default).
    #[command(flatten)]
    pub settings: ApiSettingsArgs,
}

#[cfg(test)]
mod tests;
