//! The virtual DOM tree that a route renders.

use bincode::{Decode, Encode};

/// One node of a rendered tree: an element or a run of text.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Encode, Decode)]
pub enum Node {
    /// An HTML element with attributes, listeners and children.
    Element(Element),
    /// Text content, escaped when serialized to HTML.
    Text(String),
}

/// An HTML element.
///
/// In canonical form `attrs` are sorted by name with no duplicates,
/// `listeners` are sorted by event kind with no duplicates, and `children`
/// hold no empty text node and no two adjacent text nodes. [`Node::normalize`]
/// produces that form.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Encode, Decode)]
pub struct Element {
    /// Lowercase tag name, such as `div`.
    pub tag: String,
    /// Identity among keyed siblings; the diff matches keyed children by it.
    pub key: Option<String>,
    /// Attributes in name order.
    pub attrs: Vec<Attr>,
    /// Event listeners in [`EventKind`] order.
    pub listeners: Vec<Listener>,
    /// Child nodes in document order.
    pub children: Vec<Node>,
}

/// One attribute of an element.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode)]
pub struct Attr {
    /// Lowercase attribute name.
    pub name: String,
    /// Attribute value, unescaped.
    pub value: String,
}

/// A UI event that a route can listen to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode)]
pub enum EventKind {
    /// A `click` event; it carries no payload.
    Click,
    /// An `input` event; it carries the element's current value.
    Input,
    /// A `change` event; it carries the element's current value.
    Change,
    /// A `submit` event on a form; it carries the form's fields.
    Submit,
}

impl EventKind {
    /// Every event kind, in canonical order.
    pub const ALL: [EventKind; 4] = [Self::Click, Self::Input, Self::Change, Self::Submit];

    /// Returns the DOM event name, such as `click`.
    pub fn dom_name(self) -> &'static str {
        match self {
            Self::Click => "click",
            Self::Input => "input",
            Self::Change => "change",
            Self::Submit => "submit",
        }
    }

    /// Returns the DOM attribute that carries the handler ID of this event in
    /// rendered HTML, such as `data-trellis-click`.
    pub fn dom_attr(self) -> &'static str {
        match self {
            Self::Click => "data-trellis-click",
            Self::Input => "data-trellis-input",
            Self::Change => "data-trellis-change",
            Self::Submit => "data-trellis-submit",
        }
    }
}

/// An ID that the guest SDK assigned to an event handler during a render.
///
/// The browser sends it back with an event; it is a number, never code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode)]
pub struct HandlerId(pub u32);

/// An event listener: which event, and which handler the route runs for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Encode, Decode)]
pub struct Listener {
    /// The event listened to.
    pub kind: EventKind,
    /// The handler the guest runs when the event fires.
    pub handler: HandlerId,
}

/// The prefix of attribute names that Trellis reserves for its own markup.
pub const RESERVED_ATTR_PREFIX: &str = "data-trellis-";

impl Node {
    /// Creates a text node.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }

    /// Returns the element, or `None` for a text node.
    pub fn as_element(&self) -> Option<&Element> {
        match self {
            Self::Element(element) => Some(element),
            Self::Text(_) => None,
        }
    }

    /// Returns the key of an element node.
    pub fn key(&self) -> Option<&str> {
        self.as_element().and_then(|element| element.key.as_deref())
    }

    /// Puts the tree into canonical form: attributes sorted by name (the last
    /// of duplicate names wins), listeners sorted by kind (the last of
    /// duplicate kinds wins), adjacent text nodes merged and empty text nodes
    /// dropped.
    ///
    /// Two trees that render the same DOM normalize to equal trees, and so
    /// encode to the same bytes. An HTML parser also merges adjacent text,
    /// so the normalized tree matches the DOM that the browser builds from
    /// the serialized HTML.
    pub fn normalize(&mut self) {
        if let Self::Element(element) = self {
            element.normalize();
        }
    }

    /// Counts the nodes of the tree, this one included.
    pub fn count_nodes(&self) -> usize {
        match self {
            Self::Text(_) => 1,
            Self::Element(element) => {
                1 + element
                    .children
                    .iter()
                    .map(Node::count_nodes)
                    .sum::<usize>()
            }
        }
    }
}

impl Element {
    /// Creates an element with no attributes, listeners or children.
    pub fn new(tag: impl Into<String>) -> Self {
        Self {
            tag: tag.into(),
            key: None,
            attrs: Vec::new(),
            listeners: Vec::new(),
            children: Vec::new(),
        }
    }

    /// Returns the value of attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|attr| attr.name == name)
            .map(|attr| attr.value.as_str())
    }

    /// Returns every attribute the DOM element carries, in name order: the
    /// element's own attributes and one `data-trellis-<event>` attribute per
    /// listener, whose value is the handler ID.
    pub fn dom_attrs(&self) -> Vec<(&str, String)> {
        let mut attrs: Vec<(&str, String)> = self
            .attrs
            .iter()
            .map(|attr| (attr.name.as_str(), attr.value.clone()))
            .chain(
                self.listeners
                    .iter()
                    .map(|listener| (listener.kind.dom_attr(), listener.handler.0.to_string())),
            )
            .collect();
        attrs.sort_by(|a, b| a.0.cmp(b.0));
        attrs
    }

    fn normalize(&mut self) {
        // A stable sort keeps duplicates in insertion order, so keeping the
        // last of each run keeps the value that was set last.
        self.attrs.sort_by(|a, b| a.name.cmp(&b.name));
        dedup_keep_last(&mut self.attrs, |a, b| a.name == b.name);
        self.listeners.sort_by_key(|listener| listener.kind);
        dedup_keep_last(&mut self.listeners, |a, b| a.kind == b.kind);

        let children = std::mem::take(&mut self.children);
        for mut child in children {
            match (&mut child, self.children.last_mut()) {
                (Node::Text(text), _) if text.is_empty() => {}
                (Node::Text(text), Some(Node::Text(previous))) => previous.push_str(text),
                _ => {
                    child.normalize();
                    self.children.push(child);
                }
            }
        }
    }
}

fn dedup_keep_last<T>(items: &mut Vec<T>, same: impl Fn(&T, &T) -> bool) {
    let mut kept: Vec<T> = Vec::with_capacity(items.len());
    for item in items.drain(..) {
        match kept.last_mut() {
            Some(last) if same(last, &item) => *last = item,
            _ => kept.push(item),
        }
    }
    *items = kept;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_sorts_and_dedups_attrs() {
        let mut element = Element::new("a");
        for (name, value) in [("title", "1"), ("href", "/x"), ("title", "2")] {
            element.attrs.push(Attr {
                name: name.into(),
                value: value.into(),
            });
        }
        let mut node = Node::Element(element);

        node.normalize();

        let element = node.as_element().unwrap();
        assert_eq!(element.attrs.len(), 2);
        assert_eq!(element.attrs[0].name, "href");
        assert_eq!(element.attr("title"), Some("2"));
    }

    #[test]
    fn normalize_merges_adjacent_text() {
        let mut element = Element::new("p");
        element.children = vec![
            Node::text("a"),
            Node::text(""),
            Node::text("b"),
            Node::Element(Element::new("br")),
            Node::text(""),
        ];
        let mut node = Node::Element(element);

        node.normalize();

        let children = &node.as_element().unwrap().children;
        assert_eq!(children.len(), 2);
        assert_eq!(children[0], Node::text("ab"));
    }

    #[test]
    fn dom_attrs_include_listeners() {
        let mut element = Element::new("button");
        element.attrs.push(Attr {
            name: "class".into(),
            value: "x".into(),
        });
        element.listeners.push(Listener {
            kind: EventKind::Click,
            handler: HandlerId(7),
        });

        let attrs = element.dom_attrs();

        assert_eq!(
            attrs,
            vec![
                ("class", "x".to_string()),
                ("data-trellis-click", "7".to_string())
            ]
        );
    }
}
