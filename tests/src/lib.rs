//! Test support for the Trellis end-to-end tests: builds an app's guests,
//! starts the real server on 127.0.0.1 with an OS-assigned port, speaks
//! plain HTTP to it, and runs the Node.js test clients in `tests/js`.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

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
    log: Option<LogCapture>,
}

impl TestServer {
    /// Builds and starts the app at `app_dir` (relative to the repository).
    pub fn start(app_dir: &str) -> Self {
        Self::start_with(app_dir, |_| {})
    }

    /// As [`TestServer::start`], letting `adjust` change the server options,
    /// such as the session timeouts.
    pub fn start_with(app_dir: &str, adjust: impl FnOnce(&mut ServerOptions)) -> Self {
        Self::start_with_limits(app_dir, |_| {}, adjust)
    }

    /// As [`TestServer::start_with`], also letting `adjust_runtime` change
    /// the runtime options, such as the memory cap and CPU deadline.
    pub fn start_with_limits(
        app_dir: &str,
        adjust_runtime: impl FnOnce(&mut RuntimeOptions),
        adjust: impl FnOnce(&mut ServerOptions),
    ) -> Self {
        let (config, runtime) = load_runtime_with(app_dir, adjust_runtime);
        let mut options = ServerOptions::default();
        adjust(&mut options);
        Self::start_app(App::new(runtime, config.title, options))
    }

    /// As [`TestServer::start`], recording the server's log lines at info
    /// level and above, which [`TestServer::log`] returns.
    pub fn start_logged(app_dir: &str) -> Self {
        let (config, runtime) = load_runtime(app_dir);
        let app = App::new(runtime, config.title, ServerOptions::default());
        Self::start_app_with_log(app, Some(LogCapture::default()))
    }

    /// Starts a server for an app that is already loaded.
    pub fn start_app(app: Arc<App>) -> Self {
        Self::start_app_with_log(app, None)
    }

    fn start_app_with_log(app: Arc<App>, log: Option<LogCapture>) -> Self {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(2).enable_all();
        if let Some(log) = &log {
            let dispatch = log.dispatch();
            // The server runs only on this runtime's threads, so a default
            // subscriber on each of them sees all of its log lines, and none
            // of the other tests' servers in the same process.
            builder.on_thread_start(move || {
                let guard = tracing::dispatcher::set_default(&dispatch);
                // The default lasts as long as the thread does.
                std::mem::forget(guard);
            });
        }
        let runtime = builder.build().expect("tokio runtime starts");
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
            log,
        }
    }

    /// Returns the log lines recorded so far, without ANSI colors.
    ///
    /// # Panics
    ///
    /// Panics unless the server was started with [`TestServer::start_logged`].
    pub fn log(&self) -> String {
        self.log
            .as_ref()
            .expect("the server records its log only when started with start_logged")
            .text()
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

/// The log lines of one test server, at info level and above.
#[derive(Clone, Default)]
struct LogCapture(Arc<Mutex<Vec<u8>>>);

impl LogCapture {
    fn dispatch(&self) -> tracing::Dispatch {
        let sink = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || sink.clone())
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .finish();
        tracing::Dispatch::new(subscriber)
    }

    fn text(&self) -> String {
        let bytes = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

impl Write for LogCapture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
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

    /// Returns the `name=value` pair of the session cookie that the response
    /// sets, ready for a `Cookie` header, or `None` when it sets none.
    pub fn session_cookie(&self) -> Option<String> {
        let prefix = format!("{}=", trellis_server::SESSION_COOKIE);
        self.headers
            .iter()
            .filter(|(name, _)| name == "set-cookie")
            .filter_map(|(_, value)| value.split(';').next())
            .find(|pair| pair.starts_with(&prefix))
            .map(str::to_string)
    }

    /// Parses the render data that a route page embeds in its
    /// `#trellis-data` script element.
    ///
    /// # Panics
    ///
    /// Panics when the body has no such element or its content is not JSON.
    pub fn render_data(&self) -> serde_json::Value {
        let json = element_content(
            &self.body,
            "<script type=\"application/json\" id=\"trellis-data\">",
        )
        .unwrap_or_else(|| panic!("the page has no #trellis-data script:\n{}", self.body));
        serde_json::from_str(json)
            .unwrap_or_else(|error| panic!("#trellis-data is not JSON ({error}): {json}"))
    }

    /// Returns the markup inside the page's `#trellis-root` element, or
    /// `None` when the body has none.
    pub fn root_markup(&self) -> Option<&str> {
        let start = self.body.find("<div id=\"trellis-root\"")?;
        let open_end = start + self.body[start..].find('>')? + 1;
        // The root is the last element of the body, so its end tag is the
        // last `</div>` of the document.
        let close = self.body.rfind("</div>")?;
        self.body.get(open_end..close)
    }

    /// Returns the text of the element whose start tag is exactly
    /// `<tag id="id">` and which contains only text, or `None` when the body
    /// has no such element.
    pub fn text_of(&self, tag: &str, id: &str) -> Option<&str> {
        element_content(&self.body, &format!("<{tag} id=\"{id}\">"))
    }
}

/// Returns what follows `start_tag` up to the next `<`, which is the whole
/// content of an element that contains only text.
fn element_content<'a>(html: &'a str, start_tag: &str) -> Option<&'a str> {
    let start = html.find(start_tag)? + start_tag.len();
    let end = start + html[start..].find('<')?;
    Some(&html[start..end])
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

/// An HTTP/1.1 client that sends its requests over one kept-alive
/// connection, for request floods. It reconnects when the server closes the
/// connection.
pub struct KeepAliveClient {
    addr: SocketAddr,
    reader: Option<BufReader<TcpStream>>,
}

impl KeepAliveClient {
    /// Creates a client for the server at `addr`. It connects on the first
    /// request.
    pub fn new(addr: SocketAddr) -> Self {
        Self { addr, reader: None }
    }

    /// Sends a GET without cookies and returns the response.
    ///
    /// # Errors
    ///
    /// Returns the I/O error of a failed connect, send or read, or an
    /// `InvalidData` error for a response it cannot parse (it reads only
    /// bodies with `Content-Length`).
    pub fn get(&mut self, path: &str) -> std::io::Result<HttpResponse> {
        let mut reader = match self.reader.take() {
            Some(reader) => reader,
            None => {
                let stream = TcpStream::connect(self.addr)?;
                stream.set_read_timeout(Some(Duration::from_secs(30)))?;
                stream.set_nodelay(true)?;
                BufReader::new(stream)
            }
        };
        let request = format!("GET {path} HTTP/1.1\r\nHost: {}\r\n\r\n", self.addr);
        reader.get_mut().write_all(request.as_bytes())?;
        let response = read_response(&mut reader)?;
        let closes = response
            .header("connection")
            .is_some_and(|value| value.eq_ignore_ascii_case("close"));
        if !closes {
            self.reader = Some(reader);
        }
        Ok(response)
    }
}

fn invalid_data(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message)
}

/// Reads one response whose body has a `Content-Length` (or no body).
fn read_response(reader: &mut BufReader<TcpStream>) -> std::io::Result<HttpResponse> {
    let mut status_line = String::new();
    if reader.read_line(&mut status_line)? == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| invalid_data(format!("malformed status line {status_line:?}")))?;

    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line)?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.push((name.trim().to_ascii_lowercase(), value.trim().to_string()));
        }
    }

    let length = headers
        .iter()
        .find(|(name, _)| name == "content-length")
        .map(|(_, value)| value.parse::<usize>())
        .transpose()
        .map_err(|error| invalid_data(format!("invalid content-length: {error}")))?
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    Ok(HttpResponse {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

/// Returns the resident set size of this process (`VmRSS` in
/// `/proc/self/status`) in bytes. Linux only.
///
/// # Panics
///
/// Panics when `/proc/self/status` is missing or has no `VmRSS` line.
pub fn resident_set_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status")
        .expect("/proc/self/status is readable (the tests need Linux)");
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("/proc/self/status has a VmRSS line in kB");
    kib * 1024
}

/// Polls `condition` every 50 ms until it is true or `timeout` has passed,
/// and returns whether it became true.
pub fn wait_until(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A Node.js test client that runs alongside the test and stops at
/// checkpoints: it prints `@checkpoint <name>` and waits for a line on its
/// stdin (see `checkpoint` in `tests/js/session_client.mjs`). Between the
/// two the test can inspect the server.
pub struct NodeScript {
    script: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    stdout: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
    stderr: Arc<Mutex<String>>,
}

impl NodeScript {
    /// Starts `node tests/js/<script> <args>`.
    ///
    /// # Panics
    ///
    /// Panics when Node.js or the npm packages are missing.
    pub fn spawn(script: &str, args: &[&str]) -> Self {
        let js_dir = repo_root().join("tests/js");
        assert!(
            js_dir.join("node_modules").is_dir(),
            "tests/js/node_modules is missing: run `npm ci` in tests/js, or `scripts/dev test`, which does it"
        );
        let mut child = Command::new("node")
            .arg(js_dir.join(script))
            .args(args)
            .current_dir(&js_dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|error| {
                panic!("failed to run node (is Node.js 20 installed?): {error}")
            });

        let (sender, lines) = mpsc::channel();
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let child_stdout = child.stdout.take().expect("stdout is piped");
        let child_stderr = child.stderr.take().expect("stderr is piped");
        let stdout_copy = Arc::clone(&stdout);
        let stderr_copy = Arc::clone(&stderr);
        let readers = vec![
            std::thread::spawn(move || {
                for line in BufReader::new(child_stdout).lines().map_while(Result::ok) {
                    println!("{line}");
                    push_line(&stdout_copy, &line);
                    // The receiver is gone once the test stopped waiting.
                    let _ = sender.send(line);
                }
            }),
            std::thread::spawn(move || {
                for line in BufReader::new(child_stderr).lines().map_while(Result::ok) {
                    eprintln!("{line}");
                    push_line(&stderr_copy, &line);
                }
            }),
        ];
        Self {
            script: script.to_string(),
            stdin: child.stdin.take(),
            child,
            lines,
            stdout,
            readers,
            stderr,
        }
    }

    /// Waits until the script reaches checkpoint `name`.
    ///
    /// # Panics
    ///
    /// Panics when the script exits first or does not reach it within
    /// 30 seconds.
    pub fn wait_for_checkpoint(&mut self, name: &str) {
        self.wait_for_checkpoint_within(name, Duration::from_secs(30));
    }

    /// As [`NodeScript::wait_for_checkpoint`], for scripts that take
    /// longer than 30 seconds to get there.
    ///
    /// # Panics
    ///
    /// Panics when the script exits first or does not reach it within
    /// `timeout`.
    pub fn wait_for_checkpoint_within(&mut self, name: &str, timeout: Duration) {
        let expected = format!("@checkpoint {name}");
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line == expected => return,
                Ok(_) => {}
                Err(_) => {
                    // A script still waiting at an earlier checkpoint would
                    // never exit by itself.
                    let _ = self.child.kill();
                    let status = self.child.wait().ok();
                    panic!(
                        "{} did not reach checkpoint {name:?} (exit status {status:?}):\n{}\n{}",
                        self.script,
                        lock_text(&self.stdout),
                        lock_text(&self.stderr)
                    );
                }
            }
        }
    }

    /// Returns the process ID of the Node process, for sending it signals
    /// such as SIGSTOP.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the Node process with SIGKILL, so it closes its TCP connections
    /// without any WebSocket close frame, and waits for it to exit.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Lets the script go on from the checkpoint it waits at.
    pub fn resume(&mut self) {
        let stdin = self.stdin.as_mut().expect("stdin is open until finish");
        // A script that already exited fails in `finish`, with its output.
        let _ = stdin.write_all(b"\n").and_then(|()| stdin.flush());
    }

    /// Waits for the script to exit.
    ///
    /// # Panics
    ///
    /// Panics with the script's output when it exits with an error.
    pub fn finish(mut self) {
        drop(self.stdin.take());
        let status = self.child.wait().expect("waiting for node succeeds");
        for reader in self.readers.drain(..) {
            reader.join().expect("output reader threads do not panic");
        }
        assert!(
            status.success(),
            "{} failed with {status}:\n{}\n{}",
            self.script,
            lock_text(&self.stdout),
            lock_text(&self.stderr)
        );
    }
}

impl Drop for NodeScript {
    fn drop(&mut self) {
        // A test that panicked before `finish` leaves no Node process behind.
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn push_line(buffer: &Mutex<String>, line: &str) {
    let mut buffer = buffer
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    buffer.push_str(line);
    buffer.push('\n');
}

fn lock_text(buffer: &Mutex<String>) -> String {
    buffer
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone()
}
