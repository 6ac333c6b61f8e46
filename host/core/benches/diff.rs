//! Diff benchmarks: [`diff`] alone, and [`diff`] followed by the JSON patch
//! encoding that a render session sends ([`JsonOps`] through serde_json), on
//! trees of about 1,000 and 10,000 nodes with 1% and 50% of the nodes
//! changed.
//!
//! The trees are built deterministically: a `div` holding a `ul` of keyed
//! rows, each row `<li key class><span class>text</span><b class>text</b></li>`
//! (5 nodes), so a tree of `rows` rows has `5 * rows + 2` nodes. The new tree
//! changes every `stride`-th row node in document order: an element gets a
//! new `class` value and a text node new text. Each changed node costs one
//! `SetAttr` or `SetText` op, and the tree shape stays the same.
//!
//! Run with `cargo bench -p trellis-core --bench diff`.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use trellis_core::{Attr, Element, JsonOps, Node, diff};

/// Nodes in a row: the `li`, the `span` and its text, the `b` and its text.
const NODES_PER_ROW: usize = 5;

/// Tree sizes as (label, rows): 200 rows give 1,002 nodes and 2,000 rows
/// give 10,002.
const SIZES: [(&str, usize); 2] = [("1k_nodes", 200), ("10k_nodes", 2000)];

/// Change rates as (label, stride): every `stride`-th row node changes.
const CHANGES: [(&str, usize); 2] = [("1pct_changed", 100), ("50pct_changed", 2)];

fn element(tag: &str, class: String, children: Vec<Node>) -> Node {
    let mut element = Element::new(tag);
    element.attrs.push(Attr {
        name: "class".to_string(),
        value: class,
    });
    element.children = children;
    Node::Element(element)
}

/// Builds the tree of `rows` rows in which row node `n` (counted in
/// document order from 0) is changed when `changed(n)` is true.
fn build_tree(rows: usize, changed: impl Fn(usize) -> bool) -> Node {
    let suffix = |n: usize| if changed(n) { " changed" } else { "" };
    let items = (0..rows)
        .map(|row| {
            let first = row * NODES_PER_ROW;
            let span = element(
                "span",
                format!("name{}", suffix(first + 1)),
                vec![Node::text(format!("Item {row}{}", suffix(first + 2)))],
            );
            let b = element(
                "b",
                format!("count{}", suffix(first + 3)),
                vec![Node::text(format!(
                    "{}{}",
                    row * 7 % 100,
                    suffix(first + 4)
                ))],
            );
            let Node::Element(mut li) =
                element("li", format!("row{}", suffix(first)), vec![span, b])
            else {
                unreachable!("element() returns an element")
            };
            li.key = Some(format!("r{row}"));
            Node::Element(li)
        })
        .collect();
    let mut list = Element::new("ul");
    list.children = items;
    let mut root = Element::new("div");
    root.children = vec![Node::Element(list)];
    let mut root = Node::Element(root);
    root.normalize();
    root
}

/// Returns the (old, new) tree pair and the number of changed nodes.
fn tree_pair(rows: usize, stride: usize) -> (Node, Node, usize) {
    let old = build_tree(rows, |_| false);
    let new = build_tree(rows, |n| n % stride == 0);
    let changed = (rows * NODES_PER_ROW).div_ceil(stride);
    assert_eq!(old.count_nodes(), rows * NODES_PER_ROW + 2);
    // One op per changed node, or the benchmark measures some other diff.
    assert_eq!(
        diff(&old, &new).len(),
        changed,
        "ops for {rows} rows, stride {stride}"
    );
    (old, new, changed)
}

fn bench_diff(c: &mut Criterion) {
    let mut diff_only = c.benchmark_group("diff");
    for (size, rows) in SIZES {
        for (rate, stride) in CHANGES {
            let (old, new, _) = tree_pair(rows, stride);
            diff_only.bench_function(BenchmarkId::new(size, rate), |b| {
                b.iter(|| diff(black_box(&old), black_box(&new)));
            });
        }
    }
    diff_only.finish();

    let mut diff_encode = c.benchmark_group("diff_encode");
    for (size, rows) in SIZES {
        for (rate, stride) in CHANGES {
            let (old, new, _) = tree_pair(rows, stride);
            diff_encode.bench_function(BenchmarkId::new(size, rate), |b| {
                b.iter(|| {
                    let ops = diff(black_box(&old), black_box(&new));
                    serde_json::to_vec(&JsonOps(&ops)).expect("ops serialize to JSON")
                });
            });
        }
    }
    diff_encode.finish();
}

criterion_group!(benches, bench_diff);
criterion_main!(benches);
