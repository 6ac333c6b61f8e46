//! Property test of the browser runtime's patch application: for random pairs
//! of VDOM trees, applying the host's `diff(a, b)` to the DOM of `a` in
//! Chromium gives the DOM of `b`.

use trellis_core::diff::diff_children;
use trellis_core::html::nodes_to_html;
use trellis_core::json::JsonOps;
use trellis_core::testing::random_tree_pairs;
use trellis_tests::{TestServer, run_node};

#[test]
fn browser_applies_random_diffs() {
    let mut cases = Vec::new();
    for (before, after) in random_tree_pairs(0x7e11_1500, 300) {
        let mut ops = Vec::new();
        diff_children(
            std::slice::from_ref(&before),
            std::slice::from_ref(&after),
            &Vec::new(),
            &mut ops,
        );
        cases.push(serde_json::json!({
            "before": nodes_to_html(std::slice::from_ref(&before)).expect("generated trees serialize"),
            "ops": serde_json::to_value(JsonOps(&ops)).expect("ops serialize"),
            "after": nodes_to_html(std::slice::from_ref(&after)).expect("generated trees serialize"),
        }));
    }
    let fixture =
        std::env::temp_dir().join(format!("trellis-patch-cases-{}.json", std::process::id()));
    std::fs::write(&fixture, serde_json::to_vec(&cases).unwrap()).unwrap();
    // The server only serves the client runtime script to the page.
    let server = TestServer::start("examples/counter");

    run_node(
        "browser_patch_property.mjs",
        &[&server.url(), fixture.to_str().unwrap()],
    );

    std::fs::remove_file(&fixture).ok();
}
