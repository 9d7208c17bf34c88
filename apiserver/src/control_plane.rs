//! Starting and stopping the embedded control plane: storage, credentials, the collector and the
//! listener, all bound to one data directory.

use std::{
    fs::{self, File},
    io,
    net::SocketAddr,
    path::{Path, PathBuf},
    sync::Arc,
};

use tokio::{net::TcpListener, sync::watch, task::JoinSet};
use tokio_rustls::TlsAcceptor;

use crate::{
    auth::jwt::SigningKey,
    data_dir,
    listener::{self, ListenerOptions},
    pki, rbac,
    server::{self, ServerOptions, ServerState},
    store::{Store, StoreOptions},
};

/// How clients reach the server.
#[derive(Clone, Debug)]
pub enum Transport {
    /// HTTPS with a certificate for these host names and addresses.
    Tls {
        /// Subject alternative names of the serving certificate.
        hosts: Vec<String>,
    },
    /// Plain HTTP. Only for tests and benchmarks, and only on a loopback address.
    PlainLoopback,
}

/// Configuration of the control plane.
#[derive(Clone, Debug)]
pub struct Config {
    /// Directory holding the database, the CA, the admin token, the ServiceAccount token key
    /// and the kubeconfig.
    pub data_dir: PathBuf,
    /// Address to listen on; port 0 picks a free port.
    pub address: SocketAddr,
    /// HTTPS or, for tests, plain HTTP on loopback.
    pub transport: Transport,
    /// Request handling tunables.
    pub server: ServerOptions,
    /// Storage tunables.
    pub store: StoreOptions,
    /// Connection bounds of the listener.
    pub listener: ListenerOptions,
}

impl Config {
    /// HTTPS on `address` with the data in `data_dir`, serving `127.0.0.1`, `::1` and `localhost`.
    pub fn new(data_dir: impl Into<PathBuf>, address: SocketAddr) -> Self {
        let mut hosts = vec![
            "127.0.0.1".to_owned(),
            "::1".to_owned(),
            "localhost".to_owned(),
        ];
        if !address.ip().is_unspecified() && !address.ip().is_loopback() {
            hosts.push(address.ip().to_string());
        }
        Self {
            data_dir: data_dir.into(),
            address,
            transport: Transport::Tls { hosts },
            server: ServerOptions::default(),
            store: StoreOptions::default(),
            listener: ListenerOptions::default(),
        }
    }
}

/// A running control plane.
pub struct ControlPlane {
    /// The address it listens on.
    pub address: SocketAddr,
    /// Its URL, for clients.
    pub url: String,
    /// The admin kubeconfig it wrote.
    pub kubeconfig: PathBuf,
    /// The admin bearer token.
    pub admin_token: String,
    /// The CA certificate clients trust (PEM).
    pub ca_pem: String,
    state: Arc<ServerState>,
    tls: Option<Arc<rustls::ServerConfig>>,
    router: axum::Router,
    shutdown: watch::Sender<bool>,
    tasks: JoinSet<()>,
    _lock: File,
}

impl ControlPlane {
    /// Opens the data directory, starts the collector and listens.
    pub async fn start(config: Config) -> io::Result<Self> {
        data_dir::make_private(&config.data_dir)?;
        let lock = lock_data_dir(&config.data_dir)?;
        let database = config.data_dir.join("state.db");
        drop(data_dir::create_private(&database)?);
        let store = Store::open(&database, config.store.clone()).map_err(io::Error::other)?;
        let hosts = match &config.transport {
            Transport::Tls { hosts } => hosts.clone(),
            Transport::PlainLoopback => Vec::new(),
        };
        if matches!(config.transport, Transport::PlainLoopback)
            && !config.address.ip().is_loopback()
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "plain HTTP is only allowed on a loopback address",
            ));
        }
        let credentials = pki::load_or_create(&config.data_dir, &hosts)?;
        let listener = TcpListener::bind(config.address).await?;
        let address = listener.local_addr()?;
        let scheme = if hosts.is_empty() { "http" } else { "https" };
        let host = if address.ip().is_unspecified() {
            "127.0.0.1".to_owned()
        } else {
            address.ip().to_string()
        };
        let url = if address.is_ipv6() {
            format!("{scheme}://[{host}]:{}", address.port())
        } else {
            format!("{scheme}://{host}:{}", address.port())
        };
        let kubeconfig = config.data_dir.join(pki::files::KUBECONFIG);
        pki::write_kubeconfig(
            &kubeconfig,
            &url,
            &credentials.ca_pem,
            &credentials.admin_token,
        )?;
        let token_key =
            SigningKey::load_or_create(&config.data_dir.join(pki::files::SERVICE_ACCOUNT_KEY))?;
        // Everything is in place now (the database's write-ahead log and every key included):
        // check once more that nothing was created with looser permissions.
        data_dir::make_private(&config.data_dir)?;

        let state = Arc::new(
            ServerState::new(
                Arc::new(store),
                vec![credentials.admin_token.clone()],
                config.server.clone(),
            )
            .with_token_key(token_key),
        );
        server::system_namespaces::ensure(&state).map_err(|e| io::Error::other(e.message))?;
        rbac::bootstrap::ensure(&state).map_err(|e| io::Error::other(e.message))?;
        rbac::aggregation::aggregate_all(&state);
        let (shutdown, shutdown_rx) = watch::channel(false);
        let mut tasks = JoinSet::new();
        tasks.spawn(server::gc::run(state.clone(), shutdown_rx.clone()));
        tasks.spawn(rbac::aggregation::run(state.clone(), shutdown_rx.clone()));
        let acceptor =
            (!hosts.is_empty()).then(|| TlsAcceptor::from(credentials.apiserver_tls.clone()));
        let mut stop = shutdown_rx;
        let stopped = async move {
            let _ = stop.wait_for(|stopped| *stopped).await;
        };
        let router = server::router(state.clone());
        let options = config.listener.clone();
        let served = router.clone();
        tasks.spawn(async move {
            listener::serve(listener, acceptor, served, &options, stopped).await;
        });
        Ok(Self {
            address,
            url,
            kubeconfig,
            admin_token: credentials.admin_token,
            ca_pem: credentials.ca_pem,
            tls: (!hosts.is_empty()).then(|| credentials.tls.clone()),
            state,
            router,
            shutdown,
            tasks,
            _lock: lock,
        })
    }

    /// A TLS configuration with the listener's certificate (valid for the same hosts) that asks
    /// for no client certificate, for other listeners of the same process.
    pub fn tls(&self) -> Option<std::sync::Arc<rustls::ServerConfig>> {
        self.tls.clone()
    }

    /// The shared server state, for in-process use.
    pub fn state(&self) -> &Arc<ServerState> {
        &self.state
    }

    /// The server as a service for callers in the same process. Each request passes the same
    /// authentication, authorization, admission and validation as one over the listener (the
    /// caller sends its credentials as a header: there is no client certificate), but skips TLS,
    /// HTTP's encoding and the socket, in both directions. Watches end at
    /// [`ControlPlane::shutdown`].
    pub fn in_process(&self) -> axum::Router {
        listener::ending_streams(self.router.clone(), self.shutdown.subscribe())
    }

    /// Stops listening, closes every connection and stops the collector.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        while self.tasks.join_next().await.is_some() {}
    }
}

/// Only one server may use a data directory at a time.
fn lock_data_dir(data_dir: &Path) -> io::Result<File> {
    let file = data_dir::create_private(&data_dir.join("lock"))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            format!(
                "{} is in use by another compass process",
                data_dir.display()
            ),
        )),
        Err(fs::TryLockError::Error(error)) => Err(error),
    }
}
