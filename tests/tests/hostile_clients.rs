//! Clients that misbehave on purpose, driven by `tests/js/hostile_clients.mjs`
//! against the counter example: the host must answer each with the
//! documented error or close, and keep serving other tabs.

use std::time::Duration;

use trellis_tests::{TestServer, resident_set_bytes, run_node, wait_until};

const ALLOWED_ORIGIN: &str = "https://app.example";

#[test]
fn foreign_origin_is_rejected() {
    let server = TestServer::start_with("examples/counter", |options| {
        options.allowed_origins = vec![ALLOWED_ORIGIN.to_string()];
    });

    run_node(
        "hostile_clients.mjs",
        &[&server.url(), "origin", ALLOWED_ORIGIN],
    );

    // Each of the three accepted connections opened a render session, which
    // outlives its connection for the 30 s grace period. The rejected one
    // must not have opened any.
    assert_eq!(server.app.render_session_count(), 3);
}

#[test]
fn malformed_messages_get_errors() {
    let server = TestServer::start("examples/counter");

    run_node("hostile_clients.mjs", &[&server.url(), "validation"]);
}

#[test]
fn oversized_message_closes_connection() {
    let server = TestServer::start("examples/counter");

    run_node("hostile_clients.mjs", &[&server.url(), "oversize"]);
}

#[test]
fn event_burst_keeps_order() {
    let server = TestServer::start("examples/counter");

    run_node("hostile_clients.mjs", &[&server.url(), "ordering"]);
}

#[test]
fn message_flood_spares_other_tabs() {
    let server = TestServer::start_with("examples/counter", |options| {
        options.reconnect_grace = Duration::from_secs(1);
    });
    let before = resident_set_bytes();

    run_node("hostile_clients.mjs", &[&server.url(), "flood", "20000"]);

    let after = resident_set_bytes();
    let disposed = wait_until(Duration::from_secs(30), || {
        server.app.render_session_count() == 0
    });
    let settled = resident_set_bytes();
    println!(
        "@figure flood RSS: {} MiB before, {} MiB after the flood, {} MiB once the sessions were disposed",
        before >> 20,
        after >> 20,
        settled >> 20
    );
    assert!(
        disposed,
        "{} render sessions still exist 30 s after both tabs closed, with a 1 s grace period",
        server.app.render_session_count()
    );
}
