//! Test support for the Trellis end-to-end tests: builds an app's guests,
//! starts the real server on 127.0.0.1 with an OS-assigned port, speaks
//! plain HTTP to it, and runs the Node.js test clients in `tests/js`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use trellis_app::AppConfig;
use trellis_build::BuildOptions;
use trellis_runtime::{RouteSpec, Runtime, RuntimeOptions};
use trellis_server::{App, ServerOptions};

/// Returns the repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate lives in the repository")
        .to_path_buf()
}

/// Loads an app (a directory relative to the repository root) with its
/// guests built, compiling them first if they are missing or stale.
///
/// Each app is built at most once per test process.
pub fn load_runtime(app_dir: &str) -> (AppConfig, Runtime) {
    load_runtime_with(app_dir, |_| {})
}

/// As [`load_runtime`], letting `adjust` change the runtime options, such
/// as the limits.
pub fn load_runtime_with(
    app_dir: &str,
    adjust: impl FnOnce(&mut RuntimeOptions),
) -> (AppConfig, Runtime) {
    let config = AppConfig::load(&repo_root().join(app_dir)).expect("the app's trellis.toml loads");
    let routes = built_routes(&config);
    let mut options = RuntimeOptions {
        limits: config.limits,
        max_instances: Some(200),
        cache_dir: Some(trellis_runtime::cache_dir(&config.dir.join(".trellis"))),
    };
    adjust(&mut options);
    let runtime = Runtime::load(routes, options).expect("the app's components load");
    (config, runtime)
}

fn built_routes(config: &AppConfig) -> Vec<RouteSpec> {
    static BUILT: OnceLock<Mutex<Vec<PathBuf>>> = OnceLock::new();
    let built = BUILT.get_or_init(|| Mutex::new(Vec::new()));
    let mut built = built
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);

    let options = BuildOptions::for_app(config);
    let routes = if built.contains(&config.dir) {
        trellis_build::resolve_components(config, &options)
    } else {
        let routes = trellis_build::build_app(config, &options);
        built.push(config.dir.clone());
        routes
    }
    .unwrap_or_else(|error| {
        panic!(
            "failed to build the guests of {}: {error}",
            config.dir.display()
        )
    });
    routes
        .into_iter()
        .map(|route| RouteSpec {
            pattern: route.pattern,
            component: route.component,
        })
        .collect()
}

/// A Trellis server running on 127.0.0.1 for one test, stopped on drop.
pub struct TestServer {
    /// The server's address.
    pub addr: SocketAddr,
    /// The served app.
    pub app: Arc<App>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl TestServer {
    /// Builds and starts the app at `app_dir` (relative to the repository).
    pub fn start(app_dir: &str) -> Self {
        let (config, runtime) = load_runtime(app_dir);
        Self::start_app(App::new(runtime, config.title, ServerOptions::default()))
    }

    /// Starts a server for an app that is already loaded.
    pub fn start_app(app: Arc<App>) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("tokio runtime starts");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("binding 127.0.0.1:0 succeeds");
        let addr = listener.local_addr().expect("listener has an address");
        let served = Arc::clone(&app);
        runtime.spawn(async move {
            trellis_server::serve(served, listener, std::future::pending())
                .await
                .expect("server runs");
        });
        Self {
            addr,
            app,
            runtime: Some(runtime),
        }
    }

    /// Returns the server's base URL, such as `http://127.0.0.1:41234`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Runs a future on the server's async runtime.
    pub fn block_on<F: std::future::Future>(&self, future: F) -> F::Output {
        self.runtime
            .as_ref()
            .expect("runtime is running")
            .block_on(future)
    }

    /// Sends a GET request and returns the response.
    pub fn get(&self, path: &str) -> HttpResponse {
        self.request("GET", path, &[])
    }

    /// Sends a request with extra header lines and returns the response.
    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> HttpResponse {
        http_request(self.addr, method, path, headers)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_timeout(Duration::from_secs(1));
        }
    }
}

/// An HTTP response read by [`http_request`].
#[derive(Debug)]
pub struct HttpResponse {
    /// The status code.
    pub status: u16,
    /// Header names (lowercase) and values, in order.
    pub headers: Vec<(String, String)>,
    /// The body as text.
    pub body: String,
}

impl HttpResponse {
    /// Returns the first header named `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Sends one HTTP/1.1 request with `Connection: close` and reads the whole
/// response. A test helper only: it expects a body without chunked encoding
/// or reads it raw.
pub fn http_request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> HttpResponse {
    let mut stream = TcpStream::connect(addr).expect("connect to the test server");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("set timeout");
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).expect("send request");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read response");

    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("malformed status line {status_line:?}"));
    let headers = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect::<Vec<_>>();
    let chunked = headers
        .iter()
        .any(|(name, value)| name == "transfer-encoding" && value.contains("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    HttpResponse {
        status,
        headers,
        body,
    }
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let size = usize::from_str_radix(size.trim(), 16).unwrap_or(0);
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// Runs `node tests/js/<script> <args>` and panics with its output when it
/// fails.
///
/// # Panics
///
/// Panics when Node.js or the npm packages are missing (run `scripts/dev
/// test`, which installs them) or when the script exits with an error.
pub fn run_node(script: &str, args: &[&str]) {
    let js_dir = repo_root().join("tests/js");
    assert!(
        js_dir.join("node_modules").is_dir(),
        "tests/js/node_modules is missing: run `npm ci` in tests/js, or `scripts/dev test`, which does it"
    );
    let output = Command::new("node")
        .arg(js_dir.join(script))
        .args(args)
        .current_dir(&js_dir)
        .output()
        .unwrap_or_else(|error| panic!("failed to run node (is Node.js 20 installed?): {error}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    eprintln!("{stderr}");
    assert!(
        output.status.success(),
        "{script} failed with {}:\n{stdout}\n{stderr}",
        output.status
    );
}
