//! Render sessions: one per Socket.IO connection (one browser tab).
//!
//! A render session owns the tab's global-state store and one active route
//! per mounted path. A single task processes the connection's messages in
//! the order they arrived, so events never overtake each other.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::Serialize;
use socketioxide::extract::{Data, SocketRef};
use tokio::sync::mpsc;
use trellis_core::json::{JsonNodes, JsonOps};
use trellis_core::vdom::{Attr, Element, EventKind, Node};
use trellis_runtime::{CallError, EventPayload, GlobalStore, Mode, Replay, RouteInstance};

use crate::App;
use crate::messages::{self, Event, Mount, Unmount};
use crate::session::{SessionId, render_id};

/// How many client messages may wait for the session task. A client that
/// sends faster than its routes handle them is disconnected when the queue
/// is full, so it cannot grow host memory.
const QUEUE_CAPACITY: usize = 1024;

enum Command {
    Mount(serde_json::Value),
    Event(serde_json::Value),
    Unmount(serde_json::Value),
    Close,
}

/// Registers the message handlers of a new connection and starts its render
/// session task.
pub(crate) fn on_connect(app: Arc<App>, socket: SocketRef) {
    let cookie = socket
        .req_parts()
        .headers
        .get(http::header::COOKIE)
        .and_then(|value| value.to_str().ok())
        .and_then(SessionId::from_cookie_header);
    // TODO: a connection without a session cookie gets a throwaway session
    // ID, so its render IDs never match a prerender; user-session checks at
    // connect are not enforced yet.
    let session = cookie.unwrap_or_else(SessionId::generate);
    let (sender, receiver) = mpsc::channel::<(u64, Command)>(QUEUE_CAPACITY);
    tracing::info!(socket = %socket.id, "render session opened");

    socket.extensions.insert(Arc::new(AtomicU64::new(0)));
    for (name, make) in [
        ("mount", Command::Mount as fn(serde_json::Value) -> Command),
        ("event", Command::Event),
        ("unmount", Command::Unmount),
    ] {
        let sender = sender.clone();
        socket.on(
            name,
            async move |socket: SocketRef,
                        Ticket(ticket): Ticket,
                        Data(data): Data<serde_json::Value>| {
                if sender.try_send((ticket, make(data))).is_err() {
                    tracing::warn!(socket = %socket.id, "message queue full; disconnecting");
                    let _ = socket.disconnect();
                }
            },
        );
    }
    socket.on_disconnect(async move || {
        // The session also ends when the socket and its handlers (which hold
        // the other senders) are dropped, so a full queue here is harmless.
        let _ = sender.try_send((u64::MAX, Command::Close));
    });

    let session = RenderSession {
        app,
        socket,
        session,
        globals: GlobalStore::new(),
        routes: HashMap::new(),
    };
    tokio::spawn(session.run(receiver));
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

struct RenderSession {
    app: Arc<App>,
    socket: SocketRef,
    session: SessionId,
    globals: GlobalStore,
    routes: HashMap<String, ActiveRoute>,
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
    async fn run(mut self, mut receiver: mpsc::Receiver<(u64, Command)>) {
        // socketioxide runs each message handler in its own task, so
        // messages can reach the queue out of order; their tickets, taken in
        // arrival order, restore it.
        let mut next_ticket = 0u64;
        let mut early: BTreeMap<u64, Command> = BTreeMap::new();
        while let Some((ticket, command)) = receiver.recv().await {
            if matches!(command, Command::Close) {
                break;
            }
            early.insert(ticket, command);
            while let Some(command) = early.remove(&next_ticket) {
                next_ticket += 1;
                self.handle(command).await;
            }
        }
        tracing::info!(socket = %self.socket.id, routes = self.routes.len(), "render session closed");
    }

    async fn handle(&mut self, command: Command) {
        {
            match command {
                Command::Mount(data) => self.mount(data).await,
                Command::Event(data) => self.event(data).await,
                Command::Unmount(data) => self.unmount(data),
                Command::Close => {}
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

        let instance = self
            .app
            .runtime
            .instantiate(
                resolved.route,
                resolved.request,
                Mode::Live,
                self.globals.clone(),
                Replay::fresh(),
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
                && render.render_id == render_id(&self.session, &rendered.bytes)
        });
        if matches {
            tracing::debug!(socket = %self.socket.id, route = instance.route(), "render ID matched; attached");
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
        navigation(&self.socket, effects.navigation);
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
        tracing::warn!(socket = %self.socket.id, path, error = %error, "route failed");
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

    fn send_error(&self, path: Option<&str>, code: &str, message: &str) {
        tracing::debug!(socket = %self.socket.id, path, code, message, "sending error to client");
        self.emit(
            "error",
            &ErrorMessage {
                path,
                code,
                message,
            },
        );
    }

    fn emit<T: Serialize>(&self, event: &str, data: &T) {
        if let Err(error) = self.socket.emit(event, data) {
            tracing::debug!(socket = %self.socket.id, event, error = %error, "failed to send message");
        }
    }
}

fn navigation(socket: &SocketRef, target: Option<String>) {
    if let Some(path) = target
        && let Err(error) = socket.emit("navigate", &PathMessage { path: &path })
    {
        tracing::debug!(socket = %socket.id, error = %error, "failed to send navigation");
    }
}

/// The tree shown in place of a route that failed.
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
