//! Smoke runs of the load benchmarks under `benches/`: each runs briefly
//! with the test build of `trellis`, to check that it still works, not to
//! measure. The criterion benchmarks have their own smoke step in
//! `scripts/dev test` (`cargo test --workspace --bench '*'`).

mod common;

use common::repo_root;
use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Returns a port that was free a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("binding 127.0.0.1:0 succeeds")
        .port()
}

fn assert_success(name: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{name} failed with {}:\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A `trellis serve` child process, killed on drop.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_server(port: u16) -> Server {
    let child = Command::new(env!("CARGO_BIN_EXE_trellis"))
        .args([
            "serve",
            "examples/counter",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .current_dir(repo_root())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("trellis serve starts");
    let server = Server(child);
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "trellis serve did not listen on port {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    server
}

#[test]
fn http_benchmark_runs() {
    let output = Command::new("bash")
        .args(["benches/http.sh", "1"])
        .current_dir(repo_root())
        .env("SKIP_BUILD", "1")
        .env("LEPTOS", "0")
        .env("TRELLIS_BIN", env!("CARGO_BIN_EXE_trellis"))
        .env("DURATION", "1s")
        .env("CONNECTIONS", "4")
        .env("TRELLIS_PORT", free_port().to_string())
        .output()
        .expect("bash runs");

    assert_success("benches/http.sh", &output);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("trellis-cookie"), "{stdout}");
}

#[test]
fn cold_start_benchmark_runs() {
    let output = Command::new("bash")
        .args(["benches/cold_start.sh", "1"])
        .current_dir(repo_root())
        .env("TRELLIS_BIN", env!("CARGO_BIN_EXE_trellis"))
        .env("PORT", free_port().to_string())
        .output()
        .expect("bash runs");

    assert_success("benches/cold_start.sh", &output);
}

#[test]
fn live_sessions_benchmark_runs() {
    let port = free_port();
    let server = start_server(port);

    let output = Command::new("node")
        .args([
            "benches/live_sessions.mjs",
            &format!("http://127.0.0.1:{port}"),
            &server.0.id().to_string(),
            "5",
            "--paced-secs",
            "1",
            "--saturate-secs",
            "1",
        ])
        .current_dir(repo_root())
        .output()
        .expect("node runs");

    assert_success("benches/live_sessions.mjs", &output);
}
