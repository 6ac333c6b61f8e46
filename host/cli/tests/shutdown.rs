//! `trellis serve` on SIGTERM: connected tabs get `shutdown`, and the
//! process exits with status 0 within its shutdown timeout.

mod common;

use common::repo_root;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The `--shutdown-timeout-secs` the test passes.
const SHUTDOWN_TIMEOUT_SECS: u64 = 5;

/// A fixed key, so the test writes no server key file into the example.
const SERVER_KEY: &str = "0000000000000000000000000000000000000000000000000000000000000001";

/// Kills the child on drop, so a failed test leaves no process behind.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        if self.0.try_wait().ok().flatten().is_none() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Waits for a line that contains `marker` and returns the text after it.
fn wait_for_line(lines: &mpsc::Receiver<String>, marker: &str, timeout: Duration) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = lines
            .recv_timeout(left)
            .unwrap_or_else(|_| panic!("no line containing {marker:?} within {timeout:?}"));
        if let Some(at) = line.find(marker) {
            return line[at + marker.len()..].trim().to_string();
        }
    }
}

/// Echoes the lines of `reader` to stderr on a thread and sends each to the
/// returned receiver.
fn forward_lines(
    reader: impl std::io::Read + Send + 'static,
    label: &'static str,
) -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(reader).lines().map_while(Result::ok) {
            eprintln!("[{label}] {line}");
            let _ = sender.send(line);
        }
    });
    receiver
}

#[test]
fn sigterm_notifies_clients_and_exits() {
    let root = repo_root();
    let js_dir = root.join("tests/js");
    assert!(
        js_dir.join("node_modules").is_dir(),
        "tests/js/node_modules is missing: run `npm ci` in tests/js"
    );
    let mut server = Command::new(env!("CARGO_BIN_EXE_trellis"))
        .args([
            "serve",
            "examples/counter",
            "--listen",
            "127.0.0.1:0",
            "--shutdown-timeout-secs",
            &SHUTDOWN_TIMEOUT_SECS.to_string(),
        ])
        .env("TRELLIS_SERVER_KEY", SERVER_KEY)
        .env("RUST_LOG", "info")
        .current_dir(&root)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the trellis binary runs");
    let server_log = forward_lines(server.stderr.take().expect("stderr is piped"), "trellis");
    let mut server = Killed(server);
    // The first start may build the example's guests.
    let address = wait_for_line(&server_log, "listening on ", Duration::from_secs(600));

    let mut client = Command::new("node")
        .arg(js_dir.join("shutdown_client.mjs"))
        .args([address.as_str(), "/"])
        .current_dir(&js_dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node runs");
    let client_output = forward_lines(client.stdout.take().expect("stdout is piped"), "client");
    let mut client_stdin = client.stdin.take().expect("stdin is piped");
    let mut client = Killed(client);
    wait_for_line(
        &client_output,
        "@checkpoint mounted",
        Duration::from_secs(30),
    );

    let signalled = Instant::now();
    let status = Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .expect("the kill command runs");
    assert!(status.success(), "kill -TERM failed with {status}");
    client_stdin
        .write_all(b"\n")
        .expect("the client reads its stdin");
    drop(client_stdin);

    let limit = Duration::from_secs(SHUTDOWN_TIMEOUT_SECS + 5);
    let exit = loop {
        if let Some(exit) = server.0.try_wait().expect("waiting for trellis succeeds") {
            break exit;
        }
        assert!(
            signalled.elapsed() < limit,
            "trellis still runs {limit:?} after SIGTERM, with a {SHUTDOWN_TIMEOUT_SECS} s shutdown timeout"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let exited_after = signalled.elapsed();
    let client_status = client.0.wait().expect("waiting for node succeeds");
    println!("@figure trellis exited with {exit} {exited_after:?} after SIGTERM");

    assert!(
        client_status.success(),
        "shutdown_client.mjs failed with {client_status}"
    );
    assert!(exit.success(), "trellis exited with {exit} after SIGTERM");
}
