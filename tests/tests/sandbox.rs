//! The prerender sandbox and the guest limits, through the real server: a
//! route that writes global state, loops, allocates without end, panics or
//! reaches for the file system, environment and network during a GET.

use std::thread;
use std::time::{Duration, Instant};

use trellis_runtime::{CallError, GlobalStore, Mode, Replay};
use trellis_tests::{TestServer, load_runtime_with, run_node};

const GUESTS: &str = "tests/guests";

/// The CPU deadline of the loop tests, well below the 1 s default.
const CPU_MS: u32 = 200;

/// The memory cap of the allocation tests, well below the 64 MiB default.
const MEMORY_MIB: u32 = 16;

/// The text `/mutate` shows once its render wrote the global key.
const MUTATE_WRITTEN: &str = "written during render";

#[test]
fn state_write_serves_unprerendered_shell() {
    let server = TestServer::start(GUESTS);

    let response = server.get("/mutate");

    assert_eq!(response.status, 200, "{}", response.body);
    let data = response.render_data();
    assert_eq!(data["prerendered"], false, "render data: {data}");
    assert_eq!(data["path"], "/mutate", "render data: {data}");
    assert_eq!(
        response.root_markup(),
        Some(""),
        "the root element is not empty:\n{}",
        response.body
    );
    assert!(
        response.session_cookie().is_some(),
        "the shell sets no session cookie: {:?}",
        response.headers
    );
}

#[test]
fn state_write_route_mounts_over_socket() {
    let server = TestServer::start(GUESTS);

    run_node(
        "mount_shows_text.mjs",
        &[&server.url(), "/mutate", "value", MUTATE_WRITTEN],
    );
}

#[test]
fn loop_fails_at_cpu_deadline() {
    let server =
        TestServer::start_with_limits(GUESTS, |options| options.limits.cpu_ms = CPU_MS, |_| {});
    let addr = server.addr;

    let started = Instant::now();
    let looping = thread::spawn(move || {
        let response = trellis_tests::http_request(addr, "GET", "/loop", &[]);
        (response, Instant::now())
    });
    thread::sleep(Duration::from_millis(50));
    let other = server.get("/params/meanwhile");
    let other_done = Instant::now();
    let (response, loop_done) = looping
        .join()
        .expect("the /loop request thread does not panic");

    let elapsed = loop_done - started;
    println!(
        "GET /loop returned {} after {elapsed:?} (CPU deadline {CPU_MS} ms)",
        response.status
    );
    assert_eq!(response.status, 500, "{}", response.body);
    assert!(
        elapsed >= Duration::from_millis(u64::from(CPU_MS) * 3 / 4),
        "GET /loop returned after {elapsed:?}, before the {CPU_MS} ms deadline"
    );
    // NOTE: five times the deadline leaves room for a loaded machine; the
    // 1 s default deadline would exceed it.
    assert!(
        elapsed < Duration::from_millis(u64::from(CPU_MS) * 5),
        "GET /loop took {elapsed:?}, far past the {CPU_MS} ms deadline"
    );
    assert_eq!(other.status, 200, "{}", other.body);
    assert!(
        other_done < loop_done,
        "the concurrent GET finished only after the looping one"
    );
}

#[test]
fn alloc_render_hits_memory_cap() {
    let (_config, runtime) =
        load_runtime_with(GUESTS, |options| options.limits.memory_mib = MEMORY_MIB);
    let resolved = runtime.resolve("/alloc").expect("/alloc is a route");
    let async_runtime = tokio::runtime::Runtime::new().expect("tokio runtime starts");

    let result = async_runtime.block_on(async {
        let mut instance = runtime
            .instantiate(
                resolved.route,
                resolved.request,
                Mode::Prerender,
                GlobalStore::new(),
                Replay::fresh(),
            )
            .await?;
        instance.render().await
    });

    let Err(error) = result else {
        panic!("the render of /alloc succeeded");
    };
    let CallError::Memory(exceeded) = error else {
        panic!("expected CallError::Memory, got {error:?}");
    };
    assert_eq!(exceeded.limit, (MEMORY_MIB as usize) << 20);
}

#[test]
fn alloc_page_fails_then_server_serves() {
    let server = TestServer::start_with_limits(
        GUESTS,
        |options| options.limits.memory_mib = MEMORY_MIB,
        |_| {},
    );

    let failed = server.get("/alloc");
    let next = server.get("/params/after-alloc");

    assert_eq!(failed.status, 500, "{}", failed.body);
    assert!(
        failed.body.contains("This page failed to render"),
        "{}",
        failed.body
    );
    assert_eq!(next.status, 200, "{}", next.body);
    assert_eq!(next.text_of("span", "param"), Some("after-alloc"));
}

#[test]
fn panic_page_fails_then_server_serves() {
    let server = TestServer::start(GUESTS);

    let failed = server.get("/panic");
    let again = server.get("/panic");
    let next = server.get("/params/after-panic");

    assert_eq!(failed.status, 500, "{}", failed.body);
    assert_eq!(again.status, 500, "{}", again.body);
    assert_eq!(next.status, 200, "{}", next.body);
    assert_eq!(next.text_of("span", "param"), Some("after-panic"));
}

#[test]
fn fs_env_network_are_unreachable() {
    let server = TestServer::start(GUESTS);

    let response = server.get("/fs");

    assert_eq!(response.status, 200, "{}", response.body);
    let fs = response.text_of("p", "fs").expect("the page has #fs");
    let env = response.text_of("p", "env").expect("the page has #env");
    let net = response.text_of("p", "net").expect("the page has #net");
    println!("#fs: {fs}\n#env: {env}\n#net: {net}");
    assert!(fs.starts_with("error"), "the guest listed / : {fs}");
    assert_eq!(
        env, "ok: 0 variables: ",
        "the guest saw environment variables"
    );
    assert!(
        net.starts_with("error"),
        "the guest opened a TCP connection: {net}"
    );
}
