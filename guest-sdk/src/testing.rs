//! Runs routes natively in unit tests, with an in-process stand-in for the
//! host.
//!
//! [`TestHost`] owns one route instance, renders it, finds elements by `id`
//! and fires events at their handlers, as the browser and the real host do.
//! The global store is thread-local: every `TestHost` on one thread shares
//! it, as the routes of one browser tab do, and the default test harness
//! gives each test a thread of its own.
//!
//! ```
//! use trellis::prelude::*;
//! use trellis::testing::TestHost;
//!
//! #[derive(Default)]
//! struct Greeting;
//!
//! impl Route for Greeting {
//!     fn render(&self) -> Element<Self> {
//!         let name = request::param("name").unwrap_or_default();
//!         p().id("greeting").text(format!("Hello, {name}"))
//!     }
//! }
//!
//! let mut host = TestHost::<Greeting>::default().path("/hello/ada").param("name", "ada");
//!
//! host.render();
//!
//! assert_eq!(host.text("greeting").as_deref(), Some("Hello, ada"));
//! assert_eq!(host.html(), r#"<p id="greeting">Hello, ada</p>"#);
//! ```

use trellis_core::html::to_html;
use trellis_core::validate::sanitize;
use trellis_core::vdom::{Element, EventKind, HandlerId, Node};

use crate::Route;
use crate::event::{Form, Payload};
use crate::instance::Instance;
use crate::log::Level;
use crate::sys::native::{Request, with_env};

/// A route mounted in the native test host.
pub struct TestHost<R> {
    make: Option<Box<dyn FnOnce() -> R>>,
    instance: Option<Instance<R>>,
    request: Request,
    tree: Option<Node>,
    logs: Vec<(Level, String)>,
    navigations: Vec<String>,
}

impl<R: Route + Default> Default for TestHost<R> {
    fn default() -> Self {
        Self::new(R::default)
    }
}

impl<R: Route> TestHost<R> {
    /// Creates a host for the route that `make` creates. As in the guest,
    /// `make` runs on the first render or event, so it reads the request set
    /// with [`path`](Self::path), [`param`](Self::param) and
    /// [`query`](Self::query).
    pub fn new(make: impl FnOnce() -> R + 'static) -> Self {
        Self {
            make: Some(Box::new(make)),
            instance: None,
            request: Request {
                path: "/".into(),
                ..Request::default()
            },
            tree: None,
            logs: Vec::new(),
            navigations: Vec::new(),
        }
    }

    /// Sets the path that [`request::path`](crate::request::path) returns
    /// (default `/`).
    #[must_use]
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.request.path = path.into();
        self
    }

    /// Adds a route parameter.
    #[must_use]
    pub fn param(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.request.params.push((name.into(), value.into()));
        self
    }

    /// Adds a query pair.
    #[must_use]
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.request.query.push((name.into(), value.into()));
        self
    }

    /// Renders the route, as the host does on mount and after each event,
    /// and returns the tree as the host would use it: normalized, with
    /// script URLs blocked.
    ///
    /// # Panics
    ///
    /// Panics when the host would reject the tree, such as for a `<script>`
    /// element or an `onclick` attribute.
    pub fn render(&mut self) -> &Node {
        self.render_as(false)
    }

    /// Renders the route as a prerender: a write to global state or a
    /// navigation panics, where the real host would trap the guest.
    ///
    /// # Panics
    ///
    /// Panics on such a write, and as [`render`](Self::render) does.
    pub fn prerender(&mut self) -> &Node {
        self.render_as(true)
    }

    fn render_as(&mut self, prerender: bool) -> &Node {
        let mut tree = self.call(prerender, |instance| instance.render_tree());
        if let Err(error) = sanitize(&mut tree) {
            panic!("the host rejects this render: {error}");
        }
        self.tree.insert(tree)
    }

    /// Runs `handler` of the last render with `payload`, then renders again.
    ///
    /// # Errors
    ///
    /// Returns the guest's error: an unknown handler ID, a payload that does
    /// not fit the handler's event, or the handler's own error. The route is
    /// rendered again in every case.
    pub fn fire(&mut self, handler: HandlerId, payload: Payload) -> Result<(), String> {
        let result = self.call(false, |instance| instance.handle_event(handler.0, payload));
        self.render();
        result
    }

    /// Clicks the element with `id`.
    ///
    /// # Errors
    ///
    /// Returns the handler's error, as [`fire`](Self::fire) does.
    ///
    /// # Panics
    ///
    /// Panics when the last render has no element `id` or the element has no
    /// click handler.
    pub fn click(&mut self, id: &str) -> Result<(), String> {
        self.fire_at(id, EventKind::Click, Payload::None)
    }

    /// Sends an `input` event with `value` to the element with `id`.
    ///
    /// # Errors
    ///
    /// As [`click`](Self::click).
    ///
    /// # Panics
    ///
    /// As [`click`](Self::click), for an input handler.
    pub fn input(&mut self, id: &str, value: &str) -> Result<(), String> {
        self.fire_at(id, EventKind::Input, Payload::Value(value.to_owned()))
    }

    /// Sends a `change` event with `value` to the element with `id`. For a
    /// checkbox the browser sends `"on"` when checked and `""` when not.
    ///
    /// # Errors
    ///
    /// As [`click`](Self::click).
    ///
    /// # Panics
    ///
    /// As [`click`](Self::click), for a change handler.
    pub fn change(&mut self, id: &str, value: &str) -> Result<(), String> {
        self.fire_at(id, EventKind::Change, Payload::Value(value.to_owned()))
    }

    /// Submits the form with `id` with `fields` as its name-value pairs.
    ///
    /// # Errors
    ///
    /// As [`click`](Self::click).
    ///
    /// # Panics
    ///
    /// As [`click`](Self::click), for a submit handler.
    pub fn submit(&mut self, id: &str, fields: &[(&str, &str)]) -> Result<(), String> {
        let form = fields.iter().copied().collect::<Form>();
        self.fire_at(id, EventKind::Submit, Payload::Form(form))
    }

    fn fire_at(&mut self, id: &str, kind: EventKind, payload: Payload) -> Result<(), String> {
        let element = self
            .find(id)
            .unwrap_or_else(|| panic!("no element with id `{id}` in the last render"));
        let handler = listener(element, kind)
            .unwrap_or_else(|| panic!("element `{id}` has no `{}` handler", kind.dom_name()));
        self.fire(handler, payload)
    }

    /// Returns the tree of the last render, rendering first if there is
    /// none yet.
    pub fn tree(&mut self) -> &Node {
        if self.tree.is_none() {
            self.render();
        }
        self.tree.as_ref().expect("rendered above")
    }

    /// Returns the element with attribute `id="<id>"` in the last render,
    /// rendering first if there is none yet.
    pub fn find(&mut self, id: &str) -> Option<&Element> {
        self.find_all(|element| element.attr("id") == Some(id))
            .into_iter()
            .next()
    }

    /// Returns every element of the last render for which `matches` is true,
    /// in document order.
    pub fn find_all(&mut self, mut matches: impl FnMut(&Element) -> bool) -> Vec<&Element> {
        let mut found = Vec::new();
        collect(self.tree(), &mut matches, &mut found);
        found
    }

    /// Returns the text content of the element with `id`: all its descendant
    /// text, concatenated.
    pub fn text(&mut self, id: &str) -> Option<String> {
        self.find(id).map(text_content)
    }

    /// Returns the last render as HTML, with listeners written as
    /// `data-trellis-<event>` attributes as in the host's prerender.
    ///
    /// # Panics
    ///
    /// Panics when the tree cannot be written as HTML that parses back into
    /// it; the host rejects such a render too.
    pub fn html(&mut self) -> String {
        to_html(self.tree())
            .unwrap_or_else(|error| panic!("the host cannot write this render as HTML: {error}"))
    }

    /// Returns the route's state.
    pub fn route(&mut self) -> &R {
        self.instance().route()
    }

    /// Returns the log records the route wrote so far.
    pub fn logs(&self) -> &[(Level, String)] {
        &self.logs
    }

    /// Returns the paths the route navigated to so far, oldest first.
    pub fn navigations(&self) -> &[String] {
        &self.navigations
    }

    fn instance(&mut self) -> &mut Instance<R> {
        if self.instance.is_none() {
            let make = self.make.take().expect("the constructor runs once");
            let route = self.call_with_env(false, make);
            self.instance = Some(Instance::new(route));
        }
        self.instance.as_mut().expect("created above")
    }

    /// Calls into the route with this host's request installed, as the host
    /// does for each guest call.
    fn call<T>(&mut self, prerender: bool, f: impl FnOnce(&mut Instance<R>) -> T) -> T {
        self.instance();
        let instance = self.instance.as_mut().expect("created above");

        install(&self.request, prerender);
        let result = f(instance);
        self.collect_output();
        result
    }

    fn call_with_env<T>(&mut self, prerender: bool, f: impl FnOnce() -> T) -> T {
        install(&self.request, prerender);
        let result = f();
        self.collect_output();
        result
    }

    fn collect_output(&mut self) {
        let (logs, navigations) = with_env(|env| {
            env.prerender = false;
            (
                std::mem::take(&mut env.logs),
                std::mem::take(&mut env.navigations),
            )
        });
        self.logs.extend(logs);
        self.navigations.extend(navigations);
    }
}

fn install(request: &Request, prerender: bool) {
    with_env(|env| {
        env.request = request.clone();
        env.prerender = prerender;
    });
}

/// Returns the handler ID that `element` has for events of `kind`.
pub fn listener(element: &Element, kind: EventKind) -> Option<HandlerId> {
    element
        .listeners
        .iter()
        .find(|listener| listener.kind == kind)
        .map(|listener| listener.handler)
}

/// Returns true when the element's `class` attribute contains `class`.
pub fn has_class(element: &Element, class: &str) -> bool {
    element
        .attr("class")
        .is_some_and(|classes| classes.split_ascii_whitespace().any(|name| name == class))
}

/// Returns the text content of an element: all its descendant text.
pub fn text_content(element: &Element) -> String {
    let mut text = String::new();
    for child in &element.children {
        match child {
            Node::Text(run) => text.push_str(run),
            Node::Element(child) => text.push_str(&text_content(child)),
        }
    }
    text
}

fn collect<'a>(
    node: &'a Node,
    matches: &mut impl FnMut(&Element) -> bool,
    found: &mut Vec<&'a Element>,
) {
    if let Node::Element(element) = node {
        if matches(element) {
            found.push(element);
        }
        for child in &element.children {
            collect(child, matches, found);
        }
    }
}
