//! Writes the global key `shared` (a `u64`) on each `#bump` click and shows
//! it in `#value`. `/global-b` shows the same key.

use trellis::prelude::*;

/// No local state: the count is global.
#[derive(Default)]
pub struct GlobalA;

impl Route for GlobalA {
    fn render(&self) -> Element<Self> {
        let value: u64 = global::get("shared").unwrap_or(0);
        div().child(span().id("value").text(value)).child(
            button()
                .id("bump")
                .text("Bump")
                .on_click(|_: &mut Self| global::update("shared", |value: &mut u64| *value += 1)),
        )
    }
}

trellis::route!(GlobalA);
