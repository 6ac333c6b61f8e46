//! Property tests: applying `diff(a, b)` to `a` gives `b`, and generated
//! trees survive encoding, HTML output, validation and the JSON op forms.

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;
use trellis_core::testing::random_tree_pairs;
use trellis_core::{
    Attr, Element, EventKind, HandlerId, Listener, Node, Op, apply, decode_node, diff,
    diff_children, encode_node, op_from_json, op_to_json, sanitize, to_html,
};

const CONTAINER_TAGS: [&str; 5] = ["div", "li", "p", "span", "ul"];
const VOID_TAGS: [&str; 2] = ["br", "img"];
const ATTR_NAMES: [&str; 4] = ["class", "href", "id", "title"];
const ATTR_VALUES: [&str; 4] = ["", "a", "b", "\"<&>\""];
const TEXTS: [&str; 5] = ["a", "b", "\nc", "<script>", " "];
const KEYS: [&str; 6] = ["k0", "k1", "k2", "k3", "k4", "k5"];

fn arb_attrs() -> impl Strategy<Value = Vec<Attr>> {
    vec((select(&ATTR_NAMES[..]), select(&ATTR_VALUES[..])), 0..3).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(name, value)| Attr {
                name: name.into(),
                value: value.into(),
            })
            .collect()
    })
}

fn arb_listeners() -> impl Strategy<Value = Vec<Listener>> {
    vec((select(&EventKind::ALL[..]), 0u32..3), 0..3).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(kind, id)| Listener {
                kind,
                handler: HandlerId(id),
            })
            .collect()
    })
}

fn arb_key() -> impl Strategy<Value = Option<String>> {
    proptest::option::weighted(0.3, select(&KEYS[..]).prop_map(String::from))
}

fn element(
    tag: &str,
    key: Option<String>,
    attrs: Vec<Attr>,
    listeners: Vec<Listener>,
    children: Vec<Node>,
) -> Node {
    let mut element = Element::new(tag);
    element.key = key;
    element.attrs = attrs;
    element.listeners = listeners;
    element.children = children;
    Node::Element(element)
}

/// Gives every child a distinct key, wrapping text children in a `span`, so
/// the list takes the keyed diff path.
fn with_unique_keys(children: Vec<Node>, keys: Vec<&str>) -> Vec<Node> {
    children
        .into_iter()
        .zip(keys)
        .map(|(child, key)| {
            let mut child = match child {
                Node::Element(element) => element,
                text @ Node::Text(_) => {
                    let mut span = Element::new("span");
                    span.children.push(text);
                    span
                }
            };
            child.key = Some(key.to_owned());
            Node::Element(child)
        })
        .collect()
}

/// Generates small normalized trees whose child lists are either uniquely keyed
/// elements or a mix of text and elements with random keys.
fn arb_tree() -> impl Strategy<Value = Node> {
    let leaf = prop_oneof![
        select(&TEXTS[..]).prop_map(Node::text),
        (
            select(&VOID_TAGS[..]),
            arb_key(),
            arb_attrs(),
            arb_listeners()
        )
            .prop_map(|(tag, key, attrs, listeners)| element(
                tag,
                key,
                attrs,
                listeners,
                Vec::new()
            )),
    ];
    let tree = leaf.prop_recursive(4, 40, 5, |inner| {
        let mixed = vec(inner.clone(), 0..5);
        let keyed = (vec(inner, 0..6), Just(KEYS.to_vec()).prop_shuffle())
            .prop_map(|(children, keys)| with_unique_keys(children, keys));
        (
            select(&CONTAINER_TAGS[..]),
            arb_key(),
            arb_attrs(),
            arb_listeners(),
            prop_oneof![mixed, keyed],
        )
            .prop_map(|(tag, key, attrs, listeners, children)| {
                element(tag, key, attrs, listeners, children)
            })
    });
    tree.prop_map(|mut node| {
        node.normalize();
        node
    })
}

/// Generates a route root, which is always an element.
fn arb_root() -> impl Strategy<Value = Node> {
    (select(&CONTAINER_TAGS[..]), vec(arb_tree(), 0..4)).prop_map(|(tag, children)| {
        let mut root = element(tag, None, Vec::new(), Vec::new(), children);
        root.normalize();
        root
    })
}

fn strip_keys(node: &mut Node) {
    if let Node::Element(element) = node {
        element.key = None;
        element.children.iter_mut().for_each(strip_keys);
    }
}

/// Checks that `ops` turn `old` into `new`, both directly and after a
/// round trip through the JSON form the browser receives, which drops keys.
fn check_ops(old: &[Node], new: &[Node], ops: &[Op]) -> Result<(), TestCaseError> {
    let mut dom = old.to_vec();
    apply(&mut dom, ops).map_err(|error| TestCaseError::fail(format!("{error}; ops: {ops:?}")))?;
    prop_assert_eq!(&dom, new, "ops: {:?}", ops);

    let parsed: Vec<Op> = ops
        .iter()
        .map(|op| op_from_json(&op_to_json(op)))
        .collect::<Result<_, _>>()
        .map_err(|error| TestCaseError::fail(error.to_string()))?;
    let mut browser_dom = old.to_vec();
    browser_dom.iter_mut().for_each(strip_keys);
    let mut expected = new.to_vec();
    expected.iter_mut().for_each(strip_keys);
    apply(&mut browser_dom, &parsed).map_err(|error| TestCaseError::fail(error.to_string()))?;
    prop_assert_eq!(browser_dom, expected);
    Ok(())
}

fn check_tree(tree: &Node) -> Result<(), TestCaseError> {
    let decoded =
        decode_node(&encode_node(tree)).map_err(|error| TestCaseError::fail(error.to_string()))?;
    prop_assert_eq!(&decoded, tree);

    let mut sanitized = tree.clone();
    prop_assert_eq!(sanitize(&mut sanitized), Ok(Vec::new()));
    prop_assert!(to_html(tree).is_ok(), "{:?}", to_html(tree));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn diff_applies_to_unrelated_trees(a in arb_root(), b in arb_root()) {
        let ops = diff(&a, &b);

        check_ops(std::slice::from_ref(&a), std::slice::from_ref(&b), &ops)?;
    }

    #[test]
    fn diff_applies_to_edited_trees(seed in any::<u64>()) {
        for (a, b) in random_tree_pairs(seed, 8) {
            let ops = diff(&a, &b);

            check_ops(std::slice::from_ref(&a), std::slice::from_ref(&b), &ops)?;
        }
    }

    #[test]
    fn diff_children_applies_to_root_lists(a in vec(arb_tree(), 0..4), b in vec(arb_tree(), 0..4)) {
        let mut ops = Vec::new();

        diff_children(&a, &b, &Vec::new(), &mut ops);

        check_ops(&a, &b, &ops)?;
    }

    #[test]
    fn diff_of_equal_trees_is_empty(a in arb_root()) {
        prop_assert!(diff(&a, &a).is_empty());
    }

    #[test]
    fn generated_trees_encode_render_and_validate(a in arb_root()) {
        check_tree(&a)?;
    }

    #[test]
    fn seeded_trees_encode_render_and_validate(seed in any::<u64>()) {
        for (a, b) in random_tree_pairs(seed, 4) {
            check_tree(&a)?;
            check_tree(&b)?;
        }
    }
}
