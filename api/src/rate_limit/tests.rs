//! Tests of the rate limiter: the bucket's arithmetic, Retry-After, eviction and parsing.

use super::*;

fn limits(user: Limit) -> RateLimits {
    let config = RateLimitConfig {
        user,
        ..RateLimitConfig::default()
    };
    RateLimits::new(config, Arc::default())
}

const TWO_PER_SECOND_BURST_3: Limit = Limit::Bucket {
    per_second: 2.0,
    burst: 3,
};

#[test]
fn a_bucket_allows_its_burst_then_its_rate() {
    let limits = limits(TWO_PER_SECOND_BURST_3);
    let start = Instant::now();
    let check = |after_ms: u64| {
        limits.check(
            ConsumerKind::User,
            "alice",
            start + Duration::from_millis(after_ms),
        )
    };
    for _ in 0..3 {
        assert_eq!(check(0), Ok(()));
    }
    assert_eq!(check(0), Err(Duration::from_millis(500)));
    // A quarter second later, half a token has flowed in: the wait is the other half.
    assert_eq!(check(250), Err(Duration::from_millis(250)));
    assert_eq!(check(500), Ok(()));
    assert!(check(500).is_err());
    // Others have buckets of their own.
    let bob = limits.check(ConsumerKind::User, "bob", start);
    assert_eq!(bob, Ok(()));
    // A long quiet spell refills only up to the burst.
    for _ in 0..3 {
        assert_eq!(check(60_000), Ok(()));
    }
    assert!(check(60_000).is_err());
}

#[test]
fn retry_after_is_whole_seconds_and_at_least_one() {
    assert_eq!(retry_after_seconds(Duration::from_millis(1)), 1);
    assert_eq!(retry_after_seconds(Duration::from_millis(1000)), 1);
    assert_eq!(retry_after_seconds(Duration::from_millis(1001)), 2);
}

#[test]
fn full_buckets_are_swept_and_unlimited_kinds_hold_none() {
    let limits = limits(TWO_PER_SECOND_BURST_3);
    let start = Instant::now();
    for i in 0..10 {
        limits
            .check(ConsumerKind::User, &format!("u{i}"), start)
            .unwrap();
    }
    assert_eq!(limits.len(), 10);
    // Two seconds refill every bucket; the next request after SWEEP_EVERY sweeps them.
    let later = start + SWEEP_EVERY;
    limits.check(ConsumerKind::User, "u0", later).unwrap();
    assert_eq!(limits.len(), 1, "only the bucket just used is kept");
    let off = self::limits(Limit::Off);
    off.check(ConsumerKind::User, "alice", start).unwrap();
    assert!(off.is_empty());
}

#[test]
fn at_the_cap_the_fullest_bucket_gives_way() {
    let limits = limits(TWO_PER_SECOND_BURST_3);
    let start = Instant::now();
    {
        let mut buckets = limits.buckets.lock().unwrap();
        buckets.swept = start;
        for i in 0..MAX_BUCKETS {
            let bucket = Bucket {
                tokens: if i == 7 { 2.5 } else { 0.0 },
                updated: start,
            };
            buckets
                .map
                .insert((ConsumerKind::User, format!("u{i}")), bucket);
        }
    }
    limits.check(ConsumerKind::User, "newcomer", start).unwrap();
    assert_eq!(limits.len(), MAX_BUCKETS);
    let buckets = limits.buckets.lock().unwrap();
    assert!(
        !buckets
            .map
            .contains_key(&(ConsumerKind::User, "u7".to_owned()))
    );
}

#[test]
fn limits_parse_from_the_command_line() {
    let parsed: KindLimit = "runtime=5/10".parse().unwrap();
    assert_eq!(
        parsed,
        KindLimit(
            ConsumerKind::Runtime,
            Limit::Bucket {
                per_second: 5.0,
                burst: 10
            }
        )
    );
    assert_eq!(parsed.to_string(), "runtime=5/10");
    let off: KindLimit = "integration-system=off".parse().unwrap();
    assert_eq!(off, KindLimit(ConsumerKind::IntegrationSystem, Limit::Off));
    let half: KindLimit = "user=0.5/1".parse().unwrap();
    assert_eq!(half.to_string(), "user=0.5/1");
    for bad in [
        "user",
        "robot=1/1",
        "user=0/5",
        "user=1/0",
        "user=1",
        "user=x/1",
    ] {
        assert!(bad.parse::<KindLimit>().is_err(), "{bad}");
    }
}
