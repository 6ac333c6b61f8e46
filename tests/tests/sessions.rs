//! User sessions, render sessions and render IDs through the real server,
//! driven by the official socket.io-client (`tests/js/session_*.mjs`).

use std::time::Duration;

use trellis_tests::{NodeScript, TestServer, run_node, wait_until};

const COUNTER: &str = "examples/counter";
const GUESTS: &str = "tests/guests";

/// The reconnect grace period of the tests that wait it out.
const SHORT_GRACE: Duration = Duration::from_secs(1);

/// How long the scripts wait after a disconnect before they expect
/// [`SHORT_GRACE`] to be over, with margin for a loaded machine.
const PAST_GRACE_MS: &str = "2500";

#[test]
fn claimed_session_outlives_unclaimed_ones() {
    let ttl = Duration::from_secs(3);
    let server = TestServer::start_with(COUNTER, |options| options.unclaimed_session_ttl = ttl);
    let mut script = NodeScript::spawn("session_claim.mjs", &[&server.url()]);

    script.wait_for_checkpoint("claimed");
    let before_ttl = server.app.user_session_count();
    let tabs = server.app.render_session_count();
    // The server sweeps every second, so the unclaimed sessions go within a
    // second after the TTL.
    let disposed = wait_until(ttl + Duration::from_secs(5), || {
        server.app.user_session_count() <= 1
    });
    let after_ttl = server.app.user_session_count();
    script.resume();
    script.finish();

    assert_eq!(before_ttl, 5, "user sessions right after the five GETs");
    assert_eq!(tabs, 1, "render sessions of the one connected tab");
    assert!(
        disposed,
        "the unclaimed sessions were not disposed within the TTL and 5 s"
    );
    assert_eq!(after_ttl, 1, "user sessions after the TTL");
}

#[test]
fn global_state_shared_within_tab() {
    let server = TestServer::start(GUESTS);

    run_node("session_globals.mjs", &[&server.url(), "tabs"]);
}

#[test]
fn navigation_keeps_global_state() {
    let server = TestServer::start(GUESTS);

    run_node("session_globals.mjs", &[&server.url(), "navigation"]);
}

#[test]
fn resume_within_grace_keeps_state() {
    let server = TestServer::start(COUNTER);

    run_node("session_resume.mjs", &[&server.url(), "keeps-state"]);
}

#[test]
fn resume_after_grace_gets_reload() {
    let server = TestServer::start_with(COUNTER, |options| options.reconnect_grace = SHORT_GRACE);

    run_node(
        "session_resume.mjs",
        &[&server.url(), "after-grace", PAST_GRACE_MS],
    );
}

#[test]
fn late_disconnect_keeps_resumed_session() {
    let server = TestServer::start_with(COUNTER, |options| options.reconnect_grace = SHORT_GRACE);

    run_node(
        "session_resume.mjs",
        &[&server.url(), "late-disconnect", PAST_GRACE_MS],
    );
}

#[test]
fn socket_with_valid_cookie_gets_session() {
    let server = TestServer::start(COUNTER);

    run_node("session_cookie.mjs", &[&server.url(), "valid"]);
}

#[test]
fn socket_without_cookie_gets_expired() {
    let server = TestServer::start(COUNTER);

    run_node("session_cookie.mjs", &[&server.url(), "missing"]);
}

#[test]
fn socket_with_forged_cookie_gets_expired() {
    let server = TestServer::start(COUNTER);

    run_node("session_cookie.mjs", &[&server.url(), "forged"]);
}

#[test]
fn socket_with_tampered_cookie_gets_expired() {
    let server = TestServer::start(COUNTER);

    run_node("session_cookie.mjs", &[&server.url(), "unauthenticated"]);
}

#[test]
fn socket_with_foreign_cookie_gets_expired() {
    // Each server generates its own key, so the other server's cookie is
    // well-formed with a MAC that does not verify here.
    let issuer = TestServer::start(COUNTER);
    let server = TestServer::start(COUNTER);
    let cookie = issuer
        .get("/")
        .session_cookie()
        .expect("the issuing server sets a session cookie");

    run_node("session_cookie.mjs", &[&server.url(), "given", &cookie]);
}

#[test]
fn socket_with_aged_cookie_gets_expired() {
    // Cookie ages count in whole seconds, so a cookie 2.5 s old is past a
    // 1 s maximum age whatever the rounding.
    let server = TestServer::start_with(COUNTER, |options| {
        options.session_max_age = Duration::from_secs(1);
    });

    run_node("session_cookie.mjs", &[&server.url(), "aged", "2500"]);
}

/// The line the host logs when a mount's render ID matches.
const ATTACHED_LOG: &str = "render ID matched; attached";

#[test]
fn unchanged_route_attaches_without_tree() {
    let server = TestServer::start_logged(COUNTER);

    run_node("session_render_id.mjs", &[&server.url(), "unchanged"]);

    let log = server.log();
    assert!(
        log.contains(ATTACHED_LOG),
        "the server log lacks {ATTACHED_LOG:?}:\n{log}"
    );
}

#[test]
fn changed_route_gets_full_render() {
    let server = TestServer::start_logged(GUESTS);

    run_node("session_render_id.mjs", &[&server.url(), "changing"]);

    let log = server.log();
    assert!(
        !log.contains(ATTACHED_LOG),
        "the server logged {ATTACHED_LOG:?}:\n{log}"
    );
}

#[test]
fn other_users_render_data_not_reused() {
    let server = TestServer::start(GUESTS);

    run_node("session_render_id.mjs", &[&server.url(), "other-user"]);
}
