//! The protocol driven by the official socket.io-client, and the client
//! runtime driven by headless Chromium, against the real server.

use trellis_tests::{TestServer, run_node};

#[test]
fn socketio_client_increments_counter() {
    let server = TestServer::start("examples/counter");

    run_node("socketio_counter.mjs", &[&server.url()]);
}

#[test]
fn browser_counter_hydrates_and_clicks() {
    let server = TestServer::start("examples/counter");

    run_node("browser_counter.mjs", &[&server.url()]);
}

#[test]
fn browser_todo_adds_toggles_deletes() {
    let server = TestServer::start("examples/todo");

    run_node("browser_todo.mjs", &[&server.url()]);
}

#[test]
fn browser_navigation_keeps_global_state() {
    let server = TestServer::start("examples/todo");

    run_node("browser_navigation.mjs", &[&server.url()]);
}

#[test]
fn browser_lucky_mounts_without_flash() {
    let server = TestServer::start("examples/counter");

    run_node("browser_lucky.mjs", &[&server.url()]);
}
