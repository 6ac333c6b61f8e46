//! Patch operations that turn one rendered tree into the next.
//!
//! A patch is a list of [`Op`]s applied in order. Every op names its target
//! by a [`Path`]: child indices from the route's container element, so the
//! route's root node is `[0]`. A path is resolved against the DOM as it is
//! when that op runs, after the ops before it.

use crate::vdom::Node;

/// Child indices from the route's container element down to a node.
pub type Path = Vec<u32>;

/// One DOM change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// Replaces the node at `path` with `node`.
    Replace {
        /// The node to replace.
        path: Path,
        /// The new node.
        node: Node,
    },
    /// Inserts `node` into the element at `parent` before the child at
    /// `index`, or at the end when `index` equals the child count.
    Insert {
        /// The parent element.
        parent: Path,
        /// Position of the new child.
        index: u32,
        /// The new child.
        node: Node,
    },
    /// Removes the child at `index` of the element at `parent`.
    Remove {
        /// The parent element.
        parent: Path,
        /// Position of the child to remove.
        index: u32,
    },
    /// Moves the child at `from` of the element at `parent` so that it ends
    /// up at position `to`: the child is taken out first, then inserted
    /// before the child that is then at `to` (or at the end).
    Move {
        /// The parent element.
        parent: Path,
        /// Current position of the child.
        from: u32,
        /// Position of the child after the move.
        to: u32,
    },
    /// Sets attribute `name` of the element at `path` to `value`.
    SetAttr {
        /// The element.
        path: Path,
        /// Attribute name, which may be a `data-trellis-<event>` listener
        /// attribute.
        name: String,
        /// New value.
        value: String,
    },
    /// Removes attribute `name` from the element at `path`.
    RemoveAttr {
        /// The element.
        path: Path,
        /// Attribute name.
        name: String,
    },
    /// Sets the content of the text node at `path`.
    SetText {
        /// The text node.
        path: Path,
        /// New content.
        text: String,
    },
}
