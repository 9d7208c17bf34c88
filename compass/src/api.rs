//! Serving the GraphQL APIs: the listener `compass up` runs beside the control plane, and
//! `compass api` against any Kubernetes API server. The caches fill before the listener opens, so
//! the first request already reads a complete picture.

use std::{net::SocketAddr, path::Path, process::ExitCode, sync::Arc};

use compass_api::{
    audit::{Audit, AuditSink},
    connector::authority::{Authority, DEFAULT_SECRET},
    gateway::{StaticUser, digest, parse_users},
    metrics::ApiMetrics,
    scopes::ScopesConfig,
    server::{Api, ApiConfig, router},
};
use compass_cache::Watches;
use kube::Client;
use tokio::{net::TcpListener, task::JoinHandle};
use tokio_rustls::TlsAcceptor;

use compass_operator::shutdown::{self, Shutdown};

use crate::{admin, cli::ApiArgs};

/// Where and how the API listens.
pub struct ApiListener {
    /// Address to bind; port 0 picks a free port.
    pub address: SocketAddr,
    /// TLS configuration. `None` serves plain HTTP, which is allowed on loopback only (tests).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Scopes, users and limits.
    pub config: ApiConfig,
}

/// A started API.
pub struct RunningApi {
    /// The address it listens on.
    pub address: SocketAddr,
    /// Completes when the listener and the caches have stopped.
    pub task: JoinHandle<()>,
}

/// Waits for the stores the API reads among `watches` (the process's shared stores) to fill,
/// then listens until `shutdown`; the watches stop once the API and every other holder of
/// `watches` are done.
pub async fn start(
    client: Client,
    watches: Watches,
    listener: ApiListener,
    shutdown: Shutdown,
) -> Result<RunningApi, String> {
    if listener.tls.is_none() && !listener.address.ip().is_loopback() {
        return Err(format!(
            "refusing to serve the API without TLS on {}: plain HTTP is for loopback tests only",
            listener.address
        ));
    }
    let ca_secret = listener
        .config
        .connector
        .ca_secret
        .clone()
        .unwrap_or_else(|| DEFAULT_SECRET.to_owned());
    let namespace = listener.config.system_namespace.clone();
    let authority = tokio::select! {
        loaded = Authority::load_or_create(&client, &namespace, &ca_secret) => loaded?,
        () = shutdown.clone().wait() => return Err("shut down before the Connector's CA was read".to_owned()),
    };
    // The listener asks every client for a certificate of the Connector's CA (and accepts one
    // that sends none); the Gateway decides per request what a certificate is worth.
    let tls = listener
        .tls
        .map(|tls| with_client_certificates(&tls, &authority.trusted))
        .transpose()?;
    let key_secret = listener.config.oauth.signing_key_secret.clone();
    let keys = tokio::select! {
        loaded = compass_api::oauth::load_or_create(&client, &namespace, &key_secret) => loaded?,
        () = shutdown.clone().wait() => return Err("shut down before the OAuth signing key was read".to_owned()),
    };
    let api = Api::new(client, &watches, listener.config, authority, keys)?;
    tokio::select! {
        filled = api.ready() => if !filled {
            return Err("the watches stopped before the caches filled".to_owned());
        },
        () = shutdown.clone().wait() => return Err("shut down before the caches filled".to_owned()),
    }
    let socket = TcpListener::bind(listener.address).await.map_err(|e| {
        format!(
            "binding the API listener on {} failed: {e}",
            listener.address
        )
    })?;
    let address = socket
        .local_addr()
        .map_err(|e| format!("the API listener has no address: {e}"))?;
    let acceptor = tls.map(TlsAcceptor::from);
    let task = tokio::spawn(async move {
        let options = compass_apiserver::listener::ListenerOptions::default();
        let app = router(api);
        compass_apiserver::listener::serve(socket, acceptor, app, &options, shutdown.wait()).await;
        drop(watches);
    });
    Ok(RunningApi { address, task })
}

/// The admin of `compass up`: the holder of the admin token, with every scope in every tenant.
pub fn admin_user(token: &str, scopes: &ScopesConfig) -> StaticUser {
    StaticUser {
        name: "admin".to_owned(),
        token_sha256: digest(token),
        scopes: scopes.all_scopes(),
        tenants: ["*".to_owned()].into(),
    }
}

/// Reads the static users file.
pub fn read_users(path: &Path) -> Result<Vec<StaticUser>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("reading {} failed: {e}", path.display()))?;
    parse_users(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Reads a scopes configuration file.
pub fn read_scopes(path: &Path) -> Result<ScopesConfig, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("reading {} failed: {e}", path.display()))?;
    ScopesConfig::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// A TLS configuration from a PEM certificate chain and a PEM private key.
pub fn read_tls(cert: &Path, key: &Path) -> Result<Arc<rustls::ServerConfig>, String> {
    use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(Iterator::collect::<Result<Vec<_>, _>>)
        .map_err(|e| format!("reading the certificate {} failed: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{} holds no certificate", cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| format!("reading the private key {} failed: {e}", key.display()))?;
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .map_err(|e| format!("the certificate and key do not make a TLS configuration: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// `base`'s certificate and protocols, asking clients for a certificate chaining to one of
/// `roots` without requiring one. A certificate of any other CA fails the handshake.
pub fn with_client_certificates(
    base: &rustls::ServerConfig,
    roots: &[rustls::pki_types::CertificateDer<'static>],
) -> Result<Arc<rustls::ServerConfig>, String> {
    let mut store = rustls::RootCertStore::empty();
    for root in roots {
        store
            .add(root.clone())
            .map_err(|e| format!("the Connector's CA certificate is not usable: {e}"))?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    // NB: `builder()` would panic when two crypto providers are compiled in.
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(store),
        provider.clone(),
    )
    .allow_unauthenticated()
    .build()
    .map_err(|e| format!("the client certificate verifier cannot be built: {e}"))?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_client_cert_verifier(verifier)
        .with_cert_resolver(base.cert_resolver.clone());
    config.alpn_protocols = base.alpn_protocols.clone();
    Ok(Arc::new(config))
}

/// `compass api`: the GraphQL APIs against any Kubernetes API server.
pub async fn run(args: ApiArgs) -> ExitCode {
    let prepared = async {
        let tls = read_tls(&args.tls_cert_file, &args.tls_key_file)?;
        let users = read_users(&args.static_users_file)?;
        let scopes = match &args.scopes_file {
            Some(path) => read_scopes(path)?,
            None => compass_api::scopes::ScopesConfig::default_config(),
        };
        let mut config = compass_api::server::ApiConfig {
            scopes,
            users,
            ..compass_api::server::ApiConfig::default()
        };
        args.settings.oauth.apply(&mut config)?;
        let client = crate::cluster::client(&args.cluster).await?;
        Ok::<_, String>((tls, config, client))
    };
    let api_metrics = Arc::new(ApiMetrics::default());
    let prepared = async {
        let prepared = prepared.await?;
        // In a cluster, the container's standard output is where logs are collected.
        let sink = args.settings.audit_limits.sink(AuditSink::Stdout);
        let audit = Audit::start(&sink, api_metrics.clone())
            .map_err(|e| format!("opening the audit log failed: {e}"))?;
        Ok::<_, String>((prepared, audit))
    };
    let ((tls, mut config, client), audit) = match prepared.await {
        Ok(prepared) => prepared,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    let (trigger, stop) = shutdown::channel();
    let ready = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let admin = admin::serve_api_metrics(
        args.admin_address,
        &api_metrics,
        ready.clone(),
        stop.clone(),
    );
    let admin_task = match admin.await {
        Ok(task) => task,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    config.audit = audit;
    config.rate_limits = args.settings.audit_limits.rate_limits();
    config.metrics = api_metrics;
    args.settings.trust.apply(&mut config);
    let listener = ApiListener {
        address: args.api_address,
        tls: Some(tls),
        config,
    };
    let running = tokio::select! {
        started = start(client.clone(), Watches::new(client), listener, stop) => started,
        () = shutdown::signal() => Err("interrupted before the caches filled".to_owned()),
    };
    let running = match running {
        Ok(running) => running,
        Err(error) => {
            trigger.fire();
            let _ = admin_task.await;
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    ready.store(true, std::sync::atomic::Ordering::SeqCst);
    println!(
        "compass: Director GraphQL  https://{}{}",
        running.address,
        compass_api::server::DIRECTOR_PATH
    );
    println!(
        "compass: Connector GraphQL https://{}{}",
        running.address,
        compass_api::connector::CONNECTOR_PATH
    );
    println!(
        "compass: Provisioner GraphQL https://{}{}",
        running.address,
        compass_api::provisioner::PROVISIONER_PATH
    );
    println!("compass: ready");
    shutdown::signal().await;
    println!("compass: shutting down");
    trigger.fire();
    let _ = running.task.await;
    let _ = admin_task.await;
    ExitCode::SUCCESS
}
