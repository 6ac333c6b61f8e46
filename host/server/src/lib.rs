//! The Trellis server: prerenders routes over HTTP and runs render sessions
//! over Socket.IO.
//!
//! [`App`] owns the [`trellis_runtime::Runtime`] of one app and serves it:
//! [`App::prerender`] answers a GET with a complete HTML document,
//! [`router`] builds the axum router with the Socket.IO endpoint at
//! `/socket.io/` and the client runtime at [`page::CLIENT_PATH`], and
//! [`serve`] runs it on a listener until a shutdown signal.

mod key;
pub mod messages;
mod origin;
pub mod page;
mod prerender;
mod render_session;
pub mod replay;
pub mod session;

use std::future::{Future, IntoFuture};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use socketioxide::SocketIo;
use socketioxide::extract::{SocketRef, TryData};
use socketioxide::handler::ConnectHandler;
use trellis_runtime::Runtime;

pub use key::{KeyError, SERVER_KEY_ENV, ServerKey};
pub use origin::is_valid_origin;
pub use prerender::Page;
pub use session::{CookieError, SESSION_COOKIE, SessionId, render_id};

/// The client runtime script, served at [`page::CLIENT_PATH`].
pub const CLIENT_SCRIPT: &str = include_str!("../assets/client.js");

/// Settings of the HTTP and Socket.IO endpoints and of sessions.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// Adds `Secure` to the session cookie; set it when the app is served
    /// over HTTPS.
    pub secure_cookies: bool,
    /// The largest Socket.IO message a client may send, in bytes. A larger
    /// WebSocket message closes the connection.
    pub max_message_bytes: u64,
    /// Origins, besides the request's own, whose pages may open a Socket.IO
    /// connection, written as browsers send them in `Origin`, such as
    /// `https://app.example`.
    pub allowed_origins: Vec<String>,
    /// How long a user session lives without any render session: an
    /// unclaimed one (created by a GET whose cookie never reached a socket)
    /// or one whose tabs have all closed.
    pub unclaimed_session_ttl: Duration,
    /// How many unclaimed user sessions are kept at most; beyond it the
    /// oldest are disposed first.
    pub max_unclaimed_sessions: usize,
    /// How long a render session outlives its dropped connection, waiting
    /// for the tab to reconnect.
    pub reconnect_grace: Duration,
    /// How long a session cookie stays valid after it was issued.
    pub session_max_age: Duration,
    /// The key that authenticates session cookies and replay tokens.
    pub server_key: ServerKey,
    /// How often the server sends an Engine.IO ping on each connection.
    pub ping_interval: Duration,
    /// How long the server waits for the pong before it closes the
    /// connection. A peer that vanished without closing its TCP connection
    /// is noticed within `ping_interval + ping_timeout`.
    pub ping_timeout: Duration,
    /// How long [`serve`] may take, from the shutdown signal, to tell
    /// connected clients to reconnect and to close its connections before it
    /// returns anyway.
    pub shutdown_timeout: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            // Form submissions are the largest messages a tab sends; 64 KiB
            // fits a long form while bounding what one message can cost.
            max_message_bytes: 64 << 10,
            allowed_origins: Vec::new(),
            unclaimed_session_ttl: Duration::from_secs(60),
            max_unclaimed_sessions: 100_000,
            reconnect_grace: Duration::from_secs(30),
            session_max_age: Duration::from_secs(7 * 24 * 3600),
            server_key: ServerKey::generate(),
            // The Engine.IO defaults, which socket.io-client expects too.
            ping_interval: Duration::from_secs(25),
            ping_timeout: Duration::from_secs(20),
            shutdown_timeout: Duration::from_secs(10),
        }
    }
}

/// One app being served: its runtime, title, settings and sessions.
pub struct App {
    runtime: Runtime,
    title: String,
    options: ServerOptions,
    user_sessions: session::UserSessions,
    render_sessions: render_session::RenderSessions,
    /// The Socket.IO server, set once [`router`] has built it.
    io: OnceLock<SocketIo>,
}

impl App {
    /// Creates an app from a loaded runtime.
    pub fn new(runtime: Runtime, title: impl Into<String>, options: ServerOptions) -> Arc<Self> {
        Arc::new(Self {
            runtime,
            title: title.into(),
            user_sessions: session::UserSessions::new(
                options.unclaimed_session_ttl,
                options.max_unclaimed_sessions,
            ),
            render_sessions: render_session::RenderSessions::default(),
            io: OnceLock::new(),
            options,
        })
    }

    /// Returns the app's runtime.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    /// Returns how many user sessions this process keeps, unclaimed ones
    /// included.
    pub fn user_session_count(&self) -> usize {
        self.user_sessions.count()
    }

    /// Returns how many render sessions exist: connected ones and detached
    /// ones within their grace period.
    pub fn render_session_count(&self) -> usize {
        self.render_sessions.count()
    }

    /// Returns how many guest instances exist: one per mounted route of every
    /// render session (detached ones included) plus one per prerender in
    /// progress.
    pub fn live_instances(&self) -> usize {
        self.runtime.live_instances()
    }

    /// Returns how many Socket.IO connections are connected to the default
    /// namespace, 0 before [`router`] has run.
    pub fn connected_sockets(&self) -> usize {
        self.io.get().map_or(0, |io| io.sockets().len())
    }

    /// Sends `shutdown` to every connected client and closes every
    /// Socket.IO connection. Each client reconnects with backoff and
    /// resumes its render session if the process it reaches still has it.
    async fn disconnect_clients(&self) {
        let Some(io) = self.io.get() else {
            return;
        };
        let message = ShutdownMessage {
            message: "the server is shutting down: reconnect",
        };
        let sockets = io.sockets();
        tracing::info!(
            sockets = sockets.len(),
            "telling connected clients to reconnect"
        );
        for socket in sockets {
            if let Err(error) = socket.emit("shutdown", &message) {
                tracing::debug!(socket = %socket.id, error = %error, "failed to send shutdown");
            }
        }
        io.close().await;
    }

    /// Disposes the user sessions that have gone too long without a render
    /// session. The server calls it every second.
    pub fn sweep_sessions(&self) {
        self.user_sessions.sweep(Instant::now());
    }

    fn verify_cookie(&self, value: &str) -> Result<SessionId, CookieError> {
        SessionId::verify_cookie(
            &self.options.server_key,
            value,
            self.options.session_max_age.as_secs(),
            session::unix_now_secs(),
        )
    }

    /// Returns the session of a request's cookie, or creates one and the
    /// `Set-Cookie` value that stores it.
    fn session_for_request(&self, headers: &HeaderMap) -> (SessionId, Option<String>) {
        let now = Instant::now();
        let user = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find_map(session::cookie_from_header)
            .and_then(|value| self.verify_cookie(value).ok());
        if let Some(user) = user {
            self.user_sessions.touch(user, now);
            return (user, None);
        }
        let user = self.user_sessions.create(now);
        let value = user.cookie_value(&self.options.server_key, session::unix_now_secs());
        let cookie = SessionId::set_cookie_header(
            &value,
            self.options.secure_cookies,
            self.options.session_max_age.as_secs(),
        );
        (user, Some(cookie))
    }
}

#[derive(serde::Serialize)]
struct ShutdownMessage {
    message: &'static str,
}

/// Builds the axum router of an app: the client runtime, the Socket.IO
/// endpoint, and a prerender of the matching route for every other GET.
pub fn router(app: Arc<App>) -> axum::Router {
    // `max_payload` bounds only HTTP long-polling bodies. engineioxide 0.17
    // checks WebSocket messages against separate limits, which default to
    // 64 MiB per message and 16 MiB per frame, so both are set here too.
    let max_message_bytes = usize::try_from(app.options.max_message_bytes).unwrap_or(usize::MAX);
    let (layer, io) = SocketIo::builder()
        .max_payload(app.options.max_message_bytes)
        .ws_max_message_size(max_message_bytes)
        .ws_max_frame_size(max_message_bytes)
        .ping_interval(app.options.ping_interval)
        .ping_timeout(app.options.ping_timeout)
        .build_layer();
    if app.io.set(io.clone()).is_err() {
        tracing::warn!(
            "the app is served by more than one router; counts and shutdown see the first"
        );
    }
    let socket_app = Arc::clone(&app);
    // The render session's message handlers are registered in a connect
    // middleware, which socketioxide awaits before it acknowledges the
    // connection; a plain connect handler runs in a spawned task, so a
    // client's first `mount` could arrive before the handlers exist.
    let register = move |socket: SocketRef, TryData(auth): TryData<serde_json::Value>| {
        let app = Arc::clone(&socket_app);
        async move {
            render_session::on_connecting(&app, &socket, auth.ok());
            Ok::<(), std::convert::Infallible>(())
        }
    };
    io.ns(
        "/",
        (async |socket: SocketRef| render_session::on_connected(socket)).with(register),
    );

    let sweeper = Arc::downgrade(&app);
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_secs(1));
        loop {
            interval.tick().await;
            let Some(app) = sweeper.upgrade() else {
                break;
            };
            app.sweep_sessions();
        }
    });

    axum::Router::new()
        .route(page::CLIENT_PATH, axum::routing::get(client_script))
        .fallback(prerender_route)
        .with_state(app)
        .layer(layer)
}

/// Serves `app` on `listener` until `shutdown` completes, then shuts down
/// gracefully.
///
/// After the signal the listener accepts no more connections, every
/// Socket.IO client gets a `shutdown` message and its connection is closed,
/// and the function returns once the HTTP requests in progress have
/// finished, or after [`ServerOptions::shutdown_timeout`] when they have not.
///
/// # Errors
///
/// Returns the I/O error that stopped the server.
pub async fn serve(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let timeout = app.options.shutdown_timeout;
    let (signalled, signal_received) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        shutdown.await;
        let _ = signalled.send(());
    };
    let server = axum::serve(listener, router(Arc::clone(&app)))
        .with_graceful_shutdown(signal)
        .into_future();
    let mut server = std::pin::pin!(server);
    // The signal comes first: the server future may complete as soon as the
    // signal arrives, and the clients must still get the `shutdown` message.
    tokio::select! {
        biased;
        received = signal_received => {
            if received.is_err() {
                // The signal future was dropped, so the server has stopped.
                return server.await;
            }
        }
        result = &mut server => return result,
    }

    // The listener accepts no more connections. WebSocket connections are
    // not part of axum's graceful shutdown once upgraded, so they are
    // closed here, while the HTTP requests in progress finish.
    let drain = async {
        let (result, ()) = tokio::join!(server, app.disconnect_clients());
        result
    };
    match tokio::time::timeout(timeout, drain).await {
        Ok(result) => result,
        Err(_) => {
            tracing::warn!(
                timeout_secs = timeout.as_secs_f64(),
                "connections still open at the shutdown timeout; stopping without them"
            );
            Ok(())
        }
    }
}

async fn client_script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        CLIENT_SCRIPT,
    )
        .into_response()
}

async fn prerender_route(
    State(app): State<Arc<App>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [(header::ALLOW, "GET, HEAD")],
        )
            .into_response();
    }
    let (session, new_cookie) = app.session_for_request(&headers);

    let path_and_query = uri.path_and_query().map_or("/", |value| value.as_str());
    let page = app.prerender(path_and_query, &session).await;

    let status = StatusCode::from_u16(page.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        page.html,
    )
        .into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(cookie) = new_cookie {
        let value = HeaderValue::from_str(&cookie).expect("session cookie is a valid header value");
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}
