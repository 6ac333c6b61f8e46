//! The parts of Trellis that both the host and route guests compile: the
//! virtual DOM, its canonical encoding, and everything the host does with a
//! rendered tree short of running a guest.
//!
//! A guest builds a [`Node`] tree and sends it as canonical bincode
//! ([`encode_node`]). The host decodes it ([`decode_node`]), normalizes it
//! ([`Node::normalize`]) and checks it with [`sanitize`]. For a prerendered
//! page it writes HTML ([`to_html`]). For a mounted route it computes the
//! [`Op`]s from the previous render with [`diff()`] and sends them in their JSON
//! form ([`JsonOp`]). [`apply()`] applies ops to a tree exactly as the browser
//! runtime applies them to the DOM.
//!
//! The crate depends on neither tokio nor wasmtime, so it builds for
//! `wasm32` guests too. The `testing` feature adds
//! [`testing::random_tree_pairs`], a seeded generator of tree pairs.

pub mod apply;
pub mod diff;
pub mod encode;
pub mod html;
pub mod json;
pub mod patch;
#[cfg(feature = "testing")]
pub mod testing;
pub mod validate;
pub mod vdom;

pub use apply::{ApplyError, apply};
pub use diff::{diff, diff_children};
pub use encode::{DecodeError, decode_node, encode_node};
pub use html::{HtmlError, escape_json_for_script, nodes_to_html, to_html};
pub use json::{
    JsonError, JsonNode, JsonNodes, JsonOp, JsonOps, node_to_json, op_from_json, op_to_json,
};
pub use patch::{Op, Path};
pub use validate::{InvalidTree, Warning, sanitize};
pub use vdom::{Attr, Element, EventKind, HandlerId, Listener, Node};
