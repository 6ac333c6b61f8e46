//! Reliability of the real server under hostile guests in live tabs, a
//! looping guest next to many busy tabs, connections that vanish without a
//! close, and many short-lived tabs. The figures print as `@figure` lines;
//! docs/reliability.md records them with the commands that reproduce them.

use std::process::Command;
use std::time::Duration;

use trellis_tests::{NodeScript, TestServer, resident_set_bytes, run_node, wait_until};

const GUESTS: &str = "tests/guests";

/// Reads a size from the environment variable `name`, for the full-size
/// runs in docs/reliability.md, else returns `default`.
fn size_from_env(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(value) => value
            .parse()
            .unwrap_or_else(|_| panic!("{name}={value:?} is not a whole number")),
        Err(_) => default,
    }
}

/// Mounts `/global-a` and `route` in one tab, makes `route` trap in its
/// click handler, and checks that only `route` failed, that the log names
/// it and the reason, and that mounting it again gets a fresh instance.
fn check_event_trap(route: &str, reason: &str) {
    let server = TestServer::start_logged(GUESTS);
    let mut script = NodeScript::spawn("hostile_guests.mjs", &[&server.url(), route]);

    script.wait_for_checkpoint("failed");
    let after_failure = server.app.live_instances();
    script.resume();
    script.wait_for_checkpoint("remounted");
    let after_remount = server.app.live_instances();
    script.resume();
    script.finish();

    assert_eq!(
        after_failure, 1,
        "live instances after {route} failed: only /global-a's should be left"
    );
    assert_eq!(
        after_remount, 2,
        "live instances after {route} was mounted again"
    );
    let log = server.log();
    let failure = log
        .lines()
        .find(|line| line.contains("route failed") && line.contains(route))
        .unwrap_or_else(|| panic!("the log has no `route failed` line for {route}:\n{log}"));
    assert!(
        failure.contains(reason),
        "the log line for {route} does not give the reason {reason:?}: {failure}"
    );
}

#[test]
fn event_panic_fails_only_its_route() {
    check_event_trap("/event-panic", "the route trapped");
}

#[test]
fn event_loop_fails_only_its_route() {
    check_event_trap("/event-loop", "CPU deadline");
}

#[test]
fn event_alloc_fails_only_its_route() {
    check_event_trap("/event-alloc", "past its limit");
}

#[test]
fn event_recursion_fails_only_its_route() {
    check_event_trap("/recurse", "the route trapped");
}

/// Measures the click-to-patch latency of 100 tabs alone and while another
/// tab's guest loops into a 1 s CPU deadline. The script asserts that the
/// loaded p50 is below 2 x the baseline p50 + 5 ms.
#[test]
fn looping_guest_spares_other_tabs_latency() {
    let tabs = size_from_env("TRELLIS_LATENCY_TABS", 100);
    let server = TestServer::start_with_limits(
        GUESTS,
        |options| {
            options.limits.cpu_ms = 1000;
            options.max_instances = Some(u32::try_from(tabs).expect("tab count fits u32") + 50);
        },
        |_| {},
    );

    run_node(
        "click_latency.mjs",
        &[&server.url(), &tabs.to_string(), "5", "2", "5"],
    );
}

/// The counts that must return to their baseline once dropped connections
/// are noticed and their render sessions disposed.
#[derive(Debug, PartialEq, Eq)]
struct Counts {
    sockets: usize,
    render_sessions: usize,
    instances: usize,
}

fn counts(server: &TestServer) -> Counts {
    Counts {
        sockets: server.app.connected_sockets(),
        render_sessions: server.app.render_session_count(),
        instances: server.app.live_instances(),
    }
}

/// The ping interval, ping timeout and grace period of the dropped
/// connection tests: a silent peer is noticed within 2 s, and its render
/// session is disposed 1 s later.
const FAST_TIMEOUT: Duration = Duration::from_secs(1);

/// Opens `tabs` mounted tabs in a Node process, then ends the process with
/// `stop` and waits for every count to return to zero.
fn check_dropped_tabs(tabs: usize, stop: impl FnOnce(&mut NodeScript)) {
    let server = TestServer::start_with_limits(
        GUESTS,
        |options| {
            options.max_instances = Some(u32::try_from(tabs).expect("tab count fits u32") + 50);
        },
        |options| {
            options.ping_interval = FAST_TIMEOUT;
            options.ping_timeout = FAST_TIMEOUT;
            options.reconnect_grace = FAST_TIMEOUT;
        },
    );
    let baseline = counts(&server);
    let mut script = NodeScript::spawn(
        "hold_tabs.mjs",
        &[&server.url(), &tabs.to_string(), "/global-a"],
    );

    script.wait_for_checkpoint("mounted");
    let mounted = counts(&server);
    let started = std::time::Instant::now();
    stop(&mut script);
    // Ping interval + ping timeout + grace is 3 s; the rest is margin for a
    // loaded machine and for disposing thousands of sessions.
    let returned = wait_until(Duration::from_secs(30), || counts(&server) == baseline);
    let elapsed = started.elapsed();
    let after = counts(&server);

    println!(
        "@figure {tabs} dropped tabs: {mounted:?} while mounted, back to {after:?} after {elapsed:.1?}"
    );
    assert_eq!(
        mounted,
        Counts {
            sockets: tabs,
            render_sessions: tabs,
            instances: tabs,
        },
        "counts with every tab mounted"
    );
    assert!(
        returned,
        "counts are {after:?} 30 s after the client vanished, expected the baseline {baseline:?}"
    );
    // Dropping the script kills a stopped process too.
    drop(script);
}

#[test]
fn killed_client_releases_everything() {
    let tabs = size_from_env("TRELLIS_DROPPED_TABS", 200);

    check_dropped_tabs(tabs, NodeScript::kill);
}

/// A stopped process keeps its TCP connections open but answers no ping, so
/// only the ping timeout can notice it.
#[test]
fn silent_client_released_after_ping_timeout() {
    let tabs = size_from_env("TRELLIS_DROPPED_TABS", 200);

    check_dropped_tabs(tabs, |script| {
        let status = Command::new("kill")
            .args(["-STOP", &script.pid().to_string()])
            .status()
            .expect("the kill command runs");
        assert!(status.success(), "kill -STOP failed with {status}");
    });
}

/// Opens and closes many tabs of a route that allocates and frees 1 MiB per
/// render, and compares the server's resident set after the warm-up with
/// the one at the end, each once every render session is disposed.
#[test]
fn tab_churn_keeps_memory_flat() {
    let tabs = size_from_env("TRELLIS_CHURN_TABS", 1000);
    let warmup = size_from_env("TRELLIS_CHURN_WARMUP", tabs / 10);
    let server = TestServer::start_with(GUESTS, |options| {
        options.reconnect_grace = Duration::from_millis(200);
    });
    let mut script = NodeScript::spawn(
        "tab_churn.mjs",
        &[&server.url(), &tabs.to_string(), &warmup.to_string(), "10"],
    );
    let disposed = || {
        wait_until(Duration::from_secs(30), || {
            server.app.render_session_count() == 0 && server.app.live_instances() == 0
        })
    };

    script.wait_for_checkpoint_within("warm", Duration::from_secs(600));
    assert!(disposed(), "render sessions left after the warm-up");
    let warm = resident_set_bytes();
    script.resume();
    // About 5 ms per tab on a debug build, with a wide margin.
    let churn_time = Duration::from_millis(u64::try_from(tabs).unwrap_or(u64::MAX) * 50);
    script.wait_for_checkpoint_within("done", churn_time.max(Duration::from_secs(30)));
    assert!(disposed(), "render sessions left at the end");
    let end = resident_set_bytes();
    script.resume();
    script.finish();

    let growth = (end as f64 - warm as f64) / warm as f64 * 100.0;
    println!(
        "@figure {tabs} tabs: RSS {:.1} MiB after {warmup} warm-up tabs, {:.1} MiB at the end ({growth:+.1}%)",
        warm as f64 / f64::from(1 << 20),
        end as f64 / f64::from(1 << 20),
    );
    assert!(
        end <= warm + warm / 10,
        "RSS grew by {growth:.1}% from the warm-up to the end, past the 10% bound"
    );
}
