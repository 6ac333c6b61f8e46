//! The JSON forms of nodes and patch ops that the host sends to the browser
//! (see `docs/protocol.md`).
//!
//! A node is a string (text) or `[tag, [[name, value], …], [child, …]]` (an
//! element, with listener attributes among its attributes). An op is an
//! array whose first item is its numeric code, such as `[6, path, text]`.
//! Keys are not part of the JSON form, because the DOM does not carry them.

use std::fmt;

use serde::ser::{Serialize, SerializeSeq, SerializeTuple, Serializer};
use serde_json::Value;

use crate::encode::MAX_DEPTH;
use crate::patch::{Op, Path};
use crate::vdom::{Attr, Element, EventKind, HandlerId, Listener, Node};

/// Numeric op codes of the JSON form.
pub mod code {
    /// `[0, path, node]`
    pub const REPLACE: u64 = 0;
    /// `[1, parent, index, node]`
    pub const INSERT: u64 = 1;
    /// `[2, parent, index]`
    pub const REMOVE: u64 = 2;
    /// `[3, parent, from, to]`
    pub const MOVE: u64 = 3;
    /// `[4, path, name, value]`
    pub const SET_ATTR: u64 = 4;
    /// `[5, path, name]`
    pub const REMOVE_ATTR: u64 = 5;
    /// `[6, path, text]`
    pub const SET_TEXT: u64 = 6;
}

/// Serializes a node in its JSON form.
#[derive(Clone, Copy, Debug)]
pub struct JsonNode<'a>(pub &'a Node);

/// Serializes a list of nodes as a JSON array of node forms.
#[derive(Clone, Copy, Debug)]
pub struct JsonNodes<'a>(pub &'a [Node]);

/// Serializes an op in its JSON form.
#[derive(Clone, Copy, Debug)]
pub struct JsonOp<'a>(pub &'a Op);

/// Serializes a list of ops as a JSON array of op forms.
#[derive(Clone, Copy, Debug)]
pub struct JsonOps<'a>(pub &'a [Op]);

impl Serialize for JsonNode<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Node::Text(text) => serializer.serialize_str(text),
            Node::Element(element) => {
                let mut tuple = serializer.serialize_tuple(3)?;
                tuple.serialize_element(&element.tag)?;
                tuple.serialize_element(&JsonAttrs(element))?;
                tuple.serialize_element(&JsonNodes(&element.children))?;
                tuple.end()
            }
        }
    }
}

impl Serialize for JsonNodes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(JsonNode))
    }
}

/// The DOM attributes of an element, as [`Element::dom_attrs`] lists them,
/// without copying their values.
struct JsonAttrs<'a>(&'a Element);

/// An attribute value: a string, or a handler ID written in decimal.
enum AttrValue<'a> {
    Text(&'a str),
    Handler(u32),
}

impl Serialize for AttrValue<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Text(text) => serializer.serialize_str(text),
            Self::Handler(id) => serializer.collect_str(id),
        }
    }
}

impl Serialize for JsonAttrs<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let element = self.0;
        let mut attrs: Vec<(&str, AttrValue<'_>)> = element
            .attrs
            .iter()
            .map(|attr| (attr.name.as_str(), AttrValue::Text(&attr.value)))
            .chain(element.listeners.iter().map(|listener| {
                (
                    listener.kind.dom_attr(),
                    AttrValue::Handler(listener.handler.0),
                )
            }))
            .collect();
        // The same order as `dom_attrs`: listener attribute names do not sort
        // in `EventKind` order.
        attrs.sort_by(|a, b| a.0.cmp(b.0));

        let mut seq = serializer.serialize_seq(Some(attrs.len()))?;
        for pair in &attrs {
            seq.serialize_element(pair)?;
        }
        seq.end()
    }
}

impl Serialize for JsonOp<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Op::Replace { path, node } => {
                (code::REPLACE, path, JsonNode(node)).serialize(serializer)
            }
            Op::Insert {
                parent,
                index,
                node,
            } => (code::INSERT, parent, index, JsonNode(node)).serialize(serializer),
            Op::Remove { parent, index } => (code::REMOVE, parent, index).serialize(serializer),
            Op::Move { parent, from, to } => (code::MOVE, parent, from, to).serialize(serializer),
            Op::SetAttr { path, name, value } => {
                (code::SET_ATTR, path, name, value).serialize(serializer)
            }
            Op::RemoveAttr { path, name } => (code::REMOVE_ATTR, path, name).serialize(serializer),
            Op::SetText { path, text } => (code::SET_TEXT, path, text).serialize(serializer),
        }
    }
}

impl Serialize for JsonOps<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(JsonOp))
    }
}

/// Returns the JSON form of a node as a [`Value`]. Serializing
/// [`JsonNode`] directly is faster.
pub fn node_to_json(node: &Node) -> Value {
    serde_json::to_value(JsonNode(node)).expect("a node always serializes to a JSON value")
}

/// Returns the JSON form of an op as a [`Value`]. Serializing [`JsonOp`]
/// directly is faster.
pub fn op_to_json(op: &Op) -> Value {
    serde_json::to_value(JsonOp(op)).expect("an op always serializes to a JSON value")
}

/// The error returned when a JSON value is not a valid node or op form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsonError(String);

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid JSON form: {}", self.0)
    }
}

impl std::error::Error for JsonError {}

fn invalid<T>(message: impl Into<String>) -> Result<T, JsonError> {
    Err(JsonError(message.into()))
}

/// Parses the JSON form of an op.
///
/// A `data-trellis-<event>` attribute in a node becomes a listener. Element
/// keys come back as `None`, because the JSON form has none.
///
/// # Errors
///
/// Returns [`JsonError`] when `value` is not an op form, such as an unknown
/// code, a wrong item count, an index outside `u32`, or a node nested deeper
/// than [`MAX_DEPTH`].
pub fn op_from_json(value: &Value) -> Result<Op, JsonError> {
    let Some(items) = value.as_array() else {
        return invalid(format!("op is not an array: {value}"));
    };
    let Some(op_code) = items.first().and_then(Value::as_u64) else {
        return invalid("op does not start with a numeric code");
    };
    let expected_len = match op_code {
        code::REPLACE | code::REMOVE | code::REMOVE_ATTR | code::SET_TEXT => 3,
        code::INSERT | code::MOVE | code::SET_ATTR => 4,
        other => return invalid(format!("unknown op code {other}")),
    };
    if items.len() != expected_len {
        return invalid(format!(
            "op {op_code} has {} items, expected {expected_len}",
            items.len()
        ));
    }

    let path = path_from_json(&items[1])?;
    let op = match op_code {
        code::REPLACE => Op::Replace {
            path,
            node: node_from_json(&items[2])?,
        },
        code::INSERT => Op::Insert {
            parent: path,
            index: u32_from_json(&items[2])?,
            node: node_from_json(&items[3])?,
        },
        code::REMOVE => Op::Remove {
            parent: path,
            index: u32_from_json(&items[2])?,
        },
        code::MOVE => Op::Move {
            parent: path,
            from: u32_from_json(&items[2])?,
            to: u32_from_json(&items[3])?,
        },
        code::SET_ATTR => Op::SetAttr {
            path,
            name: string_from_json(&items[2])?,
            value: string_from_json(&items[3])?,
        },
        code::REMOVE_ATTR => Op::RemoveAttr {
            path,
            name: string_from_json(&items[2])?,
        },
        _ => Op::SetText {
            path,
            text: string_from_json(&items[2])?,
        },
    };
    Ok(op)
}

/// Parses the JSON form of a node, as [`op_from_json`] does for the nodes in
/// an op.
///
/// # Errors
///
/// Returns [`JsonError`] when `value` is not a node form or nests deeper
/// than [`MAX_DEPTH`].
pub fn node_from_json(value: &Value) -> Result<Node, JsonError> {
    node_from_json_at(value, 0)
}

/// Parses a node whose parent elements number `depth`.
fn node_from_json_at(value: &Value, depth: usize) -> Result<Node, JsonError> {
    let items = match value {
        Value::String(text) => return Ok(Node::text(text.as_str())),
        Value::Array(items) if items.len() == 3 => items,
        _ => {
            return invalid(format!(
                "node is neither a string nor a 3-item array: {value}"
            ));
        }
    };
    // The same limit as `decode_node`, which accepts at most MAX_DEPTH - 1
    // nested elements.
    if depth + 1 >= MAX_DEPTH {
        return invalid(format!("elements nest deeper than {MAX_DEPTH} levels"));
    }

    let mut element = Element::new(string_from_json(&items[0])?);
    let Some(attrs) = items[1].as_array() else {
        return invalid("element attributes are not an array");
    };
    for attr in attrs {
        let pair = attr.as_array().filter(|pair| pair.len() == 2);
        let Some([name, value]) = pair.map(Vec::as_slice) else {
            return invalid(format!("attribute is not a [name, value] pair: {attr}"));
        };
        let name = string_from_json(name)?;
        let value = string_from_json(value)?;
        match listener_from_attr(&name, &value) {
            Some(listener) => element.listeners.push(listener),
            None => element.attrs.push(Attr { name, value }),
        }
    }
    element.listeners.sort_by_key(|listener| listener.kind);

    let Some(children) = items[2].as_array() else {
        return invalid("element children are not an array");
    };
    for child in children {
        element.children.push(node_from_json_at(child, depth + 1)?);
    }
    Ok(Node::Element(element))
}

/// Reads a listener attribute such as `data-trellis-click="3"`. A listener
/// attribute whose value is not a canonical decimal ID stays an attribute.
fn listener_from_attr(name: &str, value: &str) -> Option<Listener> {
    let kind = EventKind::ALL
        .into_iter()
        .find(|kind| kind.dom_attr() == name)?;
    let id = value
        .parse::<u32>()
        .ok()
        .filter(|id| id.to_string() == value)?;
    Some(Listener {
        kind,
        handler: HandlerId(id),
    })
}

fn path_from_json(value: &Value) -> Result<Path, JsonError> {
    let Some(items) = value.as_array() else {
        return invalid(format!("path is not an array: {value}"));
    };
    items.iter().map(u32_from_json).collect()
}

fn u32_from_json(value: &Value) -> Result<u32, JsonError> {
    match value.as_u64().map(u32::try_from) {
        Some(Ok(number)) => Ok(number),
        _ => invalid(format!(
            "expected an integer from 0 to {}, found {value}",
            u32::MAX
        )),
    }
}

fn string_from_json(value: &Value) -> Result<String, JsonError> {
    match value {
        Value::String(text) => Ok(text.clone()),
        _ => invalid(format!("expected a string, found {value}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn button() -> Node {
        let mut button = Element::new("button");
        button.key = Some("k".into());
        button.attrs.push(Attr {
            name: "class".into(),
            value: "inc".into(),
        });
        button.listeners.push(Listener {
            kind: EventKind::Click,
            handler: HandlerId(0),
        });
        button.listeners.push(Listener {
            kind: EventKind::Change,
            handler: HandlerId(12),
        });
        button.children.push(Node::text("+1"));
        Node::Element(button)
    }

    #[test]
    fn node_form_matches_protocol() {
        assert_eq!(
            node_to_json(&button()),
            json!([
                "button",
                [
                    ["class", "inc"],
                    ["data-trellis-change", "12"],
                    ["data-trellis-click", "0"]
                ],
                ["+1"]
            ])
        );
    }

    #[test]
    fn text_node_is_string() {
        assert_eq!(node_to_json(&Node::text("a\"<")), json!("a\"<"));
    }

    #[test]
    fn serialize_wrappers_match_values() {
        let nodes = [button(), Node::text("x")];

        let text = serde_json::to_string(&JsonNodes(&nodes)).unwrap();

        assert_eq!(text, json!([node_to_json(&nodes[0]), "x"]).to_string());
    }

    #[test]
    fn op_forms_match_protocol() {
        let cases = [
            (
                Op::Replace {
                    path: vec![0],
                    node: Node::text("t"),
                },
                json!([0, [0], "t"]),
            ),
            (
                Op::Insert {
                    parent: vec![0, 1],
                    index: 2,
                    node: Node::text("t"),
                },
                json!([1, [0, 1], 2, "t"]),
            ),
            (
                Op::Remove {
                    parent: vec![0],
                    index: 3,
                },
                json!([2, [0], 3]),
            ),
            (
                Op::Move {
                    parent: vec![0],
                    from: 4,
                    to: 1,
                },
                json!([3, [0], 4, 1]),
            ),
            (
                Op::SetAttr {
                    path: vec![0, 2],
                    name: "id".into(),
                    value: "v".into(),
                },
                json!([4, [0, 2], "id", "v"]),
            ),
            (
                Op::RemoveAttr {
                    path: vec![0],
                    name: "id".into(),
                },
                json!([5, [0], "id"]),
            ),
            (
                Op::SetText {
                    path: vec![0, 0],
                    text: "x".into(),
                },
                json!([6, [0, 0], "x"]),
            ),
        ];
        for (op, expected) in cases {
            assert_eq!(op_to_json(&op), expected, "{op:?}");
            assert_eq!(
                serde_json::to_value(JsonOps(std::slice::from_ref(&op))).unwrap(),
                json!([expected])
            );
        }
    }

    #[test]
    fn op_round_trips_without_key() {
        let op = Op::Insert {
            parent: vec![0],
            index: 1,
            node: button(),
        };

        let parsed = op_from_json(&op_to_json(&op)).unwrap();

        let mut expected = button();
        if let Node::Element(element) = &mut expected {
            element.key = None;
        }
        assert_eq!(
            parsed,
            Op::Insert {
                parent: vec![0],
                index: 1,
                node: expected
            }
        );
    }

    #[test]
    fn op_from_json_rejects_bad_forms() {
        let cases = [
            json!({}),
            json!([]),
            json!([7, [0]]),
            json!(["0", [0], "t"]),
            json!([0, [0]]),
            json!([0, [0], "t", "extra"]),
            json!([0, [-1], "t"]),
            json!([0, [4294967296u64], "t"]),
            json!([0, "0", "t"]),
            json!([0, [0], 5]),
            json!([0, [0], ["p", [], []], 1]),
            json!([0, [0], ["p", [["a"]], []]]),
            json!([0, [0], ["p", {}, []]]),
            json!([0, [0], ["p", [], {}]]),
            json!([0, [0], [1, [], []]]),
            json!([2, [0], 1.5]),
            json!([4, [0], "id", null]),
        ];
        for value in cases {
            assert!(op_from_json(&value).is_err(), "{value} was accepted");
        }
    }

    #[test]
    fn node_from_json_limits_depth() {
        let mut value = json!("leaf");
        for _ in 0..MAX_DEPTH + 1 {
            value = json!(["div", [], [value]]);
        }

        let error = node_from_json(&value).unwrap_err();

        assert!(error.to_string().contains("deeper"), "{error}");
    }

    #[test]
    fn node_from_json_depth_limit_matches_decode() {
        for levels in [MAX_DEPTH - 1, MAX_DEPTH] {
            let mut node = Node::text("leaf");
            for _ in 0..levels {
                let mut element = Element::new("div");
                element.children.push(node);
                node = Node::Element(element);
            }

            let decoded = crate::encode::decode_node(&crate::encode::encode_node(&node));
            let parsed = node_from_json(&node_to_json(&node));

            assert_eq!(decoded.is_ok(), parsed.is_ok(), "{levels} levels");
            assert_eq!(parsed.is_ok(), levels < MAX_DEPTH, "{levels} levels");
        }
    }

    #[test]
    fn non_numeric_listener_attr_stays_attr() {
        let node = node_from_json(&json!(["b", [["data-trellis-click", "x"]], []])).unwrap();

        let element = node.as_element().unwrap();
        assert!(element.listeners.is_empty());
        assert_eq!(element.attr("data-trellis-click"), Some("x"));
    }
}
