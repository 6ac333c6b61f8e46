//! The Trellis server: prerenders routes over HTTP and runs render sessions
//! over Socket.IO.
//!
//! [`App`] holds the [`trellis_runtime::Runtime`] of one app and serves it:
//! [`App::prerender`] answers a GET with a complete HTML document,
//! [`router`] builds the axum router with the Socket.IO endpoint at
//! `/socket.io/` and the client runtime at [`page::CLIENT_PATH`], and
//! [`serve`] runs it on a listener until a shutdown signal.

pub mod messages;
pub mod page;
mod prerender;
mod render_session;
pub mod session;

use std::future::Future;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use socketioxide::SocketIo;
use socketioxide::extract::SocketRef;
use socketioxide::handler::ConnectHandler;
use trellis_runtime::Runtime;

pub use prerender::Page;
pub use session::{SESSION_COOKIE, SessionId, render_id};

/// The client runtime script, served at [`page::CLIENT_PATH`].
pub const CLIENT_SCRIPT: &str = include_str!("../assets/client.js");

/// Settings of the HTTP and Socket.IO endpoints.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// Adds `Secure` to the session cookie; set it when the app is served
    /// over HTTPS.
    pub secure_cookies: bool,
    /// The largest Socket.IO message a client may send, in bytes.
    pub max_message_bytes: u64,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self {
            secure_cookies: false,
            // Form submissions are the largest messages a tab sends; 64 KiB
            // holds a long form while bounding what one message can cost.
            max_message_bytes: 64 << 10,
        }
    }
}

/// One app being served: its runtime, title and server settings.
pub struct App {
    runtime: Runtime,
    title: String,
    options: ServerOptions,
}

impl App {
    /// Creates an app from a loaded runtime.
    pub fn new(runtime: Runtime, title: impl Into<String>, options: ServerOptions) -> Arc<Self> {
        Arc::new(Self {
            runtime,
            title: title.into(),
            options,
        })
    }

    /// Returns the app's runtime.
    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }
}

/// Builds the axum router of an app: the client runtime, the Socket.IO
/// endpoint, and a prerender of the matching route for every other GET.
pub fn router(app: Arc<App>) -> axum::Router {
    let (layer, io) = SocketIo::builder()
        .max_payload(app.options.max_message_bytes)
        .build_layer();
    let socket_app = Arc::clone(&app);
    // The render session's message handlers are registered in a connect
    // middleware, which socketioxide awaits before it acknowledges the
    // connection; a plain connect handler runs in a spawned task, so a
    // client's first `mount` could arrive before the handlers exist.
    let register = move |socket: SocketRef| {
        let app = Arc::clone(&socket_app);
        async move {
            render_session::on_connect(app, socket);
            Ok::<(), std::convert::Infallible>(())
        }
    };
    io.ns("/", (async |_: SocketRef| {}).with(register));

    axum::Router::new()
        .route(page::CLIENT_PATH, axum::routing::get(client_script))
        .fallback(prerender_route)
        .with_state(app)
        .layer(layer)
}

/// Serves `app` on `listener` until `shutdown` completes.
///
/// # Errors
///
/// Returns the I/O error that stopped the server.
pub async fn serve(
    app: Arc<App>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(app))
        .with_graceful_shutdown(shutdown)
        .await
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
    let cookie = headers
        .get(header::COOKIE)
        .and_then(|value| value.to_str().ok())
        .and_then(SessionId::from_cookie_header);
    let (session, new_session) = match cookie {
        Some(session) => (session, false),
        None => (SessionId::generate(), true),
    };

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
    if new_session {
        let cookie = session.set_cookie_header(app.options.secure_cookies);
        let value = HeaderValue::from_str(&cookie).expect("session cookie is a valid header value");
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}
