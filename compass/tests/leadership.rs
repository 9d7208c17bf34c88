//! The leader Lease of the real `compass up` process: a stopped process releases it, and a killed
//! one's Lease is taken over at once by the next start on the same data directory, so neither
//! restart waits for the Lease to expire.

use crate::compass_up;

use compass_up::CompassUp;

#[test]
fn restarts_never_wait_for_the_leader_lease_to_expire() {
    let data_dir = tempfile::tempdir().unwrap();
    let first = CompassUp::start(data_dir.path(), &[]);
    assert!(first.logged("Became the leader"));
    let log = first.interrupt();
    assert!(
        log.iter().any(|l| l.contains("Released the leader Lease")),
        "{log:#?}"
    );

    // Released: the next start takes it without waiting.
    let second = CompassUp::start(data_dir.path(), &[]);
    assert!(second.logged("Became the leader"));
    assert!(
        !second.logged("Another replica leads"),
        "{:#?}",
        second.lines()
    );

    // Killed without a chance to release: the next start on the same directory knows the holder
    // was its own earlier run and takes the Lease at once.
    second.kill();
    let third = CompassUp::start(data_dir.path(), &[]);
    assert!(third.logged("Became the leader"));
    assert!(
        !third.logged("Another replica leads"),
        "{:#?}",
        third.lines()
    );
    third.interrupt();
}
