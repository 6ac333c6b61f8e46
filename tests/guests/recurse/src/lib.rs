//! A route that renders normally but whose `#boom` click handler recurses
//! without end, which overflows the guest's wasm stack during the event.

use trellis::prelude::*;

/// No state.
#[derive(Default)]
pub struct Recurse;

/// Recurses forever. The frame holds a buffer that `black_box` keeps alive
/// and the call is not in tail position, so the optimizer can turn it into
/// neither a loop nor a tail call.
#[expect(unconditional_recursion, reason = "the route exists to overflow the stack")]
fn descend(depth: u64) -> u64 {
    let frame = std::hint::black_box([depth; 16]);
    descend(depth + 1).wrapping_add(frame[(depth % 16) as usize])
}

impl Route for Recurse {
    fn render(&self) -> Element<Self> {
        div().child(
            button()
                .id("boom")
                .text("Recurse")
                .on_click(|_: &mut Self| {
                    std::hint::black_box(descend(0));
                }),
        )
    }
}

trellis::route!(Recurse);
