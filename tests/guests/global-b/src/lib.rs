//! Shows the global key `shared` (a `u64`) that `/global-a` writes.

use trellis::prelude::*;

/// No local state.
#[derive(Default)]
pub struct GlobalB;

impl Route for GlobalB {
    fn render(&self) -> Element<Self> {
        let value: u64 = global::get("shared").unwrap_or(0);
        div().child(span().id("value").text(value))
    }
}

trellis::route!(GlobalB);
