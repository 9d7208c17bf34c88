//! The server's own view of a measurement: the API's request-duration histogram scraped from
//! `compass up`'s admin listener before and after it, and the quantiles of the difference, as
//! Prometheus's `histogram_quantile` reads them (linear within the bucket the rank falls in).
//! Beside the client's latencies they tell the server's part from the transport's and the
//! client's.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The histogram's series for one route and status code: cumulative counts by upper bound.
#[derive(Clone, Debug, Default)]
pub struct Buckets(Vec<(f64, u64)>);

/// The series of `path` answered 200, scraped from the admin listener at `admin`; empty when
/// nothing answers there (a build from before `compass up --no-controllers` served metrics,
/// measured through `COMPASS_BENCH_WRAPPER`), so that the figures go without the server's view.
pub async fn scrape(admin: SocketAddr, path: &str) -> Buckets {
    let text = metrics_text(admin).await.unwrap_or_default();
    let series = format!("\",path=\"{path}\",code=\"200\"}} ");
    let prefix = "compass_api_request_duration_seconds_bucket{le=\"";
    let buckets = text.lines().filter_map(|line| {
        let (bound, count) = line.strip_prefix(prefix)?.split_once(series.as_str())?;
        let bound = if bound == "+Inf" {
            f64::INFINITY
        } else {
            bound.parse().ok()?
        };
        Some((bound, count.trim().parse().ok()?))
    });
    Buckets(buckets.collect())
}

/// The text of `/metrics` at `admin`.
async fn metrics_text(admin: SocketAddr) -> std::io::Result<String> {
    let mut tcp = tokio::net::TcpStream::connect(admin).await?;
    let request = "GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    tcp.write_all(request.as_bytes()).await?;
    let mut text = String::new();
    tcp.read_to_string(&mut text).await?;
    Ok(text)
}

impl Buckets {
    /// The requests counted since `before` was scraped.
    pub fn since(&self, before: &Buckets) -> Buckets {
        let earlier = |bound: f64| {
            let found = before.0.iter().find(|(b, _)| *b == bound);
            found.map_or(0, |(_, count)| *count)
        };
        Buckets(
            self.0
                .iter()
                .map(|&(b, c)| (b, c.saturating_sub(earlier(b))))
                .collect(),
        )
    }

    /// The latency below which the share `q` of the requests fell, in milliseconds; `None`
    /// without requests or beyond the last finite bound.
    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        let total = self.0.last()?.1;
        let rank = q * total as f64;
        let (mut lower, mut below) = (0.0, 0);
        for &(upper, count) in &self.0 {
            if count as f64 >= rank && count > below {
                let within = (rank - below as f64) / (count - below) as f64;
                let at = (lower + (upper - lower) * within) * 1e3;
                return upper.is_finite().then_some(at);
            }
            (lower, below) = (upper, count);
        }
        None
    }
}
