//! The tree diff: the list of [`Op`]s that turns one rendered tree into the
//! next.
//!
//! Both trees must be normalized ([`Node::normalize`]), because attributes
//! are compared by a merge walk over name-sorted lists. The ops follow the
//! ordering contract of [`crate::patch`]: each path is valid against the DOM
//! as the ops before it left it, and the ops that reorder a parent's child
//! list come before the ops inside those children.

use std::collections::HashMap;

use crate::patch::{Op, Path};
use crate::vdom::{Element, Node};

/// Returns the ops that turn the route's root node `old` into `new`. Both
/// trees sit at path `[0]`.
pub fn diff(old: &Node, new: &Node) -> Vec<Op> {
    let mut ops = Vec::new();
    let mut path = vec![0];
    diff_node(old, new, &mut path, &mut ops);
    ops
}

/// Appends to `ops` the ops that turn the child list `old` of the element at
/// `parent` into `new`. An empty `parent` is the route's container element,
/// whose children are the route's root nodes.
///
/// Children are matched by key when every child on both sides is an element
/// with a key and no key repeats on either side, and by index otherwise.
pub fn diff_children(old: &[Node], new: &[Node], parent: &Path, ops: &mut Vec<Op>) {
    let mut path = parent.clone();
    diff_child_list(old, new, &mut path, ops);
}

/// Diffs two nodes at `path`. `path` is restored before returning.
fn diff_node(old: &Node, new: &Node, path: &mut Path, ops: &mut Vec<Op>) {
    match (old, new) {
        (Node::Element(old_element), Node::Element(new_element))
            if old_element.tag == new_element.tag && old_element.key == new_element.key =>
        {
            diff_attrs(old_element, new_element, path, ops);
            diff_child_list(&old_element.children, &new_element.children, path, ops);
        }
        (Node::Text(old_text), Node::Text(new_text)) => {
            if old_text != new_text {
                ops.push(Op::SetText {
                    path: path.clone(),
                    text: new_text.clone(),
                });
            }
        }
        _ => ops.push(Op::Replace {
            path: path.clone(),
            node: new.clone(),
        }),
    }
}

/// Emits `SetAttr` and `RemoveAttr` for the DOM attributes, listener
/// attributes included, that differ between two elements.
fn diff_attrs(old: &Element, new: &Element, path: &Path, ops: &mut Vec<Op>) {
    let old_attrs = old.dom_attrs();
    let new_attrs = new.dom_attrs();
    let mut old_iter = old_attrs.iter().peekable();
    let mut new_iter = new_attrs.iter().peekable();

    // Both lists are sorted by name, so one merge pass pairs them up.
    loop {
        match (old_iter.peek(), new_iter.peek()) {
            (None, None) => break,
            (Some((old_name, _)), None) => {
                ops.push(Op::RemoveAttr {
                    path: path.clone(),
                    name: (*old_name).to_owned(),
                });
                old_iter.next();
            }
            (None, Some((new_name, new_value))) => {
                ops.push(set_attr(path, new_name, new_value));
                new_iter.next();
            }
            (Some((old_name, old_value)), Some((new_name, new_value))) => {
                match old_name.cmp(new_name) {
                    std::cmp::Ordering::Less => {
                        ops.push(Op::RemoveAttr {
                            path: path.clone(),
                            name: (*old_name).to_owned(),
                        });
                        old_iter.next();
                    }
                    std::cmp::Ordering::Greater => {
                        ops.push(set_attr(path, new_name, new_value));
                        new_iter.next();
                    }
                    std::cmp::Ordering::Equal => {
                        if old_value != new_value {
                            ops.push(set_attr(path, new_name, new_value));
                        }
                        old_iter.next();
                        new_iter.next();
                    }
                }
            }
        }
    }
}

fn set_attr(path: &Path, name: &str, value: &str) -> Op {
    Op::SetAttr {
        path: path.clone(),
        name: name.to_owned(),
        value: value.to_owned(),
    }
}

fn diff_child_list(old: &[Node], new: &[Node], parent: &mut Path, ops: &mut Vec<Op>) {
    if has_unique_keys(old) && has_unique_keys(new) {
        diff_keyed(old, new, parent, ops);
    } else {
        diff_indexed(old, new, parent, ops);
    }
}

/// Tells whether every node is an element with a key and no key repeats.
fn has_unique_keys(nodes: &[Node]) -> bool {
    let mut seen = std::collections::HashSet::new();
    nodes
        .iter()
        .all(|node| node.key().is_some_and(|key| seen.insert(key)))
}

/// Matches children pairwise by position.
fn diff_indexed(old: &[Node], new: &[Node], parent: &mut Path, ops: &mut Vec<Op>) {
    let common = old.len().min(new.len());
    for index in (common..old.len()).rev() {
        ops.push(Op::Remove {
            parent: parent.clone(),
            index: to_u32(index),
        });
    }
    for (index, node) in new.iter().enumerate().skip(common) {
        ops.push(Op::Insert {
            parent: parent.clone(),
            index: to_u32(index),
            node: node.clone(),
        });
    }
    for (index, (old_child, new_child)) in old.iter().zip(new).enumerate() {
        parent.push(to_u32(index));
        diff_node(old_child, new_child, parent, ops);
        parent.pop();
    }
}

/// Matches children by key. The caller has checked that every child on both
/// sides has a key and that keys are unique on each side.
fn diff_keyed(old: &[Node], new: &[Node], parent: &mut Path, ops: &mut Vec<Op>) {
    let new_positions: HashMap<&str, usize> = new
        .iter()
        .enumerate()
        .map(|(index, node)| (child_key(node), index))
        .collect();

    // Remove the children whose key is gone, last first, so the indices of
    // the ones still to remove stay valid.
    for (index, node) in old.iter().enumerate().rev() {
        if !new_positions.contains_key(child_key(node)) {
            ops.push(Op::Remove {
                parent: parent.clone(),
                index: to_u32(index),
            });
        }
    }

    // `kept` lists the surviving old children in old order. After the
    // removals the DOM child list is exactly this list.
    let kept: Vec<&Node> = old
        .iter()
        .filter(|node| new_positions.contains_key(child_key(node)))
        .collect();
    let kept_ranks: HashMap<&str, usize> = kept
        .iter()
        .enumerate()
        .map(|(rank, node)| (child_key(node), rank))
        .collect();

    // Walk the new order. Before step `index` the DOM child list is `new[..index]` in
    // place, followed by the kept children not placed yet, still in old
    // order. So a kept child's current position is `index` plus the number
    // of unplaced kept children before it, which `unplaced` counts in
    // O(log n) per query.
    let mut unplaced = FenwickTree::with_ones(kept.len());
    let mut pairs: Vec<(usize, &Node)> = Vec::with_capacity(kept.len());
    for (index, node) in new.iter().enumerate() {
        match kept_ranks.get(child_key(node)) {
            Some(&rank) => {
                let from = index + unplaced.prefix_sum(rank);
                unplaced.decrement(rank);
                if from != index {
                    ops.push(Op::Move {
                        parent: parent.clone(),
                        from: to_u32(from),
                        to: to_u32(index),
                    });
                }
                pairs.push((index, kept[rank]));
            }
            None => {
                ops.push(Op::Insert {
                    parent: parent.clone(),
                    index: to_u32(index),
                    node: node.clone(),
                });
            }
        }
    }
    // NOTE: moving each out-of-place child to its final slot is not the
    // fewest moves: moving the first of n children to the end emits n - 1
    // moves where one would do. A longest-increasing-subsequence pass would
    // fix that at the cost of tracking positions of children moved later.

    for (index, old_child) in pairs {
        parent.push(to_u32(index));
        diff_node(old_child, &new[index], parent, ops);
        parent.pop();
    }
}

fn child_key(node: &Node) -> &str {
    node.key()
        .expect("keyed diff runs only on children that all have keys")
}

fn to_u32(index: usize) -> u32 {
    // A child list longer than u32::MAX cannot come from a decoded tree,
    // whose encoding is at most `encode::MAX_ENCODED_LEN` bytes.
    u32::try_from(index).expect("child index fits in u32")
}

/// A binary indexed tree of counts, for prefix sums with point updates in
/// O(log n).
struct FenwickTree {
    tree: Vec<usize>,
}

impl FenwickTree {
    /// Creates a tree of `len` slots that each hold 1.
    fn with_ones(len: usize) -> Self {
        // Slot i (1-based) covers the range (i - lowbit(i), i], so with all
        // ones its value is lowbit(i).
        let tree = (0..=len).map(|i| i & i.wrapping_neg()).collect();
        Self { tree }
    }

    /// Returns the sum of slots `0..end`.
    fn prefix_sum(&self, end: usize) -> usize {
        let mut sum = 0;
        let mut i = end;
        while i > 0 {
            sum += self.tree[i];
            i &= i - 1;
        }
        sum
    }

    /// Subtracts 1 from slot `slot`.
    fn decrement(&mut self, slot: usize) {
        let mut i = slot + 1;
        while i < self.tree.len() {
            self.tree[i] -= 1;
            i += i & i.wrapping_neg();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apply::apply;
    use crate::vdom::{Attr, EventKind, HandlerId, Listener};

    fn element(tag: &str, children: Vec<Node>) -> Node {
        let mut element = Element::new(tag);
        element.children = children;
        Node::Element(element)
    }

    fn keyed(key: &str) -> Node {
        let mut element = Element::new("li");
        element.key = Some(key.into());
        element.children.push(Node::text(key));
        Node::Element(element)
    }

    fn list(keys: &[&str]) -> Node {
        element("ul", keys.iter().map(|key| keyed(key)).collect())
    }

    fn assert_diff_applies(old: &Node, new: &Node) -> Vec<Op> {
        let ops = diff(old, new);
        let mut dom = vec![old.clone()];
        apply(&mut dom, &ops).unwrap_or_else(|error| panic!("{error}; ops: {ops:?}"));
        assert_eq!(dom, vec![new.clone()], "ops: {ops:?}");
        ops
    }

    #[test]
    fn equal_trees_give_no_ops() {
        let tree = list(&["a", "b", "c"]);

        assert!(diff(&tree, &tree).is_empty());
    }

    #[test]
    fn changed_text_gives_set_text() {
        let old = element("p", vec![Node::text("a")]);
        let new = element("p", vec![Node::text("b")]);

        let ops = assert_diff_applies(&old, &new);

        assert_eq!(
            ops,
            vec![Op::SetText {
                path: vec![0, 0],
                text: "b".into()
            }]
        );
    }

    #[test]
    fn changed_tag_gives_replace() {
        let old = element("div", vec![element("p", vec![])]);
        let new = element("div", vec![element("span", vec![])]);

        let ops = assert_diff_applies(&old, &new);

        assert_eq!(
            ops,
            vec![Op::Replace {
                path: vec![0, 0],
                node: element("span", vec![])
            }]
        );
    }

    #[test]
    fn changed_key_gives_replace() {
        let old = element("div", vec![keyed("a"), Node::text("t")]);
        let new = element("div", vec![keyed("b"), Node::text("t")]);

        let ops = assert_diff_applies(&old, &new);

        assert_eq!(
            ops,
            vec![Op::Replace {
                path: vec![0, 0],
                node: keyed("b")
            }]
        );
    }

    #[test]
    fn text_and_element_swap_gives_replace() {
        let old = element("div", vec![Node::text("a")]);
        let new = element("div", vec![element("b", vec![])]);

        let ops = assert_diff_applies(&old, &new);

        assert_eq!(ops.len(), 1);
        assert!(matches!(ops[0], Op::Replace { .. }));
    }

    #[test]
    fn attrs_and_listeners_diff_as_dom_attrs() {
        let mut old = Element::new("button");
        old.attrs = vec![
            Attr {
                name: "class".into(),
                value: "x".into(),
            },
            Attr {
                name: "title".into(),
                value: "t".into(),
            },
        ];
        old.listeners = vec![Listener {
            kind: EventKind::Click,
            handler: HandlerId(1),
        }];
        let mut new = Element::new("button");
        new.attrs = vec![
            Attr {
                name: "class".into(),
                value: "y".into(),
            },
            Attr {
                name: "id".into(),
                value: "i".into(),
            },
        ];
        new.listeners = vec![Listener {
            kind: EventKind::Input,
            handler: HandlerId(2),
        }];

        let ops = assert_diff_applies(&Node::Element(old), &Node::Element(new));

        assert_eq!(
            ops,
            vec![
                Op::SetAttr {
                    path: vec![0],
                    name: "class".into(),
                    value: "y".into()
                },
                Op::RemoveAttr {
                    path: vec![0],
                    name: "data-trellis-click".into()
                },
                Op::SetAttr {
                    path: vec![0],
                    name: "data-trellis-input".into(),
                    value: "2".into()
                },
                Op::SetAttr {
                    path: vec![0],
                    name: "id".into(),
                    value: "i".into()
                },
                Op::RemoveAttr {
                    path: vec![0],
                    name: "title".into()
                },
            ]
        );
    }

    #[test]
    fn indexed_children_remove_from_end() {
        let old = element(
            "div",
            vec![
                element("a", vec![]),
                element("b", vec![]),
                element("i", vec![]),
            ],
        );
        let new = element("div", vec![element("a", vec![])]);

        let ops = assert_diff_applies(&old, &new);

        assert_eq!(
            ops,
            vec![
                Op::Remove {
                    parent: vec![0],
                    index: 2
                },
                Op::Remove {
                    parent: vec![0],
                    index: 1
                }
            ]
        );
    }

    #[test]
    fn indexed_children_insert_at_end() {
        let old = element("div", vec![Node::text("x")]);
        let new = element(
            "div",
            vec![Node::text("x"), element("br", vec![]), Node::text("y")],
        );

        let ops = assert_diff_applies(&old, &new);

        assert_eq!(ops.len(), 2);
    }

    #[test]
    fn keyed_removal_keeps_siblings() {
        let ops = assert_diff_applies(&list(&["a", "b", "c", "d"]), &list(&["a", "c"]));

        assert_eq!(
            ops,
            vec![
                Op::Remove {
                    parent: vec![0],
                    index: 3
                },
                Op::Remove {
                    parent: vec![0],
                    index: 1
                }
            ]
        );
    }

    #[test]
    fn keyed_insert_in_middle() {
        let ops = assert_diff_applies(&list(&["a", "c"]), &list(&["a", "b", "c"]));

        assert_eq!(
            ops,
            vec![Op::Insert {
                parent: vec![0],
                index: 1,
                node: keyed("b")
            }]
        );
    }

    #[test]
    fn keyed_move_last_to_front() {
        let ops = assert_diff_applies(&list(&["a", "b", "c"]), &list(&["c", "a", "b"]));

        assert_eq!(
            ops,
            vec![Op::Move {
                parent: vec![0],
                from: 2,
                to: 0
            }]
        );
    }

    #[test]
    fn keyed_reorder_with_removes_and_inserts() {
        assert_diff_applies(
            &list(&["a", "b", "c", "d", "e"]),
            &list(&["e", "x", "c", "a", "y"]),
        );
    }

    #[test]
    fn keyed_child_changes_follow_moves() {
        let old = list(&["a", "b"]);
        let mut new = list(&["b", "a"]);
        if let Node::Element(ul) = &mut new
            && let Node::Element(li) = &mut ul.children[1]
        {
            li.children = vec![Node::text("changed")];
        }

        let ops = assert_diff_applies(&old, &new);

        assert_eq!(
            ops,
            vec![
                Op::Move {
                    parent: vec![0],
                    from: 1,
                    to: 0
                },
                Op::SetText {
                    path: vec![0, 1, 0],
                    text: "changed".into()
                },
            ]
        );
    }

    #[test]
    fn duplicate_keys_fall_back_to_index() {
        let old = list(&["a", "a"]);
        let new = list(&["b", "a"]);

        let ops = assert_diff_applies(&old, &new);

        // By index, child 0 changes key and is replaced, and child 1 is equal.
        assert_eq!(
            ops,
            vec![Op::Replace {
                path: vec![0, 0],
                node: keyed("b")
            }]
        );
    }

    #[test]
    fn diff_children_handles_several_roots() {
        let old = vec![Node::text("a"), element("p", vec![])];
        let new = vec![element("p", vec![]), Node::text("a"), Node::text("b")];
        let mut ops = Vec::new();

        diff_children(&old, &new, &Vec::new(), &mut ops);

        let mut dom = old.clone();
        apply(&mut dom, &ops).unwrap();
        assert_eq!(dom, new);
    }

    #[test]
    fn keyed_reverse_of_10000_children() {
        let keys: Vec<String> = (0..10_000).map(|i| i.to_string()).collect();
        let old = element("ul", keys.iter().map(|key| keyed(key)).collect());
        let new = element("ul", keys.iter().rev().map(|key| keyed(key)).collect());

        let ops = diff(&old, &new);

        // Every child but the last placed one moves, and nothing else changes.
        assert_eq!(ops.len(), 9_999);
        assert!(ops.iter().all(|op| matches!(op, Op::Move { .. })));
    }

    #[test]
    fn keyed_rotation_of_10000_children_applies() {
        let keys: Vec<String> = (0..10_000).map(|i| i.to_string()).collect();
        let old = element("ul", keys.iter().map(|key| keyed(key)).collect());
        let mut rotated: Vec<Node> = keys.iter().map(|key| keyed(key)).collect();
        rotated.rotate_right(1);
        rotated.remove(5_000);
        rotated.insert(7_000, keyed("new"));
        let new = element("ul", rotated);

        let ops = assert_diff_applies(&old, &new);

        assert_eq!(ops.len(), 3);
    }

    #[test]
    fn fenwick_prefix_sums() {
        let mut tree = FenwickTree::with_ones(10);
        assert_eq!(tree.prefix_sum(10), 10);
        assert_eq!(tree.prefix_sum(3), 3);

        tree.decrement(1);
        tree.decrement(7);

        assert_eq!(tree.prefix_sum(1), 1);
        assert_eq!(tree.prefix_sum(2), 1);
        assert_eq!(tree.prefix_sum(8), 6);
        assert_eq!(tree.prefix_sum(10), 8);
    }
}
