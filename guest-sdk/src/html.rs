//! Builders for the VDOM tree that a route renders.
//!
//! [`Element<R>`] builds one element: tag, attributes, key, event handlers and
//! children. [`View<R>`] is any child node, an element or text. The type
//! parameter `R` is the route type whose state the event handlers change, so a
//! handler attached anywhere in the tree receives `&mut R`.
//!
//! Tag and attribute names are ASCII-lowercased, because HTML is
//! case-insensitive and the VDOM stores them in lowercase.

use std::fmt::Display;

use trellis_core::vdom::{self, Attr, EventKind, HandlerId, Listener, RESERVED_ATTR_PREFIX};

use crate::event::{Form, HandlerResult, Payload};

/// A handler closure with the payload check done by the caller.
pub(crate) type HandlerFn<R> = Box<dyn FnMut(&mut R, Payload) -> Result<(), String>>;

/// An event handler that a render issued, kept until the next render.
pub(crate) struct Handler<R> {
    /// The event it listens to, which fixes the payload it accepts.
    pub(crate) kind: EventKind,
    pub(crate) run: HandlerFn<R>,
}

/// An element under construction, with event handlers that act on route `R`.
///
/// Create one with a tag function such as [`div`] or with [`el`], then chain
/// methods:
///
/// ```
/// use trellis::html::{button, div, Element};
///
/// #[derive(Default)]
/// struct Counter {
///     count: i64,
/// }
///
/// let view: Element<Counter> = div()
///     .class("counter")
///     .child(button().id("increment").text("+1").on_click(|s: &mut Counter| s.count += 1));
/// ```
#[must_use = "an element does nothing until it is part of the rendered tree"]
pub struct Element<R> {
    tag: String,
    key: Option<String>,
    attrs: Vec<Attr>,
    listeners: Vec<Handler<R>>,
    children: Vec<View<R>>,
}

/// A child node: an element or a run of text.
///
/// Anything that converts into a `View<R>` can be a child: an [`Element<R>`],
/// a `&str` or `String` (text), or the result of [`text`].
#[must_use = "a view does nothing until it is part of the rendered tree"]
pub enum View<R> {
    /// An element.
    Element(Element<R>),
    /// Text content, escaped by the host when written as HTML.
    Text(String),
}

/// Creates an element with tag `tag`, for tags without a function of their
/// own.
pub fn el<R>(tag: impl Into<String>) -> Element<R> {
    let mut tag = tag.into();
    tag.make_ascii_lowercase();
    Element {
        tag,
        key: None,
        attrs: Vec::new(),
        listeners: Vec::new(),
        children: Vec::new(),
    }
}

/// Creates a text node from anything that implements `Display`, such as a
/// string or a number.
pub fn text<R>(text: impl Display) -> View<R> {
    View::Text(text.to_string())
}

macro_rules! tag_functions {
    ($($name:ident),* $(,)?) => {
        $(
            #[doc = concat!("Creates a `<", stringify!($name), ">` element.")]
            pub fn $name<R>() -> Element<R> {
                el(stringify!($name))
            }
        )*
    };
}

tag_functions!(
    a, article, aside, br, button, code, dd, details, div, dl, dt, em, fieldset, footer, form, h1,
    h2, h3, h4, h5, h6, header, hr, img, input, label, legend, li, main, nav, ol, option, p, pre,
    section, select, small, span, strong, summary, table, tbody, td, textarea, tfoot, th, thead,
    tr, ul,
);

impl<R: 'static> Element<R> {
    /// Sets attribute `name` to `value`, replacing an earlier value.
    ///
    /// Names starting with `data-trellis-` are reserved for the listener
    /// markup that the host writes, so the SDK drops such attributes and logs
    /// a warning.
    pub fn attr(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        let mut name = name.into();
        name.make_ascii_lowercase();
        if name.starts_with(RESERVED_ATTR_PREFIX) {
            crate::log::write(
                crate::log::Level::Warn,
                &format!(
                    "attribute `{name}` on <{}> dropped: the `{RESERVED_ATTR_PREFIX}` prefix is reserved",
                    self.tag
                ),
            );
            return self;
        }
        let value = value.into();
        match self.attrs.iter_mut().find(|attr| attr.name == name) {
            Some(attr) => attr.value = value,
            None => self.attrs.push(Attr { name, value }),
        }
        self
    }

    /// Sets a boolean attribute such as `checked` or `disabled`: present with
    /// an empty value when `on` is true, absent otherwise.
    pub fn bool_attr(mut self, name: impl Into<String>, on: bool) -> Self {
        let mut name = name.into();
        name.make_ascii_lowercase();
        if on {
            return self.attr(name, "");
        }
        self.attrs.retain(|attr| attr.name != name);
        self
    }

    /// Sets the `id` attribute.
    pub fn id(self, id: impl Into<String>) -> Self {
        self.attr("id", id)
    }

    /// Adds one or more space-separated class names to the `class` attribute,
    /// after the classes added before.
    pub fn class(mut self, class: impl AsRef<str>) -> Self {
        let class = class.as_ref().trim();
        if class.is_empty() {
            return self;
        }
        match self.attrs.iter_mut().find(|attr| attr.name == "class") {
            Some(attr) if !attr.value.is_empty() => {
                attr.value.push(' ');
                attr.value.push_str(class);
            }
            Some(attr) => attr.value = class.to_owned(),
            None => self.attrs.push(Attr {
                name: "class".into(),
                value: class.to_owned(),
            }),
        }
        self
    }

    /// Adds `class` when `condition` is true, as [`class`](Self::class) does.
    pub fn class_if(self, condition: bool, class: impl AsRef<str>) -> Self {
        if condition { self.class(class) } else { self }
    }

    /// Sets the `href` attribute.
    pub fn href(self, href: impl Into<String>) -> Self {
        self.attr("href", href)
    }

    /// Sets the `name` attribute, which names a form field.
    pub fn name(self, name: impl Into<String>) -> Self {
        self.attr("name", name)
    }

    /// Sets the `value` attribute. The host's patches also update the live
    /// `value` property, so this controls an input the user has edited.
    pub fn value(self, value: impl Into<String>) -> Self {
        self.attr("value", value)
    }

    /// Sets the `placeholder` attribute.
    pub fn placeholder(self, placeholder: impl Into<String>) -> Self {
        self.attr("placeholder", placeholder)
    }

    /// Sets or removes the `checked` boolean attribute.
    pub fn checked(self, checked: bool) -> Self {
        self.bool_attr("checked", checked)
    }

    /// Sets or removes the `disabled` boolean attribute.
    pub fn disabled(self, disabled: bool) -> Self {
        self.bool_attr("disabled", disabled)
    }

    /// Sets the key that identifies this element among its siblings.
    ///
    /// Give every item of a list a stable key (such as a database ID), so an
    /// insertion or removal moves the DOM nodes of the other items instead of
    /// rewriting them, and inputs inside them keep their state.
    pub fn key(mut self, key: impl Into<String>) -> Self {
        self.key = Some(key.into());
        self
    }

    /// Appends a child: an element, text, or any other [`View`].
    pub fn child(mut self, child: impl Into<View<R>>) -> Self {
        self.children.push(child.into());
        self
    }

    /// Appends every child that `children` yields.
    ///
    /// An `Option` is an iterator too, so `.children(condition.then(|| ...))`
    /// appends a child only when the condition holds.
    pub fn children<I>(mut self, children: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<View<R>>,
    {
        self.children.extend(children.into_iter().map(Into::into));
        self
    }

    /// Appends a text child made from anything that implements `Display`,
    /// such as a string or a number.
    pub fn text(self, text: impl Display) -> Self {
        self.child(View::Text(text.to_string()))
    }

    /// Runs `handler` when the element is clicked.
    ///
    /// The handler returns `()` or a `Result<(), E>` with `E: Display`; an
    /// error reaches the host as the event's error.
    pub fn on_click<F, O>(self, mut handler: F) -> Self
    where
        F: FnMut(&mut R) -> O + 'static,
        O: HandlerResult,
    {
        self.listen(
            EventKind::Click,
            Box::new(move |route, _payload| handler(route).into_result()),
        )
    }

    /// Runs `handler` with the element's current value on every `input`
    /// event, that is on each edit of an input or textarea.
    pub fn on_input<F, O>(self, mut handler: F) -> Self
    where
        F: FnMut(&mut R, String) -> O + 'static,
        O: HandlerResult,
    {
        self.listen(
            EventKind::Input,
            Box::new(move |route, payload| handler(route, payload.into_value()).into_result()),
        )
    }

    /// Runs `handler` with the element's value on `change` events, which fire
    /// when an edit is committed or a select, checkbox or radio changes.
    ///
    /// A checkbox or radio reports `"on"` when checked and `""` when not;
    /// [`on_checked`](Self::on_checked) turns that into a `bool`.
    pub fn on_change<F, O>(self, mut handler: F) -> Self
    where
        F: FnMut(&mut R, String) -> O + 'static,
        O: HandlerResult,
    {
        self.listen(
            EventKind::Change,
            Box::new(move |route, payload| handler(route, payload.into_value()).into_result()),
        )
    }

    /// Runs `handler` with the new checked state of a checkbox or radio when
    /// it changes. It listens to the `change` event, so it replaces an
    /// [`on_change`](Self::on_change) handler on the same element.
    pub fn on_checked<F, O>(self, mut handler: F) -> Self
    where
        F: FnMut(&mut R, bool) -> O + 'static,
        O: HandlerResult,
    {
        self.listen(
            EventKind::Change,
            Box::new(move |route, payload| {
                handler(route, !payload.into_value().is_empty()).into_result()
            }),
        )
    }

    /// Runs `handler` with the form's fields when the form is submitted. The
    /// browser's own submission (a page load) does not happen.
    pub fn on_submit<F, O>(self, mut handler: F) -> Self
    where
        F: FnMut(&mut R, Form) -> O + 'static,
        O: HandlerResult,
    {
        self.listen(
            EventKind::Submit,
            Box::new(move |route, payload| handler(route, payload.into_form()).into_result()),
        )
    }

    /// Stores a listener, replacing an earlier one for the same event: an
    /// element has at most one handler per event kind.
    fn listen(mut self, kind: EventKind, run: HandlerFn<R>) -> Self {
        self.listeners.retain(|listener| listener.kind != kind);
        self.listeners.push(Handler { kind, run });
        self
    }

    /// Converts the builder into a VDOM element, moving its handlers into
    /// `handlers` in document order. A handler's ID is its index there.
    pub(crate) fn build(self, handlers: &mut Vec<Handler<R>>) -> vdom::Node {
        let mut element = vdom::Element::new(self.tag);
        element.key = self.key;
        element.attrs = self.attrs;
        for handler in self.listeners {
            let id =
                u32::try_from(handlers.len()).expect("more than u32::MAX handlers in one render");
            element.listeners.push(Listener {
                kind: handler.kind,
                handler: HandlerId(id),
            });
            handlers.push(handler);
        }
        element.children = self
            .children
            .into_iter()
            .map(|child| child.build(handlers))
            .collect();
        vdom::Node::Element(element)
    }
}

impl<R: 'static> View<R> {
    fn build(self, handlers: &mut Vec<Handler<R>>) -> vdom::Node {
        match self {
            Self::Element(element) => element.build(handlers),
            Self::Text(text) => vdom::Node::Text(text),
        }
    }
}

impl<R> From<Element<R>> for View<R> {
    fn from(element: Element<R>) -> Self {
        Self::Element(element)
    }
}

impl<R> From<String> for View<R> {
    fn from(text: String) -> Self {
        Self::Text(text)
    }
}

impl<R> From<&str> for View<R> {
    fn from(text: &str) -> Self {
        Self::Text(text.to_owned())
    }
}

impl<R> From<&String> for View<R> {
    fn from(text: &String) -> Self {
        Self::Text(text.clone())
    }
}
