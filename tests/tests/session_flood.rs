//! A flood of cookie-less GETs against the real server: the unclaimed user
//! sessions it creates stay capped, and so does the memory they cost.
//!
//! This test has its own file, so that it runs in a test process of its own
//! and the resident set size it reports is its server's alone.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use trellis_tests::{KeepAliveClient, TestServer, resident_set_bytes};

#[test]
fn get_flood_keeps_sessions_capped() {
    const REQUESTS: usize = 100_000;
    const THREADS: usize = 4;
    const MAX_UNCLAIMED: usize = 10_000;
    // 100,000 uncapped sessions measured 9 MiB, so the capped ones cost
    // about 1 MiB and this bound catches a leak of more than about 330 bytes
    // per request. The session count catches a missing cap.
    const RSS_GROWTH_BOUND: u64 = 32 << 20;
    let server = TestServer::start_with("tests/guests", |options| {
        options.max_unclaimed_sessions = MAX_UNCLAIMED;
    });
    // Warm up: the first requests allocate the instance pool slots and
    // the async runtime's buffers, which are no per-session cost.
    let mut warmup = KeepAliveClient::new(server.addr);
    for _ in 0..200 {
        assert_eq!(
            warmup.get("/params/flood").expect("warm-up GET").status,
            200
        );
    }
    drop(warmup);
    let rss_before = resident_set_bytes();
    let sampling = Arc::new(AtomicBool::new(true));
    let max_seen = Arc::new(AtomicUsize::new(0));
    let sampler = {
        let app = Arc::clone(&server.app);
        let sampling = Arc::clone(&sampling);
        let max_seen = Arc::clone(&max_seen);
        thread::spawn(move || {
            while sampling.load(Ordering::Relaxed) {
                max_seen.fetch_max(app.user_session_count(), Ordering::Relaxed);
                thread::sleep(Duration::from_millis(5));
            }
        })
    };

    let started = Instant::now();
    let clients: Vec<_> = (0..THREADS)
        .map(|_| {
            let addr = server.addr;
            thread::spawn(move || {
                let mut client = KeepAliveClient::new(addr);
                let mut failures = Vec::new();
                for _ in 0..REQUESTS / THREADS {
                    match client.get("/params/flood") {
                        Ok(response) if response.status == 200 => {}
                        Ok(response) => failures.push(format!("status {}", response.status)),
                        Err(error) => failures.push(error.to_string()),
                    }
                }
                failures
            })
        })
        .collect();
    let failures: Vec<String> = clients
        .into_iter()
        .flat_map(|client| client.join().expect("client threads do not panic"))
        .collect();
    let elapsed = started.elapsed();
    sampling.store(false, Ordering::Relaxed);
    sampler.join().expect("the sampler thread does not panic");
    let rss_after = resident_set_bytes();
    let final_count = server.app.user_session_count();

    let growth = rss_after.saturating_sub(rss_before);
    println!(
        "{REQUESTS} GETs from {THREADS} keep-alive connections in {elapsed:.1?} \
         ({:.0} requests/s); user sessions: max {} sampled, {final_count} at the end; \
         RSS {:.1} MiB -> {:.1} MiB (growth {:.1} MiB)",
        REQUESTS as f64 / elapsed.as_secs_f64(),
        max_seen.load(Ordering::Relaxed),
        rss_before as f64 / f64::from(1 << 20),
        rss_after as f64 / f64::from(1 << 20),
        growth as f64 / f64::from(1 << 20),
    );
    assert!(
        failures.is_empty(),
        "{} GETs failed, first: {:?}",
        failures.len(),
        failures.first()
    );
    assert!(
        max_seen.load(Ordering::Relaxed) <= MAX_UNCLAIMED,
        "user sessions reached {} during the flood",
        max_seen.load(Ordering::Relaxed)
    );
    assert!(
        final_count <= MAX_UNCLAIMED,
        "{final_count} user sessions after the flood"
    );
    assert!(
        growth < RSS_GROWTH_BOUND,
        "RSS grew by {growth} bytes, over the {RSS_GROWTH_BOUND}-byte bound"
    );
}
