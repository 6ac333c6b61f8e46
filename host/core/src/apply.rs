//! Applying patch ops to a VDOM, as the browser runtime applies them to the
//! DOM.
//!
//! The host uses it to check diffs, and tests use it as the reference for
//! the browser runtime's behavior.

use std::fmt;

use crate::patch::{Op, Path};
use crate::vdom::{Attr, Element, EventKind, HandlerId, Listener, Node};

/// The error returned when an op cannot be applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApplyError {
    /// Position of the failed op in the op list.
    pub op_index: usize,
    /// The reason the op failed.
    pub kind: ApplyErrorKind,
}

/// The reason an op could not be applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApplyErrorKind {
    /// A replace or set op named the empty path, which is the container
    /// element itself rather than one of its nodes.
    EmptyPath,
    /// No node exists at this path.
    NotFound {
        /// The path up to and including the missing index.
        path: Path,
    },
    /// The path goes through, or an element op targets, a text node.
    NotAnElement {
        /// The path of the text node.
        path: Path,
    },
    /// `SetText` targets an element.
    NotText {
        /// The path of the element.
        path: Path,
    },
    /// An insert, remove or move index is past the end of the child list.
    IndexOutOfRange {
        /// The parent element.
        parent: Path,
        /// The invalid index.
        index: u32,
        /// The child count when the op ran.
        len: usize,
    },
    /// A `data-trellis-<event>` attribute value is not a decimal handler ID.
    InvalidHandlerId {
        /// The attribute name.
        name: String,
        /// The attribute value.
        value: String,
    },
}

impl fmt::Display for ApplyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid patch op {}: ", self.op_index)?;
        match &self.kind {
            ApplyErrorKind::EmptyPath => {
                write!(f, "the empty path names the container, not a node")
            }
            ApplyErrorKind::NotFound { path } => write!(f, "no node at path {path:?}"),
            ApplyErrorKind::NotAnElement { path } => {
                write!(f, "node at path {path:?} is text, not an element")
            }
            ApplyErrorKind::NotText { path } => {
                write!(f, "node at path {path:?} is an element, not text")
            }
            ApplyErrorKind::IndexOutOfRange { parent, index, len } => {
                write!(
                    f,
                    "index {index} is out of range for the {len} children of {parent:?}"
                )
            }
            ApplyErrorKind::InvalidHandlerId { name, value } => {
                write!(
                    f,
                    "attribute {name} has value {value:?}, which is not a handler ID"
                )
            }
        }
    }
}

impl std::error::Error for ApplyError {}

/// Applies `ops` in order to `root`, the child list of the route's container
/// element.
///
/// A `data-trellis-<event>` attribute op changes the element's listener for
/// that event. Adjacent text nodes stay separate, as they do in the DOM.
///
/// # Errors
///
/// Returns [`ApplyError`] for the first op whose path or index is invalid.
/// The ops before it stay applied, as they would in the browser.
pub fn apply(root: &mut Vec<Node>, ops: &[Op]) -> Result<(), ApplyError> {
    for (op_index, op) in ops.iter().enumerate() {
        apply_op(root, op).map_err(|kind| ApplyError { op_index, kind })?;
    }
    Ok(())
}

fn apply_op(root: &mut Vec<Node>, op: &Op) -> Result<(), ApplyErrorKind> {
    match op {
        Op::Replace { path, node } => {
            *node_mut(root, path)? = node.clone();
        }
        Op::Insert {
            parent,
            index,
            node,
        } => {
            let children = children_mut(root, parent)?;
            let position = checked_index(parent, *index, children.len(), true)?;
            children.insert(position, node.clone());
        }
        Op::Remove { parent, index } => {
            let children = children_mut(root, parent)?;
            let position = checked_index(parent, *index, children.len(), false)?;
            children.remove(position);
        }
        Op::Move { parent, from, to } => {
            let children = children_mut(root, parent)?;
            let from = checked_index(parent, *from, children.len(), false)?;
            // After taking the child out, `to` may be at most the new end,
            // which is `len - 1`.
            let to = checked_index(parent, *to, children.len(), false)?;
            let child = children.remove(from);
            children.insert(to, child);
        }
        Op::SetAttr { path, name, value } => {
            set_attr(element_mut(root, path)?, name, value)?;
        }
        Op::RemoveAttr { path, name } => {
            remove_attr(element_mut(root, path)?, name);
        }
        Op::SetText { path, text } => match node_mut(root, path)? {
            Node::Text(content) => text.clone_into(content),
            Node::Element(_) => return Err(ApplyErrorKind::NotText { path: path.clone() }),
        },
    }
    Ok(())
}

/// Converts `index` to a position in a child list of `len` children. The end
/// position `len` is valid only when `allow_end` is set.
fn checked_index(
    parent: &Path,
    index: u32,
    len: usize,
    allow_end: bool,
) -> Result<usize, ApplyErrorKind> {
    match usize::try_from(index) {
        Ok(position) if position < len || (allow_end && position == len) => Ok(position),
        _ => Err(ApplyErrorKind::IndexOutOfRange {
            parent: parent.clone(),
            index,
            len,
        }),
    }
}

/// Returns the child list of the element at `path`. The empty path is the
/// container.
fn children_mut<'a>(
    root: &'a mut Vec<Node>,
    path: &[u32],
) -> Result<&'a mut Vec<Node>, ApplyErrorKind> {
    let mut children = root;
    for (depth, &index) in path.iter().enumerate() {
        let position = usize::try_from(index).unwrap_or(usize::MAX);
        match children.get_mut(position) {
            Some(Node::Element(element)) => children = &mut element.children,
            Some(Node::Text(_)) => {
                return Err(ApplyErrorKind::NotAnElement {
                    path: path[..=depth].to_vec(),
                });
            }
            None => {
                return Err(ApplyErrorKind::NotFound {
                    path: path[..=depth].to_vec(),
                });
            }
        }
    }
    Ok(children)
}

fn node_mut<'a>(root: &'a mut Vec<Node>, path: &[u32]) -> Result<&'a mut Node, ApplyErrorKind> {
    let (&last, parent) = path.split_last().ok_or(ApplyErrorKind::EmptyPath)?;
    let position = usize::try_from(last).unwrap_or(usize::MAX);
    children_mut(root, parent)?
        .get_mut(position)
        .ok_or_else(|| ApplyErrorKind::NotFound {
            path: path.to_vec(),
        })
}

fn element_mut<'a>(
    root: &'a mut Vec<Node>,
    path: &[u32],
) -> Result<&'a mut Element, ApplyErrorKind> {
    match node_mut(root, path)? {
        Node::Element(element) => Ok(element),
        Node::Text(_) => Err(ApplyErrorKind::NotAnElement {
            path: path.to_vec(),
        }),
    }
}

fn listener_kind(name: &str) -> Option<EventKind> {
    EventKind::ALL
        .into_iter()
        .find(|kind| kind.dom_attr() == name)
}

fn set_attr(element: &mut Element, name: &str, value: &str) -> Result<(), ApplyErrorKind> {
    if let Some(kind) = listener_kind(name) {
        // The DOM attribute carries `HandlerId` in decimal, as `dom_attrs`
        // writes it.
        let handler = value
            .parse::<u32>()
            .ok()
            .filter(|id| id.to_string() == value)
            .ok_or_else(|| ApplyErrorKind::InvalidHandlerId {
                name: name.to_owned(),
                value: value.to_owned(),
            })?;
        let listener = Listener {
            kind,
            handler: HandlerId(handler),
        };
        match element
            .listeners
            .binary_search_by_key(&kind, |listener| listener.kind)
        {
            Ok(position) => element.listeners[position] = listener,
            Err(position) => element.listeners.insert(position, listener),
        }
        return Ok(());
    }
    match element
        .attrs
        .binary_search_by(|attr| attr.name.as_str().cmp(name))
    {
        Ok(position) => value.clone_into(&mut element.attrs[position].value),
        Err(position) => element.attrs.insert(
            position,
            Attr {
                name: name.to_owned(),
                value: value.to_owned(),
            },
        ),
    }
    Ok(())
}

/// Removes an attribute. A missing attribute is no error, as with the DOM's
/// `removeAttribute`.
fn remove_attr(element: &mut Element, name: &str) {
    if let Some(kind) = listener_kind(name) {
        element.listeners.retain(|listener| listener.kind != kind);
    } else {
        element.attrs.retain(|attr| attr.name != name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> Vec<Node> {
        let mut div = Element::new("div");
        div.children = vec![Node::text("a"), Node::Element(Element::new("p"))];
        vec![Node::Element(div)]
    }

    fn apply_one(op: Op) -> Result<Vec<Node>, ApplyError> {
        let mut root = tree();
        apply(&mut root, &[op])?;
        Ok(root)
    }

    #[test]
    fn insert_at_end_appends() {
        let root = apply_one(Op::Insert {
            parent: vec![0],
            index: 2,
            node: Node::text("b"),
        })
        .unwrap();

        let children = &root[0].as_element().unwrap().children;
        assert_eq!(children.len(), 3);
        assert_eq!(children[2], Node::text("b"));
    }

    #[test]
    fn insert_keeps_adjacent_text_separate() {
        let root = apply_one(Op::Insert {
            parent: vec![0],
            index: 1,
            node: Node::text("b"),
        })
        .unwrap();

        let children = &root[0].as_element().unwrap().children;
        assert_eq!(children[..2], [Node::text("a"), Node::text("b")]);
    }

    #[test]
    fn insert_past_end_is_error() {
        let error = apply_one(Op::Insert {
            parent: vec![0],
            index: 3,
            node: Node::text("b"),
        })
        .unwrap_err();

        assert!(
            matches!(error.kind, ApplyErrorKind::IndexOutOfRange { index: 3, .. }),
            "{error}"
        );
    }

    #[test]
    fn move_to_end() {
        let root = apply_one(Op::Move {
            parent: vec![0],
            from: 0,
            to: 1,
        })
        .unwrap();

        let children = &root[0].as_element().unwrap().children;
        assert_eq!(children[1], Node::text("a"));
    }

    #[test]
    fn move_past_end_is_error() {
        let error = apply_one(Op::Move {
            parent: vec![0],
            from: 0,
            to: 2,
        })
        .unwrap_err();

        assert!(
            matches!(error.kind, ApplyErrorKind::IndexOutOfRange { index: 2, .. }),
            "{error}"
        );
    }

    #[test]
    fn remove_missing_child_is_error() {
        let error = apply_one(Op::Remove {
            parent: vec![0],
            index: 2,
        })
        .unwrap_err();

        assert!(
            matches!(error.kind, ApplyErrorKind::IndexOutOfRange { .. }),
            "{error}"
        );
    }

    #[test]
    fn path_through_text_is_error() {
        let error = apply_one(Op::Remove {
            parent: vec![0, 0],
            index: 0,
        })
        .unwrap_err();

        assert_eq!(
            error.kind,
            ApplyErrorKind::NotAnElement { path: vec![0, 0] }
        );
    }

    #[test]
    fn missing_path_is_error() {
        let error = apply_one(Op::SetText {
            path: vec![0, 5, 1],
            text: "x".into(),
        })
        .unwrap_err();

        assert_eq!(error.kind, ApplyErrorKind::NotFound { path: vec![0, 5] });
    }

    #[test]
    fn huge_index_is_error() {
        let error = apply_one(Op::Replace {
            path: vec![u32::MAX],
            node: Node::text("x"),
        })
        .unwrap_err();

        assert_eq!(
            error.kind,
            ApplyErrorKind::NotFound {
                path: vec![u32::MAX]
            }
        );
    }

    #[test]
    fn replace_empty_path_is_error() {
        let error = apply_one(Op::Replace {
            path: vec![],
            node: Node::text("x"),
        })
        .unwrap_err();

        assert_eq!(error.kind, ApplyErrorKind::EmptyPath);
    }

    #[test]
    fn set_text_on_element_is_error() {
        let error = apply_one(Op::SetText {
            path: vec![0, 1],
            text: "x".into(),
        })
        .unwrap_err();

        assert_eq!(error.kind, ApplyErrorKind::NotText { path: vec![0, 1] });
    }

    #[test]
    fn set_attr_on_text_is_error() {
        let error = apply_one(Op::SetAttr {
            path: vec![0, 0],
            name: "id".into(),
            value: "x".into(),
        })
        .unwrap_err();

        assert_eq!(
            error.kind,
            ApplyErrorKind::NotAnElement { path: vec![0, 0] }
        );
    }

    #[test]
    fn set_attr_keeps_name_order() {
        let mut root = tree();
        let ops = [
            Op::SetAttr {
                path: vec![0],
                name: "title".into(),
                value: "t".into(),
            },
            Op::SetAttr {
                path: vec![0],
                name: "class".into(),
                value: "c".into(),
            },
            Op::SetAttr {
                path: vec![0],
                name: "title".into(),
                value: "u".into(),
            },
        ];

        apply(&mut root, &ops).unwrap();

        let attrs = &root[0].as_element().unwrap().attrs;
        assert_eq!(attrs.len(), 2);
        assert_eq!(attrs[0].name, "class");
        assert_eq!(attrs[1].value, "u");
    }

    #[test]
    fn listener_attr_sets_listener() {
        let mut root = tree();
        let ops = [
            Op::SetAttr {
                path: vec![0],
                name: "data-trellis-submit".into(),
                value: "4".into(),
            },
            Op::SetAttr {
                path: vec![0],
                name: "data-trellis-click".into(),
                value: "3".into(),
            },
        ];

        apply(&mut root, &ops).unwrap();

        let element = root[0].as_element().unwrap();
        assert!(element.attrs.is_empty());
        assert_eq!(
            element.listeners,
            vec![
                Listener {
                    kind: EventKind::Click,
                    handler: HandlerId(3)
                },
                Listener {
                    kind: EventKind::Submit,
                    handler: HandlerId(4)
                },
            ]
        );
    }

    #[test]
    fn listener_attr_rejects_non_numbers() {
        for value in ["x", "", "+1", "01", "4294967296"] {
            let error = apply_one(Op::SetAttr {
                path: vec![0],
                name: "data-trellis-click".into(),
                value: value.into(),
            })
            .unwrap_err();

            assert!(
                matches!(error.kind, ApplyErrorKind::InvalidHandlerId { .. }),
                "{value:?}: {error}"
            );
        }
    }

    #[test]
    fn remove_attr_removes_listener() {
        let mut root = tree();
        let ops = [
            Op::SetAttr {
                path: vec![0],
                name: "data-trellis-input".into(),
                value: "1".into(),
            },
            Op::RemoveAttr {
                path: vec![0],
                name: "data-trellis-input".into(),
            },
            Op::RemoveAttr {
                path: vec![0],
                name: "missing".into(),
            },
        ];

        apply(&mut root, &ops).unwrap();

        assert!(root[0].as_element().unwrap().listeners.is_empty());
    }

    #[test]
    fn error_names_failed_op() {
        let mut root = tree();
        let ops = [
            Op::Remove {
                parent: vec![0],
                index: 0,
            },
            Op::Remove {
                parent: vec![0],
                index: 1,
            },
        ];

        let error = apply(&mut root, &ops).unwrap_err();

        assert_eq!(error.op_index, 1);
        assert_eq!(
            error.to_string(),
            "invalid patch op 1: index 1 is out of range for the 1 children of [0]"
        );
    }
}
