//! Which addresses outbound calls may reach. Spec downloads, webhooks and token requests go to
//! URLs that tenants choose, so without a guard a tenant could make the operator read its own
//! admin port, the API server or a cloud metadata service and learn the answer. Every connection
//! goes through [`GuardedConnector`], which resolves the host itself, keeps only the addresses the
//! [`OutboundPolicy`] permits and connects to exactly those, so neither an IP literal, a numeric
//! host such as `2130706433`, a DNS name pointing inward nor a later change of its DNS answer
//! (rebinding) gets through. Redirects are followed hop by hop, each through the same connector.

use std::{
    fmt,
    future::Future,
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    pin::Pin,
    str::FromStr,
    sync::Arc,
    task::{Context, Poll},
};

use http::Uri;
use hyper_util::{client::legacy::connect::HttpConnector, rt::TokioIo};
use ipnet::IpNet;
use tokio::net::TcpStream;

/// One entry of the operator's allow-list: a network, optionally limited to one port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowedDestination {
    /// The addresses allowed.
    pub network: IpNet,
    /// The one port allowed, or every port.
    pub port: Option<u16>,
}

impl FromStr for AllowedDestination {
    type Err = String;

    /// Parses `10.0.0.0/8`, `127.0.0.1`, `127.0.0.1:18090`, `::1`, `[::1]:8443` or `fd00::/8`.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        let invalid = || {
            format!(
                "{text:?} is not an allowed destination: write an address, a network in CIDR \
                 notation, or an address with a port (127.0.0.1:18090, [::1]:8443)"
            )
        };
        if let Ok(socket) = text.parse::<SocketAddr>() {
            return Ok(Self {
                network: IpNet::from(canonical(socket.ip())),
                port: Some(socket.port()),
            });
        }
        if let Ok(ip) = text.parse::<IpAddr>() {
            return Ok(Self {
                network: IpNet::from(canonical(ip)),
                port: None,
            });
        }
        let network = text.parse::<IpNet>().map_err(|_| invalid())?;
        Ok(Self {
            network: network.trunc(),
            port: None,
        })
    }
}

impl fmt::Display for AllowedDestination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.port, self.network) {
            (Some(port), IpNet::V6(net)) => write!(f, "[{}]:{port}", net.addr()),
            (Some(port), net) => write!(f, "{}:{port}", net.addr()),
            (None, net) => write!(f, "{net}"),
        }
    }
}

/// Which destinations outbound calls may reach: every public address, plus what the operator
/// allowed explicitly.
#[derive(Clone, Debug, Default)]
pub struct OutboundPolicy {
    allowed: Arc<Vec<AllowedDestination>>,
}

impl OutboundPolicy {
    /// Public addresses, and these destinations besides.
    pub fn new(allowed: Vec<AllowedDestination>) -> Self {
        Self {
            allowed: Arc::new(allowed),
        }
    }

    /// Whether a connection to `destination` is allowed.
    pub fn permits(&self, destination: SocketAddr) -> bool {
        let ip = canonical(destination.ip());
        if !internal(ip) {
            return true;
        }
        self.allowed.iter().any(|allowed| {
            allowed.network.contains(&ip) && allowed.port.is_none_or(|p| p == destination.port())
        })
    }
}

/// An address as it will be used: IPv4 addresses written as IPv6 (`::ffff:127.0.0.1`) are the
/// IPv4 address they carry.
fn canonical(ip: IpAddr) -> IpAddr {
    ip.to_canonical()
}

/// Networks that are not on the public internet, beyond what `std` classifies: shared address
/// space (carrier-grade NAT), benchmarking, IETF protocol assignments, "this network", reserved;
/// IPv6 translation and tunnelling prefixes that embed an IPv4 address, discard and documentation.
const INTERNAL_NETWORKS: [&str; 13] = [
    "0.0.0.0/8",
    "100.64.0.0/10",
    "192.0.0.0/24",
    "198.18.0.0/15",
    "240.0.0.0/4",
    "::/96",
    "64:ff9b::/96",
    "64:ff9b:1::/48",
    "100::/64",
    "2001::/32",
    "2001:db8::/32",
    "2002::/16",
    "fec0::/10",
];

/// Whether `ip` is loopback, private, link-local, unspecified, multicast or otherwise not a
/// public internet address.
fn internal(ip: IpAddr) -> bool {
    let special = match ip {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => internal_v6(v6),
    };
    special
        || INTERNAL_NETWORKS
            .iter()
            .filter_map(|n| n.parse::<IpNet>().ok())
            .any(|net| net.contains(&ip))
}

fn internal_v4(ip: Ipv4Addr) -> bool {
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
}

fn internal_v6(ip: Ipv6Addr) -> bool {
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || ip.is_unicast_link_local()
        || ip.is_unique_local()
}

/// A refused destination. The message is the same whether the host does not resolve or resolves
/// only to refused addresses, and nothing is ever connected to, so a refusal tells the caller
/// nothing about what listens inside.
#[derive(Debug, thiserror::Error)]
#[error(
    "{host} is not an address outbound calls may reach: loopback, private, link-local and other \
     internal addresses are refused unless the operator allows them (--outbound-allow), and the \
     host must resolve to an address"
)]
pub struct Refused {
    host: String,
}

/// The TCP connector under the HTTPS connector: resolves, filters by the policy, connects.
#[derive(Clone)]
pub struct GuardedConnector {
    policy: OutboundPolicy,
    tcp: HttpConnector,
}

impl GuardedConnector {
    /// Connects only where `policy` allows.
    pub fn new(policy: OutboundPolicy) -> Self {
        let mut tcp = HttpConnector::new();
        tcp.set_nodelay(true);
        Self { policy, tcp }
    }
}

/// The boxed error connectors return.
type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl tower_service::Service<Uri> for GuardedConnector {
    type Response = TokioIo<TcpStream>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let policy = self.policy.clone();
        let mut tcp = self.tcp.clone();
        Box::pin(async move {
            let host = uri
                .host()
                .ok_or_else(|| format!("the URL {uri} has no host"))?;
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let port = uri.port_u16().unwrap_or(match uri.scheme_str() {
                Some("https") => 443,
                _ => 80,
            });
            let refused = || Refused {
                host: host.to_owned(),
            };
            let resolved: Vec<SocketAddr> = match host.parse::<IpAddr>() {
                Ok(ip) => vec![SocketAddr::new(ip, port)],
                Err(_) => tokio::net::lookup_host((host, port))
                    .await
                    .map_err(|_| refused())?
                    .collect(),
            };
            let permitted = resolved.into_iter().filter(|a| policy.permits(*a));
            let mut last_error: Option<BoxError> = None;
            for address in permitted {
                // The TCP connector gets the checked address as a literal, so it connects to
                // exactly that; TLS above still verifies the certificate for the URL's host.
                let literal = Uri::try_from(format!("http://{address}"))?;
                match tower_service::Service::call(&mut tcp, literal).await {
                    Ok(stream) => return Ok(stream),
                    Err(error) => last_error = Some(error.into()),
                }
            }
            Err(last_error.unwrap_or_else(|| Box::new(refused())))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn permitted(policy: &OutboundPolicy, address: &str) -> bool {
        policy.permits(address.parse().unwrap())
    }

    #[test]
    fn internal_addresses_are_refused_in_every_form() {
        let policy = OutboundPolicy::default();
        for address in [
            "127.0.0.1:8080",
            "127.1.2.3:80",
            "0.0.0.0:80",
            "0.1.2.3:80",
            "10.0.0.1:80",
            "172.16.5.4:80",
            "192.168.1.1:80",
            "169.254.169.254:80",
            "100.64.0.1:80",
            "224.0.0.1:80",
            "255.255.255.255:80",
            "198.18.0.1:80",
            "240.0.0.1:80",
            "[::1]:80",
            "[::]:80",
            "[::ffff:127.0.0.1]:80",
            "[::ffff:169.254.169.254]:80",
            "[::127.0.0.1]:80",
            "[fe80::1]:80",
            "[fc00::1]:80",
            "[fd12:3456::1]:80",
            "[ff02::1]:80",
            "[64:ff9b::7f00:1]:80",
            "[2002:7f00:1::1]:80",
            "[fec0::1]:80",
        ] {
            assert!(!permitted(&policy, address), "{address} must be refused");
        }
    }

    #[test]
    fn public_addresses_are_permitted() {
        let policy = OutboundPolicy::default();
        for address in [
            "93.184.216.34:443",
            "[2606:2800:220:1::1]:443",
            "8.8.8.8:53",
        ] {
            assert!(permitted(&policy, address), "{address} must be permitted");
        }
    }

    #[test]
    fn the_allow_list_opens_exactly_what_it_names() {
        let policy = OutboundPolicy::new(vec![
            "127.0.0.1:18090".parse().unwrap(),
            "10.1.0.0/16".parse().unwrap(),
            "[::1]:9000".parse().unwrap(),
        ]);
        assert!(permitted(&policy, "127.0.0.1:18090"));
        assert!(permitted(&policy, "[::ffff:127.0.0.1]:18090"));
        assert!(!permitted(&policy, "127.0.0.1:8080"));
        assert!(permitted(&policy, "10.1.200.3:443"));
        assert!(!permitted(&policy, "10.2.0.1:443"));
        assert!(permitted(&policy, "[::1]:9000"));
        assert!(!permitted(&policy, "[::1]:9001"));
    }

    #[test]
    fn allow_list_entries_are_parsed_or_refused_with_the_forms_allowed() {
        let entry: AllowedDestination = "10.1.2.3/8".parse().unwrap();
        assert_eq!(entry.to_string(), "10.0.0.0/8");
        assert_eq!(
            "[::1]:8443"
                .parse::<AllowedDestination>()
                .unwrap()
                .to_string(),
            "[::1]:8443"
        );
        let error = "localhost:80".parse::<AllowedDestination>().unwrap_err();
        assert!(error.contains("CIDR"), "{error}");
    }

    #[tokio::test]
    async fn the_connector_refuses_before_connecting_and_says_nothing_of_the_target() {
        use tower_service::Service;
        let listening = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let open = listening.local_addr().unwrap().port();
        let mut connector = GuardedConnector::new(OutboundPolicy::default());
        let mut messages = Vec::new();
        for url in [
            format!("http://127.0.0.1:{open}/"),
            "http://127.0.0.1:1/".to_owned(),
            format!("http://localhost:{open}/"),
            format!("http://2130706433:{open}/"),
            format!("http://[::ffff:127.0.0.1]:{open}/"),
            "http://does-not-exist.invalid/".to_owned(),
        ] {
            let error = connector.call(url.parse().unwrap()).await.unwrap_err();
            let message = error.to_string();
            assert!(
                message.contains("is not an address outbound calls may reach"),
                "{message}"
            );
            messages.push(message.split_once(' ').unwrap().1.to_owned());
        }
        messages.dedup();
        assert_eq!(
            messages.len(),
            1,
            "a refusal must not depend on what listens"
        );
        let mut allowed = GuardedConnector::new(OutboundPolicy::new(vec![
            format!("127.0.0.1:{open}").parse().unwrap(),
        ]));
        assert!(
            allowed
                .call(format!("http://localhost:{open}/").parse().unwrap())
                .await
                .is_ok()
        );
    }
}
