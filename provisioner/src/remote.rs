//! A client of a runtime's existing cluster from a kubeconfig a user handed over. The kubeconfig
//! is data from a tenant, so it may only carry inline credentials (no programs to run, no files
//! of the management plane to read), and its server must be an address the outbound policy lets
//! calls reach: the host is resolved here, checked, and the client connects to exactly the
//! checked address, verifying the certificate for the original host name.

use std::{net::SocketAddr, time::Duration};

use compass_operator::http::guard::OutboundPolicy;
use kube::{
    Client,
    config::{KubeConfigOptions, Kubeconfig},
};
use url::{Host, Url};

use crate::provider::ProviderError;

/// How long connecting to a runtime's cluster may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one call to a runtime's cluster may wait for its answer or for sending.
const CALL_TIMEOUT: Duration = Duration::from_secs(20);
/// How long resolving the server's host name may take.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// Parses `text` as a kubeconfig and refuses what the provisioner will not use; `source` says
/// where it came from, for messages.
pub(crate) fn parse(text: &str, source: &str) -> Result<Kubeconfig, ProviderError> {
    let kubeconfig = Kubeconfig::from_yaml(text)
        .map_err(|e| invalid(source, format!("is not a kubeconfig: {e}")))?;
    check(&kubeconfig).map_err(|rule| invalid(source, rule))?;
    Ok(kubeconfig)
}

fn invalid(source: &str, rule: String) -> ProviderError {
    ProviderError::Invalid(format!("the kubeconfig {source} {rule}"))
}

/// The first field of `kubeconfig` the provisioner refuses, with the rule: credentials and CAs
/// inline only, no programs, no proxy, TLS verified.
fn check(kubeconfig: &Kubeconfig) -> Result<(), String> {
    for named in &kubeconfig.auth_infos {
        let Some(user) = &named.auth_info else {
            continue;
        };
        let field = |name: &str| format!("users[{}].user.{name}", named.name);
        if user.exec.is_some() {
            return Err(format!(
                "names a program to run ({}): only inline credentials are accepted",
                field("exec")
            ));
        }
        if user.auth_provider.is_some() {
            return Err(format!(
                "names an auth provider ({}): only inline credentials are accepted",
                field("auth-provider")
            ));
        }
        let files = [
            (
                "client-certificate",
                &user.client_certificate,
                "client-certificate-data",
            ),
            ("client-key", &user.client_key, "client-key-data"),
            ("tokenFile", &user.token_file, "token"),
        ];
        if let Some((name, _, inline)) = files.iter().find(|(_, path, _)| path.is_some()) {
            return Err(file_refused(&field(name), inline));
        }
    }
    for named in &kubeconfig.clusters {
        let Some(cluster) = &named.cluster else {
            continue;
        };
        let field = |name: &str| format!("clusters[{}].cluster.{name}", named.name);
        if cluster.certificate_authority.is_some() {
            let inline = "certificate-authority-data";
            return Err(file_refused(&field("certificate-authority"), inline));
        }
        if cluster.proxy_url.is_some() {
            return Err(format!(
                "names a proxy ({}): the cluster must be reached directly",
                field("proxy-url")
            ));
        }
        if cluster.insecure_skip_tls_verify == Some(true) {
            return Err(format!(
                "turns off certificate verification ({}): the agent's token is sent to the \
                 cluster, so its certificate must be verified (give certificate-authority-data)",
                field("insecure-skip-tls-verify")
            ));
        }
    }
    Ok(())
}

fn file_refused(field: &str, inline: &str) -> String {
    format!(
        "names a file ({field}): files of the management plane are never read, give the \
         content inline ({inline})"
    )
}

/// A client of the cluster `kubeconfig` names (its current context), connecting only where
/// `policy` permits and with bounded timeouts.
pub(crate) async fn connect(
    mut kubeconfig: Kubeconfig,
    policy: &OutboundPolicy,
    source: &str,
) -> Result<Client, ProviderError> {
    let cluster_name = current_cluster(&kubeconfig)
        .ok_or_else(|| invalid(source, "has no current context naming a cluster".into()))?;
    let Some(cluster) = kubeconfig
        .clusters
        .iter_mut()
        .find(|c| c.name == cluster_name)
        .and_then(|c| c.cluster.as_mut())
    else {
        let missing = format!("has no cluster {cluster_name:?}, which its current context names");
        return Err(invalid(source, missing));
    };
    let field = format!("clusters[{cluster_name}].cluster.server");
    let server = cluster.server.clone().unwrap_or_default();
    let mut url = Url::parse(&server)
        .map_err(|e| invalid(source, format!("has no usable {field} ({server:?}): {e}")))?;
    if url.scheme() != "https" {
        let rule = format!("must name an https server ({field} is {server:?})");
        return Err(invalid(source, rule));
    }
    let address = permitted_address(&url, policy).await?;
    // Connect to the checked address itself, so a second resolution cannot lead elsewhere; the
    // certificate is still verified for the host name the kubeconfig gave.
    if let Some(Host::Domain(name)) = url.host()
        && cluster.tls_server_name.is_none()
    {
        cluster.tls_server_name = Some(name.to_owned());
    }
    let _ = url.set_ip_host(address.ip());
    cluster.server = Some(url.to_string());
    let options = KubeConfigOptions::default();
    let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|e| invalid(source, format!("is not usable: {e}")))?;
    // The checked address is reached directly: a proxy from the environment (HTTPS_PROXY)
    // would connect elsewhere than what was checked.
    config.proxy_url = None;
    config.connect_timeout = Some(CONNECT_TIMEOUT);
    config.read_timeout = Some(CALL_TIMEOUT);
    config.write_timeout = Some(CALL_TIMEOUT);
    Client::try_from(config).map_err(|e| invalid(source, format!("is not usable: {e}")))
}

/// The cluster the current context names.
fn current_cluster(kubeconfig: &Kubeconfig) -> Option<String> {
    let current = kubeconfig.current_context.as_deref()?;
    let context = kubeconfig.contexts.iter().find(|c| c.name == current)?;
    Some(context.context.as_ref()?.cluster.clone())
}

/// The first address of `url`'s host that `policy` permits. A refusal says the same whether
/// the host does not resolve or resolves only to refused addresses, as the outbound guard does.
async fn permitted_address(
    url: &Url,
    policy: &OutboundPolicy,
) -> Result<SocketAddr, ProviderError> {
    let port = url.port_or_known_default().unwrap_or(443);
    let host = url.host_str().unwrap_or_default().to_owned();
    let refused = || {
        ProviderError::Failed(format!(
            "{host} is not an address outbound calls may reach: loopback, private, link-local \
             and other internal addresses are refused unless the operator allows them \
             (--outbound-allow), and the host must resolve to an address"
        ))
    };
    let resolved: Vec<SocketAddr> = match url.host() {
        Some(Host::Ipv4(ip)) => vec![SocketAddr::new(ip.into(), port)],
        Some(Host::Ipv6(ip)) => vec![SocketAddr::new(ip.into(), port)],
        Some(Host::Domain(name)) => {
            let lookup = tokio::net::lookup_host((name, port));
            match tokio::time::timeout(RESOLVE_TIMEOUT, lookup).await {
                Ok(Ok(addresses)) => addresses.collect(),
                _ => return Err(refused()),
            }
        }
        None => return Err(refused()),
    };
    resolved
        .into_iter()
        .find(|address| policy.permits(*address))
        .ok_or_else(refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kubeconfig(user: &str, cluster: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: c\n\
             contexts:\n- name: c\n  context: {{cluster: k, user: u}}\n\
             clusters:\n- name: k\n  cluster: {{server: 'https://example.com', {cluster}}}\n\
             users:\n- name: u\n  user: {{{user}}}\n"
        )
    }

    fn refusal(user: &str, cluster: &str) -> String {
        match parse(&kubeconfig(user, cluster), "in Secret s") {
            Err(ProviderError::Invalid(message)) => message,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn programs_providers_files_proxies_and_unverified_tls_are_refused_by_field() {
        let exec = "exec: {apiVersion: client.authentication.k8s.io/v1, command: /bin/sh}";
        assert!(refusal(exec, "").contains("users[u].user.exec"));
        let provider = "auth-provider: {name: gcp}";
        assert!(refusal(provider, "").contains("users[u].user.auth-provider"));
        let certificate = refusal("client-certificate: /etc/x.crt", "");
        assert!(certificate.contains("users[u].user.client-certificate"));
        assert!(refusal("client-key: /k", "").contains("users[u].user.client-key"));
        assert!(refusal("tokenFile: /t", "").contains("users[u].user.tokenFile"));
        let ca = refusal("token: t", "certificate-authority: /ca");
        assert!(
            ca.contains("clusters[k].cluster.certificate-authority"),
            "{ca}"
        );
        let proxy = refusal("token: t", "proxy-url: 'http://proxy:1'");
        assert!(proxy.contains("clusters[k].cluster.proxy-url"), "{proxy}");
        let insecure = refusal("token: t", "insecure-skip-tls-verify: true");
        assert!(insecure.contains("insecure-skip-tls-verify"), "{insecure}");
        assert!(
            parse(
                &kubeconfig("token: t", "certificate-authority-data: eA=="),
                ""
            )
            .is_ok()
        );
    }

    #[tokio::test]
    async fn internal_servers_are_refused_unless_allowed() {
        let policy = OutboundPolicy::default();
        for server in [
            "https://127.0.0.1:6443",
            "https://2130706433/",
            "https://[::1]/",
        ] {
            let url = Url::parse(server).unwrap();
            let refused = permitted_address(&url, &policy).await.unwrap_err();
            assert!(refused.to_string().contains("outbound calls may reach"));
        }
        let allowed = OutboundPolicy::new(vec!["127.0.0.0/8".parse().unwrap()]);
        let url = Url::parse("https://localhost:6443").unwrap();
        let address = permitted_address(&url, &allowed).await.unwrap();
        assert!(address.ip().is_loopback());
    }
}
