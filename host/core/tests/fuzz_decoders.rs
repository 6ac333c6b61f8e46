//! Property-based fuzz tests of the decoders that read untrusted input: the
//! VDOM bytes a guest returns (`decode_node`) and the JSON node and op
//! forms (`node_from_json`, `op_from_json`). Each property checks that the
//! decoder never panics and accepts only well-formed input.
//!
//! `PROPTEST_CASES=100000 cargo test -p trellis-core --test fuzz_decoders`
//! runs more cases than the default 256.

use proptest::collection::vec;
use proptest::prelude::*;
use serde_json::{Value, json};
use trellis_core::encode::{MAX_DEPTH, decode_node, encode_node};
use trellis_core::json::{node_from_json, node_to_json, op_from_json, op_to_json};
use trellis_core::testing::random_tree_pairs;
use trellis_core::{Element, Node};

/// Returns how many elements nest at the deepest point of `node`.
fn depth(node: &Node) -> usize {
    match node {
        Node::Text(_) => 0,
        Node::Element(element) => 1 + element.children.iter().map(depth).max().unwrap_or(0),
    }
}

/// Returns a valid canonical encoding of a tree drawn from `seed`.
fn valid_encoding(seed: u64) -> Vec<u8> {
    let (mut tree, _) = random_tree_pairs(seed, 1).remove(0);
    tree.normalize();
    encode_node(&tree)
}

/// Checks what every tree that `decode_node` accepts must satisfy: it stays
/// within the depth limit and encodes back to a tree that decodes equal.
fn check_accepted(node: &Node) -> Result<(), TestCaseError> {
    prop_assert!(
        depth(node) < MAX_DEPTH,
        "accepted a tree of depth {}",
        depth(node)
    );
    let again = decode_node(&encode_node(node)).ok();
    prop_assert_eq!(again.as_ref(), Some(node));
    Ok(())
}

/// A byte-level change to an encoding.
#[derive(Clone, Debug)]
enum Mutation {
    Flip { at: usize, bit: u8 },
    Set { at: usize, byte: u8 },
    Insert { at: usize, byte: u8 },
    Remove { at: usize },
}

fn arb_mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Set { at, byte }),
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Insert { at, byte }),
        any::<usize>().prop_map(|at| Mutation::Remove { at }),
    ]
}

fn mutate(bytes: &mut Vec<u8>, mutation: &Mutation) {
    if bytes.is_empty() {
        return;
    }
    match *mutation {
        Mutation::Flip { at, bit } => {
            let index = at % bytes.len();
            bytes[index] ^= 1 << bit;
        }
        Mutation::Set { at, byte } => {
            let index = at % bytes.len();
            bytes[index] = byte;
        }
        Mutation::Insert { at, byte } => bytes.insert(at % (bytes.len() + 1), byte),
        Mutation::Remove { at } => {
            bytes.remove(at % bytes.len());
        }
    }
}

/// Arbitrary JSON, biased toward the shapes of nodes and ops: small
/// integers, short strings and nested arrays.
fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        (0u64..8).prop_map(Value::from),
        prop_oneof![
            Just(json!(-1)),
            Just(json!(4_294_967_295u64)),
            Just(json!(4_294_967_296u64)),
            Just(json!(1.5)),
            Just(json!(2.0)),
        ],
        prop_oneof![
            Just("div"),
            Just("a"),
            Just(""),
            Just("data-trellis-click"),
            Just("data-trellis-input"),
            Just("3"),
            Just("03"),
        ]
        .prop_map(Value::from),
        ".{0,4}".prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 64, 5, |inner| {
        prop_oneof![
            4 => vec(inner.clone(), 0..5).prop_map(Value::Array),
            1 => vec(("[a-z]{1,3}", inner), 0..3)
                .prop_map(|fields| Value::Object(fields.into_iter().collect())),
        ]
    })
}

/// JSON in the node form, with some parts replaced by arbitrary values,
/// items added or items dropped, so that many cases are near-valid.
fn arb_node_shaped() -> impl Strategy<Value = Value> {
    let text = prop_oneof![
        Just("div"),
        Just("p"),
        Just("data-trellis-click"),
        Just("7")
    ]
    .prop_map(Value::from);
    let pair = prop_oneof![
        6 => (text.clone(), text.clone()).prop_map(|(name, value)| json!([name, value])),
        1 => vec(arb_json(), 0..4).prop_map(Value::Array),
    ];
    let leaf = prop_oneof![3 => text.clone(), 1 => arb_json()];
    leaf.prop_recursive(5, 48, 4, move |inner| {
        let element = (text.clone(), vec(pair.clone(), 0..3), vec(inner, 0..4));
        (element, 0u8..8, arb_json()).prop_map(|((tag, attrs, children), change, other)| {
            let mut items = vec![tag, Value::Array(attrs), Value::Array(children)];
            match change {
                0 => items.push(other),
                1 => {
                    items.pop();
                }
                2 => items[0] = other,
                3 => items[1] = other,
                4 => items[2] = other,
                _ => {}
            }
            Value::Array(items)
        })
    })
}

/// Checks `value` against the node form of docs/protocol.md, written apart
/// from the decoder: a string, or `[tag, [[name, value], …], [node, …]]`
/// with string tag, names and values, nesting fewer than `MAX_DEPTH`
/// elements.
fn is_node_form(value: &Value, parents: usize) -> bool {
    match value {
        Value::String(_) => true,
        Value::Array(items) if items.len() == 3 => {
            let attrs_valid = items[1].as_array().is_some_and(|attrs| {
                attrs.iter().all(|attr| {
                    attr.as_array().is_some_and(|pair| {
                        pair.len() == 2 && pair[0].is_string() && pair[1].is_string()
                    })
                })
            });
            let children_valid = items[2].as_array().is_some_and(|children| {
                children
                    .iter()
                    .all(|child| is_node_form(child, parents + 1))
            });
            parents + 1 < MAX_DEPTH && items[0].is_string() && attrs_valid && children_valid
        }
        _ => false,
    }
}

fn is_u32(value: &Value) -> bool {
    value
        .as_u64()
        .is_some_and(|number| number <= u64::from(u32::MAX))
}

/// Checks `value` against the op forms of docs/protocol.md, written apart
/// from the decoder.
fn is_op_form(value: &Value) -> bool {
    let Some(items) = value.as_array() else {
        return false;
    };
    let path_valid = |value: &Value| value.as_array().is_some_and(|path| path.iter().all(is_u32));
    match (items.first().and_then(Value::as_u64), items.len()) {
        (Some(0), 3) => path_valid(&items[1]) && is_node_form(&items[2], 0),
        (Some(1), 4) => path_valid(&items[1]) && is_u32(&items[2]) && is_node_form(&items[3], 0),
        (Some(2), 3) => path_valid(&items[1]) && is_u32(&items[2]),
        (Some(3), 4) => path_valid(&items[1]) && is_u32(&items[2]) && is_u32(&items[3]),
        (Some(4), 4) => path_valid(&items[1]) && items[2].is_string() && items[3].is_string(),
        (Some(5 | 6), 3) => path_valid(&items[1]) && items[2].is_string(),
        _ => false,
    }
}

proptest! {
    #[test]
    fn decode_node_arbitrary_bytes(bytes in vec(any::<u8>(), 0..256)) {
        if let Ok(node) = decode_node(&bytes) {
            check_accepted(&node)?;
        }
    }

    #[test]
    fn decode_node_mutated_encodings(
        seed in any::<u64>(),
        mutations in vec(arb_mutation(), 1..4),
    ) {
        let mut bytes = valid_encoding(seed);

        for mutation in &mutations {
            mutate(&mut bytes, mutation);
        }

        if let Ok(node) = decode_node(&bytes) {
            check_accepted(&node)?;
        }
    }

    #[test]
    fn decode_node_rejects_truncated(seed in any::<u64>(), cut in any::<usize>()) {
        let bytes = valid_encoding(seed);

        let prefix = &bytes[..cut % bytes.len()];

        prop_assert!(decode_node(prefix).is_err(), "accepted a {}-byte prefix of {} bytes", prefix.len(), bytes.len());
    }

    #[test]
    fn decode_node_rejects_trailing(seed in any::<u64>(), extra in vec(any::<u8>(), 1..8)) {
        let mut bytes = valid_encoding(seed);

        bytes.extend_from_slice(&extra);

        prop_assert!(decode_node(&bytes).is_err());
    }

    #[test]
    fn node_from_json_matches_form(value in prop_oneof![arb_json(), arb_node_shaped()]) {
        let result = node_from_json(&value);

        prop_assert_eq!(result.is_ok(), is_node_form(&value, 0), "{}", value);
        if let Ok(node) = result {
            let written = node_to_json(&node);
            let reread = node_from_json(&written).map(|node| node_to_json(&node));
            prop_assert_eq!(reread.ok(), Some(written));
        }
    }

    #[test]
    fn op_from_json_matches_form(value in arb_json()) {
        let result = op_from_json(&value);

        prop_assert_eq!(result.is_ok(), is_op_form(&value), "{}", value);
        if let Ok(op) = result {
            let written = op_to_json(&op);
            let reread = op_from_json(&written).map(|op| op_to_json(&op));
            prop_assert_eq!(reread.ok(), Some(written));
        }
    }

    #[test]
    fn op_from_json_valid_prefixes(
        code in 0u64..7,
        path in vec(0u64..5, 0..3),
        rest in vec(prop_oneof![arb_json(), arb_node_shaped()], 1..4),
    ) {
        let mut items = vec![json!(code), json!(path)];
        items.extend(rest);
        let value = Value::Array(items);

        let result = op_from_json(&value);

        prop_assert_eq!(result.is_ok(), is_op_form(&value), "{}", value);
    }
}

/// Returns `levels` elements nested in one another.
fn nested(levels: usize) -> Node {
    let mut node = Node::text("x");
    for _ in 0..levels {
        let mut element = Element::new("div");
        element.children.push(node);
        node = Node::Element(element);
    }
    node
}

#[test]
fn decode_node_depth_limit() {
    let deepest = encode_node(&nested(MAX_DEPTH - 1));
    let too_deep = encode_node(&nested(MAX_DEPTH));

    assert!(decode_node(&deepest).is_ok());
    assert!(decode_node(&too_deep).is_err());
}

#[test]
fn node_from_json_depth_limit() {
    let deepest = node_to_json(&nested(MAX_DEPTH - 1));
    let too_deep = node_to_json(&nested(MAX_DEPTH));

    assert!(node_from_json(&deepest).is_ok());
    assert!(node_from_json(&too_deep).is_err());
}
