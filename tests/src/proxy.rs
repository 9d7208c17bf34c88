//! A TCP proxy between a client and the management plane, for the faults a client must survive:
//! the plane unreachable (the proxy stops listening and drops every connection, then listens
//! again on the same address), and answers cut short (each connection closed after a number of
//! bytes from the server). It passes TLS, client certificates included, through untouched; a
//! client that pairs through it gets the Director's URL at the proxy too, as the Connector derives
//! it from the Host header.

use std::{
    net::SocketAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpSocket, TcpStream},
    task::JoinHandle,
};

/// Forward everything: no cut.
const UNLIMITED: usize = usize::MAX;

/// A proxy on a loopback port in front of `upstream`.
pub struct FaultyProxy {
    address: SocketAddr,
    upstream: SocketAddr,
    shared: Arc<Shared>,
    listening: Mutex<Option<JoinHandle<()>>>,
}

/// What the listener and the connections share.
#[derive(Default)]
struct Shared {
    /// Bytes from the server after which a new connection is cut ([`UNLIMITED`]: never).
    cut_after: AtomicUsize,
    /// How many connections were cut short so far.
    cut: AtomicUsize,
    /// The connections being forwarded.
    connections: Mutex<Vec<JoinHandle<()>>>,
}

impl FaultyProxy {
    /// Listens on a free loopback port and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let proxy = Self {
            address: listener.local_addr().expect("an address"),
            upstream,
            shared: Arc::new(Shared {
                cut_after: AtomicUsize::new(UNLIMITED),
                ..Shared::default()
            }),
            listening: Mutex::new(None),
        };
        proxy.listen(listener);
        proxy
    }

    /// A proxy in front of the host and port of `url` (an `https://127.0.0.1:port/...` URL).
    pub async fn in_front_of(url: &str) -> Self {
        let parsed = url::Url::parse(url).expect("a URL");
        let host = parsed.host_str().expect("a host");
        let port = parsed.port_or_known_default().expect("a port");
        let upstream = format!("{host}:{port}").parse().expect("an IP address");
        Self::start(upstream).await
    }

    /// `url` with its host and port replaced by the proxy's.
    pub fn rewrite(&self, url: &str) -> String {
        let mut parsed = url::Url::parse(url).expect("a URL");
        parsed
            .set_ip_host(self.address.ip())
            .expect("an address host");
        parsed.set_port(Some(self.address.port())).expect("a port");
        parsed.to_string()
    }

    /// Stops listening (new connections are refused) and drops every open connection.
    pub fn go_down(&self) {
        if let Some(task) = self.listening.lock().expect("the lock").take() {
            task.abort();
        }
        self.drop_connections();
    }

    /// Listens again on the same address. Retries while the port is still held (by the aborted
    /// listener on its way out), failing the test after [`DEADLINE`](crate::DEADLINE).
    pub async fn come_up(&self) {
        let listener = crate::eventually("the proxy listens again", || async {
            let socket = TcpSocket::new_v4().ok()?;
            // The dropped connections leave the port in TIME_WAIT.
            socket.set_reuseaddr(true).ok()?;
            socket.bind(self.address).ok()?;
            socket.listen(128).ok()
        })
        .await;
        self.listen(listener);
    }

    /// From now on each connection is closed once `bytes` bytes came from the server; open
    /// connections are dropped, so the client's next request opens one under the rule.
    pub fn cut_after(&self, bytes: usize) {
        self.shared.cut_after.store(bytes, Ordering::SeqCst);
        self.drop_connections();
    }

    /// From now on everything is forwarded; open connections are dropped.
    pub fn forward(&self) {
        self.cut_after(UNLIMITED);
    }

    /// How many connections were cut short so far.
    pub fn cut_connections(&self) -> usize {
        self.shared.cut.load(Ordering::SeqCst)
    }

    fn drop_connections(&self) {
        for connection in self.shared.connections.lock().expect("the lock").drain(..) {
            connection.abort();
        }
    }

    fn listen(&self, listener: TcpListener) {
        let (shared, upstream) = (self.shared.clone(), self.upstream);
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let limit = shared.cut_after.load(Ordering::SeqCst);
                let connection = tokio::spawn(relay(client, upstream, limit, shared.clone()));
                let mut connections = shared.connections.lock().expect("the lock");
                connections.retain(|c| !c.is_finished());
                connections.push(connection);
            }
        });
        *self.listening.lock().expect("the lock") = Some(task);
    }
}

impl Drop for FaultyProxy {
    fn drop(&mut self) {
        self.go_down();
    }
}

/// Forwards one connection both ways until either side closes, or until `limit` bytes came
/// from the server; then closes both.
async fn relay(client: TcpStream, upstream: SocketAddr, limit: usize, shared: Arc<Shared>) {
    let Ok(server) = TcpStream::connect(upstream).await else {
        return;
    };
    let (mut client_reads, mut client_writes) = client.into_split();
    let (mut server_reads, mut server_writes) = server.into_split();
    let requests = async {
        let _ = tokio::io::copy(&mut client_reads, &mut server_writes).await;
        let _ = server_writes.shutdown().await;
        // The answers may still be coming: the connection ends with them.
        std::future::pending::<()>().await;
    };
    let answers = async {
        let mut forwarded = 0;
        let mut buffer = vec![0; 16 * 1024];
        loop {
            let read = match server_reads.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(read) => read,
            };
            let allowed = read.min(limit - forwarded);
            if client_writes.write_all(&buffer[..allowed]).await.is_err() {
                return;
            }
            forwarded += allowed;
            if forwarded == limit {
                shared.cut.fetch_add(1, Ordering::SeqCst);
                // A clean end of the stream (not a reset): the client reads every byte it got
                // and then finds the answer cut short.
                let _ = client_writes.shutdown().await;
                return;
            }
        }
    };
    tokio::select! {
        () = requests => {}
        () = answers => {}
    }
}
