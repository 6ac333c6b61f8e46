//! Seeded generation of random tree pairs, for diff tests and browser test
//! fixtures. Enabled by the `testing` feature.
//!
//! Every generated tree is normalized, passes [`crate::validate::sanitize`]
//! without warnings and serializes with [`crate::html::to_html`]. The same
//! seed gives the same pairs on every platform.

use crate::vdom::{Attr, Element, EventKind, HandlerId, Listener, Node};

/// Tags that may have any children and that the HTML parser never closes
/// or moves on its own, so that serialized trees parse back to the same DOM
/// (a `p` inside a `p`, an `a` inside an `a` or an `li` inside an `li` would
/// not).
const CONTAINER_TAGS: [&str; 7] = ["b", "div", "em", "pre", "section", "span", "ul"];
/// Void tags, which get no children.
const VOID_TAGS: [&str; 3] = ["br", "img", "input"];
/// Tags that may contain only text.
const TEXT_ONLY_TAGS: [&str; 1] = ["textarea"];
const ATTR_NAMES: [&str; 6] = ["class", "data-x", "href", "id", "title", "value"];
const ATTR_VALUES: [&str; 6] = ["", "a", "b", "x y", "\"q\" & <t>", "/items/4?x=1"];
const TEXTS: [&str; 8] = [
    "a",
    "b",
    "hello",
    "\nlead",
    "<img src=x onerror=alert(1)>",
    "&amp;",
    "x\r\ny",
    " ",
];
const KEYS: [&str; 8] = ["k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7"];
const MAX_CHILDREN: usize = 5;
const MAX_DEPTH: usize = 4;

/// Generates `count` pairs `(old, new)` of route root elements from `seed`.
///
/// Most `new` trees are edits of `old` (changed text, attributes,
/// listeners and tags, and children inserted, removed, replaced or
/// reordered), so diffs exercise both keyed and index matching. The rest
/// are unrelated trees.
pub fn random_tree_pairs(seed: u64, count: usize) -> Vec<(Node, Node)> {
    let mut rng = SplitMix64(seed);
    (0..count)
        .map(|_| {
            let old = random_root(&mut rng);
            let mut new = if rng.chance(1, 4) {
                random_root(&mut rng)
            } else {
                mutate(&old, &mut rng, 0)
            };
            new.normalize();
            (old, new)
        })
        .collect()
}

/// The splitmix64 generator: small, fast and fully determined by its seed.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Returns a number in `0..n`. `n` must not be 0.
    fn below(&mut self, n: usize) -> usize {
        // The modulo bias is irrelevant for test data.
        (self.next() % n as u64) as usize
    }

    /// Returns true with probability `numerator / denominator`.
    fn chance(&mut self, numerator: usize, denominator: usize) -> bool {
        self.below(denominator) < numerator
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

fn random_root(rng: &mut SplitMix64) -> Node {
    let tag = rng.pick(&CONTAINER_TAGS);
    let mut root = Node::Element(random_element(rng, tag, 0));
    root.normalize();
    root
}

fn random_element(rng: &mut SplitMix64, tag: &str, depth: usize) -> Element {
    let mut element = Element::new(tag);
    for _ in 0..rng.below(3) {
        element.attrs.push(random_attr(rng));
    }
    for _ in 0..rng.below(3) {
        element.listeners.push(random_listener(rng));
    }
    element.children = random_children(rng, tag, depth);
    element
}

fn random_attr(rng: &mut SplitMix64) -> Attr {
    Attr {
        name: rng.pick(&ATTR_NAMES).to_owned(),
        value: rng.pick(&ATTR_VALUES).to_owned(),
    }
}

fn random_listener(rng: &mut SplitMix64) -> Listener {
    let kind = EventKind::ALL[rng.below(EventKind::ALL.len())];
    Listener {
        kind,
        handler: HandlerId(rng.below(6) as u32),
    }
}

fn random_text(rng: &mut SplitMix64) -> Node {
    Node::text(rng.pick(&TEXTS))
}

/// Generates children fit for `tag`: none for a void tag, text for a
/// text-only tag, and otherwise either uniquely keyed elements or a mix of
/// text and elements with random, possibly repeated keys.
fn random_children(rng: &mut SplitMix64, tag: &str, depth: usize) -> Vec<Node> {
    if VOID_TAGS.contains(&tag) {
        return Vec::new();
    }
    if TEXT_ONLY_TAGS.contains(&tag) {
        return (0..rng.below(2)).map(|_| random_text(rng)).collect();
    }
    if depth >= MAX_DEPTH {
        return (0..rng.below(2)).map(|_| random_text(rng)).collect();
    }
    let count = rng.below(MAX_CHILDREN + 1);
    if rng.chance(1, 3) {
        let mut keys = KEYS.to_vec();
        shuffle(rng, &mut keys);
        keys.truncate(count);
        keys.into_iter()
            .map(|key| keyed_element(rng, key, depth + 1))
            .collect()
    } else {
        (0..count).map(|_| random_node(rng, depth + 1)).collect()
    }
}

fn keyed_element(rng: &mut SplitMix64, key: &str, depth: usize) -> Node {
    let tag = random_tag(rng);
    let mut element = random_element(rng, tag, depth);
    element.key = Some(key.to_owned());
    Node::Element(element)
}

fn random_tag(rng: &mut SplitMix64) -> &'static str {
    match rng.below(10) {
        0 => rng.pick(&VOID_TAGS),
        1 => rng.pick(&TEXT_ONLY_TAGS),
        _ => rng.pick(&CONTAINER_TAGS),
    }
}

fn random_node(rng: &mut SplitMix64, depth: usize) -> Node {
    if rng.chance(1, 3) {
        return random_text(rng);
    }
    let tag = random_tag(rng);
    let mut element = random_element(rng, tag, depth);
    if rng.chance(1, 3) {
        element.key = Some(rng.pick(&KEYS).to_owned());
    }
    Node::Element(element)
}

fn shuffle<T>(rng: &mut SplitMix64, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        items.swap(i, rng.below(i + 1));
    }
}

/// Returns a random edit of `node`, which sits `depth` levels below the root.
fn mutate(node: &Node, rng: &mut SplitMix64, depth: usize) -> Node {
    match node {
        Node::Text(_) if rng.chance(1, 3) => random_text(rng),
        Node::Text(_) => node.clone(),
        Node::Element(_) if depth > 0 && rng.chance(1, 12) => random_node(rng, depth),
        Node::Element(element) => Node::Element(mutate_element(element, rng, depth)),
    }
}

fn mutate_element(element: &Element, rng: &mut SplitMix64, depth: usize) -> Element {
    let mut element = element.clone();
    if rng.chance(1, 12) {
        // Another tag that accepts the same children.
        let same_kind: &[&str] = if VOID_TAGS.contains(&element.tag.as_str()) {
            &VOID_TAGS
        } else if TEXT_ONLY_TAGS.contains(&element.tag.as_str()) {
            &TEXT_ONLY_TAGS
        } else {
            &CONTAINER_TAGS
        };
        element.tag = rng.pick(same_kind).to_owned();
    }
    if depth > 0 && rng.chance(1, 16) {
        element.key = if rng.chance(1, 2) {
            Some(rng.pick(&KEYS).to_owned())
        } else {
            None
        };
    }
    mutate_attrs(&mut element, rng);
    mutate_children(&mut element, rng, depth);
    element
}

fn mutate_attrs(element: &mut Element, rng: &mut SplitMix64) {
    if !element.attrs.is_empty() && rng.chance(1, 4) {
        let index = rng.below(element.attrs.len());
        element.attrs.remove(index);
    }
    if !element.attrs.is_empty() && rng.chance(1, 4) {
        let index = rng.below(element.attrs.len());
        element.attrs[index].value = rng.pick(&ATTR_VALUES).to_owned();
    }
    if rng.chance(1, 4) {
        element.attrs.push(random_attr(rng));
    }
    if !element.listeners.is_empty() && rng.chance(1, 4) {
        let index = rng.below(element.listeners.len());
        element.listeners.remove(index);
    }
    if !element.listeners.is_empty() && rng.chance(1, 4) {
        let index = rng.below(element.listeners.len());
        element.listeners[index].handler = HandlerId(rng.below(6) as u32);
    }
    if rng.chance(1, 4) {
        element.listeners.push(random_listener(rng));
    }
}

fn mutate_children(element: &mut Element, rng: &mut SplitMix64, depth: usize) {
    let tag = element.tag.as_str();
    if VOID_TAGS.contains(&tag) {
        element.children.clear();
        return;
    }
    if TEXT_ONLY_TAGS.contains(&tag) {
        element
            .children
            .retain(|child| matches!(child, Node::Text(_)));
        if rng.chance(1, 3) {
            element.children = random_children(rng, tag, depth);
        }
        return;
    }

    let mut children: Vec<Node> = element
        .children
        .iter()
        .map(|child| mutate(child, rng, depth + 1))
        .collect();
    let uniquely_keyed = !children.is_empty() && {
        let mut keys: Vec<&str> = children.iter().filter_map(Node::key).collect();
        let keyed_count = keys.len();
        keys.sort_unstable();
        keys.dedup();
        keyed_count == children.len() && keys.len() == keyed_count
    };

    if uniquely_keyed {
        // Reorder, drop and add children while keeping keys unique, so the
        // keyed diff runs.
        if rng.chance(1, 3) {
            shuffle(rng, &mut children);
        }
        if rng.chance(1, 3) {
            let index = rng.below(children.len());
            children.remove(index);
        }
        if rng.chance(1, 3) {
            let unused: Vec<&str> = KEYS
                .into_iter()
                .filter(|key| children.iter().all(|child| child.key() != Some(key)))
                .collect();
            if !unused.is_empty() {
                let key = rng.pick(&unused);
                let index = rng.below(children.len() + 1);
                children.insert(index, keyed_element(rng, key, depth + 1));
            }
        }
    } else if depth < MAX_DEPTH {
        if !children.is_empty() && rng.chance(1, 3) {
            let index = rng.below(children.len());
            children.remove(index);
        }
        if rng.chance(1, 3) {
            let index = rng.below(children.len() + 1);
            children.insert(index, random_node(rng, depth + 1));
        }
    }
    element.children = children;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::html::to_html;
    use crate::validate::sanitize;

    #[test]
    fn same_seed_gives_same_pairs() {
        assert_eq!(random_tree_pairs(7, 20), random_tree_pairs(7, 20));
        assert_ne!(random_tree_pairs(7, 20), random_tree_pairs(8, 20));
    }

    #[test]
    fn splitmix64_matches_reference_output() {
        // The first two outputs of splitmix64 for seed 0, which many
        // implementations use as a known-answer test.
        let mut rng = SplitMix64(0);

        assert_eq!(rng.next(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(rng.next(), 0x6E78_9E6A_A1B9_65F4);
    }

    #[test]
    fn generated_trees_are_normalized_and_valid() {
        for (old, new) in random_tree_pairs(1, 300) {
            for tree in [old, new] {
                let mut normalized = tree.clone();
                normalized.normalize();
                assert_eq!(normalized, tree);

                let mut sanitized = tree.clone();
                assert_eq!(sanitize(&mut sanitized), Ok(Vec::new()), "{tree:?}");
                assert!(to_html(&tree).is_ok(), "{tree:?}");
            }
        }
    }

    #[test]
    fn pairs_cover_keyed_lists_and_edits() {
        let pairs = random_tree_pairs(2, 300);

        let keyed_parents = pairs.iter().filter(|(old, _)| has_keyed_list(old)).count();
        let equal = pairs.iter().filter(|(old, new)| old == new).count();
        assert!(
            keyed_parents > 30,
            "only {keyed_parents} trees have a keyed list"
        );
        assert!(equal < 150, "{equal} of 300 pairs are unchanged");
    }

    fn has_keyed_list(node: &Node) -> bool {
        let Some(element) = node.as_element() else {
            return false;
        };
        let keyed = element.children.len() > 1
            && element.children.iter().all(|child| child.key().is_some());
        keyed || element.children.iter().any(has_keyed_list)
    }
}
