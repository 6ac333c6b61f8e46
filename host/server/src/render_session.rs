//! Render sessions: one per Socket.IO connection (one browser tab).
//!
//! A render session owns the tab's global-state store and one active route
//! per mounted path. A single task processes the connection's messages in
//! the order they arrived, so events never overtake each other.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use socketioxide::extract::{Event as EventName, SocketRef, TryData};
use socketioxide::socket::Sid;
use socketioxide::{SendError, SocketError};
use tokio::sync::mpsc;
use trellis_core::json::{JsonNodes, JsonOps};
use trellis_core::vdom::{Attr, Element, EventKind, Node};
use trellis_runtime::{CallError, EventPayload, GlobalStore, Mode, Replay, RouteInstance};

use crate::App;
use crate::messages::{self, Event, Mount, Unmount};
use crate::page::RenderData;
use crate::session::{SessionId, cookie_from_header, render_id};

/// How many client messages may wait for the session task. A client that
/// sends faster than its routes handle them is disconnected when the queue
/// is full, so it cannot grow host memory.
const QUEUE_CAPACITY: usize = 1024;

/// How many sent messages a render session keeps for a client that resumes
/// after a dropped connection, and how many bytes of them at most.
const OUTBOX_MESSAGES: usize = 256;
const OUTBOX_BYTES: usize = 1 << 20;

/// How long a render session waits for a connection whose send buffer
/// (socketioxide's `max_buffer_size`, 128 packets by default) stays full
/// before it closes the connection. The client then resumes and gets the
/// messages it missed from the outbox.
const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// A client message, parsed later by the session task.
enum Command {
    Mount(serde_json::Value),
    Event(serde_json::Value),
    Unmount(serde_json::Value),
    /// A known message whose data socketioxide could not decode.
    Undecodable {
        event: &'static str,
        error: String,
    },
    /// A message with an event name the protocol does not have.
    Unknown {
        event: String,
    },
}

/// An input of a render session task.
enum Input {
    /// A client message from connection `socket`, with its arrival ticket.
    Message {
        socket: Sid,
        ticket: u64,
        command: Command,
    },
    /// Connection `socket` is about to be attached: hold its messages until
    /// [`Input::Attach`] arrives.
    Expect { socket: Sid },
    /// Connection `socket` is connected and now carries the render session.
    /// `resume` is the last sequence number the client handled when it
    /// resumes, `None` for a new render session.
    Attach {
        socket: SocketRef,
        resume: Option<u64>,
    },
    /// Connection `socket` closed.
    Detach { socket: Sid },
}

/// The render sessions of this process, by token.
#[derive(Default)]
pub(crate) struct RenderSessions {
    sessions: Mutex<HashMap<String, RenderSessionHandle>>,
}

#[derive(Clone)]
struct RenderSessionHandle {
    user: SessionId,
    sender: mpsc::Sender<Input>,
}

impl RenderSessions {
    pub(crate) fn count(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, RenderSessionHandle>> {
        // Inserts and removes are single calls, so a poisoned map is whole.
        self.sessions
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The connect middleware's decision for a connection, read by the
/// connect handler once the connection is acknowledged.
#[derive(Clone)]
enum ConnectOutcome {
    /// The connection carries a render session; attach it.
    Attach {
        sender: mpsc::Sender<Input>,
        resume: Option<u64>,
    },
    /// The cookie is missing, invalid or expired.
    SessionExpired,
    /// The render session to resume is gone.
    Reload,
    /// The upgrade request's `Origin` is neither the server's own nor
    /// allowed.
    ForbiddenOrigin,
}

/// Auth data of the Socket.IO CONNECT packet.
#[derive(Debug, Default, Deserialize)]
struct ConnectAuth {
    resume: Option<String>,
    #[serde(default)]
    seq: u64,
}

/// Decides what a new connection is (a new render session, a resumed one,
/// or a rejected one) and registers its message handlers.
///
/// It runs as socketioxide connect middleware, which completes before the
/// connection is acknowledged, so no client message can arrive before its
/// handler exists.
pub(crate) fn on_connecting(app: &Arc<App>, socket: &SocketRef, auth: Option<serde_json::Value>) {
    let request = socket.req_parts();
    let authority = request.uri.authority().map(http::uri::Authority::as_str);
    if let Err(origin) =
        crate::origin::check_origin(&request.headers, authority, &app.options.allowed_origins)
    {
        tracing::warn!(socket = %socket.id, origin, "rejected a connection from a foreign origin");
        socket.extensions.insert(ConnectOutcome::ForbiddenOrigin);
        return;
    }
    let cookie = request
        .headers
        .get_all(http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find_map(cookie_from_header);
    let user = cookie.map(|value| app.verify_cookie(value));
    let user = match user {
        Some(Ok(user)) => user,
        Some(Err(error)) => {
            tracing::info!(socket = %socket.id, error = %error, "connection with an unusable session cookie");
            socket.extensions.insert(ConnectOutcome::SessionExpired);
            return;
        }
        None => {
            tracing::info!(socket = %socket.id, "connection without a session cookie");
            socket.extensions.insert(ConnectOutcome::SessionExpired);
            return;
        }
    };
    let auth: ConnectAuth = auth
        .and_then(|auth| serde_json::from_value(auth).ok())
        .unwrap_or_default();

    let (sender, resume) = match auth.resume {
        Some(token) => {
            let handle = app.render_sessions.lock().get(&token).cloned();
            match handle {
                Some(handle) if handle.user == user => (handle.sender, Some(auth.seq)),
                _ => {
                    tracing::info!(socket = %socket.id, "no render session to resume; telling the client to reload");
                    socket.extensions.insert(ConnectOutcome::Reload);
                    return;
                }
            }
        }
        None => (start_render_session(app, user), None),
    };

    if sender
        .try_send(Input::Expect { socket: socket.id })
        .is_err()
    {
        socket.extensions.insert(ConnectOutcome::Reload);
        return;
    }
    socket.extensions.insert(Arc::new(AtomicU64::new(0)));
    // `Ticket` comes last in every handler: socketioxide runs the extractors
    // in order and skips the handler when one fails, and a ticket taken for
    // a skipped message would stall the session, which waits for every
    // ticket in turn. The data extractor is `TryData`, whose error type is
    // `Infallible` in socketioxide 0.18, so undecodable data still gets its
    // ticket and an error reply.
    for (name, make) in [
        ("mount", Command::Mount as fn(serde_json::Value) -> Command),
        ("event", Command::Event),
        ("unmount", Command::Unmount),
    ] {
        let sender = sender.clone();
        socket.on(
            name,
            async move |socket: SocketRef,
                        TryData(data): TryData<serde_json::Value>,
                        Ticket(ticket): Ticket| {
                let command = match data {
                    Ok(data) => make(data),
                    Err(error) => Command::Undecodable {
                        event: name,
                        error: error.to_string(),
                    },
                };
                queue_message(&sender, socket, ticket, command);
            },
        );
    }
    let fallback = sender.clone();
    socket.on_fallback(
        async move |socket: SocketRef, EventName(event): EventName, Ticket(ticket): Ticket| {
            queue_message(&fallback, socket, ticket, Command::Unknown { event });
        },
    );
    let detach = sender.clone();
    socket.on_disconnect(async move |socket: SocketRef| {
        let input = Input::Detach { socket: socket.id };
        if let Err(mpsc::error::TrySendError::Full(input)) = detach.try_send(input) {
            // A flooding client is disconnected while its queue is full.
            // The notice must still arrive, or the session would never
            // start its grace timer and would live as long as the process.
            tokio::spawn(async move {
                let _ = detach.send(input).await;
            });
        }
    });
    socket
        .extensions
        .insert(ConnectOutcome::Attach { sender, resume });
}

/// Finishes a connection once socketioxide has acknowledged it: attaches it
/// to its render session, or sends `session-expired`, `reload` or a
/// `forbidden-origin` error and closes it.
pub(crate) fn on_connected(socket: SocketRef) {
    match socket.extensions.get::<ConnectOutcome>() {
        Some(ConnectOutcome::Attach { sender, resume }) => {
            let id = socket.id;
            if sender.try_send(Input::Attach { socket, resume }).is_err() {
                tracing::warn!(socket = %id, "render session unavailable; closing the connection");
            }
        }
        Some(ConnectOutcome::SessionExpired) | None => {
            let message = MessageText {
                message: "the session cookie is missing, invalid or expired: reload the page",
            };
            let _ = socket.emit("session-expired", &message);
            let _ = socket.disconnect();
        }
        Some(ConnectOutcome::ForbiddenOrigin) => {
            let message = ErrorMessage {
                path: None,
                code: "forbidden-origin",
                message: "pages of this origin may not connect: add it to `allowed-origins` in trellis.toml",
            };
            let _ = socket.emit("error", &message);
            let _ = socket.disconnect();
        }
        Some(ConnectOutcome::Reload) => {
            let message = MessageText {
                message: "this tab's session ended: reload the page",
            };
            let _ = socket.emit("reload", &message);
            let _ = socket.disconnect();
        }
    }
}

/// Queues a client message for the session task, or disconnects a client
/// whose queue is full.
fn queue_message(sender: &mpsc::Sender<Input>, socket: SocketRef, ticket: u64, command: Command) {
    let input = Input::Message {
        socket: socket.id,
        ticket,
        command,
    };
    if sender.try_send(input).is_err() {
        tracing::warn!(socket = %socket.id, "message queue full or session ended; disconnecting");
        let _ = socket.disconnect();
    }
}

fn start_render_session(app: &Arc<App>, user: SessionId) -> mpsc::Sender<Input> {
    let token = crate::key::to_hex(SessionId::generate().as_bytes());
    let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
    app.render_sessions.lock().insert(
        token.clone(),
        RenderSessionHandle {
            user,
            sender: sender.clone(),
        },
    );
    app.user_sessions.claim(user, Instant::now());
    tracing::info!("render session opened");

    let session = RenderSession {
        app: Arc::clone(app),
        token,
        user,
        socket: None,
        expected: None,
        pending: Vec::new(),
        detached_at: Some(Instant::now()),
        next_ticket: 0,
        early: BTreeMap::new(),
        seq: 0,
        outbox: VecDeque::new(),
        outbox_bytes: 0,
        unsent: VecDeque::new(),
        globals: GlobalStore::new(),
        routes: HashMap::new(),
    };
    tokio::spawn(session.run(receiver));
    sender
}

/// The position of a message in its connection's arrival order.
///
/// socketioxide runs extractors synchronously in the connection's receive
/// loop, before it spawns the handler task, so tickets follow arrival order.
struct Ticket(u64);

impl socketioxide::handler::FromMessageParts<socketioxide::adapter::LocalAdapter> for Ticket {
    type Error = std::convert::Infallible;

    fn from_message_parts(
        socket: &Arc<socketioxide::socket::Socket<socketioxide::adapter::LocalAdapter>>,
        _value: &mut socketioxide::handler::Value,
        _ack_id: &Option<i64>,
    ) -> Result<Self, Self::Error> {
        let counter = socket
            .extensions
            .get::<Arc<AtomicU64>>()
            .expect("the ticket counter is inserted at connect");
        Ok(Self(counter.fetch_add(1, Ordering::Relaxed)))
    }
}

struct ActiveRoute {
    /// `None` after the instance trapped: the route shows its error state
    /// until it is mounted again.
    instance: Option<RouteInstance>,
    tree: Node,
    listeners: HashMap<u32, EventKind>,
    reads: BTreeSet<String>,
}

/// One tab's render session: its global state, active routes and the
/// connection that currently carries it.
struct RenderSession {
    app: Arc<App>,
    token: String,
    user: SessionId,
    socket: Option<SocketRef>,
    /// A connection that was accepted but not yet attached, and its
    /// messages that arrived before the attach.
    expected: Option<Sid>,
    pending: Vec<(u64, Command)>,
    /// When the last connection dropped; `None` while one is attached.
    detached_at: Option<Instant>,
    /// Reorders the current connection's messages by ticket.
    next_ticket: u64,
    early: BTreeMap<u64, Command>,
    /// Sequence number of the last message sent, and the recent messages
    /// kept for a resuming client.
    seq: u64,
    /// Kept as JSON text: about a tenth of the memory of a parsed
    /// `serde_json::Value`, and parsed again only when a client resumes.
    outbox: VecDeque<(u64, &'static str, Box<str>)>,
    outbox_bytes: usize,
    /// Messages for the current connection that its full send buffer could
    /// not take yet, in order; [`RenderSession::flush`] sends them.
    unsent: VecDeque<(String, serde_json::Value)>,
    globals: GlobalStore,
    routes: HashMap<String, ActiveRoute>,
}

#[derive(Serialize)]
struct MessageText<'a> {
    message: &'a str,
}

#[derive(Serialize)]
struct TokenMessage<'a> {
    token: &'a str,
}

#[derive(Serialize)]
struct PathMessage<'a> {
    path: &'a str,
}

#[derive(Serialize)]
struct RenderMessage<'a> {
    path: &'a str,
    nodes: JsonNodes<'a>,
}

#[derive(Serialize)]
struct PatchMessage<'a> {
    path: &'a str,
    ops: JsonOps<'a>,
}

#[derive(Serialize)]
struct ErrorMessage<'a> {
    path: Option<&'a str>,
    code: &'a str,
    message: &'a str,
}

impl RenderSession {
    async fn run(mut self, mut receiver: mpsc::Receiver<Input>) {
        let grace = self.app.options.reconnect_grace;
        loop {
            let input = match self.detached_at {
                Some(since) => {
                    tokio::select! {
                        input = receiver.recv() => input,
                        () = tokio::time::sleep_until((since + grace).into()) => None,
                    }
                }
                None => receiver.recv().await,
            };
            let Some(input) = input else {
                break;
            };
            match input {
                Input::Expect { socket } => {
                    self.expected = Some(socket);
                    self.pending.clear();
                }
                Input::Attach { socket, resume } => self.attach(socket, resume).await,
                Input::Detach { socket } => self.detach(socket),
                Input::Message {
                    socket,
                    ticket,
                    command,
                } => self.receive(socket, ticket, command).await,
            }
            // Waiting here for a slow reader slows the handling of its own
            // messages, so a client that sends more than it reads fills its
            // queue and is disconnected.
            self.flush().await;
        }

        self.app.render_sessions.lock().remove(&self.token);
        self.app.user_sessions.release(self.user, Instant::now());
        tracing::info!(routes = self.routes.len(), "render session disposed");
    }

    async fn receive(&mut self, socket: Sid, ticket: u64, command: Command) {
        let current = self.socket.as_ref().map(|current| current.id);
        if current == Some(socket) {
            self.early.insert(ticket, command);
            while let Some(command) = self.early.remove(&self.next_ticket) {
                self.next_ticket += 1;
                self.handle(command).await;
            }
        } else if self.expected == Some(socket) {
            self.pending.push((ticket, command));
        } else {
            tracing::debug!(socket = %socket, "dropping a message from a replaced connection");
        }
    }

    async fn attach(&mut self, socket: SocketRef, resume: Option<u64>) {
        if self.expected == Some(socket.id) {
            self.expected = None;
        }
        if let Some(old) = self.socket.take()
            && old.id != socket.id
        {
            // One tab has one connection: the newer one wins.
            tracing::info!(old = %old.id, new = %socket.id, "a new connection took over the render session");
            let _ = old.disconnect();
        }
        tracing::info!(socket = %socket.id, resumed = resume.is_some(), "connection attached to render session");
        self.socket = Some(socket);
        self.detached_at = None;
        self.next_ticket = 0;
        self.early.clear();
        // Unsent messages were for the old connection; a resuming client
        // gets them again from the outbox.
        self.unsent.clear();

        let token = self.token.clone();
        match resume {
            None => self.emit_unsequenced("session", &TokenMessage { token: &token }),
            Some(last_seen) => {
                self.emit_unsequenced("resumed", &TokenMessage { token: &token });
                self.resend_after(last_seen);
            }
        }

        let mut pending = std::mem::take(&mut self.pending);
        pending.sort_by_key(|(ticket, _)| *ticket);
        let socket = self
            .socket
            .as_ref()
            .map(|socket| socket.id)
            .expect("attached");
        for (ticket, command) in pending {
            self.receive(socket, ticket, command).await;
        }
    }

    fn detach(&mut self, socket: Sid) {
        if self.expected == Some(socket) {
            self.expected = None;
            self.pending.clear();
        }
        let is_current = self
            .socket
            .as_ref()
            .is_some_and(|current| current.id == socket);
        if !is_current {
            // The disconnect of a connection that another one replaced: the
            // render session lives on with the newer connection.
            tracing::debug!(socket = %socket, "ignoring the disconnect of a replaced connection");
            return;
        }
        tracing::info!(socket = %socket, "connection lost; keeping the render session for the grace period");
        self.socket = None;
        self.detached_at = Some(Instant::now());
    }

    /// Sends again the kept messages after `last_seen`, or, when some of
    /// them are no longer kept, the full tree of every active route.
    fn resend_after(&mut self, last_seen: u64) {
        let oldest = self.outbox.front().map_or(self.seq + 1, |(seq, ..)| *seq);
        if last_seen + 1 >= oldest {
            let messages: Vec<(&'static str, serde_json::Value)> = self
                .outbox
                .iter()
                .filter(|(seq, ..)| *seq > last_seen)
                .map(|(_, event, text)| {
                    let data = serde_json::from_str(text)
                        .expect("the outbox contains only JSON that emit wrote");
                    (*event, data)
                })
                .collect();
            for (event, data) in messages {
                self.send_raw(event, &data);
            }
            return;
        }
        tracing::info!(
            last_seen,
            oldest,
            "missed messages no longer kept; sending full trees"
        );
        let paths: Vec<String> = self.routes.keys().cloned().collect();
        for path in paths {
            let tree = self.routes[&path].tree.clone();
            self.emit(
                "render",
                &RenderMessage {
                    path: &path,
                    nodes: JsonNodes(std::slice::from_ref(&tree)),
                },
            );
        }
    }

    async fn handle(&mut self, command: Command) {
        match command {
            Command::Mount(data) => self.mount(data).await,
            Command::Event(data) => self.event(data).await,
            Command::Unmount(data) => self.unmount(data),
            Command::Undecodable { event, error } => {
                let message = format!("invalid `{event}` data: {error}");
                self.send_error(None, "bad-request", &message);
            }
            Command::Unknown { event } => {
                let message = format!("unknown event `{event}`");
                self.send_error(None, "bad-request", &message);
            }
        }
    }

    async fn mount(&mut self, data: serde_json::Value) {
        let mount: Mount = match messages::parse("mount", data) {
            Ok(mount) => mount,
            Err(message) => return self.send_error(None, "bad-request", &message),
        };
        if let Err(message) = messages::check_path(&mount.path) {
            return self.send_error(None, "bad-request", &message);
        }
        let Some(resolved) = self.app.runtime.resolve(&mount.path) else {
            return self.send_error(
                None,
                "not-found",
                &format!("no route matches {}", mount.path),
            );
        };
        let path = resolved.request.path.clone();
        // Mounting a path again replaces its active route with a fresh one.
        self.routes.remove(&path);

        let replay = self.replay_for(&path, mount.render.as_ref());
        let instance = self
            .app
            .runtime
            .instantiate(
                resolved.route,
                resolved.request,
                Mode::Live,
                self.globals.clone(),
                replay,
            )
            .await;
        let mut instance = match instance {
            Ok(instance) => instance,
            Err(error) => return self.fail_route(&path, &error),
        };
        let rendered = match instance.render().await {
            Ok(rendered) => rendered,
            Err(error) => return self.fail_route(&path, &error),
        };
        instance.host().unfreeze_clock();
        let effects = instance.take_effects();

        let matches = mount.render.as_ref().is_some_and(|render| {
            render.prerendered
                && render.path == path
                && render.render_id == render_id(&self.user, &rendered.bytes)
        });
        if matches {
            tracing::info!(
                route = instance.route(),
                path,
                "render ID matched; attached"
            );
            self.emit("attached", &PathMessage { path: &path });
        } else {
            self.emit(
                "render",
                &RenderMessage {
                    path: &path,
                    nodes: JsonNodes(std::slice::from_ref(&rendered.node)),
                },
            );
        }

        self.routes.insert(
            path.clone(),
            ActiveRoute {
                instance: Some(instance),
                listeners: listeners(&rendered.node),
                tree: rendered.node,
                reads: effects.reads,
            },
        );
        self.rerender_readers(&path, &effects.writes).await;
    }

    async fn event(&mut self, data: serde_json::Value) {
        let event: Event = match messages::parse("event", data) {
            Ok(event) => event,
            Err(message) => return self.send_error(None, "bad-request", &message),
        };
        let Some(route) = self.routes.get_mut(&event.path) else {
            return self.send_error(
                Some(&event.path),
                "not-mounted",
                "no route is mounted at this path",
            );
        };
        // NOTE: the guest SDK numbers handlers afresh on every render. An
        // event that the client sent before a patch reached it (say, a
        // re-render after another route wrote global state) can therefore
        // name an ID that now belongs to another element's handler.
        let Some(kind) = route.listeners.get(&event.handler).copied() else {
            let message = format!(
                "handler {} is not in the route's current render",
                event.handler
            );
            return self.send_error(Some(&event.path), "unknown-handler", &message);
        };
        let payload = match payload_for(kind, event.payload) {
            Ok(payload) => payload,
            Err(message) => return self.send_error(Some(&event.path), "bad-request", &message),
        };
        let Some(instance) = route.instance.as_mut() else {
            return self.send_error(
                Some(&event.path),
                "render-failed",
                "the route failed; mount it again",
            );
        };

        match instance.handle_event(event.handler, payload).await {
            Ok(()) => {}
            Err(error) if error.is_trap() => return self.fail_route(&event.path, &error),
            Err(error) => {
                tracing::info!(route = instance.route(), error = %error, "event handler returned an error");
                self.send_error(Some(&event.path), "event-failed", &error.to_string());
            }
        }
        let writes = self.rerender(&event.path).await;
        self.rerender_readers(&event.path, &writes).await;
    }

    fn unmount(&mut self, data: serde_json::Value) {
        let unmount: Unmount = match messages::parse("unmount", data) {
            Ok(unmount) => unmount,
            Err(message) => return self.send_error(None, "bad-request", &message),
        };
        if self.routes.remove(&unmount.path).is_none() {
            self.send_error(
                Some(&unmount.path),
                "not-mounted",
                "no route is mounted at this path",
            );
        }
    }

    /// Renders the active route at `path` again and sends the patch; returns
    /// the global-state keys written since the route's last render.
    async fn rerender(&mut self, path: &str) -> BTreeSet<String> {
        let Some(route) = self.routes.get_mut(path) else {
            return BTreeSet::new();
        };
        let Some(instance) = route.instance.as_mut() else {
            return BTreeSet::new();
        };
        let rendered = match instance.render().await {
            Ok(rendered) => rendered,
            Err(error) => {
                self.fail_route(path, &error);
                return BTreeSet::new();
            }
        };
        let effects = instance.take_effects();
        let ops = trellis_core::diff::diff(&route.tree, &rendered.node);
        route.listeners = listeners(&rendered.node);
        route.tree = rendered.node;
        route.reads = effects.reads;
        if !ops.is_empty() {
            self.emit(
                "patch",
                &PatchMessage {
                    path,
                    ops: JsonOps(&ops),
                },
            );
        }
        if let Some(target) = effects.navigation {
            self.emit("navigate", &PathMessage { path: &target });
        }
        effects.writes
    }

    /// Re-renders every other active route that read one of `writes`.
    async fn rerender_readers(&mut self, source: &str, writes: &BTreeSet<String>) {
        if writes.is_empty() {
            return;
        }
        let readers: Vec<String> = self
            .routes
            .iter()
            .filter(|(path, route)| path.as_str() != source && !route.reads.is_disjoint(writes))
            .map(|(path, _)| path.clone())
            .collect();
        for path in readers {
            // A reader's own writes during its re-render do not cascade
            // further, which keeps two routes that write what the other
            // reads from re-rendering each other forever.
            self.rerender(&path).await;
        }
    }

    /// Puts the route at `path` into its error state after a failed call:
    /// its instance is dropped, the tab shows an error message in place of
    /// the route, and the client gets a `render-failed` error.
    fn fail_route(&mut self, path: &str, error: &CallError) {
        tracing::warn!(path, error = %error, "route failed");
        let tree = error_node();
        match self.routes.get_mut(path) {
            Some(route) => {
                let ops = trellis_core::diff::diff(&route.tree, &tree);
                route.instance = None;
                route.listeners.clear();
                route.tree = tree;
                route.reads.clear();
                self.emit(
                    "patch",
                    &PatchMessage {
                        path,
                        ops: JsonOps(&ops),
                    },
                );
            }
            None => {
                self.emit(
                    "render",
                    &RenderMessage {
                        path,
                        nodes: JsonNodes(std::slice::from_ref(&tree)),
                    },
                );
                self.routes.insert(
                    path.to_string(),
                    ActiveRoute {
                        instance: None,
                        tree,
                        listeners: HashMap::new(),
                        reads: BTreeSet::new(),
                    },
                );
            }
        }
        self.send_error(
            Some(path),
            "render-failed",
            "the route failed; reload the page to try again",
        );
    }

    fn send_error(&mut self, path: Option<&str>, code: &str, message: &str) {
        tracing::debug!(path, code, message, "sending error to client");
        self.emit(
            "error",
            &ErrorMessage {
                path,
                code,
                message,
            },
        );
    }

    /// Returns the seed and clock start for mounting `path`: the prerender's,
    /// when the render data carries a replay token that verifies for this
    /// user session and path, else fresh values.
    fn replay_for(&self, path: &str, render: Option<&RenderData>) -> Replay {
        let Some(token) = render
            .map(|render| render.replay.as_str())
            .filter(|token| !token.is_empty())
        else {
            return Replay::fresh();
        };
        let now = std::time::SystemTime::now()
            .duration_since(std::time::SystemTime::UNIX_EPOCH)
            .unwrap_or_default();
        match crate::replay::verify(&self.app.options.server_key, &self.user, path, token, now) {
            Ok(replay) => replay,
            Err(error) => {
                tracing::info!(path, error = %error, "rejected replay token; mounting with fresh values");
                Replay::fresh()
            }
        }
    }

    /// Sends a message of the render session's stream: it gets the next
    /// sequence number and is kept for a client that resumes.
    fn emit<T: Serialize>(&mut self, event: &'static str, data: &T) {
        let mut value = serde_json::to_value(data).expect("protocol messages serialize to JSON");
        self.seq += 1;
        if let serde_json::Value::Object(fields) = &mut value {
            fields.insert("seq".into(), self.seq.into());
        }
        let text: Box<str> = value.to_string().into();
        self.send_raw(event, &value);

        self.outbox_bytes += text.len();
        self.outbox.push_back((self.seq, event, text));
        while self.outbox.len() > OUTBOX_MESSAGES || self.outbox_bytes > OUTBOX_BYTES {
            let Some((_, _, text)) = self.outbox.pop_front() else {
                break;
            };
            self.outbox_bytes -= text.len();
        }
    }

    /// Sends a message outside the sequenced stream.
    fn emit_unsequenced<T: Serialize>(&mut self, event: &str, data: &T) {
        self.send_raw(event, data);
    }

    /// Sends a message to the current connection, or keeps it for
    /// [`RenderSession::flush`] while the connection's send buffer is full,
    /// so that no message is dropped or overtaken.
    fn send_raw<T: Serialize + ?Sized>(&mut self, event: &str, data: &T) {
        let Some(socket) = &self.socket else {
            return;
        };
        if self.unsent.is_empty() {
            match socket.emit(event, data) {
                Ok(()) => return,
                Err(SendError::Socket(SocketError::InternalChannelFull)) => {}
                Err(error) => {
                    tracing::debug!(socket = %socket.id, event, error = %error, "failed to send message");
                    return;
                }
            }
        }
        let value = serde_json::to_value(data).expect("protocol messages serialize to JSON");
        self.unsent.push_back((event.to_string(), value));
    }

    /// Sends the messages that waited for room in the connection's send
    /// buffer. Closes the connection when the buffer stays full for
    /// [`SEND_TIMEOUT`].
    async fn flush(&mut self) {
        let started = Instant::now();
        while let Some((event, data)) = self.unsent.front() {
            let Some(socket) = &self.socket else {
                self.unsent.clear();
                return;
            };
            match socket.emit(event, data) {
                Ok(()) => {}
                Err(SendError::Socket(SocketError::InternalChannelFull)) => {
                    if started.elapsed() >= SEND_TIMEOUT {
                        tracing::warn!(socket = %socket.id, unsent = self.unsent.len(), "client reads too slowly; disconnecting");
                        let _ = socket.clone().disconnect();
                        self.unsent.clear();
                        return;
                    }
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    continue;
                }
                Err(error) => {
                    tracing::debug!(socket = %socket.id, event, error = %error, "failed to send message");
                }
            }
            self.unsent.pop_front();
        }
    }
}

/// Builds the tree shown in place of a route that failed.
fn error_node() -> Node {
    let mut element = Element::new("div");
    element.attrs.push(Attr {
        name: "class".into(),
        value: "trellis-error".into(),
    });
    element.attrs.push(Attr {
        name: "role".into(),
        value: "alert".into(),
    });
    element.children.push(Node::text(
        "This part of the page stopped working. Reload the page to try again.",
    ));
    Node::Element(element)
}

/// Collects the handler IDs a tree issued, with the event each listens to.
fn listeners(node: &Node) -> HashMap<u32, EventKind> {
    fn walk(node: &Node, out: &mut HashMap<u32, EventKind>) {
        if let Node::Element(element) = node {
            for listener in &element.listeners {
                out.insert(listener.handler.0, listener.kind);
            }
            for child in &element.children {
                walk(child, out);
            }
        }
    }
    let mut out = HashMap::new();
    walk(node, &mut out);
    out
}

/// Converts the client's payload to the one the event kind carries.
fn payload_for(kind: EventKind, payload: messages::Payload) -> Result<EventPayload, String> {
    match kind {
        EventKind::Click => Ok(EventPayload::None),
        EventKind::Input | EventKind::Change => payload
            .value
            .map(EventPayload::Value)
            .ok_or_else(|| format!("a {} event needs a `value` string", kind.dom_name())),
        EventKind::Submit => payload
            .form
            .map(EventPayload::Form)
            .ok_or_else(|| "a submit event needs a `form` list of [name, value] pairs".to_string()),
    }
}
